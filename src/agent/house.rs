//! What the agent knows of the house's names: the entity index and the intents parser, built
//! together from one read of the registry and rebuilt when its generation changes.
//!
//! Each request checks the generation (a few integer reads) and takes the current
//! [`Names`] as an `Arc`. The request that first sees a new generation rebuilds; requests
//! arriving while it does keep the previous names rather than wait.

use std::sync::{Arc, Mutex, RwLock, TryLockError};

use super::intents::Intents;
use super::retrieval::EntityIndex;
use crate::devices::Registry;

/// The house's names as of one registry generation.
#[derive(Debug)]
pub(crate) struct Names {
    pub(crate) generation: u64,
    pub(crate) index: EntityIndex,
    pub(crate) intents: Intents,
}

impl Names {
    /// Reads the registry once and builds both.
    fn build(registry: &Registry, generation: u64) -> Names {
        let entities = registry.entities();
        let areas = registry.areas();
        Names {
            generation,
            index: EntityIndex::new(&entities, &areas),
            intents: Intents::new(&entities, &areas),
        }
    }
}

/// The current [`Names`], kept up with the registry.
#[derive(Debug)]
pub(crate) struct House {
    current: RwLock<Arc<Names>>,
    building: Mutex<()>,
}

impl House {
    /// Built from the registry as it is now.
    pub(crate) fn new(registry: &Registry) -> House {
        House {
            current: RwLock::new(Arc::new(Names::build(registry, registry.generation()))),
            building: Mutex::new(()),
        }
    }

    /// The names for this request: rebuilt first if the registry's generation moved,
    /// unless another request is already rebuilding them.
    pub(crate) fn names(&self, registry: &Registry) -> Arc<Names> {
        let generation = registry.generation();
        let now = self.read();
        if now.generation == generation {
            return now;
        }
        let _guard = match self.building.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return now,
        };
        let now = self.read();
        if now.generation == generation {
            return now;
        }
        let started = std::time::Instant::now();
        let fresh = Arc::new(Names::build(registry, generation));
        tracing::info!(
            generation,
            entities = fresh.index.len(),
            took_ms = started.elapsed().as_secs_f64() * 1000.0,
            "house names rebuilt"
        );
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::clone(&fresh);
        fresh
    }

    fn read(&self) -> Arc<Names> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::devices::{Area, Backend, DeviceError, Domain, Entity, Outcome, ServiceCall};

    /// A back end whose entities the test changes.
    #[derive(Default)]
    struct Changing {
        entities: Mutex<Vec<Entity>>,
        generation: AtomicU64,
    }

    impl Changing {
        fn add(&self, id: &str, name: &str) {
            self.entities.lock().unwrap().push(Entity {
                id: id.into(),
                name: name.into(),
                aliases: vec![],
                area: None,
                domain: Domain::Light,
                device_class: None,
                state: "off".into(),
                attributes: Default::default(),
                backend: String::new(),
            });
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl Backend for Changing {
        fn name(&self) -> &str {
            "changing"
        }
        fn entities(&self) -> Vec<Entity> {
            self.entities.lock().unwrap().clone()
        }
        fn areas(&self) -> Vec<Area> {
            vec![]
        }
        fn call(&self, _: &ServiceCall) -> Result<Outcome, DeviceError> {
            Err(DeviceError::BadData("not here".into()))
        }
        fn generation(&self) -> u64 {
            self.generation.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn rebuilds_only_when_the_generation_moves() {
        let backend = Arc::new(Changing::default());
        let mut registry = Registry::new();
        registry.add(backend.clone());
        let house = House::new(&registry);
        let first = house.names(&registry);
        assert!(first.index.relevant("porch lantern", 12).is_empty());
        assert!(
            Arc::ptr_eq(&first, &house.names(&registry)),
            "no change, no rebuild"
        );

        backend.add("light.porch", "Porch lantern");
        let second = house.names(&registry);
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.index.relevant("porch lantern", 12), ["light.porch"]);
        assert!(second.intents.parse("turn on the porch lantern").is_some());
        assert!(Arc::ptr_eq(&second, &house.names(&registry)));
    }
}

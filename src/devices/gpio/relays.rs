//! [`Relays`]: relays on output pins as switch entities (`switch.gpio_<pin>`), so the agent
//! reaches them through the registry and every call passes the safety gate. When the header
//! cannot be opened the switches are still listed, `unavailable`, and calls say why.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::Pins;
use crate::devices::{Area, Backend, DeviceError, Domain, Entity, Outcome, ServiceCall};

/// The back end's name in the registry.
const NAME: &str = "gpio";

/// One relay as the config describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// BCM number.
    pub pin: u8,
    /// What people call it.
    pub name: String,
    /// The area id.
    pub area: Option<String>,
    /// On is a low output.
    pub active_low: bool,
}

/// Relays driven through [`Pins`].
pub struct Relays {
    relays: Vec<Relay>,
    pins: Result<Arc<dyn Pins>, String>,
    /// Whether each relay is on, by pin; what the hub last drove it to.
    on: Mutex<BTreeMap<u8, bool>>,
}

impl std::fmt::Debug for Relays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relays")
            .field("relays", &self.relays)
            .finish_non_exhaustive()
    }
}

impl Relays {
    /// Relays on `pins`, each driven off now so the hub starts from a known state.
    pub fn new(pins: Arc<dyn Pins>, relays: Vec<Relay>) -> Relays {
        let mut on = BTreeMap::new();
        for r in &relays {
            if let Err(e) = pins.set(r.pin, r.active_low) {
                tracing::warn!(cause = %e, relay = %r.name, "cannot switch the relay off");
            }
            on.insert(r.pin, false);
        }
        Relays {
            relays,
            pins: Ok(pins),
            on: Mutex::new(on),
        }
    }

    /// Relays on a machine whose GPIO could not be opened, for `why`.
    pub fn unavailable(relays: Vec<Relay>, why: String) -> Relays {
        Relays {
            relays,
            pins: Err(why),
            on: Mutex::new(BTreeMap::new()),
        }
    }

    fn entity_of(&self, r: &Relay, on: &BTreeMap<u8, bool>) -> Entity {
        let state = match (&self.pins, on.get(&r.pin)) {
            (Err(_), _) | (_, None) => "unavailable",
            (Ok(_), Some(true)) => "on",
            (Ok(_), Some(false)) => "off",
        };
        Entity {
            id: format!("switch.gpio_{}", r.pin),
            name: r.name.clone(),
            aliases: Vec::new(),
            area: r.area.clone(),
            domain: Domain::Switch,
            device_class: None,
            state: state.into(),
            attributes: BTreeMap::from([("pin".to_owned(), json!(r.pin))]),
            backend: NAME.into(),
        }
    }

    fn on(&self) -> std::sync::MutexGuard<'_, BTreeMap<u8, bool>> {
        self.on.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Backend for Relays {
    fn name(&self) -> &str {
        NAME
    }

    fn entities(&self) -> Vec<Entity> {
        let on = self.on();
        self.relays.iter().map(|r| self.entity_of(r, &on)).collect()
    }

    fn areas(&self) -> Vec<Area> {
        let mut areas: Vec<Area> = (self.relays.iter())
            .filter_map(|r| r.area.clone())
            .map(|id| Area {
                name: id.replace('_', " "),
                id,
                aliases: Vec::new(),
            })
            .collect();
        areas.sort_by(|a, b| a.id.cmp(&b.id));
        areas.dedup_by(|a, b| a.id == b.id);
        areas
    }

    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        let relay = (self.relays.iter())
            .find(|r| format!("switch.gpio_{}", r.pin) == call.entity_id)
            .ok_or_else(|| DeviceError::UnknownEntity(call.entity_id.clone()))?;
        let pins = self.pins.as_ref().map_err(|why| DeviceError::Unavailable {
            backend: NAME.into(),
            detail: why.clone(),
        })?;
        let mut on = self.on();
        let was = on.get(&relay.pin).copied().unwrap_or(false);
        let want = match call.service.as_str() {
            "turn_on" => true,
            "turn_off" => false,
            "toggle" => !was,
            _ => {
                return Err(DeviceError::UnknownService {
                    entity: call.entity_id.clone(),
                    service: call.service.clone(),
                });
            }
        };
        pins.set(relay.pin, want != relay.active_low)
            .map_err(|e| DeviceError::Unavailable {
                backend: NAME.into(),
                detail: e.to_string(),
            })?;
        on.insert(relay.pin, want);
        tracing::info!(entity = %call.entity_id, on = want, "relay switched");
        let state = if want { "on" } else { "off" };
        Ok(Outcome::Done {
            state: state.into(),
        })
    }
}

//! The demo back end: a simulated house for tests and for new users with no hardware.
//!
//! The house comes from a YAML file (`configs/demo-house.yaml` is built in; a user may point
//! `devices.demo.file` at their own) and lives in memory behind a mutex. Calls are checked and
//! applied the way Home Assistant would apply them, so the agent above cannot tell the demo
//! from a real house except by its name.
//!
//! # Layout
//!
//! - `file`: the file's YAML shape and the checks serde cannot make.
//! - `error`: why a file was refused, with file, line, column and entity.
//! - `layout`: where things sit in the text, for errors found after parsing.
//! - `device`: one simulated device and the simple domains.
//! - `data`: reading a call's service data.
//! - `light`, `climate`, `cover`: the domains with more to them.
//! - `saved`: the state kept between runs, when a state file is given.

mod climate;
mod cover;
mod data;
mod device;
mod error;
mod file;
mod layout;
mod light;
mod saved;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use tracing::{debug, info};

use super::{Area, Backend, DeviceError, Entity, Outcome, ServiceCall};
use device::Device;
pub use error::DemoError;

/// The built-in house, shipped inside the binary.
const BUILTIN: &str = include_str!("../../configs/demo-house.yaml");
/// The name errors give the built-in house.
const BUILTIN_ORIGIN: &str = "built-in demo house";
/// The back end's name in the registry.
const NAME: &str = "demo";

/// A simulated house.
#[derive(Debug)]
pub struct DemoHouse {
    areas: Vec<Area>,
    devices: Mutex<Vec<Device>>,
    state_file: Option<std::path::PathBuf>,
}

impl DemoHouse {
    /// The built-in house of `configs/demo-house.yaml`.
    pub fn builtin() -> DemoHouse {
        // A unit test loads the embedded file, so a broken one never ships.
        DemoHouse::from_str(BUILTIN, BUILTIN_ORIGIN).expect("the built-in demo house is valid")
    }

    /// A house from a file a user wrote; errors name the file, line, column and entity.
    pub fn from_file(path: &Path) -> Result<DemoHouse, DemoError> {
        let text = read_bounded(path).map_err(|source| DemoError::Read {
            path: path.to_owned(),
            source,
        })?;
        DemoHouse::from_str(&text, &path.display().to_string())
    }

    /// A house from YAML text; `origin` names it in errors.
    pub fn from_str(yaml: &str, origin: &str) -> Result<DemoHouse, DemoError> {
        let house = file::parse(yaml, origin)?;
        Ok(DemoHouse {
            areas: house.areas,
            devices: Mutex::new(house.entities.into_iter().map(Device::new).collect()),
            state_file: None,
        })
    }

    /// Keeps the house's state in `path` between runs: loads it now, saves it after every
    /// change.
    pub fn with_state_file(mut self, path: std::path::PathBuf) -> DemoHouse {
        saved::load(&path, &mut self.devices());
        self.state_file = Some(path);
        self
    }

    /// The devices. A call that panicked cannot have left one half-changed (handlers check
    /// everything before they write), so a poisoned lock is still a coherent house.
    fn devices(&self) -> MutexGuard<'_, Vec<Device>> {
        self.devices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Backend for DemoHouse {
    fn name(&self) -> &str {
        NAME
    }

    fn entities(&self) -> Vec<Entity> {
        let devices = self.devices();
        let mut entities: Vec<Entity> = devices.iter().map(|d| d.entity().clone()).collect();
        for e in &mut entities {
            NAME.clone_into(&mut e.backend);
        }
        entities
    }

    fn areas(&self) -> Vec<Area> {
        self.areas.clone()
    }

    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        let mut devices = self.devices();
        let Some(device) = devices.iter_mut().find(|d| d.entity().id == call.entity_id) else {
            return Err(DeviceError::UnknownEntity(call.entity_id.clone()));
        };
        let outcome = device.apply(call)?;
        if let (Some(path), Outcome::Done { .. }) = (&self.state_file, &outcome) {
            saved::store(path, &devices);
        }
        match &outcome {
            Outcome::Done { state } => {
                debug!(entity = %call.entity_id, service = %call.service, state = %state, "demo call done");
            }
            Outcome::Refused { reason } => {
                info!(entity = %call.entity_id, service = %call.service, reason = %reason, "demo device refused");
            }
        }
        Ok(outcome)
    }
}

/// Reads at most one byte past the limit, so a huge file is refused without being loaded.
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(file::MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > file::MAX_FILE_BYTES {
        let message = format!("larger than {} bytes", file::MAX_FILE_BYTES);
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            message,
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;

//! The demo house's state between runs: one JSON file in the data folder, so that a light
//! turned on by one `mirai ask --demo` is still on for the next.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::device::Device;
use crate::devices::Entity;

/// What is kept of one device.
#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    id: String,
    state: String,
    attributes: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Applies the saved states in `path` to `devices`; a missing file changes nothing, and an
/// unreadable one is reported and ignored (the house starts as built).
pub(super) fn load(path: &Path, devices: &mut [Device]) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            return tracing::warn!(path = %path.display(), cause = %e, "cannot read the demo state");
        }
    };
    let saved: Vec<Saved> = match serde_json::from_str(&text) {
        Ok(saved) => saved,
        Err(e) => {
            return tracing::warn!(path = %path.display(), cause = %e, "ignoring a bad demo state file");
        }
    };
    for s in saved {
        if let Some(d) = devices.iter_mut().find(|d| d.entity().id == s.id) {
            let mut entity: Entity = d.entity().clone();
            entity.state = s.state;
            entity.attributes = s.attributes;
            *d = Device::new(entity);
        }
    }
}

/// Writes the states of `devices` to `path` (a temp file, then rename).
pub(super) fn store(path: &Path, devices: &[Device]) {
    let saved: Vec<Saved> = devices
        .iter()
        .map(|d| Saved {
            id: d.entity().id.clone(),
            state: d.entity().state.clone(),
            attributes: d.entity().attributes.clone(),
        })
        .collect();
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = serde_json::to_vec_pretty(&saved)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), cause = %e, "cannot save the demo state");
    }
}

#[cfg(test)]
mod tests {
    use crate::devices::demo::DemoHouse;
    use crate::devices::{Backend, ServiceCall};

    fn state(house: &DemoHouse, id: &str) -> String {
        house
            .entities()
            .into_iter()
            .find(|e| e.id == id)
            .unwrap()
            .state
    }

    #[test]
    fn the_state_survives_a_new_house_and_a_bad_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("demo-state.json");
        let house = DemoHouse::builtin().with_state_file(file.clone());
        house
            .call(&ServiceCall::new("light.kitchen", "turn_on").with("brightness_pct", 40))
            .unwrap();
        let again = DemoHouse::builtin().with_state_file(file.clone());
        assert_eq!(state(&again, "light.kitchen"), "on");
        let kitchen = again
            .entities()
            .into_iter()
            .find(|e| e.id == "light.kitchen")
            .unwrap();
        assert_eq!(kitchen.attributes["brightness"], serde_json::json!(102));
        std::fs::write(&file, "{ not json").unwrap();
        let fresh = DemoHouse::builtin().with_state_file(file);
        assert_eq!(state(&fresh, "light.kitchen"), "off");
    }
}

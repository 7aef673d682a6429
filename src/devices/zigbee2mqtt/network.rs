//! [`Network`]: the devices Zigbee2MQTT announced, their last good state and availability, as
//! registry entities. Pure: messages in (already routed by topic), entities out.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::exposes::{self, Device, Kind, Spec};
use crate::devices::{Area, Entity};

/// What is known of one device beyond its definition.
#[derive(Debug, Default, Clone)]
pub(crate) struct Seen {
    /// Every property it published, merged (Zigbee2MQTT may send only what changed).
    pub(crate) values: Map<String, Value>,
    /// `Some(false)` after `offline` on its availability topic.
    pub(crate) available: Option<bool>,
    /// State messages applied since it was announced.
    pub(crate) updates: u64,
}

/// The devices and their state.
#[derive(Debug, Default)]
pub(crate) struct Network {
    devices: Vec<Device>,
    seen: Vec<Seen>,
    /// Device index by friendly name.
    by_name: HashMap<String, usize>,
    /// (device, spec) by entity id.
    by_entity: HashMap<String, (usize, usize)>,
    /// Zigbee2MQTT's own `bridge/state` is `online`.
    pub(crate) bridge_online: bool,
    /// Moves whenever entities appear, go or are renamed.
    generation: u64,
}

impl Network {
    /// Takes a new device list; devices keep their state across renames (by IEEE address).
    /// Whether anything changed.
    pub(crate) fn set_devices(&mut self, devices: Vec<Device>) -> bool {
        if devices == self.devices {
            return false;
        }
        let mut old: HashMap<String, Seen> = (self.devices.iter().map(|d| d.ieee.clone()))
            .zip(std::mem::take(&mut self.seen))
            .collect();
        self.seen = (devices.iter())
            .map(|d| old.remove(&d.ieee).unwrap_or_default())
            .collect();
        self.by_name = (devices.iter().enumerate())
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        self.by_entity.clear();
        for (i, d) in devices.iter().enumerate() {
            for (j, s) in d.specs.iter().enumerate() {
                self.by_entity.insert(s.id.clone(), (i, j));
            }
        }
        self.devices = devices;
        self.generation += 1;
        true
    }

    /// The device named `name`, by index.
    pub(crate) fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The devices as announced.
    pub(crate) fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// What is known of device `i`.
    pub(crate) fn seen(&self, i: usize) -> &Seen {
        &self.seen[i]
    }

    /// Merges a state message into device `i`'s last state.
    pub(crate) fn apply(&mut self, i: usize, update: Map<String, Value>) {
        let seen = &mut self.seen[i];
        seen.values.extend(update);
        seen.updates += 1;
    }

    /// Device `i` went online or offline.
    pub(crate) fn set_available(&mut self, i: usize, available: bool) {
        self.seen[i].available = Some(available);
    }

    /// The entity-set generation.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The device and spec behind entity `id`.
    pub(crate) fn spec(&self, id: &str) -> Option<(usize, &Device, &Spec)> {
        let &(i, j) = self.by_entity.get(id)?;
        let device = &self.devices[i];
        Some((i, device, &device.specs[j]))
    }

    /// Every entity; all `unavailable` when `reachable` is false (link or bridge down).
    pub(crate) fn entities(&self, reachable: bool) -> Vec<Entity> {
        let mut all = Vec::new();
        for (i, d) in self.devices.iter().enumerate() {
            for s in &d.specs {
                all.push(self.entity_of(i, s, reachable));
            }
        }
        all
    }

    /// Entity `id` as it is now.
    pub(crate) fn entity(&self, id: &str, reachable: bool) -> Option<Entity> {
        let (i, _, spec) = self.spec(id)?;
        Some(self.entity_of(i, spec, reachable))
    }

    /// The areas friendly names like `kitchen/ceiling` hint at.
    pub(crate) fn areas(&self) -> Vec<Area> {
        let mut areas: Vec<Area> = Vec::new();
        for d in &self.devices {
            if let Some(hint) = exposes::area_hint(&d.name) {
                let id = exposes::slug(hint);
                if !areas.iter().any(|a| a.id == id) {
                    areas.push(Area {
                        id,
                        name: hint.to_owned(),
                        aliases: Vec::new(),
                    });
                }
            }
        }
        areas
    }

    fn entity_of(&self, i: usize, spec: &Spec, reachable: bool) -> Entity {
        let device = &self.devices[i];
        let seen = &self.seen[i];
        let mut attributes = std::collections::BTreeMap::new();
        let v = &seen.values;
        let mut state = state_of(&spec.kind, v, &mut attributes);
        if let Some(unit) = &spec.unit {
            attributes.insert("unit_of_measurement".into(), Value::from(unit.as_str()));
        }
        attributes.insert("friendly_name".into(), Value::from(device.name.as_str()));
        if let Some(model) = &device.model {
            attributes.insert("model".into(), Value::from(model.as_str()));
        }
        if !reachable || seen.available == Some(false) {
            state = "unavailable".into();
        }
        Entity {
            id: spec.id.clone(),
            name: spec.name.clone(),
            aliases: Vec::new(),
            area: exposes::area_hint(&device.name).map(exposes::slug),
            domain: spec.domain,
            device_class: spec.device_class.clone(),
            state,
            attributes,
            backend: String::new(),
        }
    }
}

/// The Home Assistant state string of an entity, and its attributes, from the device's values.
fn state_of(
    kind: &Kind,
    v: &Map<String, Value>,
    attrs: &mut std::collections::BTreeMap<String, Value>,
) -> String {
    let on_off = |b: &exposes::Binary| match v.get(&b.property) {
        Some(x) if *x == b.on => "on".to_owned(),
        Some(x) if *x == b.off => "off".to_owned(),
        _ => "unknown".to_owned(),
    };
    match kind {
        Kind::Light(l) => {
            if let Some((p, max)) = &l.brightness {
                if let Some(b) = v.get(p).and_then(Value::as_f64) {
                    attrs.insert("brightness".into(), Value::from((b * 255.0 / max).round()));
                }
            }
            if let Some((p, ..)) = &l.color_temp {
                if let Some(m) = v.get(p).and_then(Value::as_f64).filter(|m| *m > 0.0) {
                    attrs.insert("color_temp".into(), Value::from(m));
                    attrs.insert("color_temp_kelvin".into(), Value::from((1e6 / m).round()));
                }
            }
            if let Some(p) = &l.color {
                let c = v.get(p);
                let xy = (c.and_then(|c| c.get("x")), c.and_then(|c| c.get("y")));
                if let (Some(x), Some(y)) = xy {
                    attrs.insert("xy_color".into(), Value::Array(vec![x.clone(), y.clone()]));
                }
            }
            on_off(&l.state)
        }
        Kind::Switch(b) | Kind::BinarySensor(b) => on_off(b),
        Kind::Sensor(p) => match v.get(p) {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Bool(b)) => if *b { "on" } else { "off" }.to_owned(),
            _ => "unknown".to_owned(),
        },
        Kind::Cover { state, position } => {
            let pos = position
                .as_ref()
                .and_then(|p| v.get(p))
                .and_then(Value::as_f64);
            if let Some(pos) = pos {
                attrs.insert("current_position".into(), Value::from(pos));
            }
            let word = state
                .as_ref()
                .and_then(|p| v.get(p))
                .and_then(Value::as_str);
            match (word, pos) {
                (Some(w), _) if w.eq_ignore_ascii_case("open") => "open".into(),
                (Some(w), _) if w.eq_ignore_ascii_case("close") => "closed".into(),
                (_, Some(p)) if p > 0.0 => "open".into(),
                (_, Some(_)) => "closed".into(),
                _ => "unknown".into(),
            }
        }
        Kind::Lock { state, lock_state } => {
            match lock_state
                .as_ref()
                .and_then(|p| v.get(p))
                .and_then(Value::as_str)
            {
                Some("locked") => return "locked".into(),
                Some("unlocked") | Some("not_fully_locked") => return "unlocked".into(),
                _ => {}
            }
            match v.get(&state.property) {
                Some(x) if *x == state.on => "locked".into(),
                Some(x) if *x == state.off => "unlocked".into(),
                _ => "unknown".into(),
            }
        }
    }
}

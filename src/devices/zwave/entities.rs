//! The nodes as registry entities: which entities a node becomes by its command classes, their
//! state from the reports it sends, and what a service call asks of it. Pure: no I/O.
//!
//! A Multilevel Switch node is `light.zwave_N`, a Binary Switch node `switch.zwave_N` (either
//! may be told otherwise by `zwave.nodes.N.kind`), a Multilevel Sensor node that reports air
//! temperature `sensor.zwave_N_temperature`; a battery level is an attribute of each.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::command_class::{Report, id};
use super::controller::{NodeReport, Query, Target};
use super::network::{Network, Node};
use crate::devices::{Area, DeviceError, Domain, Entity, ServiceCall};

/// Multilevel Switch "last non-zero level" and Binary Switch "on".
const ON: u8 = 0xFF;
/// Multilevel Sensor type: air temperature.
const AIR_TEMPERATURE: u8 = 0x01;

/// What the config says about one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Label {
    /// What people call it.
    pub name: Option<String>,
    /// Other names.
    pub aliases: Vec<String>,
    /// Area id.
    pub area: Option<String>,
    /// Light or switch, overriding the command classes.
    pub kind: Option<Domain>,
}

/// How a node switches, by its command classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switching {
    /// Multilevel Switch: levels 0–99.
    Dimmer,
    /// Binary Switch: on or off.
    Binary,
}

impl Switching {
    /// The switching a node supports, the dimmer first.
    pub fn of(node: &Node) -> Option<Switching> {
        if node.supports(id::MULTILEVEL_SWITCH) {
            Some(Switching::Dimmer)
        } else if node.supports(id::BINARY_SWITCH) {
            Some(Switching::Binary)
        } else {
            None
        }
    }

    /// The Get that reads the level back.
    pub fn query(self) -> Query {
        match self {
            Switching::Dimmer => Query::Level,
            Switching::Binary => Query::Switch,
        }
    }

    /// The Set for on, off or a level 0–99 (`None`: on at the last level).
    pub fn target(self, level: Option<u8>) -> Target {
        match (self, level) {
            (Switching::Dimmer, level) => Target::Level(level.unwrap_or(ON)),
            (Switching::Binary, level) => Target::Switch(level != Some(0)),
        }
    }
}

/// The Get for an air temperature in °C.
pub const TEMPERATURE: Query = Query::Sensor {
    sensor_type: AIR_TEMPERATURE,
    scale: 0,
};

/// The Gets that give a node's state: its switch, its temperature, its battery.
pub fn queries(node: &Node) -> Vec<Query> {
    let mut q = Vec::new();
    if let Some(s) = Switching::of(node) {
        q.push(s.query());
    }
    if node.supports(id::SENSOR_MULTILEVEL) {
        q.push(TEMPERATURE);
    }
    if node.supports(id::BATTERY) {
        q.push(Query::Battery);
    }
    q
}

/// One node and what it last reported.
#[derive(Debug, Clone)]
struct Known {
    node: Node,
    level: Option<u8>,
    temperature: Option<(f64, u8)>,
    battery: Option<u8>,
}

/// The nodes the back end shows, with their labels from the config.
#[derive(Debug, Default)]
pub struct Nodes {
    known: BTreeMap<u8, Known>,
    labels: BTreeMap<u8, Label>,
    generation: u64,
}

/// What a service call asks of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The node.
    pub node: u8,
    /// How it switches.
    pub switching: Switching,
    /// The level asked for: 0 off, 1–99, `None` on at the last level.
    pub level: Option<u8>,
}

impl Plan {
    /// Whether a level the node reports is what was asked for.
    pub fn met(&self, level: u8) -> bool {
        match self.level {
            Some(0) => level == 0,
            Some(wanted) if self.switching == Switching::Dimmer => level == wanted,
            _ => level != 0,
        }
    }
}

impl Nodes {
    /// No nodes yet; names from `labels`.
    pub fn new(labels: BTreeMap<u8, Label>) -> Nodes {
        Nodes {
            labels,
            ..Nodes::default()
        }
    }

    /// The network start-up found (the controller itself left out); what was known of a node
    /// that is still there is kept. The generation moves when nodes appear, go or change.
    pub fn set_network(&mut self, network: &Network) {
        let mut known = BTreeMap::new();
        let mut changed = false;
        for node in network.nodes.iter().filter(|n| n.id != network.own_node) {
            let k = match self.known.remove(&node.id) {
                Some(k) if k.node == *node => k,
                _ => {
                    changed = true;
                    Known {
                        node: node.clone(),
                        level: None,
                        temperature: None,
                        battery: None,
                    }
                }
            };
            known.insert(node.id, k);
        }
        // Whatever is left was not in this network: gone.
        if changed || !self.known.is_empty() {
            self.generation += 1;
        }
        self.known = known;
    }

    /// Changes when nodes appear or go.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// How many nodes (the controller not counted).
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Takes in a report; whether anything changed.
    pub fn apply(&mut self, report: &NodeReport) -> bool {
        let Some(k) = self.known.get_mut(&report.node) else {
            return false;
        };
        let before = (k.level, k.temperature, k.battery);
        match &report.report {
            // FE: the level is unknown; keep the last one.
            Report::BinarySwitch(l) | Report::MultilevelSwitch(l) | Report::Basic(l)
                if l.current != 0xFE =>
            {
                k.level = Some(l.current);
            }
            Report::SensorMultilevel { sensor_type, value } if *sensor_type == AIR_TEMPERATURE => {
                k.temperature = Some((value.value, value.scale));
            }
            Report::Battery { percent } => k.battery = Some(percent.unwrap_or(0)),
            _ => {}
        }
        before != (k.level, k.temperature, k.battery)
    }

    /// Every entity, by id.
    pub fn entities(&self) -> Vec<Entity> {
        self.known.values().flat_map(|k| self.of(k)).collect()
    }

    /// The entity `id`.
    pub fn entity(&self, id: &str) -> Option<Entity> {
        let node = node_of(id)?;
        self.known
            .get(&node)
            .and_then(|k| self.of(k).into_iter().find(|e| e.id == id))
    }

    /// The areas named in the labels of known nodes.
    pub fn areas(&self) -> Vec<Area> {
        let mut areas: Vec<Area> = self
            .known
            .keys()
            .filter_map(|id| self.labels.get(id)?.area.clone())
            .map(|id| Area {
                name: area_name(&id),
                id,
                aliases: Vec::new(),
            })
            .collect();
        areas.sort_by(|a, b| a.id.cmp(&b.id));
        areas.dedup_by(|a, b| a.id == b.id);
        areas
    }

    /// What `call` asks of a switching entity; a sensor or another service is refused.
    pub fn plan(&self, call: &ServiceCall) -> Result<Plan, DeviceError> {
        let unknown = || DeviceError::UnknownEntity(call.entity_id.clone());
        let entity = self.entity(&call.entity_id).ok_or_else(unknown)?;
        let node = node_of(&call.entity_id).ok_or_else(unknown)?;
        let switching = self.known.get(&node).and_then(|k| Switching::of(&k.node));
        let no_service = || DeviceError::UnknownService {
            entity: call.entity_id.clone(),
            service: call.service.clone(),
        };
        let Some(switching) = switching.filter(|_| entity.domain != Domain::Sensor) else {
            return Err(no_service());
        };
        let level = match call.service.as_str() {
            "turn_off" => Some(0),
            "turn_on" => requested_level(call, switching)?,
            "toggle" if entity.state == "on" => Some(0),
            "toggle" => None,
            _ => return Err(no_service()),
        };
        Ok(Plan {
            node,
            switching,
            level,
        })
    }

    /// The name of node `node`'s entities.
    pub fn name(&self, node: u8) -> String {
        self.labels
            .get(&node)
            .and_then(|l| l.name.clone())
            .unwrap_or_else(|| format!("Z-Wave node {node}"))
    }

    fn of(&self, k: &Known) -> Vec<Entity> {
        let n = k.node.id;
        let label = self.labels.get(&n).cloned().unwrap_or_default();
        let mut attributes = BTreeMap::from([("node_id".to_owned(), json!(n))]);
        if let Some(b) = k.battery {
            attributes.insert("battery_level".into(), json!(b));
        }
        let base = Entity {
            id: String::new(),
            name: self.name(n),
            aliases: label.aliases.clone(),
            area: label.area.clone(),
            domain: Domain::Switch,
            device_class: None,
            state: "unknown".into(),
            attributes,
            backend: String::new(),
        };
        let mut out = Vec::new();
        if let Some(switching) = Switching::of(&k.node) {
            let domain = label.kind.unwrap_or(match switching {
                Switching::Dimmer => Domain::Light,
                Switching::Binary => Domain::Switch,
            });
            let mut e = base.clone();
            e.id = format!("{}.zwave_{n}", domain.as_str());
            e.domain = domain;
            if let Some(level) = k.level {
                e.state = if level == 0 { "off" } else { "on" }.into();
                if switching == Switching::Dimmer {
                    e.attributes.insert("brightness".into(), brightness(level));
                    e.attributes.insert("level".into(), json!(level));
                }
            }
            out.push(e);
        }
        if k.node.supports(id::SENSOR_MULTILEVEL) {
            let mut e = base;
            e.id = format!("sensor.zwave_{n}_temperature");
            e.domain = Domain::Sensor;
            e.device_class = Some("temperature".into());
            if !out.is_empty() {
                e.name = format!("{} temperature", e.name);
            }
            if let Some((value, scale)) = k.temperature {
                e.state = format!("{value}");
                let unit = if scale == 1 { "°F" } else { "°C" };
                e.attributes
                    .insert("unit_of_measurement".into(), Json::from(unit));
            }
            out.push(e);
        }
        out
    }
}

/// The node id in `light.zwave_5` or `sensor.zwave_5_temperature`.
fn node_of(entity_id: &str) -> Option<u8> {
    let (_, object) = entity_id.split_once('.')?;
    let rest = object.strip_prefix("zwave_")?;
    let digits = rest.split('_').next()?;
    digits.parse().ok()
}

/// A Multilevel Switch level 0–99 (FF: on) as Home Assistant's brightness 0–255.
fn brightness(level: u8) -> Json {
    let level = if level > 99 { 99 } else { level };
    json!((u32::from(level) * 255 + 49) / 99)
}

/// `turn_on`'s level from `brightness_pct` (0–100) or `brightness` (0–255); `None`: on.
fn requested_level(call: &ServiceCall, switching: Switching) -> Result<Option<u8>, DeviceError> {
    let number = |key: &str, max: f64| -> Result<Option<f64>, DeviceError> {
        match call.data.get(key) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if (0.0..=max).contains(&x) => Ok(Some(x / max)),
                _ => Err(DeviceError::BadData(format!(
                    "{key} must be a number from 0 to {max}, got {v}"
                ))),
            },
        }
    };
    let share = match number("brightness_pct", 100.0)? {
        Some(s) => Some(s),
        None => number("brightness", 255.0)?,
    };
    Ok(share.map(|s| {
        let level = (s * 99.0).round() as u8;
        match switching {
            Switching::Dimmer if s > 0.0 => level.max(1),
            Switching::Binary if s > 0.0 => ON,
            _ => 0,
        }
    }))
}

/// `living_room` → "Living room".
fn area_name(id: &str) -> String {
    let words = id.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

#[cfg(test)]
mod tests;

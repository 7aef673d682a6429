//! The nodes as registry entities: which entities a node becomes by its command classes, their
//! state from the reports it sends, and what a service call asks of it. Pure: no I/O.
//!
//! A Multilevel Switch node is `light.zwave_N`, a Binary Switch node `switch.zwave_N` (either
//! may be told otherwise by `zwave.nodes.N.kind`), a thermostat `climate.zwave_N`, a door lock
//! `lock.zwave_N`; each sensor type and meter scale a node reports is `sensor.zwave_N_<what>`
//! (`temperature`, `humidity`, `energy`, `power`…), each on/off notification
//! `binary_sensor.zwave_N_<what>` (`motion`, `door`, `water_leak`…), and Central Scene presses
//! `sensor.zwave_N_scene`; a battery level is an attribute of each.
//!
//! # Layout
//!
//! - `switching`: switches and dimmers, and what a call asks of them.
//! - `readings`: sensors, meters, notifications and scenes as they were reported.
//! - `thermostat`: the climate and lock entities, and climate calls.
//! - `tables`: what the type, scale and event numbers mean (from the Z-Wave specification).

mod readings;
mod switching;
pub(crate) mod tables;
mod thermostat;

use std::collections::BTreeMap;

use serde_json::json;

use super::command_class::{Report, id};
use super::controller::{NodeReport, Query};
use super::network::{Network, Node};
use crate::devices::{Area, DeviceError, Domain, Entity, ServiceCall};
use readings::Readings;
pub use switching::{Plan, Switching};
use switching::{brightness, requested_level};
pub use thermostat::{Climate, NO_SECURE_INCLUSION};

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

/// The Get for an air temperature in °C, for sensors older than v5 that cannot list theirs.
pub const TEMPERATURE: Query = Query::Sensor {
    sensor_type: AIR_TEMPERATURE,
    scale: 0,
};

/// The Gets that give a node's state, one per command class it has; a sensor's answer to
/// [`Query::SensorTypes`] brings more (see [`follow_ups`]).
pub fn queries(node: &Node) -> Vec<Query> {
    let mut q = Vec::new();
    if let Some(s) = Switching::of(node) {
        q.push(s.query());
    }
    if node.supports(id::SENSOR_MULTILEVEL) {
        q.push(Query::SensorTypes);
    }
    if node.supports(id::METER) {
        // Electric meters: energy (kWh) and power (W); other meters answer in their own unit.
        q.extend([Query::Meter(0), Query::Meter(2)]);
    }
    q.extend(thermostat::queries(
        node.supports(id::THERMOSTAT_MODE),
        node.supports(id::THERMOSTAT_SETPOINT),
    ));
    if node.supports(id::DOOR_LOCK) {
        q.push(Query::DoorLock);
    }
    if node.supports(id::BATTERY) {
        q.push(Query::Battery);
    }
    q
}

/// The Gets an answer calls for: each sensor type a node listed. `None` for a failed
/// [`Query::SensorTypes`]: a sensor older than v5, read as a thermometer.
pub fn follow_ups(query: Query, answer: Option<&Report>) -> Vec<Query> {
    match (query, answer) {
        (Query::SensorTypes, Some(Report::SensorTypes { types })) => types
            .iter()
            .map(|&sensor_type| Query::Sensor {
                sensor_type,
                scale: 0,
            })
            .collect(),
        (Query::SensorTypes, None) => vec![TEMPERATURE],
        _ => Vec::new(),
    }
}

/// One node and what it last reported.
#[derive(Debug, Clone)]
struct Known {
    node: Node,
    level: Option<u8>,
    battery: Option<u8>,
    readings: Readings,
}

/// The nodes the back end shows, with their labels from the config.
#[derive(Debug, Default)]
pub struct Nodes {
    known: BTreeMap<u8, Known>,
    labels: BTreeMap<u8, Label>,
    generation: u64,
}

/// What a service call asks of the back end.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Switch a switch or light.
    Switch(Plan),
    /// Set a thermostat's mode or setpoint.
    Climate(Climate),
    /// Nothing can be sent; the reason.
    Refuse(String),
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
                        battery: None,
                        readings: Readings::default(),
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

    /// Changes when nodes appear or go, or a node gains an entity (a sensor type seen for the
    /// first time).
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

    /// Takes in a report; whether anything changed. A reading seen for the first time adds
    /// an entity, which moves the generation.
    pub fn apply(&mut self, report: &NodeReport) -> bool {
        let Some(before) = self.known.get(&report.node).cloned() else {
            return false;
        };
        let mut k = before.clone();
        match &report.report {
            // FE: the level is unknown; keep the last one.
            Report::BinarySwitch(l) | Report::MultilevelSwitch(l) | Report::Basic(l) => {
                if l.current != 0xFE {
                    k.level = Some(l.current);
                }
            }
            Report::Battery { percent } => k.battery = Some(percent.unwrap_or(0)),
            other => k.readings.apply(other),
        }
        let changed =
            (k.level, k.battery, &k.readings) != (before.level, before.battery, &before.readings);
        if changed {
            let ids = |k: &Known| self.of(k).into_iter().map(|e| e.id).collect::<Vec<_>>();
            if ids(&k) != ids(&before) {
                self.generation += 1;
            }
            self.known.insert(report.node, k);
        }
        changed
    }

    /// The Multilevel Sensor types node `node` listed or reported (what the memory keeps, so
    /// its sensors are entities before it answers after a restart).
    pub fn sensor_types(&self, node: u8) -> Vec<u8> {
        (self.known.get(&node)).map_or_else(Vec::new, |k| k.readings.sensor_types())
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

    /// What `call` asks of a node: a switch, a thermostat, or a lock that cannot be driven.
    /// Sensors and unknown services are refused.
    pub fn plan(&self, call: &ServiceCall) -> Result<Action, DeviceError> {
        let unknown = || DeviceError::UnknownEntity(call.entity_id.clone());
        let entity = self.entity(&call.entity_id).ok_or_else(unknown)?;
        let node = node_of(&call.entity_id).ok_or_else(unknown)?;
        let k = self.known.get(&node).ok_or_else(unknown)?;
        let no_service = || DeviceError::UnknownService {
            entity: call.entity_id.clone(),
            service: call.service.clone(),
        };
        match entity.domain {
            Domain::Climate => {
                return thermostat::plan(call, node, &k.readings).map(Action::Climate);
            }
            Domain::Lock if matches!(call.service.as_str(), "lock" | "unlock" | "open") => {
                return Ok(Action::Refuse(NO_SECURE_INCLUSION.to_owned()));
            }
            Domain::Light | Domain::Switch => {}
            _ => return Err(no_service()),
        }
        let switching = Switching::of(&k.node).ok_or_else(no_service)?;
        let level = match call.service.as_str() {
            "turn_off" => Some(0),
            "turn_on" => requested_level(call, switching)?,
            "toggle" if entity.state == "on" => Some(0),
            "toggle" => None,
            _ => return Err(no_service()),
        };
        Ok(Action::Switch(Plan {
            node,
            switching,
            level,
        }))
    }

    /// The name of node `node`'s entities.
    pub fn name(&self, node: u8) -> String {
        self.labels
            .get(&node)
            .and_then(|l| l.name.clone())
            .unwrap_or_else(|| format!("Z-Wave node {node}"))
    }

    /// Node `k`'s entities: its switch, thermostat and lock under the node's name, then its
    /// readings named "<node name> <what>" (just the node's name when it has one entity).
    fn of(&self, k: &Known) -> Vec<Entity> {
        let n = k.node.id;
        let label = self.labels.get(&n).cloned().unwrap_or_default();
        let mut attributes = BTreeMap::from([
            ("node_id".to_owned(), json!(n)),
            ("device_name".to_owned(), json!(self.name(n))),
        ]);
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
            out.push(switch(&base, n, switching, label.kind, k.level));
        }
        if k.node.supports(id::THERMOSTAT_MODE) || k.node.supports(id::THERMOSTAT_SETPOINT) {
            out.push(thermostat::climate(&base, n, &k.readings));
        }
        if k.node.supports(id::DOOR_LOCK) {
            out.push(thermostat::lock(&base, n, &k.readings));
        }
        out.extend(k.readings.entities(&base, &format!("zwave_{n}")));
        if let [only] = out.as_mut_slice() {
            only.name.clone_from(&base.name);
        }
        out
    }
}

/// `light.zwave_N` or `switch.zwave_N` at `level`.
fn switch(
    base: &Entity,
    n: u8,
    switching: Switching,
    kind: Option<Domain>,
    level: Option<u8>,
) -> Entity {
    let domain = kind.unwrap_or(match switching {
        Switching::Dimmer => Domain::Light,
        Switching::Binary => Domain::Switch,
    });
    let mut e = base.clone();
    e.id = format!("{}.zwave_{n}", domain.as_str());
    e.domain = domain;
    if let Some(level) = level {
        e.state = if level == 0 { "off" } else { "on" }.into();
        if switching == Switching::Dimmer {
            e.attributes.insert("brightness".into(), brightness(level));
            e.attributes.insert("level".into(), json!(level));
        }
    }
    e
}

/// The node id in `light.zwave_5` or `sensor.zwave_5_temperature`.
fn node_of(entity_id: &str) -> Option<u8> {
    let (_, object) = entity_id.split_once('.')?;
    let rest = object.strip_prefix("zwave_")?;
    let digits = rest.split('_').next()?;
    digits.parse().ok()
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

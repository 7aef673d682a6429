//! What a node reported besides its switch — sensors, meters, notifications, scenes, its
//! thermostat and its lock — and the entities those readings become.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::super::command_class::{NotificationEvent, Report};
use super::tables::{self, KEY_ACTIONS, LOCK_JAMMED};
use crate::devices::{Domain, Entity};

/// One Central Scene notification, counted so that the same key pressed twice is two events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Press {
    scene: u8,
    key_attribute: u8,
    sequence: u8,
    count: u64,
}

/// A node's readings, as last reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Readings {
    /// Multilevel Sensor values by type: (value, scale).
    pub(super) sensors: BTreeMap<u8, (f64, u8)>,
    /// The sensor types the node listed, read or not.
    sensor_types: Vec<u8>,
    /// Meter values by (meter type, scale, rate).
    meters: BTreeMap<(u8, u8, u8), f64>,
    /// On/off notification states by object id.
    alarms: BTreeMap<&'static str, (tables::Alarm, bool)>,
    /// The last Central Scene notification.
    press: Option<Press>,
    /// Thermostat Mode.
    pub(super) mode: Option<u8>,
    /// Thermostat setpoints by type: (value, scale).
    pub(super) setpoints: BTreeMap<u8, (f64, u8)>,
    /// Door Lock mode and door condition.
    pub(super) lock: Option<(u8, u8)>,
    /// An Access Control "lock jammed" came after the last lock report.
    pub(super) jammed: bool,
}

impl Readings {
    /// Takes in a report that is not a switch level or a battery level.
    pub(super) fn apply(&mut self, report: &Report) {
        match report {
            Report::SensorMultilevel { sensor_type, value } => {
                self.sensors
                    .insert(*sensor_type, (value.value, value.scale));
            }
            Report::SensorTypes { types } => self.sensor_types.clone_from(types),
            Report::Meter {
                meter_type,
                rate,
                value,
                ..
            } => {
                self.meters
                    .insert((*meter_type, value.scale, *rate), value.value);
            }
            Report::Notification {
                notification: Some(n),
                ..
            } => self.notify(n),
            Report::CentralScene {
                sequence,
                key_attribute,
                scene,
                ..
            } => {
                let count = self.press.map_or(1, |p| p.count + 1);
                self.press = Some(Press {
                    scene: *scene,
                    key_attribute: *key_attribute,
                    sequence: *sequence,
                    count,
                });
            }
            Report::ThermostatMode { mode } => self.mode = Some(*mode),
            Report::ThermostatSetpoint {
                setpoint_type,
                value,
            } => {
                self.setpoints
                    .insert(*setpoint_type, (value.value, value.scale));
            }
            Report::DoorLock {
                mode, condition, ..
            } => {
                self.lock = Some((*mode, *condition));
                self.jammed = false;
            }
            _ => {}
        }
    }

    /// A v2+ notification: on/off states, and a jammed lock.
    fn notify(&mut self, n: &NotificationEvent) {
        // FE: "no pending notification", the answer to a Get with nothing to say.
        if n.status == 0xFE {
            return;
        }
        if (n.notification_type, n.event) == LOCK_JAMMED {
            self.jammed = true;
        }
        for (alarm, on) in tables::alarms(n.notification_type, n.event, &n.params) {
            // An idle event only ends states that were seen.
            if on || self.alarms.contains_key(alarm.object) {
                self.alarms.insert(alarm.object, (alarm, on));
            }
        }
    }

    /// The Multilevel Sensor types known: listed by the node or reported by it, in order.
    pub(super) fn sensor_types(&self) -> Vec<u8> {
        let mut types: Vec<u8> = (self.sensor_types.iter().copied())
            .chain(self.sensors.keys().copied())
            .collect();
        types.sort_unstable();
        types.dedup();
        types
    }

    /// The sensor, meter, notification and scene entities, built on `base`, their ids
    /// starting with `prefix` (`zwave_5`). A meter and a sensor of the same quantity (a plug
    /// reporting power both ways) make one entity, the meter's value winning.
    pub(super) fn entities(&self, base: &Entity, prefix: &str) -> Vec<Entity> {
        let mut by_object: BTreeMap<String, Entity> = BTreeMap::new();
        let listed = self
            .sensor_types
            .iter()
            .filter(|t| !self.sensors.contains_key(t));
        let read = self.sensors.iter().map(|(t, v)| (*t, Some(*v)));
        for (sensor_type, reading) in read.chain(listed.map(|t| (*t, None))) {
            let e = sensor(base, prefix, sensor_type, reading);
            by_object.insert(e.id.clone(), e);
        }
        for (&(meter_type, scale, rate), &value) in &self.meters {
            let Some(kind) = tables::meter(meter_type, scale) else {
                continue;
            };
            // Rate 2: what the node exported (solar panels) rather than used.
            let object = match rate {
                2 => format!("{}_export", kind.object),
                _ => kind.object.to_owned(),
            };
            let mut e = numeric(base, prefix, &object, kind.class, kind.unit, Some(value));
            e.attributes
                .insert("state_class".into(), json!(kind.state_class));
            by_object.insert(e.id.clone(), e);
        }
        let mut out: Vec<Entity> = by_object.into_values().collect();
        for (alarm, on) in self.alarms.values() {
            let mut e = named(base, alarm.name);
            e.id = format!("binary_sensor.{prefix}_{}", alarm.object);
            e.domain = Domain::BinarySensor;
            e.device_class = Some(alarm.class.to_owned());
            e.state = if *on { "on" } else { "off" }.to_owned();
            out.push(e);
        }
        out.extend(self.press.map(|p| scene(base, prefix, p)));
        out
    }
}

/// Multilevel Sensor type `sensor_type` with its reading (value, scale), if read yet.
fn sensor(base: &Entity, prefix: &str, sensor_type: u8, reading: Option<(f64, u8)>) -> Entity {
    let (value, scale) = reading.map_or((None, None), |(v, s)| (Some(v), Some(s)));
    let Some(kind) = tables::sensor(sensor_type) else {
        return numeric(
            base,
            prefix,
            &format!("sensor_{sensor_type}"),
            None,
            "",
            value,
        );
    };
    let unit = scale.and_then(|s| kind.units.get(usize::from(s)).copied());
    let unit = unit.unwrap_or("");
    // Home Assistant's illuminance is in lux; a percentage has no class.
    let class = kind
        .class
        .filter(|_| unit != "%" || kind.object != "illuminance");
    let mut e = numeric(base, prefix, kind.object, class, unit, value);
    e.attributes
        .insert("state_class".into(), json!("measurement"));
    e
}

/// `base` renamed "<node name> <what>".
pub(super) fn named(base: &Entity, what: &str) -> Entity {
    let mut e = base.clone();
    e.name = format!("{} {what}", base.name);
    e
}

/// A numeric sensor entity; "unknown" until read.
fn numeric(
    base: &Entity,
    prefix: &str,
    object: &str,
    class: Option<&str>,
    unit: &str,
    value: Option<f64>,
) -> Entity {
    let mut e = named(base, &object.replace('_', " "));
    e.id = format!("sensor.{prefix}_{object}");
    e.domain = Domain::Sensor;
    e.device_class = class.map(str::to_owned);
    e.state = value.map_or_else(|| "unknown".to_owned(), |v| format!("{v}"));
    if !unit.is_empty() {
        e.attributes
            .insert("unit_of_measurement".into(), Json::from(unit));
    }
    e
}

/// The last scene press as a sensor: state "<scene> <action>"; `event_type`, `event_count`
/// and `event_types` let a front end publish each press as an event.
fn scene(base: &Entity, prefix: &str, p: Press) -> Entity {
    let action = KEY_ACTIONS
        .get(usize::from(p.key_attribute))
        .copied()
        .unwrap_or("pressed");
    let mut e = named(base, "scene");
    e.id = format!("sensor.{prefix}_scene");
    e.domain = Domain::Sensor;
    e.state = format!("{} {action}", p.scene);
    for (key, value) in [
        ("scene", json!(p.scene)),
        ("event_type", json!(action)),
        ("event_count", json!(p.count)),
        ("event_types", json!(KEY_ACTIONS)),
        ("sequence", json!(p.sequence)),
    ] {
        e.attributes.insert(key.into(), value);
    }
    e
}

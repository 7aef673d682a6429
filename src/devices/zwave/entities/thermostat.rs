//! Thermostats and door locks: the `climate` entity from Thermostat Mode and Setpoint (with
//! the node's own air temperature), what `set_temperature` and `set_hvac_mode` ask of it, and
//! the `lock` entity from Door Lock reports, which MIRAI shows but cannot drive.

use serde_json::json;

use super::super::command_class::Report;
use super::super::controller::{Query, Target};
use super::readings::Readings;
use super::tables::{self, HVAC_MODES};
use crate::devices::{DeviceError, Domain, Entity, ServiceCall};

/// Thermostat Setpoint types: heating and cooling.
const HEATING: u8 = 0x01;
const COOLING: u8 = 0x02;
/// Multilevel Sensor type: air temperature.
const AIR_TEMPERATURE: u8 = 0x01;
/// Door Lock mode "secured"; FE is "unknown".
const SECURED: u8 = 0xFF;
const UNKNOWN: u8 = 0xFE;

/// Why lock and unlock are refused.
pub const NO_SECURE_INCLUSION: &str = "Z-Wave door locks only obey commands sent under \
     Security S0 or S2, and MIRAI does not do secure inclusion yet: lock and unlock it with its \
     keypad, its app or another controller";

/// A thermostat Set and the Get that reads it back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Climate {
    /// The node.
    pub node: u8,
    /// The Set.
    pub target: Target,
    /// The Get.
    pub query: Query,
}

impl Climate {
    /// Whether the read-back `report` says the Set took.
    pub fn met(&self, report: &Report) -> bool {
        match (self.target, report) {
            (Target::Mode(m), Report::ThermostatMode { mode }) => m == *mode,
            (Target::Setpoint { value, .. }, Report::ThermostatSetpoint { value: got, .. }) => {
                (value - got.value).abs() < 0.05
            }
            _ => false,
        }
    }
}

/// The setpoint type that goes with the mode: cooling when cooling, heating otherwise.
fn setpoint_type(r: &Readings) -> u8 {
    match r.mode.map(tables::hvac_mode) {
        Some("cool") if r.setpoints.contains_key(&COOLING) || r.setpoints.is_empty() => COOLING,
        _ => HEATING,
    }
}

/// The Gets that read a thermostat: its mode and its heating setpoint.
pub(super) fn queries(mode: bool, setpoint: bool) -> Vec<Query> {
    let mut q = Vec::new();
    if mode {
        q.push(Query::Mode);
    }
    if setpoint {
        q.push(Query::Setpoint(HEATING));
    }
    q
}

/// `climate.zwave_N`: the mode as its state, the setpoint as `temperature`.
pub(super) fn climate(base: &Entity, n: u8, r: &Readings) -> Entity {
    let mut e = base.clone();
    e.id = format!("climate.zwave_{n}");
    e.domain = Domain::Climate;
    e.state = r.mode.map_or("unknown", tables::hvac_mode).to_owned();
    e.attributes.insert("hvac_modes".into(), json!(HVAC_MODES));
    if let Some(&(value, scale)) = r.setpoints.get(&setpoint_type(r)) {
        e.attributes.insert("temperature".into(), json!(value));
        let unit = if scale == 1 { "°F" } else { "°C" };
        e.attributes.insert("temperature_unit".into(), json!(unit));
    }
    if let Some((value, _)) = r.sensors.get(&AIR_TEMPERATURE) {
        e.attributes
            .insert("current_temperature".into(), json!(value));
    }
    e
}

/// `lock.zwave_N`: locked, unlocked, jammed or unknown; the door open or closed.
pub(super) fn lock(base: &Entity, n: u8, r: &Readings) -> Entity {
    let mut e = base.clone();
    e.id = format!("lock.zwave_{n}");
    e.domain = Domain::Lock;
    e.state = match r.lock {
        _ if r.jammed => "jammed",
        Some((SECURED, _)) => "locked",
        Some((UNKNOWN, _)) | None => "unknown",
        Some(_) => "unlocked",
    }
    .to_owned();
    // Door condition bit 0: 0 the door is open, 1 closed (CC spec 4.26.4).
    if let Some((_, condition)) = r.lock {
        let door = if condition & 0x01 == 0 {
            "open"
        } else {
            "closed"
        };
        e.attributes.insert("door".into(), json!(door));
    }
    e
}

/// What a climate call asks of node `n`.
pub(super) fn plan(call: &ServiceCall, n: u8, r: &Readings) -> Result<Climate, DeviceError> {
    let (target, query) = match call.service.as_str() {
        "set_temperature" => {
            let t = call.data.get("temperature");
            let value = t
                .and_then(|v| v.as_f64())
                .filter(|v| (-50.0..=100.0).contains(v));
            let Some(value) = value else {
                return Err(DeviceError::BadData(format!(
                    "set_temperature needs a temperature from -50 to 100, got {}",
                    t.map_or("nothing".to_owned(), ToString::to_string)
                )));
            };
            let setpoint_type = setpoint_type(r);
            let scale = r.setpoints.get(&setpoint_type).map_or(0, |s| s.1);
            let target = Target::Setpoint {
                setpoint_type,
                value,
                scale,
            };
            (target, Query::Setpoint(setpoint_type))
        }
        "set_hvac_mode" | "turn_on" | "turn_off" => {
            let name = match call.service.as_str() {
                "turn_on" => Some("heat"),
                "turn_off" => Some("off"),
                _ => call.data.get("hvac_mode").and_then(|m| m.as_str()),
            };
            let Some(mode) = name.and_then(tables::thermostat_mode) else {
                return Err(DeviceError::BadData(format!(
                    "hvac_mode must be one of {}, got {}",
                    HVAC_MODES.join(", "),
                    call.data
                        .get("hvac_mode")
                        .map_or("nothing".to_owned(), ToString::to_string)
                )));
            };
            (Target::Mode(mode), Query::Mode)
        }
        _ => {
            return Err(DeviceError::UnknownService {
                entity: call.entity_id.clone(),
                service: call.service.clone(),
            });
        }
    };
    Ok(Climate {
        node: n,
        target,
        query,
    })
}

//! Command classes: the application payloads nodes send, decoded into typed reports.
//!
//! Input is the command bytes an ApplicationCommandHandler frame carries (`cc command …`, see
//! `application`). Layouts follow the Z-Wave Alliance "Z-Wave Application Command Class
//! Specification" (the section is named at each decoder) and were checked against the zwave-js
//! CC tests named in `shared/protocols/zwave.md`. Encoders for the commands MIRAI sends live in
//! [`command`]. Door Lock decodes, but real locks talk only under Security S0/S2, which MIRAI
//! does not do yet.

pub mod command;
mod value;

pub use value::{Transition, Value};

/// Command class ids.
pub mod id {
    pub const BASIC: u8 = 0x20;
    pub const BINARY_SWITCH: u8 = 0x25;
    pub const MULTILEVEL_SWITCH: u8 = 0x26;
    pub const SENSOR_MULTILEVEL: u8 = 0x31;
    pub const METER: u8 = 0x32;
    pub const THERMOSTAT_MODE: u8 = 0x40;
    pub const THERMOSTAT_SETPOINT: u8 = 0x43;
    pub const CENTRAL_SCENE: u8 = 0x5B;
    pub const DOOR_LOCK: u8 = 0x62;
    pub const NOTIFICATION: u8 = 0x71;
    pub const BATTERY: u8 = 0x80;
}

/// A current / target / duration report (Basic, Binary Switch and Multilevel Switch Report).
#[derive(Debug, Clone, PartialEq)]
pub struct LevelReport {
    /// 00 off, 01–63 level (Multilevel), FF on, FE unknown.
    pub current: u8,
    /// Where a transition is heading (v2+).
    pub target: Option<u8>,
    /// Time left to reach `target` (v2+).
    pub duration: Option<Transition>,
}

/// A report a node sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// Basic Report (CC spec 4.4.3).
    Basic(LevelReport),
    /// Binary Switch Report (4.13.3).
    BinarySwitch(LevelReport),
    /// Multilevel Switch Report (4.20.3).
    MultilevelSwitch(LevelReport),
    /// Multilevel Sensor Report (4.38.4): type 01 is air temperature…
    SensorMultilevel { sensor_type: u8, value: Value },
    /// Multilevel Sensor Supported Sensor Report (4.38.2, v5+): the sensor types a node has.
    SensorTypes { types: Vec<u8> },
    /// Meter Report (4.22.3): type 1 electric, 2 gas, 3 water; rate 1 import, 2 export.
    Meter {
        meter_type: u8,
        rate: u8,
        value: Value,
        delta_seconds: u16,
        previous: Option<f64>,
    },
    /// Notification Report (4.27.5); v1 Alarm Report fields always, v2+ fields when sent.
    Notification {
        v1_type: u8,
        v1_level: u8,
        notification: Option<NotificationEvent>,
    },
    /// Battery Report (4.10.3): 0–100 %, or `None` for FF, the low-battery warning.
    Battery { percent: Option<u8> },
    /// Central Scene Notification (4.16.5).
    CentralScene {
        sequence: u8,
        key_attribute: u8,
        slow_refresh: bool,
        scene: u8,
    },
    /// Thermostat Mode Report (4.61.3): 00 off, 01 heat, 02 cool, 03 auto…
    ThermostatMode { mode: u8 },
    /// Thermostat Setpoint Report (4.63.3): type 01 heating, 02 cooling…
    ThermostatSetpoint { setpoint_type: u8, value: Value },
    /// Door Lock Operation Report (4.26.4).
    DoorLock {
        mode: u8,
        outside_handles: u8,
        inside_handles: u8,
        condition: u8,
        timeout: (u8, u8),
        target: Option<u8>,
        duration: Option<Transition>,
    },
}

/// The v2+ half of a Notification Report.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationEvent {
    /// FF on, 00 off, FE "no pending notification".
    pub status: u8,
    /// 05 water alarm, 06 access control, 07 home security…
    pub notification_type: u8,
    /// The event within the type (07 / 08 motion detected…).
    pub event: u8,
    /// Event parameters, as sent.
    pub params: Vec<u8>,
}

/// Why command bytes did not decode. Not fatal: the caller logs and drops the report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CcError {
    /// Fewer bytes than the layout needs.
    #[error("command class {cc:02X} command {command:02X}: truncated")]
    Truncated { cc: u8, command: u8 },
    /// A PSS size byte other than 1, 2 or 4.
    #[error("value size {0} is not 1, 2 or 4")]
    BadSize(u8),
    /// A command class or command MIRAI does not decode.
    #[error("command class {cc:02X} command {command:02X} not supported")]
    Unsupported { cc: u8, command: u8 },
    /// Not even a command class and a command.
    #[error("empty command")]
    Empty,
}

/// Report command ids (CC spec): 03 for most, 05 for Sensor / Notification, 02 for Meter.
const REPORT: u8 = 0x03;

/// Decodes `cc command params…`.
pub fn decode(bytes: &[u8]) -> Result<Report, CcError> {
    let [cc, command, p @ ..] = bytes else {
        return Err(CcError::Empty);
    };
    let (cc, command) = (*cc, *command);
    let short = CcError::Truncated { cc, command };
    let report = match (cc, command) {
        (id::BASIC, REPORT) => Report::Basic(level_report(p).ok_or(short)?),
        (id::BINARY_SWITCH, REPORT) => Report::BinarySwitch(level_report(p).ok_or(short)?),
        (id::MULTILEVEL_SWITCH, REPORT) => Report::MultilevelSwitch(level_report(p).ok_or(short)?),
        (id::SENSOR_MULTILEVEL, 0x05) => {
            let [sensor_type, rest @ ..] = p else {
                return Err(short);
            };
            let (value, _) = Value::decode(rest).ok_or(short)??;
            Report::SensorMultilevel {
                sensor_type: *sensor_type,
                value,
            }
        }
        (id::SENSOR_MULTILEVEL, 0x02) => Report::SensorTypes {
            types: bitmask(p, 1),
        },
        (id::METER, 0x02) => meter(p).ok_or(short)??,
        (id::NOTIFICATION, 0x05) => notification(p).ok_or(short)?,
        (id::BATTERY, REPORT) => {
            let level = *p.first().ok_or(short)?;
            Report::Battery {
                percent: (level != 0xFF).then_some(level),
            }
        }
        (id::CENTRAL_SCENE, REPORT) => {
            let [sequence, attributes, scene, ..] = p else {
                return Err(short);
            };
            Report::CentralScene {
                sequence: *sequence,
                key_attribute: attributes & 0x07,
                slow_refresh: attributes & 0x80 != 0,
                scene: *scene,
            }
        }
        (id::THERMOSTAT_MODE, REPORT) => Report::ThermostatMode {
            mode: p.first().ok_or(short)? & 0x1F,
        },
        (id::THERMOSTAT_SETPOINT, REPORT) => {
            let [setpoint_type, rest @ ..] = p else {
                return Err(short);
            };
            let (value, _) = Value::decode(rest).ok_or(short)??;
            Report::ThermostatSetpoint {
                setpoint_type: setpoint_type & 0x0F,
                value,
            }
        }
        (id::DOOR_LOCK, REPORT) => door_lock(p).ok_or(short)?,
        _ => return Err(CcError::Unsupported { cc, command }),
    };
    Ok(report)
}

/// The numbers whose bits are set in `mask`, bit 0 of the first byte being `first`.
fn bitmask(mask: &[u8], first: u8) -> Vec<u8> {
    let bits = mask.iter().enumerate().flat_map(|(i, byte)| {
        (0..8u8).filter_map(move |bit| (byte & (1 << bit) != 0).then_some(i * 8 + usize::from(bit)))
    });
    bits.filter_map(|n| u8::try_from(n + usize::from(first)).ok())
        .collect()
}

/// `current [target duration]`.
fn level_report(p: &[u8]) -> Option<LevelReport> {
    Some(LevelReport {
        current: *p.first()?,
        target: p.get(1).copied(),
        duration: p.get(2).and_then(|b| Transition::from_report(*b)),
    })
}

/// `[scale2<<7 · rate<<5 · type] PSS value [delta(2) [previous]]`: the previous value is sent
/// only when the delta time is not 0 (CC spec 4.22.3).
fn meter(p: &[u8]) -> Option<Result<Report, CcError>> {
    let (&first, rest) = p.split_first()?;
    let (mut value, used) = match Value::decode(rest)? {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    value.scale |= (first & 0x80) >> 5;
    let after = &rest[used..];
    let delta_seconds = after
        .get(..2)
        .map_or(0, |d| u16::from_be_bytes([d[0], d[1]]));
    let size = used - 1;
    let previous = (delta_seconds != 0 && after.len() >= 2 + size)
        .then(|| value::scaled(&after[2..2 + size], value.precision));
    Some(Ok(Report::Meter {
        meter_type: first & 0x1F,
        rate: (first >> 5) & 0x03,
        value,
        delta_seconds,
        previous,
    }))
}

/// `v1Type v1Level [reserved status type event props params… [seq]]` (v2+ from the status).
fn notification(p: &[u8]) -> Option<Report> {
    let [v1_type, v1_level, rest @ ..] = p else {
        return None;
    };
    let notification = match rest {
        [
            _reserved,
            status,
            notification_type,
            event,
            props,
            params @ ..,
        ] => {
            let len = usize::from(props & 0x1F).min(params.len());
            Some(NotificationEvent {
                status: *status,
                notification_type: *notification_type,
                event: *event,
                params: params[..len].to_vec(),
            })
        }
        _ => None,
    };
    Some(Report::Notification {
        v1_type: *v1_type,
        v1_level: *v1_level,
        notification,
    })
}

/// `mode handles condition tMin tSec [target duration]`.
fn door_lock(p: &[u8]) -> Option<Report> {
    let [mode, handles, condition, minutes, seconds, rest @ ..] = p else {
        return None;
    };
    Some(Report::DoorLock {
        mode: *mode,
        outside_handles: handles >> 4,
        inside_handles: handles & 0x0F,
        condition: *condition,
        timeout: (*minutes, *seconds),
        target: rest.first().copied(),
        duration: rest.get(1).and_then(|b| Transition::from_report(*b)),
    })
}

#[cfg(test)]
mod tests;

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
mod tests {
    use super::*;

    use crate::devices::zwave::hex;

    #[test]
    fn sensor_multilevel_temperature() {
        // zwave.md, captured from the zwave-js mock: 31 Sensor Multilevel · 05 Report ·
        // 01 air temperature · 22 = precision 1, scale 0 (°C), size 2 · 00 D7 = 215 → 21.5
        let Report::SensorMultilevel { sensor_type, value } =
            decode(&hex("31 05 01 22 00 D7")).unwrap()
        else {
            panic!("not a sensor report");
        };
        assert_eq!((sensor_type, value.value, value.scale), (1, 21.5, 0));
    }

    #[test]
    fn meter_v2_water_with_previous_value() {
        // zwave-js MeterCC.test.ts: 32 · 02 Report · 43 = rate 2 (export) · type 3 (water) ·
        // 31 = precision 1, scale 2, size 1 · 37 = 5.5 · 00 05 Δt 5 s · 36 previous 5.4
        let report = decode(&hex("32 02 43 31 37 00 05 36")).unwrap();
        let Report::Meter {
            meter_type,
            rate,
            value,
            delta_seconds,
            previous,
        } = report
        else {
            panic!("not a meter report");
        };
        assert_eq!((meter_type, rate, value.scale, value.value), (3, 2, 2, 5.5));
        assert_eq!((delta_seconds, previous), (5, Some(5.4)));
        // zwave-js BridgeApplicationCommandRequest.test.ts: electric (1), import (1),
        // 34 = precision 1, scale 2 (W), size 4; 0 W; Δt 0 so no previous value.
        let report = decode(&hex("32 02 21 34 00 00 00 00 00 00")).unwrap();
        let Report::Meter {
            meter_type,
            rate,
            value,
            previous,
            ..
        } = report
        else {
            panic!("not a meter report");
        };
        assert_eq!(
            (meter_type, rate, value.scale, value.value, previous),
            (1, 1, 2, 0.0, None)
        );
    }

    #[test]
    fn central_scene_key_pressed_4x() {
        // zwave-js CentralSceneCC.test.ts: 5B · 03 Notification · 07 sequence ·
        // 85 = slow refresh (bit 7) · key attribute 5 (KeyPressed4x) · 08 scene
        let report = decode(&hex("5B 03 07 85 08")).unwrap();
        let expected = Report::CentralScene {
            sequence: 7,
            key_attribute: 5,
            slow_refresh: true,
            scene: 8,
        };
        assert_eq!(report, expected);
    }

    #[test]
    fn door_lock_v4() {
        // zwave-js DoorLockCC.test.ts: 62 · 03 Operation Report · 20 mode · 4F handles
        // (outside 4, inside F) · 05 condition · 00 FE timeout · FF target · 01 duration 1 s
        let report = decode(&hex("62 03 20 4F 05 00 FE FF 01")).unwrap();
        let expected = Report::DoorLock {
            mode: 0x20,
            outside_handles: 0x4,
            inside_handles: 0xF,
            condition: 0x05,
            timeout: (0x00, 0xFE),
            target: Some(0xFF),
            duration: Some(Transition::Seconds(1)),
        };
        assert_eq!(report, expected);
    }

    #[test]
    fn switches_and_basic() {
        // 25 · 03 Report · FF on (v1: no target or duration)
        let on = LevelReport {
            current: 0xFF,
            target: None,
            duration: None,
        };
        assert_eq!(decode(&hex("25 03 FF")), Ok(Report::BinarySwitch(on)));
        // 26 · 03 Report · 20 current 32 % · 63 target 99 % · 05 five seconds left
        let moving = LevelReport {
            current: 0x20,
            target: Some(0x63),
            duration: Some(Transition::Seconds(5)),
        };
        assert_eq!(
            decode(&hex("26 03 20 63 05")),
            Ok(Report::MultilevelSwitch(moving))
        );
        // 20 · 03 Report · 00 off · 00 target · FE duration unknown
        let off = LevelReport {
            current: 0,
            target: Some(0),
            duration: None,
        };
        assert_eq!(decode(&hex("20 03 00 00 FE")), Ok(Report::Basic(off)));
    }

    #[test]
    fn notification_v1_and_v3() {
        // 71 · 05 Report · 00 00 v1 fields · 00 reserved · FF status on · 07 home security ·
        // 08 motion detected · 00 no parameters
        let report = decode(&hex("71 05 00 00 00 FF 07 08 00")).unwrap();
        let Report::Notification {
            notification: Some(n),
            ..
        } = report
        else {
            panic!("no v2+ fields");
        };
        assert_eq!((n.status, n.notification_type, n.event), (0xFF, 7, 8));
        // v1 Alarm Report: 71 · 05 · 01 type · FF level
        let report = decode(&hex("71 05 01 FF")).unwrap();
        let v1 = Report::Notification {
            v1_type: 1,
            v1_level: 0xFF,
            notification: None,
        };
        assert_eq!(report, v1);
    }

    #[test]
    fn battery_and_thermostat() {
        // 80 · 03 Report · 5A = 90 %; FF = low-battery warning
        assert_eq!(
            decode(&hex("80 03 5A")),
            Ok(Report::Battery { percent: Some(90) })
        );
        assert_eq!(
            decode(&hex("80 03 FF")),
            Ok(Report::Battery { percent: None })
        );
        // 40 · 03 Report · 01 heat
        assert_eq!(
            decode(&hex("40 03 01")),
            Ok(Report::ThermostatMode { mode: 1 })
        );
        // 43 · 03 Report · 01 heating · 22 = precision 1, °C, size 2 · 00 D7 = 21.5
        let Report::ThermostatSetpoint {
            setpoint_type,
            value,
        } = decode(&hex("43 03 01 22 00 D7")).unwrap()
        else {
            panic!("not a setpoint report");
        };
        assert_eq!((setpoint_type, value.value), (1, 21.5));
    }

    #[test]
    fn truncated_unsupported_and_empty() {
        let short = CcError::Truncated {
            cc: 0x31,
            command: 0x05,
        };
        assert_eq!(decode(&hex("31 05 01 22 00")), Err(short));
        assert_eq!(
            decode(&hex("31 05 01 23 00 00 00")),
            Err(CcError::BadSize(3))
        );
        let unsupported = CcError::Unsupported {
            cc: 0x72,
            command: 0x05,
        };
        assert_eq!(decode(&hex("72 05 00 86")), Err(unsupported));
        assert_eq!(decode(&[0x20]), Err(CcError::Empty));
        assert_eq!(
            decode(&hex("5B 03 07")),
            Err(CcError::Truncated {
                cc: 0x5B,
                command: 3
            })
        );
    }
}

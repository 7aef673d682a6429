//! The commands MIRAI sends to nodes: Set and Get of Basic, Binary Switch and Multilevel
//! Switch, and the Gets of the reports it reads. Bytes per the Z-Wave Application Command
//! Class Specification (sections named below); they go into a SendData payload.

use super::{Transition, id};

/// Why a command cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Multilevel levels are 0–99, or FF for "back to the last level".
    #[error("level {0} is not 0–99 (or 255 for the last level)")]
    BadLevel(u8),
}

/// Basic Set (4.4.1): 00 off, 01–63 level, FF on.
pub fn basic_set(value: u8) -> Vec<u8> {
    vec![id::BASIC, 0x01, value]
}

/// Basic Get (4.4.2).
pub fn basic_get() -> Vec<u8> {
    vec![id::BASIC, 0x02]
}

/// Binary Switch Set (4.13.1): FF on, 00 off; a duration from v2.
pub fn binary_switch_set(on: bool, duration: Option<Transition>) -> Vec<u8> {
    let mut bytes = vec![id::BINARY_SWITCH, 0x01, if on { 0xFF } else { 0x00 }];
    bytes.extend(duration.map(Transition::byte));
    bytes
}

/// Binary Switch Get (4.13.2).
pub fn binary_switch_get() -> Vec<u8> {
    vec![id::BINARY_SWITCH, 0x02]
}

/// Multilevel Switch Set (4.20.1): 0–99, or FF for the last non-zero level; a duration
/// from v2.
pub fn multilevel_switch_set(
    level: u8,
    duration: Option<Transition>,
) -> Result<Vec<u8>, CommandError> {
    if level > 99 && level != 0xFF {
        return Err(CommandError::BadLevel(level));
    }
    let mut bytes = vec![id::MULTILEVEL_SWITCH, 0x01, level];
    bytes.extend(duration.map(Transition::byte));
    Ok(bytes)
}

/// Multilevel Switch Get (4.20.2).
pub fn multilevel_switch_get() -> Vec<u8> {
    vec![id::MULTILEVEL_SWITCH, 0x02]
}

/// Multilevel Sensor Get (4.38.3, v5+): a sensor type and scale.
pub fn sensor_multilevel_get(sensor_type: u8, scale: u8) -> Vec<u8> {
    vec![
        id::SENSOR_MULTILEVEL,
        0x04,
        sensor_type,
        (scale & 0x03) << 3,
    ]
}

/// Battery Get (4.10.2).
pub fn battery_get() -> Vec<u8> {
    vec![id::BATTERY, 0x02]
}

/// Thermostat Setpoint Get (4.63.2).
pub fn thermostat_setpoint_get(setpoint_type: u8) -> Vec<u8> {
    vec![id::THERMOSTAT_SETPOINT, 0x02, setpoint_type & 0x0F]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_switch_set_on_over_two_minutes() {
        // zwave-js packages/zwave-js/src/lib/test/cc/BinarySwitchCC.test.ts:
        // 25 Binary Switch · 01 Set · FF on · 81 two minutes
        let set = binary_switch_set(true, Some(Transition::Minutes(2)));
        assert_eq!(set, [0x25, 0x01, 0xFF, 0x81]);
        assert_eq!(binary_switch_set(false, None), [0x25, 0x01, 0x00]);
        assert_eq!(binary_switch_get(), [0x25, 0x02]);
    }

    #[test]
    fn basic_and_multilevel() {
        assert_eq!(basic_set(0xFF), [0x20, 0x01, 0xFF]);
        assert_eq!(basic_get(), [0x20, 0x02]);
        // 26 Multilevel Switch · 01 Set · 63 = 99 % · 00 instantly
        let set = multilevel_switch_set(99, Some(Transition::Seconds(0)));
        assert_eq!(set, Ok(vec![0x26, 0x01, 0x63, 0x00]));
        assert_eq!(
            multilevel_switch_set(0xFF, None),
            Ok(vec![0x26, 0x01, 0xFF])
        );
        assert_eq!(
            multilevel_switch_set(100, None),
            Err(CommandError::BadLevel(100))
        );
        assert_eq!(multilevel_switch_get(), [0x26, 0x02]);
    }

    #[test]
    fn gets() {
        // 31 · 04 Get · 01 air temperature · 08 = scale 1 (°F) << 3
        assert_eq!(sensor_multilevel_get(0x01, 1), [0x31, 0x04, 0x01, 0x08]);
        assert_eq!(battery_get(), [0x80, 0x02]);
        assert_eq!(thermostat_setpoint_get(1), [0x43, 0x02, 0x01]);
    }
}

//! The commands MIRAI sends to nodes: Set and Get of Basic, Binary Switch and Multilevel
//! Switch, and the Gets of the reports it reads. Bytes per the Z-Wave Application Command
//! Class Specification (sections named below); they go into a SendData payload.

use super::{Transition, id};

/// Why a command cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// Multilevel levels are 0–99, or FF for "back to the last level".
    #[error("level {0} is not 0–99 (or 255 for the last level)")]
    BadLevel(u8),
    /// A number that does not fit two bytes at one decimal.
    #[error("{0} cannot be sent: not a number from -3276.8 to 3276.7")]
    BadValue(f64),
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

/// Multilevel Sensor Supported Get Sensor (4.38.1, v5+): which types the node has.
pub fn sensor_multilevel_supported_get() -> Vec<u8> {
    vec![id::SENSOR_MULTILEVEL, 0x01]
}

/// Meter Get (4.22.2): a scale (0 kWh, 2 W for electric meters) from v2; v1 meters ignore it.
pub fn meter_get(scale: u8) -> Vec<u8> {
    vec![id::METER, 0x01, (scale & 0x07) << 3]
}

/// Thermostat Mode Set (4.61.1): 00 off, 01 heat, 02 cool, 03 auto…
pub fn thermostat_mode_set(mode: u8) -> Vec<u8> {
    vec![id::THERMOSTAT_MODE, 0x01, mode & 0x1F]
}

/// Thermostat Mode Get (4.61.2).
pub fn thermostat_mode_get() -> Vec<u8> {
    vec![id::THERMOSTAT_MODE, 0x02]
}

/// Thermostat Setpoint Set (4.63.1): a type (01 heating, 02 cooling) and a value in scale
/// 0 (°C) or 1 (°F), sent with one decimal.
pub fn thermostat_setpoint_set(
    setpoint_type: u8,
    value: f64,
    scale: u8,
) -> Result<Vec<u8>, CommandError> {
    let mut bytes = vec![id::THERMOSTAT_SETPOINT, 0x01, setpoint_type & 0x0F];
    bytes.extend(super::value::encode(value, 1, scale).ok_or(CommandError::BadValue(value))?);
    Ok(bytes)
}

/// Door Lock Operation Get (4.26.2).
pub fn door_lock_get() -> Vec<u8> {
    vec![id::DOOR_LOCK, 0x02]
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
        assert_eq!(sensor_multilevel_supported_get(), [0x31, 0x01]);
        // 32 Meter · 01 Get · 10 = scale 2 (W) << 3
        assert_eq!(meter_get(2), [0x32, 0x01, 0x10]);
        assert_eq!(thermostat_mode_get(), [0x40, 0x02]);
        assert_eq!(door_lock_get(), [0x62, 0x02]);
    }

    #[test]
    fn thermostat_sets() {
        // 40 Thermostat Mode · 01 Set · 01 heat
        assert_eq!(thermostat_mode_set(1), [0x40, 0x01, 0x01]);
        // 43 Thermostat Setpoint · 01 Set · 01 heating · 22 = precision 1, °C, size 2 ·
        // 00 D7 = 215 → 21.5 (the report layout in zwave.md, as a Set)
        let set = thermostat_setpoint_set(1, 21.5, 0);
        assert_eq!(set, Ok(vec![0x43, 0x01, 0x01, 0x22, 0x00, 0xD7]));
        // 2A = precision 1, °F, size 2 · FF 9C = −100 → −10.0 °F
        let cold = thermostat_setpoint_set(1, -10.0, 1);
        assert_eq!(cold, Ok(vec![0x43, 0x01, 0x01, 0x2A, 0xFF, 0x9C]));
        let huge = thermostat_setpoint_set(1, 5000.0, 0);
        assert_eq!(huge, Err(CommandError::BadValue(5000.0)));
        assert!(thermostat_setpoint_set(1, f64::NAN, 0).is_err());
    }
}

//! What the numbers in reports mean: Multilevel Sensor types and scales, Meter scales,
//! Notification events that are on/off states, and Central Scene key attributes, with the
//! Home Assistant device class and unit each becomes.
//!
//! Source: the Z-Wave Alliance "Z-Wave Application Command Class Specification" and its
//! companion tables "Multilevel Sensor Command Class, list of assigned Multilevel Sensor types
//! and scales" and "Notification Command Class, list of assigned Notifications" (SDS13812,
//! SDS13713), as also listed in zwave-js `packages/config/config/sensorTypes.json` and
//! `notifications.json`. Device classes and units are Home Assistant's
//! (<https://www.home-assistant.io/integrations/sensor/#device-class>).

/// One Multilevel Sensor type: its object id, device class and unit per scale.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SensorKind {
    /// The tail of the entity id: `temperature` in `sensor.zwave_4_temperature`.
    pub(crate) object: &'static str,
    /// Home Assistant's device class, if it has one.
    pub(crate) class: Option<&'static str>,
    /// Units by scale 0, 1, 2, 3.
    pub(crate) units: &'static [&'static str],
}

const fn kind(
    object: &'static str,
    class: Option<&'static str>,
    units: &'static [&'static str],
) -> SensorKind {
    SensorKind {
        object,
        class,
        units,
    }
}

const TEMPERATURE: &[&str] = &["°C", "°F"];

/// The sensor types MIRAI names; others become `sensor_<type>` without a class.
const SENSORS: &[(u8, SensorKind)] = &[
    (0x01, kind("temperature", Some("temperature"), TEMPERATURE)),
    (0x02, kind("general", None, &["%", ""])),
    (0x03, kind("illuminance", Some("illuminance"), &["%", "lx"])),
    (0x04, kind("power", Some("power"), &["W", "BTU/h"])),
    (0x05, kind("humidity", Some("humidity"), &["%", "g/m³"])),
    (0x06, kind("velocity", Some("wind_speed"), &["m/s", "mph"])),
    (0x07, kind("direction", None, &["°"])),
    (
        0x08,
        kind(
            "atmospheric_pressure",
            Some("atmospheric_pressure"),
            &["kPa", "inHg"],
        ),
    ),
    (
        0x09,
        kind(
            "barometric_pressure",
            Some("atmospheric_pressure"),
            &["kPa", "inHg"],
        ),
    ),
    (0x0A, kind("solar_radiation", Some("irradiance"), &["W/m²"])),
    (0x0B, kind("dew_point", Some("temperature"), TEMPERATURE)),
    (
        0x0C,
        kind(
            "rain_rate",
            Some("precipitation_intensity"),
            &["mm/h", "in/h"],
        ),
    ),
    (0x0D, kind("tide_level", Some("distance"), &["m", "ft"])),
    (0x0E, kind("weight", Some("weight"), &["kg", "lb"])),
    (0x0F, kind("voltage", Some("voltage"), &["V", "mV"])),
    (0x10, kind("current", Some("current"), &["A", "mA"])),
    (0x11, kind("co2", Some("carbon_dioxide"), &["ppm"])),
    (
        0x12,
        kind("air_flow", Some("volume_flow_rate"), &["m³/h", "ft³/min"]),
    ),
    (
        0x13,
        kind("tank_capacity", Some("volume"), &["L", "m³", "gal"]),
    ),
    (0x14, kind("distance", Some("distance"), &["m", "cm", "ft"])),
    (
        0x17,
        kind("water_temperature", Some("temperature"), TEMPERATURE),
    ),
    (
        0x18,
        kind("soil_temperature", Some("temperature"), TEMPERATURE),
    ),
    (0x1B, kind("ultraviolet", None, &["UV index"])),
    (
        0x1E,
        kind("loudness", Some("sound_pressure"), &["dB", "dBA"]),
    ),
    (0x1F, kind("moisture", Some("moisture"), &["%"])),
    (0x20, kind("frequency", Some("frequency"), &["Hz", "kHz"])),
    (0x23, kind("pm25", Some("pm25"), &["mol/m³", "µg/m³"])),
    (
        0x28,
        kind("co", Some("carbon_monoxide"), &["mol/m³", "ppm"]),
    ),
];

/// Multilevel Sensor type `sensor_type`, if MIRAI names it.
pub(crate) fn sensor(sensor_type: u8) -> Option<SensorKind> {
    SENSORS
        .iter()
        .find(|(t, _)| *t == sensor_type)
        .map(|(_, k)| *k)
}

/// What one meter scale is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MeterKind {
    /// The tail of the entity id.
    pub(crate) object: &'static str,
    /// Home Assistant's device class.
    pub(crate) class: Option<&'static str>,
    /// The unit.
    pub(crate) unit: &'static str,
    /// `total_increasing` for counters, `measurement` for rates.
    pub(crate) state_class: &'static str,
}

const TOTAL: &str = "total_increasing";
const NOW: &str = "measurement";

/// Meter type (1 electric, 2 gas, 3 water) and scale (with scale bit 2 from the first byte).
pub(crate) fn meter(meter_type: u8, scale: u8) -> Option<MeterKind> {
    let (object, class, unit, state_class) = match (meter_type, scale) {
        (1, 0) => ("energy", Some("energy"), "kWh", TOTAL),
        (1, 1) => ("apparent_energy", None, "kVAh", TOTAL),
        (1, 2) => ("power", Some("power"), "W", NOW),
        (1, 3) => ("pulses", None, "", TOTAL),
        (1, 4) => ("voltage", Some("voltage"), "V", NOW),
        (1, 5) => ("current", Some("current"), "A", NOW),
        (1, 6) => ("power_factor", Some("power_factor"), "", NOW),
        (2, 0) => ("gas", Some("gas"), "m³", TOTAL),
        (2, 1) => ("gas", Some("gas"), "ft³", TOTAL),
        (3, 0) => ("water", Some("water"), "m³", TOTAL),
        (3, 1) => ("water", Some("water"), "ft³", TOTAL),
        (3, 2) => ("water", Some("water"), "gal", TOTAL),
        _ => return None,
    };
    Some(MeterKind {
        object,
        class,
        unit,
        state_class,
    })
}

/// An on/off state a Notification event sets: the entity's object id, name and class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Alarm {
    /// The tail of the entity id: `motion` in `binary_sensor.zwave_5_motion`.
    pub(crate) object: &'static str,
    /// What people call it.
    pub(crate) name: &'static str,
    /// Home Assistant's binary sensor device class.
    pub(crate) class: &'static str,
}

const fn alarm(object: &'static str, name: &'static str, class: &'static str) -> Alarm {
    Alarm {
        object,
        name,
        class,
    }
}

/// (notification type, event, the state it sets, what it is). Each type's event 00 is "idle":
/// its parameter names the event that ended.
const ALARMS: &[(u8, u8, bool, Alarm)] = &[
    (0x01, 0x01, true, alarm("smoke", "smoke", "smoke")),
    (0x01, 0x02, true, alarm("smoke", "smoke", "smoke")),
    (0x02, 0x01, true, alarm("co", "CO", "carbon_monoxide")),
    (0x02, 0x02, true, alarm("co", "CO", "carbon_monoxide")),
    (0x03, 0x01, true, alarm("co2", "CO2", "gas")),
    (0x03, 0x02, true, alarm("co2", "CO2", "gas")),
    (0x04, 0x01, true, alarm("heat", "heat", "heat")),
    (0x04, 0x02, true, alarm("heat", "heat", "heat")),
    (
        0x05,
        0x01,
        true,
        alarm("water_leak", "water leak", "moisture"),
    ),
    (
        0x05,
        0x02,
        true,
        alarm("water_leak", "water leak", "moisture"),
    ),
    (0x06, 0x16, true, alarm("door", "door", "door")),
    (0x06, 0x17, false, alarm("door", "door", "door")),
    (0x07, 0x01, true, alarm("intrusion", "intrusion", "safety")),
    (0x07, 0x02, true, alarm("intrusion", "intrusion", "safety")),
    (0x07, 0x03, true, alarm("tamper", "tamper", "tamper")),
    (0x07, 0x07, true, alarm("motion", "motion", "motion")),
    (0x07, 0x08, true, alarm("motion", "motion", "motion")),
];

/// Access Control (06) event 0B: the lock is jammed.
pub(crate) const LOCK_JAMMED: (u8, u8) = (0x06, 0x0B);

/// What event `event` of notification type `notification_type` sets, if it is an on/off
/// state; `params` are the event's parameters (an idle event's first names the event that
/// ended). An idle event without a parameter ends every state of its type: the list.
pub(crate) fn alarms(notification_type: u8, event: u8, params: &[u8]) -> Vec<(Alarm, bool)> {
    let of_type = ALARMS.iter().filter(|(t, ..)| *t == notification_type);
    if event != 0 {
        return of_type
            .filter(|(_, e, ..)| *e == event)
            .map(|(_, _, on, a)| (*a, *on))
            .collect();
    }
    let mut ended: Vec<(Alarm, bool)> = of_type
        .filter(|(_, e, ..)| params.first().is_none_or(|p| p == e))
        .map(|(.., a)| (*a, false))
        .collect();
    ended.dedup();
    ended
}

/// Central Scene key attributes (CC spec 4.16.5): 0 pressed once, 1 released, 2 held down,
/// 3–6 pressed 2–5 times.
pub(crate) const KEY_ACTIONS: [&str; 7] = [
    "pressed",
    "released",
    "held",
    "pressed_2x",
    "pressed_3x",
    "pressed_4x",
    "pressed_5x",
];

/// Thermostat modes (CC spec 4.61.1) as Home Assistant's HVAC modes, both ways.
const MODES: &[(u8, &str)] = &[
    (0x00, "off"),
    (0x01, "heat"),
    (0x02, "cool"),
    (0x03, "auto"),
    (0x06, "fan_only"),
    (0x08, "dry"),
    (0x0A, "heat_cool"),
];

/// The HVAC mode a Thermostat Mode is (auxiliary and energy-saving heat are heat…).
pub(crate) fn hvac_mode(mode: u8) -> &'static str {
    match mode {
        0x04 | 0x07 | 0x0B | 0x0F => "heat",
        0x0C => "cool",
        _ => MODES
            .iter()
            .find(|(m, _)| *m == mode)
            .map_or("auto", |(_, name)| name),
    }
}

/// The Thermostat Mode for an HVAC mode name.
pub(crate) fn thermostat_mode(name: &str) -> Option<u8> {
    MODES.iter().find(|(_, n)| *n == name).map(|(m, _)| *m)
}

/// The HVAC modes MIRAI offers.
pub(crate) const HVAC_MODES: [&str; 4] = ["off", "heat", "cool", "auto"];

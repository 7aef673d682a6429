//! The clusters MIRAI reads and drives: their ids, the attributes it reads, the commands it
//! sends, and an attribute value turned into a typed [`Reading`].
//!
//! Ids and units from the ZCL specification (07-5123, chapters 3, 4 and 5) as zigbee-herdsman
//! names them in src/zspec/zcl/definition/cluster.ts.

use super::header::{Frame, FrameType, Header};
use super::{Value, ZclError};

/// Cluster ids.
pub mod id {
    /// Basic: who made the device and what it is.
    pub const BASIC: u16 = 0x0000;
    /// Power Configuration: the battery.
    pub const POWER_CONFIGURATION: u16 = 0x0001;
    /// Identify.
    pub const IDENTIFY: u16 = 0x0003;
    /// On/Off.
    pub const ON_OFF: u16 = 0x0006;
    /// Level Control.
    pub const LEVEL: u16 = 0x0008;
    /// Color Control.
    pub const COLOR: u16 = 0x0300;
    /// Temperature Measurement.
    pub const TEMPERATURE: u16 = 0x0402;
    /// Relative Humidity Measurement.
    pub const HUMIDITY: u16 = 0x0405;
    /// Occupancy Sensing.
    pub const OCCUPANCY: u16 = 0x0406;
    /// IAS Zone: alarms (contact, motion, leak, smoke…).
    pub const IAS_ZONE: u16 = 0x0500;
}

/// Attribute ids, by cluster.
pub mod attr {
    /// Basic: manufacturer name (char string).
    pub const MANUFACTURER: u16 = 0x0004;
    /// Basic: model identifier (char string).
    pub const MODEL: u16 = 0x0005;
    /// Basic: power source (enum8; 0x03 battery, 0x01 mains…).
    pub const POWER_SOURCE: u16 = 0x0007;
    /// Power Configuration: battery voltage (uint8, 100 mV).
    pub const BATTERY_VOLTAGE: u16 = 0x0020;
    /// Power Configuration: battery remaining (uint8, half percent).
    pub const BATTERY_PERCENT: u16 = 0x0021;
    /// On/Off: on (bool).
    pub const ON_OFF: u16 = 0x0000;
    /// Level Control: current level (uint8, 0–254).
    pub const CURRENT_LEVEL: u16 = 0x0000;
    /// Color Control: current x (uint16, /65536).
    pub const CURRENT_X: u16 = 0x0003;
    /// Color Control: current y (uint16, /65536).
    pub const CURRENT_Y: u16 = 0x0004;
    /// Color Control: color temperature (uint16, mireds).
    pub const COLOR_TEMPERATURE: u16 = 0x0007;
    /// Color Control: color mode (enum8: 0 hue/saturation, 1 xy, 2 temperature).
    pub const COLOR_MODE: u16 = 0x0008;
    /// Measurement clusters: measured value (int16 / uint16, hundredths).
    pub const MEASURED_VALUE: u16 = 0x0000;
    /// Occupancy Sensing: occupancy (bitmap8, bit 0 occupied).
    pub const OCCUPANCY: u16 = 0x0000;
    /// IAS Zone: zone state (enum8, 1 enrolled).
    pub const ZONE_STATE: u16 = 0x0000;
    /// IAS Zone: zone type (enum16).
    pub const ZONE_TYPE: u16 = 0x0001;
    /// IAS Zone: zone status (bitmap16).
    pub const ZONE_STATUS: u16 = 0x0002;
    /// IAS Zone: the CIE's IEEE address (EUI64), where the zone sends its alarms.
    pub const CIE_ADDRESS: u16 = 0x0010;
}

/// On/Off cluster commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOff {
    /// 0x00.
    Off,
    /// 0x01.
    On,
    /// 0x02.
    Toggle,
}

/// A cluster-specific command to a device's server cluster.
fn command(id: u8, payload: Vec<u8>) -> Frame {
    Frame {
        header: Header::to_server(FrameType::Cluster, id),
        payload,
    }
}

/// On/Off 0x00 / 0x01 / 0x02, no payload.
pub fn on_off(which: OnOff) -> Frame {
    command(which as u8, Vec::new())
}

/// Level Control 0x04 MoveToLevelWithOnOff: go to `level` (0–254) over `transition` tenths
/// of a second, switching on or off with it.
pub fn move_to_level_with_on_off(level: u8, transition: u16) -> Frame {
    let mut p = vec![level.min(254)];
    p.extend_from_slice(&transition.to_le_bytes());
    command(0x04, p)
}

/// Color Control 0x07 MoveToColor: go to CIE `x`, `y` (each /65536, at most 0xFEFF) over
/// `transition` tenths of a second.
pub fn move_to_color(x: u16, y: u16, transition: u16) -> Frame {
    let mut p = Vec::with_capacity(6);
    for v in [x.min(0xFEFF), y.min(0xFEFF), transition] {
        p.extend_from_slice(&v.to_le_bytes());
    }
    command(0x07, p)
}

/// Color Control 0x0A MoveToColorTemperature: go to `mireds` over `transition` tenths of a
/// second.
pub fn move_to_color_temperature(mireds: u16, transition: u16) -> Frame {
    let mut p = mireds.to_le_bytes().to_vec();
    p.extend_from_slice(&transition.to_le_bytes());
    command(0x0A, p)
}

/// An attribute value as MIRAI understands it.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Basic: who made it.
    Manufacturer(String),
    /// Basic: what it is.
    Model(String),
    /// Basic: the power source number (bit 7: a battery backs it up).
    PowerSource(u8),
    /// Battery voltage in volts; `None` when the device says "invalid".
    BatteryVoltage(Option<f32>),
    /// Battery remaining, percent; `None` when the device says "invalid".
    BatteryPercent(Option<f32>),
    /// On or off.
    On(bool),
    /// Current level, 0–254.
    Level(u8),
    /// Color x, /65536.
    ColorX(u16),
    /// Color y, /65536.
    ColorY(u16),
    /// Color temperature, mireds.
    ColorTemperature(u16),
    /// Color mode: 0 hue/saturation, 1 xy, 2 temperature.
    ColorMode(u8),
    /// Temperature, °C; `None` for 0x8000, "invalid".
    Temperature(Option<f32>),
    /// Relative humidity, %; `None` for 0xFFFF, "invalid".
    Humidity(Option<f32>),
    /// Someone is there.
    Occupied(bool),
    /// IAS Zone: enrolled with a CIE.
    ZoneEnrolled(bool),
    /// IAS Zone: the zone type (0x0015 contact, 0x002A water…).
    ZoneType(u16),
    /// IAS Zone: the status bits (see [`super::ias::ZoneStatus`]).
    ZoneStatus(u16),
    /// IAS Zone: the CIE address the zone reports to.
    CieAddress(u64),
}

impl Reading {
    /// `value` of `attribute` in `cluster` as a reading: `Ok(None)` for an attribute MIRAI
    /// does not read, an error for a value of the wrong type.
    pub fn decode(
        cluster: u16,
        attribute: u16,
        value: &Value,
    ) -> Result<Option<Reading>, ZclError> {
        let wrong = |expected: &'static str| ZclError::WrongType {
            cluster,
            attribute,
            expected,
            got: super::types::type_name(value.type_id()),
        };
        let text = || {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| wrong("a char string"))
        };
        let unsigned = |max: u64, expected| {
            value
                .as_u64()
                .filter(|&v| v <= max)
                .ok_or_else(|| wrong(expected))
        };
        let byte = || unsigned(0xFF, "an 8-bit number").map(|v| v as u8);
        let word = || unsigned(0xFFFF, "a 16-bit number").map(|v| v as u16);
        let scaled = |v: u8, divisor: f32| (v != 0xFF).then_some(f32::from(v) / divisor);
        use attr::*;
        Ok(Some(match (cluster, attribute) {
            (id::BASIC, MANUFACTURER) => Reading::Manufacturer(text()?.trim().to_owned()),
            (id::BASIC, MODEL) => Reading::Model(text()?.trim().to_owned()),
            (id::BASIC, POWER_SOURCE) => Reading::PowerSource(byte()?),
            (id::POWER_CONFIGURATION, BATTERY_VOLTAGE) => {
                Reading::BatteryVoltage(scaled(byte()?, 10.0))
            }
            (id::POWER_CONFIGURATION, BATTERY_PERCENT) => {
                Reading::BatteryPercent(scaled(byte()?, 2.0))
            }
            (id::ON_OFF, ON_OFF) => match value {
                Value::Bool(Some(b)) => Reading::On(*b),
                _ => return Err(wrong("a bool")),
            },
            (id::LEVEL, CURRENT_LEVEL) => Reading::Level(byte()?),
            (id::COLOR, CURRENT_X) => Reading::ColorX(word()?),
            (id::COLOR, CURRENT_Y) => Reading::ColorY(word()?),
            (id::COLOR, COLOR_TEMPERATURE) => Reading::ColorTemperature(word()?),
            (id::COLOR, COLOR_MODE) => Reading::ColorMode(byte()?),
            (id::TEMPERATURE, MEASURED_VALUE) => {
                let v = value.as_i64().filter(|v| (-0x8000..=0x7FFF).contains(v));
                let v = v.ok_or_else(|| wrong("a signed 16-bit number"))?;
                Reading::Temperature((v != -0x8000).then_some(v as f32 / 100.0))
            }
            (id::HUMIDITY, MEASURED_VALUE) => {
                let v = word()?;
                Reading::Humidity((v != 0xFFFF).then_some(f32::from(v) / 100.0))
            }
            (id::OCCUPANCY, OCCUPANCY) => Reading::Occupied(byte()? & 1 != 0),
            (id::IAS_ZONE, ZONE_STATE) => Reading::ZoneEnrolled(byte()? == 1),
            (id::IAS_ZONE, ZONE_TYPE) => Reading::ZoneType(word()?),
            (id::IAS_ZONE, ZONE_STATUS) => Reading::ZoneStatus(word()?),
            (id::IAS_ZONE, CIE_ADDRESS) => match value {
                Value::Eui64(ieee) => Reading::CieAddress(*ieee),
                _ => return Err(wrong("an EUI64")),
            },
            _ => return Ok(None),
        }))
    }
}

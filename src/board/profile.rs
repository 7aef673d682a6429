//! The YAML shape of a board profile (`boards/*.yaml`) and the checks serde cannot make.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::BoardError;

/// The highest BCM GPIO number on the 40-pin header.
pub const MAX_HEADER_PIN: u8 = 27;

/// One board: its build target, where its USB sticks show up, and its GPIO pins.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name (`rpi4b`).
    pub name: String,
    /// The start of the device-tree model it matches ("Raspberry Pi 4 Model B"); none for
    /// the generic profile.
    pub model: Option<String>,
    /// The Rust target triple of its 64-bit OS.
    pub target: String,
    /// The target of its 32-bit OS, if it has one.
    #[serde(default)]
    pub target_32bit: Option<String>,
    /// Serial paths of USB sticks, most specific first.
    pub serial: SerialPaths,
    /// Its GPIO pins; none on machines without a header.
    pub gpio: Option<GpioPins>,
}

/// Where Zigbee and Z-Wave sticks appear; `*` matches any characters in a file name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SerialPaths {
    /// Zigbee coordinators.
    pub zigbee: Vec<String>,
    /// Z-Wave controllers.
    pub zwave: Vec<String>,
}

/// The GPIO pins of a board's suggested wiring (BCM numbers).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GpioPins {
    /// The GPIO character device.
    pub chip: PathBuf,
    /// The status LED.
    pub status_led: Option<LedPins>,
    /// The button.
    pub button: Option<ButtonPins>,
    /// Suggested relay pins (used only when the config lists relays).
    #[serde(default)]
    pub relays: Vec<RelayPins>,
}

/// The status LED's pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LedPins {
    /// BCM number.
    pub pin: u8,
    /// On is a low output.
    pub active_low: bool,
}

/// Pull resistor of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pull {
    /// To 3.3 V (a button to ground).
    Up,
    /// To ground (a button to 3.3 V).
    Down,
    /// None (an external resistor).
    Off,
}

/// The button's pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonPins {
    /// BCM number.
    pub pin: u8,
    /// Pressed reads low.
    pub active_low: bool,
    /// Its pull resistor.
    pub pull: Pull,
    /// How long the level must hold before a press counts.
    pub debounce_ms: u32,
}

/// A suggested relay pin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RelayPins {
    /// A name for it.
    pub name: String,
    /// BCM number.
    pub pin: u8,
    /// On is a low output.
    pub active_low: bool,
}

impl Profile {
    /// Parses a profile; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, BoardError> {
        let invalid = |message: String| BoardError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        let profile: Profile = serde_yaml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if profile.name.trim().is_empty() {
            return Err(invalid("name: must not be empty".into()));
        }
        if let Some(gpio) = &profile.gpio {
            let pins = gpio.status_led.map(|l| ("status_led", l.pin));
            let pins = pins
                .into_iter()
                .chain(gpio.button.map(|b| ("button", b.pin)))
                .chain(gpio.relays.iter().map(|r| ("relays", r.pin)));
            let mut seen = Vec::new();
            for (key, pin) in pins {
                if pin > MAX_HEADER_PIN {
                    return Err(invalid(format!(
                        "gpio.{key}: pin {pin} is not a header GPIO (0..={MAX_HEADER_PIN})"
                    )));
                }
                if seen.contains(&pin) {
                    return Err(invalid(format!("gpio.{key}: pin {pin} is used twice")));
                }
                seen.push(pin);
            }
        }
        Ok(profile)
    }
}

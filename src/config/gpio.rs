//! The `board` key and the `gpio` section: which board profile to use, and the status LED,
//! button and relays wired to its header. Pins left out come from the board's profile.

use serde::{Deserialize, Serialize};

use crate::board::{self, MAX_HEADER_PIN};

/// The longest button action text.
const MAX_ACTION_CHARS: usize = 500;
/// The button action that starts listening on a voice satellite instead of asking.
pub const PUSH_TO_TALK: &str = "push_to_talk";

/// GPIO pins driven by the daemon.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gpio {
    /// Drive the pins (`mirai serve`); on a machine without GPIO it is reported unavailable.
    pub enabled: bool,
    /// The status LED.
    pub led: GpioLed,
    /// The button.
    pub button: GpioButton,
    /// Relays, each a switch entity.
    pub relays: Vec<GpioRelay>,
}

/// The status LED: steady when idle, blinking while thinking, fast blinking on an error.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GpioLed {
    /// Show the hub's state on it.
    pub enabled: bool,
    /// BCM number; the board profile's when absent.
    pub pin: Option<u8>,
    /// On is a low output; the board profile's when absent.
    pub active_low: Option<bool>,
}

impl Default for GpioLed {
    fn default() -> Self {
        GpioLed {
            enabled: true,
            pin: None,
            active_low: None,
        }
    }
}

/// The button.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GpioButton {
    /// BCM number; the board profile's when absent.
    pub pin: Option<u8>,
    /// Pressed reads low (a button to ground, pull-up on); the board profile's when absent.
    pub active_low: Option<bool>,
    /// How long the level must hold before a press counts; the board profile's when absent.
    pub debounce_ms: Option<u32>,
    /// What a press does: words asked as a request from source `gpio` ("morning briefing"),
    /// or `push_to_talk` (Hermes `startListening` on MQTT). No action, no button.
    pub action: Option<String>,
    /// The Hermes site that starts listening on `push_to_talk`.
    pub site_id: String,
}

impl Default for GpioButton {
    fn default() -> Self {
        GpioButton {
            pin: None,
            active_low: None,
            debounce_ms: None,
            action: None,
            site_id: "default".into(),
        }
    }
}

/// One relay: a switch entity `switch.gpio_<pin>` that goes through the safety gate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GpioRelay {
    /// BCM number.
    pub pin: u8,
    /// What people call it ("Garden pump").
    pub name: String,
    /// The area id (`garden`).
    #[serde(default)]
    pub area: Option<String>,
    /// On is a low output (most relay boards); the board profile's relay on the same pin
    /// says when absent, else off.
    #[serde(default)]
    pub active_low: Option<bool>,
}

/// `board` names a profile, a file or `auto`; `gpio` pins are header pins, each used once,
/// names and actions are not blank.
pub(super) fn check(board_setting: &str, g: &Gpio) -> Result<(), (&'static str, String)> {
    if board_setting != board::AUTO
        && board::builtin(board_setting).is_none()
        && !board::looks_like_path(board_setting)
    {
        return Err((
            "board",
            format!(
                "unknown board {board_setting:?}: expected auto, one of {}, or a path to a profile file",
                board::names().join(", ")
            ),
        ));
    }
    if board::looks_like_path(board_setting) {
        let path = std::path::Path::new(board_setting);
        board::from_file(path).map_err(|e| ("board", e.to_string()))?;
    }
    let pins = [
        ("gpio.led.pin", g.led.pin),
        ("gpio.button.pin", g.button.pin),
    ];
    let pins = pins
        .into_iter()
        .filter_map(|(k, p)| Some((k, p?)))
        .chain(g.relays.iter().map(|r| ("gpio.relays", r.pin)));
    let mut seen = Vec::new();
    for (key, pin) in pins {
        if pin > MAX_HEADER_PIN {
            let m = format!(
                "pin {pin} is not a header GPIO: expected a BCM number 0..={MAX_HEADER_PIN}"
            );
            return Err((key, m));
        }
        if seen.contains(&pin) {
            return Err((key, format!("pin {pin} is used twice")));
        }
        seen.push(pin);
    }
    if let Some(action) = &g.button.action {
        if action.trim().is_empty() || action.chars().count() > MAX_ACTION_CHARS {
            return Err((
                "gpio.button.action",
                format!(
                    "expected {PUSH_TO_TALK} or words to ask (1 to {MAX_ACTION_CHARS} characters)"
                ),
            ));
        }
    }
    if g.button.debounce_ms.is_some_and(|ms| ms > 1000) {
        return Err(("gpio.button.debounce_ms", "expected 0..=1000".into()));
    }
    let blank = |s: &str| s.trim().is_empty();
    if let Some(r) = g
        .relays
        .iter()
        .find(|r| blank(&r.name) || r.area.as_deref().is_some_and(blank))
    {
        return Err((
            "gpio.relays",
            format!("relay on pin {}: name and area must not be empty", r.pin),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod loading {
    use std::path::PathBuf;

    use crate::config::{Config, Env, Origin};

    fn load(text: &str) -> Result<Config, String> {
        let origin = Origin::File(PathBuf::from("mirai.yaml"));
        Config::from_text(text, origin, None, &Env::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_auto_and_off() {
        let config = load("").unwrap();
        assert_eq!(config.settings().board, "auto");
        assert!(!config.settings().gpio.enabled);
    }

    #[test]
    fn relays_buttons_and_boards_load() {
        let text = "board: rpi4b\ngpio:\n  enabled: true\n  button: {action: morning briefing}\n  \
                    relays:\n    - {pin: 22, name: Garden pump, area: garden}\n";
        let config = load(text).unwrap();
        let gpio = &config.settings().gpio;
        assert_eq!(gpio.button.action.as_deref(), Some("morning briefing"));
        assert_eq!(gpio.relays[0].name, "Garden pump");
    }

    #[test]
    fn bad_keys_name_the_key_and_its_place() {
        let e = load("board: rpi9\n").unwrap_err();
        assert!(
            e.starts_with("mirai.yaml:1:1: board: unknown board \"rpi9\""),
            "{e}"
        );
        let e = load("board: /nonexistent/board.yaml\n").unwrap_err();
        let at = "mirai.yaml:1:1: board: cannot read board profile /nonexistent/board.yaml";
        assert!(e.starts_with(at), "{e}");
        let e = load("gpio:\n  led:\n    pin: 40\n").unwrap_err();
        assert!(
            e.starts_with("mirai.yaml:3:5: gpio.led.pin: pin 40 is not a header GPIO"),
            "{e}"
        );
        let e =
            load("gpio:\n  led: {pin: 22}\n  relays:\n    - {pin: 22, name: Pump}\n").unwrap_err();
        assert!(e.contains("gpio.relays: pin 22 is used twice"), "{e}");
        let e = load("gpio:\n  button:\n    action: '  '\n").unwrap_err();
        assert!(
            e.starts_with("mirai.yaml:3:5: gpio.button.action: expected push_to_talk"),
            "{e}"
        );
        let e = load("gpio:\n  relays:\n    - {pin: 5, name: Pump, colour: red}\n").unwrap_err();
        assert!(
            e.starts_with("mirai.yaml:3:") && e.contains("colour"),
            "{e}"
        );
    }
}

//! The `home_assistant` section: the Home Assistant instance MIRAI sees and acts through,
//! and which of its entities MIRAI may see.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;
use super::secret::Forbidden;

/// The link to Home Assistant.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HomeAssistant {
    /// Connect to Home Assistant (`mirai serve`, and the in-process agent of `ask`/`terminal`).
    pub enabled: bool,
    /// `http://host:8123` or `https://…`; the WebSocket API is at `/api/websocket` under it.
    pub url: String,
    /// A file holding a long-lived access token, read when `HA_TOKEN` is unset.
    pub token_file: Option<PathBuf>,
    /// Check the server's certificate (https). Off only for a self-signed Home Assistant on
    /// a trusted network; `ca_file` is the better answer.
    pub verify_tls: bool,
    /// A PEM file with the CA that signed Home Assistant's certificate (relative to
    /// `data_dir`); the public web roots when absent.
    pub ca_file: Option<PathBuf>,
    /// How long one REST call or WebSocket command may take.
    #[serde(
        rename = "timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 120>",
        serialize_with = "bounds::ser_secs"
    )]
    pub timeout: Duration,
    /// After a service call, how long to wait for the entity to reach the state asked for
    /// before saying it did not.
    #[serde(
        rename = "readback_ms",
        deserialize_with = "bounds::millis::<_, 0, 30000>",
        serialize_with = "bounds::ser_millis"
    )]
    pub readback: Duration,
    /// Fire `mirai_reply`, `mirai_action` and `mirai_blocked` events for automations.
    pub events: bool,
    /// Which entities MIRAI sees.
    pub expose: Expose,
    #[serde(skip_serializing)]
    #[doc(hidden)]
    pub token: Option<Forbidden>,
}

impl Default for HomeAssistant {
    fn default() -> Self {
        HomeAssistant {
            enabled: false,
            url: "http://127.0.0.1:8123".into(),
            token_file: None,
            verify_tls: true,
            ca_file: None,
            timeout: Duration::from_secs(10),
            readback: Duration::from_millis(2000),
            events: true,
            expose: Expose::default(),
            token: None,
        }
    }
}

/// Exposure: by default what Home Assistant's own Assist exposes; locks and alarm panels
/// only when switched on; then the lists, deny before allow.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Expose {
    /// Domains exposed whole.
    pub domains: Vec<String>,
    /// Sensor device classes exposed (other sensors are not).
    pub sensor_classes: Vec<String>,
    /// Binary sensor device classes exposed.
    pub binary_sensor_classes: Vec<String>,
    /// Expose `lock.*` (every action on a lock still passes the action gate).
    pub locks: bool,
    /// Expose `alarm_control_panel.*`.
    pub alarm_panels: bool,
    /// Entity id globs exposed whatever their domain (`switch.garden_*`).
    pub include: Vec<String>,
    /// Entity id globs never exposed; wins over everything else.
    pub exclude: Vec<String>,
    /// Only entities in these areas (ids or names); every area when empty.
    pub areas: Vec<String>,
    /// Never entities in these areas.
    pub exclude_areas: Vec<String>,
}

impl Default for Expose {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        Expose {
            domains: list(&[
                "light",
                "switch",
                "fan",
                "cover",
                "climate",
                "media_player",
                "scene",
                "script",
                "vacuum",
                "humidifier",
                "water_heater",
                "todo",
            ]),
            sensor_classes: list(&[
                "temperature",
                "humidity",
                "aqi",
                "co",
                "co2",
                "pm10",
                "pm25",
                "volatile_organic_compounds",
            ]),
            binary_sensor_classes: list(&[
                "door",
                "garage_door",
                "lock",
                "motion",
                "opening",
                "presence",
                "window",
            ]),
            locks: false,
            alarm_panels: false,
            include: Vec::new(),
            exclude: Vec::new(),
            areas: Vec::new(),
            exclude_areas: Vec::new(),
        }
    }
}

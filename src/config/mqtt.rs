//! The `mqtt` section: the broker the daemon joins for voice commands and Home Assistant.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;
use super::secret::Forbidden;

/// The MQTT connection.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mqtt {
    /// Join the broker (`mirai serve`).
    pub enabled: bool,
    /// `mqtt://host:port`.
    pub url: String,
    /// This hub's id: topics are `mirai/<hub_id>/…`, the client id `mirai-<hub_id>`.
    pub hub_id: String,
    /// User name, if the broker wants one.
    pub username: Option<String>,
    /// A file holding the password, read when `MQTT_PASSWORD` is unset.
    pub password_file: Option<PathBuf>,
    /// Seconds between keep-alive pings.
    #[serde(
        rename = "keep_alive_s",
        deserialize_with = "bounds::secs::<_, 5, 3600>",
        serialize_with = "bounds::ser_secs"
    )]
    pub keep_alive: Duration,
    /// Answer Rhasspy's Hermes topics too.
    pub hermes: bool,
    /// Home Assistant's discovery prefix; `null` announces nothing.
    pub discovery_prefix: Option<String>,
    /// For `mqtts://`: a PEM file with the CA that signed the broker's certificate (relative to
    /// `data_dir`); the public web roots when absent.
    pub ca_file: Option<PathBuf>,
    /// Publish a model's reply sentence by sentence on `mirai/<hub_id>/reply/partial` as it
    /// is written, so a speaker can start early.
    pub partial_replies: bool,
    #[serde(skip_serializing)]
    #[doc(hidden)]
    pub password: Option<Forbidden>,
}

impl Default for Mqtt {
    fn default() -> Self {
        Mqtt {
            enabled: true,
            url: "mqtt://127.0.0.1:1883".into(),
            hub_id: "home".into(),
            username: None,
            password_file: None,
            keep_alive: Duration::from_secs(30),
            hermes: true,
            discovery_prefix: Some("homeassistant".into()),
            ca_file: None,
            partial_replies: false,
            password: None,
        }
    }
}

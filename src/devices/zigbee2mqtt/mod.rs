//! Zigbee through a Zigbee2MQTT that already runs beside the hub (issue #10): its devices in
//! the registry, their state from its MQTT topics, service calls as `/set` messages whose
//! result is the state the device reports back.
//!
//! Topics under the base topic `B` (default `zigbee2mqtt`), as "MQTT Topics and Messages"
//! (<https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html>) documents them:
//! `B/bridge/devices` (retained device list), `B/bridge/state` (`{"state":"online"}`, or
//! plain `online` before 2.0), `B/<friendly_name>` (JSON state, partial updates merged),
//! `B/<friendly_name>/availability` (`{"state":"online"|"offline"}`, or the legacy plain
//! words), `B/<friendly_name>/set` (commands), `B/bridge/request/permit_join` `{"time": N}`
//! answered on `B/bridge/response/permit_join`.
//!
//! Zigbee2MQTT announces its devices to Home Assistant itself, so this back end has no change
//! feed: the MQTT front end does not mirror its entities (they would show twice).
//!
//! # Layout
//!
//! - `exposes`: the `bridge/devices` list as devices and entity specs, pure.
//! - `network`: the devices' last good state and availability as entities, pure.
//! - `command`: service calls as `/set` payloads and what must come back, pure.
//! - `shared`: the state the link task and callers share, and routing of incoming messages.
//! - `link`: the task that owns the MQTT client: connect, subscribe, back off, take messages.
//! - [`backend`]: [`Zigbee2Mqtt`], the registry's back end, permit join and the device list.

pub mod backend;
mod command;
mod exposes;
mod link;
mod network;
mod shared;

use std::path::PathBuf;
use std::time::Duration;

pub use backend::{Status, Zigbee2Mqtt};

/// The back end's name in the registry.
pub const BACKEND: &str = "zigbee2mqtt";

/// How the hub reaches Zigbee2MQTT (from the `zigbee2mqtt` config section).
#[derive(Clone)]
pub struct Settings {
    /// The broker's host name or address.
    pub host: String,
    /// The broker's port.
    pub port: u16,
    /// `mqtts://`: TLS, checked against `ca_file` or the public web roots.
    pub tls: bool,
    /// A PEM file with the CA that signed the broker's certificate.
    pub ca_file: Option<PathBuf>,
    /// The broker user.
    pub username: Option<String>,
    /// The broker password; never logged (see the `Debug` impl).
    pub password: Option<String>,
    /// The MQTT client id, apart from the hub's own.
    pub client_id: String,
    /// Zigbee2MQTT's base topic.
    pub base_topic: String,
    /// How long a service call waits for the device's new state.
    pub reply_timeout: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("client_id", &self.client_id)
            .field("base_topic", &self.base_topic)
            .finish()
    }
}

impl Settings {
    /// Settings for the broker at `host:port`, client `client_id`, base topic `zigbee2mqtt`,
    /// five seconds for a reply.
    pub fn new(host: &str, port: u16, client_id: &str) -> Settings {
        Settings {
            host: host.to_owned(),
            port,
            tls: false,
            ca_file: None,
            username: None,
            password: None,
            client_id: client_id.to_owned(),
            base_topic: "zigbee2mqtt".into(),
            reply_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a Zigbee2MQTT request (permit join) did not go through.
#[derive(Debug, thiserror::Error)]
pub enum Z2mError {
    /// Not connected to the broker, or Zigbee2MQTT is offline.
    #[error("Zigbee2MQTT is unavailable: {0}")]
    Unavailable(String),
    /// Zigbee2MQTT answered with `status: error`.
    #[error("Zigbee2MQTT refused: {0}")]
    Refused(String),
    /// No answer in time.
    #[error("Zigbee2MQTT did not answer within {0:?}")]
    NoAnswer(Duration),
}

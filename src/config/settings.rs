//! The config tree as serde reads it: every key, its default and its range.
//!
//! Parsing is the first stage of validation: types, ranges and unknown keys are checked here so
//! that the error can name the key's line and column. Relations between keys and the loading of
//! secrets are the second stage, in [`super::Config`].

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::agent::{Devices, EthicalFilter, Persona};
use super::bounds;
use super::gpio::Gpio;
use super::home_assistant::HomeAssistant;
use super::mqtt::Mqtt;
use super::openai::Openai;
use super::zigbee::Zigbee;
use super::zigbee2mqtt::Zigbee2mqtt;
use super::zwave::Zwave;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The agent's name, as it introduces itself.
    pub name: String,
    /// Format version of this file; a file written for a newer MIRAI is refused.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 1>")]
    pub version: u32,
    /// One line about this hub.
    pub description: String,
    /// Runtime folder: database, logs, identity. Relative paths are from the working directory.
    pub data_dir: PathBuf,
    /// OpenAI or a compatible server.
    pub openai: Openai,
    /// The SQLite memory.
    pub memory: Memory,
    /// Logs, metrics and health checks.
    pub monitoring: Monitoring,
    /// When to stop calling a failing service.
    pub circuit_breaker: CircuitBreaker,
    /// Proposals to change this config, made by the agent and reviewed by a person.
    pub self_evolution: SelfEvolution,
    /// The safety filter on requests and actions.
    pub ethical_filter: EthicalFilter,
    /// How the agent speaks.
    pub persona: Persona,
    /// Device back ends.
    pub devices: Devices,
    /// The MQTT broker.
    pub mqtt: Mqtt,
    /// The Home Assistant instance beside the hub.
    pub home_assistant: HomeAssistant,
    /// The Z-Wave USB stick.
    pub zwave: Zwave,
    /// A Zigbee2MQTT beside the hub.
    pub zigbee2mqtt: Zigbee2mqtt,
    /// The Zigbee coordinator stick (TI Z-Stack).
    pub zigbee: Zigbee,
    /// `auto` (detect), a board profile's name (`rpi4b`) or a profile file.
    pub board: String,
    /// The status LED, button and relays on the board's header.
    pub gpio: Gpio,
    /// Front ends and background services.
    pub services: Services,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            name: "MIRAI".into(),
            version: 1,
            description: "A home agent on a Raspberry Pi-class hub".into(),
            data_dir: "data".into(),
            openai: Openai::default(),
            memory: Memory::default(),
            monitoring: Monitoring::default(),
            circuit_breaker: CircuitBreaker::default(),
            self_evolution: SelfEvolution::default(),
            ethical_filter: EthicalFilter::default(),
            persona: Persona::default(),
            devices: Devices::default(),
            mqtt: Mqtt::default(),
            home_assistant: HomeAssistant::default(),
            zwave: Zwave::default(),
            zigbee2mqtt: Zigbee2mqtt::default(),
            zigbee: Zigbee::default(),
            board: crate::board::AUTO.into(),
            gpio: Gpio::default(),
            services: Services::default(),
        }
    }
}

/// Storage engines for memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// One SQLite file in WAL mode.
    Sqlite,
}

/// The `memory` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Memory {
    /// Storage engine.
    pub backend: Backend,
    /// The database file, relative to `data_dir` unless absolute.
    pub db_path: PathBuf,
    /// Where conversation sessions are kept.
    pub session_storage: Backend,
    /// The context of a conversation.
    pub short_term: ShortTerm,
    /// What is kept for good.
    pub long_term: LongTerm,
    /// Search by meaning and fact memory.
    pub recall: super::Recall,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            backend: Backend::Sqlite,
            db_path: "mirai.db".into(),
            session_storage: Backend::Sqlite,
            short_term: ShortTerm::default(),
            long_term: LongTerm::default(),
            recall: super::Recall::default(),
        }
    }
}

/// Short-term memory: the recent messages given to the model.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShortTerm {
    /// Messages of a session sent with each request.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 200>")]
    pub max_messages: usize,
    /// Older messages are left out of the context (they stay stored).
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 8760>")]
    pub ttl_hours: u32,
}

impl Default for ShortTerm {
    fn default() -> Self {
        ShortTerm {
            max_messages: 12,
            ttl_hours: 24,
        }
    }
}

/// Long-term memory: retention and backups.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LongTerm {
    /// Keep conversations and task history beyond the short-term window.
    pub enabled: bool,
    /// Conversations and finished tasks older than this are deleted by cleanup; knowledge and
    /// preferences are never deleted by retention.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 36500>")]
    pub retention_days: u32,
    /// Write a backup of the database before each cleanup.
    pub backup_enabled: bool,
}

impl Default for LongTerm {
    fn default() -> Self {
        LongTerm {
            enabled: true,
            retention_days: 90,
            backup_enabled: true,
        }
    }
}

/// Log line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

/// The `monitoring` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Monitoring {
    /// Logs.
    pub logs: Logs,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The daemon's periodic self-check.
    pub healthcheck: Healthcheck,
}

/// Where and how to log.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Logs {
    /// A log file (relative to `data_dir`), rotated by size; none logs to stderr only.
    pub path: Option<PathBuf>,
    /// `error`, `warn`, `info`, `debug`, `trace`, or per module: `info,mirai::memory=debug`.
    pub level: String,
    /// `json` or `text`.
    pub format: LogFormat,
    /// Rotate the file when it would grow past this size.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 1024>")]
    pub max_size_mb: u32,
    /// Rotated files kept.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 100>")]
    pub max_files: u32,
}

impl Default for Logs {
    fn default() -> Self {
        Logs {
            path: None,
            level: "info".into(),
            format: LogFormat::Json,
            max_size_mb: 10,
            max_files: 5,
        }
    }
}

/// Metrics exporters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsProvider {
    /// The Prometheus text format on `/metrics`.
    Prometheus,
}

/// Metrics.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Metrics {
    /// Serve metrics.
    pub enabled: bool,
    /// Exporter.
    pub provider: MetricsProvider,
    /// Port of the metrics endpoint.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 65535>")]
    pub port: u16,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            enabled: true,
            provider: MetricsProvider::Prometheus,
            port: 9464,
        }
    }
}

/// The daemon's self-check.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Healthcheck {
    /// Seconds between checks.
    #[serde(
        rename = "interval_s",
        deserialize_with = "bounds::secs::<_, 5, 86400>",
        serialize_with = "bounds::ser_secs"
    )]
    pub interval: Duration,
}

impl Default for Healthcheck {
    fn default() -> Self {
        Healthcheck {
            interval: Duration::from_secs(60),
        }
    }
}

/// Circuit breaker for calls to remote services.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitBreaker {
    /// Consecutive failures that open the breaker.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 1000>")]
    pub failure_threshold: u32,
    /// How long an open breaker refuses calls before a probe.
    #[serde(
        rename = "timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 86400>",
        serialize_with = "bounds::ser_secs"
    )]
    pub timeout: Duration,
    /// Spacing of probes while half-open.
    #[serde(
        rename = "half_open_interval_s",
        deserialize_with = "bounds::secs::<_, 1, 86400>",
        serialize_with = "bounds::ser_secs"
    )]
    pub half_open_interval: Duration,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker {
            failure_threshold: 5,
            timeout: Duration::from_secs(60),
            half_open_interval: Duration::from_secs(30),
        }
    }
}

/// Self-evolution: proposals to change this config.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelfEvolution {
    /// Let the agent propose changes.
    pub enabled: bool,
    /// A person must approve each proposal before it applies.
    pub require_review: bool,
    /// At most this many proposals a day.
    #[serde(deserialize_with = "bounds::int::<_, _, 0, 100>")]
    pub max_proposals_per_day: u32,
}

impl Default for SelfEvolution {
    fn default() -> Self {
        SelfEvolution {
            enabled: false,
            require_review: true,
            max_proposals_per_day: 3,
        }
    }
}

/// Front ends and background services.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Services {
    /// The terminal.
    pub terminal: Terminal,
    /// The web status page and HTTP API.
    pub dashboard: Dashboard,
    /// Scheduled work.
    pub autonomous: Autonomous,
}

/// The terminal front end.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Terminal {
    /// Offer the terminal.
    pub enabled: bool,
    /// Line history, relative to `data_dir`.
    pub history_file: PathBuf,
}

impl Default for Terminal {
    fn default() -> Self {
        Terminal {
            enabled: true,
            history_file: "terminal_history".into(),
        }
    }
}

/// The HTTP server.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dashboard {
    /// Serve the page and API.
    pub enabled: bool,
    /// Address to listen on; `0.0.0.0` opens it to the local network.
    pub host: IpAddr,
    /// Port to listen on; 0 takes any free port (the log says which).
    #[serde(deserialize_with = "bounds::int::<_, _, 0, 65535>")]
    pub port: u16,
}

impl Default for Dashboard {
    fn default() -> Self {
        Dashboard {
            enabled: true,
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
        }
    }
}

/// Autonomous mode.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Autonomous {
    /// Run scheduled work.
    pub enabled: bool,
    /// Minutes between rounds.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 10080>")]
    pub interval_minutes: u32,
    /// Tool-calling steps one request may take.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 100>")]
    pub max_iterations: u32,
    /// Model tokens autonomous work may use per UTC day; 0: no cap.
    pub daily_tokens: u64,
    /// The hub's time zone for schedules (IANA name); empty: the system's.
    pub timezone: String,
    /// When upkeep (retention cleanup and a backup) runs, as cron; empty: never.
    pub upkeep: String,
    /// Backups kept in `backups/` of the data folder; 0: no backups.
    #[serde(deserialize_with = "bounds::int::<_, _, 0, 365>")]
    pub keep_backups: u32,
}

impl Default for Autonomous {
    fn default() -> Self {
        Autonomous {
            enabled: false,
            interval_minutes: 60,
            max_iterations: 10,
            daily_tokens: 20_000,
            timezone: String::new(),
            upkeep: "30 3 * * *".into(),
            keep_backups: 7,
        }
    }
}

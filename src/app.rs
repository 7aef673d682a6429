//! Wiring: builds the parts a command needs from the command line and the config.
//!
//! A command gets an [`App`]: the validated config with logging installed, and the memory
//! opened on demand. Commands that need no config (like `version`) never build one, which
//! keeps them fast.

use std::time::Duration;

use anyhow::Context as _;

use crate::config::{Config, ConfigError, Env, LoadOptions};
use crate::memory::{self, Memory};
use crate::telemetry::logs::{LogGuard, LogSettings};

/// The parts of one run of `mirai`.
pub struct App {
    config: Config,
    _logs: LogGuard,
}

impl App {
    /// Loads and validates the config and installs logging (`log_level` overrides the config).
    pub fn start(opts: &LoadOptions, log_level: Option<&str>) -> anyhow::Result<App> {
        let config = Config::load(opts, &Env::process())?;
        if let Some(level) = log_level {
            crate::config::check_log_filter(level).map_err(|bad| ConfigError::Invalid {
                at: "--log-level".into(),
                key: String::new(),
                message: format!(
                    "{bad:?} is not a level: expected error, warn, info, debug, trace or off"
                ),
            })?;
        }
        let logs = &config.settings().monitoring.logs;
        let settings = LogSettings {
            filter: log_level.unwrap_or(&logs.level).to_owned(),
            format: logs.format,
            file: config.log_path(),
            max_bytes: u64::from(logs.max_size_mb) << 20,
            max_files: logs.max_files,
            stderr: true,
        };
        let guard = crate::telemetry::logs::init(&settings, &config.secret_values())
            .context("cannot set up logging")?;
        Ok(App {
            config,
            _logs: guard,
        })
    }

    /// The config of this run.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Opens the memory database named by the config.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let path = self.config.db_path();
        Memory::open(&path, &memory_settings(&self.config))
            .with_context(|| format!("cannot open memory at {}", path.display()))
    }
}

/// What the memory needs from the config.
pub fn memory_settings(config: &Config) -> memory::Settings {
    let m = &config.settings().memory;
    memory::Settings {
        history_limit: m.short_term.max_messages,
        ttl: Duration::from_secs(u64::from(m.short_term.ttl_hours) * 3600),
        retention_days: m.long_term.retention_days,
        ..memory::Settings::default()
    }
}

//! Wiring: builds the parts a command needs from the command line and the config.
//!
//! A command gets an [`App`]: the validated config with logging installed, and the memory
//! opened on demand. Commands that need no config (like `version`) never build one, which
//! keeps them fast.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;

use crate::agent::{Agent, Reply, Request};
use crate::config::{Config, ConfigError, Env, LoadOptions};
use crate::devices::Registry;
use crate::devices::demo::DemoHouse;
use crate::frontends::terminal::TerminalHost;
use crate::llm::budget::{DayTotals, Ledger, ModelTotals};
use crate::llm::{Environment, Llm};
use crate::memory::{self, Memory};
use crate::telemetry::logs::{LogGuard, LogSettings};

/// Where the demo house keeps its state between runs, in the data folder.
const DEMO_STATE_FILE: &str = "demo-state.json";

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

impl App {
    /// The device registry: the demo house when `demo` (or `devices.demo.enabled`) says so.
    pub fn registry(&self, demo: bool) -> anyhow::Result<Registry> {
        let mut registry = Registry::new();
        let cfg = &self.config.settings().devices.demo;
        if demo || cfg.enabled {
            let house = match &cfg.file {
                Some(file) => DemoHouse::from_file(file)?,
                None => DemoHouse::builtin(),
            };
            let state = self.config.data_dir().join(DEMO_STATE_FILE);
            std::fs::create_dir_all(self.config.data_dir())?;
            registry.add(Arc::new(house.with_state_file(state)));
        }
        Ok(registry)
    }

    /// The agent over the registry, with its own memory connection and model client.
    pub fn agent(&self, demo: bool) -> anyhow::Result<Agent> {
        let agent = Agent::new(
            &self.config,
            self.memory()?,
            self.llm()?,
            self.registry(demo)?,
        )
        .context("the ethical_filter section of the config")?;
        Ok(agent)
    }

    /// The model client, recording its usage in the memory database.
    pub fn llm(&self) -> anyhow::Result<Llm> {
        let ledger = UsageLedger(Mutex::new(self.memory()?));
        Ok(Llm::new(
            &self.config,
            Arc::new(ledger),
            Environment::real(),
        ))
    }
}

/// The terminal's view of the agent: requests, and the slash commands' memory and status.
pub struct AgentTerminal(pub Arc<Agent>);

impl AgentTerminal {
    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.0.memory().lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TerminalHost for AgentTerminal {
    fn respond(&self, request: Request) -> Reply {
        self.0.handle(&request)
    }

    fn history(&self, session: &str, limit: usize) -> Vec<(String, String)> {
        let messages = self
            .memory()
            .get_session_history(session, Some(limit))
            .unwrap_or_default();
        messages
            .into_iter()
            .map(|m| (m.role.as_str().to_owned(), m.content))
            .collect()
    }

    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String> {
        self.memory()
            .save_preference(user, key, value)
            .map_err(|e| e.to_string())
    }

    fn forget(&self, user: &str, key: &str) -> Result<bool, String> {
        self.memory()
            .delete_preference(user, key)
            .map_err(|e| e.to_string())
    }

    fn prefs(&self, user: &str) -> Vec<(String, String)> {
        self.memory()
            .get_preferences(user)
            .unwrap_or_default()
            .into_iter()
            .collect()
    }

    fn status(&self) -> Vec<(String, String)> {
        let stats = self.memory().stats().ok();
        let memory = stats.map_or("unavailable".into(), |s| {
            format!(
                "{} messages, {} knowledge entries, {} preferences",
                s.messages, s.knowledge, s.preferences
            )
        });
        let breakers = self.0.llm().breakers();
        let open: Vec<&str> = breakers
            .iter()
            .filter(|(_, state)| !matches!(state, crate::llm::breaker::BreakerState::Closed { .. }))
            .map(|(name, _)| name.as_str())
            .collect();
        let model = if open.is_empty() {
            "available".to_owned()
        } else {
            format!("unavailable: {}", open.join(", "))
        };
        vec![
            ("model".into(), model),
            ("memory".into(), memory),
            (
                "devices".into(),
                format!("{} entities", self.0.registry().entities().len()),
            ),
        ]
    }
}

/// The budget's ledger in the memory database, on a connection of its own.
struct UsageLedger(Mutex<Memory>);

impl Ledger for UsageLedger {
    fn record(
        &self,
        day: &str,
        model: &str,
        prompt: u64,
        completion: u64,
        cost: f64,
    ) -> Result<(), String> {
        let mut memory = self
            .0
            .lock()
            .map_err(|_| "the ledger lock is poisoned".to_owned())?;
        memory
            .record_usage(day, model, prompt, completion, cost)
            .map_err(|e| e.to_string())
    }

    fn day_totals(&self, day: &str) -> Result<DayTotals, String> {
        let memory = self
            .0
            .lock()
            .map_err(|_| "the ledger lock is poisoned".to_owned())?;
        let rows = memory.usage_on(day).map_err(|e| e.to_string())?;
        let mut totals = DayTotals::default();
        for r in rows {
            totals.tokens += r.prompt_tokens + r.completion_tokens;
            totals.cost_usd += r.cost_usd;
            totals.calls += r.calls;
            let model = ModelTotals {
                prompt_tokens: r.prompt_tokens,
                completion_tokens: r.completion_tokens,
                cost_usd: r.cost_usd,
                calls: r.calls,
            };
            totals.by_model.insert(r.model, model);
        }
        Ok(totals)
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

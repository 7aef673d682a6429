//! Wiring: builds the parts a command needs from the command line and the config.
//!
//! A command gets an [`App`]: the validated config with logging installed, and the memory
//! opened on demand. Commands that need no config (like `version`) never build one, which
//! keeps them fast.
//!
//! - `board`: the board profile in use and the serial paths it gives.
//! - `gpio`: the status LED, button and relays, started with the daemon.
//! - `hub`: the agent behind the daemon's front ends, with its counters.
//! - `metrics`: the `/metrics` registry: request counters, and the rest read at each scrape.
//! - `serve`: the daemon: signals, systemd, shutdown.
//! - `services`: the daemon's services, started and stopped in order.
//! - `ledger`: the model budget's ledger in the memory database.
//! - `terminal`: the terminal's view of the agent.
//! - `remote`: a client of a running daemon, for the commands that would otherwise open the
//!   hardware themselves.

mod board;
mod gpio;
mod hub;
mod ledger;
mod metrics;
mod remote;
mod serve;
mod services;
mod terminal;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context as _;

use crate::agent::Agent;
use crate::config::{Config, ConfigError, Env, LoadOptions};
use crate::devices::Registry;
use crate::devices::demo::DemoHouse;
use crate::devices::home_assistant::{self, HomeAssistant};
use crate::devices::zigbee::{self, ZigbeeBackend};
use crate::devices::zigbee2mqtt::{self, Zigbee2Mqtt};
use crate::devices::zwave::{self, ZwaveBackend};
use crate::llm::{Environment, Llm};
use crate::memory::{self, Memory};
use crate::telemetry::logs::{LogGuard, LogSettings};
pub use gpio::{ButtonAction, ButtonPlan, GpioPlan, LedPlan, plan as gpio_plan, press_action};
pub use hub::AgentHub;
use ledger::UsageLedger;
pub(crate) use remote::Remote;
pub use serve::{Mode, Stopped, serve, unregister, upkeep_settings};
pub use terminal::AgentTerminal;

/// Where the demo house keeps its state between runs, in the data folder.
const DEMO_STATE_FILE: &str = "demo-state.json";

/// The parts of one run of `mirai`.
pub struct App {
    config: Config,
    home_assistant: OnceLock<Option<Arc<HomeAssistant>>>,
    zwave: OnceLock<Option<Arc<ZwaveBackend>>>,
    z2m: OnceLock<Option<Arc<Zigbee2Mqtt>>>,
    zigbee: OnceLock<Option<Arc<ZigbeeBackend>>>,
    board: OnceLock<crate::board::Board>,
    gpio: OnceLock<gpio::GpioParts>,
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
            home_assistant: OnceLock::new(),
            zwave: OnceLock::new(),
            z2m: OnceLock::new(),
            zigbee: OnceLock::new(),
            board: OnceLock::new(),
            gpio: OnceLock::new(),
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
        if let Some(ha) = self.home_assistant()? {
            registry.add(ha);
        }
        if let Some(zw) = self.zwave()? {
            registry.add(zw);
        }
        if let Some(z2m) = self.zigbee2mqtt()? {
            registry.add(z2m);
        }
        if let Some(zb) = self.zigbee()? {
            registry.add(zb);
        }
        // Only the daemon opens the header (serve does, before it builds the agent): a
        // one-shot command must not switch relays off under it.
        if let Some(gpio) = self.gpio.get() {
            if !gpio.plan.relays.is_empty() {
                registry.add(gpio.relays.clone());
            }
        }
        Ok(registry)
    }

    /// The Home Assistant back end when `home_assistant.enabled`, its link started once per
    /// run (the daemon and the in-process agent share it).
    pub fn home_assistant(&self) -> anyhow::Result<Option<Arc<HomeAssistant>>> {
        if let Some(ha) = self.home_assistant.get() {
            return Ok(ha.clone());
        }
        let cfg = &self.config.settings().home_assistant;
        let ha = if cfg.enabled {
            let token = self.config.ha_token().with_context(|| {
                format!(
                    "home_assistant.enabled is on but there is no token: set {} or \
                     home_assistant.token_file",
                    crate::config::HA_TOKEN_VAR
                )
            })?;
            let ca_file = cfg.ca_file.as_deref().map(|p| self.config.in_data_dir(p));
            let settings = home_assistant::Settings::new(cfg, token.value.clone(), ca_file)?;
            Some(Arc::new(HomeAssistant::start(settings)?))
        } else {
            None
        };
        Ok(self.home_assistant.get_or_init(|| ha).clone())
    }

    /// The Z-Wave back end when `zwave.enabled`, its driver started once per run.
    pub fn zwave(&self) -> anyhow::Result<Option<Arc<ZwaveBackend>>> {
        if let Some(zw) = self.zwave.get() {
            return Ok(zw.clone());
        }
        let cfg = &self.config.settings().zwave;
        let zw = if cfg.enabled {
            let settings = zwave::BackendSettings {
                zwave: self.zwave_settings()?,
                labels: zwave_labels(&self.config),
            };
            // Its own connection: the back end keeps the nodes it learns (memory::zwave).
            let backend = ZwaveBackend::start_with(settings, Some(self.memory()?))
                .context("cannot start the Z-Wave driver's thread")?;
            Some(Arc::new(backend))
        } else {
            None
        };
        Ok(self.zwave.get_or_init(|| zw).clone())
    }

    /// The Zigbee2MQTT back end when `zigbee2mqtt.enabled`, its link started once per run.
    pub fn zigbee2mqtt(&self) -> anyhow::Result<Option<Arc<Zigbee2Mqtt>>> {
        if let Some(z) = self.z2m.get() {
            return Ok(z.clone());
        }
        let z = if self.config.settings().zigbee2mqtt.enabled {
            let settings = z2m_settings(&self.config)?;
            let backend =
                Zigbee2Mqtt::start(settings).context("cannot start the Zigbee2MQTT link")?;
            Some(Arc::new(backend))
        } else {
            None
        };
        Ok(self.z2m.get_or_init(|| z).clone())
    }

    /// The Zigbee back end when `zigbee.enabled`, its driver started once per run.
    pub fn zigbee(&self) -> anyhow::Result<Option<Arc<ZigbeeBackend>>> {
        if let Some(zb) = self.zigbee.get() {
            return Ok(zb.clone());
        }
        let zb = if self.config.settings().zigbee.enabled {
            let mut settings = zigbee::BackendSettings::new(self.zigbee_settings()?);
            settings.labels = zigbee_labels(&self.config);
            // Its own connection: the back end keeps the devices that joined (memory::zigbee).
            let backend = ZigbeeBackend::start(settings, Some(self.memory()?))
                .context("cannot start the Zigbee driver's thread")?;
            Some(Arc::new(backend))
        } else {
            None
        };
        Ok(self.zigbee.get_or_init(|| zb).clone())
    }

    /// For one-shot commands: waits up to `home_assistant.timeout_s` for Home Assistant's
    /// entities and up to `zwave.ready_timeout_s` for the Z-Wave nodes, and says so in the log
    /// when they did not come (the command goes on).
    pub fn wait_for_devices(&self) -> anyhow::Result<()> {
        if let Some(ha) = self.home_assistant()? {
            let limit = self.config.settings().home_assistant.timeout;
            if !ha.wait_synced(limit) {
                let why = ha.status().error.unwrap_or_else(|| "no answer yet".into());
                tracing::warn!(cause = %why, "Home Assistant's entities are not loaded");
            }
        }
        if let Some(z) = self.zigbee2mqtt()? {
            if !z.wait_listed(self.config.settings().zigbee2mqtt.ready_timeout) {
                let why = z
                    .status()
                    .error
                    .unwrap_or_else(|| "no device list yet".into());
                tracing::warn!(cause = %why, "Zigbee2MQTT's devices are not loaded");
            }
        }
        if let Some(zw) = self.zwave()? {
            if !zw.wait_ready(self.config.settings().zwave.ready_timeout) {
                let why = zw.status().error.unwrap_or_else(|| "no answer yet".into());
                tracing::warn!(cause = %why, "the Z-Wave nodes are not loaded");
            }
        }
        Ok(())
    }

    /// The agent over the registry, with its own memory connection and model client.
    pub fn agent(&self, demo: bool) -> anyhow::Result<Agent> {
        self.agent_with(demo, true)
    }

    /// The agent, its connections checkpointing the log themselves or (for the daemon, which
    /// runs a [`memory::Checkpointer`]) not.
    pub fn agent_with(&self, demo: bool, auto_checkpoint: bool) -> anyhow::Result<Agent> {
        self.agent_over(self.registry(demo)?, auto_checkpoint)
    }

    /// The agent over `registry` (`mirai zwave set` brings its own stick's back end).
    pub fn agent_over(&self, registry: Registry, auto_checkpoint: bool) -> anyhow::Result<Agent> {
        let memory = self.memory()?;
        let ledger = self.memory()?;
        if !auto_checkpoint {
            memory.set_auto_checkpoint(0)?;
            ledger.set_auto_checkpoint(0)?;
        }
        let llm = self.llm_over(ledger);
        let agent = Agent::new(&self.config, memory, llm, registry)
            .context("the ethical_filter section of the config")?;
        Ok(agent)
    }

    /// The model client, recording its usage in the memory database.
    pub fn llm(&self) -> anyhow::Result<Llm> {
        Ok(self.llm_over(self.memory()?))
    }

    fn llm_over(&self, ledger: Memory) -> Llm {
        let ledger = UsageLedger(Mutex::new(ledger));
        Llm::new(&self.config, Arc::new(ledger), Environment::real())
    }
}

/// The node names, areas and kinds from `zwave.nodes`.
pub fn zwave_labels(config: &Config) -> std::collections::BTreeMap<u8, zwave::Label> {
    use crate::config::ZwaveKind;
    use crate::devices::Domain;
    let nodes = &config.settings().zwave.nodes;
    nodes
        .iter()
        .map(|(id, n)| {
            let label = zwave::Label {
                name: n.name.clone(),
                aliases: n.aliases.clone(),
                area: n.area.clone(),
                kind: n.kind.map(|k| match k {
                    ZwaveKind::Light => Domain::Light,
                    ZwaveKind::Switch => Domain::Switch,
                }),
            };
            (*id, label)
        })
        .collect()
}

/// The Zigbee2MQTT link's settings: its own broker URL and credentials, or the `mqtt`
/// section's; its own client id, `mirai-<hub_id>-z2m` unless set.
pub fn z2m_settings(config: &Config) -> anyhow::Result<zigbee2mqtt::Settings> {
    let s = config.settings();
    let z = &s.zigbee2mqtt;
    let own = z.url.is_some();
    let url = z.url.as_deref().unwrap_or(&s.mqtt.url);
    let parsed = crate::frontends::mqtt::MqttSettings::from_url(url, &s.mqtt.hub_id)
        .context(if own { "zigbee2mqtt.url" } else { "mqtt.url" })?;
    let default_id = format!("mirai-{}-z2m", s.mqtt.hub_id);
    let mut settings = zigbee2mqtt::Settings::new(
        &parsed.host,
        parsed.port,
        z.client_id.as_deref().unwrap_or(&default_id),
    );
    settings.tls = parsed.tls;
    settings.base_topic = z.base_topic.clone();
    settings.reply_timeout = z.reply_timeout;
    let (user, password, ca_file) = if own {
        (z.username.clone(), config.z2m_password(), None)
    } else {
        (
            s.mqtt.username.clone(),
            config.mqtt_password(),
            s.mqtt.ca_file.as_deref(),
        )
    };
    settings.username = user.or(parsed.username);
    settings.password = password
        .map(|p| p.value.expose().to_owned())
        .or(parsed.password);
    settings.ca_file = ca_file.map(|p| config.in_data_dir(p));
    Ok(settings)
}

/// The device names, areas and kinds from `zigbee.devices`.
pub fn zigbee_labels(config: &Config) -> std::collections::BTreeMap<u64, zigbee::entities::Label> {
    use crate::config::ZwaveKind;
    use crate::devices::Domain;
    (config.settings().zigbee.device_ieees())
        .map(|(ieee, d)| {
            let label = zigbee::entities::Label {
                name: d.name.clone(),
                aliases: d.aliases.clone(),
                area: d.area.clone(),
                kind: d.kind.map(|k| match k {
                    ZwaveKind::Light => Domain::Light,
                    ZwaveKind::Switch => Domain::Switch,
                }),
            };
            (ieee, label)
        })
        .collect()
}

/// What the memory needs from the config.
pub fn memory_settings(config: &Config) -> memory::Settings {
    let m = &config.settings().memory;
    memory::Settings {
        history_limit: m.short_term.max_messages,
        ttl: Duration::from_secs(u64::from(m.short_term.ttl_hours) * 3600),
        retention_days: m.long_term.retention_days,
        embedding: embedding_model(config),
        ..memory::Settings::default()
    }
}

/// The embed model whose vectors the memory searches: `None` when embeddings are switched
/// off or the model has no `dimensions` (the length must be known to store vectors).
pub fn embedding_model(config: &Config) -> Option<memory::EmbeddingModel> {
    let s = config.settings();
    let embed = &s.openai.models.embed;
    (s.memory.recall.embeddings)
        .then_some(())
        .and(embed.dimensions)
        .map(|dims| memory::EmbeddingModel {
            name: embed.name.clone(),
            dims,
        })
}

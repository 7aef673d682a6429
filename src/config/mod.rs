//! The one YAML config file: where it is found, its defaults, validation that names the key,
//! line and column, `MIRAI_…` environment overrides, and secrets from the environment.
//!
//! Two stages: serde reads the text into [`Settings`] (types, ranges, unknown keys; see
//! `settings.rs`), then [`Config::load`] checks how keys relate, resolves paths against the data
//! folder and loads secrets. Every key has a default, so an empty file is valid.

mod agent;
mod bounds;
mod gpio;
mod home_assistant;
mod models;
mod mqtt;
mod openai;
mod recall;
mod secret;
mod settings;
mod source;
#[cfg(test)]
mod tests;
mod validate;
mod zigbee;
mod zigbee2mqtt;
mod zwave;

use std::path::{Path, PathBuf};

pub use agent::{
    ActionDecision, ActionRule, Demo, Devices, EthicalFilter, Language, Persona, Tone, Verbosity,
};
pub use gpio::{Gpio, GpioButton, GpioLed, GpioRelay, PUSH_TO_TALK};
pub use home_assistant::{Expose, HomeAssistant};
pub use models::{ModelProfile, Models, Role};
pub use mqtt::Mqtt;
pub use openai::{Backoff, Budget, Fallbacks, Local, Openai, Price, RequestDefaults};
pub use recall::Recall;
pub use secret::{LoadedSecret, Secret, SecretSource};
pub use settings::{LogFormat, Settings};
pub(crate) use source::message_of as yaml_message;
pub use validate::check_log_filter;
pub use zigbee::{Zigbee, ZigbeeDevice, ZigbeeReset};
pub use zigbee2mqtt::Zigbee2mqtt;
pub use zwave::{Zwave, ZwaveKind, ZwaveNode};

/// The config file tried first when `--config` is not given (relative to the working directory).
pub const LOCAL_PATH: &str = "configs/mirai.yaml";
/// The config file tried next, for installed hubs.
pub const SYSTEM_PATH: &str = "/etc/mirai/mirai.yaml";
/// The environment variable that holds the OpenAI API key.
pub const OPENAI_KEY_VAR: &str = "OPENAI_API_KEY";
/// The environment variable that holds the local server's API key, if it needs one.
pub const LOCAL_KEY_VAR: &str = "MIRAI_LOCAL_API_KEY";
/// The environment variable that holds the MQTT password.
pub const MQTT_PASSWORD_VAR: &str = "MQTT_PASSWORD";
/// The variable holding Home Assistant's long-lived access token.
pub const HA_TOKEN_VAR: &str = "HA_TOKEN";
/// The environment variable that holds the password of Zigbee2MQTT's broker.
pub const Z2M_PASSWORD_VAR: &str = "ZIGBEE2MQTT_PASSWORD";
/// The environment variable that overrides `openai.base_url`.
pub const OPENAI_BASE_URL_VAR: &str = "OPENAI_BASE_URL";

/// What went wrong with the config; every variant says where.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key is unknown, of the wrong type, out of range or at odds with another key.
    #[error("{at}: {}{message}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
    Invalid {
        /// `file:line:column`, the file alone, or the environment variable.
        at: String,
        /// The key path, like `openai.defaults.max_retries` (empty for a syntax error).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A `*_file` secret could not be read.
    #[error("cannot read secret file {}", path.display())]
    SecretFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Where the settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A config file.
    File(PathBuf),
    /// No file was found: the built-in defaults.
    Defaults,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// What the command line says about loading the config.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--config PATH`: this file and no other.
    pub path: Option<PathBuf>,
    /// `--data-dir DIR`: overrides `data_dir`.
    pub data_dir: Option<PathBuf>,
}

/// The environment a config is loaded in (the process's, or a test's).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: Vec<(String, String)>,
}

impl Env {
    /// This process's environment.
    pub fn process() -> Self {
        Env {
            vars: std::env::vars().collect(),
        }
    }

    /// A given set of variables.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// The validated config of this run.
#[derive(Debug, Clone)]
pub struct Config {
    settings: Settings,
    origin: Origin,
    overrides: Vec<String>,
    data_dir: PathBuf,
    openai_key: Option<LoadedSecret>,
    local_key: Option<LoadedSecret>,
    mqtt_password: Option<LoadedSecret>,
    ha_token: Option<LoadedSecret>,
    z2m_password: Option<LoadedSecret>,
}

impl Config {
    /// Finds, reads and validates the config as the command line asks.
    pub fn load(opts: &LoadOptions, env: &Env) -> Result<Config, ConfigError> {
        let found = match &opts.path {
            Some(p) => Some(p.clone()),
            None => [LOCAL_PATH, SYSTEM_PATH]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file()),
        };
        let (text, origin) = match found {
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(text) => (text, Origin::File(path)),
                Err(source) => return Err(ConfigError::Read { path, source }),
            },
            None => (String::new(), Origin::Defaults),
        };
        Config::from_text(&text, origin, opts.data_dir.as_deref(), env)
    }

    /// Validates `text` as if read from `origin`.
    pub fn from_text(
        text: &str,
        origin: Origin,
        data_dir: Option<&Path>,
        env: &Env,
    ) -> Result<Config, ConfigError> {
        let overrides = source::overrides(&env.vars);
        let mut settings = source::parse(text, &origin.to_string(), &overrides)?;
        if let Some(url) = env.get(OPENAI_BASE_URL_VAR).filter(|u| !u.is_empty()) {
            settings.openai.base_url = url;
        }
        let blame = |key: &str, message: String| {
            let at = if let Some(o) = overrides.iter().find(|o| o.path.join(".") == key) {
                format!("environment variable {}", o.var)
            } else if key == "openai.base_url" && env.get(OPENAI_BASE_URL_VAR).is_some() {
                format!("environment variable {OPENAI_BASE_URL_VAR}")
            } else {
                match (&origin, source::locate(text, key)) {
                    (Origin::File(p), Some((l, c))) => format!("{}:{l}:{c}", p.display()),
                    _ => origin.to_string(),
                }
            };
            ConfigError::Invalid {
                at,
                key: key.to_owned(),
                message,
            }
        };
        validate::validate(&settings).map_err(|(key, msg)| blame(key, msg))?;
        let data_dir = data_dir.map_or_else(|| settings.data_dir.clone(), Path::to_path_buf);
        let key_file = settings
            .openai
            .api_key_file
            .as_ref()
            .map(|p| resolve(&data_dir, p));
        let openai_key = secret::load(OPENAI_KEY_VAR, key_file.as_deref(), &|v| env.get(v))?;
        let local_file = settings
            .openai
            .local
            .as_ref()
            .and_then(|l| l.api_key_file.as_ref());
        let local_file = local_file.map(|p| resolve(&data_dir, p));
        let local_key = secret::load(LOCAL_KEY_VAR, local_file.as_deref(), &|v| env.get(v))?;
        let mqtt_file = settings
            .mqtt
            .password_file
            .as_ref()
            .map(|p| resolve(&data_dir, p));
        let mqtt_password = secret::load(MQTT_PASSWORD_VAR, mqtt_file.as_deref(), &|v| env.get(v))?;
        let ha_file = settings
            .home_assistant
            .token_file
            .as_ref()
            .map(|p| resolve(&data_dir, p));
        let ha_token = secret::load(HA_TOKEN_VAR, ha_file.as_deref(), &|v| env.get(v))?;
        let z2m_file = (settings.zigbee2mqtt.password_file.as_ref()).map(|p| resolve(&data_dir, p));
        let z2m_password = secret::load(Z2M_PASSWORD_VAR, z2m_file.as_deref(), &|v| env.get(v))?;
        Ok(Config {
            settings,
            origin,
            overrides: overrides.into_iter().map(|o| o.var).collect(),
            data_dir,
            openai_key,
            local_key,
            mqtt_password,
            ha_token,
            z2m_password,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Where they came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The `MIRAI_…` variables that changed a key.
    pub fn overrides(&self) -> &[String] {
        &self.overrides
    }

    /// The runtime folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        resolve(&self.data_dir, &self.settings.memory.db_path)
    }

    /// `p` as the config means it: itself if absolute, else under the data folder.
    pub fn in_data_dir(&self, p: &Path) -> PathBuf {
        resolve(&self.data_dir, p)
    }

    /// The log file, if logging to a file.
    pub fn log_path(&self) -> Option<PathBuf> {
        let logs = &self.settings.monitoring.logs;
        logs.path.as_ref().map(|p| resolve(&self.data_dir, p))
    }

    /// The OpenAI API key, if one is set.
    pub fn openai_key(&self) -> Option<&LoadedSecret> {
        self.openai_key.as_ref()
    }

    /// The local server's API key, if it has one.
    pub fn local_key(&self) -> Option<&LoadedSecret> {
        self.local_key.as_ref()
    }

    /// The MQTT password, if one is set.
    pub fn mqtt_password(&self) -> Option<&LoadedSecret> {
        self.mqtt_password.as_ref()
    }

    /// Home Assistant's access token, if one is set.
    pub fn ha_token(&self) -> Option<&LoadedSecret> {
        self.ha_token.as_ref()
    }

    /// The password of Zigbee2MQTT's broker, if one is set for it.
    pub fn z2m_password(&self) -> Option<&LoadedSecret> {
        self.z2m_password.as_ref()
    }

    /// Every secret value, for the log redactor.
    pub fn secret_values(&self) -> Vec<String> {
        self.openai_key
            .iter()
            .chain(&self.local_key)
            .chain(&self.mqtt_password)
            .chain(&self.ha_token)
            .chain(&self.z2m_password)
            .map(|s| s.value.expose().to_owned())
            .collect()
    }

    /// The effective config as YAML, with where secrets come from but never their values.
    pub fn to_redacted_yaml(&self) -> String {
        let mut out = format!("# effective config from {}\n", self.origin);
        for var in &self.overrides {
            out.push_str(&format!("# overridden by {var}\n"));
        }
        out.push_str(&serde_yaml::to_string(&self.settings).unwrap_or_default());
        out.push_str("# secrets (values never printed):\n");
        let secrets = [
            ("openai api key", &self.openai_key),
            ("mqtt password", &self.mqtt_password),
            ("home assistant token", &self.ha_token),
            ("zigbee2mqtt password", &self.z2m_password),
        ];
        for (name, secret) in secrets {
            let from = match secret {
                Some(LoadedSecret {
                    source: SecretSource::Env(v),
                    ..
                }) => format!("set from {v}"),
                Some(LoadedSecret {
                    source: SecretSource::File(f),
                    ..
                }) => format!("set from file {f}"),
                None => "not set".into(),
            };
            out.push_str(&format!("#   {name}: {from}\n"));
        }
        out
    }
}

/// `p` if absolute, else `p` under `base`.
fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

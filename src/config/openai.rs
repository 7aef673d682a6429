//! The `openai` section: endpoint, retry defaults and the model profiles by role.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;
use super::models::{Models, Role};
use super::secret::Forbidden;

/// How MIRAI reaches OpenAI or an OpenAI-compatible server.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Openai {
    /// Base URL of the API; `OPENAI_BASE_URL` overrides it.
    pub base_url: String,
    /// A file holding the API key, used when `OPENAI_API_KEY` is unset.
    pub api_key_file: Option<PathBuf>,
    /// Optional `OpenAI-Organization` header.
    pub organization: Option<String>,
    /// Optional `OpenAI-Project` header.
    pub project: Option<String>,
    /// Timeouts and retries shared by every model unless a profile says otherwise.
    pub defaults: RequestDefaults,
    /// The model for each role.
    pub models: Models,
    /// Roles to try, in order, when a role's own model fails.
    pub fallbacks: Fallbacks,
    /// An OpenAI-compatible server on the local network, used while the cloud is unreachable.
    pub local: Option<Local>,
    /// Daily caps on tokens and money.
    pub budget: Budget,
    /// USD per million tokens by model name (a dated model uses its base name's price).
    pub prices: BTreeMap<String, Price>,
    #[serde(skip_serializing)]
    #[doc(hidden)]
    pub api_key: Option<Forbidden>,
}

impl Default for Openai {
    fn default() -> Self {
        Openai {
            base_url: "https://api.openai.com/v1".into(),
            api_key_file: None,
            organization: None,
            project: None,
            defaults: RequestDefaults::default(),
            models: Models::default(),
            fallbacks: Fallbacks::default(),
            local: None,
            budget: Budget::default(),
            prices: default_prices(),
            api_key: None,
        }
    }
}

/// Per-request defaults.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestDefaults {
    /// Total time one request may take.
    #[serde(
        rename = "timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 3600>",
        serialize_with = "bounds::ser_secs"
    )]
    pub timeout: Duration,
    /// Time to open a connection (TCP and TLS).
    #[serde(
        rename = "connect_timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 600>",
        serialize_with = "bounds::ser_secs"
    )]
    pub connect_timeout: Duration,
    /// A stream that sends nothing for this long is cut.
    #[serde(
        rename = "stream_idle_timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 600>",
        serialize_with = "bounds::ser_secs"
    )]
    pub stream_idle_timeout: Duration,
    /// Retries after the first attempt.
    #[serde(deserialize_with = "bounds::int::<_, _, 0, 10>")]
    pub max_retries: u32,
    /// A server asking to wait longer than this (Retry-After) fails the call at once.
    #[serde(
        rename = "retry_after_cap_s",
        deserialize_with = "bounds::secs::<_, 0, 3600>",
        serialize_with = "bounds::ser_secs"
    )]
    pub retry_after_cap: Duration,
    /// Exponential backoff between retries.
    pub backoff: Backoff,
}

impl Default for RequestDefaults {
    fn default() -> Self {
        RequestDefaults {
            timeout: Duration::from_secs(90),
            connect_timeout: Duration::from_secs(10),
            stream_idle_timeout: Duration::from_secs(30),
            max_retries: 4,
            retry_after_cap: Duration::from_secs(60),
            backoff: Backoff::default(),
        }
    }
}

/// Exponential backoff with optional full jitter.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Backoff {
    /// The first wait.
    #[serde(
        rename = "base_ms",
        deserialize_with = "bounds::millis::<_, 1, 60000>",
        serialize_with = "bounds::ser_millis"
    )]
    pub base: Duration,
    /// The longest wait.
    #[serde(
        rename = "max_ms",
        deserialize_with = "bounds::millis::<_, 1, 600000>",
        serialize_with = "bounds::ser_millis"
    )]
    pub max: Duration,
    /// Full jitter: each wait is drawn uniformly from zero to the computed backoff.
    pub jitter: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_millis(8000),
            jitter: true,
        }
    }
}

/// Fallback roles per role, tried in order after the role's own model fails.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fallbacks {
    /// After `main`.
    pub main: Vec<Role>,
    /// After `heavy`.
    pub heavy: Vec<Role>,
    /// After `fast`.
    pub fast: Vec<Role>,
    /// After `embed`.
    pub embed: Vec<Role>,
}

impl Fallbacks {
    /// The fallbacks of `role`.
    pub fn of(&self, role: Role) -> &[Role] {
        match role {
            Role::Main => &self.main,
            Role::Heavy => &self.heavy,
            Role::Fast => &self.fast,
            Role::Embed => &self.embed,
        }
    }
}

impl Default for Fallbacks {
    fn default() -> Self {
        Fallbacks {
            main: vec![Role::Fast],
            heavy: vec![Role::Main],
            fast: vec![Role::Main],
            embed: Vec::new(),
        }
    }
}

/// A local OpenAI-compatible server (Ollama, llama.cpp server, LocalAI, vLLM).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Local {
    /// Its base URL, e.g. `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// A file with its API key, if it wants one.
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// Model names by role; a role without one has no local fallback.
    #[serde(default)]
    pub models: BTreeMap<Role, String>,
}

/// Daily caps; none by default.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Budget {
    /// Tokens (prompt and completion) a UTC day.
    #[serde(deserialize_with = "some_tokens")]
    pub daily_tokens: Option<u64>,
    /// Estimated USD a UTC day, from `prices`.
    #[serde(deserialize_with = "some_usd")]
    pub daily_cost_usd: Option<f64>,
}

/// What a model costs.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// USD per million prompt tokens.
    #[serde(deserialize_with = "usd")]
    pub input_per_million: f64,
    /// USD per million completion tokens.
    #[serde(deserialize_with = "usd")]
    pub output_per_million: f64,
}

/// OpenAI's list prices of the default models, USD per million tokens (openai.com/api/pricing).
fn default_prices() -> BTreeMap<String, Price> {
    [
        ("gpt-4o", 2.50, 10.00),
        ("gpt-4o-mini", 0.15, 0.60),
        ("gpt-4.1", 2.00, 8.00),
        ("gpt-4.1-mini", 0.40, 1.60),
        ("text-embedding-3-small", 0.02, 0.0),
    ]
    .into_iter()
    .map(|(m, i, o)| {
        let price = Price {
            input_per_million: i,
            output_per_million: o,
        };
        (m.to_owned(), price)
    })
    .collect()
}

fn some_tokens<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<u64>::deserialize(d)?
        .map(|v| match v {
            1..=1_000_000_000_000 => Ok(v),
            _ => Err(serde::de::Error::custom(
                "expected an integer 1..=1000000000000 or null",
            )),
        })
        .transpose()
}

fn some_usd<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(d)?
        .map(check_usd::<D>)
        .transpose()
}

fn usd<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check_usd::<D>(f64::deserialize(d)?)
}

fn check_usd<'de, D: serde::Deserializer<'de>>(v: f64) -> Result<f64, D::Error> {
    if (0.0..=1_000_000.0).contains(&v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "expected an amount in USD 0..=1000000, got {v}"
        )))
    }
}

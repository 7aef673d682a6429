//! The `openai` section: endpoint, retry defaults and the model profiles by role.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;
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
    /// Retries after the first attempt.
    #[serde(deserialize_with = "bounds::int::<_, _, 0, 10>")]
    pub max_retries: u32,
    /// Exponential backoff between retries.
    pub backoff: Backoff,
}

impl Default for RequestDefaults {
    fn default() -> Self {
        RequestDefaults {
            timeout: Duration::from_secs(90),
            max_retries: 4,
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

/// One model profile per role; callers ask by role, never by model name.
///
/// A role given in part keeps that role's own defaults for the rest (a `fast:` with only a
/// `name:` still has the fast role's temperature and token limit).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Models {
    /// Everyday conversation and tool calls.
    #[serde(deserialize_with = "role::<_, MAIN>")]
    pub main: ModelProfile,
    /// Planning of multi-step tasks.
    #[serde(deserialize_with = "role::<_, HEAVY>")]
    pub heavy: ModelProfile,
    /// Quick classification.
    #[serde(deserialize_with = "role::<_, FAST>")]
    pub fast: ModelProfile,
    /// Embeddings for knowledge search.
    #[serde(deserialize_with = "role::<_, EMBED>")]
    pub embed: ModelProfile,
}

const MAIN: u8 = 0;
const HEAVY: u8 = 1;
const FAST: u8 = 2;
const EMBED: u8 = 3;

impl Models {
    fn role_default(role: u8) -> ModelProfile {
        match role {
            MAIN => ModelProfile::chat("gpt-4o", 0.7, 1024),
            HEAVY => ModelProfile::chat("gpt-4.1", 0.2, 4096),
            FAST => ModelProfile::chat("gpt-4o-mini", 0.0, 256),
            _ => ModelProfile {
                timeout: Some(Duration::from_secs(30)),
                dimensions: Some(512),
                ..ModelProfile::chat("text-embedding-3-small", 0.0, 1)
            },
        }
    }
}

impl Default for Models {
    fn default() -> Self {
        Models {
            main: Models::role_default(MAIN),
            heavy: Models::role_default(HEAVY),
            fast: Models::role_default(FAST),
            embed: Models::role_default(EMBED),
        }
    }
}

fn role<'de, D: serde::Deserializer<'de>, const ROLE: u8>(d: D) -> Result<ModelProfile, D::Error> {
    let given = PartialProfile::deserialize(d)?;
    let base = Models::role_default(ROLE);
    Ok(ModelProfile {
        name: given.name.unwrap_or(base.name),
        temperature: given.temperature.unwrap_or(base.temperature),
        top_p: given.top_p.unwrap_or(base.top_p),
        max_tokens: given.max_tokens.unwrap_or(base.max_tokens),
        timeout: given.timeout.or(base.timeout),
        dimensions: given.dimensions.or(base.dimensions),
    })
}

/// A model and how to call it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelProfile {
    /// The model's name at the provider.
    pub name: String,
    /// Sampling temperature.
    #[serde(serialize_with = "bounds::ser_f32")]
    pub temperature: f32,
    /// Nucleus sampling.
    #[serde(serialize_with = "bounds::ser_f32")]
    pub top_p: f32,
    /// Longest reply, in tokens.
    pub max_tokens: u32,
    /// Overrides `openai.defaults.timeout_s` for this role.
    #[serde(
        rename = "timeout_s",
        serialize_with = "ser_some_secs",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    /// Embedding size (embedding models that can shorten their vectors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
}

impl ModelProfile {
    fn chat(name: &str, temperature: f32, max_tokens: u32) -> Self {
        ModelProfile {
            name: name.into(),
            temperature,
            top_p: 1.0,
            max_tokens,
            timeout: None,
            dimensions: None,
        }
    }
}

/// What the YAML says of one role; missing keys fall back to the role's defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartialProfile {
    name: Option<String>,
    #[serde(default, deserialize_with = "some_float::<_, 0, 2000>")]
    temperature: Option<f32>,
    #[serde(default, deserialize_with = "some_float::<_, 0, 1000>")]
    top_p: Option<f32>,
    #[serde(default, deserialize_with = "some_int::<_, 1, 1000000>")]
    max_tokens: Option<u32>,
    #[serde(default, rename = "timeout_s", deserialize_with = "some_secs")]
    timeout: Option<Duration>,
    #[serde(default, deserialize_with = "some_int::<_, 1, 8192>")]
    dimensions: Option<u32>,
}

fn some_float<'de, D: serde::Deserializer<'de>, const MIN: i64, const MAX: i64>(
    d: D,
) -> Result<Option<f32>, D::Error> {
    bounds::float::<D, MIN, MAX>(d).map(Some)
}

fn some_int<'de, D: serde::Deserializer<'de>, const MIN: u64, const MAX: u64>(
    d: D,
) -> Result<Option<u32>, D::Error> {
    bounds::int::<D, u32, MIN, MAX>(d).map(Some)
}

fn some_secs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    bounds::secs::<D, 1, 3600>(d).map(Some)
}

fn ser_some_secs<S: serde::Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => bounds::ser_secs(d, s),
        None => s.serialize_none(),
    }
}

//! The model profiles: one per role (main, heavy, fast, embed), each with its own defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;

/// What a caller asks the model client for; never a model name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everyday conversation and tool calls.
    Main,
    /// Planning of multi-step tasks.
    Heavy,
    /// Quick classification.
    Fast,
    /// Embeddings.
    Embed,
}

impl Role {
    /// Every role, in config order.
    pub const ALL: [Role; 4] = [Role::Main, Role::Heavy, Role::Fast, Role::Embed];

    /// The role's name in config and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Main => "main",
            Role::Heavy => "heavy",
            Role::Fast => "fast",
            Role::Embed => "embed",
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
    /// The profile of `role`.
    pub fn get(&self, role: Role) -> &ModelProfile {
        match role {
            Role::Main => &self.main,
            Role::Heavy => &self.heavy,
            Role::Fast => &self.fast,
            Role::Embed => &self.embed,
        }
    }

    fn role_default(role: u8) -> ModelProfile {
        match role {
            MAIN => ModelProfile::chat("gpt-4o", 0.7, 1024),
            HEAVY => ModelProfile::chat("gpt-4.1", 0.2, 4096),
            FAST => ModelProfile::chat("gpt-4o-mini", 0.0, 256),
            _ => ModelProfile {
                timeout: Some(Duration::from_secs(30)),
                dimensions: Some(256),
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

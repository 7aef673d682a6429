//! The agent's sections: the ethical filter and action policy, the persona, the devices.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;

/// The ethical filter: the gate on words and the gate on actions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EthicalFilter {
    /// Check requests and actions.
    pub enabled: bool,
    /// Refuse single risky words too, not only harmful phrases.
    pub strict_mode: bool,
    /// Refuse requests for malware, weapons and the like.
    pub block_malicious: bool,
    /// Record every request and verdict in the audit table (refusals and action decisions
    /// are always recorded).
    pub log_all_requests: bool,
    /// Ask the fast model for a second opinion on requests the word gate lets through.
    pub second_opinion: bool,
    /// Extra phrases to refuse, by category: `{weapons: ["3d printed gun"]}`.
    pub extra_blocked: BTreeMap<String, Vec<String>>,
    /// How long a "yes" may take to confirm a pending action.
    #[serde(
        rename = "confirm_timeout_s",
        deserialize_with = "bounds::secs::<_, 5, 600>",
        serialize_with = "bounds::ser_secs"
    )]
    pub confirm_timeout: Duration,
    /// Action rules, tried before the built-in ones; the first match decides.
    pub actions: Vec<ActionRule>,
}

impl Default for EthicalFilter {
    fn default() -> Self {
        EthicalFilter {
            enabled: true,
            strict_mode: false,
            block_malicious: true,
            log_all_requests: false,
            second_opinion: false,
            extra_blocked: BTreeMap::new(),
            confirm_timeout: Duration::from_secs(60),
            actions: Vec::new(),
        }
    }
}

/// What to do with a matching action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionDecision {
    /// Do it.
    Allow,
    /// Do it after the same user says yes.
    Confirm,
    /// Never do it.
    Deny,
}

/// One action rule: entity id glob, optional service glob, decision.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRule {
    /// Entity ids it covers: `lock.*`, `cover.garage_*`, `switch.heater`.
    pub entity: String,
    /// Services it covers (`unlock`, `turn_*`); all when absent.
    #[serde(default)]
    pub service: Option<String>,
    /// What to do.
    pub decision: ActionDecision,
}

/// Languages the agent speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// The language of each request.
    Auto,
    /// English.
    En,
    /// Russian.
    Ru,
}

/// Tones of voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// Warm and plain.
    Friendly,
    /// Polite and formal.
    Formal,
    /// As few words as will do.
    Brief,
    /// Light-hearted.
    Playful,
}

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verbosity {
    /// A sentence or two.
    Short,
    /// A short paragraph.
    Normal,
    /// As much as helps.
    Detailed,
}

/// How the agent speaks. A user's stored `tone` preference overrides the tone.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Persona {
    /// The name it answers to.
    pub name: String,
    /// Language of replies.
    pub language: Language,
    /// Tone of voice.
    pub tone: Tone,
    /// Length of replies.
    pub verbosity: Verbosity,
}

impl Default for Persona {
    fn default() -> Self {
        Persona {
            name: "MIRAI".into(),
            language: Language::Auto,
            tone: Tone::Friendly,
            verbosity: Verbosity::Short,
        }
    }
}

/// Device back ends.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Devices {
    /// The simulated demo house.
    pub demo: Demo,
}

/// The demo house: a simulated home for trying MIRAI without hardware.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Demo {
    /// Load the demo house (also `--demo` on the command line).
    pub enabled: bool,
    /// A house of your own in the demo format; the built-in house when absent.
    pub file: Option<PathBuf>,
}

//! The `memory.recall` section: search by meaning and fact memory.

use serde::{Deserialize, Serialize};

use super::bounds;

/// Embeddings, hybrid search and facts distilled from conversations.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Recall {
    /// Embed knowledge, messages, task results and facts with the embed model, in the
    /// background of `mirai serve`, so search finds meaning as well as words.
    pub embeddings: bool,
    /// Items sent to the embed model in one request.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 256>")]
    pub batch_size: usize,
    /// Seconds between rounds of background memory work when there is nothing to do.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 3600>")]
    pub interval_s: u64,
    /// Distil durable facts and preferences from finished conversations with the fast model.
    pub facts: bool,
    /// A conversation counts as finished after this many minutes without a new message.
    #[serde(deserialize_with = "bounds::int::<_, _, 1, 1440>")]
    pub idle_minutes: u32,
    /// Facts and knowledge recalled into the model's context for each request.
    #[serde(deserialize_with = "bounds::int::<_, _, 0, 20>")]
    pub context_items: usize,
}

impl Default for Recall {
    fn default() -> Self {
        Recall {
            embeddings: true,
            batch_size: 32,
            interval_s: 30,
            facts: true,
            idle_minutes: 10,
            context_items: 5,
        }
    }
}

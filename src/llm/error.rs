//! What can go wrong talking to a model, each case in words that say what to do.

use std::time::Duration;

use crate::clock::rfc3339_ms;

/// Why a model call failed. Callers branch on the variant; `Display` is for the user.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// No key for a server that needs one.
    #[error("no OpenAI API key: set OPENAI_API_KEY or openai.api_key_file")]
    KeyMissing,
    /// The server refused the key.
    #[error("{endpoint} rejected the API key ({status}): {message}; check OPENAI_API_KEY")]
    KeyRejected {
        /// Which server and path.
        endpoint: String,
        /// 401 or 403.
        status: u16,
        /// The server's words.
        message: String,
    },
    /// The account has no credit left.
    #[error(
        "the OpenAI quota is exhausted ({message}); add credit or raise the limit in the OpenAI \
         billing settings"
    )]
    QuotaExhausted {
        /// The server's words.
        message: String,
    },
    /// Too many requests, and waiting is not worth it or retries ran out.
    #[error("{endpoint} is rate limiting this hub{}", wait_hint(*.wait))]
    RateLimited {
        /// Which server and path.
        endpoint: String,
        /// How long the server asked to wait, when it said.
        wait: Option<Duration>,
    },
    /// No answer in time, after retries.
    #[error("{endpoint} did not answer within {}s", after.as_secs_f32())]
    TimedOut {
        /// Which server and path.
        endpoint: String,
        /// The per-request timeout.
        after: Duration,
    },
    /// The circuit breaker is open: the server failed repeatedly and is left alone a while.
    #[error(
        "{endpoint} is unavailable since {} (it failed repeatedly); next try after {}",
        rfc3339_ms(*since_ms as i64),
        rfc3339_ms(*retry_at_ms as i64)
    )]
    Unavailable {
        /// Which server and path.
        endpoint: String,
        /// When the breaker opened (Unix ms).
        since_ms: u64,
        /// When a probe will be let through (Unix ms).
        retry_at_ms: u64,
    },
    /// The server could not be reached.
    #[error("cannot reach {endpoint}: {detail}")]
    Connection {
        /// Which server and path.
        endpoint: String,
        /// What the network said.
        detail: String,
    },
    /// The reply could not be understood.
    #[error("bad response from {endpoint}: {detail}")]
    BadResponse {
        /// Which server and path.
        endpoint: String,
        /// What was wrong with it.
        detail: String,
    },
    /// The server answered with an error.
    #[error("{endpoint} answered {status}{}: {message}", kind.as_ref().map(|k| format!(" ({k})")).unwrap_or_default())]
    Api {
        /// Which server and path.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// OpenAI's `error.type`.
        kind: Option<String>,
        /// OpenAI's `error.code`.
        code: Option<String>,
        /// The server's words.
        message: String,
    },
    /// A streamed reply stopped sending.
    #[error("the reply from {endpoint} stalled: nothing came for {}s", after.as_secs_f32())]
    Stalled {
        /// Which server and path.
        endpoint: String,
        /// The idle timeout.
        after: Duration,
    },
    /// A streamed reply broke after it had started (it is never retried then).
    #[error("the reply from {endpoint} broke off: {detail}")]
    StreamBroken {
        /// Which server and path.
        endpoint: String,
        /// What happened.
        detail: String,
    },
    /// A daily cap is reached.
    #[error(transparent)]
    Budget(#[from] super::budget::BudgetExceeded),
    /// The usage ledger could not be read or written.
    #[error("cannot record model usage: {0}")]
    Ledger(String),
}

fn wait_hint(wait: Option<Duration>) -> String {
    match wait {
        Some(d) => format!("; it asks to wait {}s, try again then", d.as_secs().max(1)),
        None => "; try again in a minute".into(),
    }
}

impl LlmError {
    /// True when the server (not the request) is the problem, so another server, or the
    /// local one, may do better. A stream that stalled after it started is not: the user
    /// has heard part of the answer, and a second answer would contradict it.
    pub fn server_side(&self) -> bool {
        match self {
            LlmError::Unavailable { .. }
            | LlmError::Connection { .. }
            | LlmError::TimedOut { .. }
            | LlmError::RateLimited { .. }
            | LlmError::KeyMissing
            | LlmError::QuotaExhausted { .. } => true,
            LlmError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// True when another role's model may succeed where this one failed.
    pub fn worth_a_fallback(&self) -> bool {
        self.server_side() || matches!(self, LlmError::Api { status: 404, .. })
    }
}

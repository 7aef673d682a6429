//! The OpenAI wire format: the JSON bodies of Chat Completions, Embeddings and
//! `GET /models`, as MIRAI sends and receives them. Pure data, no I/O.
//!
//! Bodies follow <https://platform.openai.com/docs/api-reference/chat> and
//! <https://platform.openai.com/docs/api-reference/embeddings>. Parsing never panics:
//! whatever a server or a proxy sends, the answer is a value or a [`WireError`] that says
//! what was wrong, because a bad body from the network is an expected event, not a bug.
//!
//! # Layout
//!
//! - `chat`: messages, tools, and the request body a caller builds.
//! - `response`: the non-streamed chat completion, usage, API error bodies, model lists.
//! - `embeddings`: the embeddings request body and its response.

mod chat;
mod embeddings;
mod response;

pub use chat::{ChatMessage, ChatRequest, ChatRole, FunctionCall, FunctionDef, Tool, ToolCall};
pub use embeddings::{Embeddings, embeddings_body, parse_embeddings};
pub(crate) use response::api_error_from_value;
pub use response::{
    ApiErrorBody, ChatResponse, Usage, excerpt, parse_api_error, parse_chat, parse_models,
};

/// How many bytes of a bad body an error message quotes.
pub const EXCERPT_LEN: usize = 200;

/// Why a body from the API could not be understood.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    /// The body is not what the API documents; the text says what was wrong.
    #[error("bad response from the API: {0}")]
    BadResponse(String),

    /// The API reported an error inside an event stream, after a 200 status.
    #[error("the API reported an error mid-stream: {}", .0.message)]
    Api(ApiErrorBody),

    /// The event stream closed before `[DONE]` and before any `finish_reason`.
    #[error("stream ended early: the connection closed before the reply was complete")]
    StreamEndedEarly,

    /// A line, or one event's data, exceeded its bound; the stream cannot be trusted.
    #[error("event stream line or event longer than {max} bytes")]
    LineTooLong {
        /// The bound that was exceeded ([`crate::llm::sse::MAX_LINE`] or `MAX_EVENT`).
        max: usize,
    },
}

/// Deserializes a whole body into `T`, naming `what` and quoting the body on failure.
fn decode<T: serde::de::DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, WireError> {
    serde_json::from_slice(body)
        .map_err(|e| WireError::BadResponse(format!("{what}: {e}; body: {}", excerpt(body))))
}

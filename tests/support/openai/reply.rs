//! Scripted replies: the bodies OpenAI sends, and every way a response can go wrong.

use std::time::Duration;

use serde_json::{Value, json};

use super::http::reason;

/// The model named in every canned body.
pub const MODEL: &str = "gpt-4o-2024-08-06";

/// One scripted response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Body,
    pub(super) delay: Duration,
}

#[derive(Debug, Clone)]
pub(super) enum Body {
    /// A body framed by Content-Length.
    Full(Vec<u8>),
    /// An event stream, one write per piece.
    Stream(Stream),
    /// Content-Length claims all of `body` but only `sent` bytes go out, then the socket
    /// is closed: with a reset if `reset`, else with a clean FIN.
    Cut {
        body: Vec<u8>,
        sent: usize,
        reset: bool,
    },
    /// No response at all: the connection is closed after the request is read.
    Nothing,
}

#[derive(Debug, Clone)]
pub(super) struct Stream {
    pub(super) pieces: Vec<Vec<u8>>,
    /// Chunked transfer encoding (the connection survives) or close-delimited.
    pub(super) chunked: bool,
    pub(super) pause: Option<(usize, Duration)>,
    pub(super) reset_after: Option<usize>,
}

impl Reply {
    /// `status` with a JSON body.
    pub fn json(status: u16, value: Value) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Full(value.to_string().into_bytes()),
            delay: Duration::ZERO,
        }
    }

    /// A complete `chat.completion` whose reply is `text`, with usage.
    pub fn chat_text(text: &str) -> Self {
        let message = json!({"role": "assistant", "content": text, "refusal": null});
        Self::json(200, completion(message, "stop", words(text)))
    }

    /// A complete `chat.completion` calling tools given as `(id, name, arguments JSON)`.
    pub fn chat_tool_calls(calls: Vec<(&str, &str, &str)>) -> Self {
        let calls: Vec<Value> = calls
            .iter()
            .map(|(id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}}))
            .collect();
        let message = json!({"role": "assistant", "content": null, "tool_calls": calls});
        Self::json(
            200,
            completion(message, "tool_calls", 10 * calls.len() as u64),
        )
    }

    /// An embeddings list, one item per vector.
    pub fn embeddings(vectors: Vec<Vec<f32>>) -> Self {
        let data: Vec<Value> = vectors
            .iter()
            .enumerate()
            .map(|(index, v)| json!({"object": "embedding", "index": index, "embedding": v}))
            .collect();
        let usage = json!({"prompt_tokens": 4 * data.len(), "total_tokens": 4 * data.len()});
        Self::json(
            200,
            json!({"object": "list", "data": data, "model": "text-embedding-3-small", "usage": usage}),
        )
    }

    /// The `GET /models` list.
    pub fn models(ids: &[&str]) -> Self {
        let data: Vec<Value> =
            ids.iter().map(|id| json!({"id": id, "object": "model", "created": 1686935002, "owned_by": "system"})).collect();
        Self::json(200, json!({"object": "list", "data": data}))
    }

    /// `status` with an OpenAI error body of the usual type for it.
    pub fn status(status: u16) -> Self {
        let kind = if status >= 500 {
            "server_error"
        } else {
            "invalid_request_error"
        };
        Self::error(status, kind, "", reason(status))
    }

    /// `status` with the error body `{"error":{message,type,param,code}}`; an empty
    /// `code` is sent as `null`.
    pub fn error(status: u16, kind: &str, code: &str, message: &str) -> Self {
        let code = if code.is_empty() {
            Value::Null
        } else {
            code.into()
        };
        Self::json(
            status,
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
        )
    }

    /// Adds a response header (`retry-after`, `retry-after-ms`, `x-should-retry`…).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    /// Waits this long after reading the request before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// A 200 `text/event-stream` whose body is `pieces`, written as they are, one write
    /// and one HTTP chunk each, so a test controls every byte boundary.
    pub fn stream(pieces: Vec<String>) -> Self {
        let pieces = pieces.into_iter().map(String::into_bytes).collect();
        let stream = Stream {
            pieces,
            chunked: true,
            pause: None,
            reset_after: None,
        };
        Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Stream(stream),
            delay: Duration::ZERO,
        }
    }

    /// A stream of events, each `data: {payload}` and a blank line, one write each.
    pub fn stream_events(payloads: Vec<String>) -> Self {
        Self::stream(
            payloads
                .into_iter()
                .map(|p| format!("data: {p}\n\n"))
                .collect(),
        )
    }

    /// A streamed reply saying `pieces` as OpenAI sends it: a role chunk, one content
    /// chunk per piece, the finish chunk, the usage chunk, `[DONE]`.
    pub fn stream_text(pieces: &[&str]) -> Self {
        let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
        events.extend(pieces.iter().map(|p| chunk(json!({"content": p}), None)));
        events.push(chunk(json!({}), Some("stop")));
        Self::finish_stream(events, pieces.len() as u64)
    }

    /// A streamed reply calling tools `(id, name, arguments JSON)`: every call opens with
    /// its id and name, then the arguments arrive in two halves, the calls interleaved.
    pub fn stream_tool_calls(calls: &[(&str, &str, &str)]) -> Self {
        let mut events: Vec<String> = calls
            .iter()
            .enumerate()
            .map(|(i, (id, name, _))| {
                call_delta(i, json!({"id": id, "type": "function", "function": {"name": name, "arguments": ""}}))
            })
            .collect();
        for half in 0..2 {
            for (i, (_, _, args)) in calls.iter().enumerate() {
                let mid = (0..=args.len() / 2)
                    .rev()
                    .find(|&m| args.is_char_boundary(m))
                    .unwrap_or(0);
                let part = if half == 0 {
                    &args[..mid]
                } else {
                    &args[mid..]
                };
                events.push(call_delta(i, json!({"function": {"arguments": part}})));
            }
        }
        events.push(chunk(json!({}), Some("tool_calls")));
        Self::finish_stream(events, 10 * calls.len() as u64)
    }

    fn finish_stream(mut events: Vec<String>, completion_tokens: u64) -> Self {
        let usage = json!({"prompt_tokens": 10, "completion_tokens": completion_tokens, "total_tokens": 10 + completion_tokens});
        events.push(json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": MODEL, "choices": [], "usage": usage}).to_string());
        events.push("[DONE]".into());
        Self::stream_events(events)
    }

    /// Stops a stream for `pause` after its first `n` pieces, keeping the socket open.
    pub fn pause_after(mut self, n: usize, pause: Duration) -> Self {
        self.stream_mut("pause_after").pause = Some((n, pause));
        self
    }

    /// Resets the connection after the first `n` pieces of a stream.
    pub fn reset_after(mut self, n: usize) -> Self {
        self.stream_mut("reset_after").reset_after = Some(n);
        self
    }

    /// Frames a stream by closing the connection instead of chunked encoding.
    pub fn close_delimited(mut self) -> Self {
        self.stream_mut("close_delimited").chunked = false;
        self
    }

    fn stream_mut(&mut self, what: &str) -> &mut Stream {
        match &mut self.body {
            Body::Stream(stream) => stream,
            _ => panic!("Reply::{what} applies to stream replies only"),
        }
    }

    /// Sends the head and half of a chat completion, then resets the connection.
    pub fn reset_mid_body() -> Self {
        Self::cut(true)
    }

    /// Sends half of a chat completion under a Content-Length for all of it, then closes.
    pub fn truncated_json() -> Self {
        Self::cut(false)
    }

    fn cut(reset: bool) -> Self {
        let Body::Full(body) = Self::chat_text("this reply never arrives whole").body else {
            unreachable!()
        };
        let sent = body.len() / 2;
        Reply {
            body: Body::Cut { body, sent, reset },
            ..Self::json(200, Value::Null)
        }
    }

    /// A 200 whose JSON body stops inside the `choices` array.
    pub fn malformed_json() -> Self {
        let body = br#"{"id":"chatcmpl-test","object":"chat.completion","choices": [{"index":0,"message":{"#;
        Reply {
            body: Body::Full(body.to_vec()),
            ..Self::json(200, Value::Null)
        }
    }

    /// Reads the request, then closes the connection without a byte of response.
    pub fn close_without_response() -> Self {
        Reply {
            body: Body::Nothing,
            ..Self::json(200, Value::Null)
        }
    }
}

/// A `chat.completion` object around one choice.
fn completion(message: Value, finish_reason: &str, completion_tokens: u64) -> Value {
    json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": MODEL,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": completion_tokens, "total_tokens": 10 + completion_tokens},
        "system_fingerprint": "fp_test"
    })
}

/// One `chat.completion.chunk` payload with this delta.
fn chunk(delta: Value, finish_reason: Option<&str>) -> String {
    json!({
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        "usage": null
    })
    .to_string()
}

/// A rough token count: canned bodies only need plausible, deterministic usage.
fn words(text: &str) -> u64 {
    text.split_whitespace().count().max(1) as u64
}

/// One tool-call delta: `fields` (id, type, function…) of the call at `index`.
fn call_delta(index: usize, fields: Value) -> String {
    let mut call = json!({"index": index});
    if let (Some(call), Value::Object(fields)) = (call.as_object_mut(), fields) {
        call.extend(fields);
    }
    chunk(json!({"tool_calls": [call]}), None)
}

//! Assembles the `chat.completion.chunk` payloads of a streamed chat completion into a
//! [`ChatResponse`], handing out new text as it arrives so speech can start early.
//!
//! Chunk shapes: <https://platform.openai.com/docs/api-reference/chat/streaming>. Tool
//! calls arrive as deltas keyed by `index`: the first carries `id` and `name`, later ones
//! carry pieces of `arguments`, and parallel calls may interleave. With
//! `stream_options.include_usage` the last chunk before `[DONE]` has empty `choices` and
//! the `usage`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::llm::wire::{
    ApiErrorBody, ChatResponse, ToolCall, Usage, WireError, api_error_from_value, excerpt,
};

/// The most tool calls one reply may carry; an index past it is a broken stream, and the
/// bound keeps a hostile `index` from costing memory.
pub const MAX_TOOL_CALLS: usize = 128;

/// What one event added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// New reply text (empty if the event carried none).
    pub text: String,
    /// `[DONE]` arrived: nothing more will come.
    pub done: bool,
}

/// Accumulates one streamed reply; feed it each event's data in order.
#[derive(Debug, Default)]
pub struct StreamAssembler {
    text: String,
    calls: BTreeMap<usize, ToolCall>,
    finish_reason: Option<String>,
    model: String,
    usage: Usage,
    done: bool,
}

#[derive(Deserialize)]
struct RawChunk {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Option<Vec<RawChoice>>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct RawChoice {
    #[serde(default)]
    index: usize,
    #[serde(default)]
    delta: Option<RawDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<RawCallDelta>>,
}

#[derive(Deserialize)]
struct RawCallDelta {
    index: usize,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    function: Option<RawFunctionDelta>,
}

#[derive(Deserialize)]
struct RawFunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

impl StreamAssembler {
    /// An assembler for a new stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event's data and returns what it added.
    pub fn push(&mut self, data: &str) -> Result<Delta, WireError> {
        if self.done {
            // Whatever follows `[DONE]` cannot change the reply.
            return Ok(Delta {
                text: String::new(),
                done: true,
            });
        }
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(Delta {
                text: String::new(),
                done: true,
            });
        }
        let chunk: RawChunk = serde_json::from_str(data).map_err(|e| {
            WireError::BadResponse(format!(
                "stream chunk: {e}; data: {}",
                excerpt(data.as_bytes())
            ))
        })?;
        if let Some(error) = chunk.error {
            // OpenAI reports a failure after the 200 status as a chunk holding `error`.
            let body = api_error_from_value(&error).unwrap_or_else(|| ApiErrorBody {
                message: excerpt(data.as_bytes()),
                ..ApiErrorBody::default()
            });
            return Err(WireError::Api(body));
        }
        if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
            self.model = model;
        }
        if let Some(usage) = chunk.usage {
            self.usage = usage;
        }
        let mut text = String::new();
        // MIRAI asks for one choice; a server that sends more is answered by the first.
        for choice in chunk
            .choices
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.index == 0)
        {
            self.apply(choice, &mut text)?;
        }
        Ok(Delta { text, done: false })
    }

    fn apply(&mut self, choice: RawChoice, text: &mut String) -> Result<(), WireError> {
        if let Some(reason) = choice.finish_reason {
            self.finish_reason = Some(reason);
        }
        let Some(delta) = choice.delta else {
            return Ok(());
        };
        if let Some(content) = delta.content {
            self.text.push_str(&content);
            text.push_str(&content);
        }
        for call in delta.tool_calls.unwrap_or_default() {
            self.apply_call(call)?;
        }
        Ok(())
    }

    fn apply_call(&mut self, delta: RawCallDelta) -> Result<(), WireError> {
        if delta.index >= MAX_TOOL_CALLS {
            return Err(WireError::BadResponse(format!(
                "stream chunk: tool call index {} is past the limit of {MAX_TOOL_CALLS}",
                delta.index
            )));
        }
        let call = self
            .calls
            .entry(delta.index)
            .or_insert_with(|| ToolCall::function("", "", ""));
        if let Some(id) = delta.id.filter(|id| !id.is_empty()) {
            call.id = id;
        }
        if let Some(kind) = delta.kind {
            call.kind = kind;
        }
        if let Some(function) = delta.function {
            // The name comes whole in the first delta; appending tolerates servers that split it.
            call.function
                .name
                .push_str(function.name.as_deref().unwrap_or(""));
            call.function
                .arguments
                .push_str(function.arguments.as_deref().unwrap_or(""));
        }
        Ok(())
    }

    /// The whole reply, once the stream has ended.
    pub fn finish(self) -> Result<ChatResponse, WireError> {
        if !self.done && self.finish_reason.is_none() {
            return Err(WireError::StreamEndedEarly);
        }
        let mut tool_calls = Vec::with_capacity(self.calls.len());
        for (index, call) in self.calls {
            if call.function.name.is_empty() {
                return Err(WireError::BadResponse(format!(
                    "stream: tool call {index} has no name"
                )));
            }
            tool_calls.push(call);
        }
        Ok(ChatResponse {
            text: Some(self.text).filter(|t| !t.is_empty()),
            tool_calls,
            finish_reason: self.finish_reason,
            usage: self.usage,
            model: self.model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::sse::SseParser;

    /// Chunks as <https://platform.openai.com/docs/api-reference/chat/streaming> shows
    /// them, with `stream_options.include_usage` (hence `"usage":null` and the last chunk).
    const TEXT_STREAM: &str = concat!(
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\", Grüß 東京!\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}\n\n",
        "data: [DONE]\n\n",
    );

    /// Two parallel calls, interleaved the way the function-calling guide
    /// (<https://platform.openai.com/docs/guides/function-calling#streaming>) allows.
    const TOOL_STREAM: &[&str] = &[
        r#"{"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#,
        r#"{"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"lights","arguments":""}}]},"finish_reason":null}]}"#,
        r#"{"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"loc"}}]},"finish_reason":null}]}"#,
        r#"{"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"on\":"}}]},"finish_reason":null}]}"#,
        r#"{"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ation\":\"Paris\"}"}}]},"finish_reason":null}]}"#,
        r#"{"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"false}"}}]},"finish_reason":null}]}"#,
        r#"{"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ];

    /// Feeds `stream` in pieces of `size` bytes through both layers.
    fn run(stream: &[u8], size: usize) -> (String, Result<ChatResponse, WireError>) {
        let (mut parser, mut asm, mut spoken) =
            (SseParser::new(), StreamAssembler::new(), String::new());
        for piece in stream.chunks(size) {
            for event in parser.push(piece).unwrap() {
                spoken.push_str(&asm.push(&event.data).unwrap().text);
            }
        }
        (spoken, asm.finish())
    }

    #[test]
    fn text_stream_split_at_every_size_assembles_the_same() {
        for size in [1, 2, 3, 7, 64, TEXT_STREAM.len()] {
            let (spoken, reply) = run(TEXT_STREAM.as_bytes(), size);
            let reply = reply.unwrap();
            assert_eq!(spoken, "Hello, Grüß 東京!", "pieces of {size}");
            assert_eq!(reply.text.as_deref(), Some("Hello, Grüß 東京!"));
            assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
            assert_eq!(reply.model, "gpt-4o-mini");
            assert_eq!(
                reply.usage,
                Usage {
                    prompt_tokens: 9,
                    completion_tokens: 4,
                    total_tokens: 13
                }
            );
        }
    }

    #[test]
    fn interleaved_parallel_tool_calls_are_put_together_by_index() {
        let mut asm = StreamAssembler::new();
        let last = TOOL_STREAM
            .iter()
            .map(|d| asm.push(d).unwrap())
            .last()
            .unwrap();
        assert!(last.done);
        let reply = asm.finish().unwrap();
        assert_eq!(reply.text, None);
        assert_eq!(reply.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(
            reply.tool_calls,
            vec![
                ToolCall::function("call_a", "get_weather", r#"{"location":"Paris"}"#),
                ToolCall::function("call_b", "lights", r#"{"on":false}"#),
            ]
        );
    }

    #[test]
    fn end_without_done_is_fine_after_a_finish_reason_and_early_otherwise() {
        let mut asm = StreamAssembler::new();
        asm.push(TOOL_STREAM[6]).unwrap();
        assert!(asm.finish().is_ok());
        let mut asm = StreamAssembler::new();
        asm.push(TOOL_STREAM[0]).unwrap();
        assert_eq!(asm.finish().unwrap_err(), WireError::StreamEndedEarly);
        assert_eq!(
            StreamAssembler::new().finish().unwrap_err(),
            WireError::StreamEndedEarly
        );
    }

    #[test]
    fn garbage_json_is_a_clear_error() {
        let mut asm = StreamAssembler::new();
        let err = asm.push("{\"choices\": [").unwrap_err().to_string();
        assert!(err.contains("stream chunk") && err.contains("EOF"), "{err}");
        let err = asm.push("{\"choices\": 5}").unwrap_err().to_string();
        assert!(err.contains("invalid type"), "{err}");
        let err = asm.push("hello").unwrap_err().to_string();
        assert!(err.contains("data: hello"), "{err}");
    }

    #[test]
    fn an_error_chunk_becomes_the_api_error() {
        let mut asm = StreamAssembler::new();
        let data = r#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#;
        match asm.push(data) {
            Err(WireError::Api(e)) => {
                assert_eq!(e.message, "The server had an error");
                assert_eq!(e.kind.as_deref(), Some("server_error"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nameless_call_and_hostile_index_are_errors() {
        let mut asm = StreamAssembler::new();
        asm.push(r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#).unwrap();
        assert!(asm.finish().unwrap_err().to_string().contains("no name"));
        let mut asm = StreamAssembler::new();
        let far = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":4000000000}]}}]}"#;
        assert!(
            asm.push(far)
                .unwrap_err()
                .to_string()
                .contains("past the limit")
        );
    }

    #[test]
    fn data_after_done_is_ignored() {
        let mut asm = StreamAssembler::new();
        assert!(asm.push("[DONE]").unwrap().done);
        assert_eq!(
            asm.push("garbage").unwrap(),
            Delta {
                text: String::new(),
                done: true
            }
        );
    }
}

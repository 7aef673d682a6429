//! What comes back: the non-streamed chat completion, token usage, API error bodies and
//! the model list.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::chat::ToolCall;
use super::{EXCERPT_LEN, WireError, decode};

/// Tokens one request used, as the API counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Tokens in the request.
    pub prompt_tokens: u64,
    /// Tokens in the reply (zero for embeddings).
    pub completion_tokens: u64,
    /// Both together.
    pub total_tokens: u64,
}

/// A chat completion reduced to what MIRAI uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatResponse {
    /// The reply text, if the model wrote any.
    pub text: Option<String>,
    /// Tools the model asked to call, in the order it listed them.
    pub tool_calls: Vec<ToolCall>,
    /// `stop`, `length`, `tool_calls`, `content_filter`…
    pub finish_reason: Option<String>,
    /// Token counts (zero if the server sent none).
    pub usage: Usage,
    /// The model that answered, as the server names it.
    pub model: String,
}

#[derive(Deserialize)]
struct RawCompletion {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<RawChoice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct RawChoice {
    message: RawMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

/// Parses the body of a non-streamed `POST /chat/completions` (its first choice).
pub fn parse_chat(body: &[u8]) -> Result<ChatResponse, WireError> {
    let raw: RawCompletion = decode("chat completion", body)?;
    let Some(choice) = raw.choices.into_iter().next() else {
        return Err(WireError::BadResponse(format!(
            "chat completion has no choices; body: {}",
            excerpt(body)
        )));
    };
    Ok(ChatResponse {
        text: choice.message.content,
        tool_calls: choice.message.tool_calls.unwrap_or_default(),
        finish_reason: choice.finish_reason,
        usage: raw.usage.unwrap_or_default(),
        model: raw.model.unwrap_or_default(),
    })
}

/// The `error` object of a failed request, as OpenAI sends it with a 4xx or 5xx status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApiErrorBody {
    /// What went wrong, for a person.
    pub message: String,
    /// The `type`, e.g. `insufficient_quota`, `invalid_request_error`, `server_error`.
    pub kind: Option<String>,
    /// The `code`, e.g. `invalid_api_key`, `rate_limit_exceeded`.
    pub code: Option<String>,
    /// The request parameter at fault, if the server named one.
    pub param: Option<String>,
}

/// Reads an API error body; `None` if it is not one (an HTML page from a proxy, a bare
/// text), and then the caller shows the status and an [`excerpt`] instead.
pub fn parse_api_error(body: &[u8]) -> Option<ApiErrorBody> {
    let value: Value = serde_json::from_slice(body).ok()?;
    api_error_from_value(value.get("error")?)
}

/// Reads an `error` object; compatible servers put a bare string or a number code there.
pub(crate) fn api_error_from_value(error: &Value) -> Option<ApiErrorBody> {
    if let Value::String(message) = error {
        return Some(ApiErrorBody {
            message: message.clone(),
            ..ApiErrorBody::default()
        });
    }
    let text = |key: &str| match error.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    Some(ApiErrorBody {
        message: text("message")?,
        kind: text("type"),
        code: text("code"),
        param: text("param"),
    })
}

#[derive(Deserialize)]
struct RawModels {
    data: Vec<RawModel>,
}

#[derive(Deserialize)]
struct RawModel {
    id: String,
}

/// Parses the body of `GET /models` into the model ids, in the order listed.
pub fn parse_models(body: &[u8]) -> Result<Vec<String>, WireError> {
    let raw: RawModels = decode("model list", body)?;
    Ok(raw.data.into_iter().map(|m| m.id).collect())
}

/// The first [`EXCERPT_LEN`] bytes of a body as text, cut on a character boundary, for
/// error messages about bodies that could not be parsed.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_LEN)]);
    let text = text.trim_end_matches('\u{FFFD}');
    if body.len() > EXCERPT_LEN {
        format!("{text}…")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example response of <https://platform.openai.com/docs/api-reference/chat/object>.
    const COMPLETION: &str = r#"{
      "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
      "object": "chat.completion",
      "created": 1741570283,
      "model": "gpt-4o-2024-08-06",
      "choices": [{
        "index": 0,
        "message": {"role": "assistant", "content": "The image shows a wooden boardwalk.",
                    "refusal": null, "annotations": []},
        "logprobs": null,
        "finish_reason": "stop"
      }],
      "usage": {"prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0}},
      "service_tier": "default",
      "system_fingerprint": "fp_fc9f1d7035"
    }"#;

    #[test]
    fn parses_the_documented_completion() {
        let r = parse_chat(COMPLETION.as_bytes()).unwrap();
        assert_eq!(
            r.text.as_deref(),
            Some("The image shows a wooden boardwalk.")
        );
        assert_eq!(r.finish_reason.as_deref(), Some("stop"));
        assert_eq!(r.model, "gpt-4o-2024-08-06");
        assert_eq!(
            r.usage,
            Usage {
                prompt_tokens: 1117,
                completion_tokens: 46,
                total_tokens: 1163
            }
        );
        assert!(r.tool_calls.is_empty());
    }

    #[test]
    fn parses_tool_calls_with_null_content() {
        let body = r#"{"model":"m","choices":[{"index":0,"finish_reason":"tool_calls",
            "message":{"role":"assistant","content":null,"tool_calls":[
              {"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]}}]}"#;
        let r = parse_chat(body.as_bytes()).unwrap();
        assert_eq!(r.text, None);
        assert_eq!(
            r.tool_calls,
            vec![ToolCall::function("call_a", "f", r#"{"x":1}"#)]
        );
        assert_eq!(r.usage, Usage::default());
    }

    #[test]
    fn bad_bodies_are_errors_that_say_what_was_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "EOF"),
            (b"{\"choices\": [", "EOF"),
            (b"{\"model\":\"m\"}", "missing field `choices`"),
            (b"{\"choices\":[]}", "no choices"),
            (b"{\"choices\":\"x\"}", "invalid type"),
            (
                b"{\"choices\":[{\"message\":{\"content\":5}}]}",
                "invalid type",
            ),
            (b"<html>502 Bad Gateway</html>", "502 Bad Gateway"),
            (&[0xff, 0xfe, 0x00], "expected value"),
        ];
        for (body, needle) in cases {
            let err = parse_chat(body).unwrap_err().to_string();
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
    }

    #[test]
    fn api_error_bodies_parse_and_others_do_not() {
        let body = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let e = parse_api_error(body).unwrap();
        assert_eq!(e.message, "You exceeded your current quota");
        assert_eq!(e.kind.as_deref(), Some("insufficient_quota"));
        assert_eq!(e.code.as_deref(), Some("insufficient_quota"));
        assert_eq!(e.param, None);
        let numeric = parse_api_error(br#"{"error":{"message":"m","code":429}}"#).unwrap();
        assert_eq!(numeric.code.as_deref(), Some("429"));
        assert_eq!(
            parse_api_error(br#"{"error":"overloaded"}"#)
                .unwrap()
                .message,
            "overloaded"
        );
        assert_eq!(parse_api_error(b"<html>Bad gateway</html>"), None);
        assert_eq!(parse_api_error(br#"{"detail":"x"}"#), None);
        assert_eq!(parse_api_error(b""), None);
    }

    #[test]
    fn models_list_ids_in_order() {
        let body = br#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"},{"id":"text-embedding-3-small"}]}"#;
        assert_eq!(
            parse_models(body).unwrap(),
            ["gpt-4o", "text-embedding-3-small"]
        );
        assert!(parse_models(b"{\"data\":{}}").is_err());
    }

    #[test]
    fn excerpt_is_bounded_and_cut_on_a_char() {
        assert_eq!(excerpt(b"short"), "short");
        let long = "é".repeat(EXCERPT_LEN);
        let cut = excerpt(long.as_bytes());
        assert!(cut.ends_with('…') && cut.len() <= EXCERPT_LEN + '…'.len_utf8());
        assert!(!cut.contains('\u{FFFD}'));
    }
}

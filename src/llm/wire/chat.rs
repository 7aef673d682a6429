//! Chat Completions requests: messages, tool definitions, tool calls, and the body.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// Instructions from MIRAI itself.
    System,
    /// The person talking to the hub.
    User,
    /// The model.
    Assistant,
    /// The result of a tool call, answering an assistant's `tool_calls`.
    Tool,
}

/// One message of a conversation, in the shape the API takes and returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// The text; `null` on an assistant message that only calls tools, as the API sends it.
    #[serde(default)]
    pub content: Option<String>,
    /// Tools the assistant asked to call.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub tool_calls: Vec<ToolCall>,
    /// On a `tool` message: the [`ToolCall::id`] it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// An optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ChatMessage {
    fn new(role: ChatRole, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: Some(content.into()),
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        }
    }

    /// A system message.
    pub fn system(text: impl Into<String>) -> Self {
        Self::new(ChatRole::System, text)
    }

    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::new(ChatRole::User, text)
    }

    /// An assistant message with text only.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(ChatRole::Assistant, text)
    }

    /// The result of the tool call `call_id`.
    pub fn tool_result(call_id: impl Into<String>, content: impl Into<String>) -> Self {
        ChatMessage {
            tool_call_id: Some(call_id.into()),
            ..Self::new(ChatRole::Tool, content)
        }
    }
}

/// A tool call the model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The id a [`ChatMessage::tool_result`] must quote; empty if a server sent none.
    #[serde(default)]
    pub id: String,
    /// Always `function` today; kept as text so a new kind parses instead of failing.
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    /// Which function, with which arguments.
    pub function: FunctionCall,
}

impl ToolCall {
    /// A `function` tool call.
    pub fn function(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            kind: function_kind(),
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }
}

/// The function half of a [`ToolCall`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The function's name.
    pub name: String,
    /// JSON text as the API sends it; the model may have written invalid JSON, so the
    /// caller parses it and can tell the model when it is wrong.
    #[serde(deserialize_with = "arguments_text")]
    pub arguments: String,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What the function is and takes.
    pub function: FunctionDef,
}

impl Tool {
    /// A function tool whose arguments follow the JSON schema `parameters`.
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
    ) -> Self {
        Tool {
            kind: function_kind(),
            function: FunctionDef {
                name: name.into(),
                description: description.into(),
                parameters,
            },
        }
    }
}

/// The definition of a function tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDef {
    /// The name the model calls it by.
    pub name: String,
    /// What it does, for the model to decide when to call it.
    pub description: String,
    /// A JSON schema of the arguments.
    pub parameters: Value,
}

/// A chat request as a caller builds it; the model and its sampling come from the
/// model profile when the body is made, so callers ask by role, never by model name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// The conversation so far.
    pub messages: Vec<ChatMessage>,
    /// Tools the model may call; omitted from the body when empty.
    pub tools: Vec<Tool>,
    /// `"auto"`, `"none"`, `"required"` or `{"type":"function","function":{"name":..}}`.
    pub tool_choice: Option<Value>,
    /// Whether the model may call several tools in one turn.
    pub parallel_tool_calls: Option<bool>,
    /// For instance `{"type":"json_object"}` or a `json_schema` format.
    pub response_format: Option<Value>,
}

impl ChatRequest {
    /// A request with these messages and nothing else.
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        ChatRequest {
            messages,
            ..Self::default()
        }
    }

    /// Offers these tools.
    pub fn with_tools(mut self, tools: Vec<Tool>) -> Self {
        self.tools = tools;
        self
    }

    /// Sets `tool_choice`.
    pub fn with_tool_choice(mut self, choice: Value) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Forces a call of the function `name`.
    pub fn force_tool(self, name: &str) -> Self {
        self.with_tool_choice(json!({"type": "function", "function": {"name": name}}))
    }

    /// Sets `parallel_tool_calls`.
    pub fn with_parallel_tool_calls(mut self, allowed: bool) -> Self {
        self.parallel_tool_calls = Some(allowed);
        self
    }

    /// Sets `response_format`.
    pub fn with_response_format(mut self, format: Value) -> Self {
        self.response_format = Some(format);
        self
    }

    /// Asks for a JSON object reply (`{"type":"json_object"}`).
    pub fn json_object(self) -> Self {
        self.with_response_format(json!({"type": "json_object"}))
    }

    /// The exact JSON body of `POST /chat/completions`.
    ///
    /// `max_tokens` is sent under that name: every OpenAI-compatible server knows it,
    /// while `max_completion_tokens` is only known to OpenAI (and required by its
    /// reasoning models, which MIRAI's profiles do not use).
    pub fn body(
        &self,
        model: &str,
        temperature: f32,
        top_p: f32,
        max_tokens: u32,
        stream: bool,
    ) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), model.into());
        body.insert("messages".into(), json!(self.messages));
        body.insert("temperature".into(), decimal(temperature));
        body.insert("top_p".into(), decimal(top_p));
        body.insert("max_tokens".into(), max_tokens.into());
        if !self.tools.is_empty() {
            body.insert("tools".into(), json!(self.tools));
        }
        let optional = [
            ("tool_choice", self.tool_choice.clone()),
            (
                "parallel_tool_calls",
                self.parallel_tool_calls.map(Value::from),
            ),
            ("response_format", self.response_format.clone()),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                body.insert(key.into(), value);
            }
        }
        if stream {
            body.insert("stream".into(), true.into());
            // Without this the stream carries no token counts and the budget goes blind.
            body.insert("stream_options".into(), json!({"include_usage": true}));
        }
        Value::Object(body)
    }
}

/// An `f32` as the decimal a person wrote (`0.7`, not `0.699999988079071`).
fn decimal(x: f32) -> Value {
    let shortest = x.to_string().parse::<f64>().unwrap_or(f64::from(x));
    serde_json::Number::from_f64(shortest).map_or(Value::Null, Value::Number)
}

fn function_kind() -> String {
    "function".into()
}

/// Some servers send `"tool_calls": null` where OpenAI omits the key.
fn null_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// OpenAI sends arguments as JSON text; some compatible servers send the object itself.
fn arguments_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(text) => text,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_carries_messages_sampling_and_no_empty_fields() {
        let req = ChatRequest::new(vec![
            ChatMessage::system("be brief"),
            ChatMessage::user("hi"),
        ]);
        let body = req.body("gpt-4o", 0.7, 1.0, 256, false);
        assert_eq!(
            body,
            json!({
                "model": "gpt-4o",
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": "hi"}
                ],
                "temperature": 0.7,
                "top_p": 1.0,
                "max_tokens": 256
            })
        );
    }

    #[test]
    fn streamed_body_asks_for_usage_and_carries_tools() {
        let tool = Tool::function("lights", "Turn lights on or off", json!({"type": "object"}));
        let req = ChatRequest::new(vec![ChatMessage::user("lights off")])
            .with_tools(vec![tool])
            .force_tool("lights")
            .with_parallel_tool_calls(false)
            .json_object();
        let body = req.body("m", 0.0, 1.0, 1, true);
        assert_eq!(body["stream"], json!(true));
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
        assert_eq!(body["tools"][0]["type"], json!("function"));
        assert_eq!(body["tools"][0]["function"]["name"], json!("lights"));
        assert_eq!(body["tool_choice"]["function"]["name"], json!("lights"));
        assert_eq!(body["parallel_tool_calls"], json!(false));
        assert_eq!(body["response_format"], json!({"type": "json_object"}));
    }

    #[test]
    fn tool_turn_round_trips_as_the_api_spells_it() {
        let mut call = ChatMessage::assistant("");
        call.content = None;
        call.tool_calls = vec![ToolCall::function("call_1", "lights", r#"{"on":false}"#)];
        let result = ChatMessage::tool_result("call_1", "done");
        let json = json!([call, result]);
        assert_eq!(
            json,
            json!([
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "lights", "arguments": "{\"on\":false}"}}
                ]},
                {"role": "tool", "content": "done", "tool_call_id": "call_1"}
            ])
        );
        let back: Vec<ChatMessage> = serde_json::from_value(json).unwrap();
        assert_eq!(back, vec![call, result]);
    }

    #[test]
    fn arguments_sent_as_an_object_become_text() {
        let call: ToolCall = serde_json::from_value(
            json!({"id": "c", "function": {"name": "f", "arguments": {"a": 1}}}),
        )
        .unwrap();
        assert_eq!(call.function.arguments, r#"{"a":1}"#);
        assert_eq!(call.kind, "function");
    }
}

//! The cognitive loop for requests the local intents do not cover: analyze → plan →
//! execute (a bounded tool-calling loop with the main model) → reflect.

use std::time::Instant;

use serde_json::{Value, json};

use super::TurnLog;
use super::sentences::Sentences;
use super::tools::{self, ToolBox};
use crate::llm::wire::{ChatMessage, ChatRequest, ToolCall, Usage};
use crate::llm::{Llm, LlmError, Role};

/// What kind of request this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Act on devices.
    DeviceCommand,
    /// A question to answer.
    Question,
    /// Small talk.
    ChitChat,
    /// Several steps, or a condition: worth a plan.
    MultiStep,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::DeviceCommand => "device_command",
            Kind::Question => "question",
            Kind::ChitChat => "chit_chat",
            Kind::MultiStep => "multi_step",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [
            Kind::DeviceCommand,
            Kind::Question,
            Kind::ChitChat,
            Kind::MultiStep,
        ]
        .into_iter()
        .find(|k| s.contains(k.as_str()))
    }
}

/// Local rules first: a kind when the words make it plain, `None` when unsure.
pub(crate) fn analyze_locally(text: &str) -> Option<Kind> {
    let words: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let t = format!(
        " {} ",
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&[
        " and then ",
        " then ",
        " after that ",
        " if ",
        " when ",
        " затем ",
        " потом ",
        " после этого ",
        " если ",
        " когда ",
    ]) {
        return Some(Kind::MultiStep);
    }
    if has(&[
        " hi ",
        " hello ",
        " thanks ",
        " thank you ",
        " привет ",
        " спасибо ",
        " как дела",
        " how are you",
    ]) {
        return Some(Kind::ChitChat);
    }
    if text.trim_end().ends_with('?')
        || has(&[
            " what ",
            " who ",
            " how ",
            " why ",
            " where ",
            " что ",
            " кто ",
            " как ",
            " почему ",
            " где ",
            " сколько ",
        ])
    {
        return Some(Kind::Question);
    }
    if has(&[
        " turn ",
        " switch ",
        " set ",
        " open ",
        " close ",
        " lock ",
        " включи",
        " выключи",
        " открой",
        " закрой",
    ]) {
        return Some(Kind::DeviceCommand);
    }
    None
}

/// One turn through the loop.
pub(crate) struct Turn<'a> {
    pub(crate) llm: &'a Llm,
    pub(crate) tools: ToolBox<'a>,
    pub(crate) system: String,
    pub(crate) context: Value,
    pub(crate) history: Vec<ChatMessage>,
    pub(crate) max_iterations: u32,
    pub(crate) deadline: Instant,
}

/// Where a streamed turn sends its sentences as they form.
pub(crate) type Partial<'a> = Option<&'a mut dyn FnMut(&str)>;

/// What the loop thought and said.
pub(crate) struct Thought {
    pub(crate) analysis: String,
    pub(crate) plan: Option<String>,
    pub(crate) text: String,
    pub(crate) usage: Usage,
}

impl Turn<'_> {
    /// Runs the loop for `text`, recording tool effects in `log`.
    pub(crate) fn run(
        &self,
        text: &str,
        log: &mut TurnLog,
        partial: Partial<'_>,
    ) -> Result<Thought, LlmError> {
        let mut usage = Usage::default();
        let kind = match analyze_locally(text) {
            Some(k) => k,
            None => self.classify(text, &mut usage).unwrap_or(Kind::Question),
        };
        let plan = match kind {
            Kind::MultiStep => Some(self.plan(text, &mut usage)?),
            _ => None,
        };
        let reply = self.execute(text, plan.as_deref(), &mut usage, log, partial)?;
        Ok(Thought {
            analysis: kind.as_str().to_owned(),
            plan,
            text: reply,
            usage,
        })
    }

    /// The fast model's guess at the kind, as JSON.
    fn classify(&self, text: &str, usage: &mut Usage) -> Option<Kind> {
        let request = ChatRequest::new(vec![
            ChatMessage::system(
                "Classify the user's message. Reply with JSON {\"kind\": K} where K is one of \
                 device_command, question, chit_chat, multi_step.",
            ),
            ChatMessage::user(text),
        ])
        .json_object();
        let answer = self.llm.chat(Role::Fast, &request).ok()?;
        add(usage, answer.response.usage);
        let value: Value = serde_json::from_str(answer.response.text.as_deref()?).ok()?;
        Kind::parse(value.get("kind")?.as_str()?)
    }

    /// The heavy model's numbered steps for a multi-step request.
    fn plan(&self, text: &str, usage: &mut Usage) -> Result<String, LlmError> {
        let request = ChatRequest::new(vec![
            ChatMessage::system(
                "Plan how to carry out the user's request with the home's tools (find_devices, \
                 call_service, remember_preference, recall, add_knowledge, get_datetime). \
                 Reply with short numbered steps only.",
            ),
            ChatMessage::user(text),
        ]);
        let answer = self.llm.chat(Role::Heavy, &request)?;
        add(usage, answer.response.usage);
        Ok(answer.response.text.unwrap_or_default())
    }

    /// The tool-calling loop with the main model, bounded by iterations and the deadline.
    fn execute(
        &self,
        text: &str,
        plan: Option<&str>,
        usage: &mut Usage,
        log: &mut TurnLog,
        mut partial: Partial<'_>,
    ) -> Result<String, LlmError> {
        let mut messages = vec![ChatMessage::system(self.system.clone())];
        messages.extend(context_messages(&self.context));
        messages.extend(self.history.iter().cloned());
        if let Some(plan) = plan {
            messages.push(ChatMessage::assistant(format!("My plan:\n{plan}")));
        }
        messages.push(ChatMessage::user(text));
        for _ in 0..self.max_iterations {
            if Instant::now() >= self.deadline {
                break;
            }
            let request = ChatRequest::new(messages.clone()).with_tools(tools::definitions());
            let answer = match partial.as_mut() {
                // Streamed, so the first sentence can be spoken while the rest is written.
                Some(emit) => {
                    let mut sentences = Sentences::new(&mut **emit);
                    let answer = self
                        .llm
                        .chat_stream(Role::Main, &request, &mut |t| sentences.push(t))?;
                    sentences.finish();
                    answer
                }
                None => self.llm.chat(Role::Main, &request)?,
            };
            add(usage, answer.response.usage);
            let response = answer.response;
            if response.tool_calls.is_empty() {
                return Ok(response.text.unwrap_or_default());
            }
            messages.push(assistant_calling(
                response.text.clone(),
                response.tool_calls.clone(),
            ));
            for call in &response.tool_calls {
                let result = self.tools.run(call, log);
                messages.push(ChatMessage::tool_result(call.id.clone(), result));
            }
        }
        log.exhausted = true;
        Ok(String::new())
    }
}

/// The turn's context handed over as the result of a `get_context` call: the model treats
/// it as data, and none of it is in the system prompt.
fn context_messages(context: &Value) -> [ChatMessage; 2] {
    let call = ToolCall::function("context", "get_context", "{}");
    [
        assistant_calling(None, vec![call]),
        ChatMessage::tool_result("context", context.to_string()),
    ]
}

fn assistant_calling(text: Option<String>, calls: Vec<ToolCall>) -> ChatMessage {
    let mut m = ChatMessage::assistant(text.unwrap_or_default());
    m.tool_calls = calls;
    m
}

fn add(total: &mut Usage, u: Usage) {
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.total_tokens += u.total_tokens;
}

/// The context object for a turn.
pub(crate) fn context(
    user: &str,
    prefs: &std::collections::BTreeMap<String, String>,
    knowledge: Vec<Value>,
    devices: Vec<Value>,
) -> Value {
    let now = crate::clock::now_ms();
    let (local, weekday) = crate::clock::local_time(now);
    json!({"now": local, "weekday": weekday, "user": user, "preferences": prefs,
           "knowledge": knowledge, "devices": devices})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_analysis_spots_the_plain_cases_and_admits_doubt() {
        assert_eq!(
            analyze_locally("turn on the light and then lock the door"),
            Some(Kind::MultiStep)
        );
        assert_eq!(
            analyze_locally("если станет холодно, включи отопление"),
            Some(Kind::MultiStep)
        );
        assert_eq!(
            analyze_locally("what is the capital of France?"),
            Some(Kind::Question)
        );
        assert_eq!(analyze_locally("привет!"), Some(Kind::ChitChat));
        assert_eq!(
            analyze_locally("set the mood for a party"),
            Some(Kind::DeviceCommand)
        );
        assert_eq!(analyze_locally("the cat is sleeping"), None);
    }
}

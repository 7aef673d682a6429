//! What every front end hands the agent, and what it gets back.

use serde::{Deserialize, Serialize};

use crate::devices::ServiceCall;
use crate::llm::wire::Usage;

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `mirai ask`.
    Cli,
    /// `mirai terminal`.
    Terminal,
    /// MQTT voice or speaker commands.
    Voice,
    /// The HTTP API.
    Http,
    /// The autonomous scheduler.
    Autonomous,
    /// The hub's GPIO button.
    Gpio,
    /// A control, not words: a Home Assistant switch or thermostat card over MQTT.
    Control,
}

/// One thing a person (or the scheduler) asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// The words.
    pub text: String,
    /// The front end.
    pub source: Source,
    /// Who asked ("alice"); preferences and confirmations are per user.
    pub user: String,
    /// The conversation it belongs to.
    pub session: String,
    /// Where the person is (a satellite's site id), if known.
    pub site: Option<String>,
    /// `en`, `ru`, or `None` to detect it from the words.
    pub lang: Option<String>,
}

impl Request {
    /// A request with the given words from `source`, for `user` in `session`.
    pub fn new(text: impl Into<String>, source: Source, user: &str, session: &str) -> Self {
        Request {
            text: text.into(),
            source,
            user: user.to_owned(),
            session: session.to_owned(),
            site: None,
            lang: None,
        }
    }
}

/// What was done to one entity during a turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionReport {
    /// The call.
    pub call: ServiceCall,
    /// `done`, `refused`, `failed`, `denied`, `pending_confirmation`.
    pub outcome: String,
    /// Details: the new state, or why not.
    pub detail: String,
    /// What the service answered, for services that answer with data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
}

/// The agent's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    /// What to say.
    pub text: String,
    /// What was done (or refused) on devices.
    pub actions: Vec<ActionReport>,
    /// The safety gate refused the request; the category it fell in.
    pub blocked: Option<String>,
    /// Actions waiting for the user's "yes".
    pub pending_confirmation: Vec<ServiceCall>,
    /// Tokens the models used for this turn.
    pub usage: Usage,
    /// The session.
    pub session: String,
    /// How the reply was made: `local_intent`, `model`, `safety`, `confirmation`, `offline`.
    pub via: String,
}

impl Reply {
    /// The JSON every front end answers with: `{reply, actions:[{entity, service, data,
    /// outcome, detail}], blocked, pending_confirmation, usage, session, via}`.
    pub fn to_json(&self) -> serde_json::Value {
        let actions: Vec<_> = self
            .actions
            .iter()
            .map(|a| {
                let mut action = serde_json::json!({"entity": a.call.entity_id,
                    "service": a.call.service, "data": a.call.data, "outcome": a.outcome,
                    "detail": a.detail});
                if let Some(answer) = &a.response {
                    action["response"] = answer.clone();
                }
                action
            })
            .collect();
        serde_json::json!({
            "reply": self.text, "actions": actions, "blocked": self.blocked,
            "pending_confirmation": self.pending_confirmation, "usage": self.usage,
            "session": self.session, "via": self.via,
        })
    }

    /// A reply read back from [`Reply::to_json`]'s shape (a daemon's `/api/ask` answer).
    pub fn from_json(value: serde_json::Value) -> Result<Reply, serde_json::Error> {
        let wire: WireReply = serde_json::from_value(value)?;
        let actions = wire
            .actions
            .into_iter()
            .map(|a| ActionReport {
                call: ServiceCall {
                    entity_id: a.entity,
                    service: a.service,
                    data: a.data,
                },
                outcome: a.outcome,
                detail: a.detail,
                response: a.response,
            })
            .collect();
        Ok(Reply {
            text: wire.reply,
            actions,
            blocked: wire.blocked,
            pending_confirmation: wire.pending_confirmation,
            usage: wire.usage,
            session: wire.session,
            via: wire.via,
        })
    }
}

/// The JSON [`Reply::to_json`] writes, as it is read back.
#[derive(Deserialize)]
struct WireReply {
    reply: String,
    #[serde(default)]
    actions: Vec<WireAction>,
    blocked: Option<String>,
    #[serde(default)]
    pending_confirmation: Vec<ServiceCall>,
    #[serde(default)]
    usage: Usage,
    #[serde(default)]
    session: String,
    #[serde(default)]
    via: String,
}

/// One action in [`WireReply`].
#[derive(Deserialize)]
struct WireAction {
    entity: String,
    service: String,
    #[serde(default)]
    data: serde_json::Map<String, serde_json::Value>,
    outcome: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    response: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_survives_its_json() {
        let reply = Reply {
            text: "Turned on the kitchen light.".into(),
            actions: vec![ActionReport {
                call: ServiceCall::new("light.kitchen", "turn_on").with("brightness_pct", 40),
                outcome: "done".into(),
                detail: "on".into(),
                response: None,
            }],
            blocked: None,
            pending_confirmation: vec![ServiceCall::new("cover.garage_door", "open_cover")],
            usage: Usage::default(),
            session: "cli".into(),
            via: "local_intent".into(),
        };
        assert_eq!(Reply::from_json(reply.to_json()).unwrap(), reply);
        assert!(Reply::from_json(serde_json::json!({"error": "no"})).is_err());
    }
}

//! Screening a request before anything acts on it: the word gate on every request, and the
//! fast model's second opinion on those the local intents do not take.

use serde_json::Value;

use super::{Agent, Request};
use crate::llm::wire::{ChatMessage, ChatRequest};
use crate::memory::AuditVerdict;

impl Agent {
    /// The word gate: the blocked category, if any. Refusals are always audited.
    pub(super) fn screen(&self, req: &Request) -> Option<String> {
        if !self.settings.filter_enabled {
            return None;
        }
        match self.words.check(&req.text) {
            super::safety::Verdict::Block { category, matched } => {
                self.audit(req, AuditVerdict::Block, Some(&category), &matched);
                Some(category)
            }
            super::safety::Verdict::Allow => {
                if self.settings.log_all_requests {
                    self.audit(req, AuditVerdict::Allow, None, "");
                }
                None
            }
        }
    }

    /// The fast model's opinion of a request the word gate let through and the local intents
    /// did not take (`ethical_filter.second_opinion`): the category when it finds it
    /// harmful. When the model cannot answer, strict mode refuses and normal mode allows.
    pub(super) fn second_opinion(&self, req: &Request) -> Option<String> {
        if !(self.settings.filter_enabled && self.settings.second_opinion) {
            return None;
        }
        let request = ChatRequest::new(vec![
            ChatMessage::system(
                "You screen requests made to a home assistant. Reply with JSON \
                 {\"harmful\": true|false, \"category\": string}. Harmful means asking for help \
                 to hurt people or oneself, malware or break-ins, weapons, making drugs, or \
                 stalking someone. Ordinary home, cooking, tech and chat requests are not harmful.",
            ),
            ChatMessage::user(req.text.clone()),
        ])
        .json_object();
        let verdict = self
            .llm
            .chat(crate::llm::Role::Fast, &request)
            .ok()
            .and_then(|a| serde_json::from_str::<Value>(a.response.text.as_deref()?).ok());
        let category = match verdict {
            Some(v) if v["harmful"] == Value::Bool(true) => {
                Some(v["category"].as_str().unwrap_or("harmful").to_owned())
            }
            Some(_) => None,
            None if self.settings.strict_mode => Some("unverified".to_owned()),
            None => None,
        };
        if let Some(c) = &category {
            self.audit(req, AuditVerdict::Block, Some(c), "second opinion");
        }
        category
    }
}

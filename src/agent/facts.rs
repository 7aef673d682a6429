//! Fact memory: after a conversation, the fast model reads what was said and the user's
//! stored facts most like it, and answers with changes (add, update, delete, keep) in a JSON
//! schema; the memory applies them in one commit. So a change of mind replaces the old fact
//! instead of sitting beside it.

use serde::Deserialize;
use serde_json::{Value, json};

use super::Agent;
use crate::llm::wire::{ChatMessage, ChatRequest};
use crate::llm::{LlmError, Role};
use crate::memory::{FactChange, FactOutcome, Kind, MemoryError, RecallQuery, Undistilled};

/// Stored facts shown to the model as candidates to reconcile with.
const SIMILAR_FACTS: usize = 10;

/// Why a conversation could not be distilled; it is tried again on a later round.
#[derive(Debug, thiserror::Error)]
pub enum DistilError {
    /// The fast model could not be reached or refused.
    #[error("fast model: {0}")]
    Llm(#[from] LlmError),
    /// The model's answer did not follow the schema.
    #[error("the fast model's fact changes are not valid JSON of the schema: {0}; answer: {1}")]
    Answer(String, String),
    /// The memory refused.
    #[error("memory: {0}")]
    Memory(#[from] MemoryError),
}

const INSTRUCTIONS: &str = "You keep a home assistant's memory of one person true. Read the \
conversation and the stored facts. Extract durable facts and preferences the person stated \
about themselves, their family, pets, home and routines (not passing requests, questions or \
device states), one short sentence each, in the third person. Reconcile them with the stored \
facts: `add` a new fact; `update` a stored fact (by id) the conversation changes or corrects; \
`delete` a stored fact (by id) the person says is no longer true; `keep` a stored fact the \
conversation confirms. Say nothing of facts the conversation does not touch. Answer with \
{\"changes\": [...]} only.";

#[derive(Deserialize)]
struct Changes {
    changes: Vec<RawChange>,
}

/// A change as the strict schema has it: every key present, unused ones null.
#[derive(Deserialize)]
struct RawChange {
    op: String,
    id: Option<i64>,
    text: Option<String>,
}

/// The `response_format` that holds the fast model to the changes' shape (strict mode needs
/// every property required, so `id` and `text` may be null).
pub(crate) fn response_format() -> Value {
    json!({"type": "json_schema", "json_schema": {"name": "fact_changes", "strict": true,
        "schema": {"type": "object", "additionalProperties": false, "required": ["changes"],
            "properties": {"changes": {"type": "array", "items": {"type": "object",
                "additionalProperties": false, "required": ["op", "id", "text"],
                "properties": {
                    "op": {"type": "string", "enum": ["add", "update", "delete", "keep"]},
                    "id": {"type": ["integer", "null"]},
                    "text": {"type": ["string", "null"]}}}}}}}})
}

/// Reads the model's answer into changes; anything off the schema is an error naming it.
pub(crate) fn parse_changes(answer: &str) -> Result<Vec<FactChange>, DistilError> {
    let bad = |why: String| DistilError::Answer(why, answer.chars().take(300).collect());
    let raw: Changes = serde_json::from_str(answer).map_err(|e| bad(e.to_string()))?;
    raw.changes
        .into_iter()
        .map(|c| match (c.op.as_str(), c.id, c.text) {
            ("add", _, Some(text)) => Ok(FactChange::Add { text }),
            ("update", Some(id), Some(text)) => Ok(FactChange::Update { id, text }),
            ("delete", Some(id), _) => Ok(FactChange::Delete { id }),
            ("keep", Some(id), _) => Ok(FactChange::Keep { id }),
            (op, id, text) => Err(bad(format!(
                "change {op:?} with id {id:?} and text {text:?} is incomplete or unknown"
            ))),
        })
        .collect()
}

impl Agent {
    /// Distils one finished conversation into the user's facts and marks it distilled.
    pub fn distil(&self, talk: &Undistilled) -> Result<FactOutcome, DistilError> {
        let said: Vec<String> = talk
            .messages
            .iter()
            .map(|(role, text)| format!("{role}: {text}"))
            .collect();
        let said = said.join("\n");
        let user_words: Vec<&str> = talk
            .messages
            .iter()
            .filter(|(role, _)| *role == crate::memory::Role::User)
            .map(|(_, text)| text.as_str())
            .collect();
        let user_words = user_words.join("\n");
        let vector = self.query_vector(&user_words);
        let similar = self.with_memory(|m| {
            m.recall(&RecallQuery {
                text: &user_words,
                user: Some(&talk.user),
                kinds: &[Kind::Fact],
                limit: SIMILAR_FACTS,
                vector: vector.as_deref(),
            })
        })?;
        let stored: Vec<Value> = similar
            .iter()
            .map(|f| json!({"id": f.id, "text": f.text}))
            .collect();
        let input = json!({"person": talk.user, "stored_facts": stored, "conversation": said});
        let request = ChatRequest::new(vec![
            ChatMessage::system(INSTRUCTIONS),
            ChatMessage::user(input.to_string()),
        ])
        .with_response_format(response_format());
        let answer = self.llm.chat(Role::Fast, &request)?;
        let changes = parse_changes(answer.response.text.as_deref().unwrap_or_default())?;
        let outcome = self.with_memory(|m| {
            m.apply_fact_changes(
                &talk.user,
                Some(&talk.session),
                Some(talk.through),
                &changes,
            )
        })?;
        tracing::info!(session = %talk.session, user = %talk.user, added = outcome.added,
            updated = outcome.updated, deleted = outcome.deleted, kept = outcome.kept,
            ignored = outcome.ignored, "facts distilled");
        Ok(outcome)
    }

    /// The user's facts and the house's knowledge most relevant to the request, by words and
    /// (when the embed model answers) by meaning, for the model's context.
    pub(super) fn remembered(&self, req: &super::Request) -> Vec<Value> {
        let limit = self.settings.context_items;
        if limit == 0 {
            return Vec::new();
        }
        let vector = self.query_vector(&req.text);
        let query = crate::memory::RecallQuery {
            text: &req.text,
            user: Some(&req.user),
            kinds: &[crate::memory::Kind::Fact, crate::memory::Kind::Knowledge],
            limit,
            vector: vector.as_deref(),
        };
        self.with_memory(|m| m.recall(&query))
            .unwrap_or_default()
            .into_iter()
            .map(|r| serde_json::json!({"kind": r.kind, "content": r.text}))
            .collect()
    }

    /// The embedding of `text` for a search by meaning, when one is worth asking for: the
    /// memory holds vectors of the current model, and the embed model answers.
    pub(crate) fn query_vector(&self, text: &str) -> Option<Vec<f32>> {
        if text.trim().is_empty() {
            return None;
        }
        let indexed = self.with_memory(|m| m.indexed_vectors()).unwrap_or(0);
        if indexed == 0 {
            return None;
        }
        match self.llm.embed(&[text.to_owned()]) {
            Ok(e) => e.vectors.into_iter().next(),
            Err(e) => {
                tracing::debug!(cause = %e, "no query embedding; searching by words alone");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_parse_and_incomplete_ones_are_named() {
        let answer = r#"{"changes":[{"op":"add","id":null,"text":"Ana's daughter is Aiko"},
            {"op":"update","id":3,"text":"Ana likes the bedroom at 19 °C"},
            {"op":"delete","id":4,"text":null},{"op":"keep","id":5,"text":null}]}"#;
        assert_eq!(
            parse_changes(answer).unwrap(),
            vec![
                FactChange::Add {
                    text: "Ana's daughter is Aiko".into()
                },
                FactChange::Update {
                    id: 3,
                    text: "Ana likes the bedroom at 19 °C".into()
                },
                FactChange::Delete { id: 4 },
                FactChange::Keep { id: 5 },
            ]
        );
        let err = parse_changes(r#"{"changes":[{"op":"update","id":null,"text":"x"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"update\""), "{err}");
        let err = parse_changes("sure! here you go").unwrap_err().to_string();
        assert!(err.contains("sure! here you go"), "{err}");
        assert!(parse_changes(r#"{"changes":[{"op":"merge","id":1,"text":"x"}]}"#).is_err());
    }

    #[test]
    fn the_schema_is_strict_and_lists_every_operation() {
        let f = response_format();
        assert_eq!(f["json_schema"]["strict"], true);
        let item = &f["json_schema"]["schema"]["properties"]["changes"]["items"];
        assert_eq!(item["required"], json!(["op", "id", "text"]));
        assert_eq!(
            item["properties"]["op"]["enum"],
            json!(["add", "update", "delete", "keep"])
        );
    }
}

//! The tools the model may call, with their JSON schemas, and what each one does.
//!
//! Every tool result goes back to the model as data. `call_service` passes the action gate
//! first; what it did (or did not do) is logged in the turn, so the reply can be checked
//! against what really happened.

use std::sync::Mutex;

use serde_json::{Value, json};

use super::request::ActionReport;
use super::retrieval::EntityIndex;
use super::targets;
use super::{Gate, TurnLog};
use crate::devices::{Entity, Outcome, Registry, ServiceCall};
use crate::llm::wire::{Tool, ToolCall};
use crate::memory::{Memory, RecallQuery};

/// Entities returned by one `find_devices` call at most.
const MAX_FOUND: usize = 20;
/// Remembered items returned by `recall`.
const MAX_RECALLED: usize = 5;

/// The tool definitions sent with every model call: kept short, they count in every prompt.
pub fn definitions() -> Vec<Tool> {
    let s = || json!({"type": "string"});
    vec![
        Tool::function(
            "find_devices",
            "Find entities by words (name, alias, area, kind) and/or area, domain, state. Returns ids, names, areas, states.",
            json!({"type": "object", "properties": {
                "query": s(), "area": s(), "domain": s(), "state": {"type": "string", "description": "e.g. on"}
            }}),
        ),
        Tool::function(
            "get_state",
            "One entity's current state and attributes.",
            json!({"type": "object", "required": ["entity_id"], "properties": {"entity_id": s()}}),
        ),
        Tool::function(
            "call_service",
            "Call a Home Assistant service, e.g. light.turn_on {brightness_pct}, climate.set_temperature {temperature}, cover.set_cover_position {position}, lock.unlock, alarm_control_panel.alarm_arm_away.",
            json!({"type": "object", "required": ["service"], "properties": {
                "domain": s(), "service": s(), "entity_id": s(),
                "target": {"type": "object", "properties": {"entity_id": {"type": ["string", "array"]}}},
                "data": {"type": "object"}
            }}),
        ),
        Tool::function(
            "remember_preference",
            "Remember a preference of the person asking, e.g. tone=brief.",
            json!({"type": "object", "required": ["key", "value"], "properties": {"key": s(), "value": s()}}),
        ),
        Tool::function(
            "recall",
            "Search what is remembered: the person's preferences and facts, the house's knowledge, past conversations and task results.",
            json!({"type": "object", "required": ["query"], "properties": {"query": s()}}),
        ),
        Tool::function(
            "add_knowledge",
            "Remember a fact about the home or the family.",
            json!({"type": "object", "required": ["content"], "properties": {"topic": s(), "content": s()}}),
        ),
        super::schedule::definition(),
        Tool::function(
            "get_datetime",
            "The current local date, time and weekday.",
            json!({"type": "object", "properties": {}}),
        ),
    ]
}

/// What the tools act on, for one turn.
pub(crate) struct ToolBox<'a> {
    pub(crate) registry: &'a Registry,
    pub(crate) index: &'a EntityIndex,
    pub(crate) memory: &'a Mutex<Memory>,
    pub(crate) gate: &'a dyn Fn(&Entity, &ServiceCall) -> Gate,
    pub(crate) user: &'a str,
    pub(crate) site: Option<&'a str>,
    pub(crate) scheduling: Option<&'a super::schedule::Scheduling>,
    /// The embedding of a search text, when the embed model answers (`None`: words alone).
    pub(crate) embed: &'a dyn Fn(&str) -> Option<Vec<f32>>,
}

impl ToolBox<'_> {
    /// Runs one tool call and returns its result as JSON text for the model.
    pub(crate) fn run(&self, call: &ToolCall, log: &mut TurnLog) -> String {
        let args: Value = match serde_json::from_str(&call.function.arguments) {
            Ok(v) => v,
            Err(e) => return json!({"error": format!("arguments are not JSON: {e}")}).to_string(),
        };
        let result = match call.function.name.as_str() {
            "find_devices" => Ok(self.find_devices(&args)),
            "get_state" => self.get_state(&args),
            "call_service" => self.call_service(&args, log),
            "remember_preference" => self.remember(&args),
            "recall" => self.recall(&args),
            "add_knowledge" => self.add_knowledge(&args),
            "get_datetime" => Ok(datetime()),
            "schedule_task" => {
                super::schedule::run(&args, self.memory, self.user, self.site, self.scheduling)
            }
            other => Err(format!("there is no tool {other}")),
        };
        match result {
            Ok(v) => v.to_string(),
            Err(e) => json!({"error": e}).to_string(),
        }
    }

    /// Entities by words, area, domain and state, ranked by the words when there are any.
    fn find_devices(&self, args: &Value) -> Value {
        let found = targets::find(
            self.index,
            &targets::Filter {
                query: text(args, "query"),
                area: text(args, "area"),
                domain: text(args, "domain"),
                state: text(args, "state"),
            },
            |id| self.registry.entity(id),
            MAX_FOUND,
        );
        let devices: Vec<Value> = found.entities.iter().map(describe).collect();
        json!({ "devices": devices, "more": found.more })
    }

    fn get_state(&self, args: &Value) -> Result<Value, String> {
        let id = text(args, "entity_id");
        let e = self.registry.entity(id).ok_or_else(|| unknown(id))?;
        Ok(json!({"entity_id": e.id, "name": e.name, "state": e.state, "attributes": e.attributes}))
    }

    /// One gated call per target; nothing is done when a target is unknown.
    fn call_service(&self, args: &Value, log: &mut TurnLog) -> Result<Value, String> {
        let calls = targets::calls(args)?;
        let mut entities = Vec::with_capacity(calls.len());
        for call in &calls {
            entities.push(
                self.registry
                    .entity(&call.entity_id)
                    .ok_or_else(|| unknown(&call.entity_id))?,
            );
        }
        let mut results = Vec::with_capacity(calls.len());
        for (call, entity) in calls.iter().zip(&entities) {
            let report = act(self.registry, &(self.gate)(entity, call), call, log);
            let mut result = json!({"entity_id": call.entity_id, "result": report.outcome, "detail": report.detail});
            if let Some(answer) = &report.response {
                result["response"] = answer.clone();
            }
            if report.outcome == "pending_confirmation" {
                result["say"] = json!("ask the person to say yes to confirm");
            }
            results.push(result);
        }
        Ok(match <[Value; 1]>::try_from(results) {
            Ok([one]) => one,
            Err(many) => json!({ "results": many }),
        })
    }

    fn remember(&self, args: &Value) -> Result<Value, String> {
        let (key, value) = (text(args, "key"), text(args, "value"));
        let mut memory = self
            .memory
            .lock()
            .map_err(|_| "memory is unavailable".to_owned())?;
        memory
            .save_preference(self.user, key, value)
            .map_err(|e| e.to_string())?;
        Ok(json!({"result": "remembered", "key": key}))
    }

    /// The person's preferences and the best remembered items for the query, by words and
    /// meaning fused (the same hybrid search that fills the context), each with its kind.
    fn recall(&self, args: &Value) -> Result<Value, String> {
        let query = text(args, "query");
        let vector = (self.embed)(query);
        let mut memory = self
            .memory
            .lock()
            .map_err(|_| "memory is unavailable".to_owned())?;
        let prefs = memory
            .get_preferences(self.user)
            .map_err(|e| e.to_string())?;
        let hits = memory
            .recall(&RecallQuery {
                text: query,
                user: Some(self.user),
                kinds: &[],
                limit: MAX_RECALLED,
                vector: vector.as_deref(),
            })
            .map_err(|e| e.to_string())?;
        let found: Vec<Value> = hits
            .iter()
            .map(|h| json!({"kind": h.kind, "content": h.text}))
            .collect();
        Ok(json!({"preferences": prefs, "remembered": found}))
    }

    fn add_knowledge(&self, args: &Value) -> Result<Value, String> {
        let mut memory = self
            .memory
            .lock()
            .map_err(|_| "memory is unavailable".to_owned())?;
        let id = memory
            .add_knowledge(
                text(args, "topic"),
                text(args, "content"),
                "conversation",
                None,
            )
            .map_err(|e| e.to_string())?;
        Ok(json!({"result": "remembered", "id": id}))
    }
}

/// Carries out `call` as the gate decided, logs what happened and returns the report.
pub(crate) fn act(
    registry: &Registry,
    gate: &Gate,
    call: &ServiceCall,
    log: &mut TurnLog,
) -> ActionReport {
    let mut response = None;
    let (outcome, detail) = match gate {
        Gate::Deny(reason) => ("denied", reason.clone()),
        Gate::Confirm(reason) => {
            log.pending.push(call.clone());
            ("pending_confirmation", reason.clone())
        }
        Gate::Allow => match registry.call_with_response(call) {
            Ok((Outcome::Done { state }, answer)) => {
                response = answer;
                ("done", state)
            }
            Ok((Outcome::Refused { reason }, _)) => ("refused", reason),
            Err(e) => ("failed", e.to_string()),
        },
    };
    let report = ActionReport {
        call: call.clone(),
        outcome: outcome.to_owned(),
        detail,
        response,
    };
    tracing::debug!(entity = %call.entity_id, service = %call.service, outcome, "device action");
    log.actions.push(report.clone());
    report
}

fn text<'v>(args: &'v Value, key: &str) -> &'v str {
    args.get(key).and_then(Value::as_str).unwrap_or("")
}

fn unknown(id: &str) -> String {
    format!("there is no entity {id:?}; use find_devices")
}

/// An entity as the model sees it: data only.
pub(crate) fn describe(e: &Entity) -> Value {
    let mut attrs = serde_json::Map::new();
    for key in [
        "brightness",
        "temperature",
        "current_temperature",
        "current_position",
        "unit_of_measurement",
        "hvac_modes",
    ] {
        if let Some(v) = e.attributes.get(key) {
            attrs.insert(key.to_owned(), v.clone());
        }
    }
    let mut out = json!({"entity_id": e.id, "name": e.name, "state": e.state});
    // Absent rather than null or empty: every byte here is in the prompt.
    if let Some(area) = &e.area {
        out["area"] = json!(area);
    }
    if let Some(class) = &e.device_class {
        out["device_class"] = json!(class);
    }
    if !attrs.is_empty() {
        out["attributes"] = Value::Object(attrs);
    }
    out
}

fn datetime() -> Value {
    let now = crate::clock::now_ms();
    let (local, weekday) = crate::clock::local_time(now);
    json!({"local": local, "weekday": weekday, "utc": crate::clock::rfc3339_ms(now)})
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::agent::Reply;
    use crate::devices::{Area, Backend, DeviceError, Domain};

    /// A back end with one script that answers with data.
    struct Answering;

    impl Backend for Answering {
        fn name(&self) -> &str {
            "answering"
        }
        fn entities(&self) -> Vec<Entity> {
            vec![Entity {
                id: "script.report".into(),
                name: "Report".into(),
                aliases: vec![],
                area: None,
                domain: Domain::Script,
                device_class: None,
                state: "off".into(),
                attributes: Default::default(),
                backend: String::new(),
            }]
        }
        fn areas(&self) -> Vec<Area> {
            vec![]
        }
        fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
            self.call_with_response(call).map(|(o, _)| o)
        }
        fn call_with_response(
            &self,
            _: &ServiceCall,
        ) -> Result<(Outcome, Option<Value>), DeviceError> {
            let done = Outcome::Done {
                state: "off".into(),
            };
            Ok((done, Some(json!({"forecast": "sunny"}))))
        }
    }

    #[test]
    fn a_service_answer_reaches_the_report_and_the_reply() {
        let mut registry = Registry::new();
        registry.add(Arc::new(Answering));
        let call = ServiceCall::new("script.report", "report");
        let mut log = TurnLog::default();
        let report = act(&registry, &Gate::Allow, &call, &mut log);
        assert_eq!(report.response, Some(json!({"forecast": "sunny"})));
        let held = act(&registry, &Gate::Confirm("asks".into()), &call, &mut log);
        assert_eq!(held.response, None, "nothing ran, nothing answered");
        let reply = Reply {
            actions: log.actions,
            ..Reply::from_json(json!({"reply": "", "actions": [], "session": "s"})).unwrap()
        };
        let wire = reply.to_json();
        assert_eq!(wire["actions"][0]["response"]["forecast"], "sunny");
        assert!(wire["actions"][1].get("response").is_none());
        let back = Reply::from_json(wire).unwrap();
        assert_eq!(back.actions[0].response, report.response);
    }
}

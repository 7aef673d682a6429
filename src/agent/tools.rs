//! The tools the model may call, with their JSON schemas, and what each one does.
//!
//! Every tool result goes back to the model as data. `call_service` passes the action gate
//! first; what it did (or did not do) is logged in the turn, so the reply can be checked
//! against what really happened.

use std::sync::Mutex;

use serde_json::{Value, json};

use super::request::ActionReport;
use super::{Gate, TurnLog};
use crate::devices::{Entity, Outcome, Registry, ServiceCall};
use crate::llm::wire::{Tool, ToolCall};
use crate::memory::Memory;

/// Entities returned by one `find_devices` call at most.
const MAX_FOUND: usize = 25;
/// Knowledge hits returned by `recall`.
const MAX_RECALLED: usize = 5;

/// The tool definitions sent with every model call.
pub fn definitions() -> Vec<Tool> {
    vec![
        Tool::function(
            "find_devices",
            "Find devices (entities) by words in their name, area or kind. Returns ids, names, areas, states.",
            json!({"type": "object", "properties": {
                "query": {"type": "string", "description": "words to match, e.g. 'kitchen light'"},
                "area": {"type": "string"}, "domain": {"type": "string", "description": "light, switch, climate, cover, lock, sensor…"}
            }}),
        ),
        Tool::function(
            "call_service",
            "Act on one device with a Home Assistant service: light turn_on {brightness_pct}, turn_off, toggle; climate set_temperature {temperature}, set_hvac_mode {hvac_mode}; cover open_cover, close_cover, set_cover_position {position}; lock lock, unlock; scene turn_on; alarm_control_panel alarm_arm_away, alarm_arm_home, alarm_disarm.",
            json!({"type": "object", "required": ["entity_id", "service"], "properties": {
                "entity_id": {"type": "string"}, "service": {"type": "string"},
                "data": {"type": "object"}
            }}),
        ),
        Tool::function(
            "remember_preference",
            "Remember a preference of the person asking (key and value), e.g. tone=brief, coffee=black.",
            json!({"type": "object", "required": ["key", "value"], "properties": {
                "key": {"type": "string"}, "value": {"type": "string"}
            }}),
        ),
        Tool::function(
            "recall",
            "Look up what is remembered: the person's preferences and facts in the knowledge base.",
            json!({"type": "object", "required": ["query"], "properties": {"query": {"type": "string"}}}),
        ),
        Tool::function(
            "add_knowledge",
            "Remember a fact about the home or the family for later.",
            json!({"type": "object", "required": ["content"], "properties": {
                "topic": {"type": "string"}, "content": {"type": "string"}
            }}),
        ),
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
    pub(crate) memory: &'a Mutex<Memory>,
    pub(crate) gate: &'a dyn Fn(&Entity, &ServiceCall) -> Gate,
    pub(crate) user: &'a str,
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
            "call_service" => self.call_service(&args, log),
            "remember_preference" => self.remember(&args),
            "recall" => self.recall(&args),
            "add_knowledge" => self.add_knowledge(&args),
            "get_datetime" => Ok(datetime()),
            other => Err(format!("there is no tool {other}")),
        };
        match result {
            Ok(v) => v.to_string(),
            Err(e) => json!({"error": e}).to_string(),
        }
    }

    fn find_devices(&self, args: &Value) -> Value {
        let words: Vec<String> = text(args, "query")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let (area, domain) = (
            text(args, "area").to_lowercase(),
            text(args, "domain").to_lowercase(),
        );
        let found: Vec<Value> = self
            .registry
            .entities()
            .iter()
            .filter(|e| domain.is_empty() || e.domain.as_str() == domain)
            .filter(|e| {
                area.is_empty()
                    || e.area
                        .as_deref()
                        .is_some_and(|a| a.to_lowercase().contains(&area))
            })
            .filter(|e| words.is_empty() || words.iter().any(|w| mentions(e, w)))
            .take(MAX_FOUND)
            .map(describe)
            .collect();
        json!({ "devices": found })
    }

    fn call_service(&self, args: &Value, log: &mut TurnLog) -> Result<Value, String> {
        let call: ServiceCall =
            serde_json::from_value(args.clone()).map_err(|e| format!("bad call: {e}"))?;
        let Some(entity) = self.registry.entity(&call.entity_id) else {
            return Err(format!(
                "there is no device {}; use find_devices",
                call.entity_id
            ));
        };
        let report = act(self.registry, &(self.gate)(&entity, &call), &call, log);
        let mut result = json!({"result": report.outcome, "detail": report.detail});
        if report.outcome == "pending_confirmation" {
            result["say"] = json!("ask the person to say yes to confirm");
        }
        Ok(result)
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

    fn recall(&self, args: &Value) -> Result<Value, String> {
        let memory = self
            .memory
            .lock()
            .map_err(|_| "memory is unavailable".to_owned())?;
        let prefs = memory
            .get_preferences(self.user)
            .map_err(|e| e.to_string())?;
        let hits = memory
            .search_knowledge(text(args, "query"), MAX_RECALLED)
            .map_err(|e| e.to_string())?;
        let facts: Vec<Value> = hits
            .iter()
            .map(|h| json!({"topic": h.topic, "content": h.content}))
            .collect();
        Ok(json!({"preferences": prefs, "knowledge": facts}))
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
    let (outcome, detail) = match gate {
        Gate::Deny(reason) => ("denied", reason.clone()),
        Gate::Confirm(reason) => {
            log.pending.push(call.clone());
            ("pending_confirmation", reason.clone())
        }
        Gate::Allow => match registry.call(call) {
            Ok(Outcome::Done { state }) => ("done", state),
            Ok(Outcome::Refused { reason }) => ("refused", reason),
            Err(e) => ("failed", e.to_string()),
        },
    };
    let report = ActionReport {
        call: call.clone(),
        outcome: outcome.to_owned(),
        detail,
    };
    tracing::debug!(entity = %call.entity_id, service = %call.service, outcome, "device action");
    log.actions.push(report.clone());
    report
}

fn text<'v>(args: &'v Value, key: &str) -> &'v str {
    args.get(key).and_then(Value::as_str).unwrap_or("")
}

fn mentions(e: &Entity, word: &str) -> bool {
    let hay = |s: &str| s.to_lowercase().contains(word);
    hay(&e.name)
        || hay(&e.id)
        || e.aliases.iter().any(|a| hay(a))
        || e.area.as_deref().is_some_and(hay)
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
    json!({"entity_id": e.id, "name": e.name, "area": e.area, "domain": e.domain.as_str(),
           "device_class": e.device_class, "state": e.state, "attributes": attrs})
}

fn datetime() -> Value {
    let now = crate::clock::now_ms();
    let (local, weekday) = crate::clock::local_time(now);
    json!({"local": local, "weekday": weekday, "utc": crate::clock::rfc3339_ms(now)})
}

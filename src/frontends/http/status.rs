//! `/api/status`: the hub's status with its devices, in full for the token's holder and as a
//! read-only summary for anyone else.
//!
//! The summary is an allow-list, so that a key the hub adds later stays private until it is
//! named here. The page expects (every key optional): `name`, `version`, `uptime_secs`,
//! `services: [{name, state}]`, `model: {reachable, breaker}`, `mqtt: {connected}`,
//! `today: {tokens, cost_usd}`, `recent_requests: [{at, source, via, text, session, user}]`;
//! `devices` is added here from [`Hub::devices`].

use serde_json::{Map, Value, json};

use crate::devices::Entity;
use crate::frontends::hub::Hub;

/// The status keys anyone may read as they are.
const PUBLIC_KEYS: &[&str] = &[
    "name",
    "version",
    "uptime_secs",
    "services",
    "model",
    "mqtt",
    "today",
];
/// What anyone may read of a recent request: when and how, never the words or who.
const PUBLIC_REQUEST_KEYS: &[&str] = &["at", "source", "via", "duration_ms", "outcome"];
/// Recent requests in the status, at most.
const MAX_RECENT_REQUESTS: usize = 20;

/// The status with the devices: everything when `full`, the summary otherwise.
pub(crate) fn status(hub: &dyn Hub, full: bool) -> Value {
    let status = hub.status();
    let mut out = if full {
        status.as_object().cloned().unwrap_or_default()
    } else {
        summary(&status)
    };
    if let Some(Value::Array(recent)) = out.get_mut("recent_requests") {
        recent.truncate(MAX_RECENT_REQUESTS);
    }
    out.insert("devices".into(), devices(&hub.devices()));
    out.insert(
        "access".into(),
        json!(if full { "full" } else { "summary" }),
    );
    Value::Object(out)
}

/// The keys of `status` anyone may read.
fn summary(status: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(status) = status.as_object() else {
        return out;
    };
    for &key in PUBLIC_KEYS {
        if let Some(value) = status.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    if let Some(Value::Array(recent)) = status.get("recent_requests") {
        let recent = recent
            .iter()
            .map(|r| only(r, PUBLIC_REQUEST_KEYS))
            .collect();
        out.insert("recent_requests".into(), Value::Array(recent));
    }
    out
}

/// `value`'s `keys` alone.
fn only(value: &Value, keys: &[&str]) -> Value {
    let kept = keys
        .iter()
        .filter_map(|&k| value.get(k).map(|v| (k.to_owned(), v.clone())))
        .collect();
    Value::Object(kept)
}

/// What the page shows of each device.
fn devices(entities: &[Entity]) -> Value {
    entities
        .iter()
        .map(|e| json!({"id": e.id, "name": e.name, "area": e.area, "state": e.state}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Value {
        json!({
            "name": "mirai", "version": "0.1.0", "secret_thing": 1,
            "recent_requests": [{"at": "12:00", "via": "model", "text": "unlock the door",
                                 "session": "s1", "user": "alice"}]
        })
    }

    #[test]
    fn the_summary_keeps_public_keys_only() {
        let summary = Value::Object(summary(&full()));
        assert_eq!(summary["name"], "mirai");
        assert!(summary.get("secret_thing").is_none());
        assert_eq!(
            summary["recent_requests"],
            json!([{"at": "12:00", "via": "model"}])
        );
        assert!(!summary.to_string().contains("unlock"));
        assert!(!summary.to_string().contains("s1"));
    }

    #[test]
    fn a_status_that_is_not_an_object_summarises_to_nothing() {
        assert!(summary(&json!("odd")).is_empty());
        assert!(summary(&Value::Null).is_empty());
    }
}

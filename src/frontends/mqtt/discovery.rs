//! Home Assistant MQTT device discovery: the one retained config message that makes the hub
//! appear in Home Assistant as a device "MIRAI <hub_id>" with an "Ask" text box, a "Last
//! reply" sensor, a "Connected" binary sensor, the model's figures (tokens and cost today,
//! reply latency p95, breaker, reachable) read from the retained `mirai/<hub_id>/state`, and
//! an "Activity" event from `mirai/<hub_id>/event`; the payloads of those two topics; and
//! [`unregister`], which removes the device.
//!
//! Schema: <https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload>
//! (Home Assistant 2024.11 or later). Full key names, not the abbreviations, so that the
//! payload reads the same as the documentation.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, Outgoing, QoS};
use serde_json::{Value, json};
use tokio::time::timeout;
use tracing::info;

use super::topics::{OFFLINE, ONLINE, Topics};
use super::{MqttError, MqttSettings};
use crate::agent::Reply;

/// The discovery prefix Home Assistant listens on unless configured otherwise.
pub(crate) const DEFAULT_PREFIX: &str = "homeassistant";
/// What Home Assistant's birth message says on `<prefix>/status` after it (re)starts.
pub(crate) const HA_ONLINE: &str = "online";
/// Home Assistant states longer than 255 characters are refused; replies are cut to this.
const STATE_CHARS: usize = 250;
/// How long [`unregister`] waits for the broker, from dial to disconnect.
const UNREGISTER_DEADLINE: Duration = Duration::from_secs(10);
/// Requests [`unregister`] queues: one publish and one disconnect.
const UNREGISTER_CHANNEL_CAP: usize = 4;

/// The retained topic of the hub's figures, which the model sensors read.
pub(crate) fn state_topic(hub_id: &str) -> String {
    format!("mirai/{hub_id}/state")
}

/// The topic of the "Activity" event: a request that acted on devices, or was blocked.
pub(crate) fn event_topic(hub_id: &str) -> String {
    format!("mirai/{hub_id}/event")
}

/// The `state` payload, from [`Hub::status`](crate::frontends::hub::Hub::status)'s JSON:
/// `{tokens_today, cost_today, latency_p95_ms, breaker, model_reachable}`.
pub(crate) fn state_payload(status: &Value) -> Value {
    json!({
        "tokens_today": status["today"]["tokens"],
        "cost_today": status["today"]["cost_usd"],
        "latency_p95_ms": status["latency_p95_ms"],
        "breaker": status["model"]["breaker"],
        "model_reachable": status["model"]["reachable"],
        "autonomous": status["autonomous"]["enabled"],
    })
}

/// The `event` payload for `reply`, if it is news: `blocked` (with its category) wins over
/// `action` (with how many actions), as a refused request did nothing.
pub(crate) fn event_payload(reply: &Reply) -> Option<Value> {
    if let Some(category) = &reply.blocked {
        return Some(json!({"event_type": "blocked", "category": category, "via": reply.via}));
    }
    (!reply.actions.is_empty())
        .then(|| json!({"event_type": "action", "actions": reply.actions.len(), "via": reply.via}))
}

/// The config topic and payload announcing hub `hub_id` under discovery prefix `prefix`.
pub(crate) fn config_payload(hub_id: &str, prefix: &str) -> (String, Value) {
    let node = node_id(hub_id);
    let version = env!("CARGO_PKG_VERSION");
    let payload = json!({
        "device": {
            "identifiers": [node],
            "name": format!("MIRAI {hub_id}"),
            "manufacturer": "MIRAI",
            "model": "home agent",
            "sw_version": version,
        },
        "origin": {"name": "mirai", "sw_version": version},
        "components": components(&Topics::new(hub_id, false), hub_id, &node),
        "qos": 1,
    });
    (format!("{prefix}/device/{node}/config"), payload)
}

/// The entities, keyed by object id, with unique ids starting with `node`.
fn components(topics: &Topics, hub_id: &str, node: &str) -> Value {
    let availability = |mut component: Value| {
        component["availability_topic"] = json!(topics.status());
        component["payload_available"] = json!(ONLINE);
        component["payload_not_available"] = json!(OFFLINE);
        component
    };
    let mut all = conversation(topics, node, availability);
    let activity = json!({
        "platform": "event",
        "name": "Activity",
        "unique_id": format!("{node}_activity"),
        "state_topic": event_topic(hub_id),
        "event_types": ["action", "blocked"],
        "icon": "mdi:home-lightning-bolt",
    });
    let reports = figures(&state_topic(hub_id), node).into_iter();
    let map = all.as_object_mut().expect("an object literal");
    let controls = autonomy(topics, &state_topic(hub_id), node);
    for (key, component) in reports.chain([("activity", activity)]).chain(controls) {
        map.insert(key.to_owned(), availability(component));
    }
    all
}

/// Asking, the last reply, and whether the hub is connected.
fn conversation(topics: &Topics, node: &str, availability: impl Fn(Value) -> Value) -> Value {
    // Errors come back as `{id, error}`: show them rather than a template warning.
    let reply = format!(
        "{{{{ (value_json.text if value_json.text is defined else value_json.error)[:{STATE_CHARS}] }}}}"
    );
    json!({
        "ask": availability(json!({
            "platform": "text",
            "name": "Ask",
            "unique_id": format!("{node}_ask"),
            "command_topic": topics.ask(),
            "state_topic": topics.reply(),
            "value_template": reply,
            "max": 255,
            "icon": "mdi:chat-question",
        })),
        "last_reply": availability(json!({
            "platform": "sensor",
            "name": "Last reply",
            "unique_id": format!("{node}_last_reply"),
            "state_topic": topics.reply(),
            "value_template": reply,
            "icon": "mdi:chat",
        })),
        // No availability here: it would turn "off" into "unavailable", hiding the answer.
        "connected": {
            "platform": "binary_sensor",
            "name": "Connected",
            "unique_id": format!("{node}_connected"),
            "state_topic": topics.status(),
            "payload_on": ONLINE,
            "payload_off": OFFLINE,
            "device_class": "connectivity",
        },
    })
}

/// The autonomous switch (its state read from the `state` payload) and the button that
/// makes the scheduler look at its tasks now.
fn autonomy(topics: &Topics, state: &str, node: &str) -> [(&'static str, Value); 2] {
    [
        (
            "autonomous",
            json!({
                "platform": "switch",
                "name": "Autonomous mode",
                "unique_id": format!("{node}_autonomous"),
                "command_topic": topics.autonomous_set(),
                "state_topic": state,
                "value_template": "{{ 'ON' if value_json.autonomous else 'OFF' }}",
                "payload_on": "ON",
                "payload_off": "OFF",
                "icon": "mdi:robot",
            }),
        ),
        (
            "run_tasks",
            json!({
                "platform": "button",
                "name": "Run due tasks",
                "unique_id": format!("{node}_run_tasks"),
                "command_topic": topics.autonomous_run(),
                "payload_press": "PRESS",
                "icon": "mdi:play-circle",
            }),
        ),
    ]
}

/// The model's figures, each read by a template from the `state` payload.
fn figures(state: &str, node: &str) -> [(&'static str, Value); 5] {
    let sensor = |key: &str, name: &str, field: &str| {
        json!({
            "platform": "sensor",
            "name": name,
            "unique_id": format!("{node}_{key}"),
            "state_topic": state,
            "value_template": format!("{{{{ value_json.{field} }}}}"),
        })
    };
    let mut tokens = sensor("tokens_today", "Tokens today", "tokens_today");
    tokens["state_class"] = json!("total_increasing");
    tokens["icon"] = json!("mdi:counter");
    let mut cost = sensor("cost_today", "Cost today", "cost_today");
    cost["unit_of_measurement"] = json!("USD");
    cost["device_class"] = json!("monetary");
    let mut latency = sensor("latency_p95", "Reply latency p95", "latency_p95_ms");
    latency["unit_of_measurement"] = json!("ms");
    latency["state_class"] = json!("measurement");
    latency["icon"] = json!("mdi:timer-outline");
    let mut breaker = sensor("model_breaker", "Model breaker", "breaker");
    breaker["icon"] = json!("mdi:electric-switch");
    let reachable = json!({
        "platform": "binary_sensor",
        "name": "Model reachable",
        "unique_id": format!("{node}_model_reachable"),
        "state_topic": state,
        "value_template": "{{ 'ON' if value_json.model_reachable else 'OFF' }}",
        "device_class": "connectivity",
    });
    [
        ("tokens_today", tokens),
        ("cost_today", cost),
        ("latency_p95", latency),
        ("model_breaker", breaker),
        ("model_reachable", reachable),
    ]
}

/// `mirai_<hub_id>` with every character Home Assistant refuses in a discovery topic's
/// object id (outside `[a-zA-Z0-9_-]`) replaced by `_`.
pub(crate) fn node_id(hub_id: &str) -> String {
    let safe = hub_id.chars().map(|c| match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' => c,
        _ => '_',
    });
    format!("mirai_{}", safe.collect::<String>())
}

/// Removes the hub's device from Home Assistant: connects, publishes an empty retained
/// payload on its config topic, disconnects. Does nothing with discovery turned off.
pub async fn unregister(settings: &MqttSettings) -> Result<(), MqttError> {
    settings.validate()?;
    let Some(prefix) = &settings.discovery_prefix else {
        return Ok(());
    };
    let (topic, _) = config_payload(&settings.hub_id, prefix);
    let mut opts = options(settings);
    super::tls::secure(&mut opts, settings)?;
    let (client, mut events) = AsyncClient::new(opts, UNREGISTER_CHANNEL_CAP);
    client
        .try_publish(&topic, QoS::AtLeastOnce, true, Vec::new())
        .map_err(|e| MqttError::Broker(e.to_string()))?;
    let exchange = async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Incoming::PubAck(_))) => {
                    (client.try_disconnect()).map_err(|e| MqttError::Broker(e.to_string()))?;
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => return Ok(()),
                Ok(_) => {}
                Err(err) => {
                    super::connection::refused(&err)?;
                    return Err(MqttError::Broker(err.to_string()));
                }
            }
        }
    };
    let deadline = format!("no answer within {UNREGISTER_DEADLINE:?}");
    timeout(UNREGISTER_DEADLINE, exchange)
        .await
        .map_err(|_| MqttError::Broker(deadline))??;
    info!(topic, "removed the device from Home Assistant");
    Ok(())
}

/// A clean, will-less session under our own client id, so that a running daemon is neither
/// kicked off the broker nor reported `offline`.
fn options(settings: &MqttSettings) -> MqttOptions {
    let client_id = format!("{}-unregister", settings.client_id);
    let mut opts = MqttOptions::new(client_id, &settings.host, settings.port);
    opts.set_keep_alive(settings.keep_alive)
        .set_clean_session(true);
    if let Some(user) = &settings.username {
        opts.set_credentials(user, settings.password.as_deref().unwrap_or(""));
    }
    opts
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Keys every component needs, per platform, from the MQTT text, sensor, binary sensor
    /// and event pages of the Home Assistant documentation.
    const REQUIRED: [(&str, &[&str]); 6] = [
        ("text", &["command_topic"]),
        ("switch", &["command_topic"]),
        ("button", &["command_topic"]),
        ("sensor", &["state_topic"]),
        ("binary_sensor", &["state_topic"]),
        ("event", &["state_topic", "event_types"]),
    ];

    #[test]
    fn device_payload_follows_the_documented_schema() {
        let (topic, payload) = config_payload("kitchen", "homeassistant");
        assert_eq!(topic, "homeassistant/device/mirai_kitchen/config");
        let keys: HashSet<_> = payload.as_object().unwrap().keys().cloned().collect();
        let want = ["device", "origin", "components", "qos"];
        assert_eq!(keys, want.iter().map(|k| k.to_string()).collect());
        let device = &payload["device"];
        assert_eq!(device["identifiers"], json!(["mirai_kitchen"]));
        assert_eq!(device["name"], "MIRAI kitchen");
        assert_eq!(device["manufacturer"], "MIRAI");
        assert_eq!(device["model"], "home agent");
        assert_eq!(device["sw_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(payload["origin"]["name"], "mirai");
    }

    #[test]
    fn every_component_has_platform_unique_id_and_our_topics() {
        let (_, payload) = config_payload("kitchen", "ha");
        let components = payload["components"].as_object().unwrap();
        assert_eq!(components.len(), 11);
        let mut ids = HashSet::new();
        for (key, c) in components {
            let platform = c["platform"].as_str().unwrap();
            let unique_id = c["unique_id"].as_str().unwrap();
            assert!(unique_id.starts_with("mirai_kitchen_"), "{key}");
            assert!(
                ids.insert(unique_id.to_owned()),
                "{key}: duplicate unique_id"
            );
            let (_, required) = REQUIRED.iter().find(|(p, _)| *p == platform).unwrap();
            for k in required.iter() {
                assert!(!c[k].is_null(), "{key}: no {k}");
            }
            for (k, v) in c.as_object().unwrap() {
                if k.ends_with("_topic") {
                    assert!(
                        v.as_str().unwrap().starts_with("mirai/kitchen/"),
                        "{key}.{k}"
                    );
                }
            }
        }
    }

    #[test]
    fn ask_reply_and_connected_use_the_hub_topics() {
        let (_, payload) = config_payload("kitchen", "ha");
        let components = &payload["components"];
        let ask = &components["ask"];
        assert_eq!(ask["command_topic"], "mirai/kitchen/ask");
        assert_eq!(ask["state_topic"], "mirai/kitchen/reply");
        assert_eq!(ask["availability_topic"], "mirai/kitchen/status");
        assert_eq!(ask["payload_available"], "online");
        assert_eq!(ask["payload_not_available"], "offline");
        assert!(
            ask["value_template"]
                .as_str()
                .unwrap()
                .contains("value_json.text")
        );
        let reply = components["last_reply"]["value_template"].as_str().unwrap();
        assert!(
            reply.starts_with("{{ ") && reply.ends_with("[:250] }}"),
            "{reply}"
        );
        let connected = &components["connected"];
        assert_eq!(connected["state_topic"], "mirai/kitchen/status");
        assert_eq!(connected["device_class"], "connectivity");
        assert_eq!(
            (&connected["payload_on"], &connected["payload_off"]),
            (&json!("online"), &json!("offline"))
        );
    }

    #[test]
    fn model_figures_read_the_state_topic() {
        let (_, payload) = config_payload("kitchen", "ha");
        let c = &payload["components"];
        for key in ["tokens_today", "cost_today", "latency_p95", "model_breaker"] {
            let (topic, platform) = (&c[key]["state_topic"], &c[key]["platform"]);
            assert_eq!(
                (topic, platform),
                (&json!("mirai/kitchen/state"), &json!("sensor"))
            );
        }
        let tokens = &c["tokens_today"]["value_template"];
        assert_eq!(tokens, "{{ value_json.tokens_today }}");
        assert_eq!(c["cost_today"]["unit_of_measurement"], "USD");
        assert_eq!(c["cost_today"]["device_class"], "monetary");
        assert_eq!(c["latency_p95"]["unit_of_measurement"], "ms");
        let latency = &c["latency_p95"]["value_template"];
        assert_eq!(latency, "{{ value_json.latency_p95_ms }}");
        let reachable = &c["model_reachable"];
        assert_eq!(reachable["platform"], "binary_sensor");
        assert_eq!(reachable["device_class"], "connectivity");
        assert_eq!(reachable["state_topic"], "mirai/kitchen/state");
        let activity = &c["activity"];
        assert_eq!(activity["platform"], "event");
        assert_eq!(activity["state_topic"], "mirai/kitchen/event");
        assert_eq!(activity["event_types"], json!(["action", "blocked"]));
    }

    #[test]
    fn the_autonomous_switch_and_button_command_the_hub() {
        let (_, payload) = config_payload("kitchen", "ha");
        let c = &payload["components"];
        assert_eq!(c["autonomous"]["platform"], "switch");
        assert_eq!(
            c["autonomous"]["command_topic"],
            "mirai/kitchen/autonomous/set"
        );
        assert_eq!(c["autonomous"]["state_topic"], "mirai/kitchen/state");
        assert_eq!(c["run_tasks"]["platform"], "button");
        assert_eq!(
            c["run_tasks"]["command_topic"],
            "mirai/kitchen/autonomous/run"
        );
        assert_eq!(c["run_tasks"]["availability_topic"], "mirai/kitchen/status");
    }

    #[test]
    fn state_payload_takes_the_figures_from_the_status() {
        let status = json!({"today": {"tokens": 1234, "cost_usd": 0.05}, "latency_p95_ms": 180,
                            "model": {"reachable": true, "breaker": "closed"}, "uptime_secs": 9,
                            "autonomous": {"enabled": true, "tasks": 2}});
        let want = json!({"tokens_today": 1234, "cost_today": 0.05, "latency_p95_ms": 180,
                          "breaker": "closed", "model_reachable": true, "autonomous": true});
        assert_eq!(state_payload(&status), want);
    }

    #[test]
    fn events_for_actions_and_blocks_only() {
        let mut reply = Reply {
            text: "Done.".into(),
            actions: Vec::new(),
            blocked: None,
            pending_confirmation: Vec::new(),
            usage: Default::default(),
            session: "s".into(),
            via: "model".into(),
        };
        assert_eq!(event_payload(&reply), None);
        reply.actions.push(crate::agent::ActionReport {
            call: serde_json::from_value(json!({"entity_id": "light.hall", "service": "turn_on"}))
                .unwrap(),
            outcome: "done".into(),
            detail: "on".into(),
            response: None,
        });
        let event = event_payload(&reply).unwrap();
        assert_eq!(event["event_type"], "action");
        assert_eq!(event["actions"], 1);
        reply.blocked = Some("weapons".into());
        let event = event_payload(&reply).unwrap();
        assert_eq!(event["event_type"], "blocked");
        assert_eq!(event["category"], "weapons");
    }

    #[test]
    fn odd_hub_ids_make_a_valid_object_id() {
        let (topic, payload) = config_payload("Hall 2.b", "homeassistant");
        assert_eq!(topic, "homeassistant/device/mirai_Hall_2_b/config");
        assert_eq!(payload["device"]["name"], "MIRAI Hall 2.b");
        let ask = &payload["components"]["ask"];
        assert_eq!(ask["command_topic"], "mirai/Hall 2.b/ask");
    }
}

//! Home Assistant MQTT device discovery: the one retained config message that makes the hub
//! appear in Home Assistant as a device "MIRAI <hub_id>" with an "Ask" text box, a "Last
//! reply" sensor and a "Connected" binary sensor; and [`unregister`], which removes it.
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
        "components": components(&Topics::new(hub_id, false), &node),
        "qos": 1,
    });
    (format!("{prefix}/device/{node}/config"), payload)
}

/// The entities, keyed by object id, with unique ids starting with `node`.
fn components(topics: &Topics, node: &str) -> Value {
    let availability = |mut component: Value| {
        component["availability_topic"] = json!(topics.status());
        component["payload_available"] = json!(ONLINE);
        component["payload_not_available"] = json!(OFFLINE);
        component
    };
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

/// `mirai_<hub_id>` with every character Home Assistant refuses in a discovery topic's
/// object id (outside `[a-zA-Z0-9_-]`) replaced by `_`.
fn node_id(hub_id: &str) -> String {
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
    let (client, mut events) = AsyncClient::new(options(settings), UNREGISTER_CHANNEL_CAP);
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

    /// Keys every component needs, per platform, from the MQTT text, sensor and binary
    /// sensor pages of the Home Assistant documentation.
    const REQUIRED: [(&str, &[&str]); 3] = [
        ("text", &["command_topic"]),
        ("sensor", &["state_topic"]),
        ("binary_sensor", &["state_topic"]),
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
        assert_eq!(components.len(), 3);
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
                assert!(c[k].is_string(), "{key}: no {k}");
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
    fn odd_hub_ids_make_a_valid_object_id() {
        let (topic, payload) = config_payload("Hall 2.b", "homeassistant");
        assert_eq!(topic, "homeassistant/device/mirai_Hall_2_b/config");
        assert_eq!(payload["device"]["name"], "MIRAI Hall 2.b");
        let ask = &payload["components"]["ask"];
        assert_eq!(ask["command_topic"], "mirai/Hall 2.b/ask");
    }
}

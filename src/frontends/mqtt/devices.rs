//! Back-end entities on MQTT, pure: where each one's retained state goes
//! (`mirai/<hub_id>/<backend>/<node>/<entity_id>`), its Home Assistant discovery config (one
//! device per node, via the hub's device), its command topics, and a command's payload read
//! back into a service call. The topics are in the README (Z-Wave section).
//!
//! Schema: <https://www.home-assistant.io/integrations/mqtt/> (per-entity discovery, the
//! `light` default schema, `switch`, `sensor`, `binary_sensor`, `climate`, `lock`, `event`).

use serde_json::{Value, json};

use super::discovery;
use super::topics::{OFFLINE, ONLINE};
use crate::agent::ActionReport;
use crate::devices::{Domain, Entity, ServiceCall};

/// `{{ value_json.state }}`: every state topic carries `{state, attributes}`.
const STATE: &str = "{{ value_json.state }}";

/// Where one hub puts its back ends' entities.
#[derive(Debug, Clone)]
pub(crate) struct DeviceTopics {
    hub_id: String,
    prefix: Option<String>,
}

impl DeviceTopics {
    /// Hub `hub_id`'s entity topics; discovery configs under `prefix` when it is set.
    pub(crate) fn new(hub_id: &str, prefix: Option<&str>) -> DeviceTopics {
        DeviceTopics {
            hub_id: hub_id.to_owned(),
            prefix: prefix.map(str::to_owned),
        }
    }

    /// `mirai/<hub_id>/<backend>/status`: retained `online` / `offline` from the link.
    pub(crate) fn availability(&self, backend: &str) -> String {
        format!("mirai/{}/{backend}/status", self.hub_id)
    }

    /// The retained state topic of `e`, or `None` for an entity without a node.
    pub(crate) fn state(&self, e: &Entity) -> Option<String> {
        let node = node_text(e.attributes.get("node_id")?);
        Some(format!(
            "mirai/{}/{}/{node}/{}",
            self.hub_id, e.backend, e.id
        ))
    }

    /// What to subscribe to for commands: `…/<entity_id>/set` and `…/<entity_id>/<what>/set`.
    pub(crate) fn subscriptions(&self) -> [String; 2] {
        let base = format!("mirai/{}/+/+/+", self.hub_id);
        [format!("{base}/set"), format!("{base}/+/set")]
    }

    /// Whether `topic` is a command topic of ours.
    pub(crate) fn is_command(&self, topic: &str) -> bool {
        let Some(rest) = topic.strip_prefix(&format!("mirai/{}/", self.hub_id)) else {
            return false;
        };
        let levels = rest.split('/').count();
        rest.ends_with("/set") && (levels == 4 || levels == 5)
    }

    /// The discovery config topics and payloads for `e` (two for an entity with events:
    /// itself and its `event` entity); none without a prefix or for a domain not mirrored.
    pub(crate) fn configs(&self, e: &Entity, backend_status: &str) -> Vec<(String, Value)> {
        let (Some(prefix), Some(state)) = (&self.prefix, self.state(e)) else {
            return Vec::new();
        };
        let Some((component, mut config)) = component(e, &state) else {
            return Vec::new();
        };
        let unique = unique_id(&self.hub_id, &e.id);
        let common = json!({
            "name": e.name,
            "unique_id": unique,
            "device": self.device(e),
            "availability": [
                {"topic": format!("mirai/{}/status", self.hub_id),
                 "payload_available": ONLINE, "payload_not_available": OFFLINE},
                {"topic": backend_status,
                 "payload_available": ONLINE, "payload_not_available": OFFLINE},
            ],
            "availability_mode": "all",
            "qos": 1,
        });
        merge(&mut config, common.clone());
        let mut out = vec![(format!("{prefix}/{component}/{unique}/config"), config)];
        if let Some(types) = e.attributes.get("event_types") {
            let mut event = json!({
                "name": format!("{} event", e.name),
                "state_topic": format!("{state}/event"),
                "event_types": types,
            });
            merge(&mut event, common);
            event["unique_id"] = json!(format!("{unique}_event"));
            out.push((format!("{prefix}/event/{unique}_event/config"), event));
        }
        out
    }

    /// One device per node, shown as connected through the hub's own device.
    fn device(&self, e: &Entity) -> Value {
        let node = (e.attributes.get("node_id")).map_or_else(|| "null".into(), node_text);
        let name = e.attributes.get("device_name").cloned();
        let mut device = json!({
            "identifiers": [format!("{}_{}_{node}", discovery::node_id(&self.hub_id), e.backend)],
            "name": name.unwrap_or_else(|| json!(e.name)),
            "via_device": discovery::node_id(&self.hub_id),
        });
        for key in ["manufacturer", "model"] {
            if let Some(v) = e.attributes.get(key) {
                device[key] = v.clone();
            }
        }
        device
    }
}

/// A node id as it goes into topics and identifiers: a Z-Wave node's number, a Zigbee
/// device's IEEE address as written (no quotes).
fn node_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The retained state payload: `{state, attributes}`.
pub(crate) fn state_payload(e: &Entity) -> Value {
    json!({"state": e.state, "attributes": e.attributes})
}

/// The event payload for an entity's latest event: `{event_type, …its other attributes}`.
pub(crate) fn event_payload(e: &Entity) -> Option<Value> {
    let event_type = e.attributes.get("event_type")?;
    let mut payload = json!({"event_type": event_type});
    for (key, value) in &e.attributes {
        if !key.starts_with("event_") && key != "device_name" {
            payload[key] = value.clone();
        }
    }
    Some(payload)
}

/// Where the outcome of a command on `topic` goes: `…/<entity_id>/result`.
pub(crate) fn result_topic(topic: &str) -> Option<String> {
    let base = topic.strip_suffix("/set")?;
    let (head, last) = base.rsplit_once('/')?;
    Some(if last.contains('.') {
        format!("{base}/result")
    } else {
        format!("{head}/result")
    })
}

/// A command's outcome: `{service, data, outcome, detail}` (`done`, `refused`, `failed`,
/// `denied`, `pending_confirmation`).
pub(crate) fn result_payload(report: &ActionReport) -> Value {
    json!({
        "service": report.call.service, "data": report.call.data,
        "outcome": report.outcome, "detail": report.detail,
    })
}

/// `mirai_<hub>_<entity id with _ for .>`.
fn unique_id(hub_id: &str, entity_id: &str) -> String {
    format!(
        "{}_{}",
        discovery::node_id(hub_id),
        entity_id.replace('.', "_")
    )
}

/// Adds `extra`'s keys to `config`.
fn merge(config: &mut Value, extra: Value) {
    if let (Some(c), Value::Object(extra)) = (config.as_object_mut(), extra) {
        c.extend(extra);
    }
}

/// The Home Assistant component and its own keys for `e` on state topic `s`.
fn component(e: &Entity, s: &str) -> Option<(&'static str, Value)> {
    let attr = |key: &str| format!("{{{{ value_json.attributes.{key} }}}}");
    let mut c = match e.domain {
        Domain::Light | Domain::Switch => {
            let mut c = json!({
                "state_topic": s, "command_topic": format!("{s}/set"),
                "payload_on": "ON", "payload_off": "OFF", "state_on": "on", "state_off": "off",
            });
            let key = if e.domain == Domain::Light {
                "state_value_template"
            } else {
                "value_template"
            };
            c[key] = json!(STATE);
            if e.domain == Domain::Light && e.attributes.contains_key("brightness") {
                c["brightness_state_topic"] = json!(s);
                c["brightness_value_template"] = json!(attr("brightness"));
                c["brightness_command_topic"] = json!(format!("{s}/brightness/set"));
                c["brightness_scale"] = json!(255);
            }
            c
        }
        Domain::Sensor | Domain::BinarySensor => {
            let mut c = json!({"state_topic": s, "value_template": STATE});
            if e.domain == Domain::BinarySensor {
                c["payload_on"] = json!("on");
                c["payload_off"] = json!("off");
            }
            for key in ["unit_of_measurement", "state_class"] {
                if let Some(v) = e.attributes.get(key) {
                    c[key] = v.clone();
                }
            }
            c
        }
        Domain::Climate => json!({
            "mode_state_topic": s, "mode_state_template": STATE,
            "mode_command_topic": format!("{s}/mode/set"),
            "modes": e.attributes.get("hvac_modes").cloned().unwrap_or(json!(["off", "heat"])),
            "temperature_state_topic": s, "temperature_state_template": attr("temperature"),
            "temperature_command_topic": format!("{s}/temperature/set"),
            "current_temperature_topic": s,
            "current_temperature_template": attr("current_temperature"),
            "temperature_unit": if e.attributes.get("temperature_unit") == Some(&json!("°F")) { "F" } else { "C" },
            "precision": 0.5,
        }),
        Domain::Lock => json!({
            "state_topic": s, "value_template": STATE, "command_topic": format!("{s}/set"),
            "payload_lock": "LOCK", "payload_unlock": "UNLOCK", "payload_open": "OPEN",
            "state_locked": "locked", "state_unlocked": "unlocked", "state_jammed": "jammed",
        }),
        _ => return None,
    };
    if let Some(class) = &e.device_class {
        c["device_class"] = json!(class);
    }
    Some((component_name(e.domain)?, c))
}

fn component_name(domain: Domain) -> Option<&'static str> {
    match domain {
        Domain::Light | Domain::Switch | Domain::Sensor | Domain::BinarySensor => {
            Some(domain.as_str())
        }
        Domain::Climate => Some("climate"),
        Domain::Lock => Some("lock"),
        _ => None,
    }
}

/// The service call a command on `topic` asks for: the entity id and what from the topic's
/// last levels (`<entity_id>/set`, `<entity_id>/brightness/set`, `…/mode/set`,
/// `…/temperature/set`), the rest from the payload. Errors say what is wrong, for the log.
pub(crate) fn command(topic: &str, payload: &[u8]) -> Result<ServiceCall, String> {
    let text = std::str::from_utf8(payload)
        .map_err(|_| "the payload is not UTF-8".to_owned())?
        .trim();
    let levels: Vec<&str> = topic.split('/').collect();
    let (entity, what) = match levels.as_slice() {
        [.., entity, "set"] if entity.contains('.') => (*entity, None),
        [.., entity, what, "set"] => (*entity, Some(*what)),
        _ => return Err(format!("{topic} is not a command topic")),
    };
    let domain = entity.split('.').next().unwrap_or("");
    let number = || {
        text.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| format!("{text:?} is not a number"))
    };
    let call = |service: &str| ServiceCall::new(entity, service);
    Ok(match (domain, what, text) {
        ("light" | "switch", None, "ON") => call("turn_on"),
        ("light" | "switch", None, "OFF") => call("turn_off"),
        ("light", Some("brightness"), _) => call("turn_on").with("brightness", number()?),
        ("climate", Some("mode"), mode) => call("set_hvac_mode").with("hvac_mode", mode),
        ("climate", Some("temperature"), _) => {
            call("set_temperature").with("temperature", number()?)
        }
        ("lock", None, "LOCK") => call("lock"),
        ("lock", None, "UNLOCK") => call("unlock"),
        ("lock", None, "OPEN") => call("open"),
        _ => {
            return Err(format!(
                "{text:?} on {topic} is not a command: ON or OFF, a brightness 0–255, an HVAC \
                 mode, a temperature, or LOCK / UNLOCK"
            ));
        }
    })
}

#[cfg(test)]
mod tests;

//! [`Outbox`]: what the hub says on its own, not as an answer: a scheduled task's result
//! spoken on a satellite (Hermes `tts/say`) or published on the hub's reply topic. It sends
//! through the front end's client (kept in [`MqttState`] once the front end runs); while the
//! broker is away, sending is an error the caller records ("not delivered: …"), never a
//! silent loss.

use std::sync::Arc;

use rumqttc::QoS;
use serde_json::{Value, json};

use super::state::MqttState;
use super::topics::{HERMES_SAY, Topics};

/// The hub's own messages out through the MQTT front end.
pub struct Outbox {
    state: Arc<MqttState>,
    reply_topic: String,
    hermes: bool,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("reply_topic", &self.reply_topic)
            .field("hermes", &self.hermes)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox for hub `hub_id`, sending while `state` says connected; `hermes` allows speech.
    pub fn new(hub_id: &str, state: Arc<MqttState>, hermes: bool) -> Arc<Outbox> {
        Arc::new(Outbox {
            state,
            reply_topic: Topics::new(hub_id, hermes).reply().to_owned(),
            hermes,
        })
    }

    /// Whether the broker has accepted us (and sending can work).
    pub fn connected(&self) -> bool {
        self.state.connected() && self.state.client().is_some()
    }

    /// Speaks `text` on satellite `site` (Hermes `tts/say`).
    pub fn say(&self, site: &str, text: &str, id: &str) -> Result<(), String> {
        if !self.hermes {
            return Err("speech needs Rhasspy Hermes (mqtt.hermes is off)".into());
        }
        let body = json!({"text": text, "siteId": site, "id": id});
        self.send(HERMES_SAY, body)
    }

    /// Publishes `payload` on the hub's reply topic, as answers are.
    pub fn reply(&self, payload: Value) -> Result<(), String> {
        let topic = self.reply_topic.clone();
        self.send(&topic, payload)
    }

    fn send(&self, topic: &str, body: Value) -> Result<(), String> {
        let client = (self.state.client()).ok_or("the MQTT front end is not running")?;
        if !self.state.connected() {
            return Err("the MQTT broker is not connected".into());
        }
        client
            .try_publish(topic, QoS::AtLeastOnce, false, body.to_string())
            .map_err(|e| format!("MQTT: {e}"))
    }
}

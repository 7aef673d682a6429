//! [`MqttState`]: what the MQTT front end shows the status page, shared without locks.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rumqttc::AsyncClient;

/// Live counters of the MQTT front end; cheap to read from any thread.
#[derive(Debug, Default)]
pub struct MqttState {
    connected: AtomicBool,
    connects: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    rejected: AtomicU64,
    duplicates: AtomicU64,
    client: OnceLock<AsyncClient>,
}

impl MqttState {
    /// True while the broker has accepted our connection.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// How many times the broker accepted us (1 + reconnects).
    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::Relaxed)
    }

    /// Messages that arrived on our topics.
    pub fn messages_in(&self) -> u64 {
        self.messages_in.load(Ordering::Relaxed)
    }

    /// Answers handed to the connection for the broker (replies, errors, Hermes speech).
    pub fn messages_out(&self) -> u64 {
        self.messages_out.load(Ordering::Relaxed)
    }

    /// Messages not passed to the hub: bad payloads, too old, or the hub was busy.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    /// Repeats not passed to the hub: a QoS 1 redelivery or the same request id again.
    pub fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::Relaxed)
    }

    /// The counters as JSON, for the status page.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "connected": self.connected(), "connects": self.connects(),
            "messages_in": self.messages_in(), "messages_out": self.messages_out(),
            "rejected": self.rejected(), "duplicates": self.duplicates(),
        })
    }

    /// The client once the front end runs, for the hub's own messages ([`super::Outbox`]).
    pub(crate) fn client(&self) -> Option<&AsyncClient> {
        self.client.get()
    }

    pub(crate) fn set_connected(&self, up: bool) {
        self.connected.store(up, Ordering::Relaxed);
        if up {
            self.connects.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn count_in(&self) {
        self.messages_in.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_out(&self) {
        self.messages_out.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    /// Hands over the connection's client, so others in the hub can publish through it.
    pub(crate) fn set_client(&self, client: AsyncClient) {
        let _ = self.client.set(client);
    }

    /// Asks the Hermes speech recognizer of `site_id` to start listening (the push-to-talk
    /// button): queued for the broker, sent once connected.
    pub fn start_listening(&self, site_id: &str) -> Result<(), String> {
        let client = self
            .client
            .get()
            .ok_or("the MQTT front end has not started")?;
        let (topic, payload) = super::hermes::start_listening(site_id);
        client
            .try_publish(topic, rumqttc::QoS::AtLeastOnce, false, payload)
            .map_err(|e| e.to_string())?;
        self.count_out();
        Ok(())
    }
}

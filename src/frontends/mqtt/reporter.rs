//! [`Reporter`]: stands between the answerer and the hub to report each answer as it happens:
//! the hub's figures on the retained `state` topic, and an `event` for an answer that acted or
//! was blocked.

use rumqttc::{AsyncClient, QoS};
use std::sync::Arc;
use tracing::debug;

use super::discovery;
use crate::agent::{ActionReport, Reply, Request};
use crate::devices::zwave::ZwaveBackend;
use crate::devices::{Changes, Entity, ServiceCall};
use crate::frontends::hub::Hub;

/// The hub, as the answerer sees it: after each answer, publishes the hub's figures on the
/// retained `state` topic and, for an answer that acted or was blocked, an `event`. It runs
/// on the answer's blocking thread, where asking the hub for its status may block.
pub(crate) struct Reporter {
    pub(super) hub: Arc<dyn Hub>,
    client: AsyncClient,
    state_topic: String,
    event_topic: String,
}

impl Reporter {
    /// Reports on hub `hub_id`'s topics through `client`.
    pub(crate) fn new(hub: Arc<dyn Hub>, client: AsyncClient, hub_id: &str) -> Reporter {
        Reporter {
            hub,
            client,
            state_topic: discovery::state_topic(hub_id),
            event_topic: discovery::event_topic(hub_id),
        }
    }

    /// The activity event and fresh figures after an answer.
    fn after(&self, reply: &Reply) {
        if let Some(event) = discovery::event_payload(reply) {
            self.send(&self.event_topic, false, event.to_string());
        }
        self.publish_state();
    }

    /// Publishes the `state` payload, retained. Never waits: a full channel drops it, and the
    /// next answer or refresh sends fresher figures anyway.
    pub(crate) fn publish_state(&self) {
        let payload = discovery::state_payload(&self.hub.status()).to_string();
        self.send(&self.state_topic, true, payload);
    }

    fn send(&self, topic: &str, retain: bool, payload: String) {
        if let Err(err) = (self.client).try_publish(topic, QoS::AtLeastOnce, retain, payload) {
            debug!(cause = %err, topic, "report dropped: client channel full");
        }
    }
}

impl Hub for Reporter {
    fn respond(&self, request: Request) -> Reply {
        let reply = self.hub.respond(request);
        self.after(&reply);
        reply
    }

    fn respond_streaming(&self, request: Request, on_sentence: &mut dyn FnMut(&str)) -> Reply {
        let reply = self.hub.respond_streaming(request, on_sentence);
        self.after(&reply);
        reply
    }

    fn status(&self) -> serde_json::Value {
        self.hub.status()
    }

    fn devices(&self) -> Vec<Entity> {
        self.hub.devices()
    }

    fn session(&self, id: &str) -> Option<Vec<(String, String)>> {
        self.hub.session(id)
    }

    fn metrics(&self) -> String {
        self.hub.metrics()
    }

    fn ready(&self) -> bool {
        self.hub.ready()
    }

    fn prefs(&self, user: &str) -> Vec<(String, String)> {
        self.hub.prefs(user)
    }

    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String> {
        self.hub.remember(user, key, value)
    }

    fn forget(&self, user: &str, key: &str) -> Result<bool, String> {
        self.hub.forget(user, key)
    }

    fn act(&self, request: Request, call: ServiceCall) -> Option<ActionReport> {
        self.hub.act(request, call)
    }

    fn zwave(&self) -> Option<Arc<ZwaveBackend>> {
        self.hub.zwave()
    }

    fn zigbee(&self) -> Option<Arc<crate::devices::zigbee::ZigbeeBackend>> {
        self.hub.zigbee()
    }

    fn tasks(
        &self,
        call: crate::autonomous::tasks::TaskCall,
    ) -> Result<serde_json::Value, crate::autonomous::tasks::TaskError> {
        self.hub.tasks(call)
    }

    fn autonomous(&self, command: crate::frontends::hub::Autonomous) -> bool {
        self.hub.autonomous(command)
    }

    fn device_feeds(&self) -> Vec<(String, tokio::sync::watch::Receiver<Changes>)> {
        self.hub.device_feeds()
    }
}

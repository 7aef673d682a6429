//! [`Mirror`]: back-end entities kept on MQTT. [`Mirror::update`] turns the entities as they
//! are now into the retained messages that differ from what was sent — state, discovery
//! configs, the back end's availability — plus an event for each new Central Scene press and
//! empty retained messages for entities that went. [`Controls`] runs it on each back end's
//! change feed and carries out commands from the command topics through the hub's action
//! gate, saying how each went on `…/<entity_id>/result`; nothing here calls a back end.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use rumqttc::{AsyncClient, QoS};
use serde_json::Value;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::devices::{self, DeviceTopics};
use super::state::MqttState;
use super::topics::{OFFLINE, ONLINE};
use crate::agent::{ActionReport, Request, Source};
use crate::devices::{Changes, Entity};
use crate::frontends::hub::Hub;

/// One message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Out {
    /// Where.
    pub(crate) topic: String,
    /// What (empty: remove a retained message).
    pub(crate) payload: String,
    /// Kept by the broker for later subscribers.
    pub(crate) retain: bool,
}

/// What was published, to send only what changed.
#[derive(Debug)]
pub(crate) struct Mirror {
    topics: DeviceTopics,
    /// Retained topics and the payload last sent on each.
    sent: BTreeMap<String, String>,
    /// The retained topics each (back end, entity id) owns, to clear when it goes.
    owned: BTreeMap<(String, String), Vec<String>>,
    /// The last `event_count` seen per entity id; kept across reconnects.
    events: BTreeMap<String, Value>,
}

impl Mirror {
    /// Nothing published yet.
    pub(crate) fn new(topics: DeviceTopics) -> Mirror {
        Mirror {
            topics,
            sent: BTreeMap::new(),
            owned: BTreeMap::new(),
            events: BTreeMap::new(),
        }
    }

    /// Forgets what was sent, so the next update sends everything (a new connection, or Home
    /// Assistant back online).
    pub(crate) fn resync(&mut self) {
        self.sent.clear();
    }

    /// What to publish for `backend` with its entities (others in `entities` are skipped).
    pub(crate) fn update(
        &mut self,
        backend: &str,
        available: bool,
        entities: &[Entity],
    ) -> Vec<Out> {
        let mut out = Vec::new();
        let status = self.topics.availability(backend);
        let word = if available { ONLINE } else { OFFLINE };
        self.put(&mut out, &status, word.to_owned());
        let mut seen = BTreeSet::new();
        for e in entities.iter().filter(|e| e.backend == backend) {
            let Some(state) = self.topics.state(e) else {
                continue;
            };
            seen.insert(e.id.clone());
            let mut topics = Vec::new();
            // Configs first: Home Assistant subscribes to the state topic when it reads one.
            for (topic, config) in self.topics.configs(e, &status) {
                self.put(&mut out, &topic, config.to_string());
                topics.push(topic);
            }
            self.put(&mut out, &state, devices::state_payload(e).to_string());
            if let Some(count) = e.attributes.get("event_count") {
                let last = self.events.insert(e.id.clone(), count.clone());
                if last.as_ref() != Some(count) {
                    out.extend(devices::event_payload(e).map(|event| Out {
                        topic: format!("{state}/event"),
                        payload: event.to_string(),
                        retain: false,
                    }));
                }
            }
            topics.push(state);
            self.owned
                .insert((backend.to_owned(), e.id.clone()), topics);
        }
        let gone: Vec<(String, String)> = (self.owned.keys())
            .filter(|(b, id)| b == backend && !seen.contains(id))
            .cloned()
            .collect();
        for key in gone {
            for topic in self.owned.remove(&key).unwrap_or_default() {
                self.sent.remove(&topic);
                out.push(Out {
                    topic,
                    payload: String::new(),
                    retain: true,
                });
            }
        }
        out
    }

    /// Whether `entity_id` is mirrored: only those take commands.
    pub(crate) fn owns(&self, entity_id: &str) -> bool {
        self.owned.keys().any(|(_, id)| id == entity_id)
    }

    fn put(&mut self, out: &mut Vec<Out>, topic: &str, payload: String) {
        if self.sent.get(topic) != Some(&payload) {
            self.sent.insert(topic.to_owned(), payload.clone());
            out.push(Out {
                topic: topic.to_owned(),
                payload,
                retain: true,
            });
        }
    }
}

/// The mirror at work: follows the feeds, takes commands.
pub(crate) struct Controls {
    hub: Arc<dyn Hub>,
    mirror: Arc<Mutex<Mirror>>,
    kick: watch::Sender<u64>,
    state: Arc<MqttState>,
    client: AsyncClient,
}

impl Controls {
    /// Mirrors the entities of `hub`'s back ends with a change feed through `client`; `None`
    /// when no back end has one.
    pub(crate) fn start(
        hub: Arc<dyn Hub>,
        client: &AsyncClient,
        topics: DeviceTopics,
        state: Arc<MqttState>,
    ) -> Option<Controls> {
        let feeds = hub.device_feeds();
        if feeds.is_empty() {
            return None;
        }
        let mirror = Arc::new(Mutex::new(Mirror::new(topics)));
        let (kick, kicked) = watch::channel(0);
        for (backend, feed) in feeds {
            let follow = Follow {
                hub: hub.clone(),
                client: client.clone(),
                mirror: mirror.clone(),
                state: state.clone(),
            };
            tokio::spawn(follow.run(backend, feed, kicked.clone()));
        }
        Some(Controls {
            hub,
            mirror,
            kick,
            state,
            client: client.clone(),
        })
    }

    /// Sends everything again: called on each connect and when Home Assistant comes back.
    pub(crate) fn resync(&self) {
        lock(&self.mirror).resync();
        self.kick.send_modify(|k| *k += 1);
    }

    /// A message on a command topic: parsed, checked against the mirrored entities, and
    /// carried out through the hub's action gate on a blocking thread.
    pub(crate) fn command(&self, topic: &str, payload: &[u8], retained: bool) {
        self.state.count_in();
        let call = match devices::command(topic, payload) {
            Ok(_) if retained => Err("a retained command is ignored".to_owned()),
            Ok(call) if !lock(&self.mirror).owns(&call.entity_id) => {
                Err(format!("{} is not an entity MIRAI mirrors", call.entity_id))
            }
            other => other,
        };
        let call = match call {
            Ok(call) => call,
            Err(reason) => {
                warn!(topic, %reason, "command rejected");
                self.state.count_rejected();
                return;
            }
        };
        let (hub, client) = (self.hub.clone(), self.client.clone());
        let to = devices::result_topic(topic);
        tokio::task::spawn_blocking(move || {
            let request = Request::new(
                format!("{} {}", call.entity_id, call.service),
                Source::Control,
                "home_assistant",
                "mqtt-controls",
            );
            let report = hub
                .act(request, call.clone())
                .unwrap_or_else(|| ActionReport {
                    call,
                    outcome: "failed".into(),
                    detail: "this hub does not act on devices".into(),
                    response: None,
                });
            info!(entity = %report.call.entity_id, service = %report.call.service,
                  outcome = %report.outcome, detail = %report.detail, "MQTT command");
            let Some(to) = to else {
                return;
            };
            let payload = devices::result_payload(&report).to_string();
            if let Err(err) = client.try_publish(&to, QoS::AtLeastOnce, false, payload) {
                debug!(cause = %err, topic = %to, "command result dropped: client channel full");
            }
        });
    }
}

/// One back end's feed, followed.
struct Follow {
    hub: Arc<dyn Hub>,
    client: AsyncClient,
    mirror: Arc<Mutex<Mirror>>,
    state: Arc<MqttState>,
}

impl Follow {
    /// Publishes what changed whenever the feed moves or a resync is asked for, while the
    /// broker is there; ends with the feed.
    async fn run(
        self,
        backend: String,
        mut feed: watch::Receiver<Changes>,
        mut kick: watch::Receiver<u64>,
    ) {
        loop {
            if self.state.connected() {
                let available = feed.borrow_and_update().available;
                let hub = self.hub.clone();
                let Ok(entities) = tokio::task::spawn_blocking(move || hub.devices()).await else {
                    return;
                };
                let out = lock(&self.mirror).update(&backend, available, &entities);
                for o in out {
                    let retain = o.retain;
                    if let Err(err) = (self.client)
                        .publish(&o.topic, QoS::AtLeastOnce, retain, o.payload)
                        .await
                    {
                        debug!(cause = %err, topic = %o.topic, "entity state not sent");
                        return;
                    }
                }
            }
            tokio::select! {
                changed = feed.changed() => if changed.is_err() { return },
                kicked = kick.changed() => if kicked.is_err() { return },
            }
        }
    }
}

fn lock(mirror: &Mutex<Mirror>) -> std::sync::MutexGuard<'_, Mirror> {
    mirror.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests;

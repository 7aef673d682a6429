//! What the daemon's front ends (MQTT, HTTP) need from the hub, as one trait, so that no front
//! end knows which agent, memory or back end answers.

use std::sync::Arc;

use crate::agent::{ActionReport, Reply, Request};
use crate::autonomous::tasks::{TaskCall, TaskError};
use crate::devices::zigbee2mqtt::Zigbee2Mqtt;
use crate::devices::zwave::ZwaveBackend;
use crate::devices::{Changes, Entity, ServiceCall};

/// What Home Assistant's autonomous switch and button ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autonomous {
    /// Run scheduled work.
    On,
    /// Run nothing but upkeep.
    Off,
    /// Look at the tasks now.
    RunRound,
}

/// The hub as front ends see it. Every method may block (SQLite, the models): front ends call
/// it from their own threads or `spawn_blocking`, never from an async worker.
pub trait Hub: Send + Sync {
    /// Answers one request.
    fn respond(&self, request: Request) -> Reply;
    /// Answers one request, handing the model's reply to `on_sentence` as it is written.
    /// Hubs that cannot stream answer whole.
    fn respond_streaming(&self, request: Request, on_sentence: &mut dyn FnMut(&str)) -> Reply {
        let _ = on_sentence;
        self.respond(request)
    }
    /// Identity, uptime, services and their state, model and broker reachability, tokens and
    /// cost today, recent requests: the status page's data, as JSON.
    fn status(&self) -> serde_json::Value;
    /// The devices and their state.
    fn devices(&self) -> Vec<Entity>;
    /// A session's messages (role, text), oldest first; `None` for an unknown session.
    fn session(&self, id: &str) -> Option<Vec<(String, String)>>;
    /// Metrics in the Prometheus text format.
    fn metrics(&self) -> String;
    /// True once every enabled service is up.
    fn ready(&self) -> bool;
    /// All preferences of `user`, as (key, value).
    fn prefs(&self, user: &str) -> Vec<(String, String)>;
    /// Stores the preference `key` = `value` for `user`.
    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String>;
    /// Removes the preference `key` of `user`; whether there was one.
    fn forget(&self, user: &str, key: &str) -> Result<bool, String>;
    /// The autonomous tasks: list, add, cancel, run now, history. Hubs without a scheduler
    /// refuse.
    fn tasks(&self, call: TaskCall) -> Result<serde_json::Value, TaskError> {
        let _ = call;
        Err(TaskError::Bad("this hub runs no autonomous tasks".into()))
    }
    /// Switches autonomous work on or off, or runs a round now (Home Assistant's switch and
    /// button); false when there is no scheduler.
    fn autonomous(&self, command: Autonomous) -> bool {
        let _ = command;
        false
    }
    /// Carries out one device call asked for directly (not in words), through the action gate
    /// and audited like any action; `None` from a hub that acts on nothing.
    fn act(&self, request: Request, call: ServiceCall) -> Option<ActionReport> {
        let _ = (request, call);
        None
    }
    /// The Z-Wave stick this hub drives, if it drives one.
    fn zwave(&self) -> Option<Arc<ZwaveBackend>> {
        None
    }
    /// The Zigbee2MQTT back end this hub uses, if it uses one.
    fn zigbee2mqtt(&self) -> Option<Arc<Zigbee2Mqtt>> {
        None
    }
    /// The Zigbee stick this hub drives, if it drives one.
    fn zigbee(&self) -> Option<Arc<crate::devices::zigbee::ZigbeeBackend>> {
        None
    }
    /// The change feeds of the back ends whose entities front ends mirror, by back end name.
    fn device_feeds(&self) -> Vec<(String, tokio::sync::watch::Receiver<Changes>)> {
        Vec::new()
    }
    /// The facts remembered about `user`, oldest first (hubs without a memory have none).
    fn facts(&self, user: &str) -> Result<Vec<crate::memory::Fact>, String> {
        let _ = user;
        Ok(Vec::new())
    }
    /// Corrects fact `id` of `user`; `Ok(false)` when `user` has no such fact.
    fn correct_fact(&self, user: &str, id: i64, text: &str) -> Result<bool, String> {
        let _ = (user, id, text);
        Ok(false)
    }
    /// Forgets fact `id` of `user`; `Ok(false)` when `user` has no such fact.
    fn forget_fact(&self, user: &str, id: i64) -> Result<bool, String> {
        let _ = (user, id);
        Ok(false)
    }
}

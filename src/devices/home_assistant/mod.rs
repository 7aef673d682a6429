//! The Home Assistant back end: MIRAI sees Home Assistant's entities (with their areas,
//! devices and aliases), acts through its services, reads the state back to tell the truth,
//! and fires events that automations can trigger on.
//!
//! A thread of its own runs the WebSocket link (a small current-thread runtime), so the back
//! end works the same under the daemon and in a one-shot `mirai ask`; service calls and
//! events go over REST from the caller's (blocking) thread.
//!
//! # Layout
//!
//! - `settings`: what the back end needs from the config; the URL's parts.
//! - `shared`: the house, the link's state and the services, behind a lock and a condvar.
//! - `tls`: rustls for an https:// Home Assistant's WebSocket.
//! - `wire`: the WebSocket API's messages as data.
//! - `house`: states and registries → the exposed entities.
//! - `exposure`: which entities MIRAI sees.
//! - `truth`: what a call should lead to, and the words when it did not.
//! - `link`: the WebSocket connection: auth, sync, events, ping, reconnect.
//! - `rest`: the REST API: status, one state, service calls, events.
//! - `events`: `mirai_*` events fired in the background.

mod events;
mod exposure;
mod house;
mod link;
mod rest;
mod settings;
mod shared;
mod tls;
mod truth;
mod wire;

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Area, Backend, DeviceError, Entity, Outcome, ServiceCall};
pub use events::Events;
use house::{BACKEND, House};
use rest::Rest;
pub use settings::Settings;
pub use shared::LinkStatus;
use shared::Shared;

/// How often the state is read over REST after a call made while the link is down.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Why Home Assistant could not be used, in words the agent can pass on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HaError {
    /// Nothing answered, or the connection broke.
    #[error("Home Assistant is unreachable: {0}")]
    Unreachable(String),
    /// 401, or `auth_invalid` on the WebSocket.
    #[error(
        "Home Assistant rejected the access token (make a new long-lived token in your \
         profile → Security, and put it in HA_TOKEN or home_assistant.token_file)"
    )]
    TokenRejected,
    /// No such entity.
    #[error("Home Assistant has no entity {0}")]
    UnknownEntity(String),
    /// No such service.
    #[error("Home Assistant has no service {0}")]
    UnknownService(String),
    /// Home Assistant answered with an error.
    #[error("Home Assistant returned an error ({status}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Its words.
        message: String,
    },
    /// Home Assistant said something MIRAI did not expect.
    #[error("Home Assistant: {0}")]
    Protocol(String),
    /// The settings cannot work.
    #[error("home_assistant: {0}")]
    Config(String),
}

/// `GET /api/` without starting a link: Home Assistant answers and takes the token.
pub fn check(settings: Settings) -> Result<(), HaError> {
    Rest::new(Arc::new(settings))?.check()
}

/// The back end: Home Assistant's exposed entities in MIRAI's registry.
pub struct HomeAssistant {
    shared: Arc<Shared>,
    rest: Rest,
    settings: Arc<Settings>,
    events: Option<Events>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HomeAssistant {
    /// Starts the link on a thread of its own; entities arrive once it has synced.
    pub fn start(settings: Settings) -> Result<HomeAssistant, HaError> {
        let settings = Arc::new(settings);
        let rest = Rest::new(settings.clone())?;
        let shared = Arc::new(Shared {
            house: Mutex::new(House::new(settings.exposure.clone())),
            status: Mutex::new(LinkStatus::default()),
            services: Mutex::new(BTreeMap::new()),
            changed: Condvar::new(),
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| HaError::Config(format!("cannot start its runtime: {e}")))?;
        let (s, cfg) = (shared.clone(), settings.clone());
        let thread = std::thread::Builder::new()
            .name("mirai-ha".into())
            .spawn(move || runtime.block_on(link::run(s, cfg, stopped)))
            .map_err(|e| HaError::Config(format!("cannot start its thread: {e}")))?;
        let events = settings.events.then(|| Events::start(rest.clone()));
        Ok(HomeAssistant {
            shared,
            rest,
            settings,
            events,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Sends `message` through the notify service `notify.<service>` (a phone, a speaker),
    /// titled MIRAI: how scheduled tasks reach a person away from the satellites.
    pub fn notify(&self, service: &str, message: &str) -> Result<(), HaError> {
        let data = serde_json::json!({"message": message, "title": "MIRAI"});
        self.rest.call_service("notify", service, &data, false)?;
        Ok(())
    }

    /// Waits up to `limit` for the first sync; true when synced.
    pub fn wait_synced(&self, limit: Duration) -> bool {
        self.wait_until(limit, |status, _| status.synced)
    }

    /// Waits up to `limit` for `id` to be in `state`; the entity as it is then.
    pub fn wait_state(&self, id: &str, state: &str, limit: Duration) -> Option<Entity> {
        self.wait_until(limit, |_, house| {
            house.entity(id).is_some_and(|e| e.state == state)
        });
        self.shared.house().entity(id).cloned()
    }

    /// Waits up to `limit` for the link's state to satisfy `done`; whether it did.
    pub fn wait_link(&self, limit: Duration, done: impl Fn(&LinkStatus) -> bool) -> bool {
        self.wait_until(limit, |status, _| done(status))
    }

    /// Waits on the condition variable every change wakes, until `done` or `limit`.
    fn wait_until(&self, limit: Duration, done: impl Fn(&LinkStatus, &House) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut house = self.shared.house();
        loop {
            if done(&self.shared.status(), &house) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            house = match self.shared.changed.wait_timeout(house, left) {
                Ok((h, _)) => h,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// The link's state now.
    pub fn status(&self) -> LinkStatus {
        let mut s = self.shared.status().clone();
        s.entities = self.shared.counts();
        s
    }

    /// The event sender, when `home_assistant.events` is on.
    pub fn events(&self) -> Option<&Events> {
        self.events.as_ref()
    }

    /// Waits for `id` to show what `expected` says, up to the readback time.
    fn read_back(&self, id: &str, expected: &truth::Expected) -> Option<Entity> {
        let deadline = Instant::now() + self.settings.readback;
        let mut house = self.shared.house();
        loop {
            let now = house.entity(id).cloned();
            let left = deadline.saturating_duration_since(Instant::now());
            match now {
                Some(e) if expected.met(&e) || left.is_zero() => return Some(e),
                None if left.is_zero() => return None,
                _ => {}
            }
            house = match self.shared.changed.wait_timeout(house, left) {
                Ok((h, _)) => h,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// With the link down no event will come: the states the call changed, else the state
    /// read over REST every [`POLL_EVERY`] until it shows `expected` or the time is up.
    fn poll_back(&self, before: &Entity, expected: &truth::Expected) -> Option<Entity> {
        let changed = self.shared.house().entity(&before.id).cloned();
        if changed.as_ref().is_some_and(|e| expected.met(e)) {
            return changed;
        }
        let deadline = Instant::now() + self.settings.readback;
        loop {
            let now = self.fetch(before);
            if now.as_ref().is_some_and(|e| expected.met(e)) || Instant::now() >= deadline {
                return now;
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    /// The entity's state over REST, when the link is down.
    fn fetch(&self, before: &Entity) -> Option<Entity> {
        let v = self.rest.state(&before.id).ok()?;
        let mut e = before.clone();
        e.state = v.get("state")?.as_str()?.to_owned();
        if let Some(attrs) = v.get("attributes").and_then(Value::as_object) {
            e.attributes
                .extend(attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Some(e)
    }
}

impl Drop for HomeAssistant {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Backend for HomeAssistant {
    fn name(&self) -> &str {
        BACKEND
    }

    fn entities(&self) -> Vec<Entity> {
        self.shared.house().entities().cloned().collect()
    }

    fn areas(&self) -> Vec<Area> {
        self.shared.house().areas()
    }

    fn entity(&self, id: &str) -> Option<Entity> {
        self.shared.house().entity(id).cloned()
    }

    fn generation(&self) -> u64 {
        self.shared.house().generation()
    }

    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        self.call_with_response(call).map(|(outcome, _)| outcome)
    }

    fn call_with_response(
        &self,
        call: &ServiceCall,
    ) -> Result<(Outcome, Option<Value>), DeviceError> {
        let Some(before) = self.entity(&call.entity_id) else {
            return Err(DeviceError::UnknownEntity(call.entity_id.clone()));
        };
        let domain = call.domain().to_owned();
        if self.shared.has_service(&domain, &call.service) == Some(false) {
            return Err(DeviceError::UnknownService {
                entity: call.entity_id.clone(),
                service: call.service.clone(),
            });
        }
        let body = rest::target(&call.entity_id, &call.data);
        // Services that answer with data (a script's response, forecasts) are asked for it.
        let answers = self.shared.returns_response(&domain, &call.service);
        let called = match self
            .rest
            .call_service(&domain, &call.service, &body, answers)
        {
            Ok(called) => called,
            Err(e) => return device_error(e, call).map(|outcome| (outcome, None)),
        };
        // The states the call changed, as Home Assistant reported them: often the answer
        // before the WebSocket's event arrives.
        for state in called.changed {
            let id = state.get("entity_id").cloned().unwrap_or(Value::Null);
            self.shared
                .state_changed(&serde_json::json!({"entity_id": id, "new_state": state}));
        }
        let expected = truth::expected(call, &before);
        let connected = self.shared.status().connected;
        let now = if connected {
            self.read_back(&call.entity_id, &expected)
        } else {
            self.poll_back(&before, &expected)
        };
        let now = now.unwrap_or(before);
        let outcome = if expected.met(&now) {
            Outcome::Done { state: now.state }
        } else {
            Outcome::Refused {
                reason: truth::shortfall(call, &now),
            }
        };
        Ok((outcome, called.response))
    }
}

/// A REST failure as the registry reports it: "the device said no" stays a value.
fn device_error(e: HaError, call: &ServiceCall) -> Result<Outcome, DeviceError> {
    match e {
        HaError::UnknownEntity(id) => Err(DeviceError::UnknownEntity(id)),
        HaError::UnknownService(_) => Err(DeviceError::UnknownService {
            entity: call.entity_id.clone(),
            service: call.service.clone(),
        }),
        HaError::Refused {
            status: 400,
            message,
        } => Err(DeviceError::BadData(message)),
        HaError::Refused { .. } => Ok(Outcome::Refused {
            reason: e.to_string(),
        }),
        other => Err(DeviceError::Unavailable {
            backend: "Home Assistant".into(),
            detail: other.to_string(),
        }),
    }
}

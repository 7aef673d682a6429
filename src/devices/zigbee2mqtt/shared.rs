//! What the link task and the callers share: the network under one lock, a condition variable
//! for callers waiting on a state, the counters, and [`Shared::take`], which routes one
//! incoming message by its topic. A bad payload is logged with its topic and counted; the
//! device keeps its last good state.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rumqttc::AsyncClient;
use serde_json::{Map, Value};
use tracing::{debug, info, warn};

use super::exposes;
use super::network::Network;

/// The largest device state message taken; bigger ones are refused (a device's state is a
/// few hundred bytes). `bridge/devices` may be as large as the client takes a packet.
pub(super) const MAX_STATE_BYTES: usize = 64 * 1024;

/// Called with a device's friendly name and merged state after each applied update.
pub(crate) type Observer = Box<dyn Fn(&str, &Map<String, Value>) + Send + Sync>;

/// The state behind the lock.
#[derive(Default)]
pub(super) struct Inner {
    pub(super) network: Network,
    /// Connected to the broker.
    pub(super) connected: bool,
    /// The retained device list has come.
    pub(super) listed: bool,
    /// Why the link is down, if it is.
    pub(super) error: Option<String>,
    /// Exposes MIRAI left out of the last device list, with why.
    pub(super) skipped: Vec<String>,
    /// The client, once the link runs.
    pub(super) client: Option<AsyncClient>,
    /// A permit join waiting for its answer: its transaction and, once come, the answer.
    pub(super) permit: Option<(String, Option<Value>)>,
}

/// Shared between the link task and the callers.
pub(super) struct Shared {
    inner: Mutex<Inner>,
    changed: Condvar,
    /// Callers waiting on `changed`; nobody is woken when none waits.
    waiting: AtomicUsize,
    /// Zigbee2MQTT's base topic followed by `/`.
    prefix: String,
    /// State messages applied.
    pub(super) applied: AtomicU64,
    /// Messages refused: not JSON, wrong shape, too big.
    pub(super) rejected: AtomicU64,
    pub(super) observer: OnceLock<Observer>,
}

impl Shared {
    /// Nothing known yet, for Zigbee2MQTT under `base_topic`.
    pub(super) fn new(base_topic: &str) -> Shared {
        Shared {
            inner: Mutex::new(Inner::default()),
            changed: Condvar::new(),
            waiting: AtomicUsize::new(0),
            prefix: format!("{base_topic}/"),
            applied: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            observer: OnceLock::new(),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the state under the lock and wakes the callers waiting, if any.
    pub(super) fn update<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let out = f(&mut self.lock());
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.changed.notify_all();
        }
        out
    }

    /// Waits up to `limit` until `done` says yes under the lock; its last answer.
    pub(super) fn wait_for<T>(
        &self,
        limit: Duration,
        mut done: impl FnMut(&Inner) -> Option<T>,
    ) -> Result<T, MutexGuard<'_, Inner>> {
        let deadline = Instant::now() + limit;
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut inner = self.lock();
        let result = loop {
            if let Some(t) = done(&inner) {
                break Ok(t);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Err(());
            }
            inner = match self.changed.wait_timeout(inner, left) {
                Ok((i, _)) => i,
                Err(p) => p.into_inner().0,
            };
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        result.map_err(|()| inner)
    }

    /// Routes one message from the broker.
    pub(super) fn take(&self, topic: &str, payload: &[u8]) {
        let Some(rest) = topic.strip_prefix(&self.prefix) else {
            return;
        };
        match rest {
            "bridge/devices" => return self.take_devices(payload),
            "bridge/state" => return self.take_bridge_state(payload),
            "bridge/response/permit_join" => return self.take_permit(payload),
            _ if rest.starts_with("bridge/") => return,
            _ => {}
        }
        if payload.is_empty() {
            return; // a retained message cleared
        }
        if let Some(name) = rest.strip_suffix("/availability") {
            if self.lock().network.index(name).is_some() {
                return self.take_availability(topic, name, payload);
            }
        }
        self.take_state(topic, rest, payload);
    }

    fn reject(&self, topic: &str, bytes: usize, why: &str) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        warn!(topic, bytes, reason = why, "Zigbee2MQTT message refused");
    }

    fn take_state(&self, topic: &str, name: &str, payload: &[u8]) {
        if self.lock().network.index(name).is_none() {
            // Our own `/set`, a group, a device not listed yet: nothing to apply.
            debug!(topic, "no Zigbee2MQTT device of that name");
            return;
        }
        if payload.len() > MAX_STATE_BYTES {
            return self.reject(topic, payload.len(), "state message too large");
        }
        let update: Map<String, Value> = match serde_json::from_slice(payload) {
            Ok(update) => update,
            Err(err) => {
                return self.reject(topic, payload.len(), &format!("not a JSON object: {err}"));
            }
        };
        self.update(|inner| {
            let Some(i) = inner.network.index(name) else {
                return;
            };
            inner.network.apply(i, update);
            self.applied.fetch_add(1, Ordering::Relaxed);
            if let Some(observe) = self.observer.get() {
                observe(name, &inner.network.seen(i).values);
            }
        });
    }

    fn take_availability(&self, topic: &str, name: &str, payload: &[u8]) {
        let Some(online) = online_word(payload) else {
            return self.reject(topic, payload.len(), "expected online or offline");
        };
        self.update(|inner| {
            if let Some(i) = inner.network.index(name) {
                inner.network.set_available(i, online);
            }
        });
    }

    fn take_bridge_state(&self, payload: &[u8]) {
        let topic = format!("{}bridge/state", self.prefix);
        let Some(online) = online_word(payload) else {
            return self.reject(&topic, payload.len(), "expected online or offline");
        };
        info!(online, "Zigbee2MQTT bridge state");
        self.update(|inner| inner.network.bridge_online = online);
    }

    fn take_devices(&self, payload: &[u8]) {
        let topic = format!("{}bridge/devices", self.prefix);
        let parsed = match exposes::parse_devices(payload) {
            Ok(parsed) => parsed,
            Err(why) => return self.reject(&topic, payload.len(), &why),
        };
        for bad in &parsed.bad_entries {
            self.reject(&topic, payload.len(), bad);
        }
        for skipped in &parsed.skipped {
            debug!(expose = %skipped, "Zigbee2MQTT expose not used");
        }
        let count = parsed.devices.len();
        let changed = self.update(|inner| {
            inner.listed = true;
            inner.skipped = parsed.skipped;
            inner.network.set_devices(parsed.devices)
        });
        if changed {
            info!(devices = count, "Zigbee2MQTT device list");
        }
    }

    fn take_permit(&self, payload: &[u8]) {
        let topic = format!("{}bridge/response/permit_join", self.prefix);
        let answer: Value = match serde_json::from_slice(payload) {
            Ok(answer @ Value::Object(_)) => answer,
            _ => return self.reject(&topic, payload.len(), "not a JSON object"),
        };
        self.update(|inner| {
            if let Some((transaction, got)) = &mut inner.permit {
                let theirs = answer.get("transaction").and_then(Value::as_str);
                if theirs.is_none_or(|t| t == transaction) {
                    *got = Some(answer);
                }
            }
        });
    }
}

/// `online` / `offline`, plain (Zigbee2MQTT before 2.0, or `legacy_availability_payload`) or
/// as `{"state": "online"}`.
fn online_word(payload: &[u8]) -> Option<bool> {
    let word = match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(o)) => o.get("state")?.as_str()?.to_owned(),
        _ => std::str::from_utf8(payload).ok()?.trim().to_owned(),
    };
    match word.as_str() {
        "online" => Some(true),
        "offline" => Some(false),
        _ => None,
    }
}

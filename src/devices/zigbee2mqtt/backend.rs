//! [`Zigbee2Mqtt`]: Zigbee2MQTT's devices in the registry. Its MQTT client runs on a thread of
//! its own (a current-thread runtime, as the Home Assistant and Z-Wave back ends do), so it
//! works the same under the daemon and in a one-shot `mirai ask`. A call publishes the `/set`
//! and returns once the device's reported state shows the change, or says it did not within
//! the reply timeout: the truth comes from the device, never from the command.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rumqttc::QoS;
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use super::command::{self, Want};
use super::shared::{Inner, Observer, Shared};
use super::{BACKEND, Settings, Z2mError, link};
use crate::devices::{Area, Backend, DeviceError, Entity, Outcome, ServiceCall};
use crate::frontends::mqtt::MqttError;

/// How long a permit join waits for Zigbee2MQTT's answer.
const PERMIT_ANSWER: Duration = Duration::from_secs(10);

/// The link's state, for the status page and the API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// Connected to the broker.
    pub connected: bool,
    /// Zigbee2MQTT's `bridge/state` says online.
    pub bridge_online: bool,
    /// The retained device list has come.
    pub listed: bool,
    /// Devices listed, the coordinator not counted.
    pub devices: usize,
    /// State messages applied.
    pub applied: u64,
    /// Messages refused (not JSON, wrong shape, too big).
    pub rejected: u64,
    /// Why the link is down.
    pub error: Option<String>,
}

/// The Zigbee2MQTT back end.
pub struct Zigbee2Mqtt {
    shared: Arc<Shared>,
    settings: Settings,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Zigbee2Mqtt {
    /// Starts the link on a thread of its own; entities arrive with the retained device list.
    pub fn start(settings: Settings) -> Result<Zigbee2Mqtt, MqttError> {
        let opts = link::options(&settings)?;
        let shared = Arc::new(Shared::new(&settings.base_topic));
        let (stop, stopped) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| MqttError::Broker(format!("cannot start a runtime: {e}")))?;
        let (s, base) = (shared.clone(), settings.base_topic.clone());
        let thread = std::thread::Builder::new()
            .name("mirai-z2m".into())
            .spawn(move || runtime.block_on(link::run(s, opts, base, stopped)))
            .map_err(|e| MqttError::Broker(format!("cannot start a thread: {e}")))?;
        Ok(Zigbee2Mqtt {
            shared,
            settings,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Calls `observer` with a device's friendly name and merged state after each update it
    /// applies, under the back end's lock: it must be quick and must not call the back end.
    /// Only the first observer set counts.
    pub fn observe(&self, observer: Observer) {
        let _ = self.shared.observer.set(observer);
    }

    /// Waits up to `limit` for the retained device list; true once it came.
    pub fn wait_listed(&self, limit: Duration) -> bool {
        self.shared
            .wait_for(limit, |i| i.listed.then_some(()))
            .is_ok()
    }

    /// The link's state now.
    pub fn status(&self) -> Status {
        let inner = self.shared.lock();
        Status {
            connected: inner.connected,
            bridge_online: inner.network.bridge_online,
            listed: inner.listed,
            devices: inner.network.devices().len(),
            applied: self.shared.applied.load(Ordering::Relaxed),
            rejected: self.shared.rejected.load(Ordering::Relaxed),
            error: inner.error.clone(),
        }
    }

    /// The devices as JSON: names, model, availability, entities, and the exposes left out.
    pub fn device_list(&self) -> Value {
        let inner = self.shared.lock();
        let net = &inner.network;
        let devices: Vec<Value> = (net.devices().iter().enumerate())
            .map(|(i, d)| {
                let seen = net.seen(i);
                json!({
                    "friendly_name": d.name, "ieee_address": d.ieee, "model": d.model,
                    "vendor": d.vendor, "description": d.description, "supported": d.supported,
                    "interview_completed": d.interviewed,
                    "available": seen.available.unwrap_or(true) && reachable(&inner),
                    "entities": d.specs.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"devices": devices, "skipped_exposes": inner.skipped,
               "bridge_online": net.bridge_online, "connected": inner.connected})
    }

    /// Opens the network for joining for `seconds` (0 closes it) through
    /// `bridge/request/permit_join` `{"time": N}`, with a `transaction` so the answer on
    /// `bridge/response/permit_join` is ours; Zigbee2MQTT's `data` on success.
    pub fn permit_join(&self, seconds: u32) -> Result<Value, Z2mError> {
        let transaction = format!("mirai-{}", fastrand::u64(..));
        let client = {
            let mut inner = self.shared.lock();
            unreachable_why(&inner).map_or(Ok(()), |why| Err(Z2mError::Unavailable(why)))?;
            inner.permit = Some((transaction.clone(), None));
            inner.client.clone()
        };
        let topic = format!("{}/bridge/request/permit_join", self.settings.base_topic);
        let payload = json!({"time": seconds, "transaction": transaction}).to_string();
        let sent = client.map(|c| c.try_publish(topic, QoS::AtLeastOnce, false, payload));
        if !matches!(sent, Some(Ok(()))) {
            return Err(Z2mError::Unavailable(
                "the MQTT client is busy or stopped".into(),
            ));
        }
        let got = self.shared.wait_for(PERMIT_ANSWER, |i| {
            i.permit.as_ref().and_then(|(_, answer)| answer.clone())
        });
        self.shared.lock().permit = None;
        let answer = got.map_err(|_| Z2mError::NoAnswer(PERMIT_ANSWER))?;
        match answer.get("status").and_then(Value::as_str) {
            Some("ok") => Ok(answer.get("data").cloned().unwrap_or(Value::Null)),
            _ => {
                let why = answer
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("no reason given");
                Err(Z2mError::Refused(why.to_owned()))
            }
        }
    }

    /// Publishes the command to the device's `/set` and waits for a state that meets it.
    fn act(&self, call: &ServiceCall, pending: Pending) -> Result<Outcome, DeviceError> {
        let Pending {
            ieee,
            name,
            payload,
            wants,
            before,
            client,
        } = pending;
        let topic = format!("{}/{name}/set", self.settings.base_topic);
        let body = Value::Object(payload).to_string();
        if let Err(err) = client.try_publish(topic, QoS::AtLeastOnce, false, body) {
            return Err(unavailable(&format!("the command was not sent: {err}")));
        }
        let limit = self.settings.reply_timeout;
        let done = self.shared.wait_for(limit, |inner| {
            let i = device_index(inner, &ieee)?;
            let seen = inner.network.seen(i);
            (seen.updates > before && wants.iter().all(|w| w.met(&seen.values))).then_some(())
        });
        let inner = match done {
            Ok(()) => {
                let now = self.entity(&call.entity_id);
                let state = now.map_or_else(|| "unknown".to_owned(), |e| e.state);
                return Ok(Outcome::Done { state });
            }
            Err(inner) => inner,
        };
        let reported =
            device_index(&inner, &ieee).is_some_and(|i| inner.network.seen(i).updates > before);
        let now = inner.network.entity(&call.entity_id, reachable(&inner));
        let state = now.map_or_else(|| "gone".to_owned(), |e| e.state);
        let what = call.service.replace('_', " ");
        let reason = if reported {
            format!("{name} did not {what}: it reports {state}")
        } else {
            format!(
                "{name} did not report back within {} s after {what} (it stays {state})",
                limit.as_secs()
            )
        };
        Ok(Outcome::Refused { reason })
    }
}

impl Drop for Zigbee2Mqtt {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Backend for Zigbee2Mqtt {
    fn name(&self) -> &str {
        BACKEND
    }

    fn entities(&self) -> Vec<Entity> {
        let inner = self.shared.lock();
        inner.network.entities(reachable(&inner))
    }

    fn areas(&self) -> Vec<Area> {
        self.shared.lock().network.areas()
    }

    fn entity(&self, id: &str) -> Option<Entity> {
        let inner = self.shared.lock();
        inner.network.entity(id, reachable(&inner))
    }

    fn generation(&self) -> u64 {
        self.shared.lock().network.generation()
    }

    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        let pending = {
            let inner = self.shared.lock();
            let net = &inner.network;
            let (i, device, spec) = (net.spec(&call.entity_id))
                .ok_or_else(|| DeviceError::UnknownEntity(call.entity_id.clone()))?;
            let seen = net.seen(i);
            let (payload, wants) = command::plan(call, spec, &seen.values)?;
            if let Some(why) = unreachable_why(&inner) {
                return Err(unavailable(&why));
            }
            if seen.available == Some(false) {
                let reason = format!("{} is offline (Zigbee2MQTT says so)", device.name);
                return Ok(Outcome::Refused { reason });
            }
            let client = inner
                .client
                .clone()
                .ok_or_else(|| unavailable("still starting"))?;
            Pending {
                ieee: device.ieee.clone(),
                name: device.name.clone(),
                payload,
                wants,
                before: seen.updates,
                client,
            }
        };
        self.act(call, pending)
    }
}

/// A command on its way: the device, the `/set` payload, what must come back, and how many
/// updates the device had before it.
struct Pending {
    ieee: String,
    name: String,
    payload: Map<String, Value>,
    wants: Vec<Want>,
    before: u64,
    client: rumqttc::AsyncClient,
}

/// The device with IEEE address `ieee` now (a rename keeps it).
fn device_index(inner: &Inner, ieee: &str) -> Option<usize> {
    inner.network.devices().iter().position(|d| d.ieee == ieee)
}

/// Whether devices can be reached: the broker is connected and Zigbee2MQTT is online.
fn reachable(inner: &Inner) -> bool {
    unreachable_why(inner).is_none()
}

fn unreachable_why(inner: &Inner) -> Option<String> {
    if !inner.connected {
        let why = inner.error.clone().unwrap_or_else(|| "connecting".into());
        return Some(format!("not connected to Zigbee2MQTT's broker: {why}"));
    }
    (!inner.network.bridge_online).then(|| "Zigbee2MQTT is offline (bridge/state)".to_owned())
}

fn unavailable(detail: &str) -> DeviceError {
    DeviceError::Unavailable {
        backend: "Zigbee2MQTT".into(),
        detail: detail.to_owned(),
    }
}

//! A fake Zigbee2MQTT on a real broker: it publishes the retained `bridge/state` and
//! `bridge/devices` on every connect, answers `<name>/set` with the device's new state and
//! `bridge/request/permit_join` with a response, in the formats of Zigbee2MQTT's "MQTT Topics
//! and Messages" page (<https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html>):
//! state `{"state":"ON","brightness":215}`, response `{"data":{"time":254},"status":"ok"}`
//! (with the request's `transaction` when it had one), `{"data":{},"status":"error","error":…}`.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::mosquitto::{Mosquitto, WAIT};

/// The device list the fake starts with (shapes from Zigbee2MQTT's docs).
pub const DEVICES: &str = include_str!("../z2m/devices.json");
const BASE: &str = "zigbee2mqtt";

/// The fake and what it was asked.
pub struct FakeZ2m {
    client: AsyncClient,
    /// `(friendly_name, payload)` of every `/set`.
    pub sets: mpsc::UnboundedReceiver<(String, Value)>,
    /// Every permit join request.
    pub permits: mpsc::UnboundedReceiver<Value>,
    /// Take `/set` without answering (a device that does not report back).
    pub silent: Arc<AtomicBool>,
    /// Answer permit join with an error.
    pub refuse_permit: Arc<AtomicBool>,
    devices: Arc<Mutex<String>>,
    task: JoinHandle<()>,
}

impl FakeZ2m {
    /// Connects, announces itself and its devices, and waits until it listens for commands.
    pub async fn start(broker: &Mosquitto) -> FakeZ2m {
        let mut opts = MqttOptions::new("fake-zigbee2mqtt", "127.0.0.1", broker.port());
        // Big enough for the oversized state the bad-payload test sends.
        opts.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut events) = AsyncClient::new(opts, 256);
        let (set_tx, sets) = mpsc::unbounded_channel();
        let (permit_tx, permits) = mpsc::unbounded_channel();
        let (ready_tx, mut ready) = mpsc::unbounded_channel();
        let silent = Arc::new(AtomicBool::new(false));
        let refuse_permit = Arc::new(AtomicBool::new(false));
        let devices = Arc::new(Mutex::new(DEVICES.to_owned()));
        let (c, s, r, d) = (
            client.clone(),
            silent.clone(),
            refuse_permit.clone(),
            devices.clone(),
        );
        let task = tokio::spawn(async move {
            let mut states: HashMap<String, Map<String, Value>> = HashMap::new();
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                        let topics = [
                            format!("{BASE}/+/set"),
                            format!("{BASE}/+/+/set"),
                            format!("{BASE}/bridge/request/#"),
                        ];
                        for t in topics {
                            c.subscribe(t, QoS::AtLeastOnce).await.unwrap();
                        }
                        let state = json!({"state": "online"}).to_string();
                        c.publish(
                            format!("{BASE}/bridge/state"),
                            QoS::AtLeastOnce,
                            true,
                            state,
                        )
                        .await
                        .unwrap();
                        let list = d.lock().unwrap().clone();
                        c.publish(
                            format!("{BASE}/bridge/devices"),
                            QoS::AtLeastOnce,
                            true,
                            list,
                        )
                        .await
                        .unwrap();
                    }
                    Ok(Event::Incoming(Incoming::SubAck(_))) => {
                        let _ = ready_tx.send(());
                    }
                    Ok(Event::Incoming(Incoming::Publish(p))) => {
                        let body: Value = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                        let rest = p
                            .topic
                            .strip_prefix(&format!("{BASE}/"))
                            .unwrap_or("")
                            .to_owned();
                        if rest == "bridge/request/permit_join" {
                            let _ = permit_tx.send(body.clone());
                            let mut answer = if r.load(Ordering::SeqCst) {
                                json!({"data": {}, "status": "error", "error": "Adapter is busy"})
                            } else {
                                json!({"data": {"time": body["time"]}, "status": "ok"})
                            };
                            if let Some(t) = body.get("transaction") {
                                answer["transaction"] = t.clone();
                            }
                            let topic = format!("{BASE}/bridge/response/permit_join");
                            c.publish(topic, QoS::AtLeastOnce, false, answer.to_string())
                                .await
                                .unwrap();
                        } else if let Some(name) = rest.strip_suffix("/set") {
                            let _ = set_tx.send((name.to_owned(), body.clone()));
                            if s.load(Ordering::SeqCst) {
                                continue;
                            }
                            let state = states.entry(name.to_owned()).or_default();
                            for (k, v) in body.as_object().cloned().unwrap_or_default() {
                                let v = match (v.as_str(), state.get(&k).and_then(Value::as_str)) {
                                    (Some("TOGGLE"), Some("ON")) => json!("OFF"),
                                    (Some("TOGGLE"), _) => json!("ON"),
                                    _ => v,
                                };
                                state.insert(k, v);
                            }
                            let out = Value::Object(state.clone()).to_string();
                            c.publish(format!("{BASE}/{name}"), QoS::AtLeastOnce, false, out)
                                .await
                                .unwrap();
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        for _ in 0..3 {
            tokio::time::timeout(WAIT, ready.recv())
                .await
                .unwrap()
                .unwrap();
        }
        FakeZ2m {
            client,
            sets,
            permits,
            silent,
            refuse_permit,
            devices,
            task,
        }
    }

    /// Publishes `payload` on `<base>/<rest>` as Zigbee2MQTT would.
    pub async fn publish(&self, rest: &str, payload: impl Into<Vec<u8>>, retain: bool) {
        let topic = format!("{BASE}/{rest}");
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.into())
            .await
            .unwrap();
    }

    /// Publishes a new retained device list (a rename or removal), kept for reconnects.
    pub async fn set_devices(&self, list: String) {
        *self.devices.lock().unwrap() = list.clone();
        self.publish("bridge/devices", list, true).await;
    }

    /// The next `/set`, within [`WAIT`].
    pub async fn next_set(&mut self) -> (String, Value) {
        tokio::time::timeout(WAIT, self.sets.recv())
            .await
            .expect("no /set in time")
            .unwrap()
    }
}

impl Drop for FakeZ2m {
    fn drop(&mut self) {
        self.task.abort();
    }
}

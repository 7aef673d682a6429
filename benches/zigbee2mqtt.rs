//! Device state into the hub at 5,000 messages a second, none lost: a separate MQTT client
//! publishes Zigbee2MQTT-shaped state messages (`zigbee2mqtt/<name>` `{"temperature": …}`, at
//! QoS 1) for 100 sensors through a real Mosquitto into the Zigbee2MQTT back end, paced at 5 per
//! millisecond for 10 s; then as fast as the publisher goes. Each run checks that the back end
//! applied exactly as many updates as were published and that every sensor's entity shows the
//! last value sent to it, and reports the achieved rate, publish → registry latency (the back
//! end's observer sees each update as it is applied) and CPU time: the back end's thread, the
//! whole process (publisher included) and Mosquitto.
//! `cargo bench --bench zigbee2mqtt` (needs /usr/sbin/mosquitto: tests/run installs it).

#[path = "../tests/support/mosquitto.rs"]
mod mosquitto;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mirai::devices::Backend;
use mirai::devices::zigbee2mqtt::{Settings, Zigbee2Mqtt};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use serde_json::json;

use mosquitto::Mosquitto;

/// Sensors the messages go to, round robin.
const DEVICES: usize = 100;
/// The paced run: messages per millisecond and seconds.
const PER_MS: usize = 5;
const PACED_SECS: u64 = 10;
/// The unpaced run's messages.
const BURST: usize = 50_000;
/// How long the back end may take to catch up after the last publish.
const DRAIN: Duration = Duration::from_secs(30);

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("zigbee2mqtt benchmark: run it with `cargo bench --bench zigbee2mqtt`");
        return;
    }
    let broker = Mosquitto::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let publisher = runtime.block_on(Publisher::connect(&broker));
    let epoch = Instant::now();
    let latencies = Arc::new(Mutex::new(Vec::<u64>::with_capacity(200_000)));
    let z = Zigbee2Mqtt::start(Settings::new("127.0.0.1", broker.port(), "bench-z2m")).unwrap();
    let seen = latencies.clone();
    z.observe(Box::new(move |_, values| {
        if let Some(t) = values.get("t").and_then(|t| t.as_u64()) {
            let now = epoch.elapsed().as_nanos() as u64;
            seen.lock().unwrap().push(now.saturating_sub(t));
        }
    }));
    assert!(z.wait_listed(Duration::from_secs(10)), "{:?}", z.status());
    println!(
        "| run | published | applied | lost | rate | p50 | p99 | max | back end CPU | process CPU | mosquitto CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut seq = 0;
    for (name, paced) in [("paced 5k/s, 10 s", true), ("unpaced burst", false)] {
        latencies.lock().unwrap().clear();
        let before = (
            z.status().applied,
            cpu::thread("mirai-z2m"),
            cpu::process(),
            cpu::pid(broker.pid()),
        );
        let start = Instant::now();
        let count = if paced {
            PER_MS * PACED_SECS as usize * 1000
        } else {
            BURST
        };
        let last = runtime.block_on(publisher.send(&mut seq, count, paced, epoch));
        let sent_in = start.elapsed();
        let deadline = Instant::now() + DRAIN;
        while z.status().applied - before.0 < count as u64 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let applied = z.status().applied - before.0;
        let took = start.elapsed().as_secs_f64();
        let mismatched = (0..DEVICES)
            .filter(|d| {
                let state = z
                    .entity(&format!("sensor.bench_{d}_temperature"))
                    .map(|e| e.state);
                state.as_deref() != Some(last[*d].to_string().as_str())
            })
            .count();
        let mut lat = latencies.lock().unwrap().clone();
        lat.sort_unstable();
        let p = |q: usize| lat[(lat.len() * q / 100).min(lat.len() - 1)] as f64 / 1e6;
        let secs = |a: f64, b: f64| format!("{:.2} s ({:.0}%)", b - a, (b - a) / took * 100.0);
        println!(
            "| {name} | {count} | {applied} | {} | {:.0}/s | {:.2} ms | {:.2} ms | {:.2} ms | {} | {} | {} |",
            count as u64 - applied.min(count as u64),
            count as f64 / sent_in.as_secs_f64(),
            p(50),
            p(99),
            *lat.last().unwrap() as f64 / 1e6,
            secs(before.1, cpu::thread("mirai-z2m")),
            secs(before.2, cpu::process()),
            secs(before.3, cpu::pid(broker.pid())),
        );
        assert_eq!(applied, count as u64, "updates lost: {:?}", z.status());
        assert_eq!(
            mismatched, 0,
            "sensors whose last value is not the last sent"
        );
        assert_eq!(z.status().rejected, 0);
    }
}

/// The separate client that plays Zigbee2MQTT.
struct Publisher {
    client: AsyncClient,
}

impl Publisher {
    /// Connects, publishes the retained device list (100 Aqara-style temperature sensors) and
    /// `bridge/state` online.
    async fn connect(broker: &Mosquitto) -> Publisher {
        let mut opts = MqttOptions::new("bench-zigbee2mqtt", "127.0.0.1", broker.port());
        // The device list of 100 sensors is over rumqttc's 10 KiB default.
        opts.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut events) = AsyncClient::new(opts, 1024);
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut tx = Some(tx);
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => panic!("publisher lost the broker: {e}"),
                }
            }
        });
        rx.await.unwrap();
        let devices: Vec<_> = (0..DEVICES)
            .map(|d| {
                json!({"ieee_address": format!("0x00158d00{d:08x}"), "type": "EndDevice",
                    "friendly_name": format!("bench {d}"), "supported": true, "interview_completed": true,
                    "definition": {"model": "WSDCGQ11LM", "vendor": "Aqara", "description": "Temperature and humidity sensor",
                        "exposes": [{"type": "numeric", "name": "temperature", "property": "temperature",
                                     "access": 1, "unit": "°C"}]}})
            })
            .collect();
        let list = serde_json::to_vec(&devices).unwrap();
        client
            .publish("zigbee2mqtt/bridge/devices", QoS::AtLeastOnce, true, list)
            .await
            .unwrap();
        let online = br#"{"state":"online"}"#.to_vec();
        client
            .publish("zigbee2mqtt/bridge/state", QoS::AtLeastOnce, true, online)
            .await
            .unwrap();
        Publisher { client }
    }

    /// Publishes `count` state messages, paced at [`PER_MS`] per millisecond or unpaced; the
    /// last value sent to each sensor.
    async fn send(&self, seq: &mut u64, count: usize, paced: bool, epoch: Instant) -> Vec<u64> {
        let mut last = vec![0; DEVICES];
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for i in 0..count {
            if paced && i % PER_MS == 0 {
                tick.tick().await;
            }
            *seq += 1;
            let d = (*seq as usize) % DEVICES;
            last[d] = *seq;
            let t = epoch.elapsed().as_nanos() as u64;
            let payload = format!(r#"{{"temperature":{},"linkquality":120,"t":{t}}}"#, *seq);
            let topic = format!("zigbee2mqtt/bench {d}");
            self.client
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .await
                .unwrap();
        }
        last
    }
}

/// CPU seconds from `/proc`.
mod cpu {
    /// utime + stime of a `/proc/…/stat` line, in seconds.
    fn stat(path: &str) -> f64 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let after = text.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = (fields
            .get(11)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0))
            + (fields
                .get(12)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0));
        ticks / 100.0
    }

    /// This process.
    pub fn process() -> f64 {
        stat("/proc/self/stat")
    }

    /// Another process.
    pub fn pid(pid: u32) -> f64 {
        stat(&format!("/proc/{pid}/stat"))
    }

    /// The thread of this process named `name`.
    pub fn thread(name: &str) -> f64 {
        let tasks = std::fs::read_dir("/proc/self/task").unwrap();
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim() == name {
                return stat(&task.path().join("stat").to_string_lossy());
            }
        }
        0.0
    }
}

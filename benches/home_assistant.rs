//! State changes from Home Assistant, processed end to end: a recorded-format stream of
//! `state_changed` events sent over a real WebSocket on 127.0.0.1 to MIRAI's Home Assistant
//! back end, which parses each one and applies it to its house. The peer plays Home
//! Assistant's side of the WebSocket API (auth, subscriptions, registries, `get_states` for
//! 2,000 entities) in the exact message shapes of Home Assistant 2025.4, then sends the
//! events as fast as the socket takes them.
//!
//! `cargo bench --bench home_assistant`; `MIRAI_BENCH_EVENTS=20000` scales the stream.

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use mirai::config::{HomeAssistant as HaConfig, Secret};
use mirai::devices::Backend as _;
use mirai::devices::home_assistant::{HomeAssistant, Settings};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

/// Entities in the house.
const ENTITIES: usize = 2_000;
/// Areas they are spread over.
const AREAS: usize = 60;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("Home Assistant benchmark: run it with `cargo bench --bench home_assistant`");
        return;
    }
    let events: usize = std::env::var("MIRAI_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (go, start) = oneshot::channel::<()>();
    let (sent_tx, sent) = std::sync::mpsc::channel::<Instant>();
    runtime.spawn(peer(listener, events, start, sent_tx));

    let cfg = HaConfig {
        enabled: true,
        url: format!("http://127.0.0.1:{port}"),
        events: false,
        ..HaConfig::default()
    };
    let settings = Settings::new(&cfg, Secret::new("bench".into()), None).unwrap();
    let started = Instant::now();
    let ha = HomeAssistant::start(settings).unwrap();
    assert!(ha.wait_synced(Duration::from_secs(30)), "{:?}", ha.status());
    let synced = started.elapsed();
    let (exposed, all) = ha.status().entities;

    let last = format!("sensor.s{:04}_temperature", (events - 1) % ENTITIES);
    let want = value(events - 1);
    go.send(()).unwrap();
    let began = Instant::now();
    while ha.entity(&last).map(|e| e.state) != Some(want.clone()) {
        std::thread::sleep(Duration::from_micros(200));
        assert!(began.elapsed() < Duration::from_secs(120), "events stalled");
    }
    let applied = began.elapsed();
    let all_sent = sent.recv().unwrap().duration_since(began);
    // None lost: every entity shows the last value sent to it.
    let lost = (0..ENTITIES.min(events))
        .filter(|i| {
            let last_sent = i + ENTITIES * ((events - 1 - i) / ENTITIES);
            let id = format!("sensor.s{i:04}_temperature");
            ha.entity(&id).map(|e| e.state) != Some(value(last_sent))
        })
        .count();
    let rate = events as f64 / applied.as_secs_f64();
    println!("| measure | result | target |");
    println!("|---|---|---|");
    println!(
        "| connect, auth and full sync of {all} entities ({exposed} exposed) | {:.1} ms | — |",
        synced.as_secs_f64() * 1000.0
    );
    println!(
        "| {events} state_changed events: all sent by the peer | {:.1} ms | — |",
        all_sent.as_secs_f64() * 1000.0
    );
    println!(
        "| … all applied in MIRAI | {:.1} ms: **{:.0} events/s** | ≥ 5,000/s |",
        applied.as_secs_f64() * 1000.0,
        rate
    );
    println!("| events lost | {lost} | 0 |");
    assert_eq!(lost, 0);
}

/// The state the `i`th event sets: unique, so the last one is seen only when it arrived.
fn value(i: usize) -> String {
    format!("{}.{}", 15 + i / 10_000, i % 10_000)
}

fn state(i: usize, v: &str) -> Value {
    json!({
        "entity_id": format!("sensor.s{i:04}_temperature"),
        "state": v,
        "attributes": {"state_class": "measurement", "unit_of_measurement": "°C",
                        "device_class": "temperature",
                        "friendly_name": format!("Room {} Temperature", i % AREAS)},
        "last_changed": "2026-11-29T02:00:00.000000+00:00",
        "last_reported": "2026-11-29T02:00:00.000000+00:00",
        "last_updated": "2026-11-29T02:00:00.000000+00:00",
        "context": {"id": "01JQZ2V8W6G0Q5N3X4Y7Z8A9BC", "parent_id": null, "user_id": null}
    })
}

/// Home Assistant's side: login, sync answers, then the stream.
async fn peer(
    listener: TcpListener,
    events: usize,
    start: oneshot::Receiver<()>,
    sent: std::sync::mpsc::Sender<Instant>,
) {
    let (tcp, _) = listener.accept().await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let send = |v: Value| Message::text(v.to_string());
    ws.send(send(
        json!({"type": "auth_required", "ha_version": "2025.4.4"}),
    ))
    .await
    .unwrap();
    let _auth = ws.next().await.unwrap().unwrap();
    ws.send(send(json!({"type": "auth_ok", "ha_version": "2025.4.4"})))
        .await
        .unwrap();
    let mut subscription = 0;
    let mut pending_sync = 6;
    while pending_sync > 0 {
        let Message::Text(text) = ws.next().await.unwrap().unwrap() else {
            continue;
        };
        let cmd: Value = serde_json::from_str(text.as_str()).unwrap();
        let id = cmd["id"].as_u64().unwrap();
        let result = match cmd["type"].as_str().unwrap() {
            "subscribe_events" => {
                if cmd["event_type"] == "state_changed" {
                    subscription = id;
                }
                Value::Null
            }
            "config/area_registry/list" => (0..AREAS)
                .map(|a| json!({"area_id": format!("room_{a}"), "name": format!("Room {a}"), "aliases": []}))
                .collect(),
            "config/device_registry/list" => json!([]),
            "config/entity_registry/list" => (0..ENTITIES)
                .map(|i| json!({"entity_id": format!("sensor.s{i:04}_temperature"),
                                "area_id": format!("room_{}", i % AREAS)}))
                .collect(),
            "config/entity_registry/get_entries" => json!({}),
            "get_services" => json!({"light": {"turn_on": {}, "turn_off": {}}}),
            "get_states" => (0..ENTITIES).map(|i| state(i, "20.0")).collect(),
            other => panic!("unexpected command {other}"),
        };
        if cmd["type"] != "subscribe_events" {
            pending_sync -= 1;
        }
        ws.send(send(
            json!({"id": id, "type": "result", "success": true, "result": result}),
        ))
        .await
        .unwrap();
    }
    start.await.unwrap();
    for i in 0..events {
        let entity = i % ENTITIES;
        let event = json!({"id": subscription, "type": "event", "event": {
            "event_type": "state_changed",
            "data": {"entity_id": format!("sensor.s{entity:04}_temperature"),
                     "old_state": state(entity, "20.0"), "new_state": state(entity, &value(i))},
            "origin": "LOCAL", "time_fired": "2026-11-29T02:00:00.000000+00:00",
            "context": {"id": "01JQZ2V8W6G0Q5N3X4Y7Z8A9BC", "parent_id": null, "user_id": null}}});
        ws.feed(send(event)).await.unwrap();
    }
    ws.flush().await.unwrap();
    sent.send(Instant::now()).unwrap();
    // Keep the socket open until the bench ends.
    std::future::pending::<()>().await;
}

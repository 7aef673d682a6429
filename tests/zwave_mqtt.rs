//! Z-Wave state on MQTT, end to end: `mirai serve` with the zwave-js mock controller
//! (`tests/zwave/devices.js`: a multisensor, a metering plug, a thermostat) and a real
//! Mosquitto. Each node's entities appear as retained state with Home Assistant discovery, a
//! report from the mock updates the retained state, commands on the command topics switch
//! the plug and set the thermostat through the hub's action gate, the state follows, and a
//! scene press becomes a Home Assistant event. With `exclusion.js`: a node excluded through the
//! daemon's API leaves Home Assistant, and after a restart without the stick the kept node is
//! published as unavailable.

mod support {
    pub mod mosquitto;
    pub mod zwave_mock;
}

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use support::mosquitto::{Mosquitto, Probe};
use support::zwave_mock::ZwaveMock;

/// How long the daemon may take to start the stick and read every node.
const START: Duration = Duration::from_secs(60);
/// How long a command may take to come back as state.
const FOLLOW: Duration = Duration::from_secs(20);

/// `mirai serve` on `broker` and `mock` as hub `zw`, killed on drop.
struct Daemon {
    child: Child,
    dir: Option<tempfile::TempDir>,
}

impl Daemon {
    fn start(broker: &Mosquitto, mock: &ZwaveMock) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let child = spawn(dir.path(), broker, &mock.url(), 0);
        Daemon {
            child,
            dir: Some(dir),
        }
    }
}

/// `mirai serve` in `dir` (config and data) with the stick at `port` and its API on `api`.
fn spawn(dir: &std::path::Path, broker: &Mosquitto, port: &str, api: u16) -> Child {
    std::fs::write(
        dir.join("mirai.yaml"),
        format!(
            "zwave:\n  enabled: true\n  port: {port}\n  report_timeout_s: 3\n  nodes:\n    \
             6: {{name: Desk plug}}\nmqtt:\n  url: {}\n  hub_id: zw\n  hermes: false\n\
             services:\n  dashboard:\n    port: {api}\n",
            broker.url()
        ),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_mirai"))
        .current_dir(dir)
        .args(["--config", "mirai.yaml", "--data-dir"])
        .arg(dir.join("data"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `topic` until its JSON satisfies `want`, within `wait`.
async fn until(
    probe: &mut Probe,
    topic: &str,
    wait: Duration,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let payload = probe
            .next_within(topic, left.max(Duration::from_millis(1)))
            .await;
        if let Ok(json) = serde_json::from_slice::<Value>(&payload) {
            if want(&json) {
                return json;
            }
        }
    }
}

fn state_is(want: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["state"] == want
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_appear_in_home_assistant_and_commands_switch_them() {
    let broker = Mosquitto::start();
    let mock = ZwaveMock::start("devices.js");
    let mut probe = Probe::connect(
        &broker,
        "zw-probe",
        &["mirai/zw/zwave/#", "homeassistant/+/+/config"],
    )
    .await;
    let daemon = Daemon::start(&broker, &mock);

    let plug = "mirai/zw/zwave/6/switch.zwave_6";
    let config = until(
        &mut probe,
        "homeassistant/switch/mirai_zw_switch_zwave_6/config",
        START,
        |_| true,
    )
    .await;
    assert_eq!(config["command_topic"], format!("{plug}/set"));
    assert_eq!(config["state_topic"], plug);
    assert_eq!(config["device"]["identifiers"][0], "mirai_zw_zwave_6");
    assert_eq!(config["device"]["name"], "Desk plug");
    assert_eq!(config["device"]["via_device"], "mirai_zw");
    assert_eq!(config["availability"][1]["topic"], "mirai/zw/zwave/status");
    until(&mut probe, plug, START, state_is("off")).await;

    // A late subscriber finds every reading retained, with its discovery config.
    let mut late = Probe::connect(
        &broker,
        "zw-late",
        &["mirai/zw/zwave/#", "homeassistant/+/+/config"],
    )
    .await;
    let humidity = until(
        &mut late,
        "mirai/zw/zwave/5/sensor.zwave_5_humidity",
        FOLLOW,
        |_| true,
    )
    .await;
    assert_eq!(humidity["state"], "45");
    assert_eq!(humidity["attributes"]["unit_of_measurement"], "%");
    let sensor = "homeassistant/sensor/mirai_zw_sensor_zwave_5_humidity/config";
    let config = until(&mut late, sensor, FOLLOW, |_| true).await;
    assert_eq!(config["device_class"], "humidity");
    let energy = until(
        &mut late,
        "mirai/zw/zwave/6/sensor.zwave_6_energy",
        FOLLOW,
        |_| true,
    )
    .await;
    assert_eq!(energy["state"], "12.34");
    let mut link = Probe::connect(&broker, "zw-link", &["mirai/zw/zwave/status"]).await;
    let online = link.next_within("mirai/zw/zwave/status", FOLLOW).await;
    assert_eq!(online, b"online");

    // A command switches the plug; the read-back and the plug's own power report follow.
    probe.publish(&format!("{plug}/set"), "ON").await;
    until(&mut probe, plug, FOLLOW, state_is("on")).await;
    until(
        &mut probe,
        "mirai/zw/zwave/6/sensor.zwave_6_power",
        FOLLOW,
        state_is("60"),
    )
    .await;

    // The thermostat takes a setpoint and a mode from its command topics, through the action
    // gate: 40 °C is outside the safe setpoints and wants a confirmation, which a control
    // cannot give, so it is not carried out and the result topic says to ask in words.
    let climate = "mirai/zw/zwave/7/climate.zwave_7";
    let result = format!("{climate}/result");
    probe
        .publish(&format!("{climate}/temperature/set"), "40")
        .await;
    let held = until(&mut probe, &result, FOLLOW, |_| true).await;
    assert_eq!(held["outcome"], "pending_confirmation", "{held}");
    assert_eq!(held["service"], "set_temperature");
    let detail = held["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("ask for it in words"), "{held}");
    probe
        .publish(&format!("{climate}/temperature/set"), "22.5")
        .await;
    let done = until(&mut probe, &result, FOLLOW, |_| true).await;
    assert_eq!(done["outcome"], "done", "{done}");
    until(&mut probe, climate, FOLLOW, |v| {
        v["attributes"]["temperature"] == 22.5
    })
    .await;
    let mut results = Probe::connect(&broker, "zw-results", &[&result]).await;
    probe.publish(&format!("{climate}/mode/set"), "cool").await;
    until(&mut probe, climate, FOLLOW, state_is("cool")).await;
    // Each control was audited as one, whatever its outcome, before its result went out.
    until(&mut results, &result, FOLLOW, |v| {
        v["service"] == "set_hvac_mode"
    })
    .await;
    let db = daemon.dir.as_ref().unwrap().path().join("data/mirai.db");
    let audited: Vec<String> = rusqlite::Connection::open(db)
        .unwrap()
        .prepare("SELECT detail FROM audit WHERE source = 'control' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let outcomes: Vec<&str> = (audited.iter())
        .filter(|d| d.starts_with("climate.zwave_7"))
        .filter_map(|d| d.split(" → ").nth(1)?.split(':').next())
        .collect();
    assert_eq!(
        outcomes,
        ["pending_confirmation", "done", "done"],
        "{audited:?}"
    );

    // A press on the wall switch's scene paddle is an event for Home Assistant: its event
    // entity is announced, then the press goes out once, not retained.
    let wall = "mirai/zw/zwave/8/switch.zwave_8";
    let events = "mirai/zw/zwave/8/sensor.zwave_8_scene/event";
    let scene = "homeassistant/event/mirai_zw_sensor_zwave_8_scene_event/config";
    let mut scenes = Probe::connect(&broker, "zw-scenes", &[events, scene]).await;
    probe.publish(&format!("{wall}/set"), "ON").await;
    let config = until(&mut scenes, scene, FOLLOW, |_| true).await;
    assert_eq!(config["state_topic"], events);
    let types = config["event_types"].as_array().unwrap();
    assert!(types.contains(&"held".into()), "{types:?}");
    let press = until(&mut scenes, events, FOLLOW, |_| true).await;
    let got = (press["event_type"].as_str(), press["scene"].as_u64());
    assert_eq!(got, (Some("pressed"), Some(1)), "{press}");
    let switched = until(&mut probe, &format!("{wall}/result"), FOLLOW, |_| true).await;
    assert_eq!(switched["outcome"], "done", "{switched}");
}

/// A free port on 127.0.0.1 for the daemon's API.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The next message on `topic` that is empty (a retained message removed), within `wait`.
async fn removed(probe: &mut Probe, topic: &str, wait: Duration) {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let payload = probe
            .next_within(topic, left.max(Duration::from_millis(1)))
            .await;
        if payload.is_empty() {
            return;
        }
    }
}

/// `POST /api/zwave/exclude` on the daemon in `dir` at `api`: the steps it streamed.
fn exclude(dir: &std::path::Path, api: u16) -> String {
    let token_file = dir.join("data").join("http_token");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(START))
        .build()
        .into();
    let url = format!("http://127.0.0.1:{api}/api/zwave/exclude");
    let deadline = std::time::Instant::now() + START;
    loop {
        // The API may still be binding when the MQTT side is already up: retry a refused dial.
        let token = std::fs::read_to_string(&token_file).unwrap_or_default();
        let sent = agent
            .post(&url)
            .header("Authorization", format!("Bearer {}", token.trim()))
            .send(r#"{"timeout_s": 30}"#);
        match sent {
            Ok(mut r) if r.status() == 200 => return r.body_mut().read_to_string().unwrap(),
            other => assert!(
                std::time::Instant::now() < deadline,
                "the daemon's API did not take the exclusion: {other:?}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excluded_node_leaves_home_assistant_and_kept_nodes_come_back_unavailable() {
    let broker = Mosquitto::start();
    let mock = ZwaveMock::start("exclusion.js");
    let mut probe = Probe::connect(
        &broker,
        "zw-leave",
        &["mirai/zw/zwave/#", "homeassistant/+/+/config"],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let api = free_port();
    let first = Daemon {
        child: spawn(dir.path(), &broker, &mock.url(), api),
        dir: None,
    };
    let leaving = "homeassistant/switch/mirai_zw_switch_zwave_3/config";
    let staying = "mirai/zw/zwave/2/switch.zwave_2";
    until(&mut probe, leaving, START, |_| true).await;
    until(&mut probe, staying, START, state_is("off")).await;

    // Node 3 leaves through the daemon's API: its config and state are removed.
    let path = dir.path().to_owned();
    let steps = tokio::task::spawn_blocking(move || exclude(&path, api))
        .await
        .unwrap();
    assert!(steps.contains(r#""step":"done""#), "{steps}");
    removed(&mut probe, leaving, FOLLOW).await;
    drop(first);
    drop(mock);

    // A restart without the stick: node 2, kept in the memory, is published at once as
    // unavailable, and the stick's link as offline.
    let _second = Daemon {
        child: spawn(dir.path(), &broker, "tcp://127.0.0.1:9", free_port()),
        dir: None,
    };
    until(&mut probe, staying, START, state_is("unavailable")).await;
    let status = "mirai/zw/zwave/status";
    let mut retained = Probe::connect(&broker, "zw-status", &[status]).await;
    // The first daemon's retained "online" may come first if the second has not sent yet.
    let deadline = tokio::time::Instant::now() + FOLLOW;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let word = retained
            .next_within(status, left.max(Duration::from_millis(1)))
            .await;
        if word == b"offline" {
            break;
        }
    }
}

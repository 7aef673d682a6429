//! Z-Wave state on MQTT, end to end: `mirai serve` with the zwave-js mock controller
//! (`tests/zwave/devices.js`: a multisensor, a metering plug, a thermostat) and a real
//! Mosquitto. Each node's entities appear as retained state with Home Assistant discovery, a
//! report from the mock updates the retained state, commands on the command topics switch
//! the plug and set the thermostat through the hub's action gate, the state follows, and a
//! scene press becomes a Home Assistant event.

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
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn start(broker: &Mosquitto, mock: &ZwaveMock) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("mirai.yaml");
        std::fs::write(
            &config,
            format!(
                "zwave:\n  enabled: true\n  port: {}\n  report_timeout_s: 3\n  nodes:\n    \
                 6: {{name: Desk plug}}\nmqtt:\n  url: {}\n  hub_id: zw\n  hermes: false\n\
                 services:\n  dashboard:\n    port: 0\n",
                mock.url(),
                broker.url()
            ),
        )
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_mirai"))
            .current_dir(dir.path())
            .args(["--config", "mirai.yaml", "--data-dir"])
            .arg(dir.path().join("data"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Daemon { child, _dir: dir }
    }
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
    let _daemon = Daemon::start(&broker, &mock);

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
    // cannot give, so it is denied and says so on the result topic.
    let climate = "mirai/zw/zwave/7/climate.zwave_7";
    let result = format!("{climate}/result");
    probe
        .publish(&format!("{climate}/temperature/set"), "40")
        .await;
    let denied = until(&mut probe, &result, FOLLOW, |_| true).await;
    assert_eq!(denied["outcome"], "denied", "{denied}");
    assert_eq!(denied["service"], "set_temperature");
    probe
        .publish(&format!("{climate}/temperature/set"), "22.5")
        .await;
    let done = until(&mut probe, &result, FOLLOW, |_| true).await;
    assert_eq!(done["outcome"], "done", "{done}");
    until(&mut probe, climate, FOLLOW, |v| {
        v["attributes"]["temperature"] == 22.5
    })
    .await;
    probe.publish(&format!("{climate}/mode/set"), "cool").await;
    until(&mut probe, climate, FOLLOW, state_is("cool")).await;

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

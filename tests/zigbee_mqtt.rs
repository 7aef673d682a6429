//! Zigbee end to end: `mirai serve` with a Z-Stack chip of our own on a pseudo-terminal
//! (`support/znp_peer.rs`) and a real Mosquitto. A bulb named "Kitchen light" in
//! `zigbee.devices` joins, is set up, and appears as retained state with Home Assistant
//! discovery; its report updates the retained state; a command on its command topic and the
//! words "turn off the kitchen light" (local intents, through the action gate) reach the bulb as
//! On/Off commands; the status page lists the Zigbee line.

mod support {
    pub mod mosquitto;
    pub mod znp_peer;
}

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use support::mosquitto::{Mosquitto, Probe};
use support::znp_peer::zcl::report;
use support::znp_peer::{Device, ZnpPeer};

/// How long the daemon may take to start the stick and set up the bulb.
const START: Duration = Duration::from_secs(60);
/// How long a command may take to come back as state.
const FOLLOW: Duration = Duration::from_secs(20);
const BULB: (u16, u64) = (0x1A2B, 0x0017_8801_0203_0405);
const STATE: &str = "mirai/zb/zigbee/0017880102030405/light.zigbee_02030405";

/// `mirai serve` with the stick at the peer, killed on drop.
struct Daemon {
    child: Child,
    api: u16,
    dir: tempfile::TempDir,
}

impl Daemon {
    fn start(broker: &Mosquitto, peer: &ZnpPeer) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let api = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            dir.path().join("mirai.yaml"),
            format!(
                "zigbee:\n  enabled: true\n  port: {}\n  reset: none\n  devices:\n    \
                 \"0x0017880102030405\": {{name: Kitchen light, area: kitchen}}\n\
                 mqtt:\n  url: {}\n  hub_id: zb\n  hermes: false\n\
                 services:\n  dashboard:\n    port: {api}\n",
                peer.path(),
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
        Daemon { child, api, dir }
    }

    /// `POST /api/ask` with the daemon's token; the answer's JSON.
    fn ask(&self, text: &str) -> Value {
        let token = std::fs::read_to_string(self.dir.path().join("data/http_token")).unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(FOLLOW))
            .build()
            .into();
        let mut answer = agent
            .post(format!("http://127.0.0.1:{}/api/ask", self.api))
            .header("Authorization", format!("Bearer {}", token.trim()))
            .header("Content-Type", "application/json")
            .send(serde_json::json!({ "text": text }).to_string())
            .unwrap();
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap()
    }

    /// `GET /api/status` with the daemon's token.
    fn status(&self) -> Value {
        let token = std::fs::read_to_string(self.dir.path().join("data/http_token")).unwrap();
        let mut answer = ureq::get(format!("http://127.0.0.1:{}/api/status", self.api))
            .header("Authorization", format!("Bearer {}", token.trim()))
            .call()
            .unwrap();
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap()
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

/// Whether the host has sent the bulb an On/Off command `cmd`, counted.
fn on_off_commands(peer: &ZnpPeer, cmd: u8) -> usize {
    let sent = peer.zcl_to(BULB.0);
    (sent.iter())
        .filter(|(_, cluster, z)| *cluster == 0x0006 && z[0] & 0x03 == 1 && z[2] == cmd)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulb_appears_on_mqtt_and_words_and_commands_switch_it() {
    let broker = Mosquitto::start();
    let peer = ZnpPeer::start();
    let mut probe = Probe::connect(
        &broker,
        "zb-probe",
        &["mirai/zb/zigbee/#", "homeassistant/+/+/config"],
    )
    .await;
    let daemon = Daemon::start(&broker, &peer);
    probe.status_is("mirai/zb/zigbee/status", "online").await;
    peer.join(Device::bulb(BULB.0, BULB.1));

    let config = until(
        &mut probe,
        "homeassistant/light/mirai_zb_light_zigbee_02030405/config",
        START,
        |v| v["device"]["model"] == "LCT015",
    )
    .await;
    assert_eq!(config["command_topic"], format!("{STATE}/set"));
    assert_eq!(config["state_topic"], STATE);
    assert_eq!(
        config["device"]["identifiers"][0],
        "mirai_zb_zigbee_0017880102030405"
    );
    assert_eq!(config["device"]["name"], "Kitchen light");
    // On, at full level: both read at set-up.
    until(&mut probe, STATE, START, |v| {
        v["state"] == "on" && v["attributes"]["brightness"] == 255
    })
    .await;

    // The bulb's own report.
    peer.send_af_incoming(BULB.0, 11, 0x0006, &report(0x40, 0x0000, 0x10, &[0]));
    until(&mut probe, STATE, FOLLOW, |v| v["state"] == "off").await;
    // A command on the command topic switches it, through the action gate.
    probe.publish(&format!("{STATE}/set"), "ON").await;
    until(&mut probe, STATE, FOLLOW, |v| v["state"] == "on").await;
    assert_eq!(on_off_commands(&peer, 0x01), 1);
    // Words: the local intents find "the kitchen light" by its configured name.
    let answer = tokio::task::spawn_blocking(move || {
        let text = daemon.ask("turn off the kitchen light");
        (daemon, text)
    })
    .await
    .unwrap();
    let (daemon, said) = answer;
    assert_eq!(on_off_commands(&peer, 0x00), 1, "{said}");
    until(&mut probe, STATE, FOLLOW, |v| v["state"] == "off").await;
    assert_eq!(peer.attribute(BULB.1, 11, 0x0006, 0x0000), Some(vec![0]));

    let status = tokio::task::spawn_blocking(move || daemon.status())
        .await
        .unwrap();
    let line = status.to_string();
    assert!(
        line.contains("zigbee") && line.contains("1 devices"),
        "{line}"
    );
}

//! `mirai serve` with Zigbee2MQTT enabled: a local intent asked over MQTT ends as a `/set` to
//! the fake Zigbee2MQTT and the reply tells the state that came back; the status page lists the
//! service; `mirai zigbee2mqtt devices` and `permit-join` go through the daemon's API.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::support::fake_z2m::FakeZ2m;
use super::support::mosquitto::{Mosquitto, Probe, WAIT};

/// How long the daemon may take to start and load the device list.
const START: Duration = Duration::from_secs(30);

/// `mirai serve` in a temporary folder, killed on drop.
struct Daemon {
    child: Child,
    dir: tempfile::TempDir,
    api: u16,
}

impl Daemon {
    fn start(broker: &Mosquitto) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let api = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            dir.path().join("mirai.yaml"),
            format!(
                "zigbee2mqtt:\n  enabled: true\n  reply_timeout_s: 5\nmqtt:\n  url: {}\n  hub_id: zb\n  \
                 hermes: false\n  discovery_prefix: null\nservices:\n  dashboard:\n    port: {api}\n",
                broker.url()
            ),
        )
        .unwrap();
        let child = mirai(dir.path(), &["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Daemon { child, dir, api }
    }

    /// Runs `mirai ARGS` beside the daemon, with the same config and data folder.
    fn cli(&self, args: &[&str]) -> Output {
        mirai(self.dir.path(), args).output().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mirai(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirai"));
    cmd.current_dir(dir)
        .args(["--config", "mirai.yaml", "--data-dir"])
        .arg(dir.join("data"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .stdin(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_command_becomes_a_set_and_the_cli_goes_through_the_daemon() {
    let broker = Mosquitto::start();
    let mut fake = FakeZ2m::start(&broker).await;
    fake.publish(
        "kitchen/ceiling",
        r#"{"state":"ON","brightness":254}"#,
        false,
    )
    .await;
    let mut probe =
        Probe::connect(&broker, "zb-probe", &["mirai/zb/reply", "mirai/zb/status"]).await;
    let daemon = Daemon::start(&broker);
    // The CLI reaches the daemon's API once it is up and the list has come.
    let deadline = Instant::now() + START;
    let listed = loop {
        let out = tokio::task::block_in_place(|| daemon.cli(&["--json", "zigbee2mqtt", "devices"]));
        let parsed: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if parsed["devices"].as_array().is_some_and(|d| d.len() == 8) {
            break parsed;
        }
        assert!(
            Instant::now() < deadline,
            "no device list through the daemon: {out:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let bulb = (listed["devices"].as_array().unwrap().iter())
        .find(|d| d["friendly_name"] == "kitchen/ceiling")
        .unwrap();
    assert_eq!(bulb["model"], "LED1545G12");
    assert_eq!(bulb["entities"][0], "light.kitchen_ceiling");

    // The hub listens for questions once it says online.
    probe.status_is("mirai/zb/status", "online").await;
    let status: String = tokio::task::block_in_place(|| {
        let url = format!("http://127.0.0.1:{}/api/status", daemon.api);
        ureq::get(url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    });
    let status: Value = serde_json::from_str(&status).unwrap();
    let line = (status["services"].as_array().unwrap().iter())
        .find(|s| s["name"] == "zigbee2mqtt")
        .map(|s| s["state"].as_str().unwrap().to_owned());
    assert!(
        line.as_deref()
            .is_some_and(|l| l.starts_with("online, 8 devices")),
        "{status}"
    );
    probe
        .publish(
            "mirai/zb/ask",
            r#"{"id":"q1","text":"turn off the kitchen light"}"#,
        )
        .await;
    let reply = probe.json_on("mirai/zb/reply").await;
    assert_eq!(
        fake.next_set().await,
        (
            "kitchen/ceiling".into(),
            serde_json::json!({"state": "OFF"})
        ),
        "{reply}"
    );
    assert_eq!(reply["id"], "q1");
    let action = &reply["actions"][0];
    assert_eq!(action["entity"], "light.kitchen_ceiling", "{reply}");
    assert_eq!(action["outcome"], "done", "{reply}");

    let joined = tokio::task::block_in_place(|| daemon.cli(&["zigbee2mqtt", "permit-join", "60"]));
    let asked = tokio::time::timeout(WAIT, fake.permits.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(asked["time"], 60);
    assert!(joined.status.success(), "{joined:?}");
    assert!(
        String::from_utf8_lossy(&joined.stdout).contains("60 s"),
        "{joined:?}"
    );
    let bad = tokio::task::block_in_place(|| daemon.cli(&["zigbee2mqtt", "permit-join", "900"]));
    assert!(!bad.status.success());
}

//! `mirai zigbee …` against a Z-Stack chip of our own on a pseudo-terminal
//! (`support/znp_peer.rs`): with no daemon the command opens the stick itself (permit join
//! streams its countdown and the bulb that joins; the bulb is kept, listed, set and read);
//! with `mirai serve` running every command goes through its `/api/zigbee/…` routes and the
//! stick is never opened a second time.

mod support {
    pub mod znp_peer;
}

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use support::znp_peer::{Device, ZnpPeer};

const BULB: (u16, u64) = (0x1A2B, 0x0017_8801_0203_0405);
/// How long a daemon may take to become ready.
const DEADLINE: Duration = Duration::from_secs(60);

/// A folder with a config pointing `zigbee.port` at the peer, the bulb named "Kitchen light".
struct Hub {
    dir: tempfile::TempDir,
}

impl Hub {
    fn new(peer: &ZnpPeer, api: u16) -> Hub {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mirai.yaml"),
            format!(
                "zigbee:\n  enabled: true\n  port: {}\n  reset: none\n  devices:\n    \
                 \"0017880102030405\": {{name: Kitchen light, area: kitchen}}\n\
                 services:\n  dashboard:\n    port: {api}\n",
                peer.path()
            ),
        )
        .unwrap();
        Hub { dir }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mirai"));
        c.current_dir(self.dir.path())
            .args(["--config", "mirai.yaml", "--data-dir"])
            .arg(self.dir.path().join("data"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .env("MIRAI_MQTT__URL", "mqtt://127.0.0.1:9")
            .stdin(Stdio::null());
        c
    }

    /// `mirai ARGS --json`, which must succeed; its JSON.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "mirai {args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.push("--json");
        self.cmd(&all).output().unwrap()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `mirai zigbee permit-join SECONDS --json` while the bulb joins; its lines.
fn permit_join(hub: &Hub, peer: &ZnpPeer, seconds: &str) -> Vec<Value> {
    let mut child = hub
        .cmd(&["zigbee", "permit-join", seconds, "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The network opens (ZDO_MGMT_PERMIT_JOIN_REQ), then the bulb joins.
    peer.wait_for("permit join", |f| f.subsystem == 0x05 && f.id == 0x36);
    peer.join(Device::bulb(BULB.0, BULB.1));
    let lines: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert!(child.wait().unwrap().success(), "{lines:?}");
    lines
}

fn events(lines: &[Value]) -> Vec<&str> {
    lines.iter().filter_map(|l| l["event"].as_str()).collect()
}

#[test]
fn without_a_daemon_the_command_opens_the_stick_itself() {
    let peer = ZnpPeer::start();
    let hub = Hub::new(&peer, free_port());
    let info = hub.json(&["zigbee", "info"]);
    assert_eq!(
        (info["connected"].clone(), info["channel"].clone()),
        (true.into(), 15.into())
    );
    let lines = permit_join(&hub, &peer, "8");
    let seen = events(&lines);
    assert_eq!(seen.first(), Some(&"open"), "{lines:?}");
    assert!(
        seen.contains(&"joined") && seen.contains(&"ready"),
        "{lines:?}"
    );
    assert_eq!(lines.last().unwrap()["joined"], 1, "{lines:?}");
    assert_eq!(peer.chip().permit_join, Some(8));
    let ready = lines.iter().find(|l| l["event"] == "ready").unwrap();
    assert_eq!(ready["device"]["name"], "Kitchen light");

    // Kept in the memory: listed by a new process, set and read by name.
    let devices = hub.json(&["zigbee", "devices"]);
    assert_eq!(devices[0]["ieee"], "0017880102030405", "{devices}");
    assert_eq!(devices[0]["model"], "LCT015");
    let set = hub.json(&["zigbee", "set", "Kitchen light", "state=off"]);
    assert_eq!(set["action"]["outcome"], "done", "{set}");
    assert_eq!(peer.attribute(BULB.1, 11, 0x0006, 0x0000), Some(vec![0]));
    let got = hub.json(&["zigbee", "get", "02030405"]);
    assert_eq!(got["entities"][0]["state"], "off", "{got}");

    // Bad words and unknown devices say what is wrong.
    let bad = hub.run(&["zigbee", "set", "Kitchen light", "state=dim"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("state must be on, off or toggle"),
        "{}",
        stderr(&bad)
    );
    let unknown = hub.run(&["zigbee", "get", "porch"]);
    assert!(
        stderr(&unknown).contains("no Zigbee device \"porch\""),
        "{}",
        stderr(&unknown)
    );

    let file = hub.dir.path().join("zigbee-backup.json");
    let saved = hub.json(&["zigbee", "backup", file.to_str().unwrap()]);
    assert_eq!(saved["channel"], 15);
    let backup: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(backup["network_key"].as_str().map(str::len), Some(32));
}

/// `mirai serve` in `hub`, killed on drop.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn with_a_daemon_every_command_goes_through_its_api() {
    let peer = ZnpPeer::start();
    let api = free_port();
    let hub = Hub::new(&peer, api);
    let _daemon = Daemon(
        hub.cmd(&["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    loop {
        let ready = ureq::get(format!("http://127.0.0.1:{api}/readyz")).call();
        if ready.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the daemon did not become ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The daemon is ready before its stick is: ask until it says connected.
    while hub.json(&["zigbee", "info"])["connected"] != true {
        assert!(
            started.elapsed() < DEADLINE,
            "the daemon's stick never started"
        );
        peer.wait_next_frame(Duration::from_millis(200));
    }
    let pings = peer.requests(0x01, 0x01).len();
    let lines = permit_join(&hub, &peer, "6");
    assert!(events(&lines).contains(&"ready"), "{lines:?}");
    let set = hub.json(&["zigbee", "set", "0x0017880102030405", "state=off"]);
    assert_eq!(set["action"]["outcome"], "done", "{set}");
    assert_eq!(peer.attribute(BULB.1, 11, 0x0006, 0x0000), Some(vec![0]));
    let devices = hub.json(&["zigbee", "devices"]);
    assert_eq!(devices[0]["entities"][0]["state"], "off", "{devices}");
    // No command opened the stick again: start-up pings it, and none came.
    assert_eq!(peer.requests(0x01, 0x01).len(), pings);
    let refused = hub.run(&["zigbee", "set", "Kitchen light", "brightness=300"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("brightness"),
        "{}",
        stderr(&refused)
    );
}

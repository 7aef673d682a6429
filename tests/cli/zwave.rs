//! `mirai zwave …` and a Z-Wave node through `mirai ask --local`, against the zwave-js mock
//! controller (`tests/zwave/house.js`: node 2 a binary switch, 3 a dimmer, 4 a thermometer;
//! `exclusion.js`: node 3 leaves when asked), in this process and through a running
//! `mirai serve` and its `/api/zwave/…` routes.

use std::io::BufRead as _;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::Hub;
use crate::zwave_mock::ZwaveMock;

/// How long a daemon may take to become ready.
const DEADLINE: Duration = Duration::from_secs(60);

/// A hub whose config points `zwave.port` at `mock`, node 2 named "Hall lamp" (a light).
fn hub_on(port: &str) -> Hub {
    let hub = Hub::scratch();
    hub.write_config(&format!(
        "zwave:\n  enabled: true\n  port: {port}\n  report_timeout_s: 3\n  nodes:\n    \
         2: {{name: Hall lamp, area: hall, kind: light}}\n"
    ));
    hub
}

fn run(hub: &Hub, args: &[&str]) -> crate::Run {
    let mut all = vec!["--config", "mirai.yaml"];
    all.extend_from_slice(args);
    hub.run(&all)
}

#[test]
fn nodes_set_and_get_against_the_mock() {
    let mock = ZwaveMock::start("house.js");
    let hub = hub_on(&mock.url());
    let nodes = run(&hub, &["zwave", "nodes", "--json"]).expect(0).json();
    let ids: Vec<u64> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [2, 3, 4]);
    assert_eq!(nodes[0]["name"], "Hall lamp");
    assert_eq!(nodes[0]["entities"][0], "light.zwave_2");
    assert_eq!(nodes[2]["entities"][0], "sensor.zwave_4_temperature");

    let set = run(&hub, &["zwave", "set", "2", "on", "--json"])
        .expect(0)
        .json();
    assert_eq!(set["entities"][0]["state"], "on");
    let got = run(&hub, &["zwave", "get", "2"]).expect(0).stdout();
    assert!(
        got.contains("light.zwave_2") && got.contains(" on"),
        "{got}"
    );
    let dim = run(&hub, &["zwave", "set", "3", "40", "--json"])
        .expect(0)
        .json();
    assert_eq!(dim["entities"][0]["attributes"]["level"], 40);
    let temp = run(&hub, &["zwave", "get", "4", "--json"]).expect(0).json();
    assert_eq!(temp["entities"][0]["state"], "21.5");
    let info = run(&hub, &["zwave", "info", "--json"]).expect(0).json();
    assert_eq!(info["home_id"], "C0FFEE07");

    let err = run(&hub, &["zwave", "set", "9", "on"]).expect(1).stderr();
    assert!(
        err.contains("node 9 is not in the network (nodes: 2, 3, 4)"),
        "{err}"
    );
    let err = run(&hub, &["zwave", "set", "2", "bright"])
        .expect(2)
        .stderr();
    assert!(err.contains("on, off or a level 0–99"), "{err}");
}

#[test]
fn ask_local_turns_on_a_named_node_through_the_intents() {
    let mock = ZwaveMock::start("house.js");
    let hub = hub_on(&mock.url());
    let v = run(&hub, &["ask", "--local", "--json", "turn on the hall lamp"])
        .expect(0)
        .json();
    assert_eq!(v["actions"][0]["entity"], "light.zwave_2", "{v}");
    assert_eq!(v["actions"][0]["outcome"], "done", "{v}");
    let got = run(&hub, &["zwave", "get", "2", "--json"]).expect(0).json();
    assert_eq!(got["entities"][0]["state"], "on");
}

#[test]
fn inclusion_prints_its_steps_as_json_lines() {
    let mock = ZwaveMock::start("inclusion.js");
    let hub = hub_on(&mock.url());
    let out = run(&hub, &["zwave", "include", "--timeout", "30", "--json"])
        .expect(0)
        .stdout();
    let steps: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(steps[0]["step"], "ready");
    assert_eq!(steps.last().unwrap()["step"], "done");
    assert_eq!(steps.last().unwrap()["node"], 5);
}

#[test]
fn no_port_or_an_unreachable_one_is_a_clear_error() {
    let hub = Hub::scratch();
    let err = hub.run(&["zwave", "nodes"]).expect(1).stderr();
    assert!(err.contains("no zwave.port configured"), "{err}");
    let hub = hub_on("tcp://127.0.0.1:9");
    let err = run(&hub, &["zwave", "nodes"]).expect(1).stderr();
    assert!(
        err.contains("cannot reach the Z-Wave stick at tcp://127.0.0.1:9"),
        "{err}"
    );
    hub.write_config("zwave:\n  port: tcp://stick\n");
    let err = run(&hub, &["zwave", "nodes"]).expect(2).stderr();
    assert!(err.contains("mirai.yaml:2:3: zwave.port"), "{err}");
}

#[test]
fn exclusion_prints_its_steps_and_the_node_leaves() {
    let mock = ZwaveMock::start("exclusion.js");
    let hub = hub_on(&mock.url());
    let out = run(&hub, &["zwave", "exclude", "--timeout", "30", "--json"])
        .expect(0)
        .stdout();
    let steps: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(names, ["ready", "node_found", "removing", "done"], "{out}");
    assert_eq!(steps[0]["seconds"], 30);
    assert_eq!(steps[3]["node"], 3);
    let nodes = run(&hub, &["zwave", "nodes", "--json"]).expect(0).json();
    assert_eq!(nodes.as_array().unwrap().len(), 1, "{nodes}");
    assert_eq!(nodes[0]["id"], 2);

    // Nobody else leaves: piped without --json, plain lines, then the timeout as the error.
    let quiet = run(&hub, &["zwave", "exclude", "--timeout", "2"]).expect(1);
    let lines = quiet.stdout();
    assert!(lines.contains("press its exclusion button"), "{lines}");
    assert!(lines.contains("no node came within 2 s"), "{lines}");
    assert!(
        !lines.contains('\r'),
        "no status line when piped: {lines:?}"
    );
    assert!(quiet.stderr().contains("no node left within 2 s"));
}

/// `mirai serve` on `hub` with its API on a free port, stopped on drop.
struct Daemon {
    child: Child,
    base: String,
    token: String,
}

impl Daemon {
    /// Starts the daemon and waits for `/readyz`; the hub's config gets the API's port, so
    /// that `mirai zwave …` in the same hub finds it.
    fn start(hub: &Hub, port_line: &str) -> Daemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        hub.write_config(&format!(
            "{port_line}services:\n  dashboard:\n    port: {port}\n"
        ));
        let child = hub
            .cmd(&["--config", "mirai.yaml", "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while !ready(&base) {
            assert!(
                started.elapsed() < DEADLINE,
                "the daemon did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let token = std::fs::read_to_string(hub.data().join("http_token")).unwrap();
        Daemon {
            child,
            base,
            token: token.trim().to_owned(),
        }
    }

    fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let mut r = agent()
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut()
                .read_to_string()
                .map(|t| serde_json::from_str(&t).unwrap())
                .unwrap(),
        )
    }

    /// Waits until `/api/zwave` says the stick is connected and `ready` holds for the nodes.
    fn wait_for(
        &self,
        what: &str,
        ready: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let (_, v) = self.get("/api/zwave/nodes");
            if ready(&v) {
                return v;
            }
            assert!(started.elapsed() < DEADLINE, "{what}: {v}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

fn ready(base: &str) -> bool {
    let probe = agent().get(format!("{base}/readyz")).call();
    probe.is_ok_and(|r| r.status() == 200)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(DEADLINE))
        .build()
        .into()
}

#[test]
fn the_cli_goes_through_a_running_daemon_and_its_api() {
    let mock = ZwaveMock::start("exclusion.js");
    let hub = Hub::scratch();
    let zwave = format!(
        "zwave:\n  enabled: true\n  port: {}\n  report_timeout_s: 3\n  nodes:\n    \
         2: {{name: Hall lamp, area: hall, kind: light}}\n",
        mock.url()
    );
    let daemon = Daemon::start(&hub, &zwave);
    daemon.wait_for("the nodes", |v| v.as_array().is_some_and(|a| a.len() == 2));

    // The mock takes one client at a time and the daemon holds it: these answers came
    // through the daemon, or not at all.
    let nodes = run(&hub, &["zwave", "nodes", "--json"]).expect(0).json();
    assert_eq!(nodes[0]["name"], "Hall lamp");
    let set = run(&hub, &["zwave", "set", "2", "on", "--json"])
        .expect(0)
        .json();
    assert_eq!(set["entities"][0]["state"], "on", "{set}");
    let got = run(&hub, &["zwave", "get", "2", "--json"]).expect(0).json();
    assert_eq!(got["entities"][0]["id"], "light.zwave_2");
    assert_eq!(got["entities"][0]["state"], "on");
    let err = run(&hub, &["zwave", "get", "9"]).expect(1).stderr();
    assert!(
        err.contains("node 9 is not in the network (nodes: 2, 3)"),
        "{err}"
    );

    // The API: the token is needed, a bad id is 400, an unknown node 404, a switch without
    // a switch 400.
    for (method, path) in [
        ("GET", "/api/zwave"),
        ("GET", "/api/zwave/nodes"),
        ("GET", "/api/zwave/nodes/2"),
        ("POST", "/api/zwave/nodes/2"),
        ("POST", "/api/zwave/include"),
        ("POST", "/api/zwave/exclude"),
    ] {
        let url = format!("{}{path}", daemon.base);
        let r = match method {
            "GET" => agent().get(&url).call(),
            _ => agent().post(&url).send("{}"),
        };
        assert_eq!(r.unwrap().status(), 401, "{method} {path}");
    }
    let (status, bad) = daemon.get("/api/zwave/nodes/abc");
    assert_eq!(status, 400);
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .contains("bad node id \"abc\""),
        "{bad}"
    );
    assert_eq!(daemon.get("/api/zwave/nodes/300").0, 400);
    let (status, unknown) = daemon.get("/api/zwave/nodes/9");
    assert_eq!(status, 404);
    assert_eq!(
        unknown["error"],
        "node 9 is not in the network (nodes: 2, 3)"
    );
    let post = |path: &str, body: &str| {
        agent()
            .post(format!("{}{path}", daemon.base))
            .header("Authorization", format!("Bearer {}", daemon.token))
            .send(body.to_owned())
            .unwrap()
    };
    let mut r = post("/api/zwave/nodes/2", r#"{"value": "bright"}"#);
    assert_eq!(r.status(), 400);
    let why: serde_json::Value = r
        .body_mut()
        .read_to_string()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert!(
        why["error"].as_str().unwrap().contains("level 0–99"),
        "{why}"
    );
    let mut off = post("/api/zwave/nodes/2", r#"{"value": 0}"#);
    assert_eq!(off.status(), 200);
    let off: serde_json::Value = off
        .body_mut()
        .read_to_string()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(off["entities"][0]["state"], "off", "{off}");
    assert_eq!(off["action"]["outcome"], "done");
    assert_eq!(
        post("/api/zwave/exclude", r#"{"timeout_s": 0}"#).status(),
        400
    );

    // Exclusion streams its steps as JSON lines while they happen.
    let r = post("/api/zwave/exclude", r#"{"timeout_s": 30}"#);
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/x-ndjson"
    );
    let lines: Vec<serde_json::Value> = std::io::BufReader::new(r.into_body().into_reader())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let steps: Vec<&str> = lines.iter().map(|l| l["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["ready", "node_found", "removing", "done"]);
    let (_, nodes) = daemon.get("/api/zwave/nodes");
    assert_eq!(nodes.as_array().unwrap().len(), 1, "node 3 left: {nodes}");

    // And through the CLI: nobody else leaves in time.
    let quiet = run(&hub, &["zwave", "exclude", "--timeout", "2", "--json"]).expect(1);
    assert!(quiet.stdout().lines().last().unwrap().contains("timeout"));
    drop(daemon);

    // Both Sets were audited like any action, under the API's user.
    let db = rusqlite::Connection::open(hub.data().join("mirai.db")).unwrap();
    let audited: Vec<String> = db
        .prepare("SELECT detail FROM audit WHERE source = 'http' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        audited,
        [
            "light.zwave_2 turn_on → done: on",
            "light.zwave_2 turn_off → done: off"
        ]
    );
}

#[test]
fn a_restarted_daemon_without_its_stick_still_lists_the_nodes() {
    let hub = Hub::scratch();
    let mock = ZwaveMock::start("house.js");
    let zwave = |port: &str| format!("zwave:\n  enabled: true\n  port: {port}\n");
    let daemon = Daemon::start(&hub, &zwave(&mock.url()));
    daemon.wait_for("the nodes", |v| v.as_array().is_some_and(|a| a.len() == 3));
    drop(daemon);
    drop(mock);

    let daemon = Daemon::start(&hub, &zwave("tcp://127.0.0.1:9"));
    let (_, nodes) = daemon.get("/api/zwave/nodes");
    let ids: Vec<u64> = (nodes.as_array().unwrap().iter())
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [2, 3, 4]);
    let (_, devices) = daemon.get("/api/devices");
    let zwave_states: Vec<&str> = (devices.as_array().unwrap().iter())
        .filter(|e| e["id"].as_str().unwrap().contains("zwave_"))
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(zwave_states, ["unavailable"; 3]);
    let (_, info) = daemon.get("/api/zwave");
    assert_eq!(info["connected"], false);
    assert_eq!(info["home_id"], "C0FFEE07");
    let err = run(&hub, &["zwave", "get", "2"]).expect(1).stderr();
    assert!(
        err.contains("503") && err.contains("not connected"),
        "{err}"
    );
}

//! `mirai zwave …` through a running `mirai serve` and its `/api/zwave/…` routes, against the
//! zwave-js mock controller: the CLI never opens the stick the daemon holds, the API asks for
//! the token and says what is wrong with a request, a Set is audited, exclusion streams its
//! steps, and the nodes the daemon learned are still listed after a restart without the stick.

use std::io::BufRead as _;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::Hub;
use crate::zwave::run;
use crate::zwave_mock::ZwaveMock;

/// How long a daemon may take to become ready.
const DEADLINE: Duration = Duration::from_secs(60);

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
    let fresh = run(&hub, &["zwave", "nodes", "--refresh", "--json"])
        .expect(0)
        .json();
    assert_eq!(fresh[1]["command_classes"], serde_json::json!([0x25, 0x86]));
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
        ("POST", "/api/zwave/refresh"),
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
    // Node 4's sensor is an entity once its listed types are read (and kept).
    daemon.wait_for("the nodes read", |v| {
        v.as_array().is_some_and(|a| a.len() == 3)
            && v[2]["entities"].as_array().is_some_and(|e| !e.is_empty())
    });
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

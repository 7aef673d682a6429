//! `mirai serve` as systemd runs it: READY when up, the HTTP API and status page while it
//! runs, a clean stop on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::Hub;

/// How long the daemon may take to become ready or to stop, at most.
const DEADLINE: Duration = Duration::from_secs(20);

fn recv(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 256];
    let n = socket
        .recv(&mut buf)
        .expect("a notification before the deadline");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(super) struct Daemon {
    child: Child,
    notify: UnixDatagram,
    pub(super) base: String,
    pub(super) port: u16,
}

/// A test that fails before `stop` must not leave its daemon running.
impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    fn start(hub: &Hub) -> Daemon {
        Daemon::start_with(hub, "mqtt://127.0.0.1:9")
    }

    fn start_with(hub: &Hub, broker: &str) -> Daemon {
        Daemon::start_env(hub, broker, &[])
    }

    pub(super) fn start_env(hub: &Hub, broker: &str, env: &[(&str, String)]) -> Daemon {
        let path = hub.path().join("notify.sock");
        let notify = UnixDatagram::bind(&path).unwrap();
        notify.set_read_timeout(Some(DEADLINE)).unwrap();
        let port = free_port();
        let child = hub
            .cmd(&["serve", "--demo"])
            .env("NOTIFY_SOCKET", &path)
            .env("MIRAI_SERVICES__DASHBOARD__PORT", port.to_string())
            .env("MIRAI_MQTT__URL", broker)
            .env("MIRAI_MQTT__HUB_ID", "e2e")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert_eq!(recv(&notify), "READY=1");
        Daemon {
            child,
            notify,
            base: format!("http://127.0.0.1:{port}"),
            port,
        }
    }

    pub(super) fn stop(mut self) {
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) },
            0
        );
        assert_eq!(recv(&self.notify), "STOPPING=1");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(DEADLINE))
        .build()
        .into()
}

#[test]
fn serve_answers_over_http_and_stops_cleanly_on_sigterm() {
    let hub = Hub::scratch();
    let daemon = Daemon::start(&hub);
    let http = agent();
    let mut health = http.get(format!("{}/healthz", daemon.base)).call().unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        http.get(format!("{}/readyz", daemon.base))
            .call()
            .unwrap()
            .status(),
        200
    );
    let page = http
        .get(format!("{}/", daemon.base))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        page.contains("/api/status"),
        "the status page polls the API"
    );
    let status: serde_json::Value = serde_json::from_str(
        &http
            .get(format!("{}/api/status", daemon.base))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(status["access"], "summary");
    assert_eq!(
        status["model"]["reachable"], false,
        "no key on a fresh machine: {status}"
    );
    assert!(status["devices"].as_array().unwrap().len() > 10, "{status}");
    let _ = health.body_mut().read_to_string();

    let ask = format!("{}/api/ask", daemon.base);
    let body = r#"{"text": "turn on the kitchen light", "user": "ana", "session_id": "web"}"#;
    let refused = http
        .post(&ask)
        .content_type("application/json")
        .send(body)
        .unwrap();
    assert_eq!(refused.status(), 401, "asking needs the token");
    let token = std::fs::read_to_string(hub.data().join("http_token")).unwrap();
    let mut answered = http
        .post(&ask)
        .header("Authorization", format!("Bearer {}", token.trim()))
        .content_type("application/json")
        .send(body)
        .unwrap();
    assert_eq!(answered.status(), 200);
    let reply: serde_json::Value =
        serde_json::from_str(&answered.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(reply["reply"], "Turned on the kitchen light.", "{reply}");
    assert_eq!(reply["actions"][0]["entity"], "light.kitchen");

    let metrics = format!("{}/metrics", daemon.base);
    assert_eq!(
        http.get(&metrics).call().unwrap().status(),
        401,
        "metrics need the token"
    );
    let text = http
        .get(&metrics)
        .header("Authorization", format!("Bearer {}", token.trim()))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        text.contains("# TYPE mirai_reply_seconds histogram"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("mirai_requests_total{") && l.contains("local_intent"))
        .unwrap_or_else(|| panic!("no request counted:\n{text}"));
    assert!(line.ends_with(" 1"), "{line}");
    assert!(text.contains("mirai_database_bytes"), "{text}");
    daemon.stop();
}

#[test]
fn a_voice_command_over_mosquitto_reaches_the_device_and_the_reply_comes_back() {
    let hub = Hub::scratch();
    let broker = super::mosquitto::Mosquitto::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut probe = super::mosquitto::Probe::connect(
            &broker,
            "e2e-probe",
            &[
                "mirai/e2e/status",
                "mirai/e2e/reply",
                "homeassistant/device/mirai_e2e/config",
            ],
        )
        .await;
        let daemon = Daemon::start_with(&hub, &broker.url());
        assert_eq!(probe.next_on("mirai/e2e/status").await, b"online");
        probe
            .publish("mirai/e2e/ask", "turn on the kitchen light")
            .await;
        let reply = probe.json_on("mirai/e2e/reply").await;
        assert_eq!(reply["text"], "Turned on the kitchen light.", "{reply}");
        assert_eq!(reply["actions"][0]["entity"], "light.kitchen");
        let status = agent()
            .get(format!("{}/api/status", daemon.base))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        let status: serde_json::Value = serde_json::from_str(&status).unwrap();
        assert_eq!(status["mqtt"]["connected"], true, "{status}");
        daemon.stop();
        assert_eq!(probe.next_on("mirai/e2e/status").await, b"offline");
        let out = hub
            .cmd(&["serve", "--unregister"])
            .env("MIRAI_MQTT__URL", broker.url())
            .env("MIRAI_MQTT__HUB_ID", "e2e")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let removed = probe.next_on("homeassistant/device/mirai_e2e/config").await;
        assert!(
            removed.is_empty(),
            "an empty retained config removes the device"
        );
    });
}

impl Daemon {
    /// `mirai ARGS` configured to find this daemon (its port; the data dir is the hub's).
    fn client(&self, hub: &Hub, args: &[&str]) -> std::process::Command {
        let mut cmd = hub.cmd(args);
        cmd.env("MIRAI_SERVICES__DASHBOARD__PORT", self.port.to_string());
        cmd
    }

    /// `GET path` with the token, as JSON.
    fn get(&self, hub: &Hub, path: &str) -> serde_json::Value {
        let token = std::fs::read_to_string(hub.data().join("http_token")).unwrap();
        let mut answer = agent()
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", token.trim()))
            .call()
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap()
    }

    /// The texts of the daemon's recent requests.
    fn recent_texts(&self, hub: &Hub) -> Vec<String> {
        let status = self.get(hub, "/api/status");
        status["recent_requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["source"].as_str().unwrap(),
                    r["text"].as_str().unwrap()
                )
            })
            .collect()
    }
}

/// Runs `cmd` with `input` on stdin to its end, killing it past the deadline.
fn run_bounded(mut cmd: std::process::Command, input: &[u8]) -> std::process::Output {
    use std::io::{Read, Write};
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let readers = std::thread::spawn(move || {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let _ = out.read_to_end(&mut o);
        let _ = err.read_to_end(&mut e);
        (o, e)
    });
    // Wait for the exit on a thread, so the deadline is a timeout on a channel, not a poll.
    let pid = child.id();
    let (done, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait());
    });
    let status = match exited.recv_timeout(DEADLINE) {
        Ok(status) => status.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) on our own child's pid.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("mirai did not finish within {DEADLINE:?}");
        }
    };
    let (stdout, stderr) = readers.join().unwrap();
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

fn entity(listing: &serde_json::Value, id: &str) -> serde_json::Value {
    let entities = listing
        .as_array()
        .or(listing["entities"].as_array())
        .unwrap();
    entities.iter().find(|e| e["id"] == id).cloned().unwrap()
}

#[test]
fn ask_and_devices_go_through_a_running_daemon() {
    let hub = Hub::scratch();
    let daemon = Daemon::start(&hub);
    let cmd = daemon.client(
        &hub,
        &["ask", "--demo", "turn on the kitchen light", "--json"],
    );
    let out = run_bounded(cmd, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply["reply"], "Turned on the kitchen light.", "{reply}");
    assert_eq!(reply["session"], "cli");
    assert!(stderr.contains("--demo ignored"), "{stderr}");
    assert!(
        daemon
            .recent_texts(&hub)
            .contains(&"cli turn on the kitchen light".to_owned())
    );
    let devices = daemon.get(&hub, "/api/devices");
    assert_eq!(entity(&devices, "light.kitchen")["state"], "on");

    let listed = run_bounded(daemon.client(&hub, &["devices", "--json"]), b"");
    assert!(listed.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        entity(&listed, "light.kitchen")["state"],
        "on",
        "the daemon's house"
    );

    let local = daemon.client(
        &hub,
        &["ask", "--local", "--demo", "turn off the bedroom light"],
    );
    let local = run_bounded(local, b"");
    assert!(
        local.status.success(),
        "{}",
        String::from_utf8_lossy(&local.stderr)
    );
    let recent = daemon.recent_texts(&hub);
    assert!(!recent.iter().any(|t| t.contains("bedroom")), "{recent:?}");
    daemon.stop();
}

#[test]
fn the_terminal_goes_through_a_running_daemon() {
    let hub = Hub::scratch();
    let daemon = Daemon::start(&hub);
    let cmd = daemon.client(&hub, &["terminal", "--user", "ana"]);
    let input = b"turn on the hallway light\n/remember tone brief\n/prefs\n/status\n/quit\n";
    let out = run_bounded(cmd, input);
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}\n{stderr}");
    assert!(stderr.contains("connected to the running hub"), "{stderr}");
    assert!(text.contains("Turned on the hallway light."), "{text}");
    assert!(text.contains("brief"), "{text}");
    assert!(
        daemon
            .recent_texts(&hub)
            .contains(&"terminal turn on the hallway light".to_owned())
    );
    assert_eq!(daemon.get(&hub, "/api/prefs/ana")["tone"], "brief");
    daemon.stop();
}

#[test]
fn partial_replies_reach_mqtt_while_the_model_writes() {
    let hub = Hub::scratch();
    let broker = super::mosquitto::Mosquitto::start();
    let model = super::openai::OpenAiServer::start();
    model.push(super::openai::Reply::stream_text(&[
        "A quiet ",
        "comedy. Then",
        " bed.",
    ]));
    let env = [
        ("MIRAI_MQTT__PARTIAL_REPLIES", "true".to_owned()),
        ("OPENAI_API_KEY", "sk-partial-0123456789abcdef".to_owned()),
        ("OPENAI_BASE_URL", model.base_url()),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut probe =
            super::mosquitto::Probe::connect(&broker, "partial-probe", &["mirai/e2e/#"]).await;
        let daemon = Daemon::start_env(&hub, &broker.url(), &env);
        probe.status_is("mirai/e2e/status", "online").await;
        probe
            .publish("mirai/e2e/ask", "what should we watch tonight?")
            .await;
        assert_eq!(
            probe.json_on("mirai/e2e/reply/partial").await["text"],
            "A quiet comedy."
        );
        assert_eq!(
            probe.json_on("mirai/e2e/reply/partial").await["text"],
            "Then bed."
        );
        assert_eq!(
            probe.json_on("mirai/e2e/reply").await["text"],
            "A quiet comedy. Then bed."
        );
        daemon.stop();
    });
}

#[test]
fn gpio_on_a_machine_without_it_is_reported_and_nothing_else_changes() {
    let hub = Hub::scratch();
    std::fs::create_dir_all(hub.path().join("configs")).unwrap();
    let config = "gpio:\n  enabled: true\n  button: {action: morning briefing}\n  relays:\n    \
                  - {pin: 22, name: Garden pump, area: garden}\n";
    std::fs::write(hub.path().join("configs/mirai.yaml"), config).unwrap();
    let daemon = Daemon::start(&hub);
    let status = daemon.get(&hub, "/api/status");
    let services = status["services"].as_array().unwrap();
    let gpio = services
        .iter()
        .find(|s| s["name"] == "gpio")
        .expect("a gpio line");
    let state = gpio["state"].as_str().unwrap();
    assert!(state.starts_with("unavailable: "), "{state}");
    let devices = daemon.get(&hub, "/api/devices");
    let pump = entity(&devices, "switch.gpio_22");
    assert_eq!(pump["state"], "unavailable", "{pump}");
    let out = daemon
        .client(&hub, &["ask", "--json", "turn on the kitchen light"])
        .output()
        .unwrap();
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply["actions"][0]["outcome"], "done", "{reply}");
    daemon.stop();
}

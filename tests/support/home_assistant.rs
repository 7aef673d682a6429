//! A real Home Assistant for tests: a copy of the provisioned template config dir (token,
//! areas, aliases, test entities; `tests/ha/provision.py`) in a temp dir, on a free 127.0.0.1
//! port, killed on drop; REST helpers to read and change it "from Home Assistant's side", and
//! [`Socket`], a small blocking WebSocket client for its `/api/websocket` commands.
//!
//! HA announces mDNS on every interface, so it only starts inside a loopback-only network
//! namespace: [`runner::main`] puts the test binary in one and runs its scenarios. The venv
//! comes from `tests/ha/setup`, which `tests/run` calls; a missing venv fails the test.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod runner;
mod socket;

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
pub use socket::Socket;

/// How long a starting instance may take to answer `GET /api/config` with state RUNNING.
const START_DEADLINE: Duration = Duration::from_secs(90);
/// How often to ask while it starts.
const START_POLL: Duration = Duration::from_millis(100);
/// How long a stopping instance may take to save its state and exit before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(30);
/// One REST call's limit.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest any test waits for a state.
pub const WAIT: Duration = Duration::from_secs(10);

/// A running Home Assistant.
pub struct HomeAssistant {
    child: Option<Child>,
    port: u16,
    token: String,
    dir: tempfile::TempDir,
    http: ureq::Agent,
}

impl HomeAssistant {
    /// Starts an instance on a free port and waits until it runs.
    pub fn start() -> HomeAssistant {
        assert!(
            runner::loopback_only(),
            "Home Assistant announces mDNS on every interface: start it only in a loopback-only \
             network namespace (support::home_assistant::runner::main)"
        );
        let dir = tempfile::Builder::new()
            .prefix("mirai-ha-")
            .tempdir()
            .unwrap();
        copy_dir(template(), dir.path());
        let port = free_port();
        fs::write(
            dir.path().join("secrets.yaml"),
            format!("http_port: {port}\n"),
        )
        .unwrap();
        let token = fs::read_to_string(dir.path().join("mirai-token")).unwrap();
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(CALL_TIMEOUT))
            .build()
            .into();
        let mut ha = HomeAssistant {
            child: None,
            port,
            token: token.trim().to_owned(),
            dir,
            http,
        };
        ha.launch();
        ha
    }

    /// The same with the MQTT integration set up (config flow over REST) for a broker on
    /// 127.0.0.1:`broker_port`, and loaded.
    pub fn start_with_mqtt(broker_port: u16) -> HomeAssistant {
        let ha = HomeAssistant::start();
        ha.add_mqtt(broker_port);
        ha
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:PORT/api/websocket`.
    pub fn websocket_url(&self) -> String {
        format!("ws://127.0.0.1:{}/api/websocket", self.port)
    }

    /// A long-lived access token (valid for ten years, and after a restart).
    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The config dir (`home-assistant.log` and `stdout.log` are there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// HA's own log and its stdout/stderr so far.
    pub fn log(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.dir().join(name)).unwrap_or_default();
        format!("{}{}", read("home-assistant.log"), read("stdout.log"))
    }

    /// Resident memory of the HA process in KiB (0 when stopped).
    pub fn rss_kib(&self) -> u64 {
        let Some(child) = &self.child else { return 0 };
        let status = fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        let line = status.lines().find(|l| l.starts_with("VmRSS:"));
        let kib = line.and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
        kib.unwrap_or(0)
    }

    /// Stops HA cleanly (it saves the restore state) and starts it again on the same port and
    /// dir: states, registries and the token survive.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Stops HA cleanly: SIGTERM, then SIGKILL after [`STOP_DEADLINE`].
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: kill(2) on the pid of a child we have not waited for yet.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_DEADLINE;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                kill(&mut child);
                return;
            }
            std::thread::sleep(START_POLL);
        }
    }

    /// One REST call with the token: the status and the answer's JSON (`null` when empty,
    /// a string when not JSON).
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url());
        let auth = format!("Bearer {}", self.token);
        let sent = match (method, body) {
            ("GET", _) => self.http.get(&url).header("Authorization", &auth).call(),
            ("DELETE", _) => self.http.delete(&url).header("Authorization", &auth).call(),
            (_, body) => self
                .http
                .post(&url)
                .header("Authorization", &auth)
                .content_type("application/json")
                .send(body.unwrap_or(&json!({})).to_string()),
        };
        let mut response = sent.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let text = response.body_mut().read_to_string().unwrap();
        let value = match text.trim() {
            "" => Value::Null,
            t => serde_json::from_str(t).unwrap_or(Value::String(text)),
        };
        (response.status().as_u16(), value)
    }

    /// `GET path`, which must answer 2xx.
    pub fn get(&self, path: &str) -> Value {
        self.ok("GET", path, None)
    }

    /// `POST path` with `body`, which must answer 2xx.
    pub fn post(&self, path: &str, body: Value) -> Value {
        self.ok("POST", path, Some(&body))
    }

    /// An entity's state object (`GET /api/states/<id>`): `state`, `attributes`, ….
    pub fn state(&self, entity_id: &str) -> Value {
        self.get(&format!("/api/states/{entity_id}"))
    }

    /// Calls a service as Home Assistant itself would (`POST /api/services/<domain>/<service>`);
    /// the states it changed.
    pub fn call_service(&self, domain: &str, service: &str, data: Value) -> Value {
        self.post(&format!("/api/services/{domain}/{service}"), data)
    }

    /// Renders a template (`POST /api/template`), e.g. `{{ area_name('light.kitchen_light') }}`.
    pub fn template(&self, template: &str) -> String {
        let (status, answer) = self.request(
            "POST",
            "/api/template",
            Some(&json!({"template": template})),
        );
        assert_eq!(status, 200, "template {template}: {answer}");
        answer
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| answer.to_string())
    }

    /// Waits, bounded by [`WAIT`], until `entity_id`'s state is `want`; its state object.
    pub fn wait_state(&self, entity_id: &str, want: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let state = self.state(entity_id);
            if state["state"] == want {
                return state;
            }
            assert!(
                Instant::now() < deadline,
                "{entity_id} is not {want} within {WAIT:?}: {state}"
            );
            std::thread::sleep(START_POLL);
        }
    }

    /// A WebSocket connection, authenticated with the token.
    pub fn websocket(&self) -> Socket {
        Socket::connect(self.port, &self.token)
    }

    /// Sets up the MQTT integration for a broker on 127.0.0.1:`broker_port` and waits until
    /// its config entry is loaded.
    pub fn add_mqtt(&self, broker_port: u16) {
        let flow = json!({"handler": "mqtt", "show_advanced_options": false});
        let flow = self.post("/api/config/config_entries/flow", flow);
        let flow_id = flow["flow_id"]
            .as_str()
            .unwrap_or_else(|| panic!("mqtt flow: {flow}"));
        let broker = json!({"broker": "127.0.0.1", "port": broker_port});
        let done = self.post(
            &format!("/api/config/config_entries/flow/{flow_id}"),
            broker,
        );
        assert_eq!(done["type"], "create_entry", "mqtt flow: {done}");
        let deadline = Instant::now() + WAIT;
        while self.mqtt_entry()["state"] != "loaded" {
            assert!(
                Instant::now() < deadline,
                "mqtt not loaded: {}",
                self.mqtt_entry()
            );
            std::thread::sleep(START_POLL);
        }
    }

    /// The MQTT config entry (`null` when there is none).
    pub fn mqtt_entry(&self) -> Value {
        let entries = self.get("/api/config/config_entries/entry?domain=mqtt");
        entries.get(0).cloned().unwrap_or(Value::Null)
    }

    fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, answer) = self.request(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        answer
    }

    /// Starts the process and waits, bounded, until HA says it is RUNNING.
    fn launch(&mut self) {
        let out = File::options()
            .create(true)
            .append(true)
            .open(self.dir().join("stdout.log"));
        let out = out.unwrap();
        let child = Command::new(venv().join("bin/python"))
            .args(["-m", "homeassistant", "-c"])
            .arg(self.dir())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start Home Assistant from {}: {e}", venv().display())
            });
        self.child = Some(child);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "Home Assistant exited at start ({status}); its log:\n{}",
                    self.log()
                );
            }
            if self.running() {
                return;
            }
            if Instant::now() > deadline {
                kill(self.child.as_mut().unwrap());
                panic!(
                    "Home Assistant not running within {START_DEADLINE:?}; its log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(START_POLL);
        }
    }

    /// `GET /api/` answers 200 with the token and `/api/config` says RUNNING.
    fn running(&self) -> bool {
        let auth = format!("Bearer {}", self.token);
        let get = |path: &str| {
            let url = format!("{}{path}", self.url());
            let mut response = self
                .http
                .get(&url)
                .header("Authorization", &auth)
                .call()
                .ok()?;
            let text = response.body_mut().read_to_string().ok()?;
            (response.status() == 200).then(|| serde_json::from_str::<Value>(&text).ok())?
        };
        get("/api/").is_some() && get("/api/config").is_some_and(|c| c["state"] == "RUNNING")
    }
}

impl Drop for HomeAssistant {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(&mut child);
        }
    }
}

/// SIGKILL to the child's process group (HA and anything it spawned), then reap it.
fn kill(child: &mut Child) {
    // SAFETY: the group was made for this child by `process_group(0)`; it is not reaped yet.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    let _ = child.wait();
}

/// The venv `tests/ha/setup` built.
pub fn venv() -> PathBuf {
    match std::env::var_os("MIRAI_HA_VENV") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/mirai/ha-2025.4.4"),
    }
}

/// The provisioned template config dir; provisioned on first use when missing.
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let venv = venv();
        assert!(
            venv.join(".mirai-setup-ok").is_file(),
            "no Home Assistant venv at {}: run tests/ha/setup (tests/run does)",
            venv.display()
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ha/provision.py");
        let out = Command::new(venv.join("bin/python"))
            .arg(script)
            .arg("template")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "tests/ha/provision.py failed: {stderr}"
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

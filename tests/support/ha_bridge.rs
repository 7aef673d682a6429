//! MIRAI's Home Assistant bridge against the real Home Assistant: the back end through the
//! crate's API, and `mirai` as a user runs it.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use mirai::config::{Expose, HomeAssistant as HaConfig, Secret};
use mirai::devices::Backend as _;
use mirai::devices::home_assistant::{HomeAssistant as Bridge, Settings};
use serde_json::{Value, json};

use crate::support::home_assistant::{HomeAssistant, WAIT};

/// The bridge to `ha`, with locks exposed when `locks`.
pub fn bridge(ha: &HomeAssistant, token: &str, locks: bool) -> Bridge {
    let cfg = HaConfig {
        enabled: true,
        url: ha.url(),
        events: false,
        expose: Expose {
            locks,
            ..Expose::default()
        },
        ..HaConfig::default()
    };
    let settings = Settings::new(&cfg, Secret::new(token.to_owned()), None).unwrap();
    Bridge::start(settings).unwrap()
}

/// A synced bridge with the harness's token.
pub fn synced(ha: &HomeAssistant) -> Bridge {
    let b = bridge(ha, ha.token(), true);
    assert!(b.wait_synced(WAIT), "not synced: {:?}", b.status());
    b
}

/// `mirai ARGS` in a scratch data dir, pointed at `ha`.
pub fn mirai(ha: &HomeAssistant, dir: &Path, args: &[&str]) -> Output {
    let out = command(ha, dir, args).output().unwrap();
    assert!(
        out.status.code().is_some(),
        "mirai {args:?} was killed: {out:?}"
    );
    out
}

fn command(ha: &HomeAssistant, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirai"));
    cmd.args(args)
        .args(["--data-dir", dir.to_str().unwrap()])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HA_TOKEN", ha.token())
        .env("MIRAI_HOME_ASSISTANT__ENABLED", "true")
        .env("MIRAI_HOME_ASSISTANT__URL", ha.url())
        .env("MIRAI_HOME_ASSISTANT__EXPOSE__LOCKS", "true")
        .env("MIRAI_MQTT__ENABLED", "false")
        .env("MIRAI_OPENAI__BASE_URL", "http://127.0.0.1:9/v1")
        .stdin(Stdio::null());
    cmd
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// States, areas, aliases and exposure as MIRAI sees them.
pub fn states_come_with_areas_and_aliases(ha: &HomeAssistant) {
    let b = synced(ha);
    let k = b.entity("light.kitchen_light").expect("the kitchen light");
    assert_eq!(k.name, "Kitchen Light");
    assert_eq!(k.area.as_deref(), Some("kitchen"));
    let mut aliases = k.aliases.clone();
    aliases.sort();
    assert_eq!(aliases, ["Küchenlicht", "свет на кухне"]);
    let t = b.entity("sensor.bedroom_temperature").unwrap();
    assert_eq!(
        (
            t.state.as_str(),
            t.device_class.as_deref(),
            t.area.as_deref()
        ),
        ("21.5", Some("temperature"), Some("bedroom"))
    );
    assert_eq!(t.attributes["unit_of_measurement"], "°C");
    let areas: Vec<String> = b.areas().into_iter().map(|a| a.name).collect();
    assert!(areas.contains(&"Living Room".to_owned()), "{areas:?}");
    assert!(b.entity("lock.front_door_lock").is_some(), "locks: true");
    assert!(
        b.entity("input_boolean.kitchen_light").is_none(),
        "helpers stay hidden"
    );
    let status = b.status();
    assert!(status.connected && status.synced, "{status:?}");
    // A service that answers with data: asked with return_response, the answer handed back.
    let report = mirai::devices::ServiceCall::new("script.weather_report", "weather_report");
    let (outcome, answer) = b.call_with_response(&report).unwrap();
    assert!(
        matches!(outcome, mirai::devices::Outcome::Done { .. }),
        "{outcome:?}"
    );
    assert_eq!(answer, Some(json!({"forecast": "sunny", "high": 21})));
    let (_, none) = b
        .call_with_response(&mirai::devices::ServiceCall::new(
            "switch.coffee_maker",
            "turn_off",
        ))
        .unwrap();
    assert_eq!(none, None, "a service that answers nothing");
    assert_eq!(status.version, "2025.4.4");
    // The defaults leave locks out.
    let default = bridge(ha, ha.token(), false);
    assert!(default.wait_synced(WAIT));
    assert!(default.entity("lock.front_door_lock").is_none());
    assert!(default.entity("cover.garage_door").is_some());
    // And `mirai devices` lists them with their areas.
    let dir = tempfile::tempdir().unwrap();
    let out = mirai(ha, dir.path(), &["devices", "--local", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let listing = json_of(&out);
    let lamp = listing["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "light.living_room_lamp")
        .cloned()
        .unwrap_or_else(|| panic!("{listing}"));
    assert_eq!(lamp["area"], "living_room");
    assert_eq!(lamp["backend"], "home_assistant");
}

/// A spoken command, understood locally, changes a real entity; Russian and an alias too.
pub fn commands_change_real_entities(ha: &HomeAssistant) {
    let dir = tempfile::tempdir().unwrap();
    let ask = |text: &str| json_of(&mirai(ha, dir.path(), &["ask", "--local", "--json", text]));
    let reply = ask("turn on the kitchen light");
    assert_eq!(reply["via"], "local_intent", "{reply}");
    assert_eq!(
        reply["actions"][0]["entity"], "light.kitchen_light",
        "{reply}"
    );
    assert_eq!(reply["actions"][0]["outcome"], "done", "{reply}");
    assert_eq!(ha.state("light.kitchen_light")["state"], "on");
    assert_eq!(ha.state("input_boolean.kitchen_light")["state"], "on");
    let reply = ask("выключи свет на кухне");
    assert_eq!(reply["actions"][0]["outcome"], "done", "{reply}");
    assert_eq!(ha.state("light.kitchen_light")["state"], "off");
    let reply = ask("set the living room lamp to 40%");
    assert_eq!(reply["actions"][0]["outcome"], "done", "{reply}");
    let lamp = ha.wait_state("light.living_room_lamp", "on");
    assert_eq!(lamp["attributes"]["brightness"], 102, "{lamp}");
    // A lock asks first, and a yes from the same session does it.
    let reply = ask("unlock the front door lock");
    assert_eq!(
        reply["actions"][0]["outcome"], "pending_confirmation",
        "{reply}"
    );
    assert_eq!(ha.state("lock.front_door_lock")["state"], "unlocked");
    ha.call_service("lock", "lock", json!({"entity_id": "lock.front_door_lock"}));
    ha.wait_state("lock.front_door_lock", "locked");
    let reply = ask("yes");
    assert_eq!(reply["actions"][0]["outcome"], "done", "{reply}");
    assert_eq!(ha.state("lock.front_door_lock")["state"], "unlocked");
    ha.call_service(
        "light",
        "turn_off",
        json!({"entity_id": "light.living_room_lamp"}),
    );
}

/// Home Assistant took the call but the bulb stayed off: MIRAI says so.
pub fn a_stuck_bulb_is_reported_truthfully(ha: &HomeAssistant) {
    let dir = tempfile::tempdir().unwrap();
    let out = mirai(
        ha,
        dir.path(),
        &["ask", "--local", "--json", "turn on the stuck bulb"],
    );
    let reply = json_of(&out);
    let action = &reply["actions"][0];
    assert_eq!(action["entity"], "light.stuck_bulb", "{reply}");
    assert_eq!(action["outcome"], "refused", "{reply}");
    assert_eq!(action["detail"], "did not turn on; it is off", "{reply}");
    assert_eq!(
        reply["reply"], "Stuck Bulb: not done (did not turn on; it is off).",
        "{reply}"
    );
}

/// A change made in Home Assistant reaches MIRAI over the WebSocket.
pub fn state_changes_reach_mirai(ha: &HomeAssistant) {
    let b = synced(ha);
    assert_eq!(b.entity("binary_sensor.front_door").unwrap().state, "off");
    let door = json!({"entity_id": "input_boolean.front_door"});
    ha.call_service("input_boolean", "turn_on", door.clone());
    let seen = b.wait_state("binary_sensor.front_door", "on", WAIT);
    assert_eq!(seen.map(|e| e.state).as_deref(), Some("on"));
    ha.call_service(
        "input_number",
        "set_value",
        json!({"entity_id": "input_number.bedroom_temperature_value", "value": 19.5}),
    );
    let t = b.wait_state("sensor.bedroom_temperature", "19.5", WAIT);
    assert_eq!(t.map(|e| e.state).as_deref(), Some("19.5"));
    ha.call_service("input_boolean", "turn_off", door);
    assert!(
        b.wait_state("binary_sensor.front_door", "off", WAIT)
            .is_some()
    );
    ha.call_service(
        "input_number",
        "set_value",
        json!({"entity_id": "input_number.bedroom_temperature_value", "value": 21.5}),
    );
    // A renamed entity: its new name and alias arrive with the registry update.
    let mut ws = ha.websocket();
    ws.ok(
        json!({"type": "config/entity_registry/update", "entity_id": "switch.coffee_maker",
                 "name": "Espresso Machine", "aliases": ["кофеварка"]}),
    );
    let renamed = wait_for(|| {
        b.entity("switch.coffee_maker")
            .filter(|e| e.name == "Espresso Machine" && e.aliases == ["кофеварка"])
    });
    assert!(renamed.is_some(), "{:?}", b.entity("switch.coffee_maker"));
    ws.ok(
        json!({"type": "config/entity_registry/update", "entity_id": "switch.coffee_maker",
                 "name": null, "aliases": []}),
    );
}

/// Polls `f` until it gives something, at most [`WAIT`].
fn wait_for<T>(f: impl Fn() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Home Assistant restarts under MIRAI: the link comes back, subscribes and loads again.
pub fn a_restart_of_home_assistant_is_survived() {
    let mut ha = HomeAssistant::start();
    let b = synced(&ha);
    ha.stop();
    assert!(b.wait_link(WAIT, |s| !s.connected), "{:?}", b.status());
    let down = b.status();
    assert!(down.error.is_some() && down.drops == 1, "{down:?}");
    // While it is down, an action is a clear error, not a hang or a panic.
    let call = mirai::devices::ServiceCall::new("light.kitchen_light", "turn_on");
    let err = b.call(&call).unwrap_err().to_string();
    assert!(err.contains("unreachable"), "{err}");
    ha.restart();
    assert!(
        b.wait_link(Duration::from_secs(60), |s| s.synced),
        "{:?}",
        b.status()
    );
    assert_eq!(b.status().drops, 1);
    assert!(
        b.entity("light.kitchen_light").is_some(),
        "states loaded again"
    );
    // The new subscription works, and so do actions.
    ha.call_service(
        "input_boolean",
        "turn_on",
        json!({"entity_id": "input_boolean.front_door"}),
    );
    assert!(
        b.wait_state("binary_sensor.front_door", "on", WAIT)
            .is_some()
    );
    let done = b.call(&call).unwrap();
    assert_eq!(done, mirai::devices::Outcome::Done { state: "on".into() });
}

/// A wrong token: `mirai health` fails and says what to do; the link reports it.
pub fn a_wrong_token_is_a_clear_error(ha: &HomeAssistant) {
    let dir = tempfile::tempdir().unwrap();
    let out = command(ha, dir.path(), &["health"])
        .env("HA_TOKEN", "not-the-token")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rejected the access token"), "{text}");
    assert!(
        !text.contains("not-the-token"),
        "the token is never printed"
    );
    let ok = mirai(ha, dir.path(), &["health"]);
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(text.contains("answers and takes the token"), "{text}");
    let b = bridge(ha, "not-the-token", false);
    assert!(b.wait_link(WAIT, |s| s.error.is_some()));
    let error = b.status().error.unwrap();
    assert!(error.contains("rejected the access token"), "{error}");
    assert!(!b.status().synced);
}

/// The daemon: its discovery entities appear in Home Assistant's state machine, a command
/// through its API acts on Home Assistant (the entities arrived after it started), and its
/// events reach an automation.
pub fn the_daemon_in_home_assistant() {
    use crate::support::mosquitto::Mosquitto;
    let broker = Mosquitto::start();
    let ha = HomeAssistant::start();
    ha.add_mqtt(broker.port());
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut daemon = Daemon(
        command(&ha, dir.path(), &["serve"])
            .env("MIRAI_MQTT__ENABLED", "true")
            .env("MIRAI_MQTT__URL", broker.url())
            .env("MIRAI_MQTT__HUB_ID", "hatest")
            .env("MIRAI_SERVICES__DASHBOARD__PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(WAIT))
        .build()
        .into();
    let ready = wait_for(|| {
        let r = http.get(format!("{base}/api/status")).call().ok()?;
        let status: Value = serde_json::from_str(&r.into_body().read_to_string().ok()?).ok()?;
        let services = status["services"].as_array()?.clone();
        services
            .iter()
            .find(|s| s["name"] == "home_assistant")
            .filter(|s| {
                s["state"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("connected to 2025"))
            })
            .cloned()
    });
    assert!(
        ready.is_some(),
        "the status page never showed Home Assistant connected"
    );
    let ask_entity = wait_for(|| {
        let states = ha.get("/api/states");
        states
            .as_array()?
            .iter()
            .find(|s| {
                s["entity_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("text.mirai_hatest"))
            })
            .cloned()
    });
    assert!(
        ask_entity.is_some(),
        "MIRAI's Ask text entity never appeared in Home Assistant"
    );
    let token = std::fs::read_to_string(dir.path().join("http_token")).unwrap();
    let reply: Value = http
        .post(format!("{base}/api/ask"))
        .header("Authorization", &format!("Bearer {}", token.trim()))
        .content_type("application/json")
        .send(json!({"text": "turn on the coffee maker", "user": "ha-test"}).to_string())
        .unwrap()
        .into_body()
        .read_to_string()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(reply["actions"][0]["outcome"], "done", "{reply}");
    assert_eq!(ha.state("switch.coffee_maker")["state"], "on");
    // The automation on mirai_action copied the event into input_text.mirai_last_action.
    let last = ha.wait_state(
        "input_text.mirai_last_action",
        "switch.coffee_maker turn_on done",
    );
    assert_eq!(last["state"], "switch.coffee_maker turn_on done");
    daemon.stop();
}

/// A running daemon, stopped with SIGTERM (and killed if the test fails first).
struct Daemon(Child);

impl Daemon {
    fn stop(&mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let status = self.0.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

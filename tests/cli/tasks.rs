//! Autonomous tasks end to end: `mirai tasks` with and without a running daemon, the
//! scheduler running them at their time through the agent (demo house, no model), results
//! delivered over the tests' Mosquitto, confirmations never run unattended, interrupted tasks
//! after a restart, the autonomous budget, triggers, and Home Assistant's switch.

use mirai::memory::{Memory, RunEnd, Settings, TaskKind};
use serde_json::{Value, json};

use super::Hub;
use super::mosquitto::{Mosquitto, Probe};
use super::serve::Daemon;

const REPLY: &str = "mirai/e2e/reply";
const SAY: &str = "hermes/tts/say";
const STATE: &str = "mirai/e2e/state";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `mirai --json tasks ARGS` → its JSON; panics with stderr on failure.
fn tasks(hub: &Hub, args: &[&str]) -> Value {
    tasks_via(hub, None, args)
}

/// The same, told where a running daemon listens (`None`: the default port, where none is).
fn tasks_via(hub: &Hub, daemon: Option<&Daemon>, args: &[&str]) -> Value {
    let mut all = vec!["--json", "tasks"];
    all.extend_from_slice(args);
    let mut cmd = hub.cmd(&all);
    if let Some(d) = daemon {
        cmd.env("MIRAI_SERVICES__DASHBOARD__PORT", d.port.to_string());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "mirai tasks {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn daemon(hub: &Hub, broker: &Mosquitto, extra: &[(&str, String)]) -> Daemon {
    let mut env = vec![("MIRAI_SERVICES__AUTONOMOUS__ENABLED", "true".to_owned())];
    env.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
    Daemon::start_env(hub, &broker.url(), &env)
}

fn get(daemon: &Daemon, hub: &Hub, path: &str) -> Value {
    let token = std::fs::read_to_string(hub.data().join("http_token")).unwrap();
    let mut answer = ureq::get(format!("{}{path}", daemon.base))
        .header("Authorization", format!("Bearer {}", token.trim()))
        .call()
        .unwrap();
    serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap()
}

fn state_of(daemon: &Daemon, hub: &Hub, id: &str) -> String {
    let devices = get(daemon, hub, "/api/devices");
    let entity = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap();
    entity["state"].as_str().unwrap().to_owned()
}

#[test]
fn a_reminder_added_without_a_daemon_is_spoken_when_the_daemon_starts() {
    let hub = Hub::scratch();
    let added = tasks(
        &hub,
        &[
            "add",
            "water the plants",
            "--remind",
            "--in",
            "1s",
            "--deliver",
            "speech:kitchen",
        ],
    );
    assert_eq!(added["kind"], "reminder");
    let listed = tasks(&hub, &["list"]);
    assert_eq!(
        listed[0]["id"], added["id"],
        "stored in the memory file: {listed}"
    );
    let broker = Mosquitto::start();
    runtime().block_on(async {
        let mut probe = Probe::connect(&broker, "tasks-probe", &[SAY]).await;
        let daemon = daemon(&hub, &broker, &[]);
        let said = probe.json_on(SAY).await;
        assert_eq!(said["text"], "Reminder: water the plants");
        assert_eq!(said["siteId"], "kitchen");
        let history = tasks_via(&hub, Some(&daemon), &["history", &added["id"].to_string()]);
        assert_eq!(history[0]["status"], "done", "{history}");
        assert_eq!(history[0]["task_id"], added["id"]);
        let left = tasks_via(&hub, Some(&daemon), &["list"]);
        assert!(
            left.as_array()
                .unwrap()
                .iter()
                .all(|t| t["kind"] == "upkeep"),
            "a one-shot task is finished: {left}"
        );
        daemon.stop();
    });
}

#[test]
fn a_task_added_through_the_daemon_acts_at_its_time_and_a_confirmation_is_only_asked() {
    let hub = Hub::scratch();
    let broker = Mosquitto::start();
    runtime().block_on(async {
        let mut probe = Probe::connect(&broker, "tasks-probe", &[REPLY]).await;
        let daemon = daemon(&hub, &broker, &[]);
        let light = tasks_via(
            &hub,
            Some(&daemon),
            &[
                "add",
                "turn on the kitchen light",
                "--in",
                "1s",
                "--deliver",
                "mqtt",
            ],
        );
        let reply = probe.json_on(REPLY).await;
        assert_eq!(reply["id"], format!("task-{}", light["id"]));
        assert_eq!(reply["text"], "Turned on the kitchen light.", "{reply}");
        assert_eq!(state_of(&daemon, &hub, "light.kitchen"), "on");

        // Unlocking needs a person's yes: the task asks and the lock stays locked.
        let unlock = tasks_via(
            &hub,
            Some(&daemon),
            &[
                "add",
                "unlock the front door",
                "--in",
                "1s",
                "--deliver",
                "mqtt",
            ],
        );
        let asked = probe.json_on(REPLY).await;
        assert_eq!(asked["id"], format!("task-{}", unlock["id"]));
        assert!(
            asked["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("yes"),
            "{asked}"
        );
        assert_eq!(state_of(&daemon, &hub, "lock.front_door"), "locked");
        let runs = tasks_via(&hub, Some(&daemon), &["history"]);
        assert_eq!(runs.as_array().unwrap().len(), 2, "{runs}");
        daemon.stop();
    });
}

#[test]
fn tasks_interrupted_by_a_crash_are_retried_or_failed_by_their_policy() {
    let hub = Hub::scratch();
    let reminder = tasks(
        &hub,
        &[
            "add",
            "feed the cat",
            "--remind",
            "--in",
            "1s",
            "--deliver",
            "speech:hall",
        ],
    );
    let action = tasks(&hub, &["add", "turn on the porch light", "--in", "1s"]);
    {
        // The hub died in the middle of both runs.
        let mut memory = Memory::open(&hub.data().join("mirai.db"), &Settings::default()).unwrap();
        for t in [&reminder, &action] {
            memory
                .claim_task(t["id"].as_i64().unwrap())
                .unwrap()
                .unwrap();
        }
    }
    let broker = Mosquitto::start();
    runtime().block_on(async {
        let mut probe = Probe::connect(&broker, "tasks-probe", &[SAY]).await;
        let daemon = daemon(&hub, &broker, &[]);
        let said = probe.json_on(SAY).await;
        assert_eq!(
            said["text"], "Reminder: feed the cat",
            "retried: saying twice beats never"
        );
        let runs = tasks_via(&hub, Some(&daemon), &["history", &action["id"].to_string()]);
        assert_eq!(runs.as_array().unwrap().len(), 1, "never run again: {runs}");
        assert_eq!(runs[0]["status"], "failed");
        assert!(runs[0]["result"].as_str().unwrap().contains("interrupted"));
        let all = tasks_via(
            &hub,
            Some(&daemon),
            &["history", &reminder["id"].to_string()],
        );
        assert_eq!(all[0]["status"], "done", "{all}");
        assert_eq!(
            all[1]["status"], "failed",
            "the interrupted run is on record"
        );
        daemon.stop();
    });
}

#[test]
fn a_spent_budget_holds_model_tasks_and_says_why_while_reminders_still_run() {
    let hub = Hub::scratch();
    let held = tasks(&hub, &["add", "what is the weather", "--in", "1s"]);
    let reminder = tasks(
        &hub,
        &[
            "add",
            "stretch",
            "--remind",
            "--in",
            "1s",
            "--deliver",
            "speech:office",
        ],
    );
    {
        let mut memory = Memory::open(&hub.data().join("mirai.db"), &Settings::default()).unwrap();
        let spent = memory
            .add_scheduled(
                TaskKind::Reminder,
                "x",
                "earlier work",
                r#"{"when":{"at":1}}"#,
                Some(1),
            )
            .unwrap();
        let run = memory.claim_task(spent).unwrap().unwrap();
        let day = mirai::llm::budget::utc_day(std::time::SystemTime::now());
        let end = RunEnd {
            ok: true,
            result: "ok",
            next_run: None,
            recurring: false,
            tokens: 500,
        };
        memory.finish_run(spent, run, &end, &day).unwrap();
    }
    let broker = Mosquitto::start();
    runtime().block_on(async {
        let mut probe = Probe::connect(&broker, "tasks-probe", &[SAY]).await;
        let daemon = daemon(
            &hub,
            &broker,
            &[("MIRAI_SERVICES__AUTONOMOUS__DAILY_TOKENS", "500".into())],
        );
        assert_eq!(probe.json_on(SAY).await["text"], "Reminder: stretch");
        let status = get(&daemon, &hub, "/api/status");
        let waiting = status["autonomous"]["waiting"].as_str().unwrap_or_default();
        assert!(
            waiting.contains("budget is spent (500 of 500 tokens)"),
            "{status}"
        );
        let list = tasks_via(&hub, Some(&daemon), &["list"]);
        let still = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == held["id"])
            .unwrap();
        assert_eq!(still["status"], "pending");
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|t| t["id"] != reminder["id"])
        );
        daemon.stop();
    });
}

#[test]
fn a_trigger_fires_once_when_its_condition_holds_and_home_assistant_can_switch_autonomy() {
    let hub = Hub::scratch();
    let broker = Mosquitto::start();
    runtime().block_on(async {
        let mut probe = Probe::connect(
            &broker,
            "tasks-probe",
            &[REPLY, STATE, "homeassistant/device/mirai_e2e/config"],
        )
        .await;
        let daemon = daemon(&hub, &broker, &[]);
        let config = probe.json_on("homeassistant/device/mirai_e2e/config").await;
        assert_eq!(
            config["components"]["autonomous"]["command_topic"],
            "mirai/e2e/autonomous/set"
        );
        assert_eq!(config["components"]["run_tasks"]["platform"], "button");

        let watch = tasks_via(
            &hub,
            Some(&daemon),
            &[
                "add",
                "the kitchen light is on",
                "--remind",
                "--when",
                "light.kitchen=on",
                "--deliver",
                "mqtt",
            ],
        );
        assert_eq!(watch["kind"], "reminder");
        assert!(watch["next_run"].is_null());
        probe
            .publish(
                "mirai/e2e/ask",
                json!({"id": "q1", "text": "turn on the kitchen light"}).to_string(),
            )
            .await;
        let mut said = Vec::new();
        while said.len() < 2 {
            said.push(probe.json_on(REPLY).await);
        }
        let fired = said
            .iter()
            .find(|r| r["id"] == format!("task-{}", watch["id"]))
            .expect("the trigger fired");
        assert_eq!(fired["text"], "Reminder: the kitchen light is on");
        let listed = tasks_via(&hub, Some(&daemon), &["list"]);
        assert_eq!(
            listed[0]["status"], "pending",
            "a trigger waits for the next time: {listed}"
        );

        probe.publish("mirai/e2e/autonomous/set", "OFF").await;
        loop {
            if probe.json_on(STATE).await["autonomous"] == false {
                break;
            }
        }
        assert_eq!(
            get(&daemon, &hub, "/api/status")["autonomous"]["enabled"],
            false
        );
        daemon.stop();
    });
}

//! `mirai ask`, `mirai terminal` and `mirai devices` as a user runs them on the demo house.

use std::io::Write;
use std::process::Stdio;

use super::Hub;
use super::openai::{OpenAiServer, Reply};

fn ask(hub: &Hub, text: &str) -> serde_json::Value {
    hub.run(&["ask", "--demo", "--json", text]).expect(0).json()
}

fn entity(hub: &Hub, id: &str) -> serde_json::Value {
    let v = hub.run(&["devices", "--demo", "--json"]).expect(0).json();
    v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .cloned()
        .unwrap()
}

#[test]
fn ask_acts_on_the_demo_house_and_answers_in_json() {
    let hub = Hub::scratch();
    let v = ask(&hub, "turn on the kitchen light");
    assert_eq!(v["reply"], "Turned on the kitchen light.");
    assert_eq!(v["actions"][0]["entity"], "light.kitchen");
    assert_eq!(v["actions"][0]["service"], "turn_on");
    assert_eq!(v["actions"][0]["outcome"], "done");
    assert!(v["blocked"].is_null() && v["pending_confirmation"].as_array().unwrap().is_empty());
    assert_eq!(v["session"], "cli");
    assert!(v["usage"]["total_tokens"].is_u64());
    // The next process sees the same house.
    assert_eq!(entity(&hub, "light.kitchen")["state"], "on");
    let text = hub
        .run(&["ask", "--demo", "выключи свет на кухне"])
        .expect(0)
        .stdout();
    assert!(text.starts_with("Выключила"), "{text}");
}

#[test]
fn a_yes_in_a_second_call_confirms_and_another_user_cannot() {
    let hub = Hub::scratch();
    let v = ask(&hub, "open the garage door");
    assert_eq!(
        v["pending_confirmation"][0]["entity_id"],
        "cover.garage_door"
    );
    assert_eq!(entity(&hub, "cover.garage_door")["state"], "closed");
    let other = hub
        .run(&["ask", "--demo", "--json", "--user", "mallory", "yes"])
        .expect(0)
        .json();
    assert!(other["actions"].as_array().unwrap().is_empty(), "{other}");
    let v = ask(&hub, "yes");
    assert_eq!(v["actions"][0]["outcome"], "done", "{v}");
    assert_eq!(entity(&hub, "cover.garage_door")["state"], "open");
}

/// A daemon child killed when the test ends, also when an assertion fails first.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_plans_mode_spelling_works() {
    let hub = Hub::scratch();
    let v = hub
        .run(&[
            "--mode",
            "ask",
            "--demo",
            "--json",
            "what's the temperature in the kitchen?",
        ])
        .expect(0)
        .json();
    assert_eq!(v["reply"], "It's 22.4 °C in the kitchen.");
    // `--mode autonomous` is `mirai autonomous`: the scheduler alone, a daemon until SIGTERM,
    // running a reminder that fell due.
    hub.run(&["tasks", "add", "stretch", "--remind", "--in", "1s"])
        .expect(0);
    let socket_path = hub.path().join("notify.sock");
    let notify = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    notify
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut child = Reaped(
        hub.cmd(&["--mode", "autonomous"])
            .env("NOTIFY_SOCKET", &socket_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut buf = [0u8; 64];
    let n = notify.recv(&mut buf).expect("READY before the deadline");
    assert_eq!(&buf[..n], b"READY=1");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let ran = loop {
        let runs = hub.run(&["--json", "tasks", "history"]).expect(0).json();
        if runs[0]["status"] == "done" {
            break runs;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reminder never ran: {runs}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200)); // between looks, not a signal
    };
    assert_eq!(ran[0]["result"], "Reminder: stretch");
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.0.id() as i32, libc::SIGTERM) }, 0);
    assert!(child.0.wait().unwrap().success());
}

#[test]
fn the_terminal_reads_piped_lines_and_answers_plainly() {
    let hub = Hub::scratch();
    let mut child = hub
        .cmd(&["terminal", "--demo", "--user", "ana"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"turn on the hallway light\n/remember tone brief\n/prefs\n/status\n/quit\n")
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Turned on the hallway light."), "{text}");
    assert!(text.contains("tone"), "{text}");
    assert!(
        text.contains("2 messages") && text.contains("19 entities"),
        "/status: {text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no escape codes on a pipe: {text:?}"
    );
    let prefs = hub
        .run(&["memory", "prefs", "ana", "--json"])
        .expect(0)
        .json();
    assert_eq!(prefs["tone"], "brief");
}

#[test]
fn ask_uses_the_model_for_what_intents_do_not_cover() {
    let hub = Hub::scratch();
    let server = OpenAiServer::start();
    server.set_default(Reply::chat_text("Tea, then bed."));
    let out = hub
        .cmd(&[
            "ask",
            "--demo",
            "--json",
            "what would you suggest for a calm evening?",
        ])
        .env("OPENAI_API_KEY", "sk-cli-agent-0123456789abcdef")
        .env("OPENAI_BASE_URL", server.base_url())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reply"], "Tea, then bed.", "{v}");
    assert_eq!(v["via"], "model");
    assert!(v["usage"]["total_tokens"].as_u64().unwrap() > 0);
    let history = hub
        .run(&["memory", "history", "cli", "--json"])
        .expect(0)
        .json();
    assert_eq!(history.as_array().unwrap().len(), 2);
}

#[test]
fn devices_without_a_back_end_says_how_to_try_the_demo() {
    let hub = Hub::scratch();
    let out = hub.run(&["devices"]).expect(0).stdout();
    assert!(out.contains("--demo"), "{out}");
}

#[test]
fn a_house_of_your_own_is_loaded_from_the_config_and_a_bad_one_is_named() {
    let hub = Hub::scratch();
    let house = hub.path().join("my-house.yaml");
    std::fs::write(
        &house,
        "areas:\n  den: {name: Den, aliases: [кабинет]}\nentities:\n  - {id: light.desk, name: Desk lamp, domain: light, area: den, state: \"off\"}\n",
    )
    .unwrap();
    let cfg = hub.write_config(&format!(
        "devices:\n  demo:\n    enabled: true\n    file: {}\n",
        house.display()
    ));
    let cfg = cfg.to_str().unwrap();
    let v = hub
        .run(&["--config", cfg, "devices", "--json"])
        .expect(0)
        .json();
    assert_eq!(v["entities"][0]["id"], "light.desk");
    let v = hub
        .run(&["--config", cfg, "ask", "--json", "включи лампу в кабинете"])
        .expect(0)
        .json();
    assert_eq!(v["actions"][0]["entity"], "light.desk", "{v}");

    std::fs::write(&house, "areas: {}\nentities:\n  - {id: light.desk, name: Desk lamp, domain: switch, state: \"off\"}\n").unwrap();
    let run = hub.run(&["--config", cfg, "devices"]).expect(1);
    assert!(
        run.stderr().contains("my-house.yaml:3:"),
        "{}",
        run.stderr()
    );
}

#[test]
fn an_empty_question_is_a_usage_error() {
    let hub = Hub::scratch();
    let run = hub.run(&["ask", "   "]).expect(2);
    assert!(run.stderr().contains("nothing to ask"), "{}", run.stderr());
}

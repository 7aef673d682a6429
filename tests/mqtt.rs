//! The MQTT front end against a real Mosquitto on 127.0.0.1: round trips on the plain and
//! Hermes topics, the retained status and the will, bad payloads, a broker restart, and two
//! hubs sharing one broker; a repeated request id acting once, and a stale `ts` refused; Home
//! Assistant discovery, and the state and events its entities read. Every wait is for a
//! message (or, once, a counter), bounded by `WAIT`.

mod support {
    pub mod mosquitto;
}

use std::sync::{Arc, Condvar, Mutex};

use mirai::agent::{ActionReport, Reply, Request, Source};
use mirai::devices::Entity;
use mirai::frontends::hub::Hub;
use mirai::frontends::mqtt::{self, Ended, MqttError, MqttSettings, MqttState};
use serde_json::{Value, json};
use support::mosquitto::{Mosquitto, Probe, WAIT};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A hub that answers "echo: <text>", records every request, and can be held to answer.
/// "act: …" turns the hall light on; its status counts 100 tokens a request.
#[derive(Default)]
struct EchoHub {
    requests: Mutex<Vec<Request>>,
    held: Mutex<bool>,
    release: Condvar,
}

impl EchoHub {
    fn texts(&self) -> Vec<String> {
        let requests = self.requests.lock().unwrap();
        requests.iter().map(|r| r.text.clone()).collect()
    }

    fn hold(&self, held: bool) {
        *self.held.lock().unwrap() = held;
        self.release.notify_all();
    }
}

impl Hub for EchoHub {
    fn respond(&self, request: Request) -> Reply {
        self.requests.lock().unwrap().push(request.clone());
        let held = self.held.lock().unwrap();
        drop(self.release.wait_while(held, |h| *h).unwrap());
        let actions = (request.text.starts_with("act:").then(|| ActionReport {
            call: serde_json::from_value(json!({"entity_id": "light.hall", "service": "turn_on"}))
                .unwrap(),
            outcome: "done".to_owned(),
            detail: "on".to_owned(),
            response: None,
        }))
        .into_iter()
        .collect();
        Reply {
            text: format!("echo: {}", request.text),
            actions,
            blocked: None,
            pending_confirmation: Vec::new(),
            usage: Default::default(),
            session: request.session,
            via: "local_intent".to_owned(),
        }
    }
    fn respond_streaming(&self, request: Request, on_sentence: &mut dyn FnMut(&str)) -> Reply {
        for sentence in ["First part.", "Second part."] {
            on_sentence(sentence);
        }
        self.respond(request)
    }
    fn status(&self) -> Value {
        let tokens = 100 * self.requests.lock().unwrap().len();
        json!({"today": {"tokens": tokens, "cost_usd": 0.25}, "latency_p95_ms": 42,
               "model": {"reachable": true, "breaker": "closed"}})
    }
    fn devices(&self) -> Vec<Entity> {
        Vec::new()
    }
    fn session(&self, _id: &str) -> Option<Vec<(String, String)>> {
        None
    }
    fn metrics(&self) -> String {
        String::new()
    }
    fn ready(&self) -> bool {
        true
    }
    fn prefs(&self, _user: &str) -> Vec<(String, String)> {
        Vec::new()
    }
    fn remember(&self, _user: &str, _key: &str, _value: &str) -> Result<(), String> {
        Ok(())
    }
    fn forget(&self, _user: &str, _key: &str) -> Result<bool, String> {
        Ok(false)
    }
}

/// `mirai`'s MQTT front end running as a task.
struct Daemon {
    hub: Arc<EchoHub>,
    state: Arc<MqttState>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<Ended, MqttError>>,
}

impl Daemon {
    fn start(broker: &Mosquitto, hub_id: &str, hermes: bool) -> Daemon {
        Daemon::start_with(broker, hub_id, |s| s.hermes = hermes)
    }

    fn start_with(
        broker: &Mosquitto,
        hub_id: &str,
        tune: impl FnOnce(&mut MqttSettings),
    ) -> Daemon {
        let mut settings = MqttSettings::from_url(&broker.url(), hub_id).unwrap();
        tune(&mut settings);
        let (hub, state) = (Arc::new(EchoHub::default()), Arc::new(MqttState::default()));
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(mqtt::run(hub.clone(), settings, state.clone(), shutdown));
        Daemon {
            hub,
            state,
            stop,
            task,
        }
    }

    async fn shutdown(self) -> Ended {
        self.stop.send(()).unwrap();
        tokio::time::timeout(WAIT, self.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap()
    }

    /// Ends the task without a goodbye, as a crash would: the broker sees the socket close.
    async fn kill(self) {
        self.task.abort();
        assert!(self.task.await.unwrap_err().is_cancelled());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_round_trip() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/#"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;
    assert!(daemon.state.connected());

    probe.publish("mirai/h1/ask", "turn on the lamp").await;
    let reply = probe.json_on("mirai/h1/reply").await;
    let want = json!({"id": null, "text": "echo: turn on the lamp", "actions": [],
                      "session_id": "mqtt-default", "site_id": null});
    assert_eq!(reply, want);
    let request = daemon.hub.requests.lock().unwrap()[0].clone();
    assert_eq!(
        (request.source, request.user.as_str()),
        (Source::Voice, "voice")
    );
    let state = &daemon.state;
    assert_eq!(
        (state.messages_in(), state.messages_out(), state.rejected()),
        (1, 1, 0)
    );
    assert_eq!(daemon.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_with_reply_to_and_id() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/status", "app/phone"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;

    let ask = json!({"id": "q-7", "text": "hello", "site_id": "hall", "user": "ann",
                     "lang": "en", "reply_to": "app/phone"});
    probe.publish("mirai/h1/ask", ask.to_string()).await;
    let reply = probe.json_on("app/phone").await;
    let want = json!({"id": "q-7", "text": "echo: hello", "actions": [],
                      "session_id": "mqtt-hall", "site_id": "hall"});
    assert_eq!(reply, want);
    let request = daemon.hub.requests.lock().unwrap()[0].clone();
    assert_eq!(
        (request.user.as_str(), request.lang.as_deref()),
        ("ann", Some("en"))
    );
    assert_eq!(request.site.as_deref(), Some("hall"));
    daemon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hermes_text_captured_ends_the_session() {
    let broker = Mosquitto::start();
    let topics = [
        "mirai/h1/status",
        "hermes/dialogueManager/endSession",
        "hermes/tts/say",
    ];
    let mut probe = Probe::connect(&broker, "rhasspy", &topics).await;
    let daemon = Daemon::start(&broker, "h1", true);
    probe.status_is("mirai/h1/status", "online").await;

    let heard = json!({"text": "what time is it", "likelihood": 1.0, "seconds": 1.5,
                       "siteId": "kitchen", "sessionId": "s-1", "wakewordId": "porcupine"});
    probe
        .publish("hermes/asr/textCaptured", heard.to_string())
        .await;
    let end = probe.json_on("hermes/dialogueManager/endSession").await;
    assert_eq!(
        end,
        json!({"sessionId": "s-1", "text": "echo: what time is it"})
    );

    // Rhasspy follows the transcription with the intent of the same session: one answer only.
    let intent = json!({"input": "what time is it", "intent": {"intentName": "GetTime"},
                        "siteId": "kitchen", "sessionId": "s-1"});
    probe
        .publish("hermes/intent/GetTime", intent.to_string())
        .await;
    let intent = json!({"input": "lamp on", "intent": {"intentName": "LampOn"}, "siteId": "hall"});
    probe
        .publish("hermes/intent/LampOn", intent.to_string())
        .await;
    let say = probe.json_on("hermes/tts/say").await;
    assert_eq!(say, json!({"text": "echo: lamp on", "siteId": "hall"}));
    assert_eq!(daemon.hub.texts(), ["what time is it", "lamp on"]);
    assert_eq!(
        daemon.hub.requests.lock().unwrap()[0].session,
        "mqtt-kitchen"
    );
    daemon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_online_then_offline_after_shutdown_and_after_a_crash() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/status"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;
    let state = daemon.state.clone();
    assert_eq!(daemon.shutdown().await, Ended::Clean);
    assert!(!state.connected());
    drop(probe);
    // A new subscriber sees what is retained.
    let mut probe = Probe::connect(&broker, "late", &["mirai/h1/status"]).await;
    assert_eq!(probe.next_on("mirai/h1/status").await, b"offline");

    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;
    daemon.kill().await;
    probe.status_is("mirai/h1/status", "offline").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_payloads_are_rejected_and_the_daemon_keeps_answering() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/#"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;

    probe
        .publish("mirai/h1/ask", b"\xff\xfe\x00".to_vec())
        .await;
    let reply = probe.json_on("mirai/h1/reply").await;
    assert_eq!(reply, json!({"id": null, "error": "payload is not UTF-8"}));
    probe
        .publish("mirai/h1/ask", r#"{"id": 3, "lang": "en"}"#)
        .await;
    let reply = probe.json_on("mirai/h1/reply").await;
    assert_eq!(reply, json!({"id": 3, "error": "no text"}));
    probe.publish("mirai/h1/ask", "still there?").await;
    assert_eq!(
        probe.json_on("mirai/h1/reply").await["text"],
        "echo: still there?"
    );

    let state = &daemon.state;
    assert_eq!((state.messages_in(), state.rejected()), (3, 2));
    assert_eq!(daemon.hub.texts(), ["still there?"]);
    daemon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_hub_refuses_beyond_its_limit() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/#"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;
    daemon.hub.hold(true);

    // The front end takes four at a time (answer::MAX_IN_FLIGHT); the fifth is refused at once.
    for i in 0..5 {
        probe
            .publish("mirai/h1/ask", json!({"id": i, "text": "wait"}).to_string())
            .await;
    }
    let refused = probe.json_on("mirai/h1/reply").await;
    assert_eq!(refused["error"], "busy");
    assert_eq!(refused["id"], 4);
    daemon.hub.hold(false);
    let mut ids: Vec<_> = Vec::new();
    for _ in 0..4 {
        ids.push(
            probe.json_on("mirai/h1/reply").await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    ids.sort_unstable();
    assert_eq!(ids, [0, 1, 2, 3]);
    assert_eq!(daemon.state.rejected(), 1);
    daemon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_request_id_acts_once_and_gets_the_same_reply() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/#"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;

    // Sent again after the answer, as a client that missed the PUBACK resends it.
    let ask = json!({"id": "t-1", "text": "act: toggle the hall light"}).to_string();
    probe.publish("mirai/h1/ask", ask.clone()).await;
    let first = probe.next_on("mirai/h1/reply").await;
    probe.publish("mirai/h1/ask", ask).await;
    assert_eq!(probe.next_on("mirai/h1/reply").await, first);
    let first: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(first["actions"].as_array().unwrap().len(), 1);

    // Sent again while the first is still being answered: one turn, two equal replies.
    daemon.hub.hold(true);
    let ask = json!({"id": "t-2", "text": "act: toggle the hall light"}).to_string();
    probe.publish("mirai/h1/ask", ask.clone()).await;
    probe.publish("mirai/h1/ask", ask).await;
    let counted = until(|| daemon.state.duplicates() == 2).await;
    // Released before asserting: a held hub would keep the runtime from ever shutting down.
    daemon.hub.hold(false);
    assert!(counted, "the repeat was not counted within {WAIT:?}");
    let (a, b) = (
        probe.next_on("mirai/h1/reply").await,
        probe.next_on("mirai/h1/reply").await,
    );
    assert_eq!(a, b);
    assert_eq!(serde_json::from_slice::<Value>(&a).unwrap()["id"], "t-2");

    // The same words without an id, or with another id, are asked again on purpose.
    probe
        .publish("mirai/h1/ask", "act: toggle the hall light")
        .await;
    probe.json_on("mirai/h1/reply").await;
    let ask = json!({"id": "t-3", "text": "act: toggle the hall light"});
    probe.publish("mirai/h1/ask", ask.to_string()).await;
    assert_eq!(probe.json_on("mirai/h1/reply").await["id"], "t-3");

    assert_eq!(
        daemon.hub.texts().len(),
        4,
        "t-1, t-2, no id, t-3: once each"
    );
    let state = &daemon.state;
    assert_eq!(
        (state.messages_in(), state.duplicates(), state.rejected()),
        (6, 2, 0)
    );
    assert_eq!(daemon.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_older_than_five_minutes_is_not_acted_on() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/#"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;

    let ten_minutes_ago = unix_ms() - 600_000;
    let ask = json!({"id": "old", "text": "act: hall light on", "ts": ten_minutes_ago});
    probe.publish("mirai/h1/ask", ask.to_string()).await;
    let reply = probe.json_on("mirai/h1/reply").await;
    assert_eq!(reply["id"], "old");
    let error = reply["error"].as_str().unwrap();
    let age: u64 = (error.strip_prefix("this request is "))
        .and_then(|e| e.strip_suffix(" s old; not acted on"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{error}"));
    assert!((600..630).contains(&age), "{error}");

    let ask = json!({"id": "new", "text": "act: hall light on", "ts": unix_ms()});
    probe.publish("mirai/h1/ask", ask.to_string()).await;
    assert_eq!(
        probe.json_on("mirai/h1/reply").await["text"],
        "echo: act: hall light on"
    );
    assert_eq!(daemon.hub.texts(), ["act: hall light on"]);
    assert_eq!(daemon.state.rejected(), 1);
    assert_eq!(daemon.shutdown().await, Ended::Clean);
}

/// Now as Unix milliseconds.
fn unix_ms() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    u64::try_from(now.unwrap().as_millis()).unwrap()
}

/// Waits until `done` holds, for a counter that no message reports: false after `WAIT`.
async fn until(done: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + WAIT;
    while !done() {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_and_resubscribes_after_a_broker_restart() {
    let mut broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/#"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.status_is("mirai/h1/status", "online").await;
    probe.publish("mirai/h1/ask", "before").await;
    assert_eq!(
        probe.json_on("mirai/h1/reply").await["text"],
        "echo: before"
    );

    // The new broker has no sessions: only a resubscribe brings the questions back.
    broker.restart();
    probe.status_is("mirai/h1/status", "online").await;
    probe.publish("mirai/h1/ask", "after").await;
    assert_eq!(probe.json_on("mirai/h1/reply").await["text"], "echo: after");
    assert_eq!(daemon.state.connects(), 2);
    assert_eq!(daemon.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_on_one_broker_answer_only_their_own_topic() {
    let broker = Mosquitto::start();
    let mut probe_a = Probe::connect(&broker, "probe-a", &["mirai/a/#"]).await;
    let mut probe_b = Probe::connect(&broker, "probe-b", &["mirai/b/#"]).await;
    let (a, b) = (
        Daemon::start(&broker, "a", false),
        Daemon::start(&broker, "b", false),
    );
    probe_a.status_is("mirai/a/status", "online").await;
    probe_b.status_is("mirai/b/status", "online").await;

    probe_a.publish("mirai/a/ask", "one").await;
    probe_b.publish("mirai/b/ask", "two").await;
    assert_eq!(probe_a.json_on("mirai/a/reply").await["text"], "echo: one");
    assert_eq!(probe_b.json_on("mirai/b/reply").await["text"], "echo: two");
    assert_eq!(
        (a.hub.texts(), b.hub.texts()),
        (vec!["one".to_owned()], vec!["two".to_owned()])
    );
    assert_eq!(
        (a.shutdown().await, b.shutdown().await),
        (Ended::Clean, Ended::Clean)
    );
}

#[tokio::test]
async fn settings_are_checked_before_connecting() {
    let mut settings = MqttSettings::from_url("mqtt://127.0.0.1:1", "h1").unwrap();
    settings.hub_id = "a/b".to_owned();
    let hub: Arc<dyn Hub> = Arc::new(EchoHub::default());
    let state = Arc::new(MqttState::default());
    let err = mqtt::run(hub, settings, state, std::future::pending())
        .await
        .unwrap_err();
    assert!(matches!(err, MqttError::HubId(_)), "{err}");
}

#[tokio::test]
async fn without_a_broker_it_keeps_trying_and_still_stops_on_request() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let settings = MqttSettings::from_url(&format!("mqtt://127.0.0.1:{port}"), "h1").unwrap();
    let (hub, state) = (Arc::new(EchoHub::default()), Arc::new(MqttState::default()));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(mqtt::run(hub, settings, state.clone(), async move {
        let _ = stopped.await;
    }));
    assert!(!state.connected());
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
    assert_eq!(ended.unwrap(), Ended::Abrupt);
    assert_eq!(state.connects(), 0);
}

/// Where hub `h1` announces itself to Home Assistant.
const HA_CONFIG: &str = "homeassistant/device/mirai_h1/config";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_assistant_discovery_on_connect_and_when_home_assistant_restarts() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "ha", &[HA_CONFIG]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    let config = probe.json_on(HA_CONFIG).await;
    assert_eq!(config["device"]["identifiers"], json!(["mirai_h1"]));
    assert_eq!(config["device"]["name"], "MIRAI h1");
    let components = config["components"].as_object().unwrap();
    let mut platforms: Vec<_> = components.values().map(|c| c["platform"].clone()).collect();
    platforms.sort_by_key(|p| p.to_string());
    let want = [
        "binary_sensor",
        "binary_sensor",
        "button",
        "event",
        "sensor",
        "sensor",
        "sensor",
    ];
    let want: Vec<_> = want
        .iter()
        .chain(&["sensor", "sensor", "switch", "text"])
        .collect();
    assert_eq!(platforms, want.iter().map(|p| json!(p)).collect::<Vec<_>>());
    let ids: std::collections::HashSet<_> = components
        .values()
        .map(|c| c["unique_id"].clone())
        .collect();
    assert_eq!(ids.len(), components.len(), "unique ids are unique");
    assert_eq!(components["ask"]["command_topic"], "mirai/h1/ask");
    assert_eq!(components["cost_today"]["state_topic"], "mirai/h1/state");
    assert_eq!(components["activity"]["state_topic"], "mirai/h1/event");

    // Home Assistant's birth message after a restart asks for the config again.
    probe.publish("homeassistant/status", "online").await;
    assert_eq!(probe.json_on(HA_CONFIG).await, config);
    assert_eq!(daemon.state.messages_in(), 0, "not a question");

    // A late subscriber (Home Assistant starting later) gets it retained.
    let mut late = Probe::connect(&broker, "late-ha", &[HA_CONFIG]).await;
    assert_eq!(late.json_on(HA_CONFIG).await, config);
    assert_eq!(daemon.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_after_each_answer_and_an_event_for_actions() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "ha", &["mirai/h1/#"]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    // Sent on connect, before any request.
    let state = probe.json_on("mirai/h1/state").await;
    assert_eq!(state["tokens_today"], 0);

    probe.publish("mirai/h1/ask", "act: hall light on").await;
    let event = probe.json_on("mirai/h1/event").await;
    assert_eq!(
        (&event["event_type"], &event["actions"]),
        (&json!("action"), &json!(1))
    );
    // A hub without a scheduler: the autonomous switch reads null (off).
    let want = json!({"tokens_today": 100, "cost_today": 0.25, "latency_p95_ms": 42,
                      "breaker": "closed", "model_reachable": true, "autonomous": null});
    assert_eq!(probe.json_on("mirai/h1/state").await, want);
    probe.json_on("mirai/h1/reply").await;

    // No event for a plain answer; the state moves on and is kept for late readers.
    probe.publish("mirai/h1/ask", "what time is it").await;
    probe.json_on("mirai/h1/reply").await;
    let mut late = Probe::connect(&broker, "late-ha", &["mirai/h1/state"]).await;
    assert_eq!(late.json_on("mirai/h1/state").await["tokens_today"], 200);
    assert_eq!(daemon.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregister_clears_the_retained_config() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "ha", &[HA_CONFIG]).await;
    let daemon = Daemon::start(&broker, "h1", false);
    probe.json_on(HA_CONFIG).await;
    assert_eq!(daemon.shutdown().await, Ended::Clean);

    let settings = MqttSettings::from_url(&broker.url(), "h1").unwrap();
    mqtt::unregister(&settings).await.unwrap();
    assert_eq!(probe.next_on(HA_CONFIG).await, b"");
}

#[tokio::test]
async fn unregister_without_discovery_or_broker() {
    let mut settings = MqttSettings::from_url("mqtt://127.0.0.1:1", "h1").unwrap();
    let err = mqtt::unregister(&settings).await.unwrap_err();
    assert!(matches!(err, MqttError::Broker(_)), "{err}");
    settings.discovery_prefix = None;
    mqtt::unregister(&settings).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_replies_come_sentence_by_sentence_before_the_reply() {
    let broker = Mosquitto::start();
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/#"]).await;
    let daemon = Daemon::start_with(&broker, "h1", |s| s.partial_replies = true);
    probe.status_is("mirai/h1/status", "online").await;
    probe
        .publish(
            "mirai/h1/ask",
            r#"{"id": 7, "text": "tell me a story", "site_id": "kitchen"}"#,
        )
        .await;
    let first = probe.json_on("mirai/h1/reply/partial").await;
    assert_eq!(
        first,
        json!({"id": 7, "text": "First part.", "session_id": "mqtt-kitchen", "site_id": "kitchen"})
    );
    assert_eq!(
        probe.json_on("mirai/h1/reply/partial").await["text"],
        "Second part."
    );
    assert_eq!(
        probe.json_on("mirai/h1/reply").await["text"],
        "echo: tell me a story"
    );
    assert_eq!(daemon.shutdown().await, Ended::Clean);
}

/// A home CA and a certificate for 127.0.0.1 signed by it, made with the openssl command.
fn home_ca(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output();
        let out = out.expect("openssl runs (tests/run installs it)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec[..],
        &[
            "-days",
            "2",
            "-subj",
            "/CN=mirai test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ][..],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec[..],
        &[
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ][..],
    ]
    .concat());
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
    let d = dir.display();
    let lines = format!("cafile {d}/ca.pem\ncertfile {d}/server.pem\nkeyfile {d}/server.key\n");
    (dir.join("ca.pem"), lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtts_with_a_home_ca() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, tls_lines) = home_ca(certs.path());
    // The broker may drop root for its own user: let it read the files.
    for entry in std::fs::read_dir(certs.path()).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            entry.unwrap().path(),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    std::fs::set_permissions(
        certs.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    // A second listener with TLS for the daemon; the probe stays on the plain one.
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let broker = Mosquitto::start_with(&format!("listener {tls_port} 127.0.0.1\n{tls_lines}"));
    let mut probe = Probe::connect(&broker, "probe", &["mirai/h1/#"]).await;
    let mut settings =
        MqttSettings::from_url(&format!("mqtts://127.0.0.1:{tls_port}"), "h1").unwrap();
    settings.ca_file = Some(ca);
    let (hub, state) = (Arc::new(EchoHub::default()), Arc::new(MqttState::default()));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(mqtt::run(hub, settings, state.clone(), async move {
        let _ = stopped.await;
    }));
    probe.status_is("mirai/h1/status", "online").await;
    probe.publish("mirai/h1/ask", "over tls").await;
    assert_eq!(
        probe.json_on("mirai/h1/reply").await["text"],
        "echo: over tls"
    );
    stop.send(()).unwrap();
    assert_eq!(
        tokio::time::timeout(WAIT, task)
            .await
            .unwrap()
            .unwrap()
            .unwrap(),
        Ended::Clean
    );
}

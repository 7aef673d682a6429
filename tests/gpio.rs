//! GPIO against the in-memory header: the LED's patterns per hub state on tokio's paused
//! clock, the button's debounce and its action through the real agent, push-to-talk through a
//! real Mosquitto, relays switched through the registry and the safety gate, and the path of a
//! machine without GPIO (these tests run on one).

mod support {
    pub mod mosquitto;
}

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use mirai::agent::{Agent, Request, Source};
use mirai::app::{AgentHub, ButtonAction, press_action};
use mirai::config::{Config, Env, Origin};
use mirai::devices::demo::DemoHouse;
use mirai::devices::gpio::{
    HubLight, MemoryPins, Pins, Pull, Relay, Relays, RppalPins, run_button, run_led,
};
use mirai::devices::{Backend, DeviceError, Registry, ServiceCall};
use mirai::frontends::hub::Hub;
use mirai::frontends::mqtt::{self, MqttSettings, MqttState};
use mirai::llm::budget::MemoryLedger;
use mirai::llm::{Environment, Llm};
use mirai::memory::{Memory, Settings};
use support::mosquitto::{Mosquitto, Probe, WAIT};
use tokio::sync::watch;
use tokio::time::Instant;

const LED: u8 = 17;
const BUTTON: u8 = 27;
/// Relay pins: a pump anyone may switch, a heater the config makes confirm, a gate it denies.
const PUMP: u8 = 22;
const HEATER: u8 = 23;
const GATE: u8 = 24;

fn relays(pins: Arc<MemoryPins>) -> Relays {
    let relay = |pin, name: &str| Relay {
        pin,
        name: name.into(),
        area: Some("garden".into()),
        active_low: true,
    };
    let list = vec![
        relay(PUMP, "Garden pump"),
        relay(HEATER, "Pool heater"),
        relay(GATE, "Garden gate"),
    ];
    Relays::new(pins, list)
}

/// An agent hub over the demo house and the relays on `pins`, a real SQLite file, and no model.
fn hub(pins: &Arc<MemoryPins>, dir: &tempfile::TempDir) -> Arc<AgentHub> {
    let env = Env::from_pairs([("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")]);
    let text = "ethical_filter:\n  actions:\n    \
                - {entity: switch.gpio_23, service: turn_on, decision: confirm}\n    \
                - {entity: switch.gpio_24, decision: deny}\n";
    let config = Config::from_text(text, Origin::Defaults, None, &env).unwrap();
    let memory = Memory::open(&dir.path().join("mirai.db"), &Settings::default()).unwrap();
    let llm = Llm::new(&config, Arc::new(MemoryLedger::new()), Environment::real());
    let mut registry = Registry::new();
    registry.add(Arc::new(DemoHouse::builtin()));
    registry.add(Arc::new(relays(pins.clone())));
    let agent = Agent::new(&config, memory, llm, registry).unwrap();
    let hub = Arc::new(AgentHub::new(Arc::new(agent)));
    hub.set_ready();
    hub
}

/// The levels written to `pin` after `since`, as (milliseconds after `since`, level).
fn writes(pins: &MemoryPins, pin: u8, since: Instant) -> Vec<(u128, bool)> {
    (pins.history(pin).into_iter())
        .filter(|(at, _)| *at >= since)
        .map(|(at, level)| ((at - since).as_millis(), level))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_led_is_steady_when_idle_blinks_when_thinking_and_fast_on_an_error() {
    let pins = Arc::new(MemoryPins::new());
    let state = Arc::new(AtomicU8::new(0));
    let seen = state.clone();
    let light = Arc::new(move || match seen.load(Ordering::SeqCst) {
        0 => HubLight::Idle,
        1 => HubLight::Thinking,
        _ => HubLight::Error,
    });
    let (wake, woken) = watch::channel(0u64);
    let (stop, stopped) = watch::channel(false);
    let poll = Duration::from_secs(1);
    let task = tokio::spawn(run_led(
        pins.clone(),
        LED,
        true,
        light,
        woken,
        poll,
        stopped,
    ));

    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Idle: lit once (active low, so driven low) and left alone.
    assert_eq!(writes(&pins, LED, start), [(0, false)]);

    state.store(1, Ordering::SeqCst);
    wake.send_modify(|n| *n += 1);
    let thinking = Instant::now();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let lit = |ms, on: bool| (ms, !on);
    assert_eq!(
        writes(&pins, LED, thinking),
        [
            lit(0, true),
            lit(500, false),
            lit(1000, true),
            lit(1500, false),
            lit(2000, true)
        ]
    );

    // An error nobody announces (a breaker opening) shows at the next poll, then blinks fast.
    state.store(2, Ordering::SeqCst);
    let error = Instant::now();
    tokio::time::sleep(Duration::from_millis(1350)).await;
    let fast = writes(&pins, LED, error);
    let first = fast[0].0;
    assert!(first <= 1000, "shown within the poll: {fast:?}");
    let gaps: Vec<u128> = fast.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(
        gaps.len() >= 3 && gaps.iter().all(|g| *g == 100),
        "{fast:?}"
    );

    state.store(0, Ordering::SeqCst);
    wake.send_modify(|n| *n += 1);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(pins.output(LED), Some(false), "idle again: lit");
    stop.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(pins.output(LED), Some(true), "dark when the hub stops");
}

#[tokio::test(start_paused = true)]
async fn a_bouncing_press_is_one_press_and_a_glitch_is_none() {
    let pins = Arc::new(MemoryPins::new());
    let presses = Arc::new(AtomicUsize::new(0));
    let counted = presses.clone();
    let on_press = Arc::new(move || {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    let (stop, stopped) = watch::channel(false);
    let debounce = Duration::from_millis(30);
    let p: Arc<dyn Pins> = pins.clone();
    let task = tokio::spawn(run_button(
        p,
        BUTTON,
        true,
        Pull::Up,
        debounce,
        on_press,
        stopped,
    ));
    tokio::time::sleep(Duration::from_millis(1)).await;
    let ms = |n| tokio::time::sleep(Duration::from_millis(n));

    // Pressed (low), with the contact bouncing for 8 ms.
    for level in [false, true, false, true, false] {
        pins.drive(BUTTON, level);
        ms(2).await;
    }
    ms(20).await;
    assert_eq!(
        presses.load(Ordering::SeqCst),
        0,
        "not before the contact settles"
    );
    ms(20).await;
    assert_eq!(presses.load(Ordering::SeqCst), 1);
    // Released, bouncing: a release does nothing.
    for level in [true, false, true] {
        pins.drive(BUTTON, level);
        ms(2).await;
    }
    ms(50).await;
    assert_eq!(presses.load(Ordering::SeqCst), 1);
    // A 5 ms glitch to low settles high: no press.
    pins.drive(BUTTON, false);
    ms(5).await;
    pins.drive(BUTTON, true);
    ms(50).await;
    assert_eq!(presses.load(Ordering::SeqCst), 1);
    // A clean second press.
    pins.drive(BUTTON, false);
    ms(50).await;
    assert_eq!(presses.load(Ordering::SeqCst), 2);
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_press_asks_the_agent_from_source_gpio() {
    let dir = tempfile::tempdir().unwrap();
    let pins = Arc::new(MemoryPins::new());
    let hub = hub(&pins, &dir);
    let action = ButtonAction::Ask("turn on the kitchen light".into());
    let on_press = press_action(hub.clone(), action, None);
    let (_stop, stopped) = watch::channel(false);
    let p: Arc<dyn Pins> = pins.clone();
    let debounce = Duration::from_millis(5);
    tokio::spawn(run_button(
        p,
        BUTTON,
        true,
        Pull::Up,
        debounce,
        on_press,
        stopped,
    ));
    assert_eq!(light_state(&hub), "off");
    // Wait for the watch to be set up: the input exists once it is.
    let deadline = std::time::Instant::now() + WAIT;
    while pins.read(BUTTON).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the button was never watched"
        );
        tokio::task::yield_now().await;
    }
    pins.drive(BUTTON, false);
    // The request is listed once answered.
    while hub.status()["recent_requests"][0].is_null() {
        assert!(
            std::time::Instant::now() < deadline,
            "the press asked nothing"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(light_state(&hub), "on");
    let recent = &hub.status()["recent_requests"][0];
    assert_eq!(recent["source"], "gpio");
    assert_eq!(recent["text"], "turn on the kitchen light");
}

fn light_state(hub: &AgentHub) -> String {
    let devices = hub.devices();
    devices
        .into_iter()
        .find(|e| e.id == "light.kitchen")
        .unwrap()
        .state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_to_talk_publishes_hermes_start_listening() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let pins = Arc::new(MemoryPins::new());
    let hub = hub(&pins, &dir);
    let topics = ["hermes/asr/startListening", "mirai/ptt/status"];
    let mut probe = Probe::connect(&broker, "ptt-probe", &topics).await;
    let settings = MqttSettings::from_url(&broker.url(), "ptt").unwrap();
    let state = Arc::new(MqttState::default());
    let (stop, mut stopped) = watch::channel(false);
    let shutdown = async move {
        let _ = stopped.changed().await;
    };
    let front: Arc<dyn Hub> = hub.clone();
    let task = tokio::spawn(mqtt::run(front, settings, state.clone(), shutdown));
    // The hub is up (a press before MQTT started is logged and dropped).
    probe.status_is("mirai/ptt/status", "online").await;
    let action = ButtonAction::PushToTalk("kitchen".into());
    let on_press = press_action(hub, action, Some(state));
    on_press();
    let heard = probe.json_on("hermes/asr/startListening").await;
    assert_eq!(heard["siteId"], "kitchen");
    assert_eq!(heard["stopOnSilence"], true);
    stop.send(true).unwrap();
    tokio::time::timeout(WAIT, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

fn say(hub: &AgentHub, text: &str) -> mirai::agent::Reply {
    hub.respond(Request::new(text, Source::Cli, "alice", "s1"))
}

#[test]
fn relays_switch_through_the_registry_and_the_safety_gate() {
    let dir = tempfile::tempdir().unwrap();
    let pins = Arc::new(MemoryPins::new());
    let hub = hub(&pins, &dir);
    // Every relay starts off: active low, so driven high.
    for pin in [PUMP, HEATER, GATE] {
        assert_eq!(pins.output(pin), Some(true), "pin {pin}");
    }
    let pump = |hub: &AgentHub| {
        hub.devices()
            .into_iter()
            .find(|e| e.id == "switch.gpio_22")
            .unwrap()
    };
    assert_eq!(pump(&hub).name, "Garden pump");
    assert_eq!(pump(&hub).backend, "gpio");

    let reply = say(&hub, "turn on the garden pump");
    assert_eq!(reply.actions[0].outcome, "done", "{reply:?}");
    assert_eq!(pins.output(PUMP), Some(false), "on is low");
    assert_eq!(pump(&hub).state, "on");
    let reply = say(&hub, "turn off the garden pump");
    assert_eq!(reply.actions[0].outcome, "done", "{reply:?}");
    assert_eq!(pins.output(PUMP), Some(true));

    // The config makes the heater wait for a yes: nothing moves until it comes.
    let reply = say(&hub, "turn on the pool heater");
    assert_eq!(reply.pending_confirmation.len(), 1, "{reply:?}");
    assert_eq!(
        pins.output(HEATER),
        Some(true),
        "not switched before the yes"
    );
    let reply = say(&hub, "yes");
    assert_eq!(reply.actions[0].outcome, "done", "{reply:?}");
    assert_eq!(pins.output(HEATER), Some(false));

    // And denies the gate: the pin is never written again.
    let before = pins.history(GATE).len();
    let reply = say(&hub, "turn on the garden gate");
    assert!(
        reply.actions.iter().all(|a| a.outcome == "denied"),
        "{reply:?}"
    );
    assert_eq!(pins.history(GATE).len(), before);
}

#[test]
fn without_gpio_the_header_does_not_open_and_relays_are_unavailable() {
    // These tests run on a machine without a Raspberry Pi header.
    let err = RppalPins::open().unwrap_err();
    assert!(err.to_string().starts_with("GPIO is unavailable"), "{err}");
    let list = vec![Relay {
        pin: PUMP,
        name: "Garden pump".into(),
        area: None,
        active_low: false,
    }];
    let relays = Relays::unavailable(list, err.to_string());
    assert_eq!(relays.entities()[0].state, "unavailable");
    let call = relays.call(&ServiceCall::new("switch.gpio_22", "turn_on"));
    match call {
        Err(DeviceError::Unavailable { backend, detail }) => {
            assert_eq!(backend, "gpio");
            assert!(detail.contains("GPIO is unavailable"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_hub_light_is_thinking_until_ready_then_idle() {
    let dir = tempfile::tempdir().unwrap();
    let pins = Arc::new(MemoryPins::new());
    let env = Env::from_pairs([("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")]);
    let config = Config::from_text("", Origin::Defaults, None, &env).unwrap();
    let memory = Memory::open(&dir.path().join("mirai.db"), &Settings::default()).unwrap();
    let llm = Llm::new(&config, Arc::new(MemoryLedger::new()), Environment::real());
    let mut registry = Registry::new();
    registry.add(Arc::new(relays(pins)));
    let hub = AgentHub::new(Arc::new(
        Agent::new(&config, memory, llm, registry).unwrap(),
    ));
    let activity = hub.activity();
    assert_eq!(hub.light(), HubLight::Thinking);
    hub.set_ready();
    assert_eq!(hub.light(), HubLight::Idle);
    assert!(activity.has_changed().unwrap(), "ready wakes the LED");
    let mut activity = hub.activity();
    say(&hub, "turn on the garden pump");
    // A request start and end: two changes, seen as one pending change.
    assert!(activity.has_changed().unwrap());
    assert_eq!(
        *activity.borrow_and_update() % 2,
        1,
        "start and end, plus ready"
    );
}

//! The agent in a big house: 2,000 entities over 60 areas behind a back end that answers
//! one entity from an index, a real SQLite file, and the scripted stand-in model on
//! 127.0.0.1. What the model is sent stays small and to the point however big the house.

mod support {
    pub mod house;
    pub mod openai;
}

use std::sync::Arc;

use mirai::agent::{Agent, Reply, Request, Source};
use mirai::config::{Config, Env, Origin};
use mirai::devices::{Domain, Registry};
use mirai::llm::budget::MemoryLedger;
use mirai::llm::{Environment, Llm};
use mirai::memory::{Memory, Settings};
use serde_json::{Value, json};
use support::house::{BigHouse, entity};
use support::openai::{OpenAiServer, Reply as Scripted};

/// The prompt of a device command at most: 2,000 tokens at four bytes a token.
const MAX_PROMPT_BYTES: usize = 8_000;

struct Home {
    agent: Agent,
    house: Arc<BigHouse>,
    _dir: tempfile::TempDir,
}

fn home(server: Option<&OpenAiServer>) -> Home {
    let base = server.map_or("http://127.0.0.1:9/v1".to_owned(), OpenAiServer::base_url);
    let env = Env::from_pairs([
        ("OPENAI_BASE_URL".to_owned(), base),
        (
            "OPENAI_API_KEY".to_owned(),
            "sk-house-test-0123456789abcdef".to_owned(),
        ),
    ]);
    let text = "openai:\n  defaults:\n    max_retries: 0\n";
    let config = Config::from_text(text, Origin::Defaults, None, &env).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::open(&dir.path().join("mirai.db"), &Settings::default()).unwrap();
    let llm = Llm::new(&config, Arc::new(MemoryLedger::new()), Environment::real());
    let house = Arc::new(BigHouse::new());
    let mut registry = Registry::new();
    registry.add(house.clone());
    Home {
        agent: Agent::new(&config, memory, llm, registry).unwrap(),
        house,
        _dir: dir,
    }
}

fn say(home: &Home, text: &str) -> Reply {
    home.agent
        .handle(&Request::new(text, Source::Cli, "alice", "s1"))
}

/// The devices handed to the model as context in a request body.
fn context_devices(body: &Value) -> Vec<String> {
    let context = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool" && m["tool_call_id"] == "context")
        .expect("the context is sent");
    let context: Value = serde_json::from_str(context["content"].as_str().unwrap()).unwrap();
    context["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["entity_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The last tool result in a request body, as JSON.
fn last_tool_result(body: &Value) -> Value {
    let messages = body["messages"].as_array().unwrap();
    let last = messages.iter().rev().find(|m| m["role"] == "tool").unwrap();
    serde_json::from_str(last["content"].as_str().unwrap()).unwrap()
}

#[test]
fn a_device_command_prompt_is_small_and_names_the_target_not_the_house() {
    let server = OpenAiServer::start();
    server.set_default(Scripted::chat_text("Done."));
    let home = home(Some(&server));
    let reply = say(
        &home,
        "turn the upstairs kitchen LED strip to a warm sunset glow",
    );
    assert_eq!(reply.via, "model", "{reply:?}");
    let sent = server.requests();
    assert_eq!(
        sent.len(),
        1,
        "the words make it a device command without a model"
    );
    let body = &sent[0].body;
    let bytes = serde_json::to_string(body).unwrap().len();
    assert!(bytes <= MAX_PROMPT_BYTES, "{bytes} bytes sent");
    let devices = context_devices(body);
    assert_eq!(
        devices[0], "light.upstairs_kitchen_led_strip",
        "{devices:?}"
    );
    assert!(devices.len() <= 12);
    assert!(
        devices
            .iter()
            .all(|d| d.contains("kitchen") || d.contains("led_strip")),
        "only what the words point at: {devices:?}"
    );
    let text = body.to_string();
    assert!(!text.contains("garage_door_sensor") && !text.contains("porch_lamp"));
}

#[test]
fn nothing_named_sends_no_devices() {
    let server = OpenAiServer::start();
    server.set_default(Scripted::chat_text("Sunny."));
    let home = home(Some(&server));
    let reply = say(&home, "what will the weather be like tomorrow?");
    assert_eq!(reply.via, "model", "{reply:?}");
    let body = &server.requests()[0].body;
    assert!(context_devices(body).is_empty());
    assert!(serde_json::to_string(body).unwrap().len() <= MAX_PROMPT_BYTES);
}

#[test]
fn an_entity_added_after_start_is_understood_by_the_local_intents() {
    let home = home(None);
    let before = say(&home, "turn on the orchid grow lamp");
    assert_ne!(before.via, "local_intent", "{before:?}");
    let lamp = entity("Orchid grow lamp", Domain::Light, None, "off", "attic");
    home.house.add(lamp);
    let after = say(&home, "turn on the orchid grow lamp");
    assert_eq!(after.via, "local_intent", "{after:?}");
    let id = "light.orchid_grow_lamp";
    assert_eq!(home.agent.registry().entity(id).unwrap().state, "on");
    assert!(
        after.text.to_lowercase().contains("orchid"),
        "{}",
        after.text
    );
}

#[test]
fn the_tools_find_by_state_read_one_entity_and_call_home_assistant_targets() {
    let server = OpenAiServer::start();
    let call = |id: &str, name: &str, args: Value| {
        Scripted::chat_tool_calls(vec![(id, name, &args.to_string())])
    };
    server.push(call(
        "c1",
        "find_devices",
        json!({"area": "кухня", "domain": "light", "state": "on"}),
    ));
    server.push(call(
        "c2",
        "get_state",
        json!({"entity_id": "sensor.kitchen_temperature"}),
    ));
    server.push(call(
        "c3",
        "call_service",
        json!({"domain": "light", "service": "turn_off",
        "target": {"entity_id": ["light.kitchen_ceiling_light", "light.kitchen_spotlights"]}}),
    ));
    server.push(call(
        "c4",
        "call_service",
        json!({"entity_id": "light.nowhere", "service": "turn_on"}),
    ));
    server.set_default(Scripted::chat_text("The kitchen lights are off."));
    let home = home(Some(&server));
    let reply = say(&home, "turn the cooking area down, it is too bright");
    assert_eq!(reply.via, "model", "{reply:?}");
    let sent = server.requests();
    let found = last_tool_result(&sent[1].body);
    let ids: Vec<&str> = found["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["entity_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "light.kitchen_ceiling_light",
            "light.kitchen_ceiling_light_2",
            "light.kitchen_spotlights",
            "light.kitchen_spotlights_2"
        ],
        "the kitchen's lights that are on"
    );
    let state = last_tool_result(&sent[2].body);
    assert_eq!(state["state"], "21.5");
    let calls = last_tool_result(&sent[3].body);
    assert_eq!(calls["results"].as_array().unwrap().len(), 2, "{calls}");
    assert_eq!(reply.actions.len(), 2);
    assert!(reply.actions.iter().all(|a| a.outcome == "done"));
    let registry = home.agent.registry();
    assert_eq!(
        registry.entity("light.kitchen_spotlights").unwrap().state,
        "off"
    );
    let unknown = last_tool_result(&sent[4].body);
    assert!(
        unknown["error"].as_str().unwrap().contains("light.nowhere"),
        "{unknown}"
    );
}

//! Scenarios against a real Home Assistant (tests/support/home_assistant.rs), in a
//! loopback-only network namespace this binary enters itself (`harness = false`).
//!
//! For now they check the harness: the token, the test entities, areas and aliases, service
//! calls, a restart, and the MQTT integration. Add a bridge scenario as a function taking
//! `&HomeAssistant` (the shared instance) or starting its own, and list it in `SCENARIOS`.

#[path = "support/ha_bridge.rs"]
mod bridge;
mod support {
    pub mod home_assistant;
    pub mod mosquitto;
}

use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use support::home_assistant::runner::{self, Scenario};
use support::home_assistant::{HomeAssistant, Socket};
use support::mosquitto::{Mosquitto, Probe};

const SCENARIOS: &[(&str, Scenario)] = &[
    ("token_opens_the_api", Scenario::Shared(token_opens_the_api)),
    ("test_entities_exist", Scenario::Shared(test_entities_exist)),
    ("areas_and_aliases", Scenario::Shared(areas_and_aliases)),
    (
        "services_change_entities",
        Scenario::Shared(services_change_entities),
    ),
    (
        "stuck_bulb_stays_off",
        Scenario::Shared(stuck_bulb_stays_off),
    ),
    (
        "nothing_installed_at_start",
        Scenario::Shared(nothing_installed_at_start),
    ),
    (
        "restart_keeps_state_and_token",
        Scenario::Own(restart_keeps_state_and_token),
    ),
    (
        "mqtt_integration_loads",
        Scenario::Own(mqtt_integration_loads),
    ),
    (
        "bridge_states_come_with_areas_and_aliases",
        Scenario::Shared(bridge::states_come_with_areas_and_aliases),
    ),
    (
        "bridge_commands_change_real_entities",
        Scenario::Shared(bridge::commands_change_real_entities),
    ),
    (
        "bridge_a_stuck_bulb_is_reported_truthfully",
        Scenario::Shared(bridge::a_stuck_bulb_is_reported_truthfully),
    ),
    (
        "bridge_state_changes_reach_mirai",
        Scenario::Shared(bridge::state_changes_reach_mirai),
    ),
    (
        "bridge_a_wrong_token_is_a_clear_error",
        Scenario::Shared(bridge::a_wrong_token_is_a_clear_error),
    ),
    (
        "bridge_a_restart_of_home_assistant_is_survived",
        Scenario::Own(bridge::a_restart_of_home_assistant_is_survived),
    ),
    (
        "bridge_the_daemon_in_home_assistant",
        Scenario::Own(bridge::the_daemon_in_home_assistant),
    ),
];

fn main() -> ExitCode {
    runner::main(SCENARIOS)
}

fn token_opens_the_api(ha: &HomeAssistant) {
    assert_eq!(ha.get("/api/")["message"], "API running.");
    let mut ws = ha.websocket();
    assert_eq!(
        ws.ok(json!({"type": "auth/current_user"}))["name"],
        "MIRAI Test"
    );
    let (_, answer) = Socket::try_connect(ha.port(), "not-a-token");
    assert_eq!(answer["type"], "auth_invalid");
}

fn test_entities_exist(ha: &HomeAssistant) {
    let expected = [
        ("light.kitchen_light", "Kitchen Light", "off"),
        ("light.living_room_lamp", "Living Room Lamp", "off"),
        ("light.stuck_bulb", "Stuck Bulb", "off"),
        ("switch.coffee_maker", "Coffee Maker", "off"),
        ("sensor.bedroom_temperature", "Bedroom Temperature", "21.5"),
        ("binary_sensor.front_door", "Front Door", "off"),
        ("lock.front_door_lock", "Front Door Lock", "unlocked"),
        ("cover.garage_door", "Garage Door", "closed"),
        ("script.goodnight", "Goodnight", "off"),
    ];
    for (entity_id, name, state) in expected {
        let s = ha.state(entity_id);
        assert_eq!(s["attributes"]["friendly_name"], name, "{s}");
        assert_eq!(s["state"], state, "{s}");
    }
    let temperature = ha.state("sensor.bedroom_temperature")["attributes"].clone();
    assert_eq!(temperature["device_class"], "temperature");
    assert_eq!(temperature["unit_of_measurement"], "°C");
    assert_eq!(
        ha.state("binary_sensor.front_door")["attributes"]["device_class"],
        "door"
    );
    assert_eq!(
        ha.state("cover.garage_door")["attributes"]["device_class"],
        "garage"
    );
    let lamp = ha.state("light.living_room_lamp")["attributes"].clone();
    assert_eq!(
        lamp["supported_color_modes"],
        json!(["brightness"]),
        "{lamp}"
    );
}

fn areas_and_aliases(ha: &HomeAssistant) {
    let mut ws = ha.websocket();
    let areas = ws.ok(json!({"type": "config/area_registry/list"}));
    let mut names: Vec<&str> = areas
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Bedroom", "Garage", "Hallway", "Kitchen", "Living Room"]
    );
    let assigned = [
        ("light.kitchen_light", "kitchen"),
        ("switch.coffee_maker", "kitchen"),
        ("light.living_room_lamp", "living_room"),
        ("light.stuck_bulb", "bedroom"),
        ("sensor.bedroom_temperature", "bedroom"),
        ("binary_sensor.front_door", "hallway"),
        ("lock.front_door_lock", "hallway"),
        ("cover.garage_door", "garage"),
    ];
    for (entity_id, area) in assigned {
        let entry = ws.ok(json!({"type": "config/entity_registry/get", "entity_id": entity_id}));
        assert_eq!(entry["area_id"], area, "{entry}");
    }
    let kitchen =
        ws.ok(json!({"type": "config/entity_registry/get", "entity_id": "light.kitchen_light"}));
    let mut aliases: Vec<&str> = kitchen["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    aliases.sort();
    assert_eq!(aliases, ["Küchenlicht", "свет на кухне"]);
    assert_eq!(
        ha.template("{{ area_name('light.kitchen_light') }}"),
        "Kitchen"
    );
}

fn services_change_entities(ha: &HomeAssistant) {
    let light = json!({"entity_id": "light.kitchen_light"});
    ha.call_service("light", "turn_on", light.clone());
    ha.wait_state("light.kitchen_light", "on");
    assert_eq!(ha.state("input_boolean.kitchen_light")["state"], "on");
    ha.call_service("light", "turn_off", light);
    ha.wait_state("light.kitchen_light", "off");

    let lamp = json!({"entity_id": "light.living_room_lamp", "brightness": 200});
    ha.call_service("light", "turn_on", lamp);
    let lamp = ha.wait_state("light.living_room_lamp", "on");
    assert_eq!(lamp["attributes"]["brightness"], 200, "{lamp}");

    // From Home Assistant's side: the backing helper flips, the template entity follows.
    let door = json!({"entity_id": "input_boolean.front_door"});
    ha.call_service("input_boolean", "turn_on", door.clone());
    ha.wait_state("binary_sensor.front_door", "on");
    ha.call_service("input_boolean", "turn_off", door);
    ha.wait_state("binary_sensor.front_door", "off");

    ha.call_service("lock", "lock", json!({"entity_id": "lock.front_door_lock"}));
    ha.wait_state("lock.front_door_lock", "locked");
    ha.call_service(
        "lock",
        "unlock",
        json!({"entity_id": "lock.front_door_lock"}),
    );
    ha.wait_state("lock.front_door_lock", "unlocked");
    ha.call_service(
        "cover",
        "open_cover",
        json!({"entity_id": "cover.garage_door"}),
    );
    ha.wait_state("cover.garage_door", "open");
    ha.call_service(
        "cover",
        "close_cover",
        json!({"entity_id": "cover.garage_door"}),
    );
    ha.wait_state("cover.garage_door", "closed");
    ha.call_service(
        "switch",
        "turn_on",
        json!({"entity_id": "switch.coffee_maker"}),
    );
    ha.wait_state("switch.coffee_maker", "on");

    ha.call_service("script", "goodnight", json!({}));
    ha.wait_state("light.living_room_lamp", "off");
    ha.call_service(
        "switch",
        "turn_off",
        json!({"entity_id": "switch.coffee_maker"}),
    );
    ha.wait_state("switch.coffee_maker", "off");
}

fn stuck_bulb_stays_off(ha: &HomeAssistant) {
    let (status, _) = ha.request(
        "POST",
        "/api/services/light/turn_on",
        Some(&json!({"entity_id": "light.stuck_bulb"})),
    );
    assert_eq!(status, 200, "the call itself succeeds");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(ha.state("light.stuck_bulb")["state"], "off");
}

fn nothing_installed_at_start(ha: &HomeAssistant) {
    let log = ha.log();
    for bad in [
        "Unable to install package",
        "Setup failed for",
        "Error setting up",
    ] {
        assert!(!log.contains(bad), "HA's log has {bad:?}:\n{log}");
    }
}

fn restart_keeps_state_and_token() {
    let started = Instant::now();
    let mut ha = HomeAssistant::start();
    let rss = ha.rss_kib() / 1024;
    eprintln!(
        "    (start: {:.1} s, RSS {rss} MiB)",
        started.elapsed().as_secs_f64()
    );
    ha.call_service(
        "input_boolean",
        "turn_on",
        json!({"entity_id": "input_boolean.front_door"}),
    );
    ha.wait_state("binary_sensor.front_door", "on");
    let (port, token) = (ha.port(), ha.token().to_owned());
    let started = Instant::now();
    ha.stop();
    let stopped = started.elapsed().as_secs_f64();
    ha.restart();
    let total = started.elapsed().as_secs_f64();
    eprintln!("    (stop: {stopped:.1} s, stop + start: {total:.1} s)");
    assert_eq!((ha.port(), ha.token()), (port, token.as_str()));
    assert_eq!(ha.get("/api/")["message"], "API running.");
    assert_eq!(ha.state("binary_sensor.front_door")["state"], "on");
    assert_eq!(ha.state("input_boolean.front_door")["state"], "on");
    assert_eq!(
        ha.template("{{ area_name('cover.garage_door') }}"),
        "Garage"
    );
}

fn mqtt_integration_loads() {
    let broker = Mosquitto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut probe = rt.block_on(Probe::connect(
        &broker,
        "ha-probe",
        &["homeassistant/status"],
    ));
    let ha = HomeAssistant::start();
    let started = Instant::now();
    ha.add_mqtt(broker.port());
    let flow = started.elapsed().as_secs_f64();
    eprintln!("    (mqtt config flow until loaded: {flow:.1} s)");
    assert_eq!(ha.mqtt_entry()["state"], "loaded");
    // HA's birth message: it is connected to this broker, inside the namespace.
    rt.block_on(probe.status_is("homeassistant/status", "online"));
}

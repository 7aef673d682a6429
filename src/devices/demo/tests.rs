//! Tests of the house as a whole: the built-in file matches the shared spec, calls reach the
//! right device through the back end and the registry, and user files load or are refused.

use std::sync::Arc;

use super::*;
use crate::devices::{Domain, Registry};

/// The shared spec's entities: id, area, device class, state.
const SPEC: &[(&str, &str, Option<&str>, &str)] = &[
    ("light.kitchen", "kitchen", None, "off"),
    ("light.living_room", "living_room", None, "on"),
    ("light.bedroom", "bedroom", None, "off"),
    ("light.hallway", "hallway", None, "off"),
    ("switch.coffee_maker", "kitchen", None, "off"),
    ("fan.bedroom", "bedroom", None, "off"),
    ("climate.thermostat", "living_room", None, "heat"),
    (
        "sensor.kitchen_temperature",
        "kitchen",
        Some("temperature"),
        "22.4",
    ),
    (
        "sensor.bedroom_temperature",
        "bedroom",
        Some("temperature"),
        "19.8",
    ),
    (
        "sensor.outdoor_temperature",
        "outside",
        Some("temperature"),
        "3.5",
    ),
    (
        "sensor.living_room_humidity",
        "living_room",
        Some("humidity"),
        "45",
    ),
    ("binary_sensor.front_door", "hallway", Some("door"), "off"),
    (
        "binary_sensor.hallway_motion",
        "hallway",
        Some("motion"),
        "off",
    ),
    ("lock.front_door", "hallway", None, "locked"),
    ("cover.garage_door", "garage", Some("garage"), "closed"),
    (
        "cover.living_room_blinds",
        "living_room",
        Some("blind"),
        "open",
    ),
    ("media_player.living_room_tv", "living_room", None, "off"),
    ("scene.movie_night", "living_room", None, "scening"),
    ("alarm_control_panel.home", "hallway", None, "disarmed"),
];

fn entity(house: &DemoHouse, id: &str) -> Entity {
    let found = house.entities().into_iter().find(|e| e.id == id);
    found.unwrap_or_else(|| panic!("no {id}"))
}

fn call(house: &DemoHouse, c: ServiceCall) -> Outcome {
    house.call(&c).unwrap_or_else(|e| panic!("{c:?}: {e}"))
}

#[test]
fn the_builtin_house_has_every_entity_of_the_spec_in_its_area() {
    let house = DemoHouse::builtin();
    let entities = house.entities();
    assert_eq!(entities.len(), SPEC.len());
    for &(id, area, class, state) in SPEC {
        let e = entity(&house, id);
        assert_eq!(e.area.as_deref(), Some(area), "{id}");
        assert_eq!(e.device_class.as_deref(), class, "{id}");
        assert_eq!(e.state, state, "{id}");
        assert_eq!(e.backend, "demo", "{id}");
    }
    let areas: Vec<String> = house.areas().into_iter().map(|a| a.id).collect();
    let want = [
        "kitchen",
        "living_room",
        "bedroom",
        "hallway",
        "garage",
        "outside",
    ];
    assert_eq!(areas, want);
}

#[test]
fn the_builtin_house_has_the_specs_names_aliases_and_attributes() {
    let house = DemoHouse::builtin();
    let kitchen = entity(&house, "light.kitchen");
    assert_eq!(kitchen.name, "Kitchen light");
    assert_eq!(
        kitchen.aliases,
        ["kitchen lights", "свет на кухне", "кухонный свет"]
    );
    assert_eq!(
        entity(&house, "light.living_room").attributes["brightness"],
        180
    );
    let t = entity(&house, "climate.thermostat");
    assert_eq!(t.attributes["temperature"], 21);
    assert_eq!(t.attributes["current_temperature"], 20.5);
    assert_eq!(t.attributes["unit_of_measurement"], "°C");
    assert_eq!(
        t.attributes["hvac_modes"],
        serde_json::json!(["off", "heat", "cool", "auto"])
    );
    let humidity = entity(&house, "sensor.living_room_humidity");
    assert_eq!(humidity.attributes["unit_of_measurement"], "%");
    assert_eq!(
        entity(&house, "cover.living_room_blinds").attributes["current_position"],
        100
    );
    assert!(
        entity(&house, "binary_sensor.front_door")
            .aliases
            .is_empty()
    );
    let tv = entity(&house, "media_player.living_room_tv");
    assert_eq!(
        (tv.domain, tv.aliases[0].as_str()),
        (Domain::MediaPlayer, "TV")
    );
    let hallway = house
        .areas()
        .into_iter()
        .find(|a| a.id == "hallway")
        .unwrap();
    assert_eq!(hallway.name, "Hallway");
    assert_eq!(hallway.aliases, ["hall", "коридор", "прихожая"]);
}

#[test]
fn calls_change_the_houses_state_and_the_next_read_sees_it() {
    let house = DemoHouse::builtin();
    let on = ServiceCall::new("light.kitchen", "turn_on").with("brightness_pct", 40);
    assert_eq!(call(&house, on), Outcome::Done { state: "on".into() });
    assert_eq!(
        entity(&house, "light.kitchen").attributes["brightness"],
        102
    );
    call(&house, ServiceCall::new("lock.front_door", "unlock"));
    assert_eq!(entity(&house, "lock.front_door").state, "unlocked");
    call(&house, ServiceCall::new("cover.garage_door", "open_cover"));
    assert_eq!(
        entity(&house, "cover.garage_door").attributes["current_position"],
        100
    );
    call(
        &house,
        ServiceCall::new("alarm_control_panel.home", "alarm_arm_away"),
    );
    assert_eq!(
        entity(&house, "alarm_control_panel.home").state,
        "armed_away"
    );
    // Other entities are untouched.
    assert_eq!(entity(&house, "light.bedroom").state, "off");
}

#[test]
fn errors_name_the_entity() {
    let house = DemoHouse::builtin();
    let err = house
        .call(&ServiceCall::new("light.attic", "turn_on"))
        .unwrap_err();
    assert!(matches!(err, DeviceError::UnknownEntity(ref id) if id == "light.attic"));
    let c = ServiceCall::new("sensor.kitchen_temperature", "turn_off");
    let err = house.call(&c).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sensor.kitchen_temperature cannot turn_off"
    );
    let c = ServiceCall::new("climate.thermostat", "set_hvac_mode").with("hvac_mode", "dry");
    let err = house.call(&c).unwrap_err();
    assert!(matches!(err, DeviceError::BadData(ref m) if m.starts_with("climate.thermostat")));
    assert_eq!(entity(&house, "climate.thermostat").state, "heat");
}

#[test]
fn a_jammed_lock_in_a_users_house_refuses() {
    let text = "areas: {hall: {name: Hall}}\nentities:\n  - id: lock.back_door\n    name: Back door\n    area: hall\n    domain: lock\n    state: locked\n    attributes: {jammed: true}\n";
    let house = DemoHouse::from_str(text, "test").unwrap();
    let out = call(&house, ServiceCall::new("lock.back_door", "unlock"));
    assert_eq!(
        out,
        Outcome::Refused {
            reason: "the lock is jammed".into()
        }
    );
    assert_eq!(entity(&house, "lock.back_door").state, "locked");
}

#[test]
fn a_registry_with_the_demo_finds_entities_and_areas_and_routes_calls() {
    let mut registry = Registry::new();
    registry.add(Arc::new(DemoHouse::builtin()));
    assert_eq!(registry.entities().len(), SPEC.len());
    assert_eq!(registry.entity("fan.bedroom").unwrap().backend, "demo");
    assert!(
        registry
            .areas()
            .iter()
            .any(|a| a.id == "garage" && a.name == "Garage")
    );
    let out = registry
        .call(&ServiceCall::new("fan.bedroom", "toggle"))
        .unwrap();
    assert_eq!(out, Outcome::Done { state: "on".into() });
    assert_eq!(registry.entity("fan.bedroom").unwrap().state, "on");
    let err = registry
        .call(&ServiceCall::new("fan.attic", "toggle"))
        .unwrap_err();
    assert!(matches!(err, DeviceError::UnknownEntity(_)));
}

#[test]
fn from_file_loads_a_users_house_and_names_the_file_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("house.yaml");
    std::fs::write(
        &good,
        "entities:\n  - {id: switch.pump, name: Pump, domain: switch, state: 'off'}\n",
    )
    .unwrap();
    let house = DemoHouse::from_file(&good).unwrap();
    assert_eq!(entity(&house, "switch.pump").name, "Pump");

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "entities:\n  - id: switch.pump\n    name: Pump\n    domain: switch\n    state: 'off'\n    colour: red\n").unwrap();
    let err = DemoHouse::from_file(&bad).unwrap_err().to_string();
    let want = format!(
        "{}:6:5: entity `switch.pump`: unknown field `colour`",
        bad.display()
    );
    assert!(err.starts_with(&want), "{err}");

    let missing = dir.path().join("missing.yaml");
    let err = DemoHouse::from_file(&missing).unwrap_err();
    assert!(matches!(err, DemoError::Read { ref path, .. } if *path == missing));
}

#[test]
fn from_file_refuses_a_file_over_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.yaml");
    let padding = "#".repeat(file::MAX_FILE_BYTES as usize + 1);
    std::fs::write(&huge, padding).unwrap();
    let err = DemoHouse::from_file(&huge).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}

//! Tests of the house as a whole: the built-in file matches the shared spec, calls reach the
//! right device through the back end and the registry, and user files load or are refused.

use std::sync::Arc;

use super::*;
use crate::devices::Registry;

/// One entity of the shared spec (the local-intent parser is tested against the same house).
struct Spec {
    id: &'static str,
    name: &'static str,
    aliases: &'static [&'static str],
    area: &'static str,
    class: Option<&'static str>,
    state: &'static str,
}

const fn spec(
    id: &'static str,
    name: &'static str,
    aliases: &'static [&'static str],
    (area, class, state): (&'static str, Option<&'static str>, &'static str),
) -> Spec {
    Spec {
        id,
        name,
        aliases,
        area,
        class,
        state,
    }
}

#[rustfmt::skip]
const SPEC: &[Spec] = &[
    spec("light.kitchen", "Kitchen light", &["kitchen lights", "свет на кухне", "кухонный свет"], ("kitchen", None, "off")),
    spec("light.living_room", "Living room lamp", &["living room light", "лампа в гостиной", "свет в гостиной"], ("living_room", None, "on")),
    spec("light.bedroom", "Bedroom light", &["свет в спальне"], ("bedroom", None, "off")),
    spec("light.hallway", "Hallway light", &["hall light", "свет в коридоре"], ("hallway", None, "off")),
    spec("switch.coffee_maker", "Coffee maker", &["кофеварка", "coffee machine"], ("kitchen", None, "off")),
    spec("fan.bedroom", "Bedroom fan", &["вентилятор в спальне", "вентилятор"], ("bedroom", None, "off")),
    spec("climate.thermostat", "Thermostat", &["термостат", "heating", "отопление"], ("living_room", None, "heat")),
    spec("sensor.kitchen_temperature", "Kitchen temperature", &["температура на кухне"], ("kitchen", Some("temperature"), "22.4")),
    spec("sensor.bedroom_temperature", "Bedroom temperature", &["температура в спальне"], ("bedroom", Some("temperature"), "19.8")),
    spec("sensor.outdoor_temperature", "Outdoor temperature", &["outside temperature", "температура на улице"], ("outside", Some("temperature"), "3.5")),
    spec("sensor.living_room_humidity", "Living room humidity", &["влажность в гостиной"], ("living_room", Some("humidity"), "45")),
    spec("binary_sensor.front_door", "Front door sensor", &[], ("hallway", Some("door"), "off")),
    spec("binary_sensor.hallway_motion", "Hallway motion", &["движение в коридоре"], ("hallway", Some("motion"), "off")),
    spec("lock.front_door", "Front door lock", &["front door", "замок", "входная дверь", "замок входной двери"], ("hallway", None, "locked")),
    spec("cover.garage_door", "Garage door", &["garage", "гараж", "гаражные ворота", "ворота гаража"], ("garage", Some("garage"), "closed")),
    spec("cover.living_room_blinds", "Living room blinds", &["blinds", "жалюзи", "шторы", "жалюзи в гостиной"], ("living_room", Some("blind"), "open")),
    spec("media_player.living_room_tv", "Living room TV", &["TV", "телевизор", "телик"], ("living_room", None, "off")),
    spec("scene.movie_night", "Movie night", &["кино", "режим кино"], ("living_room", None, "scening")),
    spec("alarm_control_panel.home", "Home alarm", &["alarm", "сигнализация", "охрана"], ("hallway", None, "disarmed")),
];

/// The shared spec's areas: id, name, aliases.
const AREAS: &[(&str, &str, &[&str])] = &[
    ("kitchen", "Kitchen", &["кухня"]),
    ("living_room", "Living room", &["гостиная", "lounge"]),
    ("bedroom", "Bedroom", &["спальня"]),
    ("hallway", "Hallway", &["hall", "коридор", "прихожая"]),
    ("garage", "Garage", &["гараж"]),
    ("outside", "Outside", &["outdoors", "улица"]),
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
    assert_eq!(house.entities().len(), SPEC.len());
    for want in SPEC {
        let e = entity(&house, want.id);
        assert_eq!(e.name, want.name, "{}", want.id);
        assert_eq!(e.aliases, want.aliases, "{}", want.id);
        assert_eq!(e.area.as_deref(), Some(want.area), "{}", want.id);
        assert_eq!(e.domain.as_str(), want.id.split('.').next().unwrap());
        assert_eq!(e.device_class.as_deref(), want.class, "{}", want.id);
        assert_eq!(e.state, want.state, "{}", want.id);
        assert_eq!(e.backend, "demo", "{}", want.id);
    }
    let areas = house.areas();
    assert_eq!(areas.len(), AREAS.len());
    for (area, &(id, name, aliases)) in areas.iter().zip(AREAS) {
        assert_eq!((area.id.as_str(), area.name.as_str()), (id, name));
        assert_eq!(area.aliases, aliases, "{id}");
    }
}

#[test]
fn the_builtin_lights_and_covers_have_the_specs_attributes() {
    let house = DemoHouse::builtin();
    for (id, brightness) in [
        ("light.kitchen", 0),
        ("light.living_room", 180),
        ("light.bedroom", 0),
        ("light.hallway", 0),
    ] {
        assert_eq!(
            entity(&house, id).attributes["brightness"],
            brightness,
            "{id}"
        );
    }
    assert_eq!(
        entity(&house, "cover.garage_door").attributes["current_position"],
        0
    );
    assert_eq!(
        entity(&house, "cover.living_room_blinds").attributes["current_position"],
        100
    );
    // The jammed-lock refusal is for users' houses and tests, never the built-in one.
    assert!(
        house
            .entities()
            .iter()
            .all(|e| !e.attributes.contains_key("jammed"))
    );
}

#[test]
fn the_builtin_thermostat_and_sensors_have_the_specs_attributes() {
    let house = DemoHouse::builtin();
    let t = entity(&house, "climate.thermostat");
    assert_eq!(t.attributes["temperature"], 21);
    assert_eq!(t.attributes["current_temperature"], 20.5);
    assert_eq!(t.attributes["unit_of_measurement"], "°C");
    assert_eq!(
        t.attributes["hvac_modes"],
        serde_json::json!(["off", "heat", "cool", "auto"])
    );
    for id in [
        "sensor.kitchen_temperature",
        "sensor.bedroom_temperature",
        "sensor.outdoor_temperature",
    ] {
        assert_eq!(
            entity(&house, id).attributes["unit_of_measurement"],
            "°C",
            "{id}"
        );
    }
    let humidity = entity(&house, "sensor.living_room_humidity");
    assert_eq!(humidity.attributes["unit_of_measurement"], "%");
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
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert!(cause.contains("larger than"), "{err}: {cause}");
}

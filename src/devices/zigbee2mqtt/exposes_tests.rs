//! The device list of `tests/z2m/devices.json` (shapes from Zigbee2MQTT's "MQTT Topics
//! and Messages" and "Exposes" pages; the exposes of each model as zigbee-herdsman-converters
//! defines it) read into devices, entities, states and `/set` payloads.

use serde_json::{Map, Value, json};

use super::super::command::{self, Want};
use super::super::network::Network;
use super::*;
use crate::devices::ServiceCall;

const DEVICES: &[u8] = include_bytes!("../../../tests/z2m/devices.json");

fn network() -> Network {
    let mut net = Network::default();
    net.set_devices(parse_devices(DEVICES).unwrap().devices);
    net.bridge_online = true;
    net
}

fn map(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn the_list_becomes_entities_without_the_coordinator() {
    let parsed = parse_devices(DEVICES).unwrap();
    let names: Vec<&str> = parsed.devices.iter().map(|d| d.name.as_str()).collect();
    assert!(!names.contains(&"Coordinator"), "{names:?}");
    assert_eq!(parsed.devices.len(), 8);
    assert!(parsed.bad_entries.is_empty());
    let ids: Vec<String> = network().entities(true).into_iter().map(|e| e.id).collect();
    for id in [
        "light.kitchen_ceiling",
        "switch.desk_plug",
        "sensor.desk_plug_power",
        "sensor.desk_plug_energy",
        "sensor.bedroom_climate_temperature",
        "sensor.bedroom_climate_humidity",
        "sensor.bedroom_climate_battery",
        "binary_sensor.hall_motion_occupancy",
        "sensor.hall_motion_illuminance",
        "binary_sensor.front_door_contact",
        "switch.hall_switch_l1",
        "switch.hall_switch_l2",
        "lock.back_door_lock",
        "sensor.back_door_lock_battery",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} missing from {ids:?}");
    }
    // Settings, actions and the radio's link quality are not entities.
    assert!(
        !ids.iter()
            .any(|i| i.contains("linkquality") || i.contains("child_lock"))
    );
    assert!(
        !ids.iter()
            .any(|i| i.contains("effect") || i.contains("power_on"))
    );
}

#[test]
fn light_spec_reads_its_features() {
    let net = network();
    let (_, device, spec) = net.spec("light.kitchen_ceiling").unwrap();
    assert_eq!(device.model.as_deref(), Some("LED1545G12"));
    let Kind::Light(l) = &spec.kind else {
        panic!("{spec:?}")
    };
    assert_eq!(l.brightness, Some(("brightness".into(), 254.0)));
    assert_eq!(l.color_temp, Some(("color_temp".into(), 250.0, 454.0)));
    assert_eq!(l.color.as_deref(), Some("color"));
    assert_eq!(l.state.toggle, Some(json!("TOGGLE")));
}

#[test]
fn partial_updates_merge_and_become_states() {
    let mut net = network();
    let i = net.index("kitchen/ceiling").unwrap();
    net.apply(
        i,
        map(json!({"state": "ON", "brightness": 254, "color_temp": 370})),
    );
    net.apply(i, map(json!({"brightness": 127})));
    let light = net.entity("light.kitchen_ceiling", true).unwrap();
    assert_eq!(light.state, "on");
    assert_eq!(light.attributes["brightness"], json!(128.0));
    assert_eq!(light.attributes["color_temp"], json!(370.0));
    assert_eq!(light.attributes["color_temp_kelvin"], json!(2703.0));
    assert_eq!(light.area.as_deref(), Some("kitchen"));
    assert_eq!(light.name, "kitchen ceiling");
    let t = net.index("bedroom/climate").unwrap();
    net.apply(
        t,
        map(json!({"temperature": 21.5, "humidity": 44.72, "battery": 91})),
    );
    let temp = net
        .entity("sensor.bedroom_climate_temperature", true)
        .unwrap();
    assert_eq!(
        (temp.state.as_str(), temp.device_class.as_deref()),
        ("21.5", Some("temperature"))
    );
    assert_eq!(temp.attributes["unit_of_measurement"], "°C");
    assert_eq!(
        net.entity("sensor.bedroom_climate_battery", true)
            .unwrap()
            .state,
        "91"
    );
    assert_eq!(
        net.entity("sensor.bedroom_climate_pressure", true)
            .unwrap()
            .state,
        "unknown"
    );
}

#[test]
fn contact_true_means_closed_and_offline_means_unavailable() {
    let mut net = network();
    let door = net.index("front door").unwrap();
    net.apply(door, map(json!({"contact": true})));
    let e = net
        .entity("binary_sensor.front_door_contact", true)
        .unwrap();
    assert_eq!(
        (e.state.as_str(), e.device_class.as_deref()),
        ("off", Some("door"))
    );
    net.apply(door, map(json!({"contact": false})));
    assert_eq!(
        net.entity("binary_sensor.front_door_contact", true)
            .unwrap()
            .state,
        "on"
    );
    net.set_available(door, false);
    assert_eq!(
        net.entity("binary_sensor.front_door_contact", true)
            .unwrap()
            .state,
        "unavailable"
    );
    net.set_available(door, true);
    assert_eq!(
        net.entity("binary_sensor.front_door_contact", false)
            .unwrap()
            .state,
        "unavailable"
    );
}

#[test]
fn a_rename_keeps_the_state_and_a_removal_drops_the_entities() {
    let mut net = network();
    let plug = net.index("desk plug").unwrap();
    net.apply(plug, map(json!({"state": "ON", "power": 12.5})));
    let g = net.generation();
    let mut devices = parse_devices(DEVICES).unwrap().devices;
    devices.retain(|d| d.name != "front door");
    let renamed = devices.iter_mut().find(|d| d.name == "desk plug").unwrap();
    let text = String::from_utf8(DEVICES.to_vec())
        .unwrap()
        .replace("\"desk plug\"", "\"office/plug\"");
    *renamed = parse_devices(text.as_bytes())
        .unwrap()
        .devices
        .into_iter()
        .find(|d| d.name == "office/plug")
        .unwrap();
    assert!(net.set_devices(devices.clone()));
    assert!(!net.set_devices(devices), "the same list changes nothing");
    assert!(net.generation() > g);
    assert!(net.entity("switch.desk_plug", true).is_none());
    assert_eq!(net.entity("switch.office_plug", true).unwrap().state, "on");
    assert_eq!(
        net.entity("sensor.office_plug_power", true).unwrap().state,
        "12.5"
    );
    assert!(
        net.entity("binary_sensor.front_door_contact", true)
            .is_none()
    );
    assert!(net.areas().iter().any(|a| a.id == "office"));
}

#[test]
fn bad_lists_are_errors_and_bad_entries_are_named() {
    assert!(parse_devices(b"not json").is_err());
    assert!(parse_devices(b"{\"devices\": []}").is_err());
    let parsed = parse_devices(
        br#"[{"friendly_name": "x"}, 5, {"ieee_address": "0x1", "friendly_name": "lamp",
        "definition": {"exposes": [{"type": "light"}, {"type": "weird"}, 7]}}]"#,
    )
    .unwrap();
    assert_eq!(parsed.bad_entries.len(), 2);
    assert_eq!(parsed.devices.len(), 1);
    assert!(parsed.devices[0].specs.is_empty());
    assert_eq!(parsed.skipped.len(), 3, "{:?}", parsed.skipped);
}

fn plan(net: &Network, call: &ServiceCall) -> (Value, Vec<Want>) {
    let (i, _, spec) = net.spec(&call.entity_id).unwrap();
    let (payload, wants) = command::plan(call, spec, &net.seen(i).values).unwrap();
    (Value::Object(payload), wants)
}

#[test]
fn calls_become_set_payloads() {
    let net = network();
    let dim = ServiceCall::new("light.kitchen_ceiling", "turn_on").with("brightness_pct", 50);
    let (payload, wants) = plan(&net, &dim.with("kelvin", 2700));
    assert_eq!(
        payload,
        json!({"state": "ON", "brightness": 127, "color_temp": 370})
    );
    assert!(wants.contains(&Want::Near("brightness".into(), 127.0, 1.0)));
    let xy =
        ServiceCall::new("light.kitchen_ceiling", "turn_on").with("xy_color", json!([0.3, 0.4]));
    assert_eq!(
        plan(&net, &xy).0,
        json!({"state": "ON", "color": {"x": 0.3, "y": 0.4}})
    );
    let off = ServiceCall::new("switch.hall_switch_l2", "turn_off");
    assert_eq!(plan(&net, &off).0, json!({"state_l2": "OFF"}));
    let toggle = ServiceCall::new("switch.desk_plug", "toggle");
    assert_eq!(plan(&net, &toggle).0, json!({"state": "TOGGLE"}));
    let (payload, wants) = plan(&net, &ServiceCall::new("lock.back_door_lock", "unlock"));
    assert_eq!(payload, json!({"state": "UNLOCK"}));
    assert!(wants[0].met(&map(json!({"lock_state": "unlocked"}))));
    assert!(!wants[0].met(&map(json!({"lock_state": "locked"}))));
}

#[test]
fn bad_calls_are_refused_before_anything_is_sent() {
    let net = network();
    let (i, _, spec) = net.spec("light.kitchen_ceiling").unwrap();
    let values = &net.seen(i).values;
    let too_bright =
        ServiceCall::new("light.kitchen_ceiling", "turn_on").with("brightness_pct", 150);
    assert!(command::plan(&too_bright, spec, values).is_err());
    let text = ServiceCall::new("light.kitchen_ceiling", "turn_on").with("brightness", "max");
    assert!(command::plan(&text, spec, values).is_err());
    let (_, _, sensor) = net.spec("sensor.desk_plug_power").unwrap();
    assert!(
        command::plan(
            &ServiceCall::new("sensor.desk_plug_power", "turn_on"),
            sensor,
            values
        )
        .is_err()
    );
    let (_, _, lock) = net.spec("lock.back_door_lock").unwrap();
    assert!(
        command::plan(
            &ServiceCall::new("lock.back_door_lock", "open_cover"),
            lock,
            values
        )
        .is_err()
    );
}

#[test]
fn slugs_names_and_areas() {
    assert_eq!(slug("Kitchen / Ceiling-Light"), "kitchen_ceiling_light");
    assert_eq!(slug("свет"), "device");
    assert_eq!(
        display_name("kitchen/ceiling_light"),
        "kitchen ceiling light"
    );
    assert_eq!(area_hint("kitchen/ceiling"), Some("kitchen"));
    assert_eq!(area_hint("lamp"), None);
    assert_eq!(area_hint("/lamp"), None);
}

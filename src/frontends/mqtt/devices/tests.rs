use std::collections::BTreeMap;

use super::*;

/// A Z-Wave entity of node 5 as the registry hands it out.
pub(crate) fn entity(id: &str, domain: Domain, state: &str, attrs: &[(&str, Value)]) -> Entity {
    let mut attributes = BTreeMap::from([
        ("node_id".to_owned(), json!(5)),
        ("device_name".to_owned(), json!("Hall")),
    ]);
    attributes.extend(attrs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    Entity {
        id: id.into(),
        name: "Hall".into(),
        aliases: Vec::new(),
        area: None,
        domain,
        device_class: None,
        state: state.into(),
        attributes,
        backend: "zwave".into(),
    }
}

#[test]
fn state_topics_and_a_dimmer_config() {
    let t = DeviceTopics::new("home", Some("homeassistant"));
    let light = entity(
        "light.zwave_5",
        Domain::Light,
        "on",
        &[("brightness", json!(128))],
    );
    let state = "mirai/home/zwave/5/light.zwave_5";
    assert_eq!(t.state(&light).as_deref(), Some(state));
    let configs = t.configs(&light, "mirai/home/zwave/status");
    let [(topic, c)] = configs.as_slice() else {
        panic!("one config: {configs:?}");
    };
    assert_eq!(topic, "homeassistant/light/mirai_home_light_zwave_5/config");
    assert_eq!(c["command_topic"], format!("{state}/set"));
    assert_eq!(
        c["brightness_command_topic"],
        format!("{state}/brightness/set")
    );
    assert_eq!(c["device"]["identifiers"][0], "mirai_home_zwave_5");
    assert_eq!(c["device"]["name"], "Hall");
    assert_eq!(c["device"]["via_device"], "mirai_home");
    assert_eq!(c["availability"][1]["topic"], "mirai/home/zwave/status");
    assert_eq!(state_payload(&light)["attributes"]["brightness"], 128);
    // No prefix: no discovery; no node: no topic at all.
    assert!(
        DeviceTopics::new("home", None)
            .configs(&light, "s")
            .is_empty()
    );
    let mut loose = light.clone();
    loose.attributes.remove("node_id");
    assert_eq!(t.state(&loose), None);
}

#[test]
fn climate_sensor_and_scene_configs() {
    let t = DeviceTopics::new("home", Some("ha"));
    let climate = entity(
        "climate.zwave_5",
        Domain::Climate,
        "heat",
        &[("hvac_modes", json!(["off", "heat"]))],
    );
    let (_, c) = &t.configs(&climate, "s")[0];
    assert_eq!(
        c["mode_command_topic"],
        "mirai/home/zwave/5/climate.zwave_5/mode/set"
    );
    assert_eq!(
        c["temperature_command_topic"],
        "mirai/home/zwave/5/climate.zwave_5/temperature/set"
    );
    assert_eq!(c["modes"], json!(["off", "heat"]));
    let mut power = entity(
        "sensor.zwave_5_power",
        Domain::Sensor,
        "60",
        &[
            ("unit_of_measurement", json!("W")),
            ("state_class", json!("measurement")),
        ],
    );
    power.device_class = Some("power".into());
    let (topic, c) = &t.configs(&power, "s")[0];
    assert_eq!(topic, "ha/sensor/mirai_home_sensor_zwave_5_power/config");
    assert_eq!(
        (
            c["device_class"].as_str(),
            c["unit_of_measurement"].as_str()
        ),
        (Some("power"), Some("W"))
    );
    let scene = entity(
        "sensor.zwave_5_scene",
        Domain::Sensor,
        "1 held",
        &[
            ("event_type", json!("held")),
            ("event_count", json!(3)),
            ("event_types", json!(["pressed", "held"])),
            ("scene", json!(1)),
        ],
    );
    let configs = t.configs(&scene, "s");
    assert_eq!(configs.len(), 2);
    assert_eq!(
        configs[1].0,
        "ha/event/mirai_home_sensor_zwave_5_scene_event/config"
    );
    assert_eq!(
        configs[1].1["state_topic"],
        "mirai/home/zwave/5/sensor.zwave_5_scene/event"
    );
    let event = event_payload(&scene).unwrap();
    assert_eq!(
        event,
        json!({"event_type": "held", "node_id": 5, "scene": 1})
    );
}

#[test]
fn commands_become_service_calls() {
    let base = "mirai/home/zwave/5";
    let call = |topic: &str, payload: &str| command(&format!("{base}/{topic}"), payload.as_bytes());
    assert_eq!(
        call("light.zwave_5/set", "ON"),
        Ok(ServiceCall::new("light.zwave_5", "turn_on"))
    );
    assert_eq!(
        call("switch.zwave_5/set", "OFF"),
        Ok(ServiceCall::new("switch.zwave_5", "turn_off"))
    );
    let dim = ServiceCall::new("light.zwave_5", "turn_on").with("brightness", 128.0);
    assert_eq!(call("light.zwave_5/brightness/set", "128"), Ok(dim));
    let mode = ServiceCall::new("climate.zwave_5", "set_hvac_mode").with("hvac_mode", "cool");
    assert_eq!(call("climate.zwave_5/mode/set", "cool"), Ok(mode));
    let warm = ServiceCall::new("climate.zwave_5", "set_temperature").with("temperature", 21.5);
    assert_eq!(call("climate.zwave_5/temperature/set", " 21.5 "), Ok(warm));
    assert_eq!(
        call("lock.zwave_5/set", "UNLOCK"),
        Ok(ServiceCall::new("lock.zwave_5", "unlock"))
    );
    for (topic, payload, says) in [
        ("light.zwave_5/set", "DIM", "is not a command"),
        ("light.zwave_5/brightness/set", "lots", "is not a number"),
        ("climate.zwave_5/temperature/set", "NaN", "is not a number"),
        ("sensor.zwave_5_power/set", "ON", "is not a command"),
    ] {
        let err = call(topic, payload).unwrap_err();
        assert!(err.contains(says), "{topic} {payload}: {err}");
    }
    assert!(
        command("mirai/home/zwave/5/light.zwave_5/set", &[0xFF])
            .unwrap_err()
            .contains("UTF-8")
    );
}

#[test]
fn command_results_go_beside_the_entity() {
    let base = "mirai/home/zwave/7/climate.zwave_7";
    let result = Some(format!("{base}/result"));
    assert_eq!(result_topic(&format!("{base}/set")), result);
    assert_eq!(result_topic(&format!("{base}/temperature/set")), result);
    assert_eq!(result_topic(base), None);
}

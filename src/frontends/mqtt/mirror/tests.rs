use serde_json::json;

use super::super::devices::DeviceTopics;
use super::*;
use crate::devices::Domain;

fn entity(id: &str, domain: Domain, state: &str) -> Entity {
    let mut e = Entity {
        id: id.into(),
        name: "Hall".into(),
        aliases: Vec::new(),
        area: None,
        domain,
        device_class: None,
        state: state.into(),
        attributes: Default::default(),
        backend: "zwave".into(),
    };
    e.attributes.insert("node_id".into(), json!(5));
    e
}

fn topics(out: &[Out]) -> Vec<&str> {
    out.iter().map(|o| o.topic.as_str()).collect()
}

#[test]
fn only_what_changed_is_sent_and_a_gone_entity_is_cleared() {
    let mut m = Mirror::new(DeviceTopics::new("home", Some("ha")));
    let switch = entity("switch.zwave_5", Domain::Switch, "off");
    let out = m.update("zwave", true, std::slice::from_ref(&switch));
    assert_eq!(
        topics(&out),
        [
            "mirai/home/zwave/status",
            "ha/switch/mirai_home_switch_zwave_5/config",
            "mirai/home/zwave/5/switch.zwave_5"
        ]
    );
    assert!(out.iter().all(|o| o.retain));
    assert_eq!(out[0].payload, "online");
    assert!(
        m.update("zwave", true, std::slice::from_ref(&switch))
            .is_empty(),
        "nothing changed"
    );
    let on = entity("switch.zwave_5", Domain::Switch, "on");
    let out = m.update("zwave", true, std::slice::from_ref(&on));
    assert_eq!(topics(&out), ["mirai/home/zwave/5/switch.zwave_5"]);
    assert!(
        out[0].payload.contains(r#""state":"on""#),
        "{}",
        out[0].payload
    );
    let out = m.update("zwave", false, std::slice::from_ref(&on));
    assert_eq!(
        (topics(&out), out[0].payload.as_str()),
        (vec!["mirai/home/zwave/status"], "offline")
    );
    assert!(m.owns("switch.zwave_5"));
    // Another back end's entities are not this feed's business.
    let mut other = on.clone();
    other.backend = "zigbee".into();
    let out = m.update("zwave", false, &[other]);
    assert_eq!(
        topics(&out),
        [
            "ha/switch/mirai_home_switch_zwave_5/config",
            "mirai/home/zwave/5/switch.zwave_5"
        ]
    );
    assert!(out.iter().all(|o| o.payload.is_empty() && o.retain));
    assert!(!m.owns("switch.zwave_5"));
    m.resync();
    assert_eq!(
        topics(&m.update("zwave", false, &[]))[0],
        "mirai/home/zwave/status"
    );
}

#[test]
fn each_scene_press_is_one_event() {
    let mut m = Mirror::new(DeviceTopics::new("home", None));
    let press = |count: u64| {
        let mut e = entity("sensor.zwave_5_scene", Domain::Sensor, "1 pressed");
        e.attributes.insert("event_type".into(), json!("pressed"));
        e.attributes.insert("event_count".into(), json!(count));
        e
    };
    let events = |out: Vec<Out>| -> Vec<Out> {
        out.into_iter()
            .filter(|o| o.topic.ends_with("/event"))
            .collect()
    };
    let first = events(m.update("zwave", true, &[press(1)]));
    assert_eq!(first.len(), 1);
    assert!(!first[0].retain);
    assert_eq!(first[0].payload, r#"{"event_type":"pressed","node_id":5}"#);
    // A reconnect sends the state again, not the press.
    m.resync();
    assert!(events(m.update("zwave", true, &[press(1)])).is_empty());
    assert_eq!(events(m.update("zwave", true, &[press(2)])).len(), 1);
}

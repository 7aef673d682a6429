use super::*;
use crate::devices::zwave::command_class::{LevelReport, Value};
use crate::devices::zwave::controller::Target;

fn node(id: u8, ccs: &[u8]) -> Node {
    Node {
        id,
        basic: 4,
        generic: 0x10,
        specific: 1,
        listening: true,
        command_classes: ccs.to_vec(),
    }
}

/// The controller, a binary switch, a dimmer and a thermometer with a battery.
fn network() -> Network {
    Network {
        home_id: 0xC0FF_EE07,
        own_node: 1,
        version: "Z-Wave 7.17.99".into(),
        product: (0, 0, 0),
        controller_capabilities: 0,
        nodes: vec![
            node(1, &[]),
            node(2, &[0x25, 0x86]),
            node(3, &[0x26, 0x86]),
            node(4, &[0x31, 0x80]),
        ],
    }
}

fn nodes() -> Nodes {
    let label = Label {
        name: Some("Hall lamp".into()),
        area: Some("living_room".into()),
        kind: Some(Domain::Light),
        ..Label::default()
    };
    let mut nodes = Nodes::new(BTreeMap::from([(2, label)]));
    nodes.set_network(&network());
    nodes
}

/// A report from `node` as its command bytes.
fn bytes(node: u8, hex: &str) -> NodeReport {
    NodeReport {
        node,
        report: crate::devices::zwave::command_class::decode(&crate::devices::zwave::hex(hex))
            .unwrap(),
    }
}

fn level(node: u8, current: u8) -> NodeReport {
    NodeReport {
        node,
        report: Report::MultilevelSwitch(LevelReport {
            current,
            target: None,
            duration: None,
        }),
    }
}

#[test]
fn command_classes_decide_the_entities_and_the_config_names_them() {
    let mut nodes = nodes();
    let ids: Vec<String> = nodes.entities().into_iter().map(|e| e.id).collect();
    // A sensor's entities come with its readings: which types it has is not known before.
    assert_eq!(ids, ["light.zwave_2", "light.zwave_3"]);
    let generation = nodes.generation();
    nodes.apply(&bytes(4, "31 05 01 22 00 D7"));
    assert_ne!(
        nodes.generation(),
        generation,
        "a new entity moves the generation"
    );
    let ids: Vec<String> = nodes.entities().into_iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        [
            "light.zwave_2",
            "light.zwave_3",
            "sensor.zwave_4_temperature"
        ]
    );
    let lamp = nodes.entity("light.zwave_2").unwrap();
    assert_eq!(lamp.name, "Hall lamp");
    assert_eq!(lamp.area.as_deref(), Some("living_room"));
    assert_eq!(lamp.state, "unknown");
    assert_eq!(nodes.entity("light.zwave_3").unwrap().name, "Z-Wave node 3");
    assert_eq!(nodes.areas()[0].name, "Living room");
    assert!(nodes.entity("light.zwave_1").is_none());
    assert!(nodes.entity("light.zwave_x").is_none());
}

#[test]
fn reports_set_state_brightness_temperature_and_battery() {
    let mut nodes = nodes();
    assert!(nodes.apply(&level(3, 50)));
    assert!(!nodes.apply(&level(3, 50)));
    let dimmer = nodes.entity("light.zwave_3").unwrap();
    assert_eq!(dimmer.state, "on");
    assert_eq!(dimmer.attributes["brightness"], json!(129));
    let temp = Value {
        value: 21.5,
        precision: 1,
        scale: 0,
    };
    nodes.apply(&NodeReport {
        node: 4,
        report: Report::SensorMultilevel {
            sensor_type: 1,
            value: temp,
        },
    });
    nodes.apply(&NodeReport {
        node: 4,
        report: Report::Battery { percent: Some(80) },
    });
    let t = nodes.entity("sensor.zwave_4_temperature").unwrap();
    assert_eq!(t.state, "21.5");
    assert_eq!(t.attributes["unit_of_measurement"], json!("°C"));
    assert_eq!(t.attributes["battery_level"], json!(80));
    assert!(
        !nodes.apply(&level(9, 1)),
        "an unknown node changes nothing"
    );
}

fn switch(action: Action) -> Plan {
    match action {
        Action::Switch(plan) => plan,
        other => panic!("not a switch: {other:?}"),
    }
}

#[test]
fn calls_become_levels_and_the_rest_is_refused() {
    let mut nodes = nodes();
    let call = |id: &str, service: &str| ServiceCall::new(id, service);
    let plan = switch(nodes.plan(&call("light.zwave_3", "turn_on")).unwrap());
    assert_eq!((plan.switching, plan.level), (Switching::Dimmer, None));
    assert!(plan.met(42) && !plan.met(0));
    let half = call("light.zwave_3", "turn_on").with("brightness_pct", 50);
    let plan = switch(nodes.plan(&half).unwrap());
    assert_eq!(plan.level, Some(50));
    assert!(plan.met(50) && !plan.met(99));
    let dim = call("light.zwave_3", "turn_on").with("brightness_pct", 0.5);
    assert_eq!(switch(nodes.plan(&dim).unwrap()).level, Some(1));
    let plan = switch(nodes.plan(&call("light.zwave_2", "turn_off")).unwrap());
    assert_eq!(plan.switching.target(plan.level), Target::Switch(false));
    nodes.apply(&level(3, 20));
    assert_eq!(
        switch(nodes.plan(&call("light.zwave_3", "toggle")).unwrap()).level,
        Some(0)
    );
    let too_bright = call("light.zwave_3", "turn_on").with("brightness_pct", 300);
    assert!(matches!(
        nodes.plan(&too_bright),
        Err(DeviceError::BadData(_))
    ));
    nodes.apply(&bytes(4, "31 05 01 22 00 D7"));
    assert!(matches!(
        nodes.plan(&call("sensor.zwave_4_temperature", "turn_on")),
        Err(DeviceError::UnknownService { .. })
    ));
    assert!(matches!(
        nodes.plan(&call("light.zwave_3", "lock")),
        Err(DeviceError::UnknownService { .. })
    ));
    assert!(matches!(
        nodes.plan(&call("light.zwave_9", "turn_on")),
        Err(DeviceError::UnknownEntity(_))
    ));
}

#[test]
fn the_generation_moves_when_nodes_come_and_go_only() {
    let mut nodes = nodes();
    let first = nodes.generation();
    nodes.set_network(&network());
    assert_eq!(nodes.generation(), first);
    let mut fewer = network();
    fewer.nodes.pop();
    nodes.set_network(&fewer);
    assert_ne!(nodes.generation(), first);
    assert_eq!(nodes.len(), 2);
}

#[path = "tests_readings.rs"]
mod readings;

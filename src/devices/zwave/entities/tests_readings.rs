//! Readings from real report bytes (CC spec layouts, annotated byte by byte) into entities.

use super::*;

/// A multisensor (5), a metering plug (6), a thermostat with a thermometer (7), a door lock
/// (8) and a scene controller (9).
fn house() -> Nodes {
    let mut network = network();
    network.nodes.extend([
        node(5, &[0x31, 0x71, 0x80]),
        node(6, &[0x25, 0x32]),
        node(7, &[0x40, 0x43, 0x31]),
        node(8, &[0x62, 0x71]),
        node(9, &[0x5B]),
    ]);
    let mut nodes = Nodes::new(BTreeMap::new());
    nodes.set_network(&network);
    nodes
}

fn entity(nodes: &Nodes, id: &str) -> Entity {
    nodes
        .entity(id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", ids(nodes)))
}

fn ids(nodes: &Nodes) -> Vec<String> {
    nodes.entities().into_iter().map(|e| e.id).collect()
}

#[test]
fn a_multisensor_becomes_one_sensor_per_type_and_binary_sensors_from_notifications() {
    let mut n = house();
    // 31 · 02 Supported Sensor Report · 11 = bits 0 and 4: air temperature and humidity
    n.apply(&bytes(5, "31 02 11"));
    assert_eq!(entity(&n, "sensor.zwave_5_humidity").state, "unknown");
    // 31 · 05 Report · 01 air temperature · 22 = precision 1, °C, size 2 · 00 D7 = 21.5
    n.apply(&bytes(5, "31 05 01 22 00 D7"));
    // 05 humidity · 01 = precision 0, scale 0 (%), size 1 · 2D = 45
    n.apply(&bytes(5, "31 05 05 01 2D"));
    // 03 illuminance · 0A = precision 0, scale 1 (lx), size 2 · 01 F4 = 500
    n.apply(&bytes(5, "31 05 03 0A 01 F4"));
    // 71 · 05 Report · 00 00 v1 · 00 · FF status · 07 home security · 08 motion · 00 no params
    assert!(n.apply(&bytes(5, "71 05 00 00 00 FF 07 08 00")));
    let t = entity(&n, "sensor.zwave_5_temperature");
    assert_eq!(
        (t.state.as_str(), t.device_class.as_deref()),
        ("21.5", Some("temperature"))
    );
    assert_eq!(t.name, "Z-Wave node 5 temperature");
    let h = entity(&n, "sensor.zwave_5_humidity");
    assert_eq!(
        (h.state.as_str(), h.device_class.as_deref()),
        ("45", Some("humidity"))
    );
    assert_eq!(h.attributes["unit_of_measurement"], "%");
    assert_eq!(h.attributes["state_class"], "measurement");
    let lux = entity(&n, "sensor.zwave_5_illuminance");
    assert_eq!(
        (
            lux.state.as_str(),
            lux.attributes["unit_of_measurement"].as_str()
        ),
        ("500", Some("lx"))
    );
    let motion = entity(&n, "binary_sensor.zwave_5_motion");
    assert_eq!(
        (motion.state.as_str(), motion.device_class.as_deref()),
        ("on", Some("motion"))
    );
    // Idle (event 00) with one parameter (01): 08, the motion event that ended.
    assert!(n.apply(&bytes(5, "71 05 00 00 00 FF 07 00 01 08")));
    assert_eq!(entity(&n, "binary_sensor.zwave_5_motion").state, "off");
    // An idle of a state never seen adds nothing: 07 · 00 idle · 01 · 03 tamper.
    n.apply(&bytes(5, "71 05 00 00 00 FF 07 00 01 03"));
    assert!(n.entity("binary_sensor.zwave_5_tamper").is_none());
    // 06 access control · 16 window/door open, then 17 closed; 05 water · 02 leak.
    n.apply(&bytes(5, "71 05 00 00 00 FF 06 16 00"));
    assert_eq!(entity(&n, "binary_sensor.zwave_5_door").state, "on");
    n.apply(&bytes(5, "71 05 00 00 00 FF 06 17 00"));
    assert_eq!(
        entity(&n, "binary_sensor.zwave_5_door")
            .device_class
            .as_deref(),
        Some("door")
    );
    assert_eq!(entity(&n, "binary_sensor.zwave_5_door").state, "off");
    n.apply(&bytes(5, "71 05 00 00 00 FF 05 02 00"));
    assert_eq!(
        entity(&n, "binary_sensor.zwave_5_water_leak")
            .device_class
            .as_deref(),
        Some("moisture")
    );
    // A type MIRAI does not name still shows: 2C · 01 · 07.
    n.apply(&bytes(5, "31 05 2C 01 07"));
    assert_eq!(entity(&n, "sensor.zwave_5_sensor_44").state, "7");
}

#[test]
fn a_metering_plug_shows_energy_and_power() {
    let mut n = house();
    // 32 · 02 Report · 21 = rate 1 (import), electric · 44 = precision 2, scale 0 (kWh),
    // size 4 · 00 00 04 D2 = 1234 → 12.34 · 00 00 no delta time
    n.apply(&bytes(6, "32 02 21 44 00 00 04 D2 00 00"));
    // 34 = precision 1, scale 2 (W), size 4 · 00 00 02 58 = 600 → 60.0
    n.apply(&bytes(6, "32 02 21 34 00 00 02 58 00 00"));
    let energy = entity(&n, "sensor.zwave_6_energy");
    assert_eq!(
        (energy.state.as_str(), energy.device_class.as_deref()),
        ("12.34", Some("energy"))
    );
    assert_eq!(energy.attributes["unit_of_measurement"], "kWh");
    assert_eq!(energy.attributes["state_class"], "total_increasing");
    let power = entity(&n, "sensor.zwave_6_power");
    assert_eq!(
        (
            power.state.as_str(),
            power.attributes["unit_of_measurement"].as_str()
        ),
        ("60", Some("W"))
    );
    assert_eq!(power.attributes["state_class"], "measurement");
    // The same power from Multilevel Sensor (04 power · 01 · 3C = 60 W) stays one entity.
    n.apply(&bytes(6, "31 05 04 01 3C"));
    let count = ids(&n).iter().filter(|id| id.ends_with("_power")).count();
    assert_eq!(count, 1);
}

#[test]
fn central_scene_presses_are_counted_events() {
    let mut n = house();
    assert!(n.entity("sensor.zwave_9_scene").is_none());
    // zwave-js CentralSceneCC.test.ts: 5B · 03 · 07 seq · 85 slow refresh, key 5 · 08 scene
    n.apply(&bytes(9, "5B 03 07 85 08"));
    let s = entity(&n, "sensor.zwave_9_scene");
    assert_eq!(s.state, "8 pressed_4x");
    assert_eq!(
        (
            s.attributes["scene"].as_u64(),
            s.attributes["event_count"].as_u64()
        ),
        (Some(8), Some(1))
    );
    // The same press again (next sequence) is a second event.
    assert!(n.apply(&bytes(9, "5B 03 08 05 08")));
    let s = entity(&n, "sensor.zwave_9_scene");
    assert_eq!(
        (s.state.as_str(), s.attributes["event_count"].as_u64()),
        ("8 pressed_4x", Some(2))
    );
    assert_eq!(s.attributes["event_type"], "pressed_4x");
    // 02 key held down, scene 1.
    n.apply(&bytes(9, "5B 03 09 02 01"));
    assert_eq!(entity(&n, "sensor.zwave_9_scene").state, "1 held");
}

#[test]
fn a_thermostat_is_a_climate_entity_and_its_calls_are_sets() {
    let mut n = house();
    let call = |service: &str| ServiceCall::new("climate.zwave_7", service);
    n.apply(&bytes(7, "40 03 01")); // 40 · 03 Report · 01 heat
    n.apply(&bytes(7, "43 03 01 22 00 D7")); // 43 · 03 · 01 heating · 21.5 °C
    n.apply(&bytes(7, "31 05 01 22 00 D2")); // air temperature 21.0 °C
    let c = entity(&n, "climate.zwave_7");
    assert_eq!(c.state, "heat");
    assert_eq!(c.attributes["temperature"], 21.5);
    assert_eq!(c.attributes["current_temperature"], 21.0);
    assert_eq!(
        c.attributes["hvac_modes"],
        json!(["off", "heat", "cool", "auto"])
    );
    let Action::Climate(plan) = n
        .plan(&call("set_temperature").with("temperature", 22.5))
        .unwrap()
    else {
        panic!("not a climate plan");
    };
    let target = Target::Setpoint {
        setpoint_type: 1,
        value: 22.5,
        scale: 0,
    };
    assert_eq!(
        (plan.node, plan.target, plan.query),
        (7, target, Query::Setpoint(1))
    );
    let back = crate::devices::zwave::command_class::decode(&crate::devices::zwave::hex(
        "43 03 01 22 00 E1",
    ))
    .unwrap();
    assert!(plan.met(&back), "22.5 read back");
    let Action::Climate(plan) = n
        .plan(&call("set_hvac_mode").with("hvac_mode", "cool"))
        .unwrap()
    else {
        panic!("not a climate plan");
    };
    assert_eq!(plan.target, Target::Mode(2));
    assert!(!plan.met(&Report::ThermostatMode { mode: 1 }));
    for bad in [
        call("set_hvac_mode").with("hvac_mode", "sauna"),
        call("set_temperature"),
        call("set_temperature").with("temperature", "warm"),
    ] {
        assert!(
            matches!(n.plan(&bad), Err(DeviceError::BadData(_))),
            "{bad:?}"
        );
    }
    n.apply(&bytes(7, "40 03 02")); // cool
    assert_eq!(entity(&n, "climate.zwave_7").state, "cool");
}

#[test]
fn a_door_lock_shows_its_state_and_refuses_to_be_driven() {
    let mut n = house();
    assert_eq!(entity(&n, "lock.zwave_8").state, "unknown");
    // 62 · 03 Operation Report · FF secured · 00 handles · 01 door closed · 00 00 no timeout
    n.apply(&bytes(8, "62 03 FF 00 01 00 00"));
    let lock = entity(&n, "lock.zwave_8");
    assert_eq!(
        (lock.state.as_str(), lock.attributes["door"].as_str()),
        ("locked", Some("closed"))
    );
    // 00 unsecured · 00 door open
    n.apply(&bytes(8, "62 03 00 00 00 00 00"));
    assert_eq!(entity(&n, "lock.zwave_8").state, "unlocked");
    // 71 · 06 access control · 0B lock jammed
    n.apply(&bytes(8, "71 05 00 00 00 FF 06 0B 00"));
    assert_eq!(entity(&n, "lock.zwave_8").state, "jammed");
    let refused = n.plan(&ServiceCall::new("lock.zwave_8", "lock")).unwrap();
    assert_eq!(refused, Action::Refuse(NO_SECURE_INCLUSION.to_owned()));
    assert!(NO_SECURE_INCLUSION.contains("S0 or S2"));
}

#[test]
fn start_up_reads_every_command_class_and_a_sensor_lists_its_types() {
    let q = queries(&node(7, &[0x40, 0x43, 0x31]));
    assert_eq!(q, [Query::SensorTypes, Query::Mode, Query::Setpoint(1)]);
    let plug = queries(&node(6, &[0x25, 0x32, 0x80]));
    assert_eq!(
        plug,
        [
            Query::Switch,
            Query::Meter(0),
            Query::Meter(2),
            Query::Battery
        ]
    );
    assert_eq!(queries(&node(8, &[0x62])), [Query::DoorLock]);
    let listed = Report::SensorTypes { types: vec![1, 5] };
    let sensor = |sensor_type| Query::Sensor {
        sensor_type,
        scale: 0,
    };
    assert_eq!(
        follow_ups(Query::SensorTypes, Some(&listed)),
        [sensor(1), sensor(5)]
    );
    assert_eq!(follow_ups(Query::SensorTypes, None), [TEMPERATURE]);
    assert!(follow_ups(Query::Mode, None).is_empty());
}

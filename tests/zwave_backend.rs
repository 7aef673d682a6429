//! The Z-Wave back end against the zwave-js mock controller over TCP: the mock's nodes become
//! registry entities with their state read at start-up, calls switch them and report what the
//! node says afterwards, a thermostat takes a setpoint and a mode through the registry, nodes
//! kept in the memory are entities before the stick answers, and a stick that is not there
//! makes the back end unavailable.

mod support {
    pub mod zwave_mock;
}

use std::collections::BTreeMap;
use std::time::Duration;

use mirai::devices::zwave::{BackendSettings, Label, ZwaveBackend, ZwaveSettings};
use mirai::devices::{Backend, DeviceError, Domain, Outcome, Registry, ServiceCall};
use mirai::memory::{Memory, Settings as MemorySettings, ZwaveNodeRow};

use support::zwave_mock::ZwaveMock;

/// The longest start-up may take.
const WAIT: Duration = Duration::from_secs(60);

fn backend(port: &str) -> ZwaveBackend {
    let label = Label {
        name: Some("Hall lamp".into()),
        area: Some("hall".into()),
        kind: Some(Domain::Light),
        ..Label::default()
    };
    let mut zwave = ZwaveSettings::new(port);
    zwave.report_timeout = Duration::from_secs(3);
    ZwaveBackend::start(BackendSettings {
        zwave,
        labels: BTreeMap::from([(2, label)]),
    })
    .unwrap()
}

fn state(b: &ZwaveBackend, id: &str) -> String {
    b.entity(id).unwrap_or_else(|| panic!("no {id}")).state
}

#[test]
fn the_mocks_nodes_become_entities_and_calls_switch_them() {
    let mock = ZwaveMock::start("house.js");
    let b = backend(&mock.url());
    assert!(b.wait_ready(WAIT), "{:?}\n{}", b.status(), mock.log());
    let ids: Vec<String> = b.entities().into_iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        [
            "light.zwave_2",
            "light.zwave_3",
            "sensor.zwave_4_temperature"
        ]
    );
    assert_eq!(b.entity("light.zwave_2").unwrap().name, "Hall lamp");
    assert_eq!(state(&b, "light.zwave_2"), "off");
    assert_eq!(state(&b, "light.zwave_3"), "off");
    assert_eq!(state(&b, "sensor.zwave_4_temperature"), "21.5");
    assert_eq!(b.areas()[0].id, "hall");

    let on = b
        .call(&ServiceCall::new("light.zwave_2", "turn_on"))
        .unwrap();
    assert_eq!(on, Outcome::Done { state: "on".into() });
    assert_eq!(state(&b, "light.zwave_2"), "on");
    let half = ServiceCall::new("light.zwave_3", "turn_on").with("brightness_pct", 50);
    assert_eq!(b.call(&half).unwrap(), Outcome::Done { state: "on".into() });
    let dimmer = b.entity("light.zwave_3").unwrap();
    assert_eq!(dimmer.attributes["level"], 50);
    let off = b
        .call(&ServiceCall::new("light.zwave_3", "toggle"))
        .unwrap();
    assert_eq!(
        off,
        Outcome::Done {
            state: "off".into()
        }
    );
    let back_on = b
        .call(&ServiceCall::new("light.zwave_3", "turn_on"))
        .unwrap();
    assert_eq!(back_on, Outcome::Done { state: "on".into() });

    let sensor = b.call(&ServiceCall::new("sensor.zwave_4_temperature", "turn_on"));
    assert!(matches!(sensor, Err(DeviceError::UnknownService { .. })));
    let nobody = b.call(&ServiceCall::new("light.zwave_9", "turn_on"));
    assert!(matches!(nobody, Err(DeviceError::UnknownEntity(_))));

    // The stick goes away: its entities stay, and acting on them says the stick is gone.
    drop(mock);
    let gone = std::time::Instant::now() + Duration::from_secs(10);
    while b.status().connected && std::time::Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(50));
    }
    let err = b
        .call(&ServiceCall::new("light.zwave_2", "turn_off"))
        .unwrap_err();
    assert!(matches!(err, DeviceError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("not connected"), "{err}");
}

#[test]
fn without_the_stick_calls_are_unavailable_and_say_why() {
    let b = backend("tcp://127.0.0.1:9");
    assert!(!b.wait_ready(Duration::from_millis(300)));
    assert!(b.status().error.is_some(), "{:?}", b.status());
    assert!(b.entities().is_empty());
    // No entity before the stick started: the registry cannot route to it.
    let err = b
        .call(&ServiceCall::new("light.zwave_2", "turn_on"))
        .unwrap_err();
    assert!(matches!(err, DeviceError::UnknownEntity(_)), "{err:?}");
}

fn settings(port: &str) -> BackendSettings {
    let mut zwave = ZwaveSettings::new(port);
    zwave.report_timeout = Duration::from_secs(3);
    BackendSettings {
        zwave,
        labels: BTreeMap::new(),
    }
}

fn memory(path: &std::path::Path) -> Memory {
    Memory::open(path, &MemorySettings::default()).unwrap()
}

#[test]
fn kept_nodes_are_entities_before_the_stick_answers_and_when_it_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirai.db");
    let mock = ZwaveMock::start("house.js");
    let first = ZwaveBackend::start_with(settings(&mock.url()), Some(memory(&db))).unwrap();
    assert!(
        first.wait_ready(WAIT),
        "{:?}\n{}",
        first.status(),
        mock.log()
    );
    assert_eq!(state(&first, "switch.zwave_2"), "off");
    drop(first);
    // The thermometer's listed type is kept, so its sensor is an entity before it answers.
    assert_eq!(memory(&db).zwave_sensor_types().unwrap(), [(4, vec![0x01])]);
    drop(mock);

    // A restart with the stick unplugged: the nodes are there at once, their state unknown.
    let second =
        ZwaveBackend::start_with(settings("tcp://127.0.0.1:9"), Some(memory(&db))).unwrap();
    let ids: Vec<String> = second.entities().into_iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        [
            "switch.zwave_2",
            "light.zwave_3",
            "sensor.zwave_4_temperature"
        ]
    );
    assert!(second.entities().iter().all(|e| e.state == "unavailable"));
    let listed: Vec<u64> = (second.node_list().iter())
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, [2, 3, 4]);
    assert_eq!(second.node_list()[1]["command_classes"][0], 0x26);
    // Acting on one says the stick is not there rather than "no such entity".
    let err = second
        .call(&ServiceCall::new("switch.zwave_2", "turn_on"))
        .unwrap_err();
    assert!(err.to_string().contains("not connected"), "{err}");
}

#[test]
fn a_foreign_row_in_the_memory_is_reported_and_the_back_end_still_starts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirai.db");
    drop(memory(&db));
    let raw = rusqlite::Connection::open(&db).unwrap();
    raw.execute(
        "INSERT INTO zwave_nodes VALUES (7, 1, 4, 16, 1, 1, 'twenty-five', 0)",
        [],
    )
    .unwrap();
    let b = ZwaveBackend::start_with(settings("tcp://127.0.0.1:9"), Some(memory(&db))).unwrap();
    let why = b.status().memory_error.expect("the bad row is reported");
    assert!(
        why.contains("row with id 7") && why.contains("not hex pairs"),
        "{why}"
    );
    assert!(b.entities().is_empty());
    assert_eq!(b.info()["memory_error"], why.as_str());
}

#[test]
fn a_kept_node_keeps_its_classes_until_asked_to_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirai.db");
    // Node 2 as a former run kept it, with a marker class the mock never reports.
    memory(&db)
        .save_zwave_node(&ZwaveNodeRow {
            home_id: 0xC0FF_EE07,
            id: 2,
            classes: [4, 0x10, 1],
            listening: true,
            command_classes: vec![0x25, 0x99],
        })
        .unwrap();
    let mock = ZwaveMock::start("house.js");
    let b = ZwaveBackend::start_with(settings(&mock.url()), Some(memory(&db))).unwrap();
    assert!(b.wait_ready(WAIT), "{:?}\n{}", b.status(), mock.log());
    let classes = |b: &ZwaveBackend| b.node_list()[0]["command_classes"].clone();
    assert_eq!(
        classes(&b),
        serde_json::json!([0x25, 0x99]),
        "not asked again"
    );
    b.refresh().unwrap();
    assert_eq!(
        classes(&b),
        serde_json::json!([0x25, 0x86]),
        "asked when told to"
    );
    let kept = memory(&db).zwave_nodes().unwrap();
    assert_eq!(kept[0].command_classes, [0x25, 0x86]);
    assert_eq!(kept.len(), 3);
}

#[test]
fn a_thermostat_round_trip_through_the_registry() {
    let mock = ZwaveMock::start("devices.js");
    let b = std::sync::Arc::new(backend(&mock.url()));
    assert!(b.wait_ready(WAIT), "{:?}\n{}", b.status(), mock.log());
    let mut registry = Registry::new();
    registry.add(b.clone());
    let climate = || {
        registry
            .entity("climate.zwave_7")
            .expect("a climate entity")
    };
    assert_eq!(climate().attributes["temperature"], 20.0);
    assert_eq!(climate().attributes["current_temperature"], 19.5);
    assert_eq!(climate().backend, "zwave");

    let warmer = ServiceCall::new("climate.zwave_7", "set_temperature").with("temperature", 22.5);
    let done = registry.call(&warmer).unwrap();
    assert!(matches!(done, Outcome::Done { .. }), "{done:?}");
    assert_eq!(climate().attributes["temperature"], 22.5);
    let cool = ServiceCall::new("climate.zwave_7", "set_hvac_mode").with("hvac_mode", "cool");
    assert_eq!(
        registry.call(&cool).unwrap(),
        Outcome::Done {
            state: "cool".into()
        }
    );
    assert_eq!(climate().state, "cool");
    let bad = ServiceCall::new("climate.zwave_7", "set_hvac_mode").with("hvac_mode", "sauna");
    let err = registry.call(&bad).unwrap_err();
    assert!(
        err.to_string().contains("hvac_mode must be one of"),
        "{err}"
    );
    // The plug's meter and the multisensor's readings are entities too.
    assert_eq!(state(&b, "sensor.zwave_6_energy"), "12.34");
    assert_eq!(state(&b, "sensor.zwave_5_humidity"), "45");
}

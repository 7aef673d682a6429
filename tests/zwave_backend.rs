//! The Z-Wave back end against the zwave-js mock controller over TCP: the mock's nodes become
//! registry entities with their state read at start-up, calls switch them and report what the
//! node says afterwards, a thermostat takes a setpoint and a mode through the registry, and a
//! stick that is not there makes the back end unavailable.

mod support {
    pub mod zwave_mock;
}

use std::collections::BTreeMap;
use std::time::Duration;

use mirai::devices::zwave::{BackendSettings, Label, ZwaveBackend, ZwaveSettings};
use mirai::devices::{Backend, DeviceError, Domain, Outcome, Registry, ServiceCall};

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

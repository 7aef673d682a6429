//! The Zigbee back end in the registry, against a Z-Stack chip of our own on a pseudo-terminal
//! (`support/znp_peer.rs`) and a real SQLite memory: a bulb joins and is interviewed, read and
//! set up for reporting; its reports change its entity and are answered; calls become ZCL
//! commands and come back as the state the bulb reads back; a command not delivered or
//! refused is a refusal with its reason; the motion sensor is enrolled as an IAS zone; a device
//! that leaves takes its entities; a restart keeps devices (unavailable until heard); a chip
//! that restarts mid-session is resumed.

mod support {
    pub mod znp_peer;
}

use std::sync::Arc;
use std::time::{Duration, Instant};

use mirai::devices::zigbee::entities::Label;
use mirai::devices::zigbee::{BackendSettings, ResetLine, ZigbeeBackend, ZigbeeSettings};
use mirai::devices::{Backend, Outcome, Registry, ServiceCall};
use mirai::memory::{Memory, Settings};

use support::znp_peer::zcl::report;
use support::znp_peer::{CHIP_IEEE, Device, ZnpPeer, areq, le16};

/// The longest any step may take here.
const WAIT: Duration = Duration::from_secs(20);
const BULB: (u16, u64) = (0x1A2B, 0x0017_8801_0203_0405);
const MOTION: (u16, u64) = (0x5E6F, 0x000D_6F00_0011_2233);
const LIGHT: &str = "light.zigbee_02030405";

fn settings(peer: &ZnpPeer) -> BackendSettings {
    let mut z = ZigbeeSettings::new(peer.path());
    z.reset = ResetLine::None;
    z.channel = 20;
    z.timeouts.sreq = Duration::from_secs(2);
    z.timeouts.zdo = Duration::from_secs(2);
    z.timeouts.data_confirm = Duration::from_secs(2);
    let mut s = BackendSettings::new(z);
    s.answer_timeout = Duration::from_secs(5);
    s.labels.insert(
        BULB.1,
        Label {
            name: Some("Kitchen light".into()),
            area: Some("kitchen".into()),
            ..Label::default()
        },
    );
    s
}

fn memory(dir: &tempfile::TempDir) -> Memory {
    Memory::open(&dir.path().join("memory.db"), &Settings::default()).unwrap()
}

fn start(peer: &ZnpPeer, dir: &tempfile::TempDir) -> Arc<ZigbeeBackend> {
    let backend = ZigbeeBackend::start(settings(peer), Some(memory(dir))).unwrap();
    assert!(backend.wait_started(WAIT), "{:?}", backend.status());
    Arc::new(backend)
}

/// Waits on the back end's change feed until `check` holds.
fn wait_until(b: &ZigbeeBackend, what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    let mut rx = b.changes().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    while !check() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "never: {what}");
        let _ = rt.block_on(async { tokio::time::timeout(left, rx.changed()).await });
    }
}

/// Waits until `entity_id` satisfies `done`.
fn wait_entity(b: &ZigbeeBackend, entity_id: &str, done: impl Fn(&mirai::devices::Entity) -> bool) {
    wait_until(b, entity_id, || {
        b.entity(entity_id).as_ref().is_some_and(&done)
    });
    let _ = b.entity(entity_id);
}

/// Waits until `check` holds of the played chip, which changes only on the host's frames.
fn wait_peer(peer: &ZnpPeer, what: &str, check: impl Fn(&ZnpPeer) -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check(peer) {
        assert!(Instant::now() < deadline, "the peer never saw {what}");
        peer.wait_next_frame(Duration::from_millis(200));
    }
}

fn joined_bulb(peer: &ZnpPeer, b: &ZigbeeBackend) {
    peer.join(Device::bulb(BULB.0, BULB.1));
    // Set up: Basic read, then the bulb's On/Off read as on, named from the config.
    wait_entity(b, LIGHT, |e| {
        e.state == "on"
            && e.name == "Kitchen light"
            && e.attributes.get("model").and_then(|m| m.as_str()) == Some("LCT015")
    });
}

#[test]
fn a_bulb_joins_is_set_up_reports_and_answers_calls() {
    let peer = ZnpPeer::start();
    let dir = tempfile::tempdir().unwrap();
    let b = start(&peer, &dir);
    joined_bulb(&peer, &b);
    // Bindings and Configure Reporting for On/Off, Level and Color reached the chip.
    for cluster in [0x0006u16, 0x0008, 0x0300] {
        peer.wait_for("a bind", |f| {
            f.subsystem == 0x05 && f.id == 0x21 && f.data[11..13] == le16(cluster)[..]
        });
        peer.wait_zcl(BULB.0, "configure reporting", |ep, c, z| {
            ep == 11 && c == cluster && z[0] & 0x03 == 0 && z[2] == 0x06
        });
    }
    // A report changes the entity, and the hub answers it with a Default Response.
    peer.send_af_incoming(BULB.0, 11, 0x0006, &report(0x40, 0x0000, 0x10, &[0]));
    wait_entity(&b, LIGHT, |e| e.state == "off");
    let answer = peer.wait_zcl(BULB.0, "a default response", |_, c, z| {
        c == 0x0006 && z[1] == 0x40 && z[2] == 0x0B
    });
    assert_eq!(answer[3..], [0x0A, 0x00]);
    // A call: On/Off On on the air, then the state the bulb reads back.
    let mut registry = Registry::new();
    registry.add(b.clone());
    let on = registry.call(&ServiceCall::new(LIGHT, "turn_on")).unwrap();
    assert_eq!(on, Outcome::Done { state: "on".into() });
    peer.wait_zcl(BULB.0, "On/Off On", |_, c, z| {
        c == 0x0006 && z[0] & 0x03 == 1 && z[2] == 0x01
    });
    assert_eq!(peer.attribute(BULB.1, 11, 0x0006, 0x0000), Some(vec![1]));
    let dim = ServiceCall::new(LIGHT, "turn_on").with("brightness_pct", 50);
    assert_eq!(
        registry.call(&dim).unwrap(),
        Outcome::Done { state: "on".into() }
    );
    assert_eq!(peer.attribute(BULB.1, 11, 0x0008, 0x0000), Some(vec![127]));
    wait_entity(&b, LIGHT, |e| {
        e.attributes.get("brightness") == Some(&128.into())
    });
    // The kitchen area comes from the config.
    assert_eq!(b.areas()[0].id, "kitchen");
}

#[test]
fn a_command_not_delivered_or_refused_is_a_refusal_with_its_reason() {
    let peer = ZnpPeer::start();
    let dir = tempfile::tempdir().unwrap();
    let b = start(&peer, &dir);
    joined_bulb(&peer, &b);
    peer.chip().delivery_status = 0xE9;
    let off = ServiceCall::new(LIGHT, "turn_off");
    let Outcome::Refused { reason } = b.call(&off).unwrap() else {
        panic!("an undelivered command was taken as done");
    };
    assert!(
        reason.contains("Kitchen light did not get the command")
            && reason.contains("did not acknowledge (MAC)")
            && reason.contains("0xE9"),
        "{reason}"
    );
    assert_eq!(b.entity(LIGHT).unwrap().state, "on");
    peer.chip().delivery_status = 0;
    peer.chip().refuse_commands = Some(0x01);
    let Outcome::Refused { reason } = b.call(&off).unwrap() else {
        panic!("a refused command was taken as done");
    };
    assert!(
        reason.contains("refused the command: FAILURE (0x01)"),
        "{reason}"
    );
    peer.chip().refuse_commands = None;
    assert_eq!(
        b.call(&off).unwrap(),
        Outcome::Done {
            state: "off".into()
        }
    );
}

#[test]
fn the_motion_sensor_is_enrolled_and_its_alarms_show() {
    let peer = ZnpPeer::start();
    let dir = tempfile::tempdir().unwrap();
    let b = start(&peer, &dir);
    peer.join(Device::motion_sensor(MOTION.0, MOTION.1));
    // The CIE address written is the coordinator's, then the zone is enrolled as zone 23.
    let cie = peer.wait_zcl(MOTION.0, "the CIE address", |_, c, z| {
        c == 0x0500 && z[2] == 0x02
    });
    assert_eq!(cie[3..6], [0x10, 0x00, 0xF0]);
    assert_eq!(cie[6..14], CHIP_IEEE.to_le_bytes());
    wait_peer(&peer, "the enrollment", |p| {
        p.chip().devices[0].enrolled == Some(23)
    });
    let motion = "binary_sensor.zigbee_00112233_motion";
    wait_entity(&b, motion, |e| {
        e.state == "off" && e.device_class.as_deref() == Some("motion")
    });
    // A zone that asks is answered with its own TSN.
    let ask = [0x19, 0x55, 0x01, 0x0D, 0x00, 0x37, 0x10];
    peer.send_af_incoming(MOTION.0, 1, 0x0500, &ask);
    let answer = peer.wait_zcl(MOTION.0, "an enroll response", |_, c, z| {
        c == 0x0500 && z[1] == 0x55
    });
    assert_eq!(answer[2..], [0x00, 0x00, 23]);
    // Alarm 1 set: motion.
    let change = [0x19, 0x56, 0x00, 0x01, 0x00, 0x00, 23, 0x00, 0x00];
    peer.send_af_incoming(MOTION.0, 1, 0x0500, &change);
    wait_entity(&b, motion, |e| e.state == "on");
    wait_entity(&b, "binary_sensor.zigbee_00112233_occupancy", |e| {
        e.state == "off"
    });
}

#[test]
fn a_device_that_leaves_takes_its_entities_and_restarts_keep_the_others() {
    let peer = ZnpPeer::start();
    let dir = tempfile::tempdir().unwrap();
    let b = start(&peer, &dir);
    joined_bulb(&peer, &b);
    peer.join(Device::motion_sensor(MOTION.0, MOTION.1));
    let motion = "binary_sensor.zigbee_00112233_occupancy";
    wait_entity(&b, motion, |e| e.state == "off");
    let mut left = le16(MOTION.0);
    left.extend(MOTION.1.to_le_bytes());
    left.extend([0, 0, 0]);
    peer.send(&areq(0x05, 0xC9, left));
    wait_until(&b, "the sensor's entities gone", || {
        b.entity(motion).is_none()
    });
    // Wait for the bulb's set-up to be kept, then restart.
    wait_until(&b, "the bulb set up", || b.devices().iter().all(|d| d.2));
    drop(b);
    let kept = memory(&dir).zigbee_devices().unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].interviewed && kept[0].model.as_deref() == Some("LCT015"));
    let b = start(&peer, &dir);
    assert_eq!(b.entity(LIGHT).unwrap().state, "unavailable");
    assert_eq!(b.entity(LIGHT).unwrap().name, "Kitchen light");
    // Heard again: its state, and no second interview.
    let interviews = peer.requests(0x05, 0x05).len();
    peer.send_af_incoming(BULB.0, 11, 0x0006, &report(0x41, 0x0000, 0x10, &[1]));
    wait_entity(&b, LIGHT, |e| e.state == "on");
    assert_eq!(peer.requests(0x05, 0x05).len(), interviews);
}

#[test]
fn a_chip_that_restarts_mid_session_is_resumed_and_calls_work_again() {
    let peer = ZnpPeer::start();
    let dir = tempfile::tempdir().unwrap();
    let b = start(&peer, &dir);
    joined_bulb(&peer, &b);
    peer.reset_unprompted();
    // The host resumes the network: the chip a coordinator again, endpoint 1 registered.
    wait_peer(&peer, "the network resumed", |p| {
        let chip = p.chip();
        chip.state == 9 && chip.registered.contains(&1)
    });
    assert!(b.wait_for(WAIT, |s| s.connected && s.error.is_none()));
    let off = b.call(&ServiceCall::new(LIGHT, "turn_off")).unwrap();
    assert_eq!(
        off,
        Outcome::Done {
            state: "off".into()
        }
    );
}

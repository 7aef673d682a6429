use serde_json::json;

use super::*;
use crate::devices::zigbee::device::Device;
use crate::devices::zigbee::zcl::{Frame, Reading};
use crate::devices::{DeviceError, ServiceCall};

fn device(ieee: u64, manufacturer: &str, model: &str, endpoints: Vec<Endpoint>) -> Device {
    let mut d = Device::new(ieee, 0x1234);
    d.manufacturer = Some(manufacturer.into());
    d.model = Some(model.into());
    d.endpoints = endpoints;
    d
}

fn ep(id: u8, device_id: u16, in_clusters: &[u16]) -> Endpoint {
    Endpoint {
        id,
        profile: 0x0104,
        device_id,
        in_clusters: in_clusters.to_vec(),
        out_clusters: vec![0x0019],
    }
}

/// A Philips-like white ambiance bulb: on/off, level, color temperature.
fn bulb() -> Device {
    let clusters = [0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0008, 0x0300];
    device(
        0x0017_8801_0A1B_2C3D,
        "Signify Netherlands B.V.",
        "LTA001",
        vec![ep(11, 0x010C, &clusters)],
    )
}

fn by_id(device: &Device, label: &Label) -> BTreeMap<String, Entity> {
    entities(device, label)
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect()
}

fn report(d: &mut Device, ep: u8, cluster: u16, bytes: &[u8]) {
    d.receive(ep, cluster, &Frame::parse(bytes).unwrap(), 0x17)
        .unwrap();
}

fn call(id: &str, service: &str) -> ServiceCall {
    ServiceCall::new(id, service)
}

fn encoded(requests: &[Request]) -> Vec<(u8, u16, Vec<u8>)> {
    requests
        .iter()
        .map(|r| (r.endpoint, r.cluster, r.frame.encode()))
        .collect()
}

#[test]
fn a_bulb_is_a_light_with_brightness_and_color_temperature() {
    let mut d = bulb();
    let lights = by_id(&d, &Label::default());
    let light = &lights["light.zigbee_0a1b2c3d"];
    assert_eq!(lights.len(), 1);
    assert_eq!(light.name, "Signify Netherlands B.V. LTA001");
    assert_eq!(light.state, "unknown");
    assert_eq!(
        light.attributes["supported_color_modes"],
        json!(["color_temp"])
    );
    assert_eq!(light.attributes["ieee"], json!("0x001788010a1b2c3d"));
    // Reports: on, level 254, 370 mireds in color temperature mode.
    report(&mut d, 11, 0x0006, &[0x18, 1, 0x0A, 0, 0, 0x10, 1]);
    report(&mut d, 11, 0x0008, &[0x18, 2, 0x0A, 0, 0, 0x20, 0xFE]);
    report(
        &mut d,
        11,
        0x0300,
        &[0x18, 3, 0x0A, 7, 0, 0x21, 0x72, 0x01, 8, 0, 0x30, 2],
    );
    let light = &by_id(&d, &Label::default())["light.zigbee_0a1b2c3d"];
    assert_eq!(light.state, "on");
    assert_eq!(light.attributes["brightness"], json!(255));
    assert_eq!(light.attributes["color_temp"], json!(370));
    assert_eq!(light.attributes["color_temp_kelvin"], json!(2703));
    assert_eq!(light.attributes["color_mode"], json!("color_temp"));
    report(&mut d, 11, 0x0006, &[0x18, 4, 0x0A, 0, 0, 0x10, 0]);
    assert_eq!(
        by_id(&d, &Label::default())["light.zigbee_0a1b2c3d"].state,
        "off"
    );
}

#[test]
fn light_calls_become_zcl_commands() {
    let d = bulb();
    let l = Label::default();
    let id = "light.zigbee_0a1b2c3d";
    let on = call(id, "turn_on")
        .with("brightness_pct", 50)
        .with("kelvin", 2700)
        .with("transition", 1.5);
    assert_eq!(
        encoded(&plan(&d, &l, &on).unwrap()),
        [
            (11, 0x0008, vec![0x01, 0, 0x04, 127, 15, 0]),
            (11, 0x0300, vec![0x01, 0, 0x0A, 0x72, 0x01, 15, 0]),
        ]
    );
    let plain = plan(&d, &l, &call(id, "turn_on")).unwrap();
    assert_eq!(encoded(&plain), [(11, 0x0006, vec![0x01, 0, 0x01])]);
    let bright = plan(
        &d,
        &l,
        &call(id, "turn_on")
            .with("brightness", 255)
            .with("color_temp", 250),
    )
    .unwrap();
    assert_eq!(bright[0].frame.payload, [254, 0, 0]);
    assert_eq!(bright[1].frame.payload, [250, 0, 0, 0]);
    let off = plan(&d, &l, &call(id, "turn_off")).unwrap();
    assert_eq!(encoded(&off), [(11, 0x0006, vec![0x01, 0, 0x00])]);
    let fade = plan(&d, &l, &call(id, "turn_off").with("transition", 2)).unwrap();
    assert_eq!(
        encoded(&fade),
        [(11, 0x0008, vec![0x01, 0, 0x04, 0, 20, 0])]
    );
    let toggle = plan(&d, &l, &call(id, "toggle")).unwrap();
    assert_eq!(encoded(&toggle), [(11, 0x0006, vec![0x01, 0, 0x02])]);
}

#[test]
fn bad_light_calls_say_why() {
    let d = bulb();
    let l = Label::default();
    let id = "light.zigbee_0a1b2c3d";
    let bad = |c: ServiceCall| match plan(&d, &l, &c) {
        Err(DeviceError::BadData(why)) => why,
        other => panic!("{c:?} gave {other:?}"),
    };
    assert_eq!(
        bad(call(id, "turn_on").with("brightness_pct", 300)),
        "brightness_pct must be a number from 0 to 100, got 300"
    );
    assert!(bad(call(id, "turn_on").with("xy_color", json!([0.3, 0.3]))).contains("no xy color"));
    assert!(
        bad(call(id, "turn_on").with("rgb_color", json!([255, 0, 0])))
            .contains("cannot take rgb_color; it takes brightness")
    );
    assert!(
        bad(call(id, "turn_on")
            .with("brightness", 9)
            .with("brightness_pct", 9))
        .contains("not both")
    );
    assert!(matches!(
        plan(&d, &l, &call(id, "lock")),
        Err(DeviceError::UnknownService { .. })
    ));
    let missing = plan(&d, &l, &call("light.zigbee_00000000", "turn_on"));
    assert!(matches!(missing, Err(DeviceError::UnknownEntity(_))));
}

#[test]
fn an_extended_color_light_takes_xy() {
    let d = device(
        0x0017_8801_0000_0001,
        "Signify Netherlands B.V.",
        "LCT015",
        vec![ep(11, 0x010D, &[6, 8, 0x300])],
    );
    let id = "light.zigbee_00000001";
    let xy = call(id, "turn_on").with("xy_color", json!([0.5, 1.0]));
    let sent = plan(&d, &Label::default(), &xy).unwrap();
    assert_eq!(
        encoded(&sent)[1],
        (
            11,
            0x0300,
            vec![0x01, 0, 0x07, 0x00, 0x80, 0xFF, 0xFE, 0, 0]
        )
    );
    let modes = &by_id(&d, &Label::default())[id].attributes["supported_color_modes"];
    assert_eq!(*modes, json!(["color_temp", "xy"]));
}

#[test]
fn a_plug_is_a_switch() {
    let mut d = device(
        0x000D_6F00_1122_3344,
        "IKEA of Sweden",
        "TRADFRI control outlet",
        vec![ep(1, 0x010A, &[0, 3, 4, 5, 6, 8])],
    );
    let e = &by_id(&d, &Label::default())["switch.zigbee_11223344"];
    assert_eq!(e.device_class.as_deref(), Some("outlet"));
    report(&mut d, 1, 6, &[0x18, 1, 0x0A, 0, 0, 0x10, 1]);
    assert_eq!(
        by_id(&d, &Label::default())["switch.zigbee_11223344"].state,
        "on"
    );
    let on = plan(
        &d,
        &Label::default(),
        &call("switch.zigbee_11223344", "turn_on"),
    )
    .unwrap();
    assert_eq!(encoded(&on), [(1, 6, vec![0x01, 0, 0x01])]);
    let dim = plan(
        &d,
        &Label::default(),
        &call("switch.zigbee_11223344", "turn_on").with("brightness", 9),
    );
    assert!(matches!(dim, Err(DeviceError::BadData(why)) if why.contains("takes no data")));
    // The config can make it a light, and name it.
    let label = Label {
        name: Some("Desk lamp".into()),
        kind: Some(Domain::Light),
        ..Label::default()
    };
    let e = &by_id(&d, &label)["light.zigbee_11223344"];
    assert_eq!(e.name, "Desk lamp");
}

#[test]
fn a_two_gang_switch_numbers_its_second_endpoint() {
    let d = device(
        0xA4C1_3800_0000_0042,
        "_TZ3000",
        "TS0002",
        vec![ep(1, 0x0100, &[6]), ep(2, 0x0100, &[6])],
    );
    let ids: Vec<String> = entities(&d, &Label::default())
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, ["light.zigbee_00000042", "light.zigbee_00000042_2"]);
    let sent = plan(
        &d,
        &Label::default(),
        &call("light.zigbee_00000042_2", "turn_off"),
    )
    .unwrap();
    assert_eq!(sent[0].endpoint, 2);
    assert_eq!(short_of("light.zigbee_00000042_2"), Some(0x42));
}

/// An Aqara-like temperature / humidity sensor with a battery.
#[test]
fn a_climate_sensor_has_temperature_humidity_and_battery() {
    let mut d = device(
        0x0015_8D00_0102_0304,
        "LUMI",
        "lumi.weather",
        vec![ep(1, 0x5F01, &[0, 1, 3, 0x402, 0x405])],
    );
    report(&mut d, 1, 0x402, &[0x18, 1, 0x0A, 0, 0, 0x29, 0x66, 0x08]);
    report(&mut d, 1, 0x405, &[0x18, 2, 0x0A, 0, 0, 0x21, 0xC6, 0x11]);
    report(
        &mut d,
        1,
        0x001,
        &[0x18, 3, 0x0A, 0x20, 0, 0x20, 30, 0x21, 0, 0x20, 181],
    );
    let all = by_id(&d, &Label::default());
    let ids: Vec<&str> = all.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "sensor.zigbee_01020304_battery",
            "sensor.zigbee_01020304_humidity",
            "sensor.zigbee_01020304_temperature"
        ]
    );
    let t = &all["sensor.zigbee_01020304_temperature"];
    assert_eq!(
        (t.state.as_str(), t.device_class.as_deref()),
        ("21.5", Some("temperature"))
    );
    assert_eq!(t.attributes["unit_of_measurement"], json!("°C"));
    assert_eq!(t.name, "LUMI lumi.weather temperature");
    assert_eq!(t.attributes["battery_level"], json!(91));
    assert_eq!(all["sensor.zigbee_01020304_humidity"].state, "45.5");
    let b = &all["sensor.zigbee_01020304_battery"];
    assert_eq!(
        (b.state.as_str(), b.attributes["voltage"].clone()),
        ("91", json!(3.0))
    );
    let refused = plan(
        &d,
        &Label::default(),
        &call("sensor.zigbee_01020304_temperature", "turn_on"),
    );
    assert!(matches!(refused, Err(DeviceError::UnknownService { .. })));
}

#[test]
fn a_motion_sensor_reports_occupancy() {
    let mut d = device(
        0x0017_8801_0000_0777,
        "Signify Netherlands B.V.",
        "SML001",
        vec![ep(2, 0x0107, &[0, 1, 3, 0x406])],
    );
    report(
        &mut d,
        2,
        0x406,
        &[0x18, 0xA9, 0x0A, 0x00, 0x00, 0x18, 0x01],
    );
    let e = &by_id(&d, &Label::default())["binary_sensor.zigbee_00000777_occupancy"];
    assert_eq!(
        (e.state.as_str(), e.device_class.as_deref()),
        ("on", Some("occupancy"))
    );
    report(
        &mut d,
        2,
        0x406,
        &[0x18, 0xAA, 0x0A, 0x00, 0x00, 0x18, 0x00],
    );
    assert_eq!(
        by_id(&d, &Label::default())["binary_sensor.zigbee_00000777_occupancy"].state,
        "off"
    );
}

fn zone(ieee: u64, zone_type: u16) -> Device {
    let mut d = device(
        ieee,
        "HEIMAN",
        "zone",
        vec![ep(1, 0x0402, &[0, 1, 3, 0x500])],
    );
    d.apply(1, Reading::ZoneType(zone_type));
    d
}

#[test]
fn an_ias_contact_sensor_is_a_door() {
    let mut d = zone(0x0011_2233_4455_6677, 0x0015);
    // Status change: alarm1 (open) and battery low.
    report(
        &mut d,
        1,
        0x500,
        &[0x09, 0x10, 0x00, 0x09, 0x00, 0x00, 0x17, 0x00, 0x00],
    );
    let e = &by_id(&d, &Label::default())["binary_sensor.zigbee_44556677_contact"];
    assert_eq!(
        (e.state.as_str(), e.device_class.as_deref()),
        ("on", Some("door"))
    );
    assert_eq!(
        (
            e.attributes["battery_low"].clone(),
            e.attributes["tamper"].clone()
        ),
        (json!(true), json!(false))
    );
}

#[test]
fn an_ias_water_sensor_is_a_leak() {
    let mut d = zone(0x0011_2233_4455_6688, 0x002A);
    let e = &by_id(&d, &Label::default())["binary_sensor.zigbee_44556688_water_leak"];
    assert_eq!(
        (e.state.as_str(), e.device_class.as_deref()),
        ("unknown", Some("moisture"))
    );
    // Dry, but the case is open.
    report(&mut d, 1, 0x500, &[0x09, 0x11, 0x00, 0x04, 0x00, 0x00]);
    let e = &by_id(&d, &Label::default())["binary_sensor.zigbee_44556688_water_leak"];
    assert_eq!(e.state, "off");
    assert_eq!(e.attributes["tamper"], json!(true));
    assert_eq!(e.name, "HEIMAN zone water leak");
}

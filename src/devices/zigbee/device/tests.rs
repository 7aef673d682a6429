use super::*;
use crate::devices::zigbee::zcl::Global;

fn sensor() -> Device {
    let mut d = Device::new(0x0015_8D00_0123_4567, 0x5A3C);
    d.endpoints.push(Endpoint {
        id: 1,
        profile: 0x0104,
        device_id: 0x0302,
        in_clusters: vec![0x0000, 0x0001, 0x0402, 0x0405, 0x0500],
        out_clusters: vec![0x0019],
    });
    d
}

fn frame(bytes: &[u8]) -> Frame {
    Frame::parse(bytes).expect("frame")
}

#[test]
fn a_report_updates_readings_and_is_answered() {
    let mut d = sensor();
    // Report (default response wanted), TSN 0x21: 0x0000 int16 2150.
    let report = frame(&[0x08, 0x21, 0x0A, 0x00, 0x00, 0x29, 0x66, 0x08]);
    let got = d.receive(1, 0x0402, &report, 0x17).unwrap();
    assert!(got.changed);
    assert!(got.problems.is_empty());
    assert_eq!(d.state(1).unwrap().temperature, Some(21.5));
    assert_eq!(got.replies.len(), 1);
    assert_eq!(got.replies[0].encode(), [0x10, 0x21, 0x0B, 0x0A, 0x00]);
    // The same value again changes nothing, but is still answered.
    let again = d.receive(1, 0x0402, &report, 0x17).unwrap();
    assert!(!again.changed);
    assert_eq!(again.replies.len(), 1);
}

#[test]
fn a_read_response_fills_basic_and_skips_unsupported() {
    let mut d = sensor();
    let rsp = Global::ReadResponse(vec![
        (
            0x0004,
            AttributeResult::Value(Value::CharString("LUMI".into())),
        ),
        (
            0x0005,
            AttributeResult::Value(Value::CharString("lumi.weather".into())),
        ),
        (
            0x0007,
            AttributeResult::Status(Status::UNSUPPORTED_ATTRIBUTE),
        ),
    ]);
    let mut f = rsp.frame(super::super::zcl::Direction::ToClient).unwrap();
    f.header.tsn = 3;
    let got = d.receive(1, 0x0000, &f, 0x17).unwrap();
    assert!(got.changed);
    assert_eq!(d.manufacturer.as_deref(), Some("LUMI"));
    assert_eq!(d.model.as_deref(), Some("lumi.weather"));
    assert_eq!(d.power_source, None);
    // A response is not answered.
    assert!(got.replies.is_empty());
}

#[test]
fn a_bad_attribute_is_a_problem_and_the_rest_is_kept() {
    let mut d = sensor();
    // Humidity report: 0x0000 as a char string "x", then 0x0000 as uint16 4550.
    let bytes = [
        0x18, 0x02, 0x0A, 0x00, 0x00, 0x42, 0x01, b'x', 0x00, 0x00, 0x21, 0xC6, 0x11,
    ];
    let got = d.receive(1, 0x0405, &frame(&bytes), 0x17).unwrap();
    assert_eq!(got.problems.len(), 1);
    assert!(
        got.problems[0].to_string().contains("cluster 0x0405"),
        "{:?}",
        got.problems
    );
    assert_eq!(d.state(1).unwrap().humidity, Some(45.5));
    assert!(got.changed);
}

#[test]
fn a_broken_frame_is_an_error_and_changes_nothing() {
    let mut d = sensor();
    let before = d.clone();
    let err = d.receive(
        1,
        0x0402,
        &frame(&[0x18, 0x02, 0x0A, 0x00, 0x00, 0x29, 0x66]),
        0x17,
    );
    assert!(
        matches!(err, Err(ZclError::Truncated { at: 6, .. })),
        "{err:?}"
    );
    assert_eq!(d, before);
}

#[test]
fn ias_enrollment_and_status_changes() {
    let mut d = sensor();
    // Enroll Request from a water sensor, TSN 0x30: answered with zone 0x17, not a default response.
    let req = frame(&[0x09, 0x30, 0x01, 0x2A, 0x00, 0x5F, 0x11]);
    let got = d.receive(1, 0x0500, &req, 0x17).unwrap();
    assert_eq!(d.state(1).unwrap().zone_type, Some(0x002A));
    assert_eq!(got.replies.len(), 1);
    assert_eq!(got.replies[0].encode(), [0x01, 0x30, 0x00, 0x00, 0x17]);
    // Status change: wet; answered with a Default Response.
    let wet = frame(&[0x09, 0x31, 0x00, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00]);
    let got = d.receive(1, 0x0500, &wet, 0x17).unwrap();
    assert!(got.changed);
    assert_eq!(d.state(1).unwrap().zone_status, Some(1));
    assert_eq!(got.replies[0].encode(), [0x10, 0x31, 0x0B, 0x00, 0x00]);
}

#[test]
fn unknown_commands_get_an_unsupported_status() {
    let mut d = sensor();
    // A cluster command to On/Off the hub does not know.
    let got = d
        .receive(1, 0x0006, &frame(&[0x09, 0x40, 0x42]), 0x17)
        .unwrap();
    assert!(!got.changed);
    assert_eq!(got.replies[0].encode(), [0x10, 0x40, 0x0B, 0x42, 0x81]);
    // A global command the hub does not read (Discover Attributes).
    let got = d
        .receive(
            1,
            0x0006,
            &frame(&[0x08, 0x41, 0x0C, 0x00, 0x00, 0x10]),
            0x17,
        )
        .unwrap();
    assert_eq!(got.replies[0].encode(), [0x10, 0x41, 0x0B, 0x0C, 0x82]);
}

#[test]
fn a_device_survives_json() {
    let mut d = sensor();
    d.manufacturer = Some("LUMI".into());
    assert!(d.apply(1, Reading::Temperature(Some(19.25))));
    assert!(d.apply(1, Reading::BatteryPercent(Some(150.0))));
    assert_eq!(d.state(1).unwrap().battery_percent, Some(100.0), "capped");
    let json = serde_json::to_string(&d).unwrap();
    let back: Device = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    // A device kept before readings existed still loads.
    let old = r#"{"ieee": 1, "nwk": 2}"#;
    let back: Device = serde_json::from_str(old).unwrap();
    assert_eq!(back, Device::new(1, 2));
}

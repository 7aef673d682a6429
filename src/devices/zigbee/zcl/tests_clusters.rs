use super::clusters::{self, OnOff, attr, id};
use super::ias::{ZoneCommand, ZoneStatus, enroll_response, write_cie_address};
use super::reporting::{Step, answer, plan};
use super::*;

/// The protocol notes' AF_DATA_REQUEST "On to 0x1234" (encoded by zigpy-znp 1.1.1) carries
/// the ZCL bytes `01 05 01`: cluster-specific, to server, TSN 5, On.
#[test]
fn on_command_matches_zigpy_znp() {
    let af = [
        0xFE, 0x0D, 0x24, 0x01, 0x34, 0x12, 0x01, 0x01, 0x06, 0x00, 0x05, 0x10, 0x1E, 0x03, 0x01,
        0x05, 0x01, 0x05,
    ];
    let zcl = &af[14..17];
    assert_eq!(clusters::on_off(OnOff::On).with_tsn(5).encode(), zcl);
}

#[test]
fn cluster_commands_encode() {
    let bytes = |f: Frame| f.encode();
    assert_eq!(bytes(clusters::on_off(OnOff::Off)), [0x01, 0x00, 0x00]);
    assert_eq!(bytes(clusters::on_off(OnOff::Toggle)), [0x01, 0x00, 0x02]);
    // MoveToLevelWithOnOff: level 254, 1.0 s.
    let level = clusters::move_to_level_with_on_off(255, 10);
    assert_eq!(bytes(level), [0x01, 0x00, 0x04, 0xFE, 0x0A, 0x00]);
    // MoveToColor: x 0x5000, y 0xFFFF capped at 0xFEFF, immediately.
    let xy = clusters::move_to_color(0x5000, 0xFFFF, 0);
    assert_eq!(
        bytes(xy),
        [0x01, 0x00, 0x07, 0x00, 0x50, 0xFF, 0xFE, 0x00, 0x00]
    );
    // MoveToColorTemperature: 370 mireds over 0.5 s.
    let ct = clusters::move_to_color_temperature(370, 5);
    assert_eq!(bytes(ct), [0x01, 0x00, 0x0A, 0x72, 0x01, 0x05, 0x00]);
}

#[test]
fn readings_decode_with_units_and_invalid_values() {
    let d = |c, a, v: Value| Reading::decode(c, a, &v).unwrap().unwrap();
    assert_eq!(
        d(id::TEMPERATURE, 0, Value::i16(-550)),
        Reading::Temperature(Some(-5.5))
    );
    assert_eq!(
        d(id::TEMPERATURE, 0, Value::i16(i16::MIN)),
        Reading::Temperature(None)
    );
    assert_eq!(
        d(id::HUMIDITY, 0, Value::u16(4550)),
        Reading::Humidity(Some(45.5))
    );
    assert_eq!(
        d(id::HUMIDITY, 0, Value::u16(0xFFFF)),
        Reading::Humidity(None)
    );
    let power = id::POWER_CONFIGURATION;
    assert_eq!(
        d(power, attr::BATTERY_PERCENT, Value::u8(181)),
        Reading::BatteryPercent(Some(90.5))
    );
    assert_eq!(
        d(power, attr::BATTERY_PERCENT, Value::u8(0xFF)),
        Reading::BatteryPercent(None)
    );
    assert_eq!(
        d(power, attr::BATTERY_VOLTAGE, Value::u8(30)),
        Reading::BatteryVoltage(Some(3.0))
    );
    assert_eq!(d(id::ON_OFF, 0, Value::Bool(Some(true))), Reading::On(true));
    assert_eq!(
        d(id::OCCUPANCY, 0, Value::Bitmap { bits: 0, width: 1 }),
        Reading::Occupied(false)
    );
    let model = Value::CharString("TRADFRI bulb E27 WS opal 980lm\0 ".trim_end().into());
    assert_eq!(
        d(id::BASIC, attr::MODEL, model),
        Reading::Model("TRADFRI bulb E27 WS opal 980lm\0".into())
    );
    let mode = Value::Enum { value: 2, width: 1 };
    assert_eq!(d(id::COLOR, attr::COLOR_MODE, mode), Reading::ColorMode(2));
    let status = Value::Bitmap {
        bits: 0x0009,
        width: 2,
    };
    assert_eq!(
        d(id::IAS_ZONE, attr::ZONE_STATUS, status),
        Reading::ZoneStatus(9)
    );
    assert_eq!(
        d(id::IAS_ZONE, attr::CIE_ADDRESS, Value::Eui64(7)),
        Reading::CieAddress(7)
    );
    // An attribute MIRAI does not read is no reading; a wrong type is an error naming both.
    assert_eq!(Reading::decode(id::BASIC, 0x4000, &Value::u8(1)), Ok(None));
    let err = Reading::decode(id::TEMPERATURE, 0, &Value::CharString("hot".into())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attribute 0x0000 of cluster 0x0402 came as char string (0x42), expected a signed 16-bit number"
    );
    assert!(Reading::decode(id::LEVEL, 0, &Value::u16(300)).is_err());
}

#[test]
fn zone_commands_parse_and_encode() {
    // Status change: cluster-specific, server → client, TSN 0x10, alarm1 + battery low,
    // extended 0, zone 0x17, delay 0.
    let bytes = [0x09, 0x10, 0x00, 0x09, 0x00, 0x00, 0x17, 0x00, 0x00];
    let frame = Frame::parse(&bytes).unwrap();
    let cmd = ZoneCommand::parse(&frame).unwrap().unwrap();
    let ZoneCommand::StatusChange {
        status,
        zone_id,
        delay,
        ..
    } = cmd
    else {
        panic!("{cmd:?}");
    };
    assert!(status.alarm1() && status.battery_low() && !status.tamper() && !status.alarm2());
    assert_eq!((zone_id, delay), (Some(0x17), Some(0)));
    assert_eq!(cmd.frame().with_tsn(0x10).encode(), bytes);
    // An older zone sends status and extended status only.
    let old = Frame::parse(&[0x09, 0x11, 0x00, 0x04, 0x00, 0x00]).unwrap();
    let parsed = ZoneCommand::parse(&old).unwrap().unwrap();
    assert_eq!(
        parsed,
        ZoneCommand::StatusChange {
            status: ZoneStatus(4),
            extended: 0,
            zone_id: None,
            delay: None
        }
    );
    // Enroll request: a contact switch made by 0x115F; answered with zone 0x17, same TSN.
    let req = Frame::parse(&[0x09, 0x12, 0x01, 0x15, 0x00, 0x5F, 0x11]).unwrap();
    let cmd = ZoneCommand::parse(&req).unwrap().unwrap();
    assert_eq!(
        cmd,
        ZoneCommand::EnrollRequest {
            zone_type: 0x0015,
            manufacturer: 0x115F
        }
    );
    let reply = answer(&cmd, 0x12, 0x17).unwrap();
    assert_eq!(reply.encode(), [0x01, 0x12, 0x00, 0x00, 0x17]);
    assert_eq!(enroll_response(3).encode(), [0x01, 0x00, 0x00, 0x00, 0x03]);
    // A frame the hub sent, or another command id, is no zone command.
    assert_eq!(ZoneCommand::parse(&enroll_response(3)), Ok(None));
    let other = Frame::parse(&[0x09, 0x13, 0x05]).unwrap();
    assert_eq!(ZoneCommand::parse(&other), Ok(None));
}

#[test]
fn cie_address_write_encodes() {
    let frame = write_cie_address(0x0012_4B00_0102_0304);
    let expect = [
        0x00, 0x00, 0x02, // global, to server, Write Attributes
        0x10, 0x00, 0xF0, // attribute 0x0010, EUI64
        0x04, 0x03, 0x02, 0x01, 0x00, 0x4B, 0x12, 0x00,
    ];
    assert_eq!(frame.encode(), expect);
    let parsed = Global::parse(&frame).unwrap().unwrap();
    assert_eq!(
        parsed,
        Global::Write(vec![(0x0010, Value::Eui64(0x0012_4B00_0102_0304))])
    );
}

fn sends(steps: &[Step]) -> Vec<(u16, Vec<u8>)> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Send { cluster, frame, .. } => Some((*cluster, frame.encode())),
            Step::Bind { .. } => None,
        })
        .collect()
}

/// A bulb: bind and configure On/Off, Level and Color; nothing for Basic and Identify.
#[test]
fn reporting_plan_for_a_bulb() {
    let steps = plan(11, &[0x0000, 0x0003, 0x0006, 0x0008, 0x0300], 1, 0x17);
    let binds: Vec<u16> = (steps.iter())
        .filter_map(|s| match s {
            Step::Bind {
                endpoint: 11,
                cluster,
            } => Some(*cluster),
            _ => None,
        })
        .collect();
    assert_eq!(binds, [0x0006, 0x0008, 0x0300]);
    let sent = sends(&steps);
    assert_eq!(sent.len(), 6);
    // On/off: bool, 0 s, 1 h, no change field; then read it.
    assert_eq!(sent[0], (6, vec![0, 0, 6, 0, 0, 0, 0x10, 0, 0, 0x10, 0x0E]));
    assert_eq!(sent[1], (6, vec![0, 0, 0, 0, 0]));
    // Level: uint8, 1 s, 1 h, change 1.
    assert_eq!(
        sent[2],
        (8, vec![0, 0, 6, 0, 0, 0, 0x20, 1, 0, 0x10, 0x0E, 1])
    );
    // Color temperature: uint16, 0 s, 1 h, change 1; read x, y, temperature, mode.
    assert_eq!(
        sent[4],
        (0x300, vec![0, 0, 6, 0, 7, 0, 0x21, 0, 0, 0x10, 0x0E, 1, 0])
    );
    assert_eq!(sent[5], (0x300, vec![0, 0, 0, 3, 0, 4, 0, 7, 0, 8, 0]));
}

/// A temperature / humidity sensor with a battery, and an IAS zone's enrollment.
#[test]
fn reporting_plan_for_sensors_and_zones() {
    let sent = sends(&plan(1, &[0x0000, 0x0001, 0x0402, 0x0405], 1, 0x17));
    let configure: Vec<&(u16, Vec<u8>)> = sent.iter().filter(|(_, b)| b[2] == 0x06).collect();
    assert_eq!(configure.len(), 3);
    // Battery: percent and voltage, 1 h to 62000 s, change 1.
    let battery = [
        0, 0, 6, 0, 0x21, 0, 0x20, 0x10, 0x0E, 0x30, 0xF2, 1, 0, 0x20, 0, 0x20, 0x10, 0x0E, 0x30,
        0xF2, 1,
    ];
    assert_eq!(*configure[0], (1, battery.to_vec()));
    // Temperature: int16, 10 s, 1 h, 0.10 °C; humidity: uint16, 10 s, 1 h, 0.50 %.
    assert_eq!(
        *configure[1],
        (
            0x402,
            vec![0, 0, 6, 0, 0, 0, 0x29, 10, 0, 0x10, 0x0E, 10, 0]
        )
    );
    assert_eq!(
        *configure[2],
        (
            0x405,
            vec![0, 0, 6, 0, 0, 0, 0x21, 10, 0, 0x10, 0x0E, 50, 0]
        )
    );
    let coordinator = 0x0012_4B00_0102_0304;
    let steps = plan(1, &[0x0000, 0x0001, 0x0500], coordinator, 0x17);
    let zone: Vec<Vec<u8>> = sends(&steps)
        .into_iter()
        .filter(|(c, _)| *c == 0x500)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(zone[0], write_cie_address(coordinator).encode());
    assert_eq!(zone[1], enroll_response(0x17).encode());
    assert_eq!(zone[2], [0, 0, 0, 0, 0, 1, 0, 2, 0]);
    assert!(
        !steps.contains(&Step::Bind {
            endpoint: 1,
            cluster: 0x500
        }),
        "zones report by command"
    );
}

use super::clusters::{attr, id};
use super::global::default_response;
use super::ias::ZoneCommand;
use super::*;

fn global(bytes: &[u8]) -> Global {
    let frame = Frame::parse(bytes).expect("frame");
    Global::parse(&frame)
        .expect("payload")
        .expect("a global command")
}

fn encode(g: &Global, direction: Direction) -> Vec<u8> {
    g.frame(direction).expect("encodes").encode()
}

/// zigbee-herdsman test/zcl.test.ts: an occupancy report, default response disabled.
#[test]
fn occupancy_report_from_herdsman() {
    // 18: global, server → client, disable default response; A9 TSN; 0A Report;
    // 00 00 attribute occupancy; 18 bitmap8; 01 occupied.
    let bytes = [0x18, 0xA9, 0x0A, 0x00, 0x00, 0x18, 0x01];
    let frame = Frame::parse(&bytes).unwrap();
    assert_eq!(frame.header.frame_type, FrameType::Global);
    assert_eq!(frame.header.direction, Direction::ToClient);
    assert!(frame.header.disable_default_response);
    assert_eq!((frame.header.tsn, frame.header.command), (0xA9, 0x0A));
    let value = Value::Bitmap { bits: 1, width: 1 };
    assert_eq!(global(&bytes), Global::Report(vec![(0, value.clone())]));
    assert_eq!(
        Reading::decode(id::OCCUPANCY, attr::OCCUPANCY, &value),
        Ok(Some(Reading::Occupied(true)))
    );
    assert_eq!(default_response(&frame.header, Status::SUCCESS), None);
    let mut again = encode(&global(&bytes), Direction::ToClient);
    again[0] |= 0x10;
    again[1] = 0xA9;
    assert_eq!(again, bytes);
}

/// zigbee-herdsman test/zcl.test.ts: a Default Response, UNSUP_GENERAL_COMMAND to 0x0C.
#[test]
fn default_response_from_herdsman() {
    let bytes = [0x18, 0x04, 0x0B, 0x0C, 0x82];
    let g = global(&bytes);
    assert_eq!(
        g,
        Global::DefaultResponse {
            command: 0x0C,
            status: Status::UNSUP_GENERAL_COMMAND
        }
    );
    assert_eq!(Status(0x82).name(), "UNSUP_GENERAL_COMMAND (0x82)");
    let frame = Frame::parse(&bytes).unwrap();
    // A Default Response is never answered.
    assert_eq!(default_response(&frame.header, Status::SUCCESS), None);
}

/// Captured from zigpy-znp's fake coordinator: a read response, 21.50 °C.
#[test]
fn read_response_temperature_from_zigpy() {
    let bytes = [0x18, 0x05, 0x01, 0x00, 0x00, 0x00, 0x29, 0x66, 0x08];
    let Global::ReadResponse(records) = global(&bytes) else {
        panic!("not a read response");
    };
    let [(0x0000, AttributeResult::Value(v))] = records.as_slice() else {
        panic!("records {records:?}");
    };
    assert_eq!(*v, Value::i16(2150));
    let reading = Reading::decode(id::TEMPERATURE, attr::MEASURED_VALUE, v);
    assert_eq!(reading, Ok(Some(Reading::Temperature(Some(21.5)))));
}

/// zigbee-herdsman test/adapter/z-stack/unpi.test.ts: the ZCL payload inside an
/// AF_INCOMING_MSG, a level report (`08 7A 0A 00 00 20 F3`) that asks for a Default Response.
#[test]
fn level_report_inside_af_incoming_msg() {
    let mt = [
        0xFE, 0x1B, 0x44, 0x81, 0x00, 0x00, 0x08, 0x00, 0xD4, 0x17, 0x01, 0x01, 0x00, 0x37, 0x00,
        0x99, 0xB2, 0xDB, 0x00, 0x00, 0x07, 0x08, 0x7A, 0x0A, 0x00, 0x00, 0x20, 0xF3, 0xD4, 0x17,
        0x1D, 0xA0,
    ];
    // SOF, LEN, CMD0, CMD1, then 16 bytes of AF fields, the ZCL length (07) and the ZCL bytes.
    let len = usize::from(mt[4 + 16]);
    let zcl = &mt[4 + 17..4 + 17 + len];
    assert_eq!(zcl, [0x08, 0x7A, 0x0A, 0x00, 0x00, 0x20, 0xF3]);
    let frame = Frame::parse(zcl).unwrap();
    assert!(!frame.header.disable_default_response);
    let Global::Report(records) = global(zcl) else {
        panic!("not a report");
    };
    assert_eq!(records, vec![(0, Value::u8(243))]);
    let reading = Reading::decode(id::LEVEL, attr::CURRENT_LEVEL, &records[0].1);
    assert_eq!(reading, Ok(Some(Reading::Level(243))));
    // The hub answers: global, client → server, no default response; same TSN; 0A, SUCCESS.
    let answer = default_response(&frame.header, Status::SUCCESS).expect("an answer");
    assert_eq!(answer.encode(), [0x10, 0x7A, 0x0B, 0x0A, 0x00]);
}

/// A frame cut short says which field and at which byte.
#[test]
fn truncated_frames_say_where() {
    let err = |bytes: &[u8]| {
        Frame::parse(bytes)
            .and_then(|f| Global::parse(&f))
            .expect_err("cut short")
    };
    let cut = |what, at, needed| ZclError::Truncated { what, at, needed };
    assert_eq!(err(&[]), cut("frame control", 0, 1));
    assert_eq!(err(&[0x18, 0x05]), cut("command id", 2, 1));
    assert_eq!(err(&[0x1C, 0x5F]), cut("manufacturer code", 1, 1));
    let read = [0x18, 0x05, 0x01, 0x00, 0x00, 0x00, 0x29, 0x66];
    assert_eq!(err(&read), cut("attribute value", 7, 1));
    assert_eq!(err(&read[..6]), cut("data type", 6, 1));
    assert_eq!(err(&[0x18, 0x01, 0x0A, 0x00]), cut("attribute id", 3, 1));
    assert_eq!(
        err(&[0x18, 0x01, 0x0A, 0x00, 0x00, 0x42, 0x05, b'a']),
        cut("string", 7, 4)
    );
    assert_eq!(err(&[0x18, 0x04, 0x0B, 0x0C]), cut("status", 4, 1));
    let message = err(&read).to_string();
    assert!(message.contains("byte 7"), "{message}");
}

#[test]
fn overlong_frames_say_where() {
    let err = Global::parse(&Frame::parse(&[0x18, 0x04, 0x0B, 0x0C, 0x82, 0x00]).unwrap());
    assert_eq!(
        err,
        Err(ZclError::Trailing {
            what: "default response",
            at: 5,
            count: 1
        })
    );
    let zone = Frame::parse(&[0x09, 0x01, 0x01, 0x15, 0x00, 0x5F, 0x11, 0xAA]).unwrap();
    assert_eq!(
        ZoneCommand::parse(&zone),
        Err(ZclError::Trailing {
            what: "zone command",
            at: 7,
            count: 1
        })
    );
}

/// An unknown type stops the frame: its length, and so the next attribute's start, is unknown.
#[test]
fn unknown_type_is_a_clear_error() {
    // A good uint8 record, then type 0x11 (reserved) at byte 9.
    let bytes = [
        0x18, 0x01, 0x0A, 0x00, 0x00, 0x20, 0x01, 0x01, 0x00, 0x11, 0x00,
    ];
    let err = Global::parse(&Frame::parse(&bytes).unwrap()).unwrap_err();
    assert_eq!(
        err,
        ZclError::UnknownType {
            type_id: 0x11,
            at: 9
        }
    );
    assert!(err.to_string().contains("cannot be read"), "{err}");
    // Inside an array, the element type is where it stands.
    let array = [0x18, 0x01, 0x0A, 0x00, 0x00, 0x48, 0x11, 0x01, 0x00, 0x00];
    let err = Global::parse(&Frame::parse(&array).unwrap()).unwrap_err();
    assert_eq!(
        err,
        ZclError::UnknownType {
            type_id: 0x11,
            at: 6
        }
    );
}

#[test]
fn nesting_past_the_limit_is_refused() {
    // A report of an array (48) whose one element is an array, and so on, of a uint8.
    let mut bytes = vec![0x18, 0x01, 0x0A, 0x00, 0x00, 0x48];
    for _ in 0..=extent::MAX_DEPTH {
        bytes.extend_from_slice(&[0x48, 0x01, 0x00]);
    }
    bytes.extend_from_slice(&[0x20, 0x01, 0x00, 0x07]);
    let err = Global::parse(&Frame::parse(&bytes).unwrap()).unwrap_err();
    assert!(
        matches!(
            err,
            ZclError::Invalid {
                what: "attribute value",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn reserved_frame_type_is_refused() {
    let err = Frame::parse(&[0x02, 0x00, 0x00]).unwrap_err();
    assert!(
        matches!(
            err,
            ZclError::Invalid {
                what: "frame control",
                at: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn manufacturer_specific_header_round_trips() {
    // Aqara's manufacturer code 0x115F, a report of a uint8.
    let bytes = [0x1C, 0x5F, 0x11, 0x07, 0x0A, 0x01, 0xFF, 0x20, 0x03];
    let frame = Frame::parse(&bytes).unwrap();
    assert_eq!(frame.header.manufacturer, Some(0x115F));
    assert_eq!(frame.header.len(), 5);
    assert_eq!(frame.encode(), bytes);
    assert_eq!(global(&bytes), Global::Report(vec![(0xFF01, Value::u8(3))]));
    let answer = default_response(&frame.header, Status::SUCCESS);
    assert_eq!(answer, None, "default response disabled");
}

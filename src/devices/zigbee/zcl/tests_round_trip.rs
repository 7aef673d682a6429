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

/// Every global command, encoded and parsed back.
#[test]
fn every_global_command_round_trips() {
    let commands = [
        Global::Read(vec![0x0004, 0x0005, 0x0007]),
        Global::ReadResponse(vec![
            (
                0x0004,
                AttributeResult::Value(Value::CharString("IKEA of Sweden".into())),
            ),
            (
                0x4000,
                AttributeResult::Status(Status::UNSUPPORTED_ATTRIBUTE),
            ),
            (
                0x0007,
                AttributeResult::Value(Value::Enum { value: 1, width: 1 }),
            ),
        ]),
        Global::Write(vec![(0x0010, Value::Eui64(0x0012_4B00_0102_0304))]),
        Global::WriteResponse(vec![(Status::SUCCESS, None)]),
        Global::WriteResponse(vec![
            (Status::READ_ONLY, Some(0x0010)),
            (Status::INVALID_VALUE, Some(2)),
        ]),
        Global::ConfigureReporting(vec![
            ReportingRecord {
                attribute: 0,
                type_id: 0x29,
                min: 10,
                max: 3600,
                change: 10,
            },
            ReportingRecord {
                attribute: 0,
                type_id: 0x10,
                min: 0,
                max: 3600,
                change: 0,
            },
            ReportingRecord {
                attribute: 0x21,
                type_id: 0x39,
                min: 1,
                max: 62000,
                change: 0x3F80_0000,
            },
        ]),
        Global::ConfigureReportingResponse(vec![(Status::SUCCESS, None)]),
        Global::ConfigureReportingResponse(vec![(Status::UNREPORTABLE_ATTRIBUTE, Some(0x0008))]),
        Global::Report(vec![(0, Value::u16(4550)), (1, Value::Bool(Some(true)))]),
        Global::DefaultResponse {
            command: 0x01,
            status: Status::SUCCESS,
        },
    ];
    for g in commands {
        for direction in [Direction::ToServer, Direction::ToClient] {
            let bytes = encode(&g, direction);
            assert_eq!(global(&bytes), g, "bytes {bytes:02X?}");
            assert_eq!(Frame::parse(&bytes).unwrap().header.direction, direction);
        }
    }
}

/// Configure Reporting bytes: a change field for analog types only.
#[test]
fn configure_reporting_bytes() {
    let g = Global::ConfigureReporting(vec![
        ReportingRecord {
            attribute: 0,
            type_id: 0x29,
            min: 10,
            max: 3600,
            change: 10,
        },
        ReportingRecord {
            attribute: 0,
            type_id: 0x18,
            min: 0,
            max: 3600,
            change: 7,
        },
    ]);
    let expect = [
        0x00, 0x00, 0x06, // header: global, to server, TSN 0, Configure Reporting
        0x00, 0x00, 0x00, 0x29, 0x0A, 0x00, 0x10, 0x0E, 0x0A, 0x00, // int16, 10 s, 1 h, 10
        0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x10, 0x0E, // bitmap8: no change field
    ];
    assert_eq!(encode(&g, Direction::ToServer), expect);
}

/// Every data type, encoded and parsed back inside a report.
#[test]
fn every_type_round_trips() {
    let values = [
        Value::NoData,
        Value::Data {
            bits: 0xAB,
            width: 1,
        },
        Value::Bool(Some(false)),
        Value::Bool(None),
        Value::Bitmap {
            bits: 0x0001_0203,
            width: 3,
        },
        Value::Bitmap {
            bits: 0xDEAD_BEEF,
            width: 4,
        },
        Value::u8(200),
        Value::u16(0xFFFE),
        Value::Unsigned {
            value: 0x00AB_CDEF,
            width: 3,
        },
        Value::Unsigned {
            value: 0xDEAD_BEEF,
            width: 4,
        },
        Value::Unsigned {
            value: 0x0000_1234_5678_9ABC,
            width: 6,
        },
        Value::Unsigned {
            value: u64::MAX,
            width: 8,
        },
        Value::Signed {
            value: -5,
            width: 1,
        },
        Value::i16(-2150),
        Value::Signed {
            value: -8_000_000,
            width: 3,
        },
        Value::Signed {
            value: -70_000,
            width: 4,
        },
        Value::Signed {
            value: i64::MIN,
            width: 8,
        },
        Value::Enum { value: 3, width: 1 },
        Value::Enum {
            value: 0x002A,
            width: 2,
        },
        Value::Semi(1.5),
        Value::Semi(-0.000_061_035_156),
        Value::Single(-2.25),
        Value::Double(1e300),
        Value::OctetString(vec![0, 1, 2, 0xFF]),
        Value::CharString("lumi.sensor_ht".into()),
        Value::LongOctetString(vec![7; 300]),
        Value::LongCharString("x".repeat(300)),
        Value::Eui64(0x0012_4B00_1CDD_2C3A),
        Value::Raw {
            type_id: 0xE2,
            bytes: vec![1, 2, 3, 4],
        },
        Value::Raw {
            type_id: 0xE8,
            bytes: vec![6, 0],
        },
        Value::Raw {
            type_id: 0xF1,
            bytes: vec![9; 16],
        },
        // An array of two uint8 and a structure of a uint8 and a uint16.
        Value::Raw {
            type_id: 0x48,
            bytes: vec![0x20, 0x02, 0x00, 0x01, 0x02],
        },
        Value::Raw {
            type_id: 0x4C,
            bytes: vec![0x02, 0x00, 0x20, 0x05, 0x21, 0x34, 0x12],
        },
    ];
    for v in values {
        let g = Global::Report(vec![(0x0001, v.clone()), (0x0002, Value::u8(9))]);
        let bytes = encode(&g, Direction::ToClient);
        assert_eq!(global(&bytes), g, "{v:?} as {bytes:02X?}");
    }
}

#[test]
fn invalid_string_length_reads_as_empty() {
    let bytes = [0x18, 0x01, 0x0A, 0x05, 0x00, 0x42, 0xFF];
    assert_eq!(
        global(&bytes),
        Global::Report(vec![(5, Value::CharString(String::new()))])
    );
}

#[test]
fn too_long_string_cannot_be_sent() {
    let g = Global::Write(vec![(5, Value::CharString("x".repeat(255)))]);
    let err = g.frame(Direction::ToServer).unwrap_err();
    assert_eq!(
        err,
        ZclError::TooLong {
            what: "char string",
            len: 255,
            max: 254
        }
    );
}

//! Frame vectors from the protocol notes (../shared/protocols/zigbee.md), each with its source.

use super::*;
use crate::devices::zigbee::hex;

/// SYS_PING response, zigpy-znp tests/test_frames.py: FE · 02 LEN · 61 SRSP SYS · 01 PING ·
/// 11 00 capabilities 0x0011 · 73 FCS.
const PING_RSP: &str = "FE 02 61 01 11 00 73";
/// SYS_VERSION response 2.6.3 rev 20190425, herdsman test/adapter/z-stack/unpi.test.ts:
/// transport 02 · product 00 · 02 06 03 version · D9 14 34 01 revision · 02 00 00 00 00.
const VERSION_RSP: &str = "FE 0E 61 02 02 00 02 06 03 D9 14 34 01 02 00 00 00 00 92";
/// NV read answered 0x55 (same source): status 00 · length 01 · 55.
const NV_READ_RSP: &str = "FE 03 61 08 00 01 55 3E";
/// AF_INCOMING_MSG with a Level Control report (same source).
const AF_INCOMING: &str = "FE 1B 44 81 00 00 08 00 D4 17 01 01 00 37 00 99 B2 DB 00 00 07 08 7A 0A 00 00 20 F3 D4 17 1D A0";

fn one(bytes: &[u8]) -> Frame {
    match decode(bytes) {
        Decoded::Frame { frame, len } if len == bytes.len() => frame,
        other => panic!("not one whole frame: {other:?}"),
    }
}

#[test]
fn empty_and_one_byte() {
    assert_eq!(decode(&[]), Decoded::Incomplete { missing: 1 });
    assert_eq!(decode(&[SOF]), Decoded::Incomplete { missing: 4 });
}

#[test]
fn the_notes_vectors_decode_and_encode_back() {
    for vector in [PING_RSP, VERSION_RSP, NV_READ_RSP, AF_INCOMING] {
        let bytes = hex(vector);
        let frame = one(&bytes);
        assert_eq!(frame.encode().unwrap(), bytes, "{vector}");
    }
    let ping = one(&hex(PING_RSP));
    assert_eq!((ping.kind, ping.subsystem, ping.id), (Kind::Srsp, 1, 1));
    assert_eq!(ping.data, [0x11, 0x00]);
    let incoming = one(&hex(AF_INCOMING));
    assert_eq!(
        (incoming.kind, incoming.subsystem, incoming.id),
        (Kind::Areq, 4, 0x81)
    );
    assert_eq!(incoming.data.len(), 0x1B);
}

#[test]
fn requests_encode_as_zigpy_znp_does() {
    // Encoded by zigpy-znp 1.1.1 (the notes): SYS_VERSION, SYS_RESET_REQ soft, NV read of the
    // NIB, ZDO_STARTUP_FROM_APP 100 ms, BDB form, permit join 254 s to FFFC.
    let cases: [(Kind, u8, u8, &str, &str); 6] = [
        (Kind::Sreq, 1, 0x02, "", "FE 00 21 02 23"),
        (Kind::Areq, 1, 0x00, "01", "FE 01 41 00 01 41"),
        (Kind::Sreq, 1, 0x08, "21 00 00", "FE 03 21 08 21 00 00 0B"),
        (Kind::Sreq, 5, 0x40, "64 00", "FE 02 25 40 64 00 03"),
        (Kind::Sreq, 0x0F, 0x05, "04", "FE 01 2F 05 04 2F"),
        (
            Kind::Sreq,
            5,
            0x36,
            "0F FC FF FE 00",
            "FE 05 25 36 0F FC FF FE 00 E4",
        ),
    ];
    for (kind, subsystem, id, data, wire) in cases {
        let frame = Frame::new(kind, subsystem, id, hex(data));
        assert_eq!(frame.encode().unwrap(), hex(wire), "{wire}");
        assert_eq!(one(&hex(wire)), frame);
    }
}

#[test]
fn a_partial_frame_says_how_much_is_missing() {
    let bytes = hex(VERSION_RSP);
    for cut in 2..bytes.len() {
        let missing = bytes.len() - cut;
        assert_eq!(decode(&bytes[..cut]), Decoded::Incomplete { missing });
    }
}

#[test]
fn a_bad_fcs_drops_the_sof_only() {
    // The notes: the NV read with its FCS one off (3F for 3E) is dropped.
    let bytes = hex("FE 03 61 08 00 01 55 3F");
    let reject = Reject::BadFcs {
        expected: 0x3E,
        got: 0x3F,
    };
    assert_eq!(decode(&bytes), Decoded::Garbage { reject, skip: 1 });
}

#[test]
fn garbage_then_a_valid_frame() {
    let mut bytes = hex("00 13 37");
    bytes.extend(hex(PING_RSP));
    let reject = Reject::Stray(vec![0x00, 0x13, 0x37]);
    assert_eq!(decode(&bytes), Decoded::Garbage { reject, skip: 3 });
    assert_eq!(one(&bytes[3..]).id, 0x01);
    assert_eq!(
        Reject::Stray(vec![0xAB, 0x01]).to_string(),
        "stray bytes AB 01"
    );
}

#[test]
fn two_frames_in_one_read() {
    let mut bytes = hex(PING_RSP);
    bytes.extend(hex(NV_READ_RSP));
    let Decoded::Frame { frame, len } = decode(&bytes) else {
        panic!("no first frame");
    };
    assert_eq!((frame.id, len), (0x01, 7));
    assert_eq!(one(&bytes[len..]).id, 0x08);
}

#[test]
fn over_long_length_and_bad_type_resync_at_once() {
    // FE · FB LEN (251, over the cap): no waiting for 256 bytes.
    let over = decode(&[SOF, 0xFB, 0x61]);
    assert_eq!(
        over,
        Decoded::Garbage {
            reject: Reject::BadLength(0xFB),
            skip: 1
        }
    );
    // FE · 00 LEN · 81 CMD0 with type bits 4 · 01 · FCS 80: no such type.
    let bad = decode(&[SOF, 0x00, 0x81, 0x01, 0x80]);
    assert_eq!(
        bad,
        Decoded::Garbage {
            reject: Reject::BadType(0x81),
            skip: 1
        }
    );
    let long = Frame::new(Kind::Sreq, 4, 1, vec![0; MAX_DATA_LEN + 1]);
    assert_eq!(long.encode(), Err(EncodeError::TooLong(251)));
    let full = Frame::new(Kind::Sreq, 4, 1, vec![0; MAX_DATA_LEN]);
    assert_eq!(full.encode().unwrap().len(), MAX_FRAME_LEN);
}

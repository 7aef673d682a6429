//! Parsers against the protocol notes' vectors (../shared/protocols/zigbee.md).

use super::*;
use crate::devices::zigbee::hex;
use crate::devices::zigbee::mt::frame::{Decoded, decode};

fn frame(wire: &str) -> Frame {
    match decode(&hex(wire)) {
        Decoded::Frame { frame, .. } => frame,
        other => panic!("{wire}: {other:?}"),
    }
}

fn indication(wire: &str) -> Indication {
    Indication::parse(&frame(wire))
        .unwrap()
        .expect("an indication")
}

#[test]
fn version_2_6_3() {
    // herdsman test/adapter/z-stack/unpi.test.ts.
    let f = frame("FE 0E 61 02 02 00 02 06 03 D9 14 34 01 02 00 00 00 00 92");
    let v = version(&f.data).unwrap();
    assert_eq!((v.transport, v.product, v.release), (2, 0, (2, 6, 3)));
    assert_eq!(v.revision, Some(20190425));
}

#[test]
fn nv_read_value_and_refusal() {
    // herdsman unpi.test.ts: status 00 · length 01 · 55.
    assert_eq!(
        nv_value(&frame("FE 03 61 08 00 01 55 3E").data).unwrap(),
        Ok(vec![0x55])
    );
    // Status 0x0A (NV_OPER_FAILED: no such item) is a value.
    assert_eq!(nv_value(&[0x0A]).unwrap(), Err(0x0A));
    assert!(nv_value(&[0x00, 0x04, 0x01]).is_err());
}

#[test]
fn joins_announcements_and_coordinator_up() {
    // Encoded by zigpy-znp 1.1.1 (the notes): TC_DEV_IND nwk 1234, IEEE 00124B0001020304,
    // parent 0000; announce from 1234 with capabilities 8E; state 09.
    assert_eq!(
        indication("FE 0C 45 CA 34 12 04 03 02 01 00 4B 12 00 00 00 F8"),
        Indication::Joined {
            nwk: 0x1234,
            ieee: 0x00124B0001020304,
            parent: 0
        }
    );
    assert_eq!(
        indication("FE 0D 45 C1 34 12 34 12 04 03 02 01 00 4B 12 00 8E 5A"),
        Indication::Announced {
            nwk: 0x1234,
            ieee: 0x00124B0001020304,
            capabilities: 0x8E
        }
    );
    assert_eq!(indication("FE 01 45 C0 09 8D"), Indication::StateChange(9));
}

#[test]
fn incoming_level_report_and_data_confirm() {
    // herdsman unpi.test.ts: from 17D4 ep 1 to ep 1, cluster 0008, LQI 0x37, ZCL
    // 08 7A 0A 00 00 20 F3 (report, attribute 0000 u8 = 0xF3).
    let Indication::Incoming(msg) = indication(
        "FE 1B 44 81 00 00 08 00 D4 17 01 01 00 37 00 99 B2 DB 00 00 07 08 7A 0A 00 00 20 F3 D4 17 1D A0",
    ) else {
        panic!("not incoming");
    };
    assert_eq!(
        (msg.cluster, msg.src_nwk, msg.src_ep, msg.dst_ep),
        (8, 0x17D4, 1, 1)
    );
    assert_eq!((msg.group, msg.lqi), (0, 0x37));
    assert_eq!(msg.payload, hex("08 7A 0A 00 00 20 F3"));
    // zigpy-znp 1.1.1: AF_DATA_CONFIRM status 00, endpoint 01, trans id 05.
    assert_eq!(
        indication("FE 03 44 80 00 01 05 C3"),
        Indication::DataConfirm {
            status: 0,
            endpoint: 1,
            trans_id: 5
        }
    );
}

#[test]
fn zdo_descriptors() {
    // NODE_DESC_RSP: src 1234 · 00 · nwk 1234 · 01 router · 40 · 8E mains · 7C 11 (0x117C).
    let node = hex("34 12 00 34 12 01 40 8E 7C 11 52 80 00 41 2A 80 00 00");
    let desc = node_descriptor(&node).unwrap().unwrap();
    assert_eq!((desc.logical_type, desc.manufacturer), (1, 0x117C));
    assert_eq!(desc.mac_capabilities & 0x04, 0x04);
    // ACTIVE_EP_RSP: 2 endpoints, 01 and F2.
    assert_eq!(
        active_endpoints(&hex("34 12 00 34 12 02 01 F2")).unwrap(),
        Ok(vec![1, 0xF2])
    );
    // A sleepy device's parent answering "device not found" (0x81) is a value.
    assert_eq!(active_endpoints(&hex("34 12 81 34 12")).unwrap(), Err(0x81));
    // SIMPLE_DESC_RSP: ep 1, HA 0104, device 0102, 2 in (0000 0006), 1 out (0019).
    let simple = hex("34 12 00 34 12 0E 01 04 01 02 01 01 02 00 00 06 00 01 19 00");
    let d = simple_descriptor(&simple).unwrap().unwrap();
    assert_eq!((d.endpoint, d.profile, d.device_id), (1, 0x0104, 0x0102));
    assert_eq!((d.in_clusters, d.out_clusters), (vec![0, 6], vec![0x19]));
    assert!(simple_descriptor(&simple[..12]).is_err());
}

#[test]
fn short_indications_are_malformed_and_say_what() {
    let short = Frame::new(Kind::Areq, ZDO, ZDO_TC_DEV_IND, vec![0x34, 0x12]);
    let err = Indication::parse(&short).unwrap_err();
    assert_eq!(err.what, "ZDO_TC_DEV_IND");
    assert!(err.to_string().contains("ZDO_TC_DEV_IND"), "{err}");
    let other = Frame::new(Kind::Areq, ZDO, 0x82, vec![]);
    assert_eq!(Indication::parse(&other).unwrap(), None);
}

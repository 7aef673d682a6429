//! Arbitrary bytes into every parser: none panics, every error points inside the frame, and
//! whatever parses encodes to bytes that parse back to the same encoding.

use super::ias::ZoneCommand;
use super::*;
use crate::devices::zigbee::device::Device;

/// Frames that parse, to mutate: each of the protocol notes' ZCL vectors and a few more.
const SEEDS: [&[u8]; 7] = [
    &[0x18, 0xA9, 0x0A, 0x00, 0x00, 0x18, 0x01],
    &[0x18, 0x04, 0x0B, 0x0C, 0x82],
    &[0x18, 0x05, 0x01, 0x00, 0x00, 0x00, 0x29, 0x66, 0x08],
    &[0x08, 0x7A, 0x0A, 0x00, 0x00, 0x20, 0xF3],
    &[0x09, 0x10, 0x00, 0x09, 0x00, 0x00, 0x17, 0x00, 0x00],
    &[
        0x18, 0x01, 0x0A, 0x00, 0x00, 0x48, 0x20, 0x02, 0x00, 0x01, 0x02,
    ],
    &[
        0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x29, 0x0A, 0x00, 0x10, 0x0E, 0x0A, 0x00,
    ],
];

fn error_position(err: &ZclError) -> Option<usize> {
    match err {
        ZclError::Truncated { at, .. }
        | ZclError::UnknownType { at, .. }
        | ZclError::Trailing { at, .. }
        | ZclError::Invalid { at, .. } => Some(*at),
        ZclError::TooLong { .. } | ZclError::WrongType { .. } => None,
    }
}

fn check(bytes: &[u8], device: &mut Device) {
    let inside = |e: &ZclError| {
        if let Some(at) = error_position(e) {
            assert!(at <= bytes.len(), "{e} for {bytes:02X?}");
        }
    };
    if let Err(e) = Header::parse(bytes) {
        inside(&e);
    }
    let frame = match Frame::parse(bytes) {
        Ok(f) => f,
        Err(e) => return inside(&e),
    };
    match Global::parse(&frame) {
        Ok(Some(g)) => {
            for (attribute, value) in match &g {
                Global::Report(r) | Global::Write(r) => r.clone(),
                _ => Vec::new(),
            } {
                for cluster in [
                    0x0000, 0x0001, 0x0006, 0x0008, 0x0300, 0x0402, 0x0405, 0x0406, 0x0500,
                ] {
                    let _ = Reading::decode(cluster, attribute, &value);
                }
            }
            let once = g
                .frame(frame.header.direction)
                .expect("what parsed encodes")
                .encode();
            let again = Global::parse(&Frame::parse(&once).unwrap())
                .unwrap()
                .unwrap();
            let twice = again.frame(frame.header.direction).unwrap().encode();
            assert_eq!(once, twice, "from {bytes:02X?}");
        }
        Ok(None) => {}
        Err(e) => inside(&e),
    }
    if let Err(e) = ZoneCommand::parse(&frame) {
        inside(&e);
    }
    for cluster in [0x0006, 0x0402, 0x0500] {
        if let Err(e) = device.receive(1, cluster, &frame, 0x17) {
            inside(&e);
        }
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = fastrand::Rng::with_seed(0x5A16_BEE5);
    let mut device = Device::new(0x0012_4B00_0000_0001, 0x1234);
    for _ in 0..60_000 {
        let len = rng.usize(0..48);
        let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        check(&bytes, &mut device);
    }
    // Valid frames with a byte or two changed, cut or extended: the interesting edges.
    for _ in 0..60_000 {
        let mut bytes = SEEDS[rng.usize(..SEEDS.len())].to_vec();
        for _ in 0..rng.usize(1..3) {
            let i = rng.usize(..bytes.len());
            bytes[i] = rng.u8(..);
        }
        match rng.u8(..4) {
            0 => bytes.truncate(rng.usize(..=bytes.len())),
            1 => bytes.extend((0..rng.usize(1..6)).map(|_| rng.u8(..))),
            _ => {}
        }
        check(&bytes, &mut device);
    }
}

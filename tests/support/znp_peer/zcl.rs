//! What the played devices answer to ZCL frames the host sends them: Read Attributes from
//! their attribute tables, Write Attributes (the IAS CIE address), Configure Reporting, the
//! On/Off, Level and Color commands (state changed, Default Response), and the IAS Zone
//! Enroll Response. Bytes are written by hand from the ZCL specification (07-5123, 2.4–2.5
//! and 8.2), not with MIRAI's codec, so that the two check each other.

use mirai::devices::zigbee::mt::frame::Frame;

use super::{AF, Chip, areq, le16};

/// Frame control of a device's answer: global, to the client, no Default Response wanted.
const ANSWER_FC: u8 = 0x18;
/// Frame control of a device's report: global, to the client, Default Response wanted.
const REPORT_FC: u8 = 0x08;

/// An AF_INCOMING_MSG from device `nwk`, endpoint `ep`, to the coordinator's endpoint 1.
pub fn af_incoming(nwk: u16, ep: u8, cluster: u16, zcl: &[u8]) -> Frame {
    let mut data = le16(0);
    data.extend(le16(cluster));
    data.extend(le16(nwk));
    data.extend([ep, 1, 0, 0x9C, 0]);
    data.extend(0x0012_3456u32.to_le_bytes());
    data.extend([0, zcl.len() as u8]);
    data.extend(zcl);
    data.extend(le16(nwk));
    data.push(0x1D);
    areq(AF, 0x81, data)
}

/// A Report Attributes frame of one attribute: `tsn`, attribute, type, value bytes.
pub fn report(tsn: u8, attribute: u16, type_id: u8, value: &[u8]) -> Vec<u8> {
    let mut zcl = vec![REPORT_FC, tsn, 0x0A];
    zcl.extend(le16(attribute));
    zcl.push(type_id);
    zcl.extend(value);
    zcl
}

/// The bytes of a value of `type_id` at the start of `bytes`, for the types the host writes.
fn value_len(type_id: u8, bytes: &[u8]) -> usize {
    match type_id {
        0x10 | 0x18 | 0x20 | 0x28 | 0x30 => 1,
        0x19 | 0x21 | 0x29 | 0x31 => 2,
        0xF0 => 8,
        0x42 => 1 + bytes.first().copied().unwrap_or(0) as usize,
        other => panic!("the played device cannot take type 0x{other:02X}"),
    }
}

/// The device's answers to the AF_DATA_REQUEST data `d` the chip delivered.
pub(super) fn zcl_answer(chip: &mut Chip, d: &[u8]) -> Vec<Frame> {
    let nwk = u16::from_le_bytes([d[0], d[1]]);
    let (ep, cluster) = (d[2], u16::from_le_bytes([d[4], d[5]]));
    let zcl = &d[10..10 + d[9] as usize];
    let refuse = chip.refuse_commands;
    let Some(dev) = chip.devices.iter_mut().find(|dev| dev.nwk == nwk) else {
        return vec![];
    };
    let (fc, tsn, cmd, payload) = (zcl[0], zcl[1], zcl[2], &zcl[3..]);
    let answer = |cmd: u8, body: Vec<u8>| {
        let zcl = [vec![ANSWER_FC, tsn, cmd], body].concat();
        af_incoming(nwk, ep, cluster, &zcl)
    };
    let mut out = Vec::new();
    if fc & 0x03 == 0 {
        match cmd {
            0x00 => {
                let mut body = Vec::new();
                for id in payload.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])) {
                    body.extend(le16(id));
                    match dev.attributes.get(&(ep, cluster, id)) {
                        Some((type_id, value)) => {
                            body.extend([0x00, *type_id]);
                            body.extend(value);
                        }
                        None => body.push(0x86),
                    }
                }
                out.push(answer(0x01, body));
            }
            0x02 => {
                let mut rest = payload;
                while rest.len() >= 3 {
                    let id = u16::from_le_bytes([rest[0], rest[1]]);
                    let len = value_len(rest[2], &rest[3..]);
                    let value = rest[3..3 + len].to_vec();
                    dev.attributes.insert((ep, cluster, id), (rest[2], value));
                    rest = &rest[3 + len..];
                }
                out.push(answer(0x04, vec![0x00]));
            }
            0x06 => out.push(answer(0x07, vec![0x00])),
            _ => {}
        }
        return out;
    }
    if cluster == 0x0500 && cmd == 0x00 {
        // Zone Enroll Response: [status, zone id]; the zone is enrolled.
        dev.enrolled = Some(payload[1]);
        dev.attributes.insert((ep, 0x0500, 0x0000), (0x30, vec![1]));
        return out;
    }
    let status = match refuse {
        Some(status) => status,
        None => command(dev, ep, cluster, cmd, payload),
    };
    if fc & 0x10 == 0 {
        out.push(answer(0x0B, vec![cmd, status]));
    }
    out
}

/// Carries out a cluster command on the played device; its ZCL status.
fn command(dev: &mut super::Device, ep: u8, cluster: u16, cmd: u8, p: &[u8]) -> u8 {
    let mut set = |cluster: u16, attribute: u16, type_id: u8, value: Vec<u8>| {
        dev.attributes
            .insert((ep, cluster, attribute), (type_id, value));
    };
    match (cluster, cmd) {
        (0x0006, 0x00 | 0x01) => set(0x0006, 0x0000, 0x10, vec![cmd]),
        (0x0006, 0x02) => {
            let on = dev.attributes.get(&(ep, 0x0006, 0x0000));
            let now = on.is_some_and(|(_, v)| v == &[1]);
            dev.attributes
                .insert((ep, 0x0006, 0x0000), (0x10, vec![u8::from(!now)]));
        }
        (0x0008, 0x04) => {
            set(0x0008, 0x0000, 0x20, vec![p[0]]);
            set(0x0006, 0x0000, 0x10, vec![u8::from(p[0] > 0)]);
        }
        (0x0300, 0x0A) => {
            set(0x0300, 0x0007, 0x21, p[..2].to_vec());
            set(0x0300, 0x0008, 0x30, vec![2]);
        }
        (0x0300, 0x07) => {
            set(0x0300, 0x0003, 0x21, p[..2].to_vec());
            set(0x0300, 0x0004, 0x21, p[2..4].to_vec());
            set(0x0300, 0x0008, 0x30, vec![1]);
        }
        _ => return 0x81,
    }
    0x00
}

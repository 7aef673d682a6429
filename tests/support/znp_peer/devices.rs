//! The devices the played chip answers for: presets for a bulb, a sleepy temperature sensor
//! and a motion sensor, and their answers to ZDO requests.

use std::collections::BTreeMap;

use mirai::devices::zigbee::mt::frame::Frame;

use super::{Chip, ZDO, areq, le16};

/// One endpoint a played device has: id, profile, device id, in clusters, out clusters.
#[derive(Debug, Clone)]
pub struct PlayedEndpoint {
    /// Endpoint id.
    pub id: u8,
    /// Profile.
    pub profile: u16,
    /// Device id.
    pub device_id: u16,
    /// Server clusters.
    pub ins: Vec<u16>,
    /// Client clusters.
    pub outs: Vec<u16>,
}

/// A device the chip plays behind the radio.
#[derive(Debug, Clone)]
pub struct Device {
    /// Network address.
    pub nwk: u16,
    /// IEEE address.
    pub ieee: u64,
    /// 1 router, 2 end device.
    pub logical_type: u8,
    /// MAC capabilities (bit 2 mains).
    pub mac_capabilities: u8,
    /// Manufacturer code.
    pub manufacturer: u16,
    /// Endpoints.
    pub endpoints: Vec<PlayedEndpoint>,
    /// ZDO requests it sleeps through before answering (a sleepy end device).
    pub sleeps_through: u32,
    /// Attribute values by (endpoint, cluster, attribute): type id and value bytes.
    pub attributes: BTreeMap<(u8, u16, u16), (u8, Vec<u8>)>,
    /// The zone id the hub enrolled it with (an IAS zone).
    pub enrolled: Option<u8>,
}

/// A ZCL character string's bytes: length, then the text.
fn text(s: &str) -> (u8, Vec<u8>) {
    (0x42, [vec![s.len() as u8], s.as_bytes().to_vec()].concat())
}

/// Basic's manufacturer, model and power source on endpoint `ep`.
fn basic(ep: u8, maker: &str, model: &str, power: u8) -> BTreeMap<(u8, u16, u16), (u8, Vec<u8>)> {
    BTreeMap::from([
        ((ep, 0x0000, 0x0004), text(maker)),
        ((ep, 0x0000, 0x0005), text(model)),
        ((ep, 0x0000, 0x0007), (0x30, vec![power])),
    ])
}

impl Device {
    /// A colour bulb: router, mains, manufacturer 0x100B (Philips), ep 11 colour light.
    pub fn bulb(nwk: u16, ieee: u64) -> Device {
        Device {
            nwk,
            ieee,
            logical_type: 1,
            mac_capabilities: 0x8E,
            manufacturer: 0x100B,
            endpoints: vec![PlayedEndpoint {
                id: 11,
                profile: 0x0104,
                device_id: 0x010D,
                ins: vec![0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0008, 0x0300],
                outs: vec![0x0019],
            }],
            sleeps_through: 0,
            attributes: {
                let mut a = basic(11, "Signify Netherlands B.V.", "LCT015", 0x01);
                a.insert((11, 0x0006, 0x0000), (0x10, vec![1]));
                a.insert((11, 0x0008, 0x0000), (0x20, vec![254]));
                a.insert((11, 0x0300, 0x0007), (0x21, vec![0x99, 0x01]));
                a.insert((11, 0x0300, 0x0008), (0x30, vec![2]));
                a
            },
            enrolled: None,
        }
    }

    /// A temperature and humidity sensor: sleepy end device on a battery, 0x115F (Xiaomi).
    pub fn temperature_sensor(nwk: u16, ieee: u64) -> Device {
        Device {
            nwk,
            ieee,
            logical_type: 2,
            mac_capabilities: 0x80,
            manufacturer: 0x115F,
            endpoints: vec![PlayedEndpoint {
                id: 1,
                profile: 0x0104,
                device_id: 0x0302,
                ins: vec![0x0000, 0x0001, 0x0402, 0x0405],
                outs: vec![],
            }],
            sleeps_through: 1,
            attributes: {
                let mut a = basic(1, "LUMI", "lumi.weather", 0x03);
                a.insert((1, 0x0402, 0x0000), (0x29, vec![0x66, 0x08]));
                a.insert((1, 0x0405, 0x0000), (0x21, vec![0x94, 0x11]));
                a.insert((1, 0x0001, 0x0021), (0x20, vec![180]));
                a.insert((1, 0x0001, 0x0020), (0x20, vec![30]));
                a
            },
            enrolled: None,
        }
    }

    /// A motion sensor with an IAS zone and occupancy: end device on a battery, 0x1037.
    pub fn motion_sensor(nwk: u16, ieee: u64) -> Device {
        Device {
            nwk,
            ieee,
            logical_type: 2,
            mac_capabilities: 0x80,
            manufacturer: 0x1037,
            endpoints: vec![
                PlayedEndpoint {
                    id: 1,
                    profile: 0x0104,
                    device_id: 0x0402,
                    ins: vec![0x0000, 0x0001, 0x0500],
                    outs: vec![0x0019],
                },
                PlayedEndpoint {
                    id: 2,
                    profile: 0x0104,
                    device_id: 0x0107,
                    ins: vec![0x0406],
                    outs: vec![],
                },
            ],
            sleeps_through: 0,
            attributes: {
                let mut a = basic(1, "Bosch", "RFPR-ZB-SH-EU", 0x03);
                a.insert((1, 0x0500, 0x0000), (0x30, vec![0]));
                a.insert((1, 0x0500, 0x0001), (0x31, vec![0x0D, 0x00]));
                a.insert((1, 0x0500, 0x0002), (0x19, vec![0x00, 0x00]));
                a.insert((1, 0x0001, 0x0021), (0x20, vec![200]));
                a.insert((2, 0x0406, 0x0000), (0x18, vec![0]));
                a
            },
            enrolled: None,
        }
    }
}

/// A played device's answer to a ZDO request, unless it sleeps through it.
pub(super) fn device_answer(chip: &mut Chip, id: u8, d: &[u8]) -> Vec<Frame> {
    let nwk = u16::from_le_bytes([d[0], d[1]]);
    let Some(at) = chip.devices.iter().position(|dev| dev.nwk == nwk) else {
        return vec![];
    };
    let dev = &mut chip.devices[at];
    if dev.sleeps_through > 0 {
        dev.sleeps_through -= 1;
        return vec![];
    }
    let mut head = le16(nwk);
    head.push(0);
    head.extend(le16(nwk));
    let mut data = head;
    match id {
        0x02 => {
            data.extend([dev.logical_type, 0x40, dev.mac_capabilities]);
            data.extend(le16(dev.manufacturer));
            data.extend([0x52, 0x80, 0x00, 0x00, 0x2C, 0x80, 0x00, 0x00]);
        }
        0x05 => {
            data.push(dev.endpoints.len() as u8);
            data.extend(dev.endpoints.iter().map(|e| e.id));
        }
        0x04 => {
            let Some(ep) = dev.endpoints.iter().find(|e| e.id == d[4]) else {
                data[2] = 0x82; // invalid endpoint
                return vec![areq(ZDO, 0x84, data)];
            };
            let mut desc = vec![ep.id];
            desc.extend(le16(ep.profile));
            desc.extend(le16(ep.device_id));
            desc.push(1);
            for list in [&ep.ins, &ep.outs] {
                desc.push(list.len() as u8);
                list.iter().for_each(|c| desc.extend(le16(*c)));
            }
            data.push(desc.len() as u8);
            data.extend(desc);
        }
        0x21 => data.truncate(3),
        0x34 => {
            data.truncate(3);
            let ieee = dev.ieee;
            chip.devices.remove(at);
            let mut left = le16(nwk);
            left.extend(ieee.to_le_bytes());
            left.extend([0, 0, 0]);
            return vec![areq(ZDO, 0xB4, data), areq(ZDO, 0xC9, left)];
        }
        _ => unreachable!(),
    }
    vec![areq(ZDO, 0x80 | id, data)]
}

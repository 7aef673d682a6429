//! What start-up learns about the network, and the pure parsers of the responses it comes
//! from (layouts: INS13954 "Z-Wave Host API Specification"; zwave-js
//! `packages/serial/src/serialapi/`; every fixture below was captured from the zwave-js mock).

use super::ZwaveError;

/// The controller and the nodes it knows, as start-up found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// The network's home id.
    pub home_id: u32,
    /// The controller's own node id.
    pub own_node: u8,
    /// The protocol library version string ("Z-Wave 7.17.99").
    pub version: String,
    /// Manufacturer, product type and product id of the stick.
    pub product: (u16, u16, u16),
    /// GetControllerCapabilities flags (bit 0 secondary, bit 2 SIS present, bit 4 SUC…).
    pub controller_capabilities: u8,
    /// Every node in the controller's node list, the controller included, by id.
    pub nodes: Vec<Node>,
}

impl Network {
    /// The node with id `id`.
    pub fn node(&self, id: u8) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// One node: device classes from GetNodeProtocolInfo, command classes from its node
/// information frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Node id, 1–232.
    pub id: u8,
    /// Basic device class (04 routing end node…).
    pub basic: u8,
    /// Generic device class (10 binary switch, 11 multilevel switch, 21 multilevel sensor…).
    pub generic: u8,
    /// Specific device class within the generic one.
    pub specific: u8,
    /// Always listening (mains powered); sleeping nodes are not asked for their info.
    pub listening: bool,
    /// Supported command classes, in the node's order; empty until its info frame arrived.
    pub command_classes: Vec<u8>,
}

impl Node {
    /// Whether the node says it supports command class `cc`.
    pub fn supports(&self, cc: u8) -> bool {
        self.command_classes.contains(&cc)
    }
}

/// The node information frame in an ApplicationUpdate 0x49.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeInfo {
    /// 0x84: `node len basic generic specific cc…`.
    Received {
        node: u8,
        classes: [u8; 3],
        command_classes: Vec<u8>,
    },
    /// 0x81: the node did not answer RequestNodeInfo (the chip does not say which node).
    Failed,
}

/// ApplicationUpdate status: node information frame received.
const UPDATE_NODE_INFO_RECEIVED: u8 = 0x84;
/// ApplicationUpdate status: RequestNodeInfo failed.
const UPDATE_NODE_INFO_FAILED: u8 = 0x81;
/// Command classes after this mark are ones the node controls, not supports.
const SUPPORT_CONTROL_MARK: u8 = 0xEF;

fn short(function: u8) -> ZwaveError {
    ZwaveError::Malformed { function }
}

/// GetSerialApiCapabilities 0x07: `appVersion appRevision manufacturer(2) type(2) id(2) mask(32)`.
pub(crate) fn product(payload: &[u8]) -> Result<(u16, u16, u16), ZwaveError> {
    let [_, _, m0, m1, t0, t1, p0, p1, ..] = payload else {
        return Err(short(0x07));
    };
    let be = |a: &u8, b: &u8| u16::from_be_bytes([*a, *b]);
    Ok((be(m0, m1), be(t0, t1), be(p0, p1)))
}

/// GetControllerVersion 0x15: a NUL-terminated string, then the library type.
pub(crate) fn version(payload: &[u8]) -> Result<String, ZwaveError> {
    let end = payload.iter().position(|b| *b == 0).ok_or(short(0x15))?;
    Ok(String::from_utf8_lossy(&payload[..end]).into_owned())
}

/// MemoryGetId 0x20: home id (4, big-endian) and own node id.
pub(crate) fn memory_id(payload: &[u8]) -> Result<(u32, u8), ZwaveError> {
    let [h0, h1, h2, h3, node, ..] = payload else {
        return Err(short(0x20));
    };
    Ok((u32::from_be_bytes([*h0, *h1, *h2, *h3]), *node))
}

/// GetSerialApiInitData 0x02: `apiVersion capabilities len bitmask…`; bit i of byte j is node
/// 8·j + i + 1.
pub(crate) fn node_ids(payload: &[u8]) -> Result<Vec<u8>, ZwaveError> {
    let [_, _, len, rest @ ..] = payload else {
        return Err(short(0x02));
    };
    let mask = rest.get(..usize::from(*len)).ok_or(short(0x02))?;
    let ids = mask.iter().enumerate().flat_map(|(byte, bits)| {
        (0..8u8)
            .filter(move |bit| bits & (1 << bit) != 0)
            .map(move |bit| byte as u8 * 8 + bit + 1)
    });
    Ok(ids.collect())
}

/// GetNodeProtocolInfo 0x41: `capability security reserved basic generic specific`; `None`
/// when the basic class is 0 (no such node).
pub(crate) fn protocol_info(id: u8, payload: &[u8]) -> Result<Option<Node>, ZwaveError> {
    let [capability, _, _, basic, generic, specific, ..] = payload else {
        return Err(short(0x41));
    };
    Ok((*basic != 0).then(|| Node {
        id,
        basic: *basic,
        generic: *generic,
        specific: *specific,
        listening: capability & 0x80 != 0,
        command_classes: Vec::new(),
    }))
}

/// ApplicationUpdate 0x49 carrying node information; `None` for other update kinds or a
/// truncated frame.
pub(crate) fn node_info(payload: &[u8]) -> Option<NodeInfo> {
    match payload {
        [UPDATE_NODE_INFO_RECEIVED, node, len, rest @ ..] => {
            let info = rest.get(..usize::from(*len))?;
            let [basic, generic, specific, ccs @ ..] = info else {
                return None;
            };
            let supported = ccs.iter().take_while(|cc| **cc != SUPPORT_CONTROL_MARK);
            Some(NodeInfo::Received {
                node: *node,
                classes: [*basic, *generic, *specific],
                command_classes: supported.copied().collect(),
            })
        }
        [UPDATE_NODE_INFO_FAILED, ..] => Some(NodeInfo::Failed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::devices::zwave::hex;

    #[test]
    fn start_up_responses_from_the_mock() {
        // 01 2B 01 07 …: app 01.00, manufacturer FFFF, type FFFF, id FFFE, then the bitmask.
        let caps = hex("01 00 ff ff ff ff ff fe 12 00 1c 80");
        assert_eq!(product(&caps).unwrap(), (0xFFFF, 0xFFFF, 0xFFFE));
        // zwave.md: "Z-Wave 7.17.99" NUL, library type 01.
        let v = hex("5a 2d 57 61 76 65 20 37 2e 31 37 2e 39 39 00 01");
        assert_eq!(version(&v).unwrap(), "Z-Wave 7.17.99");
        // 01 08 01 20 · C0FFEE02 home id · 01 own node · 04 checksum
        assert_eq!(memory_id(&hex("c0 ff ee 02 01")).unwrap(), (0xC0FF_EE02, 1));
        // 01 25 01 02 · 09 api · 08 caps · 1D len · 07 = nodes 1, 2, 3 · 28 × 00 · 07 00 chip
        let mut init = hex("09 08 1d 07");
        init.extend([0; 28]);
        init.extend([0x07, 0x00]);
        assert_eq!(node_ids(&init).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn node_ids_across_bytes_and_truncated() {
        // Byte 1 bit 7 is node 16; byte 2 bit 0 is node 17.
        assert_eq!(node_ids(&hex("09 08 03 00 80 01")).unwrap(), [16, 17]);
        assert!(node_ids(&hex("09 08 03 00")).is_err());
        assert!(node_ids(&[]).is_err());
    }

    #[test]
    fn protocol_info_of_a_listening_switch_and_of_no_node() {
        // 01 09 01 41 · DB capability (listening) · 9C security · 01 · 04 basic · 10 generic ·
        // 01 specific · E5
        let node = protocol_info(2, &hex("db 9c 01 04 10 01"))
            .unwrap()
            .unwrap();
        assert!(node.listening);
        assert_eq!((node.basic, node.generic, node.specific), (4, 0x10, 1));
        assert_eq!(protocol_info(9, &hex("00 00 00 00 00 00")).unwrap(), None);
        assert!(protocol_info(9, &hex("db 9c")).is_err());
    }

    #[test]
    fn node_info_frames() {
        // 01 0B 00 49 · 84 received · 02 node · 05 len · 04 10 01 classes · 25 86 CCs · 88
        let got = node_info(&hex("84 02 05 04 10 01 25 86")).unwrap();
        assert_eq!(
            got,
            NodeInfo::Received {
                node: 2,
                classes: [4, 0x10, 1],
                command_classes: vec![0x25, 0x86]
            }
        );
        // Controlled CCs after the EF mark are not supported ones.
        let got = node_info(&hex("84 05 06 04 10 01 25 EF 20")).unwrap();
        assert!(
            matches!(got, NodeInfo::Received { command_classes, .. } if command_classes == [0x25])
        );
        assert_eq!(node_info(&hex("81 00 00")), Some(NodeInfo::Failed));
        assert_eq!(node_info(&hex("84 02 05 04")), None);
        assert_eq!(node_info(&[]), None);
    }
}

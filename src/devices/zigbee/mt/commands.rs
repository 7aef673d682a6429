//! The MT requests MIRAI sends, each as a [`Frame`], with the command ids of their answers
//! and the NV item ids start-up reads and writes. Layouts: TI SWRA198; zigpy-znp
//! `zigpy_znp/commands/{sys,af,zdo,util,app_config}.py`; NV ids from zigpy-znp
//! `zigpy_znp/types/nvids.py` and zigbee-herdsman `src/adapter/z-stack/constants/common.ts`.

use super::frame::{Frame, Kind};
use super::{AF, APP_CNF, SYS, UTIL, ZDO};

/// SYS_RESET_REQ (AREQ 41 00) and its RESET_IND (41 80).
pub const SYS_RESET_REQ: u8 = 0x00;
/// SYS_RESET_IND (AREQ 41 80): the chip (re)started.
pub const SYS_RESET_IND: u8 = 0x80;
/// SYS_PING (21 01).
pub const SYS_PING: u8 = 0x01;
/// SYS_VERSION (21 02).
pub const SYS_VERSION: u8 = 0x02;
/// SYS_OSAL_NV_ITEM_INIT (21 07).
pub const SYS_OSAL_NV_ITEM_INIT: u8 = 0x07;
/// SYS_OSAL_NV_READ (21 08).
pub const SYS_OSAL_NV_READ: u8 = 0x08;
/// SYS_OSAL_NV_WRITE (21 09).
pub const SYS_OSAL_NV_WRITE: u8 = 0x09;
/// SYS_OSAL_NV_LENGTH (21 13).
pub const SYS_OSAL_NV_LENGTH: u8 = 0x13;
/// UTIL_GET_DEVICE_INFO (27 00).
pub const UTIL_GET_DEVICE_INFO: u8 = 0x00;
/// AF_REGISTER (24 00).
pub const AF_REGISTER: u8 = 0x00;
/// AF_DATA_REQUEST (24 01).
pub const AF_DATA_REQUEST: u8 = 0x01;
/// AF_DATA_CONFIRM (44 80).
pub const AF_DATA_CONFIRM: u8 = 0x80;
/// AF_INCOMING_MSG (44 81).
pub const AF_INCOMING_MSG: u8 = 0x81;
/// ZDO_NODE_DESC_REQ (25 02) → ZDO_NODE_DESC_RSP (45 82).
pub const ZDO_NODE_DESC_REQ: u8 = 0x02;
/// ZDO_SIMPLE_DESC_REQ (25 04) → ZDO_SIMPLE_DESC_RSP (45 84).
pub const ZDO_SIMPLE_DESC_REQ: u8 = 0x04;
/// ZDO_ACTIVE_EP_REQ (25 05) → ZDO_ACTIVE_EP_RSP (45 85).
pub const ZDO_ACTIVE_EP_REQ: u8 = 0x05;
/// ZDO_BIND_REQ (25 21) → ZDO_BIND_RSP (45 A1).
pub const ZDO_BIND_REQ: u8 = 0x21;
/// ZDO_MGMT_LEAVE_REQ (25 34) → ZDO_MGMT_LEAVE_RSP (45 B4).
pub const ZDO_MGMT_LEAVE_REQ: u8 = 0x34;
/// ZDO_MGMT_PERMIT_JOIN_REQ (25 36) → ZDO_MGMT_PERMIT_JOIN_RSP (45 B6).
pub const ZDO_MGMT_PERMIT_JOIN_REQ: u8 = 0x36;
/// ZDO_STARTUP_FROM_APP (25 40).
pub const ZDO_STARTUP_FROM_APP: u8 = 0x40;
/// A ZDO response AREQ is its request's id with the top bit set (0x02 → 0x82).
pub const ZDO_RSP: u8 = 0x80;
/// ZDO_STATE_CHANGE_IND (45 C0).
pub const ZDO_STATE_CHANGE_IND: u8 = 0xC0;
/// ZDO_END_DEVICE_ANNCE_IND (45 C1).
pub const ZDO_END_DEVICE_ANNCE_IND: u8 = 0xC1;
/// ZDO_LEAVE_IND (45 C9).
pub const ZDO_LEAVE_IND: u8 = 0xC9;
/// ZDO_TC_DEV_IND (45 CA).
pub const ZDO_TC_DEV_IND: u8 = 0xCA;
/// APP_CNF_BDB_START_COMMISSIONING (2F 05).
pub const BDB_START_COMMISSIONING: u8 = 0x05;
/// APP_CNF_BDB_SET_CHANNEL (2F 08).
pub const BDB_SET_CHANNEL: u8 = 0x08;
/// APP_CNF_BDB_COMMISSIONING_NOTIFICATION (4F 80).
pub const BDB_COMMISSIONING_NOTIFICATION: u8 = 0x80;

/// ZDO_STATE_CHANGE_IND state: started as the coordinator (DEV_ZB_COORD).
pub const STATE_COORDINATOR: u8 = 0x09;
/// BDB commissioning mode: network formation.
pub const BDB_FORMATION: u8 = 0x04;
/// The broadcast address of every router and the coordinator (permit join goes there).
pub const BROADCAST_ROUTERS: u16 = 0xFFFC;
/// The coordinator's own network address.
pub const COORDINATOR_NWK: u16 = 0x0000;

/// NV items start-up reads and writes.
pub mod nv {
    /// ZCD_NV_EXTADDR: the chip's IEEE address.
    pub const EXTADDR: u16 = 0x0001;
    /// ZCD_NV_STARTUP_OPTION: 3 clears the stored state and config at the next reset.
    pub const STARTUP_OPTION: u16 = 0x0003;
    /// ZCD_NV_NIB: the network information base.
    pub const NIB: u16 = 0x0021;
    /// ZCD_NV_EXTENDED_PAN_ID.
    pub const EXTENDED_PAN_ID: u16 = 0x002D;
    /// The host's "this chip holds our network" marker (0x55 when set).
    pub const HAS_CONFIGURED: u16 = 0x0060;
    /// ZCD_NV_PRECFGKEY: the network key.
    pub const PRECFGKEY: u16 = 0x0062;
    /// ZCD_NV_PRECFGKEYS_ENABLE: hand out the preconfigured key.
    pub const PRECFGKEYS_ENABLE: u16 = 0x0063;
    /// ZCD_NV_NWKKEY: key sequence number, key and the outgoing frame counter.
    pub const NWKKEY: u16 = 0x0082;
    /// ZCD_NV_PANID.
    pub const PANID: u16 = 0x0083;
    /// ZCD_NV_CHANLIST: a bit mask of channels.
    pub const CHANLIST: u16 = 0x0084;
    /// ZCD_NV_LOGICAL_TYPE: 0 coordinator.
    pub const LOGICAL_TYPE: u16 = 0x0087;
    /// ZCD_NV_ZDO_DIRECT_CB: ZDO responses come to the host as AREQs.
    pub const ZDO_DIRECT_CB: u16 = 0x008F;
    /// The value of [`HAS_CONFIGURED`] once a network was formed.
    pub const CONFIGURED: u8 = 0x55;
}

fn sreq(subsystem: u8, id: u8, data: Vec<u8>) -> Frame {
    Frame::new(Kind::Sreq, subsystem, id, data)
}

/// SYS_PING.
pub fn ping() -> Frame {
    sreq(SYS, SYS_PING, vec![])
}

/// SYS_VERSION.
pub fn version() -> Frame {
    sreq(SYS, SYS_VERSION, vec![])
}

/// SYS_RESET_REQ, soft (1: restart Z-Stack without the bootloader).
pub fn soft_reset() -> Frame {
    Frame::new(Kind::Areq, SYS, SYS_RESET_REQ, vec![0x01])
}

/// SYS_OSAL_NV_READ of `item` from offset 0.
pub fn nv_read(item: u16) -> Frame {
    let [lo, hi] = item.to_le_bytes();
    sreq(SYS, SYS_OSAL_NV_READ, vec![lo, hi, 0])
}

/// SYS_OSAL_NV_WRITE of `value` to `item` at offset 0 (values are at most 244 bytes).
pub fn nv_write(item: u16, value: &[u8]) -> Frame {
    let [lo, hi] = item.to_le_bytes();
    let mut data = vec![lo, hi, 0, value.len() as u8];
    data.extend_from_slice(value);
    sreq(SYS, SYS_OSAL_NV_WRITE, data)
}

/// SYS_OSAL_NV_ITEM_INIT: creates `item` of `value.len()` bytes holding `value` if missing.
pub fn nv_item_init(item: u16, value: &[u8]) -> Frame {
    let [lo, hi] = item.to_le_bytes();
    let [len_lo, len_hi] = (value.len() as u16).to_le_bytes();
    let mut data = vec![lo, hi, len_lo, len_hi, value.len() as u8];
    data.extend_from_slice(value);
    sreq(SYS, SYS_OSAL_NV_ITEM_INIT, data)
}

/// SYS_OSAL_NV_LENGTH of `item` (0: the item does not exist).
pub fn nv_length(item: u16) -> Frame {
    sreq(SYS, SYS_OSAL_NV_LENGTH, item.to_le_bytes().to_vec())
}

/// UTIL_GET_DEVICE_INFO.
pub fn device_info() -> Frame {
    sreq(UTIL, UTIL_GET_DEVICE_INFO, vec![])
}

/// ZDO_STARTUP_FROM_APP after `delay_ms`.
pub fn startup_from_app(delay_ms: u16) -> Frame {
    sreq(ZDO, ZDO_STARTUP_FROM_APP, delay_ms.to_le_bytes().to_vec())
}

/// APP_CNF_BDB_SET_CHANNEL: the primary (or secondary) channel mask.
pub fn bdb_set_channel(primary: bool, mask: u32) -> Frame {
    let mut data = vec![u8::from(primary)];
    data.extend_from_slice(&mask.to_le_bytes());
    sreq(APP_CNF, BDB_SET_CHANNEL, data)
}

/// APP_CNF_BDB_START_COMMISSIONING in `mode` ([`BDB_FORMATION`]).
pub fn bdb_start_commissioning(mode: u8) -> Frame {
    sreq(APP_CNF, BDB_START_COMMISSIONING, vec![mode])
}

/// An endpoint MIRAI registers on the chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// 1–240.
    pub id: u8,
    /// 0x0104 Home Automation.
    pub profile: u16,
    /// The device id it claims.
    pub device_id: u16,
    /// Server clusters.
    pub in_clusters: Vec<u16>,
    /// Client clusters.
    pub out_clusters: Vec<u16>,
}

/// AF_REGISTER of `ep` (version 0, no latency).
pub fn af_register(ep: &Endpoint) -> Frame {
    let mut data = vec![ep.id];
    data.extend_from_slice(&ep.profile.to_le_bytes());
    data.extend_from_slice(&ep.device_id.to_le_bytes());
    data.extend_from_slice(&[0, 0]);
    for list in [&ep.in_clusters, &ep.out_clusters] {
        data.push(list.len() as u8);
        list.iter()
            .for_each(|c| data.extend_from_slice(&c.to_le_bytes()));
    }
    sreq(AF, AF_REGISTER, data)
}

/// One AF message to a device's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRequest {
    /// The device's network address.
    pub nwk: u16,
    /// Its endpoint.
    pub dst_ep: u8,
    /// Ours (1).
    pub src_ep: u8,
    /// The cluster.
    pub cluster: u16,
    /// Echoed in AF_DATA_CONFIRM.
    pub trans_id: u8,
    /// The ZCL frame (at most 240 bytes here).
    pub payload: Vec<u8>,
}

/// AF options: 0x10 = APS ACK requested (zigpy-znp `TransmitOptions.ACK_REQUEST`).
const AF_ACK_REQUEST: u8 = 0x10;
/// The default radius: 30 hops, as zigpy-znp sends.
const AF_RADIUS: u8 = 0x1E;

/// AF_DATA_REQUEST with an APS ACK.
pub fn af_data_request(req: &DataRequest) -> Frame {
    let mut data = req.nwk.to_le_bytes().to_vec();
    data.extend_from_slice(&[req.dst_ep, req.src_ep]);
    data.extend_from_slice(&req.cluster.to_le_bytes());
    data.extend_from_slice(&[req.trans_id, AF_ACK_REQUEST, AF_RADIUS]);
    data.push(req.payload.len() as u8);
    data.extend_from_slice(&req.payload);
    sreq(AF, AF_DATA_REQUEST, data)
}

/// ZDO_MGMT_PERMIT_JOIN_REQ to every router for `seconds` (0 closes; 255 opens for good).
pub fn permit_join(seconds: u8) -> Frame {
    // 0F: address mode broadcast · FC FF · duration · 00 TC significance.
    let [lo, hi] = BROADCAST_ROUTERS.to_le_bytes();
    sreq(
        ZDO,
        ZDO_MGMT_PERMIT_JOIN_REQ,
        vec![0x0F, lo, hi, seconds, 0],
    )
}

/// A ZDO request to `nwk` about itself: NODE_DESC, ACTIVE_EP.
pub fn zdo_about(id: u8, nwk: u16) -> Frame {
    let mut data = nwk.to_le_bytes().to_vec();
    data.extend_from_slice(&nwk.to_le_bytes());
    sreq(ZDO, id, data)
}

/// ZDO_SIMPLE_DESC_REQ of `nwk`'s endpoint `ep`.
pub fn simple_desc(nwk: u16, ep: u8) -> Frame {
    let mut frame = zdo_about(ZDO_SIMPLE_DESC_REQ, nwk);
    frame.data.push(ep);
    frame
}

/// ZDO_BIND_REQ: `nwk` (IEEE `ieee`) sends `cluster` from `ep` to `dst_ieee` endpoint `dst_ep`.
pub fn bind(nwk: u16, ieee: u64, ep: u8, cluster: u16, dst_ieee: u64, dst_ep: u8) -> Frame {
    let mut data = nwk.to_le_bytes().to_vec();
    data.extend_from_slice(&ieee.to_le_bytes());
    data.push(ep);
    data.extend_from_slice(&cluster.to_le_bytes());
    data.push(0x03); // destination address mode: 64-bit
    data.extend_from_slice(&dst_ieee.to_le_bytes());
    data.push(dst_ep);
    sreq(ZDO, ZDO_BIND_REQ, data)
}

/// ZDO_MGMT_LEAVE_REQ: `nwk` (IEEE `ieee`) leaves, without its children, not to rejoin.
pub fn leave(nwk: u16, ieee: u64) -> Frame {
    let mut data = nwk.to_le_bytes().to_vec();
    data.extend_from_slice(&ieee.to_le_bytes());
    data.push(0);
    sreq(ZDO, ZDO_MGMT_LEAVE_REQ, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::zigbee::hex;

    fn wire(frame: Frame) -> Vec<u8> {
        frame.encode().unwrap()
    }

    #[test]
    fn requests_match_zigpy_znp() {
        // Every wire form below is "encoded by zigpy-znp 1.1.1" in the protocol notes.
        assert_eq!(wire(version()), hex("FE 00 21 02 23"));
        assert_eq!(wire(soft_reset()), hex("FE 01 41 00 01 41"));
        assert_eq!(wire(nv_read(nv::NIB)), hex("FE 03 21 08 21 00 00 0B"));
        assert_eq!(wire(startup_from_app(100)), hex("FE 02 25 40 64 00 03"));
        let form = bdb_start_commissioning(BDB_FORMATION);
        assert_eq!(wire(form), hex("FE 01 2F 05 04 2F"));
        assert_eq!(wire(permit_join(254)), hex("FE 05 25 36 0F FC FF FE 00 E4"));
        let active = zdo_about(ZDO_ACTIVE_EP_REQ, 0x1234);
        assert_eq!(wire(active), hex("FE 04 25 05 34 12 34 12 24"));
        assert_eq!(
            wire(simple_desc(0x1234, 1)),
            hex("FE 05 25 04 34 12 34 12 01 25")
        );
        // On/Off "On" (ZCL 01 05 01: cluster-specific, TSN 5, command 01) to 0x1234 ep 1.
        let on = DataRequest {
            nwk: 0x1234,
            dst_ep: 1,
            src_ep: 1,
            cluster: 0x0006,
            trans_id: 5,
            payload: hex("01 05 01"),
        };
        let bytes = hex("FE 0D 24 01 34 12 01 01 06 00 05 10 1E 03 01 05 01 05");
        assert_eq!(wire(af_data_request(&on)), bytes);
    }

    #[test]
    fn nv_writes_and_registration_lay_out_their_fields() {
        // 21 09 · 60 00 item · 00 offset · 01 length · 55.
        let write = nv_write(nv::HAS_CONFIGURED, &[nv::CONFIGURED]);
        assert_eq!(write.data, hex("60 00 00 01 55"));
        // 21 07 · 60 00 item · 01 00 item length · 01 init length · 00.
        assert_eq!(
            nv_item_init(nv::HAS_CONFIGURED, &[0]).data,
            hex("60 00 01 00 01 00")
        );
        let ep = Endpoint {
            id: 1,
            profile: 0x0104,
            device_id: 0x0005,
            in_clusters: vec![0x0000],
            out_clusters: vec![0x0006, 0x0500],
        };
        // ep · profile · device · version · latency · 1 in · 0000 · 2 out · 0006 0500.
        let want = hex("01 04 01 05 00 00 00 01 00 00 02 06 00 00 05");
        assert_eq!(af_register(&ep).data, want);
        let b = bind(0x1234, 0x00124B0001020304, 1, 0x0402, 0x00124B00AABBCCDD, 1);
        let want = "34 12 04 03 02 01 00 4B 12 00 01 02 04 03 DD CC BB AA 00 4B 12 00 01";
        assert_eq!(b.data, hex(want));
        assert_eq!(bdb_set_channel(true, 1 << 15).data, hex("01 00 80 00 00"));
    }
}

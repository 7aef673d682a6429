//! What the chip says, as typed values: SRSP payloads of the calls start-up makes, and the
//! AREQ indications a running network sends (joins, announcements, leaves, incoming AF
//! messages, state changes, resets). Layouts: TI SWRA198; zigpy-znp `zigpy_znp/commands/`.
//! A status byte other than 0 is kept as a value; only bytes too short for their layout are
//! an error ([`Malformed`]).

use super::commands::{
    AF_DATA_CONFIRM, AF_INCOMING_MSG, BDB_COMMISSIONING_NOTIFICATION, SYS_RESET_IND,
    ZDO_END_DEVICE_ANNCE_IND, ZDO_LEAVE_IND, ZDO_STATE_CHANGE_IND, ZDO_TC_DEV_IND,
};
use super::frame::{Frame, Kind};
use super::{AF, APP_CNF, Malformed, Reader, SYS, ZDO};

/// SYS_VERSION's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// MT transport revision (2).
    pub transport: u8,
    /// Product id (0 Z-Stack Home 1.2, 1 Z-Stack 3.0.x, 2 Z-Stack 3.x.0).
    pub product: u8,
    /// Major, minor, maintenance release.
    pub release: (u8, u8, u8),
    /// The firmware build date (20190425), when the chip sends it.
    pub revision: Option<u32>,
}

/// SYS_VERSION's SRSP payload.
pub fn version(data: &[u8]) -> Result<Version, Malformed> {
    let mut r = Reader::new(data, "SYS_VERSION");
    let transport = r.u8()?;
    let product = r.u8()?;
    let release = (r.u8()?, r.u8()?, r.u8()?);
    let revision = r.u32().ok();
    Ok(Version {
        transport,
        product,
        release,
        revision,
    })
}

/// UTIL_GET_DEVICE_INFO's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The chip's IEEE address.
    pub ieee: u64,
    /// Its network address (0 once it is the coordinator).
    pub nwk: u16,
    /// The device state (0x09 coordinator started).
    pub state: u8,
}

/// UTIL_GET_DEVICE_INFO's SRSP payload: status, IEEE, nwk, device type, state, …
pub fn device_info(data: &[u8]) -> Result<DeviceInfo, Malformed> {
    let mut r = Reader::new(data, "UTIL_GET_DEVICE_INFO");
    let _status = r.u8()?;
    let ieee = r.u64()?;
    let nwk = r.u16()?;
    let _device_type = r.u8()?;
    let state = r.u8()?;
    Ok(DeviceInfo { ieee, nwk, state })
}

/// SYS_OSAL_NV_READ's SRSP payload: the status, and the value when it is 0.
pub fn nv_value(data: &[u8]) -> Result<Result<Vec<u8>, u8>, Malformed> {
    let mut r = Reader::new(data, "SYS_OSAL_NV_READ");
    let status = r.u8()?;
    if status != 0 {
        return Ok(Err(status));
    }
    let len = r.u8()?;
    Ok(Ok(r.take(len as usize)?.to_vec()))
}

/// The node descriptor fields the interview keeps (ZDO_NODE_DESC_RSP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeDescriptor {
    /// 0 coordinator, 1 router, 2 end device.
    pub logical_type: u8,
    /// The MAC capability flags (bit 2: mains powered; bit 3: receiver on when idle).
    pub mac_capabilities: u8,
    /// The manufacturer code.
    pub manufacturer: u16,
}

/// A simple descriptor (ZDO_SIMPLE_DESC_RSP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleDescriptor {
    /// The endpoint.
    pub endpoint: u8,
    /// Profile id (0x0104 Home Automation).
    pub profile: u16,
    /// Device id within the profile.
    pub device_id: u16,
    /// Server clusters.
    pub in_clusters: Vec<u16>,
    /// Client clusters.
    pub out_clusters: Vec<u16>,
}

/// A ZDO response's head: who answered, the status, the address it is about.
fn zdo_head<'a>(data: &'a [u8], what: &'static str) -> Result<(u8, Reader<'a>), Malformed> {
    let mut r = Reader::new(data, what);
    let _src = r.u16()?;
    let status = r.u8()?;
    let _nwk = r.u16()?;
    Ok((status, r))
}

/// ZDO_NODE_DESC_RSP's payload: `Err(status)` when the device said no.
pub fn node_descriptor(data: &[u8]) -> Result<Result<NodeDescriptor, u8>, Malformed> {
    let (status, mut r) = zdo_head(data, "ZDO_NODE_DESC_RSP")?;
    if status != 0 {
        return Ok(Err(status));
    }
    let logical_type = r.u8()? & 0x07;
    let _aps_flags_band = r.u8()?;
    let mac_capabilities = r.u8()?;
    let manufacturer = r.u16()?;
    Ok(Ok(NodeDescriptor {
        logical_type,
        mac_capabilities,
        manufacturer,
    }))
}

/// ZDO_ACTIVE_EP_RSP's payload: the endpoints, or `Err(status)`.
pub fn active_endpoints(data: &[u8]) -> Result<Result<Vec<u8>, u8>, Malformed> {
    let (status, mut r) = zdo_head(data, "ZDO_ACTIVE_EP_RSP")?;
    if status != 0 {
        return Ok(Err(status));
    }
    let count = r.u8()?;
    Ok(Ok(r.take(count as usize)?.to_vec()))
}

/// ZDO_SIMPLE_DESC_RSP's payload: the descriptor, or `Err(status)`.
pub fn simple_descriptor(data: &[u8]) -> Result<Result<SimpleDescriptor, u8>, Malformed> {
    let (status, mut r) = zdo_head(data, "ZDO_SIMPLE_DESC_RSP")?;
    if status != 0 {
        return Ok(Err(status));
    }
    let _len = r.u8()?;
    let endpoint = r.u8()?;
    let profile = r.u16()?;
    let device_id = r.u16()?;
    let _version = r.u8()?;
    let in_clusters = r.u16_list()?;
    let out_clusters = r.u16_list()?;
    Ok(Ok(SimpleDescriptor {
        endpoint,
        profile,
        device_id,
        in_clusters,
        out_clusters,
    }))
}

/// The status of a ZDO response that carries only one (bind, leave, permit join).
pub fn zdo_status(data: &[u8]) -> Result<u8, Malformed> {
    let mut r = Reader::new(data, "ZDO response");
    let _src = r.u16()?;
    r.u8()
}

/// An application message from a device (AF_INCOMING_MSG).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The group it was sent to (0: none).
    pub group: u16,
    /// The cluster.
    pub cluster: u16,
    /// The sender's network address.
    pub src_nwk: u16,
    /// The sender's endpoint.
    pub src_ep: u8,
    /// Our endpoint it came to.
    pub dst_ep: u8,
    /// Link quality, 0–255.
    pub lqi: u8,
    /// The ZCL frame.
    pub payload: Vec<u8>,
}

fn incoming(data: &[u8]) -> Result<Incoming, Malformed> {
    let mut r = Reader::new(data, "AF_INCOMING_MSG");
    let group = r.u16()?;
    let cluster = r.u16()?;
    let src_nwk = r.u16()?;
    let src_ep = r.u8()?;
    let dst_ep = r.u8()?;
    let _was_broadcast = r.u8()?;
    let lqi = r.u8()?;
    let _security = r.u8()?;
    let _timestamp = r.u32()?;
    let _tsn = r.u8()?;
    let len = r.u8()?;
    let payload = r.take(len as usize)?.to_vec();
    Ok(Incoming {
        group,
        cluster,
        src_nwk,
        src_ep,
        dst_ep,
        lqi,
        payload,
    })
}

/// An AREQ the running network sends on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indication {
    /// SYS_RESET_IND: the chip (re)started; the reason (0 power up, 1 external, 2 watchdog).
    Reset {
        /// Why it restarted.
        reason: u8,
    },
    /// ZDO_STATE_CHANGE_IND: the device state (0x09 coordinator started).
    StateChange(u8),
    /// ZDO_TC_DEV_IND: a device joined (or rejoined) through the trust centre.
    Joined {
        /// Its network address.
        nwk: u16,
        /// Its IEEE address.
        ieee: u64,
        /// Its parent's network address.
        parent: u16,
    },
    /// ZDO_END_DEVICE_ANNCE_IND: a device announced itself (after joining or a rejoin).
    Announced {
        /// Its network address.
        nwk: u16,
        /// Its IEEE address.
        ieee: u64,
        /// Its MAC capability flags.
        capabilities: u8,
    },
    /// ZDO_LEAVE_IND: a device left.
    Left {
        /// Its network address.
        nwk: u16,
        /// Its IEEE address.
        ieee: u64,
        /// Whether it means to rejoin.
        rejoin: bool,
    },
    /// AF_INCOMING_MSG.
    Incoming(Incoming),
    /// AF_DATA_CONFIRM: the delivery status of our message `trans_id`.
    DataConfirm {
        /// 0 delivered; else the MAC / APS status (0xE9 no ACK, 0xCD no route…).
        status: u8,
        /// Our endpoint.
        endpoint: u8,
        /// The AF_DATA_REQUEST it answers.
        trans_id: u8,
    },
    /// APP_CNF_BDB_COMMISSIONING_NOTIFICATION: status, mode, the modes still to run.
    Commissioning {
        /// 0 success, 1 in progress, …
        status: u8,
        /// The mode that reports.
        mode: u8,
    },
}

impl Indication {
    /// The indication `frame` carries; `Ok(None)` for AREQs not listed here (ZDO answers,
    /// which calls await themselves).
    pub fn parse(frame: &Frame) -> Result<Option<Indication>, Malformed> {
        if frame.kind != Kind::Areq {
            return Ok(None);
        }
        let data = &frame.data;
        let parsed = match (frame.subsystem, frame.id) {
            (SYS, SYS_RESET_IND) => Indication::Reset {
                reason: Reader::new(data, "SYS_RESET_IND").u8()?,
            },
            (ZDO, ZDO_STATE_CHANGE_IND) => {
                Indication::StateChange(Reader::new(data, "ZDO_STATE_CHANGE_IND").u8()?)
            }
            (ZDO, ZDO_TC_DEV_IND) => {
                let mut r = Reader::new(data, "ZDO_TC_DEV_IND");
                let (nwk, ieee, parent) = (r.u16()?, r.u64()?, r.u16()?);
                Indication::Joined { nwk, ieee, parent }
            }
            (ZDO, ZDO_END_DEVICE_ANNCE_IND) => {
                let mut r = Reader::new(data, "ZDO_END_DEVICE_ANNCE_IND");
                let _src = r.u16()?;
                let (nwk, ieee, capabilities) = (r.u16()?, r.u64()?, r.u8()?);
                Indication::Announced {
                    nwk,
                    ieee,
                    capabilities,
                }
            }
            (ZDO, ZDO_LEAVE_IND) => {
                let mut r = Reader::new(data, "ZDO_LEAVE_IND");
                let (nwk, ieee) = (r.u16()?, r.u64()?);
                let (_request, _remove, rejoin) = (r.u8()?, r.u8()?, r.u8()?);
                let rejoin = rejoin != 0;
                Indication::Left { nwk, ieee, rejoin }
            }
            (AF, AF_INCOMING_MSG) => Indication::Incoming(incoming(data)?),
            (AF, AF_DATA_CONFIRM) => {
                let mut r = Reader::new(data, "AF_DATA_CONFIRM");
                let (status, endpoint, trans_id) = (r.u8()?, r.u8()?, r.u8()?);
                Indication::DataConfirm {
                    status,
                    endpoint,
                    trans_id,
                }
            }
            (APP_CNF, BDB_COMMISSIONING_NOTIFICATION) => {
                let mut r = Reader::new(data, "BDB_COMMISSIONING_NOTIFICATION");
                let (status, mode) = (r.u8()?, r.u8()?);
                Indication::Commissioning { status, mode }
            }
            _ => return Ok(None),
        };
        Ok(Some(parsed))
    }
}

#[cfg(test)]
mod tests;

//! What a joined device is, asked at the ZDO level: its node descriptor (logical type,
//! manufacturer code, power source), its active endpoints, and each endpoint's simple
//! descriptor (profile, device id, server and client clusters). A sleepy end device answers
//! only when it polls its parent, so each request is tried [`ATTEMPTS`] times.

use serde::Serialize;
use tracing::debug;

use super::driver::Driver;
use super::mt::ZDO;
use super::mt::commands::{self, ZDO_ACTIVE_EP_REQ, ZDO_NODE_DESC_REQ, ZDO_RSP};
use super::mt::frame::Frame;
use super::mt::parse;
use super::znp::{Awaited, Call, Failure};
use super::{Timeouts, ZigbeeError};

/// Tries of each ZDO request before the interview fails.
pub const ATTEMPTS: u32 = 3;

/// The device's role in the network (node descriptor bits 0–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogicalType {
    /// 0.
    Coordinator,
    /// 1: mains powered, routes for others.
    Router,
    /// 2: often battery powered and asleep.
    EndDevice,
    /// Anything else the descriptor says.
    Other(u8),
}

impl LogicalType {
    fn from_bits(bits: u8) -> Self {
        match bits {
            0 => LogicalType::Coordinator,
            1 => LogicalType::Router,
            2 => LogicalType::EndDevice,
            other => LogicalType::Other(other),
        }
    }
}

/// Where the device's power comes from (MAC capability flags, bit 2 "mains power").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerSource {
    /// Mains.
    Mains,
    /// A battery (or anything not mains).
    Battery,
}

/// One endpoint of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// 1–240.
    pub id: u8,
    /// Profile id (0x0104 Home Automation).
    pub profile: u16,
    /// Device id within the profile (0x0102 colour light, 0x0302 temperature sensor…).
    pub device_id: u16,
    /// Server clusters.
    pub in_clusters: Vec<u16>,
    /// Client clusters.
    pub out_clusters: Vec<u16>,
}

/// What an interview found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interview {
    /// IEEE address.
    pub ieee: u64,
    /// Network address.
    pub nwk: u16,
    /// Router, end device…
    pub logical_type: LogicalType,
    /// The manufacturer code.
    pub manufacturer: u16,
    /// Mains or battery.
    pub power: PowerSource,
    /// Its endpoints, in the order the device listed them.
    pub endpoints: Vec<Endpoint>,
}

/// Interviews the device `nwk` / `ieee`, waiting `timeouts.zdo` for each answer.
pub(crate) async fn interview(
    driver: &Driver,
    nwk: u16,
    ieee: u64,
    timeouts: &Timeouts,
) -> Result<Interview, ZigbeeError> {
    let ask = |frame: Frame, id: u8| ask(driver, nwk, frame, id, timeouts);
    let node = ask(
        commands::zdo_about(ZDO_NODE_DESC_REQ, nwk),
        ZDO_NODE_DESC_REQ,
    )
    .await?;
    let node = parse::node_descriptor(&node)?.map_err(said(nwk, "NODE_DESC_REQ"))?;
    let active = ask(
        commands::zdo_about(ZDO_ACTIVE_EP_REQ, nwk),
        ZDO_ACTIVE_EP_REQ,
    )
    .await?;
    let ids = parse::active_endpoints(&active)?.map_err(said(nwk, "ACTIVE_EP_REQ"))?;
    let mut endpoints = Vec::with_capacity(ids.len());
    for ep in ids {
        let simple = commands::simple_desc(nwk, ep);
        let data = ask(simple, commands::ZDO_SIMPLE_DESC_REQ).await?;
        let desc = parse::simple_descriptor(&data)?.map_err(said(nwk, "SIMPLE_DESC_REQ"))?;
        endpoints.push(Endpoint {
            id: desc.endpoint,
            profile: desc.profile,
            device_id: desc.device_id,
            in_clusters: desc.in_clusters,
            out_clusters: desc.out_clusters,
        });
    }
    let power = if node.mac_capabilities & 0x04 != 0 {
        PowerSource::Mains
    } else {
        PowerSource::Battery
    };
    Ok(Interview {
        ieee,
        nwk,
        logical_type: LogicalType::from_bits(node.logical_type),
        manufacturer: node.manufacturer,
        power,
        endpoints,
    })
}

fn said(nwk: u16, what: &'static str) -> impl Fn(u8) -> ZigbeeError {
    move |status| ZigbeeError::DeviceSaid { nwk, what, status }
}

/// Sends a ZDO request to `nwk` and returns its response's data, trying [`ATTEMPTS`] times
/// when the device stays silent.
pub(crate) async fn ask(
    driver: &Driver,
    nwk: u16,
    frame: Frame,
    request_id: u8,
    timeouts: &Timeouts,
) -> Result<Vec<u8>, ZigbeeError> {
    let [lo, hi] = nwk.to_le_bytes();
    let awaited = Awaited {
        subsystem: ZDO,
        id: request_id | ZDO_RSP,
        // The response starts with the address of the device that answered.
        fields: vec![(0, lo), (1, hi)],
        timeout: timeouts.zdo,
        only_on_success: true,
    };
    let mut attempt = 1;
    loop {
        let call = Call::new(frame.clone(), timeouts.sreq).awaiting(awaited.clone());
        match driver.call(call).await {
            Ok(answer) => match (answer.status(), answer.areq) {
                (_, Some(data)) => return Ok(data),
                (status, None) => {
                    let status = status.unwrap_or(0xFF);
                    let step = "a ZDO request";
                    return Err(ZigbeeError::Refused { step, status });
                }
            },
            Err(ZigbeeError::Chip(Failure::NoIndication(_))) if attempt < ATTEMPTS => {
                debug!(nwk, attempt, "no ZDO answer yet; asking again");
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

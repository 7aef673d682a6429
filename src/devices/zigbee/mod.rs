//! Zigbee as the coordinator on a TI Z-Stack stick (CC2652 / CC1352: Sonoff ZBDongle-P,
//! SLZB-06 and the like), spoken to over MT, without Zigbee2MQTT (issue #10, native half).
//!
//! # Layout
//!
//! - [`mt`]: MT framing, the receive buffer, the commands and their parsed answers (pure).
//! - [`znp`]: the host side of MT as a sans-IO machine: one SREQ in flight, AREQs at any
//!   moment, per-call timeouts, calls that await a matching AREQ.
//! - `port`: opening the link: a serial device (115200 8N1, DTR/RTS reset) or `tcp://host:port`.
//! - `driver`: the one task that owns the link and the machine, and its cloneable handle.
//! - [`network`]: the network's identity (channel, PAN ids, key), chosen at random when
//!   forming, and its backup file.
//! - `startup`: ping, version, device info; form a new network or resume the stored one;
//!   register endpoint 1.
//! - [`interview`]: what a joined device is: node descriptor, endpoints, simple descriptors.
//! - [`coordinator`]: [`Zigbee`], the handle the hub holds: start, events, permit join,
//!   interview, send ZCL, bind, leave, backup; recovery after a chip reset.
//! - [`zcl`]: the Zigbee Cluster Library: frames, data types, global commands, the clusters
//!   MIRAI knows, and what to configure on a device that joined. Pure: no I/O.
//! - [`device`]: a joined device as the hub keeps it: addresses, endpoints, clusters, readings.
//! - [`entities`]: a device as registry entities, its state from reports, and what a service
//!   call asks of it as ZCL commands. Pure: no I/O.
//! - [`backend`]: [`ZigbeeBackend`], the devices in the registry: the driver on a thread of
//!   its own (`link`), devices set up as they join, kept in the memory, calls carried out.

pub mod backend;
pub mod coordinator;
pub mod device;
pub(crate) mod driver;
pub mod entities;
pub mod interview;
mod link;
pub mod mt;
pub mod network;
pub(crate) mod port;
pub(crate) mod startup;
pub mod zcl;
pub mod znp;

use std::time::Duration;

pub use backend::{BackendSettings, LinkStatus, ZigbeeBackend};
pub use coordinator::Zigbee;
pub use driver::{Ended, Event};
pub use interview::{Endpoint, Interview, LogicalType, PowerSource};
pub use network::{Backup, NetworkInfo};
pub use znp::Failure;

/// What the host does with the stick's DTR and RTS lines when it opens the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetLine {
    /// DTR held low (released) while RTS pulses: the CC2652 / CC1352 sticks wired like TI's
    /// LaunchPads (Sonoff ZBDongle-P, slaesh's CC2652RB) restart into Z-Stack, not into their
    /// serial bootloader (zigpy-znp `api.py`, "skip bootloader").
    #[default]
    DtrRts,
    /// Leave the lines alone (network-attached sticks, boards without the wiring).
    None,
}

/// How long the chip has for each kind of call. The defaults are herdsman's and zigpy-znp's;
/// tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Any SREQ's SRSP: 6 s.
    pub sreq: Duration,
    /// Forming or resuming, up to the coordinator state: 40 s.
    pub startup: Duration,
    /// A soft reset's RESET_IND: 30 s.
    pub reset: Duration,
    /// AF_DATA_CONFIRM after AF_DATA_REQUEST: 8 s (zigpy-znp).
    pub data_confirm: Duration,
    /// A device's answer to a ZDO request (a sleepy one may take a poll period): 10 s.
    pub zdo: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            sreq: znp::SREQ_TIMEOUT,
            startup: Duration::from_secs(40),
            reset: Duration::from_secs(30),
            data_confirm: Duration::from_secs(8),
            zdo: Duration::from_secs(10),
        }
    }
}

/// How the hub reaches its Zigbee stick and which network it keeps (the `zigbee` section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZigbeeSettings {
    /// A device path (`/dev/serial/by-id/…`) or `tcp://host:port`.
    pub port: String,
    /// DTR/RTS handling at open.
    pub reset: ResetLine,
    /// The channel a new network forms on (11–26).
    pub channel: u8,
    /// The PAN id a new network takes; random when `None`.
    pub pan_id: Option<u16>,
    /// The extended PAN id a new network takes; random when `None`.
    pub extended_pan_id: Option<u64>,
    /// How long `permit_join` opens the network when not told (1–254 s).
    pub permit_join: Duration,
    /// Per-call timeouts; not in the config file.
    pub timeouts: Timeouts,
}

impl ZigbeeSettings {
    /// Defaults for `port`: DTR/RTS reset, channel 15, random ids, 254 s permit join.
    pub fn new(port: impl Into<String>) -> ZigbeeSettings {
        ZigbeeSettings {
            port: port.into(),
            reset: ResetLine::default(),
            channel: 15,
            pan_id: None,
            extended_pan_id: None,
            permit_join: Duration::from_secs(254),
            timeouts: Timeouts::default(),
        }
    }
}

/// Why a Zigbee call failed. The chip or a device saying no is a value here
/// ([`ZigbeeError::Refused`], [`ZigbeeError::DeviceSaid`]) for callers to branch on.
#[derive(Debug, thiserror::Error)]
pub enum ZigbeeError {
    /// The port could not be opened.
    #[error("cannot open Zigbee port {port}: {source}")]
    Open {
        /// The configured port.
        port: String,
        /// Why.
        source: std::io::Error,
    },
    /// The driver task has ended (link closed, shutdown).
    #[error("the Zigbee driver has stopped")]
    Stopped,
    /// The chip did not answer in time, restarted, or does not know the command.
    #[error("the Zigbee stick did not complete the call: {0}")]
    Chip(#[from] Failure),
    /// Bytes from the chip too short for their layout.
    #[error("malformed answer from the Zigbee stick: {0}")]
    Malformed(#[from] mt::Malformed),
    /// The chip answered a start-up step with a status other than success.
    #[error("the Zigbee stick refused {step} (status {status:#04x})")]
    Refused {
        /// The step.
        step: &'static str,
        /// Its status.
        status: u8,
    },
    /// A device answered a ZDO request with a status other than success.
    #[error("device {nwk:#06x} answered {what} with status {status:#04x}")]
    DeviceSaid {
        /// The device's network address.
        nwk: u16,
        /// The request.
        what: &'static str,
        /// Its status.
        status: u8,
    },
    /// A backup file could not be read or written.
    #[error("Zigbee backup {path}: {reason}")]
    Backup {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A ZCL payload too long for one AF frame.
    #[error("a ZCL frame of {0} bytes does not fit one AF message (at most 240)")]
    TooLong(usize),
}

/// Bytes written as hex pairs (`"FE 00 21 02"`), for the tests' byte fixtures.
#[cfg(test)]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

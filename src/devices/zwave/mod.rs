//! Z-Wave over a USB controller's Serial API (issue #7), without Z-Wave JS.
//!
//! # Layout
//!
//! - [`frame`]: the bytes on the wire: SOF / LEN / TYPE / FUNC / payload / checksum, ACK, NAK,
//!   CAN; explicit resync on garbage. Public so the fuzz target and bench reach it.
//! - [`receiver`]: the receive buffer: bytes in, frames out, the 1500 ms partial-frame timeout.
//! - `serial_api`: the host side of the Serial API: one command in flight, ACK → response →
//!   callback, retransmission, callback ids, unsolicited frames. Sans-IO: frames and `now` in,
//!   bytes and a deadline out.
//! - `port`: opening the link: a serial device (115200 8N1) or `tcp://host:port`.
//! - `driver`: the one task that owns the link and runs the Serial API machine, and the
//!   cloneable handle that queues commands to it.
//! - `function`: Serial API function ids and the shape of each call.
//! - [`network`]: what start-up learns ([`Network`], [`Node`]) and the response parsers.
//! - `startup`: the start-up sequence: soft reset … node information frames.
//! - [`controller`]: [`Zwave`], the handle the hub uses: start, set, get, reports.
//! - [`membership`]: inclusion and exclusion with their progress ([`Inclusion`], [`Exclusion`]).
//! - [`entities`]: the nodes as registry entities (pure): which entities, their state, what a
//!   service call asks of a node.
//! - [`reading`]: a node's whole state read with one Get per command class.
//! - [`backend`]: [`ZwaveBackend`], the registry's back end: the driver on a thread of its own,
//!   state from start-up reads and reports, calls as Set → Get → the truth.
//! - `link`: the back end's driver thread: start, read, follow, start again.
//! - `kept`: the nodes the memory keeps between runs, as start-up's nodes and back.
//! - [`operations`]: what the CLI and the API ask of the back end, answered as JSON.
//! - `application`: the node command inside ApplicationCommandHandler 0x04 / Bridge… 0xA8.
//! - [`command_class`]: the application payloads nodes send and receive (Basic, switches,
//!   sensors, meters, notifications, battery, central scene, thermostat, door lock).
//!
//! Not yet: Security S0 / S2 (secure inclusion; real door locks need it, so MIRAI shows a
//! lock's state but refuses to lock or unlock it).

pub(crate) mod application;
pub mod backend;
pub mod command_class;
pub mod controller;
pub(crate) mod driver;
pub mod entities;
pub mod frame;
pub(crate) mod function;
pub(crate) mod kept;
pub(crate) mod link;
pub mod membership;
pub mod network;
pub mod operations;
pub(crate) mod port;
pub mod reading;
pub mod receiver;
pub(crate) mod serial_api;
pub(crate) mod startup;

use std::time::Duration;

pub use backend::{BackendSettings, LinkStatus, ZwaveBackend};
pub use controller::{NodeReport, Query, Reports, Target, TxStatus, Zwave};
pub use driver::Ended;
pub use entities::Label;
pub use membership::{Exclusion, Inclusion};
pub use network::{Network, Node};
pub use serial_api::{Failure, Refusal, Timeouts};

use frame::EncodeError;

/// How the hub reaches its Z-Wave stick (from the `zwave` config section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZwaveSettings {
    /// A device path (`/dev/serial/by-id/…`) or `tcp://host:port`.
    pub port: String,
    /// How long to wait for SerialApiStarted after the soft reset (some sticks never send it).
    pub started_wait: Duration,
    /// How long a listening node has to answer RequestNodeInfo at start-up.
    pub node_info_timeout: Duration,
    /// How long a node has to answer a Get with its report.
    pub report_timeout: Duration,
    /// How long the stick has to ACK, answer and call back a command. Not in the config file:
    /// the Serial API's own values suit every stick; tests shorten them.
    pub timeouts: Timeouts,
}

impl ZwaveSettings {
    /// Defaults for `port`: 1.5 s for SerialApiStarted (zwave-js), 10 s per node info, 10 s
    /// per report, and the Serial API's timeouts (1.6 s ACK, 10 s response, 65 s callback).
    pub fn new(port: impl Into<String>) -> ZwaveSettings {
        ZwaveSettings {
            port: port.into(),
            started_wait: Duration::from_millis(1500),
            node_info_timeout: Duration::from_secs(10),
            report_timeout: Duration::from_secs(10),
            timeouts: Timeouts::default(),
        }
    }
}

/// Why a Z-Wave call failed. A node that did not get or answer a command is a value here too
/// ([`ZwaveError::NotDelivered`], [`ZwaveError::NoReport`]), for the caller to branch on.
#[derive(Debug, thiserror::Error)]
pub enum ZwaveError {
    /// The port could not be opened.
    #[error("cannot open Z-Wave port {port}: {source}")]
    Open {
        /// The configured port.
        port: String,
        /// Why.
        source: std::io::Error,
    },
    /// The driver task has ended (link closed, shutdown).
    #[error("the Z-Wave driver has stopped")]
    Stopped,
    /// The chip did not ACK, answer or call back, or refused the command.
    #[error("the Z-Wave controller did not complete the command: {0}")]
    Chip(Failure),
    /// A response too short for its layout.
    #[error("malformed response to Serial API function {function:#04x}")]
    Malformed {
        /// The function.
        function: u8,
    },
    /// The payload does not fit a frame.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The controller could not deliver a command to the node.
    #[error("node {node} did not get the command: {status:?}")]
    NotDelivered {
        /// The node.
        node: u8,
        /// The SendData callback's status.
        status: TxStatus,
    },
    /// The node got a Get but sent no matching report in time.
    #[error("node {node} sent no report")]
    NoReport {
        /// The node.
        node: u8,
    },
    /// Another inclusion or a refused mode: the chip reported AddNodeToNetwork failed.
    #[error("inclusion failed (status {0:#04x})")]
    InclusionFailed(u8),
    /// Another inclusion or exclusion runs, or the chip refused: RemoveNodeFromNetwork failed.
    #[error("exclusion failed (status {0:#04x})")]
    ExclusionFailed(u8),
}

/// A data frame of `kind` for `function` with a hex payload, for the tests.
#[cfg(test)]
pub(crate) fn data_frame(kind: frame::Kind, function: u8, payload: &str) -> frame::Frame {
    frame::Frame::Data {
        kind,
        function,
        payload: hex(payload),
    }
}

/// Bytes written as hex pairs (`"01 03 00 FF"`), for the tests' byte fixtures.
#[cfg(test)]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

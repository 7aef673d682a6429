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
//! - `application`: the node command inside ApplicationCommandHandler 0x04 / Bridge… 0xA8.
//! - `command_class`: the application payloads nodes send and receive (Basic, switches,
//!   sensors, meters, notifications, battery, central scene, thermostat, door lock).
//!
//! The port (a serial device or `tcp://`), start-up, inclusion and the registry come later;
//! until then nothing outside the tests calls this code.
#![allow(dead_code)]

pub(crate) mod application;
pub(crate) mod command_class;
pub mod frame;
pub mod receiver;
pub(crate) mod serial_api;

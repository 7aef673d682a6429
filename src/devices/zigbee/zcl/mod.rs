//! The Zigbee Cluster Library (ZCL): the application frames inside AF messages, as bytes in
//! and typed values out, and the frames MIRAI sends. Pure: no I/O, no clock.
//!
//! A ZCL frame is `FC [manufacturer u16] TSN CMD payload`, little-endian throughout. Every
//! parser reads only the bytes it is given and says what is wrong and at which byte (counted
//! from the frame's first byte): a device's bad frame is an error value, never a panic.
//! Facts come from the ZCL specification (07-5123) as zigbee-herdsman (src/zspec/zcl) and
//! zigpy (zigpy/zcl) spell it; the byte fixtures in the tests name their source.
//!
//! # Layout
//!
//! - [`header`]: the frame header ([`Header`]) and a whole frame ([`Frame`]).
//! - [`types`]: the data types and their values ([`Value`]); a type MIRAI does not know is an
//!   error, since its length (and so everything after it) cannot be known.
//! - `extent`: where a value of the kinds MIRAI keeps as raw bytes (arrays, structures, time,
//!   keys…) ends.
//! - [`global`]: the commands every cluster shares ([`Global`]): read, write, configure
//!   reporting, report, default response; the default response a frame calls for.
//! - [`clusters`]: the cluster and attribute ids MIRAI uses, the commands it sends (on/off,
//!   level, color), and attribute values as typed readings ([`Reading`]).
//! - [`ias`]: IAS Zone: the zone status bits, the device's notifications and enroll requests,
//!   the host's enroll response.
//! - [`reporting`]: what to set up on a device that joined: bindings, Configure Reporting
//!   records and IAS enrollment ([`Step`]).

pub mod clusters;
mod extent;
pub mod global;
pub mod header;
pub mod ias;
pub mod reporting;
pub mod types;

pub use clusters::Reading;
pub use global::{AttributeResult, Global, ReportingRecord, Status};
pub use header::{Direction, Frame, FrameType, Header};
pub use reporting::Step;
pub use types::Value;

/// What is wrong with a ZCL frame, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZclError {
    /// The frame ends before a field does.
    #[error("ZCL frame ends at byte {at}: {what} needs {needed} more byte(s)")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// The byte it starts at.
        at: usize,
        /// How many bytes are missing.
        needed: usize,
    },
    /// A data type id MIRAI does not know: its length cannot be known, so neither can the
    /// rest of the frame.
    #[error(
        "unknown ZCL data type 0x{type_id:02X} at byte {at}: its length is unknown, so the rest of the frame cannot be read"
    )]
    UnknownType {
        /// The type id.
        type_id: u8,
        /// The byte it is at.
        at: usize,
    },
    /// Bytes left over after the last whole record.
    #[error("{count} stray byte(s) at byte {at} after the last whole {what}")]
    Trailing {
        /// The record kind.
        what: &'static str,
        /// The first stray byte.
        at: usize,
        /// How many.
        count: usize,
    },
    /// A field holds a value the frame cannot have.
    #[error("bad {what} at byte {at}: {detail}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// The byte it is at.
        at: usize,
        /// What is wrong.
        detail: String,
    },
    /// A value too long for its type (a string over 254 bytes) cannot be sent.
    #[error("{what} of {len} bytes is longer than the {max} its type allows")]
    TooLong {
        /// The value.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The most the type allows.
        max: usize,
    },
    /// An attribute value of another type than its cluster defines.
    #[error(
        "attribute 0x{attribute:04X} of cluster 0x{cluster:04X} came as {got}, expected {expected}"
    )]
    WrongType {
        /// The cluster.
        cluster: u16,
        /// The attribute.
        attribute: u16,
        /// The type the cluster defines.
        expected: &'static str,
        /// The type that came.
        got: String,
    },
}

/// A cursor over a frame's bytes that knows its position, so errors say where.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Reads `bytes` from the first.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// Reads `bytes`, the first of which is byte `at` of the frame.
    pub(crate) fn at(bytes: &'a [u8], at: usize) -> Self {
        Reader { bytes, at }
    }

    /// The frame position of the next byte.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Whether all bytes are read.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The next `n` bytes, or a [`ZclError::Truncated`] naming `what`.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ZclError> {
        if n > self.bytes.len() {
            return Err(ZclError::Truncated {
                what,
                at: self.at,
                needed: n - self.bytes.len(),
            });
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        self.at += n;
        Ok(head)
    }

    /// One byte.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, ZclError> {
        Ok(self.take(1, what)?[0])
    }

    /// A little-endian u16.
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, ZclError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// A little-endian unsigned number of `width` bytes (1–8).
    pub(crate) fn uint(&mut self, width: usize, what: &'static str) -> Result<u64, ZclError> {
        let b = self.take(width, what)?;
        Ok(b.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    /// Everything left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes;
        self.at += rest.len();
        self.bytes = &[];
        rest
    }

    /// An error unless every byte was read.
    pub(crate) fn finish(&self, what: &'static str) -> Result<(), ZclError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(ZclError::Trailing {
                what,
                at: self.at,
                count: self.bytes.len(),
            })
        }
    }
}

/// Appends `value`'s low `width` bytes, little-endian.
pub(crate) fn put_uint(out: &mut Vec<u8>, value: u64, width: usize) {
    out.extend_from_slice(&value.to_le_bytes()[..width]);
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_clusters;
#[cfg(test)]
mod tests_fuzz;
#[cfg(test)]
mod tests_round_trip;

//! The ZCL frame header: frame control, the manufacturer code of manufacturer-specific frames,
//! the transaction sequence number and the command id; and a whole frame, header and payload.
//!
//! Frame control bits (ZCL 2.4.1.1): 0–1 frame type (0 global, 1 cluster-specific),
//! 2 manufacturer-specific, 3 direction (set: server to client), 4 disable default response,
//! 5–7 reserved (ignored on receipt, sent as zero).

use super::{Reader, ZclError};

/// Whether a command is one every cluster shares or one of its cluster's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    /// Read, write, report, configure reporting, default response…
    Global,
    /// A cluster's own command: On, MoveToLevelWithOnOff, Zone Enroll Response…
    Cluster,
}

/// Which side of a cluster sent the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From a client to a server: what MIRAI sends to a device's clusters.
    ToServer,
    /// From a server to a client: a device's reports and answers.
    ToClient,
}

impl Direction {
    /// The other way: the direction of an answer.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

/// A ZCL frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Global or cluster-specific.
    pub frame_type: FrameType,
    /// The manufacturer code of a manufacturer-specific frame.
    pub manufacturer: Option<u16>,
    /// Who sent it.
    pub direction: Direction,
    /// The sender asks for no Default Response.
    pub disable_default_response: bool,
    /// Transaction sequence number: an answer repeats its request's.
    pub tsn: u8,
    /// The command id, global or of the cluster by `frame_type`.
    pub command: u8,
}

const MANUFACTURER_SPECIFIC: u8 = 0x04;
const TO_CLIENT: u8 = 0x08;
const DISABLE_DEFAULT_RESPONSE: u8 = 0x10;

impl Header {
    /// A header for a frame MIRAI sends to a device's server cluster, with TSN 0 (the link
    /// sets the real one before sending).
    pub fn to_server(frame_type: FrameType, command: u8) -> Header {
        Header {
            frame_type,
            manufacturer: None,
            direction: Direction::ToServer,
            disable_default_response: false,
            tsn: 0,
            command,
        }
    }

    /// Reads a header from the front of `r`.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Header, ZclError> {
        let at = r.position();
        let fc = r.u8("frame control")?;
        let frame_type = match fc & 0x03 {
            0 => FrameType::Global,
            1 => FrameType::Cluster,
            other => {
                return Err(ZclError::Invalid {
                    what: "frame control",
                    at,
                    detail: format!("frame type {other} is reserved (0x{fc:02X})"),
                });
            }
        };
        let manufacturer = if fc & MANUFACTURER_SPECIFIC != 0 {
            Some(r.u16("manufacturer code")?)
        } else {
            None
        };
        Ok(Header {
            frame_type,
            manufacturer,
            direction: if fc & TO_CLIENT != 0 {
                Direction::ToClient
            } else {
                Direction::ToServer
            },
            disable_default_response: fc & DISABLE_DEFAULT_RESPONSE != 0,
            tsn: r.u8("transaction sequence number")?,
            command: r.u8("command id")?,
        })
    }

    /// Parses a header alone; the length it took is [`Header::len`].
    pub fn parse(bytes: &[u8]) -> Result<Header, ZclError> {
        Header::read(&mut Reader::new(bytes))
    }

    /// The frame control byte.
    pub fn frame_control(&self) -> u8 {
        let mut fc = match self.frame_type {
            FrameType::Global => 0,
            FrameType::Cluster => 1,
        };
        if self.manufacturer.is_some() {
            fc |= MANUFACTURER_SPECIFIC;
        }
        if self.direction == Direction::ToClient {
            fc |= TO_CLIENT;
        }
        if self.disable_default_response {
            fc |= DISABLE_DEFAULT_RESPONSE;
        }
        fc
    }

    /// Its length in bytes: 3, or 5 with a manufacturer code.
    pub fn len(&self) -> usize {
        if self.manufacturer.is_some() { 5 } else { 3 }
    }

    /// Never empty; here for clippy's `len` convention.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Appends the header's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.frame_control());
        if let Some(code) = self.manufacturer {
            out.extend_from_slice(&code.to_le_bytes());
        }
        out.extend_from_slice(&[self.tsn, self.command]);
    }
}

/// A whole ZCL frame: header and the command's payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The header.
    pub header: Header,
    /// The command's payload, read by [`super::Global::parse`] or a cluster's parser.
    pub payload: Vec<u8>,
}

impl Frame {
    /// Splits `bytes` into header and payload.
    pub fn parse(bytes: &[u8]) -> Result<Frame, ZclError> {
        let mut r = Reader::new(bytes);
        let header = Header::read(&mut r)?;
        Ok(Frame {
            header,
            payload: r.rest().to_vec(),
        })
    }

    /// A reader over the payload that counts from the frame's first byte.
    pub(crate) fn payload_reader(&self) -> Reader<'_> {
        Reader::at(&self.payload, self.header.len())
    }

    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.header.len() + self.payload.len());
        self.header.write(&mut out);
        out.extend_from_slice(&self.payload);
        out
    }

    /// The same frame with transaction sequence number `tsn`.
    pub fn with_tsn(mut self, tsn: u8) -> Frame {
        self.header.tsn = tsn;
        self
    }
}

//! MT framing: the bytes on the wire between the host and a TI Z-Stack network processor.
//!
//! A frame is `SOF(FE) LEN CMD0 CMD1 DATA… FCS`, where LEN counts DATA only (at most
//! [`MAX_DATA_LEN`]), CMD0 is `type << 5 | subsystem`, CMD1 the command id within the
//! subsystem, and FCS the XOR of every byte from LEN through the last DATA byte. There are no
//! ACKs and no NAKs: a broken frame is simply dropped. Source: TI "Z-Stack Monitor and Test
//! API" (SWRA198), and the framing in zigpy-znp `zigpy_znp/frames.py`.
//!
//! [`decode`] looks at a byte slice and says what starts it: a frame, garbage to skip, or how
//! many bytes are still missing. No I/O, no clock; the buffer and its timeout are `receiver`'s.

use std::fmt;

/// Start of frame.
pub const SOF: u8 = 0xFE;
/// The most DATA bytes a frame carries (LEN ≤ 250: Z-Stack's MT_UART buffers, SWRA198).
pub const MAX_DATA_LEN: usize = 250;
/// The longest frame, SOF through FCS: a LEN above [`MAX_DATA_LEN`] is line noise and is
/// resynced at once rather than waited for, so the receive buffer never holds more.
pub const MAX_FRAME_LEN: usize = MAX_DATA_LEN + 5;

/// The type bits of CMD0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// 0: POLL (not used over UART; kept so every CMD0 decodes).
    Poll,
    /// 1 (0x20): a synchronous request; the chip answers with an SRSP at once.
    Sreq,
    /// 2 (0x40): an asynchronous message, either way, at any moment.
    Areq,
    /// 3 (0x60): the synchronous response to the SREQ in flight.
    Srsp,
}

impl Kind {
    fn bits(self) -> u8 {
        match self {
            Kind::Poll => 0,
            Kind::Sreq => 1,
            Kind::Areq => 2,
            Kind::Srsp => 3,
        }
    }

    fn from_bits(bits: u8) -> Option<Kind> {
        match bits {
            0 => Some(Kind::Poll),
            1 => Some(Kind::Sreq),
            2 => Some(Kind::Areq),
            3 => Some(Kind::Srsp),
            _ => None,
        }
    }
}

/// One checked MT frame. A plain value: what went over the wire, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    /// SREQ, AREQ, SRSP or POLL.
    pub kind: Kind,
    /// The low five bits of CMD0: 1 SYS, 4 AF, 5 ZDO, 7 UTIL, 0x0F APP_CNF…
    pub subsystem: u8,
    /// CMD1: the command within the subsystem.
    pub id: u8,
    /// The DATA bytes.
    pub data: Vec<u8>,
}

impl Frame {
    /// A frame of `kind` for `subsystem` / `id` carrying `data`.
    pub fn new(kind: Kind, subsystem: u8, id: u8, data: Vec<u8>) -> Frame {
        Frame {
            kind,
            subsystem,
            id,
            data,
        }
    }

    /// CMD0 as sent: `type << 5 | subsystem`.
    pub fn cmd0(&self) -> u8 {
        self.kind.bits() << 5 | (self.subsystem & 0x1F)
    }

    /// The frame's bytes on the wire.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        if self.data.len() > MAX_DATA_LEN {
            return Err(EncodeError::TooLong(self.data.len()));
        }
        let mut out = Vec::with_capacity(self.data.len() + 5);
        out.extend_from_slice(&[SOF, self.data.len() as u8, self.cmd0(), self.id]);
        out.extend_from_slice(&self.data);
        out.push(fcs(&out[1..]));
        Ok(out)
    }
}

/// Why a frame cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// More DATA than [`MAX_DATA_LEN`].
    #[error("{0} data bytes do not fit an MT frame (at most 250)")]
    TooLong(usize),
}

/// Bytes the decoder refused, for the caller to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    /// A run of bytes before the next SOF: they start nothing. Holds up to 16 of them.
    Stray(Vec<u8>),
    /// An SOF followed by a LEN above [`MAX_DATA_LEN`]: the SOF is dropped.
    BadLength(u8),
    /// A complete frame whose FCS does not match: its SOF is dropped and the decoder looks
    /// for the next SOF inside it (the LEN may have been noise).
    BadFcs {
        /// What the FCS should have been.
        expected: u8,
        /// What it was.
        got: u8,
    },
    /// A checked frame whose CMD0 type bits (4–7) name no MT type: its SOF is dropped.
    BadType(u8),
    /// A partial frame dropped `receiver::PARTIAL_FRAME_TIMEOUT` after its SOF.
    Expired {
        /// How many bytes of it had arrived.
        received: usize,
    },
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reject::Stray(bytes) => {
                f.write_str("stray bytes")?;
                bytes.iter().try_for_each(|b| write!(f, " {b:02X}"))
            }
            Reject::BadLength(len) => write!(f, "length {len} after SOF is over 250"),
            Reject::BadFcs { expected, got } => {
                write!(f, "bad FCS {got:02X} (expected {expected:02X})")
            }
            Reject::BadType(cmd0) => write!(f, "CMD0 {cmd0:02X} has no MT type"),
            Reject::Expired { received } => {
                write!(f, "partial frame of {received} bytes timed out")
            }
        }
    }
}

/// What the start of a byte slice holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A frame `len` bytes long.
    Frame {
        /// The frame.
        frame: Frame,
        /// Bytes it took.
        len: usize,
    },
    /// Bytes to drop, `skip` of them.
    Garbage {
        /// Why.
        reject: Reject,
        /// Bytes to drop.
        skip: usize,
    },
    /// Not an error: at least `missing` more bytes must arrive first.
    Incomplete {
        /// Bytes still missing.
        missing: usize,
    },
}

/// XOR of `bytes` (LEN through the last DATA byte).
pub fn fcs(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}

/// How many stray bytes a [`Reject::Stray`] keeps for the log.
const STRAY_SHOWN: usize = 16;

/// Says what starts `buf`. Pure: the caller drops `len` / `skip` bytes after each answer.
pub fn decode(buf: &[u8]) -> Decoded {
    let Some(&first) = buf.first() else {
        return Decoded::Incomplete { missing: 1 };
    };
    if first != SOF {
        let skip = buf.iter().position(|&b| b == SOF).unwrap_or(buf.len());
        let shown = buf[..skip.min(STRAY_SHOWN)].to_vec();
        return Decoded::Garbage {
            reject: Reject::Stray(shown),
            skip,
        };
    }
    let Some(&len) = buf.get(1) else {
        return Decoded::Incomplete { missing: 4 };
    };
    if len as usize > MAX_DATA_LEN {
        return Decoded::Garbage {
            reject: Reject::BadLength(len),
            skip: 1,
        };
    }
    let total = len as usize + 5;
    if buf.len() < total {
        return Decoded::Incomplete {
            missing: total - buf.len(),
        };
    }
    let expected = fcs(&buf[1..total - 1]);
    let got = buf[total - 1];
    if got != expected {
        return Decoded::Garbage {
            reject: Reject::BadFcs { expected, got },
            skip: 1,
        };
    }
    let Some(kind) = Kind::from_bits(buf[2] >> 5) else {
        return Decoded::Garbage {
            reject: Reject::BadType(buf[2]),
            skip: 1,
        };
    };
    let frame = Frame::new(kind, buf[2] & 0x1F, buf[3], buf[4..total - 1].to_vec());
    Decoded::Frame { frame, len: total }
}

#[cfg(test)]
mod tests;

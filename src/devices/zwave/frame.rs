//! Serial API framing: the bytes on the wire between the host and a Z-Wave controller chip.
//!
//! A data frame is `SOF(01) LEN TYPE FUNC payload… CHK`, where LEN counts every byte after
//! itself (so LEN = payload + 3), TYPE is 00 (request) or 01 (response) and CHK is 0xFF XOR
//! every byte from LEN through the last payload byte. ACK (06), NAK (15) and CAN (18) travel as
//! single bytes. Source: Silicon Labs INS13954 "Z-Wave Host API Specification", and the framing
//! in zwave-js `packages/serial`.
//!
//! This module owns the pure part: [`decode`] looks at a byte slice and says what starts it
//! (a frame, a rejected byte run, or how many bytes are missing) and the encoder writes frames.
//! No I/O, no clock; the receive buffer and its timeout live in `receiver`.

use std::fmt;

/// Start of a data frame.
pub const SOF: u8 = 0x01;
/// The receiver took the frame.
pub const ACK: u8 = 0x06;
/// The receiver saw a broken frame (bad checksum).
pub const NAK: u8 = 0x15;
/// The chip dropped our frame because it was sending one itself.
pub const CAN: u8 = 0x18;

/// The longest data frame accepted, SOF through checksum. The LEN byte caps a frame at 257;
/// the chip's own Serial API buffers are far smaller (Z-Wave Long Range frames, the largest
/// payloads, are at most 170 bytes on air), so a LEN above `MAX_FRAME_LEN - 2` is taken for
/// line noise and resynced at once rather than waited for.
pub const MAX_FRAME_LEN: usize = 250;
/// LEN covers TYPE, FUNC and CHK at least.
const MIN_LEN_BYTE: usize = 3;

/// The TYPE byte of a data frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 00: a request (host → chip command, or an unsolicited / callback frame from the chip).
    Request,
    /// 01: the chip's immediate response to a request.
    Response,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Request => 0x00,
            Kind::Response => 0x01,
        }
    }
}

/// One unit of the Serial API link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// 06.
    Ack,
    /// 15.
    Nak,
    /// 18.
    Can,
    /// A checked data frame.
    Data {
        /// Request or response.
        kind: Kind,
        /// The Serial API function id (0x13 SendData, 0x04 ApplicationCommandHandler…).
        function: u8,
        /// The bytes between FUNC and CHK.
        payload: Vec<u8>,
    },
}

/// Bytes the decoder refused, for the caller to log (and to NAK when [`Reject::wants_nak`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    /// A byte that starts nothing (neither SOF nor a control byte): dropped.
    Stray(u8),
    /// An SOF followed by a LEN below 3 or above the bound: the SOF is dropped and the
    /// decoder resyncs on the next byte.
    BadLength(u8),
    /// A complete frame whose checksum does not match: dropped, and answered with NAK.
    BadChecksum {
        /// The whole frame as received.
        bytes: Vec<u8>,
        /// What the checksum should have been.
        expected: u8,
    },
    /// A complete, checked frame whose TYPE is neither 00 nor 01: dropped.
    BadType(u8),
    /// A partial frame dropped [`super::receiver::PARTIAL_FRAME_TIMEOUT`] after its SOF (no NAK).
    Expired {
        /// How many bytes of it had arrived.
        received: usize,
    },
}

impl Reject {
    /// Whether the host answers this with NAK (only a broken checksum: INS13954).
    pub fn wants_nak(&self) -> bool {
        matches!(self, Reject::BadChecksum { .. })
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reject::Stray(b) => write!(f, "stray byte {b:02X}"),
            Reject::BadLength(len) => write!(f, "bad length byte {len:02X} after SOF"),
            Reject::BadChecksum { bytes, expected } => {
                write!(f, "bad checksum (expected {expected:02X}):")?;
                bytes.iter().try_for_each(|b| write!(f, " {b:02X}"))
            }
            Reject::BadType(t) => write!(f, "bad frame type {t:02X}"),
            Reject::Expired { received } => {
                write!(f, "partial frame of {received} bytes timed out")
            }
        }
    }
}

/// What the start of a byte slice holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A frame, `len` bytes long.
    Frame {
        /// The frame.
        frame: Frame,
        /// Bytes it took.
        len: usize,
    },
    /// Bytes to drop, `len` of them.
    Rejected {
        /// Why.
        reject: Reject,
        /// Bytes to drop.
        len: usize,
    },
    /// Not an error: at least `needed` more bytes must arrive before anything can be said.
    Incomplete {
        /// Bytes still missing.
        needed: usize,
    },
}

/// 0xFF XOR every byte of `bytes` (LEN through the last payload byte).
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0xFF, |acc, b| acc ^ b)
}

/// Says what starts `buf`. Pure: the caller drops `len` bytes after a frame or a rejection.
pub fn decode(buf: &[u8]) -> Decoded {
    let Some(&first) = buf.first() else {
        return Decoded::Incomplete { needed: 1 };
    };
    let control = match first {
        ACK => Some(Frame::Ack),
        NAK => Some(Frame::Nak),
        CAN => Some(Frame::Can),
        SOF => None,
        other => return rejected(Reject::Stray(other), 1),
    };
    if let Some(frame) = control {
        return Decoded::Frame { frame, len: 1 };
    }
    let Some(&len_byte) = buf.get(1) else {
        return Decoded::Incomplete { needed: 1 };
    };
    let total = len_byte as usize + 2;
    if (len_byte as usize) < MIN_LEN_BYTE || total > MAX_FRAME_LEN {
        return rejected(Reject::BadLength(len_byte), 1);
    }
    if buf.len() < total {
        return Decoded::Incomplete {
            needed: total - buf.len(),
        };
    }
    let frame = &buf[..total];
    let expected = checksum(&frame[1..total - 1]);
    if frame[total - 1] != expected {
        let bytes = frame.to_vec();
        return rejected(Reject::BadChecksum { bytes, expected }, total);
    }
    let kind = match frame[2] {
        0x00 => Kind::Request,
        0x01 => Kind::Response,
        other => return rejected(Reject::BadType(other), total),
    };
    let frame = Frame::Data {
        kind,
        function: frame[3],
        payload: frame[4..total - 1].to_vec(),
    };
    Decoded::Frame { frame, len: total }
}

fn rejected(reject: Reject, len: usize) -> Decoded {
    Decoded::Rejected { reject, len }
}

/// Why a frame cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The payload does not fit under [`MAX_FRAME_LEN`].
    #[error("payload of {0} bytes is longer than a Serial API frame allows")]
    TooLong(usize),
}

impl Frame {
    /// The frame's bytes on the wire.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        match self {
            Frame::Ack => Ok(vec![ACK]),
            Frame::Nak => Ok(vec![NAK]),
            Frame::Can => Ok(vec![CAN]),
            Frame::Data {
                kind,
                function,
                payload,
            } => encode_data(*kind, *function, payload),
        }
    }
}

/// The bytes of a data frame: `01 LEN TYPE FUNC payload… CHK`.
pub fn encode_data(kind: Kind, function: u8, payload: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let total = payload.len() + 5;
    if total > MAX_FRAME_LEN {
        return Err(EncodeError::TooLong(payload.len()));
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[SOF, (total - 2) as u8, kind.byte(), function]);
    out.extend_from_slice(payload);
    out.push(checksum(&out[1..]));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::devices::zwave::hex;

    use crate::devices::zwave::data_frame as data;

    // zwave-js packages/serial/src/message/Message.test.ts: SendData to node 3.
    // 01 SOF · 09 LEN · 00 request · 13 SendData · 03 node · 02 cc length · 00 00 NoOp ·
    // 25 txOptions ACK|AUTO_ROUTE|EXPLORE · 0B callback id · CA checksum
    const SEND_DATA: &str = "01 09 00 13 03 02 00 00 25 0B CA";

    #[test]
    fn empty_input_needs_one_byte() {
        assert_eq!(decode(&[]), Decoded::Incomplete { needed: 1 });
    }

    #[test]
    fn one_byte_control_frames_and_a_lone_sof() {
        for (byte, frame) in [(ACK, Frame::Ack), (NAK, Frame::Nak), (CAN, Frame::Can)] {
            assert_eq!(decode(&[byte]), Decoded::Frame { frame, len: 1 });
        }
        assert_eq!(decode(&[SOF]), Decoded::Incomplete { needed: 1 });
    }

    #[test]
    fn a_valid_frame_decodes_and_encodes_back() {
        let bytes = hex(SEND_DATA);
        let frame = data(Kind::Request, 0x13, "03 02 00 00 25 0B");
        let len = bytes.len();
        assert_eq!(
            decode(&bytes),
            Decoded::Frame {
                frame: frame.clone(),
                len
            }
        );
        assert_eq!(frame.encode().unwrap(), bytes);
    }

    #[test]
    fn empty_payload() {
        // Message.test.ts: 01 SOF · 03 LEN · 00 request · FF function · 03 checksum.
        let bytes = hex("01 03 00 FF 03");
        let frame = data(Kind::Request, 0xFF, "");
        assert_eq!(
            decode(&bytes),
            Decoded::Frame {
                frame: frame.clone(),
                len: 5
            }
        );
        assert_eq!(frame.encode().unwrap(), bytes);
    }

    #[test]
    fn a_response_frame() {
        // Captured from the zwave-js mock: GetControllerVersion response "Z-Wave 7.17.99",
        // 00 terminator, library type 01 (static controller).
        let bytes = hex("01 13 01 15 5A 2D 57 61 76 65 20 37 2E 31 37 2E 39 39 00 01 BA");
        let Decoded::Frame { frame, .. } = decode(&bytes) else {
            panic!("not a frame");
        };
        let Frame::Data {
            kind,
            function,
            payload,
        } = frame
        else {
            panic!("not data");
        };
        assert_eq!((kind, function), (Kind::Response, 0x15));
        assert_eq!(&payload[..14], b"Z-Wave 7.17.99");
    }

    #[test]
    fn partial_frame_says_how_much_is_missing() {
        let bytes = hex(SEND_DATA);
        for cut in 2..bytes.len() {
            let needed = bytes.len() - cut;
            assert_eq!(decode(&bytes[..cut]), Decoded::Incomplete { needed });
        }
    }

    #[test]
    fn bad_checksum_is_rejected_for_a_nak() {
        // Message.test.ts: 01 05 00 47 04 20 with checksum 98; the right one is 99.
        let bytes = hex("01 05 00 47 04 20 98");
        let Decoded::Rejected { reject, len: 7 } = decode(&bytes) else {
            panic!("not rejected whole");
        };
        assert!(reject.wants_nak());
        assert_eq!(
            reject,
            Reject::BadChecksum {
                bytes: bytes.clone(),
                expected: 0x99
            }
        );
    }

    #[test]
    fn unknown_type_byte_is_dropped_whole() {
        // 01 SOF · 03 LEN · 02 type (neither request nor response) · 08 · F6 checksum.
        let bytes = [SOF, 0x03, 0x02, 0x08, 0xF6];
        assert_eq!(
            decode(&bytes),
            Decoded::Rejected {
                reject: Reject::BadType(2),
                len: 5
            }
        );
    }

    #[test]
    fn too_short_length_and_over_long_payload() {
        // 01 SOF · 02 LEN: shorter than TYPE + FUNC + CHK.
        assert_eq!(
            decode(&[SOF, 0x02, 0x00, 0xFD]),
            Decoded::Rejected {
                reject: Reject::BadLength(2),
                len: 1
            }
        );
        assert!(matches!(
            encode_data(Kind::Request, 0x13, &[0; MAX_FRAME_LEN]),
            Err(EncodeError::TooLong(_))
        ));
    }
}

//! The receive side of the Serial API link: bytes from the port in, frames and rejections out.
//!
//! [`FrameBuffer`] holds what arrived, asks [`decode`] what starts it, and applies the one
//! timing rule of the framing: a partly received frame is dropped 1500 ms after its SOF, without
//! a NAK (INS13954 "Z-Wave Host API Specification"; zwave-js `packages/serial`). Time is passed
//! in as `now`; the port task owns the clock and wakes at [`FrameBuffer::deadline`].

use std::time::{Duration, Instant};

use super::frame::{Decoded, Frame, Reject, decode};

/// A partly received frame is dropped this long after its SOF.
pub const PARTIAL_FRAME_TIMEOUT: Duration = Duration::from_millis(1500);

/// What [`FrameBuffer::next`] hands the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A frame arrived.
    Frame(Frame),
    /// Bytes were dropped; log them, and NAK if [`Reject::wants_nak`].
    Rejected(Reject),
}

/// The receive side of the link: bytes in, frames out, with the partial-frame timeout.
#[derive(Debug, Default)]
pub struct FrameBuffer {
    buf: Vec<u8>,
    /// Where the undecoded bytes start in `buf`: decoding moves this, not the bytes, so a
    /// big read full of small frames is not shifted once per frame.
    start: usize,
    /// When the SOF of the partial frame at the head of `buf` was first seen.
    partial_since: Option<Instant>,
}

impl FrameBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        FrameBuffer::default()
    }

    /// Appends bytes read from the port.
    pub fn push(&mut self, bytes: &[u8]) {
        // What is left of the last read is at most a partial frame: cheap to move down.
        self.buf.drain(..self.start);
        self.start = 0;
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held, not yet decoded.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next frame or rejection, if the bytes held say one; `None` when more bytes are
    /// needed (then [`FrameBuffer::deadline`] says when a partial frame expires).
    pub fn next(&mut self, now: Instant) -> Option<Event> {
        match decode(&self.buf[self.start..]) {
            Decoded::Frame { frame, len } => {
                self.consume(len);
                Some(Event::Frame(frame))
            }
            Decoded::Rejected { reject, len } => {
                self.consume(len);
                Some(Event::Rejected(reject))
            }
            Decoded::Incomplete { .. } if self.pending() == 0 => None,
            Decoded::Incomplete { .. } => {
                let since = *self.partial_since.get_or_insert(now);
                if now.saturating_duration_since(since) < PARTIAL_FRAME_TIMEOUT {
                    return None;
                }
                // Drop only the SOF: a frame that followed a truncated one may sit in the rest.
                let received = self.pending();
                self.consume(1);
                Some(Event::Rejected(Reject::Expired { received }))
            }
        }
    }

    /// When the partial frame held now expires, if one is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.partial_since.map(|t| t + PARTIAL_FRAME_TIMEOUT)
    }

    fn consume(&mut self, len: usize) {
        self.start += len;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.partial_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::zwave::frame::{Kind, SOF};

    use crate::devices::zwave::hex;

    use crate::devices::zwave::data_frame as data;

    fn drain(fb: &mut FrameBuffer, now: Instant) -> Vec<Event> {
        std::iter::from_fn(|| fb.next(now)).collect()
    }

    // zwave-js packages/serial/src/message/Message.test.ts: SendData to node 3.
    // 01 SOF · 09 LEN · 00 request · 13 SendData · 03 node · 02 cc length · 00 00 NoOp ·
    // 25 txOptions ACK|AUTO_ROUTE|EXPLORE · 0B callback id · CA checksum
    const SEND_DATA: &str = "01 09 00 13 03 02 00 00 25 0B CA";

    #[test]
    fn empty_buffer_has_nothing_and_no_deadline() {
        let mut fb = FrameBuffer::new();
        assert_eq!(fb.next(Instant::now()), None);
        assert_eq!(fb.deadline(), None);
    }

    #[test]
    fn garbage_then_valid_frame() {
        let mut fb = FrameBuffer::new();
        fb.push(&[0xAA, 0x00]);
        fb.push(&hex(SEND_DATA));
        let events = drain(&mut fb, Instant::now());
        assert_eq!(events[0], Event::Rejected(Reject::Stray(0xAA)));
        assert_eq!(events[1], Event::Rejected(Reject::Stray(0x00)));
        assert_eq!(
            events[2],
            Event::Frame(data(Kind::Request, 0x13, "03 02 00 00 25 0B"))
        );
        assert_eq!(events.len(), 3);
        assert_eq!(Reject::Stray(0xAA).to_string(), "stray byte AA");
    }

    #[test]
    fn two_frames_in_one_read() {
        // zwave-js packages/zwave-js/src/lib/test/driver/receiveMessages.test.ts:
        // 01 07 00 13 · 0F callback id · 00 status OK · 00 02 tx report · E6, then
        // 01 0E 00 04 · 00 rxStatus · 02 node · 08 len · 72 05 00 86 00 02 00 82
        // (Manufacturer Specific report) · 8E. The host ACKs both.
        let mut fb = FrameBuffer::new();
        fb.push(&hex(
            "01 07 00 13 0F 00 00 02 E6 01 0E 00 04 00 02 08 72 05 00 86 00 02 00 82 8E",
        ));
        let events = drain(&mut fb, Instant::now());
        assert_eq!(
            events,
            vec![
                Event::Frame(data(Kind::Request, 0x13, "0F 00 00 02")),
                Event::Frame(data(
                    Kind::Request,
                    0x04,
                    "00 02 08 72 05 00 86 00 02 00 82"
                )),
            ]
        );
        assert_eq!(fb.pending(), 0);
    }

    #[test]
    fn partial_frame_expires_1500_ms_after_its_sof() {
        let t0 = Instant::now();
        let bytes = hex(SEND_DATA);
        let mut fb = FrameBuffer::new();
        fb.push(&bytes[..4]);
        assert_eq!(fb.next(t0), None);
        assert_eq!(fb.deadline(), Some(t0 + PARTIAL_FRAME_TIMEOUT));
        // More bytes do not restart the clock.
        fb.push(&bytes[4..6]);
        assert_eq!(fb.next(t0 + Duration::from_millis(1499)), None);
        let expired = fb.next(t0 + PARTIAL_FRAME_TIMEOUT);
        assert_eq!(
            expired,
            Some(Event::Rejected(Reject::Expired { received: 6 }))
        );
        // The rest (09 00 13 03 02) is dropped as stray bytes; then a whole frame decodes.
        fb.push(&bytes);
        let later = t0 + Duration::from_secs(2);
        let events = drain(&mut fb, later);
        assert_eq!(events.len(), 6);
        assert!(matches!(
            events[5],
            Event::Frame(Frame::Data { function: 0x13, .. })
        ));
        assert_eq!(fb.deadline(), None);
    }

    #[test]
    fn a_frame_completed_in_time_is_kept() {
        let t0 = Instant::now();
        let bytes = hex(SEND_DATA);
        let mut fb = FrameBuffer::new();
        fb.push(&bytes[..1]);
        assert_eq!(fb.next(t0), None);
        fb.push(&bytes[1..]);
        let got = fb.next(t0 + Duration::from_millis(1499));
        assert!(matches!(got, Some(Event::Frame(Frame::Data { .. }))));
    }

    #[test]
    fn an_over_long_length_resyncs_at_once() {
        // 01 SOF · FF LEN (257-byte frame, over MAX_FRAME_LEN): no waiting for 255 bytes.
        let mut fb = FrameBuffer::new();
        fb.push(&[SOF, 0xFF]);
        fb.push(&hex(SEND_DATA));
        let events = drain(&mut fb, Instant::now());
        assert_eq!(events[0], Event::Rejected(Reject::BadLength(0xFF)));
        assert_eq!(events[1], Event::Rejected(Reject::Stray(0xFF)));
        assert!(matches!(
            events[2],
            Event::Frame(Frame::Data { function: 0x13, .. })
        ));
    }
}

//! The receive side of the MT link: bytes from the port in, frames and rejections out.
//!
//! [`FrameBuffer`] holds what arrived and asks [`decode`] what starts it. Two rules of its own:
//! a partly received frame is dropped [`PARTIAL_FRAME_TIMEOUT`] after its SOF (at 115200 baud
//! the longest frame takes 22 ms, so a second means the rest is lost), and a line that sends
//! [`GARBAGE_CAP`] bytes without one good frame (a wrong baud rate, a chip stuck in its
//! bootloader) is reported once as [`Event::Flooded`] so the driver can give the link up.
//! Time is passed in as `now`; the port task owns the clock.

use std::time::{Duration, Instant};

use super::frame::{Decoded, Frame, Reject, decode};

/// A partly received frame is dropped this long after its SOF.
pub const PARTIAL_FRAME_TIMEOUT: Duration = Duration::from_secs(1);
/// Bytes dropped in a row, without a good frame between, before the line counts as flooded.
pub const GARBAGE_CAP: usize = 4096;

/// What [`FrameBuffer::next`] hands the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A frame arrived.
    Frame(Frame),
    /// Bytes were dropped; log them.
    Rejected(Reject),
    /// [`GARBAGE_CAP`] bytes were dropped without one good frame; said once per flood.
    Flooded,
}

/// The receive buffer: bytes in, frames out, with the partial-frame timeout.
#[derive(Debug, Default)]
pub struct FrameBuffer {
    buf: Vec<u8>,
    /// Where the undecoded bytes start: decoding moves this, not the bytes.
    start: usize,
    /// When the partial frame at the head was first seen.
    partial_since: Option<Instant>,
    /// Bytes dropped since the last good frame.
    dropped: usize,
}

impl FrameBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        FrameBuffer::default()
    }

    /// Appends bytes read from the port.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.drain(..self.start);
        self.start = 0;
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held, not yet decoded.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next frame or rejection, if the bytes held say one; `None` when more are needed
    /// (then [`FrameBuffer::deadline`] says when a partial frame expires).
    pub fn next(&mut self, now: Instant) -> Option<Event> {
        match decode(&self.buf[self.start..]) {
            Decoded::Frame { frame, len } => {
                self.consume(len);
                self.dropped = 0;
                Some(Event::Frame(frame))
            }
            Decoded::Garbage { reject, skip } => {
                self.consume(skip);
                Some(self.drop_counted(skip, reject))
            }
            Decoded::Incomplete { .. } if self.pending() == 0 => None,
            Decoded::Incomplete { .. } => {
                let since = *self.partial_since.get_or_insert(now);
                if now.saturating_duration_since(since) < PARTIAL_FRAME_TIMEOUT {
                    return None;
                }
                // Drop the SOF only: a whole frame may follow a truncated one.
                let received = self.pending();
                self.consume(1);
                Some(self.drop_counted(1, Reject::Expired { received }))
            }
        }
    }

    /// When the partial frame held now expires, if one is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.partial_since.map(|t| t + PARTIAL_FRAME_TIMEOUT)
    }

    fn drop_counted(&mut self, len: usize, reject: Reject) -> Event {
        let before = self.dropped;
        self.dropped = self.dropped.saturating_add(len);
        if before < GARBAGE_CAP && self.dropped >= GARBAGE_CAP {
            return Event::Flooded;
        }
        Event::Rejected(reject)
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
    use crate::devices::zigbee::hex;
    use crate::devices::zigbee::mt::frame::Kind;

    fn drain(fb: &mut FrameBuffer, now: Instant) -> Vec<Event> {
        std::iter::from_fn(|| fb.next(now)).collect()
    }

    /// SYS_PING response, zigpy-znp tests/test_frames.py.
    const PING_RSP: &str = "FE 02 61 01 11 00 73";

    fn ping() -> Event {
        Event::Frame(Frame::new(Kind::Srsp, 1, 1, vec![0x11, 0x00]))
    }

    #[test]
    fn empty_buffer_has_nothing_and_no_deadline() {
        let mut fb = FrameBuffer::new();
        assert_eq!(fb.next(Instant::now()), None);
        assert_eq!(fb.deadline(), None);
    }

    #[test]
    fn garbage_then_valid_and_two_frames_in_one_read() {
        let mut fb = FrameBuffer::new();
        fb.push(&hex("AA 00"));
        fb.push(&hex(&format!("{PING_RSP} {PING_RSP}")));
        let events = drain(&mut fb, Instant::now());
        assert_eq!(
            events,
            vec![
                Event::Rejected(Reject::Stray(vec![0xAA, 0])),
                ping(),
                ping()
            ]
        );
        assert_eq!(fb.pending(), 0);
    }

    #[test]
    fn a_frame_split_over_reads_arrives_whole() {
        let bytes = hex(PING_RSP);
        let mut fb = FrameBuffer::new();
        let t0 = Instant::now();
        for b in &bytes[..6] {
            fb.push(&[*b]);
            assert_eq!(fb.next(t0), None);
        }
        fb.push(&bytes[6..]);
        assert_eq!(fb.next(t0 + Duration::from_millis(999)), Some(ping()));
    }

    #[test]
    fn a_partial_frame_expires_and_what_follows_decodes() {
        let t0 = Instant::now();
        let mut fb = FrameBuffer::new();
        fb.push(&hex("FE 05 61"));
        assert_eq!(fb.next(t0), None);
        assert_eq!(fb.deadline(), Some(t0 + PARTIAL_FRAME_TIMEOUT));
        fb.push(&hex(PING_RSP));
        // FE 05 61 FE 02 61 01 11 00 73 is 10 bytes: the bogus frame completes, its FCS fails.
        let events = drain(&mut fb, t0);
        assert_eq!(events.len(), 3, "{events:?}");
        assert!(matches!(events[0], Event::Rejected(Reject::BadFcs { .. })));
        assert_eq!(events[2], ping());

        fb.push(&hex("FE 09 61 08"));
        assert_eq!(fb.next(t0), None);
        let late = t0 + PARTIAL_FRAME_TIMEOUT;
        let expired = fb.next(late);
        assert_eq!(
            expired,
            Some(Event::Rejected(Reject::Expired { received: 4 }))
        );
        assert!(matches!(
            fb.next(late),
            Some(Event::Rejected(Reject::Stray(_)))
        ));
        assert_eq!(fb.pending(), 0);
        assert_eq!(fb.deadline(), None);
    }

    #[test]
    fn a_flood_is_said_once_and_a_good_frame_ends_it() {
        let mut fb = FrameBuffer::new();
        let now = Instant::now();
        let mut floods = 0;
        for _ in 0..3 {
            fb.push(&[0x55; GARBAGE_CAP]);
            floods += drain(&mut fb, now)
                .iter()
                .filter(|e| **e == Event::Flooded)
                .count();
        }
        assert_eq!(floods, 1);
        fb.push(&hex(PING_RSP));
        assert_eq!(fb.next(now), Some(ping()));
        fb.push(&[0x55; GARBAGE_CAP]);
        assert_eq!(fb.next(now), Some(Event::Flooded));
    }
}

//! The Zigbee MT frame parser on arbitrary bytes cut into arbitrary chunks.
//!
//! Invariants: nothing panics; the receive buffer never holds a whole frame's worth of bytes
//! (`MAX_FRAME_LEN`) undecoded; how the bytes are chunked changes nothing that comes out;
//! every frame that comes out encodes back to itself with a valid FCS; and once partial
//! frames expire, nothing is left.

#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mirai::devices::zigbee::mt::frame::{Decoded, Frame, MAX_FRAME_LEN, decode, fcs};
use mirai::devices::zigbee::mt::receiver::{Event, FrameBuffer, PARTIAL_FRAME_TIMEOUT};

fuzz_target!(|input: (Vec<u8>, &[u8])| {
    let (cuts, stream) = input;
    let now = Instant::now();

    let mut whole = FrameBuffer::new();
    whole.push(stream);
    let reference = drain(&mut whole, now);

    let mut chunked = FrameBuffer::new();
    let mut events = Vec::new();
    let mut rest = stream;
    let mut sizes = cuts.iter().cycle();
    while !rest.is_empty() {
        let size = sizes.next().map_or(rest.len(), |s| usize::from(*s).max(1));
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        chunked.push(chunk);
        events.extend(drain(&mut chunked, now));
        assert!(chunked.pending() < MAX_FRAME_LEN, "buffer grew past a frame");
    }
    // A garbage run split over reads is reported in pieces: compare the frames only.
    assert_eq!(frames(&events), frames(&reference), "chunking changed the frames");
    assert_eq!(chunked.pending(), whole.pending());

    for frame in frames(&events) {
        check_reencodes(&frame);
    }

    let mut later = now + PARTIAL_FRAME_TIMEOUT;
    while chunked.pending() > 0 {
        match chunked.next(later) {
            Some(Event::Frame(frame)) => check_reencodes(&frame),
            Some(_) => {}
            None => later += PARTIAL_FRAME_TIMEOUT,
        }
    }
});

fn drain(buffer: &mut FrameBuffer, now: Instant) -> Vec<Event> {
    std::iter::from_fn(|| buffer.next(now)).collect()
}

fn frames(events: &[Event]) -> Vec<Frame> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Frame(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

fn check_reencodes(frame: &Frame) {
    let bytes = frame.encode().expect("a decoded frame encodes");
    assert!(bytes.len() <= MAX_FRAME_LEN);
    let (check, body) = bytes.split_last().unwrap();
    assert_eq!(*check, fcs(&body[1..]), "re-encoded FCS");
    assert_eq!(
        decode(&bytes),
        Decoded::Frame {
            frame: frame.clone(),
            len: bytes.len()
        }
    );
}

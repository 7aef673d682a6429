//! The Z-Wave Serial API frame parser on arbitrary bytes cut into arbitrary chunks.
//!
//! Invariants: nothing panics; the receive buffer never holds a whole frame's worth of bytes
//! (`MAX_FRAME_LEN`) undecoded; how the bytes are chunked changes nothing that comes out;
//! every frame that comes out encodes back to a frame with a valid checksum that decodes to
//! itself; and once partial frames expire, nothing is left.

#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mirai::devices::zwave::frame::{Decoded, Frame, MAX_FRAME_LEN, checksum, decode};
use mirai::devices::zwave::receiver::{Event, FrameBuffer, PARTIAL_FRAME_TIMEOUT};

fuzz_target!(|input: (Vec<u8>, &[u8])| {
    let (cuts, stream) = input;
    let now = Instant::now();

    // The stream in one piece, as the reference.
    let mut whole = FrameBuffer::new();
    whole.push(stream);
    let reference = drain(&mut whole, now);

    // The same stream in the chunk sizes the fuzzer chose (a size of 0 reads as 1).
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
        assert!(
            chunked.pending() < MAX_FRAME_LEN,
            "buffer grew past a frame"
        );
    }
    assert_eq!(events, reference, "chunking changed the output");
    assert_eq!(chunked.pending(), whole.pending());

    for event in &events {
        if let Event::Frame(frame) = event {
            check_reencodes(frame);
        }
    }

    // Partial frames expire one SOF at a time; what follows them is decoded again.
    let mut later = now + PARTIAL_FRAME_TIMEOUT;
    while chunked.pending() > 0 {
        match chunked.next(later) {
            Some(Event::Frame(frame)) => check_reencodes(&frame),
            Some(Event::Rejected(_)) => {}
            None => later += PARTIAL_FRAME_TIMEOUT,
        }
    }
});

fn drain(buffer: &mut FrameBuffer, now: Instant) -> Vec<Event> {
    std::iter::from_fn(|| buffer.next(now)).collect()
}

fn check_reencodes(frame: &Frame) {
    let bytes = frame.encode().expect("a decoded frame encodes");
    assert!(bytes.len() <= MAX_FRAME_LEN);
    if let Frame::Data { .. } = frame {
        let (check, body) = bytes.split_last().unwrap();
        assert_eq!(*check, checksum(&body[1..]), "re-encoded checksum");
    }
    assert_eq!(
        decode(&bytes),
        Decoded::Frame {
            frame: frame.clone(),
            len: bytes.len()
        }
    );
}

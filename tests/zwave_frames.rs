//! Randomized tests of the Z-Wave Serial API frame decoder and receive buffer: random byte
//! streams never panic or grow the buffer past a frame, come out the same however they are
//! chunked, and every frame they yield encodes back with a valid checksum; valid frames split
//! at random points, with garbage between them, all come out. Seeded, so a failure replays.
//! The CI stand-in for the cargo-fuzz target `fuzz/fuzz_targets/frame.rs` (same invariants).

use std::time::{Duration, Instant};

use mirai::devices::zwave::frame::{
    CAN, Decoded, Frame, Kind, MAX_FRAME_LEN, NAK, SOF, checksum, decode, encode_data,
};
use mirai::devices::zwave::receiver::{Event, FrameBuffer};

const ROUNDS: usize = 300;

fn random_frame(rng: &mut fastrand::Rng) -> (Frame, Vec<u8>) {
    let kind = if rng.bool() {
        Kind::Request
    } else {
        Kind::Response
    };
    let function = rng.u8(..);
    let payload: Vec<u8> = (0..rng.usize(0..=MAX_FRAME_LEN - 5))
        .map(|_| rng.u8(..))
        .collect();
    let bytes = encode_data(kind, function, &payload).unwrap();
    (
        Frame::Data {
            kind,
            function,
            payload,
        },
        bytes,
    )
}

/// Feeds `stream` in random chunks, letting time pass as at 115200 baud (87 µs a byte) plus up
/// to 3 ms of scheduling jitter per read.
fn feed_in_chunks(rng: &mut fastrand::Rng, stream: &[u8]) -> (Vec<Event>, FrameBuffer) {
    let mut fb = FrameBuffer::new();
    let mut now = Instant::now();
    let mut events = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(rng.usize(1..=rest.len().min(64)));
        rest = tail;
        fb.push(chunk);
        while let Some(event) = fb.next(now) {
            events.push(event);
        }
        assert!(fb.pending() < MAX_FRAME_LEN, "buffer grew past one frame");
        now += Duration::from_micros(87 * chunk.len() as u64 + rng.u64(0..3000));
    }
    (events, fb)
}

/// Random bytes, biased toward SOF, small length bytes and valid frames so that partial and
/// whole frames are common.
fn noisy_stream(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut stream = Vec::new();
    let len = rng.usize(0..2048);
    while stream.len() < len {
        match rng.u8(..16) {
            0 => stream.push(SOF),
            1 => stream.push(rng.u8(0..12)),
            2 => stream.extend(random_frame(rng).1),
            _ => stream.push(rng.u8(..)),
        }
    }
    stream
}

/// A frame that came out must encode back, with a valid checksum, to itself.
fn assert_reencodes(frame: &Frame) {
    let bytes = frame.encode().expect("a decoded frame encodes");
    assert!(bytes.len() <= MAX_FRAME_LEN);
    if let Frame::Data { .. } = frame {
        let (check, body) = bytes.split_last().unwrap();
        assert_eq!(*check, checksum(&body[1..]));
    }
    let len = bytes.len();
    let frame = frame.clone();
    assert_eq!(decode(&bytes), Decoded::Frame { frame, len });
}

#[test]
fn random_bytes_never_panic_stay_bounded_and_yield_only_sound_frames() {
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..ROUNDS {
        let stream = noisy_stream(&mut rng);
        let (events, mut fb) = feed_in_chunks(&mut rng, &stream);
        // Whatever is left is partial frames that expire one SOF at a time: nothing stays.
        let mut later = Instant::now() + Duration::from_secs(3600);
        let mut rest = Vec::new();
        while fb.pending() > 0 {
            match fb.next(later) {
                Some(event) => rest.push(event),
                None => later += Duration::from_millis(1500),
            }
        }
        for event in events.iter().chain(&rest) {
            if let Event::Frame(frame) = event {
                assert_reencodes(frame);
            }
        }
    }
}

#[test]
fn chunking_changes_nothing_that_comes_out() {
    let mut rng = fastrand::Rng::with_seed(0x5EED);
    let now = Instant::now();
    let drain = |fb: &mut FrameBuffer| std::iter::from_fn(|| fb.next(now)).collect::<Vec<_>>();
    for _ in 0..ROUNDS {
        let stream = noisy_stream(&mut rng);
        let mut whole = FrameBuffer::new();
        whole.push(&stream);
        let reference = drain(&mut whole);
        let mut chunked = FrameBuffer::new();
        let mut events = Vec::new();
        let mut rest = &stream[..];
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(rng.usize(1..=rest.len().min(300)));
            rest = tail;
            chunked.push(chunk);
            events.extend(drain(&mut chunked));
        }
        assert_eq!(events, reference);
        assert_eq!(chunked.pending(), whole.pending());
    }
}

#[test]
fn valid_frames_split_at_random_come_out_whole_between_garbage() {
    let mut rng = fastrand::Rng::with_seed(0x2A);
    for _ in 0..ROUNDS {
        let mut stream = Vec::new();
        let mut sent = Vec::new();
        for _ in 0..rng.usize(1..12) {
            // Garbage without SOF or control bytes: it cannot start anything.
            let garbage = (0..rng.usize(0..8))
                .map(|_| rng.u8(..))
                .filter(|b| ![SOF, 0x06, NAK, CAN].contains(b));
            stream.extend(garbage);
            let (frame, bytes) = random_frame(&mut rng);
            stream.extend(bytes);
            sent.push(frame);
        }
        let (events, fb) = feed_in_chunks(&mut rng, &stream);
        let got: Vec<Frame> = events
            .into_iter()
            .filter_map(|e| match e {
                Event::Frame(f) => Some(f),
                Event::Rejected(_) => None,
            })
            .collect();
        assert_eq!(got, sent);
        assert_eq!(fb.pending(), 0);
    }
}

//! Randomized tests of the Zigbee MT frame decoder and receive buffer: random byte streams
//! never panic or grow the buffer past a frame and come out with the same frames however they
//! are chunked; every frame they yield encodes back with a valid FCS; valid frames split at
//! random points, with garbage (no SOF byte in it) between them, all come out, in order.
//! Seeded, so a failure replays. The CI stand-in for `fuzz/fuzz_targets/mt_frame.rs`.

use std::time::{Duration, Instant};

use mirai::devices::zigbee::mt::frame::{
    Decoded, Frame, Kind, MAX_DATA_LEN, MAX_FRAME_LEN, SOF, decode, fcs,
};
use mirai::devices::zigbee::mt::receiver::{Event, FrameBuffer};

const ROUNDS: usize = 300;

fn random_frame(rng: &mut fastrand::Rng) -> Frame {
    let kind = [Kind::Sreq, Kind::Areq, Kind::Srsp][rng.usize(..3)];
    let len = if rng.bool() {
        rng.usize(0..16)
    } else {
        rng.usize(0..=MAX_DATA_LEN)
    };
    let data = (0..len).map(|_| rng.u8(..)).collect();
    Frame::new(kind, rng.u8(..0x20), rng.u8(..), data)
}

/// Feeds `stream` in random chunks of 1–64 bytes, 87 µs a byte (115200 baud) apart.
fn feed(rng: &mut fastrand::Rng, stream: &[u8]) -> (Vec<Event>, FrameBuffer) {
    let mut fb = FrameBuffer::new();
    let mut now = Instant::now();
    let mut events = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(rng.usize(1..=rest.len().min(64)));
        rest = tail;
        fb.push(chunk);
        events.extend(std::iter::from_fn(|| fb.next(now)));
        assert!(fb.pending() < MAX_FRAME_LEN, "buffer grew past one frame");
        now += Duration::from_micros(87 * chunk.len() as u64);
    }
    (events, fb)
}

fn frames(events: &[Event]) -> Vec<Frame> {
    let frame = |e: &Event| match e {
        Event::Frame(f) => Some(f.clone()),
        _ => None,
    };
    events.iter().filter_map(frame).collect()
}

/// Random bytes biased toward SOF, small lengths and whole frames.
fn noisy_stream(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut stream = Vec::new();
    while stream.len() < 2000 {
        match rng.u8(..6) {
            0 => stream.push(SOF),
            1 => stream.push(rng.u8(..8)),
            2 => stream.extend(random_frame(rng).encode().unwrap()),
            _ => stream.push(rng.u8(..)),
        }
    }
    stream
}

#[test]
fn random_streams_never_panic_and_chunking_changes_no_frame() {
    let mut rng = fastrand::Rng::with_seed(0x2B5E_ED10);
    for _ in 0..ROUNDS {
        let stream = noisy_stream(&mut rng);
        let mut whole = FrameBuffer::new();
        whole.push(&stream);
        let reference: Vec<Event> = std::iter::from_fn(|| whole.next(Instant::now())).collect();
        let (events, fb) = feed(&mut rng, &stream);
        let got = frames(&events);
        assert_eq!(got, frames(&reference));
        assert_eq!(fb.pending(), whole.pending());
        for frame in got {
            let bytes = frame.encode().unwrap();
            let (check, body) = bytes.split_last().unwrap();
            assert_eq!(*check, fcs(&body[1..]));
            let len = bytes.len();
            assert_eq!(decode(&bytes), Decoded::Frame { frame, len });
        }
    }
}

#[test]
fn every_valid_frame_inside_garbage_is_found() {
    let mut rng = fastrand::Rng::with_seed(0x0F1E_2D3C);
    for _ in 0..ROUNDS {
        let mut stream = Vec::new();
        let mut sent = Vec::new();
        for _ in 0..rng.usize(1..12) {
            let garbage = (0..rng.usize(0..40))
                .map(|_| rng.u8(..))
                .filter(|b| *b != SOF);
            stream.extend(garbage);
            let frame = random_frame(&mut rng);
            stream.extend(frame.encode().unwrap());
            sent.push(frame);
        }
        let (events, fb) = feed(&mut rng, &stream);
        assert_eq!(frames(&events), sent);
        assert_eq!(fb.pending(), 0);
    }
}

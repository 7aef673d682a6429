//! Randomized tests of the Z-Wave Serial API frame decoder and receive buffer: random byte
//! streams never panic or grow the buffer past a frame, and valid frames split at random
//! points, with garbage between them, all come out. Seeded, so a failure replays.

use std::time::{Duration, Instant};

use mirai::devices::zwave::frame::{CAN, Frame, Kind, MAX_FRAME_LEN, NAK, SOF, encode_data};
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

#[test]
fn random_bytes_never_panic_and_stay_bounded() {
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..ROUNDS {
        // Bias toward SOF and small length bytes so partial frames are common.
        let stream: Vec<u8> = (0..rng.usize(0..2048))
            .map(|_| match rng.u8(..8) {
                0 => SOF,
                1 => rng.u8(0..12),
                _ => rng.u8(..),
            })
            .collect();
        let (_, mut fb) = feed_in_chunks(&mut rng, &stream);
        // Whatever is left is partial frames that expire one SOF at a time: nothing stays.
        let mut later = Instant::now() + Duration::from_secs(3600);
        while fb.pending() > 0 {
            if fb.next(later).is_none() {
                later += Duration::from_millis(1500);
            }
        }
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

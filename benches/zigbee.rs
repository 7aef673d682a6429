//! The Zigbee MT link: frame parsing throughput of the receive buffer over a realistic stream
//! (AF_INCOMING_MSG attribute reports from a busy network, AF_DATA_CONFIRMs, SRSPs, device
//! announcements, a version answer) fed in 64-byte and 4 KiB reads.
//!
//! `cargo bench --bench zigbee`.

use std::time::{Duration, Instant};

use mirai::devices::zigbee::mt::frame::{Frame, Kind};
use mirai::devices::zigbee::mt::receiver::{Event, FrameBuffer};

/// Bytes of stream parsed per run.
const STREAM_BYTES: usize = 8 << 20;
/// Runs per chunk size; the median is reported.
const RUNS: usize = 15;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("Zigbee benchmark: run it with `cargo bench --bench zigbee`");
        return;
    }
    let (stream, frames) = realistic_stream();
    let per_frame = stream.len() as f64 / frames as f64;
    println!(
        "stream: {} bytes, {frames} frames, {per_frame:.1} bytes a frame\n",
        stream.len()
    );
    println!("| reads of | MB/s, wall clock | MB/s, per CPU second | frames/CPU s | target |");
    println!("|---|---|---|---|---|");
    for chunk in [64, 4096] {
        let (wall, cpu) = throughput(&stream, frames, chunk);
        let mfs = cpu / per_frame;
        println!("| {chunk} bytes | {wall:.0} | {cpu:.0} | {mfs:.1} M | ≥ 100 MB/s |");
    }
    println!("\n(medians of {RUNS} runs)");
}

fn realistic_stream() -> (Vec<u8>, usize) {
    let mut exchange = Vec::new();
    let mut frames = 0;
    let mut add = |frame: Frame| {
        exchange.extend(frame.encode().unwrap());
        frames += 1;
    };
    for round in 0u8..16 {
        // Reports: temperature (0402, i16 2150), humidity (0405), occupancy (0406), level.
        for (cluster, zcl) in [
            (
                0x0402u16,
                &[0x18, round, 0x0A, 0x00, 0x00, 0x29, 0x66, 0x08][..],
            ),
            (0x0405, &[0x18, round, 0x0A, 0x00, 0x00, 0x21, 0x10, 0x17]),
            (0x0406, &[0x18, round, 0x0A, 0x00, 0x00, 0x18, 0x01]),
            (0x0008, &[0x08, round, 0x0A, 0x00, 0x00, 0x20, 0xF3]),
        ] {
            let mut data = vec![0, 0];
            data.extend(cluster.to_le_bytes());
            data.extend([
                0xD4, 0x17, 0x01, 0x01, 0x00, 0x37, 0x00, 0x99, 0xB2, 0xDB, 0x00,
            ]);
            data.extend([0x00, zcl.len() as u8]);
            data.extend(zcl);
            data.extend([0xD4, 0x17, 0x1D]);
            add(Frame::new(Kind::Areq, 0x04, 0x81, data));
        }
        // A command out: its SRSP and AF_DATA_CONFIRM.
        add(Frame::new(Kind::Srsp, 0x04, 0x01, vec![0]));
        add(Frame::new(Kind::Areq, 0x04, 0x80, vec![0, 1, round]));
        if round % 4 == 0 {
            let mut annce = vec![0x34, 0x12, 0x34, 0x12];
            annce.extend(0x00124B0001020304u64.to_le_bytes());
            annce.push(0x8E);
            add(Frame::new(Kind::Areq, 0x05, 0xC1, annce));
        }
        if round == 0 {
            let version = vec![2, 0, 2, 6, 3, 0xD9, 0x14, 0x34, 0x01, 2, 0, 0, 0, 0];
            add(Frame::new(Kind::Srsp, 0x01, 0x02, version));
        }
    }
    let copies = STREAM_BYTES / exchange.len();
    (exchange.repeat(copies), frames * copies)
}

fn throughput(stream: &[u8], frames: usize, chunk: usize) -> (f64, f64) {
    let now = Instant::now();
    let mbs = |took: Duration| stream.len() as f64 / took.as_secs_f64() / 1e6;
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..RUNS)
        .map(|_| {
            let mut fb = FrameBuffer::new();
            let mut seen = 0;
            let started = Instant::now();
            let cpu_started = thread_cpu();
            for read in stream.chunks(chunk) {
                fb.push(read);
                while let Some(event) = fb.next(now) {
                    match event {
                        Event::Frame(frame) => {
                            std::hint::black_box(&frame);
                            seen += 1;
                        }
                        other => panic!("{other:?}"),
                    }
                }
            }
            let (took, cpu_took) = (started.elapsed(), thread_cpu() - cpu_started);
            assert_eq!(seen, frames);
            (mbs(took), mbs(cpu_took))
        })
        .unzip();
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (wall[RUNS / 2], cpu[RUNS / 2])
}

/// This thread's CPU time so far.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: one timespec to fill; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime: {}", std::io::Error::last_os_error());
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

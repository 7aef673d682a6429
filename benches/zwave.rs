//! The Z-Wave Serial API link: (a) frame parsing throughput of the receive buffer over a
//! realistic stream (ACKs, SendData responses and callbacks, node reports, node information
//! frames, a capabilities response) fed in 64-byte and 4 KiB reads; (b) the driver's own
//! overhead from a command to its callback: `Zwave::set` against a stick on 127.0.0.1 that
//! answers ACK, response and callback at once, minus the stick's own time (from the last byte
//! of the request read to the last byte of its answer written).
//!
//! `cargo bench --bench zwave`; `MIRAI_BENCH_COMMANDS=20000` scales part (b).

#[path = "support/measure.rs"]
#[allow(dead_code)]
mod measure;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use measure::{pct, row};
use mirai::devices::zwave::frame::{ACK, Frame, Kind, encode_data};
use mirai::devices::zwave::receiver::{Event, FrameBuffer};
use mirai::devices::zwave::{Target, Zwave, ZwaveSettings};
use tokio::sync::watch;

/// Bytes of stream parsed per run of part (a).
const STREAM_BYTES: usize = 8 << 20;
/// Runs of part (a) per chunk size; the median is reported.
const PARSE_RUNS: usize = 15;
/// Commands before timing part (b).
const WARMUP: usize = 200;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("Z-Wave benchmark: run it with `cargo bench --bench zwave`");
        return;
    }
    let commands: usize = std::env::var("MIRAI_BENCH_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let (stream, frames) = realistic_stream();
    let bytes_a_frame = stream.len() as f64 / frames as f64;
    println!(
        "stream: {} bytes, {frames} frames, {bytes_a_frame:.1} bytes a frame\n",
        stream.len()
    );
    println!("| reads of | MB/s, wall clock | MB/s, per CPU second | frames/CPU s | target |");
    println!("|---|---|---|---|---|");
    for chunk in [64, 4096] {
        let (wall, cpu) = parse_throughput(&stream, frames, chunk);
        let mfs = cpu / bytes_a_frame;
        println!("| {chunk} bytes | {wall:.0} | {cpu:.0} | {mfs:.1} M | ≥ 100 MB/s |");
    }
    println!("\n(medians of {PARSE_RUNS} runs)");
    println!();
    command_overhead(commands);
}

/// A stream as a busy network sends it, repeated to [`STREAM_BYTES`]; and its frame count.
fn realistic_stream() -> (Vec<u8>, usize) {
    let data = |kind, function, payload: &[u8]| encode_data(kind, function, payload).unwrap();
    let mut exchange = Vec::new();
    let mut frames = 0;
    let mut add = |bytes: Vec<u8>| {
        exchange.extend(bytes);
        frames += 1;
    };
    for round in 0u8..16 {
        // SendData: ACK, response "queued", callback with a transmit report.
        add(vec![ACK]);
        add(data(Kind::Response, 0x13, &[0x01]));
        let report = [
            round, 0x00, 0x00, 0x02, 0x00, 0xC5, 0x7F, 0x7F, 0x7F, 0x7F, 0x00,
        ];
        add(data(Kind::Request, 0x13, &report));
        // Node reports: Sensor Multilevel (temperature 21.5 °C), Meter, Binary Switch.
        add(data(
            Kind::Request,
            0x04,
            &[0x00, 0x05, 0x06, 0x31, 0x05, 0x01, 0x22, 0x00, 0xD7],
        ));
        let meter = [
            0x00, 0x06, 0x0A, 0x32, 0x02, 0x21, 0x74, 0x00, 0x00, 0x12, 0x34, 0x00, 0x00,
        ];
        add(data(Kind::Request, 0x04, &meter));
        add(data(
            Kind::Request,
            0x04,
            &[0x00, 0x03, 0x03, 0x25, 0x03, 0xFF],
        ));
        if round % 4 == 0 {
            // A node information frame (ApplicationUpdate) with 20 command classes.
            let mut info = vec![0x84, 0x07, 23, 0x04, 0x10, 0x01];
            info.extend(0x20u8..0x34);
            add(data(Kind::Request, 0x49, &info));
        }
        if round == 0 {
            // GetSerialApiCapabilities: 8 bytes of identity and the 32-byte function mask.
            let mut caps = vec![7, 17, 0x00, 0x86, 0x01, 0x01, 0x00, 0x5A];
            caps.extend([0xFE; 32]);
            add(data(Kind::Response, 0x07, &caps));
        }
    }
    let copies = STREAM_BYTES / exchange.len();
    (exchange.repeat(copies), frames * copies)
}

/// Megabytes a second through `FrameBuffer` for reads of `chunk` bytes: by the wall clock,
/// and per second of this thread's CPU time (what other processes on a busy machine take
/// does not count against it).
fn parse_throughput(stream: &[u8], frames: usize, chunk: usize) -> (f64, f64) {
    let now = Instant::now();
    let mbs = |took: Duration| stream.len() as f64 / took.as_secs_f64() / 1e6;
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..PARSE_RUNS)
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
                        Event::Rejected(reject) => panic!("{reject}"),
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
    (wall[PARSE_RUNS / 2], cpu[PARSE_RUNS / 2])
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

/// Part (b): `commands` Binary Switch Sets through the driver; the stick's own time is
/// subtracted from each round trip.
fn command_overhead(commands: usize) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = format!("tcp://{}", listener.local_addr().unwrap());
    let (times_tx, times) = mpsc::channel::<Duration>();
    std::thread::spawn(move || stick(listener, times_tx));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let (zwave, _network, _task) = runtime
        .block_on(Zwave::start(ZwaveSettings::new(port), shutdown))
        .expect("start-up against the bench stick");
    let mut round_trips = Vec::with_capacity(commands);
    let mut overheads = Vec::with_capacity(commands);
    let mut peer = Vec::with_capacity(commands);
    for i in 0..WARMUP + commands {
        let started = Instant::now();
        runtime
            .block_on(zwave.set(2, Target::Switch(i % 2 == 0)))
            .unwrap();
        let round_trip = started.elapsed();
        let own = times.recv().unwrap();
        if i >= WARMUP {
            round_trips.push(round_trip);
            overheads.push(round_trip.saturating_sub(own));
            peer.push(own);
        }
    }
    for samples in [&mut round_trips, &mut overheads, &mut peer] {
        samples.sort();
    }
    println!("{commands} commands after {WARMUP} warm-up ones:\n");
    println!("| measure | p50 | p99 | target |");
    println!("|---|---|---|---|");
    row("`Zwave::set`, command → callback", &round_trips, "—");
    row("the stick's own time", &peer, "—");
    row("**driver overhead**", &overheads, "p99 ≤ 1 ms");
    let max = overheads.last().copied().unwrap_or_default();
    println!("\n(overhead p90 {:?}, max {max:?})", pct(&overheads, 90));
}

/// The stick: answers start-up from a table, and SendData with ACK, response and callback in
/// one write, timing itself from the request decoded to the answer written.
fn stick(listener: TcpListener, times: mpsc::Sender<Duration>) {
    let (mut link, _) = listener.accept().unwrap();
    link.set_nodelay(true).unwrap();
    let mut rx = FrameBuffer::new();
    let mut chunk = [0u8; 512];
    loop {
        let n = match link.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        rx.push(&chunk[..n]);
        while let Some(event) = rx.next(Instant::now()) {
            let Event::Frame(Frame::Data {
                kind: Kind::Request,
                function,
                payload,
            }) = event
            else {
                continue; // the host's ACKs and its opening NAK
            };
            let decoded = Instant::now();
            answer(&mut link, function, &payload);
            if function == 0x13 {
                let _ = times.send(decoded.elapsed());
            }
        }
    }
}

fn answer(link: &mut TcpStream, function: u8, payload: &[u8]) {
    let data = |kind, function, payload: &[u8]| encode_data(kind, function, payload).unwrap();
    let mut out = vec![ACK];
    match function {
        0x08 => out.extend(data(Kind::Request, 0x0A, &[0x00, 0x02, 0x01, 0x00, 0x00])),
        0x07 => out.extend(data(
            Kind::Response,
            0x07,
            &[
                &[7, 17, 0x00, 0x86, 0x01, 0x01, 0x00, 0x5A][..],
                &[0xFF; 32],
            ]
            .concat(),
        )),
        0x15 => out.extend(data(Kind::Response, 0x15, b"Z-Wave 7.17\0\x01")),
        0x20 => out.extend(data(Kind::Response, 0x20, &[0xC0, 0xFF, 0xEE, 0x01, 0x01])),
        0x02 => out.extend(data(
            Kind::Response,
            0x02,
            &[&[0x09, 0x08, 29, 0x01][..], &[0; 28]].concat(),
        )),
        0x05 => out.extend(data(Kind::Response, 0x05, &[0x08])),
        0x41 => out.extend(data(
            Kind::Response,
            0x41,
            &[0x80, 0x00, 0x00, 0x02, 0x02, 0x01],
        )),
        0x13 => {
            let callback_id = *payload.last().unwrap();
            out.extend(data(Kind::Response, 0x13, &[0x01]));
            out.extend(data(Kind::Request, 0x13, &[callback_id, 0x00, 0x00, 0x02]));
        }
        other => panic!("the bench stick does not know function {other:#04x}"),
    }
    link.write_all(&out).unwrap();
}

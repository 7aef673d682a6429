//! Zigbee ZCL: how many attribute reports a second the pure half of the pipe takes in, over a
//! realistic mix (temperature, humidity, battery, level, on/off, occupancy, an IAS zone status
//! change, a manufacturer-specific report of three attributes, a Basic read response):
//! (a) decoding alone: frame and global command or zone command; (b) decode → the device's
//! readings and the Default Response it calls for, encoded → the device's registry entities
//! rebuilt, as the MQTT mirror would read them after each change. The target is
//! ≥ 10k reports/s through decode → registry → MQTT publish; this is the part before MQTT.
//!
//! `cargo bench --bench zigbee_zcl`.

use std::time::{Duration, Instant};

use mirai::devices::zigbee::device::{Device, Endpoint};
use mirai::devices::zigbee::entities::{Label, entities};
use mirai::devices::zigbee::zcl::ias::ZoneCommand;
use mirai::devices::zigbee::zcl::{Frame, Global};

/// Reports per run.
const REPORTS: usize = 200_000;
/// Runs per part; the median is reported.
const RUNS: usize = 9;

/// (cluster, ZCL bytes) as devices send them.
const MIX: [(u16, &[u8]); 9] = [
    (0x0402, &[0x18, 0x01, 0x0A, 0x00, 0x00, 0x29, 0x66, 0x08]),
    (0x0405, &[0x18, 0x02, 0x0A, 0x00, 0x00, 0x21, 0xC6, 0x11]),
    (0x0001, &[0x18, 0x03, 0x0A, 0x21, 0x00, 0x20, 0xB5]),
    (0x0008, &[0x08, 0x7A, 0x0A, 0x00, 0x00, 0x20, 0xF3]),
    (0x0006, &[0x08, 0x04, 0x0A, 0x00, 0x00, 0x10, 0x01]),
    (0x0406, &[0x18, 0xA9, 0x0A, 0x00, 0x00, 0x18, 0x01]),
    (
        0x0500,
        &[0x09, 0x10, 0x00, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00],
    ),
    (
        0x0402,
        &[
            0x1C, 0x5F, 0x11, 0x07, 0x0A, 0x00, 0x00, 0x29, 0x67, 0x08, 0x01, 0xFF, 0x20, 0x03,
            0x05, 0x00, 0x42, 0x04, b'l', b'u', b'm', b'i',
        ],
    ),
    (
        0x0000,
        &[
            0x18, 0x05, 0x01, 0x04, 0x00, 0x00, 0x42, 0x04, b'L', b'U', b'M', b'I', 0x07, 0x00,
            0x00, 0x30, 0x03,
        ],
    ),
];

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("Zigbee ZCL benchmark: run it with `cargo bench --bench zigbee_zcl`");
        return;
    }
    let frames: Vec<(u16, Vec<u8>)> = (0..REPORTS)
        .map(|i| {
            let (cluster, bytes) = MIX[i % MIX.len()];
            (cluster, bytes.to_vec())
        })
        .collect();
    println!("| part | reports/s, wall clock | reports/s, per CPU second | target |");
    println!("|---|---|---|---|");
    let (wall, cpu) = median(|| decode(&frames));
    println!("| (a) decode | {wall:.0} | {cpu:.0} | — |");
    let (wall, cpu) = median(|| to_entities(&frames));
    println!("| (b) decode → readings → entities | {wall:.0} | {cpu:.0} | ≥ 10,000 (whole pipe) |");
    println!("\n({REPORTS} reports a run, medians of {RUNS} runs)");
}

/// Part (a): every frame parsed to its command.
fn decode(frames: &[(u16, Vec<u8>)]) {
    for (cluster, bytes) in frames {
        let frame = Frame::parse(bytes).expect("frame");
        if *cluster == 0x0500 {
            std::hint::black_box(ZoneCommand::parse(&frame).expect("zone"));
        } else {
            std::hint::black_box(Global::parse(&frame).expect("global"));
        }
    }
}

/// Part (b): every frame into the device, its answer encoded, its entities rebuilt.
fn to_entities(frames: &[(u16, Vec<u8>)]) {
    let mut device = Device::new(0x0015_8D00_0102_0304, 0x5A3C);
    device.endpoints.push(Endpoint {
        id: 1,
        profile: 0x0104,
        device_id: 0x0302,
        in_clusters: vec![
            0x0000, 0x0001, 0x0006, 0x0008, 0x0402, 0x0405, 0x0406, 0x0500,
        ],
        out_clusters: Vec::new(),
    });
    let label = Label::default();
    for (cluster, bytes) in frames {
        let frame = Frame::parse(bytes).expect("frame");
        let got = device.receive(1, *cluster, &frame, 0x17).expect("receive");
        for reply in &got.replies {
            std::hint::black_box(reply.encode());
        }
        std::hint::black_box(entities(&device, &label));
    }
}

/// Runs `f` [`RUNS`] times; the median reports/s by wall clock and by the thread's CPU time.
fn median(mut f: impl FnMut()) -> (f64, f64) {
    let rate = |took: Duration| REPORTS as f64 / took.as_secs_f64();
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..RUNS)
        .map(|_| {
            let (started, cpu_started) = (Instant::now(), thread_cpu());
            f();
            (rate(started.elapsed()), rate(thread_cpu() - cpu_started))
        })
        .unzip();
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (wall[RUNS / 2], cpu[RUNS / 2])
}

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

//! Zigbee attribute reports end to end: a Z-Stack chip of our own on a pseudo-terminal
//! (`tests/support/znp_peer.rs`) writes level reports from a joined bulb as fast as the line
//! takes them; `mirai serve` (this build) reads them (MT framing, AF_INCOMING_MSG, ZCL decode),
//! takes them into the bulb's entity in the registry, and its MQTT mirror publishes the state to
//! a real Mosquitto, where a subscriber waits for the round's last value. Reports per second is
//! the round's reports over the time from the first byte written to the last value seen on
//! MQTT. The mirror publishes the state as it is when it looks, so several reports may share one
//! publish; the publishes seen are counted beside.
//!
//! `cargo bench --bench zigbee_reports`.

#[path = "../tests/support"]
mod support {
    pub mod mosquitto;
    pub mod znp_peer;
}

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::mosquitto::{Mosquitto, Probe};
use support::znp_peer::zcl::af_incoming;
use support::znp_peer::{Device, ZnpPeer};

/// Reports a round writes.
const REPORTS: usize = 20_000;
/// Rounds; the median is reported.
const ROUNDS: usize = 5;
const BULB: (u16, u64) = (0x1A2B, 0x0017_8801_0203_0405);
const STATE: &str = "mirai/bench/zigbee/0017880102030405/light.zigbee_02030405";

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("Zigbee reports benchmark: run it with `cargo bench --bench zigbee_reports`");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let broker = Mosquitto::start();
    let peer = ZnpPeer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mirai.yaml"),
        format!(
            "zigbee:\n  enabled: true\n  port: {}\n  reset: none\nmqtt:\n  url: {}\n  \
             hub_id: bench\n  hermes: false\nservices:\n  dashboard:\n    enabled: false\n\
             monitoring:\n  logs:\n    level: warn\n    path: mirai.log\n",
            peer.path(),
            broker.url()
        ),
    )
    .unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_mirai"))
        .current_dir(dir.path())
        .args(["--config", "mirai.yaml", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut figures = rt.block_on(async {
        let mut probe = Probe::connect(&broker, "bench-probe", &["mirai/bench/zigbee/#"]).await;
        probe.status_is("mirai/bench/zigbee/status", "online").await;
        peer.join(Device::bulb(BULB.0, BULB.1));
        // Set up: the level read back at full.
        until_brightness(&mut probe, 255, Duration::from_secs(60)).await;
        let mut figures = Vec::new();
        for round in 0..ROUNDS {
            // Levels 1–199, then a last one no earlier report had: the round's marker.
            let last = 200 + round as u8;
            let mut bytes = Vec::new();
            for i in 0..REPORTS {
                let level = if i + 1 == REPORTS {
                    last
                } else {
                    (i % 199) as u8 + 1
                };
                // Report Attributes of Current Level, no Default Response wanted.
                let zcl = [0x18, i as u8, 0x0A, 0x00, 0x00, 0x20, level];
                bytes.extend(af_incoming(BULB.0, 11, 0x0008, &zcl).encode().unwrap());
            }
            let started = Instant::now();
            let writer = std::thread::scope(|s| {
                let w = s.spawn(|| bytes.chunks(4096).for_each(|c| peer.write(c)));
                let seen = tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(until_brightness(
                        &mut probe,
                        brightness(last),
                        Duration::from_secs(120),
                    ))
                });
                w.join().unwrap();
                seen
            });
            let elapsed = started.elapsed();
            figures.push((REPORTS as f64 / elapsed.as_secs_f64(), writer, elapsed));
        }
        figures
    });
    let _ = daemon.kill();
    let _ = daemon.wait();
    // Reports the back end's event stream dropped because it fell behind (its log says so).
    let log = std::fs::read_to_string(dir.path().join("data/mirai.log"))
        .expect("the daemon's log, which says when the back end fell behind");
    let missed: u64 = (log.lines())
        .filter(|l| l.contains("fell behind on events"))
        .filter_map(|l| l.split("missed=").nth(1))
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    println!("| reports | publishes seen | time | reports/s | target |");
    println!("|---|---|---|---|---|");
    for (rate, publishes, elapsed) in &figures {
        println!(
            "| {REPORTS} | {publishes} | {:.0} ms | {rate:.0} | ≥ 10 000 |",
            elapsed.as_secs_f64() * 1000.0
        );
    }
    figures.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "\nmedian of {ROUNDS} rounds: {:.0} reports/s",
        figures[ROUNDS / 2].0
    );
    let total = REPORTS * ROUNDS;
    println!("events the back end fell behind on and dropped: {missed} of {total}");
}

/// Home Assistant's brightness (0–255) of a level (0–254), as the entity shows it.
fn brightness(level: u8) -> u64 {
    (u64::from(level) * 255 + 127) / 254
}

/// Reads the bulb's state topic until its brightness is `want`; how many publishes it read.
async fn until_brightness(probe: &mut Probe, want: u64, wait: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + wait;
    let mut seen = 0;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let payload = probe
            .next_within(STATE, left.max(Duration::from_millis(1)))
            .await;
        seen += 1;
        let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        if json["attributes"]["brightness"] == want {
            return seen;
        }
    }
}

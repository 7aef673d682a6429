//! A voice command through Mosquitto: a satellite publishes "turn off the kitchen light" on
//! `mirai/<hub>/ask`, the daemon (`mirai serve --demo`, this profile's binary) acts on the
//! light and publishes the reply; the probe times publish → reply. Mosquitto's own
//! publish → receive round trip is measured in the same run, on the same connection, for
//! comparison. `cargo bench --bench voice` (needs /usr/sbin/mosquitto: tests/run installs it).

#[path = "../tests/support/mosquitto.rs"]
mod mosquitto;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mosquitto::{Mosquitto, Probe};

const WARMUP: usize = 50;
const ROUNDS: usize = 1_000;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("voice benchmark: run it with `cargo bench --bench voice`");
        return;
    }
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("notify");
    let notify = UnixDatagram::bind(&sock).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_mirai"))
        .args([
            "--data-dir",
            dir.path().join("data").to_str().unwrap(),
            "serve",
            "--demo",
        ])
        .env("NOTIFY_SOCKET", &sock)
        .env("MIRAI_SERVICES__DASHBOARD__PORT", "0")
        .env("MIRAI_MQTT__URL", broker.url())
        .env("MIRAI_MQTT__HUB_ID", "bench")
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 64];
    notify.recv(&mut buf).expect("READY=1");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (echo, voice) = runtime.block_on(async {
        let topics = ["mirai/bench/status", "mirai/bench/reply", "bench/echo"];
        let mut probe = Probe::connect(&broker, "voice-bench", &topics).await;
        assert_eq!(probe.next_on("mirai/bench/status").await, b"online");
        let mut echo = Vec::with_capacity(ROUNDS);
        for i in 0..WARMUP + ROUNDS {
            let start = Instant::now();
            probe.publish("bench/echo", "ping").await;
            probe.next_on("bench/echo").await;
            if i >= WARMUP {
                echo.push(start.elapsed());
            }
        }
        let mut voice = Vec::with_capacity(ROUNDS);
        for i in 0..WARMUP + ROUNDS {
            let text = if i % 2 == 0 {
                "turn off the kitchen light"
            } else {
                "turn on the kitchen light"
            };
            let start = Instant::now();
            probe.publish("mirai/bench/ask", text).await;
            let reply = probe.json_on("mirai/bench/reply").await;
            assert_eq!(reply["actions"][0]["outcome"], "done", "{reply}");
            if i >= WARMUP {
                voice.push(start.elapsed());
            }
        }
        echo.sort();
        voice.sort();
        (echo, voice)
    });
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    daemon.wait().unwrap();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |v: &[Duration], p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
    println!("| measure ({ROUNDS} rounds) | p50 | p99 | target |\n|---|---|---|---|");
    println!(
        "| Mosquitto alone: publish → receive, QoS 1 | {:.3} ms | {:.3} ms | — |",
        ms(pct(&echo, 50)),
        ms(pct(&echo, 99))
    );
    println!(
        "| voice command: publish ask → device done → reply received | {:.3} ms | {:.3} ms | p99 ≤ 5 ms |",
        ms(pct(&voice, 50)),
        ms(pct(&voice, 99))
    );
}

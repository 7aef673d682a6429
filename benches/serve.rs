//! `mirai serve` start-up and idle footprint, as systemd would see them: the time from spawning
//! the process to its `READY=1` notification, and its resident memory and threads once idle
//! (threads by name, so one that grows with the machine's cores would show).
//! `cargo bench --bench serve` (the bench profile's `mirai` binary, built with the bench).

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 20;
/// How long the daemon sits idle before its memory is read.
const SETTLE: Duration = Duration::from_secs(2);

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("serve benchmark: run it with `cargo bench --bench serve`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut ready = Vec::new();
    let mut rss = Vec::new();
    let mut threads = Vec::new();
    for run in 0..RUNS {
        let sock = dir.path().join(format!("notify-{run}"));
        let notify = UnixDatagram::bind(&sock).unwrap();
        notify
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let start = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mirai"))
            .args([
                "--data-dir",
                dir.path().join("data").to_str().unwrap(),
                "serve",
                "--demo",
            ])
            .env("NOTIFY_SOCKET", &sock)
            .env("MIRAI_SERVICES__DASHBOARD__PORT", "0")
            .env(
                "MIRAI_MQTT__URL",
                std::env::var("MIRAI_BENCH_BROKER").unwrap_or("mqtt://127.0.0.1:9".into()),
            )
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut buf = [0u8; 64];
        let n = notify.recv(&mut buf).expect("READY=1");
        assert_eq!(&buf[..n], b"READY=1");
        ready.push(start.elapsed());
        if run == 0 || run == RUNS - 1 {
            std::thread::sleep(SETTLE);
            rss.push(resident_kib(child.id()));
            threads.push(thread_names(child.id()));
        }
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        child.wait().unwrap();
    }
    ready.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("| measure | result | target |\n|---|---|---|");
    println!(
        "| start → READY=1, p50 of {RUNS} | {:.1} ms | — |",
        ms(ready[RUNS / 2])
    );
    println!(
        "| start → READY=1, max of {RUNS} | {:.1} ms | ≤ 150 ms |",
        ms(ready[RUNS - 1])
    );
    for (i, kib) in rss.iter().enumerate() {
        println!(
            "| idle RSS after {}s (sample {}) | {:.1} MiB | ≤ 12 MiB |",
            SETTLE.as_secs(),
            i + 1,
            *kib as f64 / 1024.0
        );
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    for (i, names) in threads.iter().enumerate() {
        let total: usize = names.iter().map(|(_, n)| n).sum();
        let by_name: Vec<String> = names
            .iter()
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        println!(
            "| idle threads after {}s (sample {}), {cores} cores here | {total}: {} | none per core |",
            SETTLE.as_secs(),
            i + 1,
            by_name.join(", ")
        );
    }
}

/// The process's threads, counted by name (`/proc/PID/task/*/comm`), and checked against the
/// `Threads:` line of its status.
fn thread_names(pid: u32) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let comm = std::fs::read_to_string(task.unwrap().path().join("comm")).unwrap();
        *counts.entry(comm.trim().to_owned()).or_default() += 1;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    let total: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(
        total,
        counts.values().sum::<usize>(),
        "threads came or went while counted"
    );
    counts.into_iter().collect()
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

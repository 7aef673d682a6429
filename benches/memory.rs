//! Memory throughput and latency on a real temp file, printed as a markdown table.
//!
//! `cargo bench --bench memory`; `MIRAI_BENCH_MESSAGES=100000` scales the history fill down
//! (default 1,000,000) for a quick run. Std only: timings are wall clock per call.

use std::time::{Duration, Instant};

use mirai::clock::now_ms;
use mirai::memory::{Memory, NewMessage, Role, Settings};

const SESSIONS: usize = 1_000;
const SINGLE_WRITES: usize = 5_000;
const BATCH: usize = 1_000;
const BATCHES: usize = 20;
const FILL_BATCH: usize = 10_000;
const HISTORY_READS: usize = 10_000;
const KNOWLEDGE_ROWS: usize = 100_000;
const SEARCHES: usize = 2_000;

/// A vocabulary of made-up English- and Russian-looking words.
fn vocabulary() -> Vec<String> {
    let latin = [
        "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "bar", "len", "dor",
    ];
    let cyrillic = [
        "ка", "ло", "ми", "не", "ру", "са", "то", "ви", "де", "бар", "лен", "дор",
    ];
    let mut words = Vec::new();
    for set in [latin, cyrillic] {
        for a in set {
            for b in set {
                for c in set {
                    words.push(format!("{a}{b}{c}"));
                }
            }
        }
    }
    words
}

fn rate(count: usize, elapsed: Duration) -> String {
    format!("{:.0}/s", count as f64 / elapsed.as_secs_f64())
}

/// p50 and p99 of the samples, formatted in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (String, String) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    (ms(at(0.50)), ms(at(0.99)))
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: the figures mean
    // nothing under a debug build and a busy test run, so only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("memory benchmark: run it with `cargo bench --bench memory`");
        return;
    }
    let total: usize = std::env::var("MIRAI_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut memory = Memory::open(&dir.path().join("bench.db"), &Settings::default()).unwrap();
    let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
    let mut rows: Vec<[String; 3]> = Vec::new();

    let session = memory.start_session("bench", "bench").unwrap();
    let start = Instant::now();
    for i in 0..SINGLE_WRITES {
        memory
            .save_message(&session, Role::User, &format!("single write {i}"))
            .unwrap();
    }
    rows.push([
        "save_message, one transaction each".into(),
        rate(SINGLE_WRITES, start.elapsed()),
        "≥ 2k/s".into(),
    ]);

    let texts: Vec<String> = (0..BATCH)
        .map(|i| format!("batched message number {i}"))
        .collect();
    let batch: Vec<NewMessage<'_>> = texts
        .iter()
        .map(|content| NewMessage {
            session: &session,
            role: Role::Assistant,
            content,
            created_at: None,
        })
        .collect();
    let start = Instant::now();
    for _ in 0..BATCHES {
        memory.save_messages(&batch).unwrap();
    }
    rows.push([
        format!("save_messages, batches of {BATCH}"),
        rate(BATCH * BATCHES, start.elapsed()),
        "≥ 20k/s".into(),
    ]);

    let sessions: Vec<String> = (0..SESSIONS)
        .map(|_| memory.start_session("bench", "bench").unwrap())
        .collect();
    let words = vocabulary();
    let now = now_ms();
    let start = Instant::now();
    let mut done = 0;
    while done < total {
        let n = FILL_BATCH.min(total - done);
        let texts: Vec<String> = (0..n)
            .map(|_| {
                (0..8)
                    .map(|_| words[rng.usize(..words.len())].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let batch: Vec<NewMessage<'_>> = texts
            .iter()
            .enumerate()
            .map(|(i, content)| NewMessage {
                session: &sessions[(done + i) % SESSIONS],
                role: if i % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                },
                content,
                // Spread over the last hour, oldest first, all inside the 24 h ttl.
                created_at: Some(now - 3_600_000 + ((done + i) * 3_600_000 / total) as i64),
            })
            .collect();
        memory.save_messages(&batch).unwrap();
        done += n;
    }
    rows.push([
        format!("fill {total} messages over {SESSIONS} sessions (batches of {FILL_BATCH})"),
        rate(total, start.elapsed()),
        "—".into(),
    ]);

    let mut samples = Vec::with_capacity(HISTORY_READS);
    for _ in 0..HISTORY_READS {
        let id = &sessions[rng.usize(..SESSIONS)];
        let start = Instant::now();
        let history = memory.get_session_history(id, None).unwrap();
        samples.push(start.elapsed());
        assert_eq!(
            history.len(),
            Settings::default().history_limit.min(total / SESSIONS)
        );
    }
    let (p50, p99) = percentiles(samples);
    rows.push([
        format!("get_session_history ×{HISTORY_READS}, p50"),
        p50,
        "—".into(),
    ]);
    rows.push([
        format!("get_session_history ×{HISTORY_READS}, p99"),
        p99,
        "≤ 1 ms".into(),
    ]);

    let start = Instant::now();
    for i in 0..KNOWLEDGE_ROWS {
        let pick = |rng: &mut fastrand::Rng| words[rng.usize(..words.len())].clone();
        let topic = format!("{} {}", pick(&mut rng), pick(&mut rng));
        let content = (0..12)
            .map(|_| pick(&mut rng))
            .collect::<Vec<_>>()
            .join(" ");
        memory
            .add_knowledge(&topic, &content, &format!("bench {i}"), None)
            .unwrap();
    }
    rows.push([
        format!("add_knowledge ×{KNOWLEDGE_ROWS}, one transaction each"),
        rate(KNOWLEDGE_ROWS, start.elapsed()),
        "—".into(),
    ]);

    let mut samples = Vec::with_capacity(SEARCHES);
    let mut hits = 0;
    for _ in 0..SEARCHES {
        let query = words[rng.usize(..words.len())].clone();
        let start = Instant::now();
        hits += memory.search_knowledge(&query, 10).unwrap().len();
        samples.push(start.elapsed());
    }
    let (p50, p99) = percentiles(samples);
    rows.push([
        format!(
            "search_knowledge ×{SEARCHES} (limit 10, {:.1} hits avg), p50",
            hits as f64 / SEARCHES as f64
        ),
        p50,
        "—".into(),
    ]);
    rows.push([
        format!("search_knowledge ×{SEARCHES}, p99"),
        p99,
        "≤ 10 ms".into(),
    ]);

    let stats = memory.stats().unwrap();
    println!("\n| measure | result | target |\n|---|---|---|");
    for [what, result, target] in rows {
        println!("| {what} | {result} | {target} |");
    }
    println!(
        "\nfile: {} MB, wal: {} MB",
        stats.file_bytes / 1_000_000,
        stats.wal_bytes / 1_000_000
    );
}

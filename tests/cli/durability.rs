//! SIGKILL a writing `mirai` at random moments, many times: the database stays intact and
//! every write it acknowledged is there.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use super::Hub;

/// Kills per run: each one lands at a different point of a write.
const KILLS: usize = 60;
/// Records offered to each writer (more than it gets through before the kill).
const RECORDS_PER_WRITER: u64 = 2_000;

fn message(id: u64) -> String {
    format!(
        r#"{{"kind":"message","id":{id},"session_id":"durable","role":"user","content":"acknowledged write number {id}","created_at":{id}}}"#
    )
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let seed = std::env::var("MIRAI_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            (u64::from(nanos) << 16 ^ u64::from(std::process::id())) | 1
        });
    eprintln!("durability seed {seed} (set MIRAI_TEST_SEED to replay)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let hub = Hub::scratch();
    let session = r#"{"kind":"session","id":"durable","user":"u","source":"test","started_at":0,"ended_at":null,"summary":null}"#;
    let seed_file = hub.path().join("session.jsonl");
    std::fs::write(&seed_file, session).unwrap();
    hub.run(&["memory", "import", seed_file.to_str().unwrap()])
        .expect(0);

    let mut acknowledged: Vec<u64> = Vec::new();
    let mut next_id = 1u64;
    for _ in 0..KILLS {
        let mut child = hub
            .cmd(&["memory", "import", "-", "--ack"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let first = next_id;
        next_id += RECORDS_PER_WRITER;
        let feeder = std::thread::spawn(move || {
            for id in first..first + RECORDS_PER_WRITER {
                // The pipe breaks when the writer is killed: that ends the feed.
                if writeln!(stdin, "{}", message(id)).is_err() {
                    break;
                }
            }
        });
        // Kill after a random number of acknowledgements: mid-stream, while more are coming.
        let kill_after = rng.u64(1..=150);
        let mut acks = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        while seen < kill_after {
            let Some(Ok(line)) = acks.next() else { break };
            let ack: serde_json::Value = serde_json::from_str(&line).unwrap();
            acknowledged.push(first + ack["line"].as_u64().unwrap() - 1);
            seen += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        drop(acks);
        feeder.join().unwrap();
        assert!(seen > 0, "the writer acknowledged nothing before the kill");
    }

    let db = hub.data().join("mirai.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut stmt = conn
        .prepare("SELECT content FROM messages WHERE id = ?1")
        .unwrap();
    for id in &acknowledged {
        let content: String = stmt
            .query_row([*id as i64], |r| r.get(0))
            .unwrap_or_else(|e| {
                panic!("acknowledged write {id} is missing after SIGKILL: {e} (seed {seed})")
            });
        assert_eq!(content, format!("acknowledged write number {id}"));
    }
    // The FTS index kept up with every committed row.
    let fts: i64 = conn
        .query_row(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'acknowledged'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fts, rows);
    assert!(acknowledged.len() >= KILLS);
    // And mirai itself still opens it and reports it healthy.
    let v = hub.run(&["health", "--json"]).expect(0).json();
    assert_ne!(v["status"], "fail", "{v}");
}

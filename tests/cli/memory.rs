//! `mirai memory …` as a user runs it, against real SQLite files.

use std::io::Write;
use std::process::Stdio;

use super::Hub;

fn sha(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn knowledge_added_from_the_shell_is_found_in_english_and_russian() {
    let hub = Hub::scratch();
    let out = hub
        .run(&[
            "memory",
            "knowledge",
            "add",
            "--topic",
            "wifi",
            "The guest Wi-Fi password is on the fridge",
        ])
        .expect(0)
        .stdout();
    assert!(out.contains("knowledge #1"), "{out}");
    hub.run(&[
        "memory",
        "knowledge",
        "add",
        "--topic",
        "кухня",
        "Фильтр для воды на кухне меняют в марте",
    ])
    .expect(0);
    let hits = hub
        .run(&["memory", "knowledge", "search", "guest wifi?", "--json"])
        .expect(0)
        .json();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(hits[0]["topic"], "wifi");
    let hits = hub
        .run(&["memory", "knowledge", "search", "фильтр кухне", "--json"])
        .expect(0)
        .json();
    assert_eq!(hits[0]["topic"], "кухня", "{hits}");
    // FTS syntax in user text is just text.
    let run = hub
        .run(&["memory", "knowledge", "search", "\"AND (* OR", "--json"])
        .expect(0);
    assert!(run.json().as_array().is_some());
}

#[test]
fn knowledge_add_reads_stdin_with_a_dash() {
    let hub = Hub::scratch();
    let mut child = hub
        .cmd(&["memory", "knowledge", "add", "--topic", "boiler", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"The boiler service is due in October.\n")
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let hits = hub
        .run(&["memory", "knowledge", "search", "boiler", "--json"])
        .expect(0)
        .json();
    assert_eq!(hits[0]["content"], "The boiler service is due in October.");
}

#[test]
fn preferences_set_unset_and_show() {
    let hub = Hub::scratch();
    let v = hub
        .run(&[
            "memory",
            "prefs",
            "alice",
            "--set",
            "tone=brief",
            "--set",
            "language=ru",
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(v["tone"], "brief");
    assert_eq!(v["language"], "ru");
    let v = hub
        .run(&["memory", "prefs", "alice", "--unset", "tone", "--json"])
        .expect(0)
        .json();
    assert!(v.get("tone").is_none() && v["language"] == "ru", "{v}");
    let run = hub
        .run(&["memory", "prefs", "alice", "--set", "novalue"])
        .expect(1);
    assert!(run.stderr().contains("KEY=VALUE"), "{}", run.stderr());
}

/// A session with messages, written through the import path as a front end would.
fn seed_conversation(hub: &Hub) {
    let lines = [
        r#"{"kind":"session","id":"kitchen-1","user":"alice","source":"voice","started_at":1,"ended_at":null,"summary":null}"#.to_owned(),
        format!(
            r#"{{"kind":"message","id":1,"session_id":"kitchen-1","role":"user","content":"turn on the kettle","created_at":{}}}"#,
            now_ms() - 1000
        ),
        format!(
            r#"{{"kind":"message","id":2,"session_id":"kitchen-1","role":"assistant","content":"The kettle is on.","created_at":{}}}"#,
            now_ms() - 500
        ),
    ];
    let file = hub.path().join("seed.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    hub.run(&["memory", "import", file.to_str().unwrap()])
        .expect(0);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn sessions_and_history_show_the_conversation() {
    let hub = Hub::scratch();
    seed_conversation(&hub);
    let sessions = hub.run(&["memory", "sessions", "--json"]).expect(0).json();
    assert_eq!(sessions[0]["id"], "kitchen-1");
    assert_eq!(sessions[0]["message_count"], 2);
    let history = hub
        .run(&["memory", "history", "kitchen-1", "--json"])
        .expect(0)
        .json();
    let texts: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["turn on the kettle", "The kettle is on."]);
    let history = hub
        .run(&["memory", "history", "kitchen-1", "--limit", "1", "--json"])
        .expect(0)
        .json();
    assert_eq!(history[0]["content"], "The kettle is on.");
    let text = hub
        .run(&["memory", "history", "kitchen-1"])
        .expect(0)
        .stdout();
    assert!(text.contains("user: turn on the kettle"), "{text}");
}

#[test]
fn export_then_import_into_a_new_hub_reproduces_everything() {
    let hub = Hub::scratch();
    seed_conversation(&hub);
    hub.run(&[
        "memory",
        "knowledge",
        "add",
        "--topic",
        "t",
        "remember the milk",
    ])
    .expect(0);
    hub.run(&["memory", "prefs", "bob", "--set", "units=metric"])
        .expect(0);
    let dump = hub.path().join("dump.jsonl");
    hub.run(&["memory", "export", dump.to_str().unwrap()])
        .expect(0);
    // Export refuses to overwrite.
    hub.run(&["memory", "export", dump.to_str().unwrap()])
        .expect(1);
    let to_stdout = hub.run(&["memory", "export"]).expect(0).stdout();
    assert_eq!(
        to_stdout,
        std::fs::read_to_string(&dump).unwrap(),
        "stdout holds only the records"
    );

    let other = Hub::scratch();
    other
        .run(&["memory", "import", dump.to_str().unwrap()])
        .expect(0);
    let a = hub.run(&["memory", "stats", "--json"]).expect(0).json();
    let b = other.run(&["memory", "stats", "--json"]).expect(0).json();
    for key in ["sessions", "messages", "knowledge", "preferences"] {
        assert_eq!(a[key], b[key], "{key}: {a} vs {b}");
    }
    let again = other.run(&["memory", "export"]).expect(0).stdout();
    assert_eq!(again, to_stdout);
}

#[test]
fn import_of_a_bad_line_names_it_and_keeps_what_came_before() {
    let hub = Hub::scratch();
    let file = hub.path().join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"kind\":\"preference\",\"user\":\"a\",\"key\":\"k\",\"value\":\"v\",\"updated_at\":1}\n{\"kind\":\"nonsense\"}\n",
    )
    .unwrap();
    let run = hub
        .run(&["memory", "import", file.to_str().unwrap()])
        .expect(1);
    assert!(run.stderr().contains("line 2"), "{}", run.stderr());
    let prefs = hub
        .run(&["memory", "prefs", "a", "--json"])
        .expect(0)
        .json();
    assert_eq!(prefs["k"], "v");
}

#[test]
fn backup_and_restore_round_trip_and_restore_keeps_a_safety_copy() {
    let hub = Hub::scratch();
    hub.run(&["memory", "knowledge", "add", "before the backup"])
        .expect(0);
    let backup = hub.path().join("b.db");
    hub.run(&["memory", "backup", backup.to_str().unwrap()])
        .expect(0);
    hub.run(&["memory", "knowledge", "add", "after the backup"])
        .expect(0);
    let v = hub
        .run(&["memory", "restore", backup.to_str().unwrap(), "--json"])
        .expect(0)
        .json();
    let safety = std::path::PathBuf::from(v["previous_saved_to"].as_str().unwrap());
    assert!(safety.starts_with(hub.data().join("backups")), "{v}");
    let hits = hub
        .run(&["memory", "knowledge", "search", "backup", "--json"])
        .expect(0)
        .json();
    assert_eq!(
        hits.as_array().unwrap().len(),
        1,
        "only the backed-up fact remains: {hits}"
    );
    // The state before the restore is still there, in the safety copy.
    let other = Hub::scratch();
    std::fs::create_dir_all(other.data()).unwrap();
    std::fs::copy(&safety, other.data().join("mirai.db")).unwrap();
    let hits = other
        .run(&["memory", "knowledge", "search", "after", "--json"])
        .expect(0)
        .json();
    assert_eq!(hits[0]["content"], "after the backup");
}

#[test]
fn restore_refuses_a_file_that_is_not_a_backup_and_leaves_both_untouched() {
    let hub = Hub::scratch();
    hub.run(&["memory", "knowledge", "add", "keep me"])
        .expect(0);
    let junk = hub.path().join("junk.db");
    std::fs::write(&junk, b"definitely not sqlite").unwrap();
    let before = sha(&junk);
    let run = hub
        .run(&["memory", "restore", junk.to_str().unwrap()])
        .expect(1);
    assert!(
        run.stderr().contains("not a SQLite database"),
        "{}",
        run.stderr()
    );
    assert_eq!(sha(&junk), before);
    let hits = hub
        .run(&["memory", "knowledge", "search", "keep", "--json"])
        .expect(0)
        .json();
    assert_eq!(hits[0]["content"], "keep me");
}

#[test]
fn a_foreign_or_corrupt_file_at_db_path_is_refused_and_left_untouched() {
    let hub = Hub::scratch();
    std::fs::create_dir_all(hub.data()).unwrap();
    let db = hub.data().join("mirai.db");
    std::fs::write(&db, "name,phone\nalice,555\n").unwrap();
    let before = sha(&db);
    let run = hub.run(&["memory", "stats"]).expect(1);
    assert!(
        run.stderr().contains(&db.display().to_string()),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("not a SQLite database"),
        "{}",
        run.stderr()
    );
    assert_eq!(sha(&db), before);
    assert!(!hub.data().join("mirai.db-wal").exists());
}

#[test]
fn a_database_from_a_newer_mirai_names_both_versions() {
    let hub = Hub::scratch();
    hub.run(&["memory", "stats"]).expect(0);
    let db = hub.data().join("mirai.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        conn.pragma_update(None, "user_version", v + 5).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = sha(&db);
    let run = hub.run(&["memory", "stats"]).expect(1);
    let current = mirai::memory::SCHEMA_VERSION;
    let err = run.stderr();
    assert!(
        err.contains(&format!("{}", current + 5)) && err.contains(&current.to_string()),
        "{err}"
    );
    assert!(err.contains("newer"), "{err}");
    assert_eq!(sha(&db), before);
}

#[test]
fn cleanup_backs_up_first_and_never_deletes_knowledge() {
    let hub = Hub::scratch();
    let old = now_ms() - 200 * 86_400_000;
    let lines = [
        format!(
            r#"{{"kind":"session","id":"s-old","user":"u","source":"cli","started_at":{old},"ended_at":{old},"summary":"old"}}"#
        ),
        format!(
            r#"{{"kind":"message","id":1,"session_id":"s-old","role":"user","content":"ancient","created_at":{old}}}"#
        ),
        format!(
            r#"{{"kind":"knowledge","id":1,"topic":"t","content":"old fact","source":"s","embedding":null,"created_at":{old},"updated_at":{old}}}"#
        ),
    ];
    let file = hub.path().join("old.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    hub.run(&["memory", "import", file.to_str().unwrap()])
        .expect(0);
    let v = hub.run(&["memory", "cleanup", "--json"]).expect(0).json();
    assert_eq!(v["deleted"]["messages"], 1, "{v}");
    assert_eq!(v["deleted"]["sessions"], 1, "{v}");
    assert!(
        std::path::Path::new(v["backup"].as_str().unwrap()).exists(),
        "{v}"
    );
    let stats = hub.run(&["memory", "stats", "--json"]).expect(0).json();
    assert_eq!(stats["knowledge"], 1);
    assert_eq!(stats["messages"], 0);
}

#[test]
fn two_processes_writing_at_once_never_see_a_locked_database() {
    let hub = Hub::scratch();
    hub.run(&["memory", "stats"]).expect(0);
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let mut child = hub
                .cmd(&["memory", "import", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let feeder = std::thread::spawn(move || {
                for i in 0..300 {
                    writeln!(
                        stdin,
                        r#"{{"kind":"preference","user":"writer-{w}","key":"k{i}","value":"v","updated_at":{i}}}"#
                    )
                    .unwrap();
                }
            });
            (child, feeder)
        })
        .collect();
    // A reader in the middle of it all.
    for _ in 0..5 {
        hub.run(&["memory", "stats"]).expect(0);
    }
    for (child, feeder) in writers {
        feeder.join().unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains("locked") && !err.contains("busy"), "{err}");
    }
    let stats = hub.run(&["memory", "stats", "--json"]).expect(0).json();
    assert_eq!(stats["preferences"], 900);
}

#[test]
fn facts_are_shown_corrected_and_forgotten_from_the_shell() {
    let hub = Hub::scratch();
    let out = hub
        .run(&[
            "memory",
            "facts",
            "ana",
            "--add",
            "Ana likes the bedroom at 20 °C",
        ])
        .expect(0)
        .stdout();
    assert!(out.contains("#1") && out.contains("20 °C"), "{out}");
    hub.run(&["memory", "facts", "ana", "--add", "Ana has a cat named Tom"])
        .expect(0);
    hub.run(&["memory", "facts", "bob", "--add", "Bob's daughter is Mei"])
        .expect(0);
    let facts = hub
        .run(&[
            "memory",
            "facts",
            "ana",
            "--set",
            "1",
            "Ana likes the bedroom at 19 °C",
            "--json",
        ])
        .expect(0)
        .json();
    let texts: Vec<&str> = facts
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["Ana likes the bedroom at 19 °C", "Ana has a cat named Tom"]
    );
    assert_eq!(facts[0]["id"], 1);
    assert_eq!(facts[0]["user"], "ana");
    let facts = hub
        .run(&["memory", "facts", "ana", "--forget", "2", "--json"])
        .expect(0)
        .json();
    assert_eq!(facts.as_array().unwrap().len(), 1, "{facts}");
    // Another person's fact cannot be changed through the wrong name, nor a missing one.
    let err = hub
        .run(&["memory", "facts", "ana", "--forget", "3"])
        .expect(1)
        .stderr();
    assert!(err.contains("fact 3 is about bob, not ana"), "{err}");
    let err = hub
        .run(&["memory", "facts", "ana", "--set", "x", "text"])
        .expect(1)
        .stderr();
    assert!(err.contains("a fact id is a number"), "{err}");
    let err = hub
        .run(&["memory", "facts", "ana", "--set", "99", "text"])
        .expect(1)
        .stderr();
    assert!(err.contains("fact 99 not found"), "{err}");
    let out = hub.run(&["memory", "facts", "bob"]).expect(0).stdout();
    assert!(out.contains("Bob's daughter is Mei"), "{out}");
    let out = hub.run(&["memory", "facts", "eve"]).expect(0).stdout();
    assert_eq!(out, "no facts about eve\n");
}

/// A daemon holds several connections to the file; a CLI run beside it must not take the
/// daemon's WAL away when it closes (a second connection's header check once dropped every lock
/// the process held, so the CLI found itself "alone" and deleted the live WAL).
#[test]
fn a_command_beside_a_process_holding_the_file_leaves_its_wal_alone() {
    use mirai::memory::{Memory, Settings};
    let hub = Hub::scratch();
    hub.run(&["memory", "knowledge", "add", "the boiler is in the cellar"])
        .expect(0);
    let path = hub.data().join("mirai.db");
    let mut first = Memory::open(&path, &Settings::default()).unwrap();
    first.set_auto_checkpoint(0).unwrap();
    let second = Memory::open(&path, &Settings::default()).unwrap();
    first
        .add_knowledge("house", "the fuse box is by the door", "test", None)
        .unwrap();
    let wal = hub.data().join("mirai.db-wal");
    assert!(wal.exists(), "the write is in the WAL");
    hub.run(&["memory", "stats"]).expect(0);
    assert!(wal.exists(), "the other process deleted the live WAL");
    first
        .add_knowledge("house", "the water main is under the sink", "test", None)
        .expect("the holder still writes");
    let found = second.search_knowledge("fuse box", 5).unwrap();
    assert_eq!(found.len(), 1, "nothing lost");
}

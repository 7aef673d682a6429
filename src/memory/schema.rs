//! The shape of the file: migrations, and the checks that run before anything is written.
//!
//! Opening is careful because the path comes from a config file a person typed: every check
//! that can refuse a file (not SQLite, another program's database, corrupt, newer schema)
//! only reads, so a refused file is left byte-for-byte as it was.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use super::MemoryError;

/// The schema version this build writes and understands (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA application_id` of a mirai file ("MIRA"), so a later open can tell ours from others'.
pub(crate) const APPLICATION_ID: i64 = 0x4d49_5241;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Ordered migrations: entry `i` brings a file from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9];

/// Version 9: the Zigbee devices that joined and what their interviews found, so they are
/// entities after a restart before they are heard again (a sleepy sensor may not be for hours).
const V9: &str = r#"
CREATE TABLE zigbee_devices (
    ieee TEXT PRIMARY KEY CHECK (length(ieee) = 16),
    nwk INTEGER NOT NULL CHECK (nwk BETWEEN 0 AND 65535),
    manufacturer TEXT,
    model TEXT,
    power_source INTEGER,
    endpoints TEXT NOT NULL,
    last_seen INTEGER NOT NULL,
    interviewed INTEGER NOT NULL
);
"#;

/// Version 7: the Multilevel Sensor types each Z-Wave node listed or reported, so a kept
/// sensor's entities are there before it answers (a sleeping one may not for hours).
const V7: &str = r#"
CREATE TABLE zwave_sensor_types (
    id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 232),
    types TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
"#;

/// Version 5: the Z-Wave nodes start-up learned, so they are known before the stick answers.
const V5: &str = r#"
CREATE TABLE zwave_nodes (
    id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 232),
    home_id INTEGER NOT NULL,
    basic INTEGER NOT NULL,
    generic INTEGER NOT NULL,
    specific INTEGER NOT NULL,
    listening INTEGER NOT NULL,
    command_classes TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
"#;

/// Version 3: the safety audit log, read by time.
const V3: &str = r#"
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user TEXT NOT NULL,
    session TEXT NOT NULL,
    source TEXT NOT NULL,
    text TEXT NOT NULL,
    verdict TEXT NOT NULL
        CHECK (verdict IN ('allow', 'block', 'confirm', 'deny', 'confirmed', 'cancelled')),
    category TEXT,
    detail TEXT
);
CREATE INDEX audit_at ON audit(at);
"#;

/// Version 6: the autonomous scheduler's tasks live in `tasks_history` beside the agent's
/// turns: a kind, the person it works for, its plan (schedule, delivery, policy; JSON), when it
/// runs next, attempts, and each run as a row of kind `run` under its task. Autonomous tokens
/// are counted per day for their own budget.
const V6: &str = r#"
ALTER TABLE tasks_history ADD COLUMN kind TEXT NOT NULL DEFAULT 'request'
    CHECK (kind IN ('request', 'reminder', 'scheduled', 'triggered', 'upkeep', 'run'));
ALTER TABLE tasks_history ADD COLUMN user TEXT;
ALTER TABLE tasks_history ADD COLUMN plan TEXT;
ALTER TABLE tasks_history ADD COLUMN next_run INTEGER;
ALTER TABLE tasks_history ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks_history ADD COLUMN parent_id INTEGER
    REFERENCES tasks_history(id) ON DELETE CASCADE;
CREATE INDEX tasks_due ON tasks_history(next_run) WHERE next_run IS NOT NULL;
CREATE INDEX tasks_parent ON tasks_history(parent_id, id) WHERE parent_id IS NOT NULL;
CREATE TABLE autonomous_usage (
    day TEXT PRIMARY KEY,
    runs INTEGER NOT NULL,
    tokens INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Version 4: actions waiting for a person's confirmation.
const V4: &str = r#"
CREATE TABLE pending_actions (
    user TEXT NOT NULL,
    session TEXT NOT NULL,
    calls TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (user, session)
) WITHOUT ROWID;
"#;

/// Version 8: compact embeddings of knowledge, messages, task results and facts; facts per
/// user with their full-text index; how far each session's facts have been extracted.
///
/// `embeddings.vector` is int8 (one byte per dimension) scaled by `scale`; `model` and `dims`
/// say which embed model made it, so a change of model is seen row by row. `user` is the
/// owner (NULL: the whole house), copied so a search filters without joins. A changed or
/// deleted item loses its embedding in the same statement (triggers), so no vector outlives
/// the text it was made from.
const V8: &str = r#"
CREATE TABLE embeddings (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('knowledge', 'message', 'task', 'fact')),
    item INTEGER NOT NULL,
    user TEXT,
    model TEXT NOT NULL,
    dims INTEGER NOT NULL,
    scale REAL NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (kind, item)
);

CREATE TABLE facts (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    text TEXT NOT NULL,
    session_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX facts_user ON facts(user, id);

ALTER TABLE sessions ADD COLUMN facts_through INTEGER NOT NULL DEFAULT 0;
-- Conversations from before facts existed are not mined on upgrade.
UPDATE sessions SET facts_through =
    coalesce((SELECT max(id) FROM messages WHERE messages.session_id = sessions.id), 0);

CREATE VIRTUAL TABLE facts_fts USING fts5(
    text, content = 'facts', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER facts_fts_ai AFTER INSERT ON facts BEGIN
    INSERT INTO facts_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER facts_fts_ad AFTER DELETE ON facts BEGIN
    INSERT INTO facts_fts(facts_fts, rowid, text) VALUES ('delete', old.id, old.text);
    DELETE FROM embeddings WHERE kind = 'fact' AND item = old.id;
END;
CREATE TRIGGER facts_fts_au AFTER UPDATE OF text ON facts BEGIN
    INSERT INTO facts_fts(facts_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO facts_fts(rowid, text) VALUES (new.id, new.text);
    DELETE FROM embeddings WHERE kind = 'fact' AND item = old.id;
END;

CREATE TRIGGER knowledge_embedding_ad AFTER DELETE ON knowledge BEGIN
    DELETE FROM embeddings WHERE kind = 'knowledge' AND item = old.id;
END;
CREATE TRIGGER knowledge_embedding_au AFTER UPDATE OF topic, content ON knowledge BEGIN
    DELETE FROM embeddings WHERE kind = 'knowledge' AND item = old.id;
END;
CREATE TRIGGER messages_embedding_ad AFTER DELETE ON messages BEGIN
    DELETE FROM embeddings WHERE kind = 'message' AND item = old.id;
END;
CREATE TRIGGER tasks_embedding_ad AFTER DELETE ON tasks_history BEGIN
    DELETE FROM embeddings WHERE kind = 'task' AND item = old.id;
END;
CREATE TRIGGER tasks_embedding_au AFTER UPDATE OF description, result ON tasks_history BEGIN
    DELETE FROM embeddings WHERE kind = 'task' AND item = old.id;
END;
"#;

/// Version 2: tokens and estimated cost of model calls, per UTC day and model (the budget).
const V2: &str = r#"
CREATE TABLE llm_usage (
    day TEXT NOT NULL,
    model TEXT NOT NULL,
    calls INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (day, model)
) WITHOUT ROWID;
"#;

/// Version 1: conversations, preferences, tasks and their thoughts, knowledge, FTS indexes.
const V1: &str = r#"
PRAGMA application_id = 1296650817; -- APPLICATION_ID, "MIRA"

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    summary TEXT
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
-- History reads "the newest N of one session after a cutoff": a range on this index
-- (SQLite appends the rowid, so ties in created_at keep insertion order).
CREATE INDEX messages_session_time ON messages(session_id, created_at);

CREATE TABLE user_preferences (
    user TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user, key)
) WITHOUT ROWID;

CREATE TABLE tasks_history (
    id INTEGER PRIMARY KEY,
    session_id TEXT,
    description TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    result TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE thoughts (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks_history(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('analysis', 'plan', 'action', 'reflection')),
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX thoughts_task ON thoughts(task_id, step);

CREATE TABLE knowledge (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    content TEXT NOT NULL,
    source TEXT NOT NULL,
    embedding BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;

CREATE VIRTUAL TABLE knowledge_fts USING fts5(
    topic, content, content = 'knowledge', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER knowledge_fts_ai AFTER INSERT ON knowledge BEGIN
    INSERT INTO knowledge_fts(rowid, topic, content) VALUES (new.id, new.topic, new.content);
END;
CREATE TRIGGER knowledge_fts_ad AFTER DELETE ON knowledge BEGIN
    INSERT INTO knowledge_fts(knowledge_fts, rowid, topic, content)
        VALUES ('delete', old.id, old.topic, old.content);
END;
CREATE TRIGGER knowledge_fts_au AFTER UPDATE ON knowledge BEGIN
    INSERT INTO knowledge_fts(knowledge_fts, rowid, topic, content)
        VALUES ('delete', old.id, old.topic, old.content);
    INSERT INTO knowledge_fts(rowid, topic, content) VALUES (new.id, new.topic, new.content);
END;

CREATE VIRTUAL TABLE tasks_fts USING fts5(
    description, result, content = 'tasks_history', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER tasks_fts_ai AFTER INSERT ON tasks_history BEGIN
    INSERT INTO tasks_fts(rowid, description, result)
        VALUES (new.id, new.description, new.result);
END;
CREATE TRIGGER tasks_fts_ad AFTER DELETE ON tasks_history BEGIN
    INSERT INTO tasks_fts(tasks_fts, rowid, description, result)
        VALUES ('delete', old.id, old.description, old.result);
END;
CREATE TRIGGER tasks_fts_au AFTER UPDATE ON tasks_history BEGIN
    INSERT INTO tasks_fts(tasks_fts, rowid, description, result)
        VALUES ('delete', old.id, old.description, old.result);
    INSERT INTO tasks_fts(rowid, description, result)
        VALUES (new.id, new.description, new.result);
END;
"#;

/// Refuses an existing, non-empty file whose first 16 bytes are not the SQLite header.
///
/// Read by hand rather than by SQLite, because SQLite would happily turn an empty-looking
/// path into a database and we must not write to a file that is not ours.
pub(crate) fn check_header(path: &Path) -> Result<(), MemoryError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(MemoryError::io(path, err)),
    };
    let mut head = Vec::with_capacity(SQLITE_HEADER.len());
    (&mut file)
        .take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut head)
        .map_err(|err| MemoryError::io(path, err))?;
    if head.is_empty() || head == SQLITE_HEADER {
        Ok(())
    } else {
        Err(MemoryError::NotADatabase {
            path: path.to_path_buf(),
        })
    }
}

/// Reads the schema version of an open file and refuses corrupt, foreign or newer files.
///
/// Only reads: it runs before any pragma that would write (journal mode, migrations).
pub(crate) fn inspect(conn: &Connection, path: &Path) -> Result<i64, MemoryError> {
    let corrupt = |err: rusqlite::Error| match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => MemoryError::Corrupt {
            path: path.to_path_buf(),
            detail: err.to_string(),
        },
        _ => MemoryError::Sqlite(err),
    };
    // One statement, one snapshot: another process may migrate the file between two
    // separate reads, and version 0 with tables would then look like a foreign file.
    // Reading the catalogue also walks page 1 and the schema b-tree: a corruption probe.
    let (version, app_id, objects): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version),
                    (SELECT application_id FROM pragma_application_id),
                    (SELECT count(*) FROM sqlite_master)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .map_err(corrupt)?;
    let foreign = |detail: String| MemoryError::Foreign {
        path: path.to_path_buf(),
        detail,
    };
    if app_id != 0 && app_id != APPLICATION_ID {
        return Err(foreign(format!("application_id {app_id:#x}")));
    }
    if version == 0 && objects > 0 {
        return Err(foreign(format!(
            "{objects} schema objects not made by mirai"
        )));
    }
    if version > SCHEMA_VERSION {
        return Err(MemoryError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Brings the file to [`SCHEMA_VERSION`] in one `BEGIN IMMEDIATE` transaction.
///
/// The version is re-read under the write lock: when two processes open a fresh file at
/// once, the second waits for the first and then finds nothing left to do.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), MemoryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        // Another, newer mirai migrated it between our check and our lock.
        return Err(MemoryError::NewerSchema {
            path: tx.path().unwrap_or_default().into(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for step in &MIGRATIONS[found as usize..] {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Memory, Settings};

    fn open(path: &Path) -> Result<Memory, MemoryError> {
        Memory::open(path, &Settings::default())
    }

    /// `sqlite_master` as sorted (type, name, sql) rows: the schema, comparable.
    fn schema_of(path: &Path) -> Vec<(String, String, Option<String>)> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn application_id_matches_the_migration() {
        assert_eq!(APPLICATION_ID, 1_296_650_817);
        assert!(V1.contains(&format!("application_id = {APPLICATION_ID};")));
        assert_eq!(&APPLICATION_ID.to_be_bytes()[4..], b"MIRA");
    }

    #[test]
    fn text_file_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        let text = b"shopping: milk, eggs\nthis is not a database\n";
        std::fs::write(&path, text).unwrap();
        let err = open(&path).unwrap_err();
        assert!(matches!(err, MemoryError::NotADatabase { .. }), "{err}");
        assert!(err.to_string().contains("notes.txt"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), text);
        // A file shorter than the header is refused too.
        std::fs::write(&path, b"SQLite").unwrap();
        assert!(matches!(open(&path), Err(MemoryError::NotADatabase { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), b"SQLite");
    }

    #[test]
    fn newer_schema_is_refused_naming_both_versions_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.db");
        drop(open(&path).unwrap());
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
            conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = open(&path).unwrap_err();
        let MemoryError::NewerSchema {
            found, supported, ..
        } = &err
        else {
            panic!("expected NewerSchema, got {err}");
        };
        assert_eq!((*found, *supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        let text = err.to_string();
        assert!(
            text.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
            "{text}"
        );
        assert!(
            text.contains(&format!("newer than the {SCHEMA_VERSION} ")),
            "{text}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn another_programs_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = open(&path).unwrap_err();
        assert!(matches!(err, MemoryError::Foreign { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn corrupt_file_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.db");
        // A valid header followed by garbage: the page size field (bytes 16-17) is 0x4242.
        let mut bytes = SQLITE_HEADER.to_vec();
        bytes.extend(std::iter::repeat_n(0x42u8, 4096 - 16));
        std::fs::write(&path, &bytes).unwrap();
        let err = open(&path).unwrap_err();
        assert!(matches!(err, MemoryError::Corrupt { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn migrating_from_every_older_version_matches_a_fresh_file() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.db");
        drop(open(&fresh).unwrap());
        let expected = schema_of(&fresh);
        assert!(expected.iter().any(|(_, name, _)| name == "messages_fts"));
        for version in 0..SCHEMA_VERSION {
            let path = dir.path().join(format!("v{version}.db"));
            {
                // Build the file as an older mirai left it.
                let conn = Connection::open(&path).unwrap();
                for step in &MIGRATIONS[..version as usize] {
                    conn.execute_batch(step).unwrap();
                }
                conn.pragma_update(None, "user_version", version).unwrap();
            }
            let memory = open(&path).unwrap();
            assert_eq!(memory.schema_version().unwrap(), SCHEMA_VERSION);
            drop(memory);
            assert_eq!(schema_of(&path), expected, "from version {version}");
        }
    }

    #[test]
    fn empty_existing_file_becomes_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.db");
        std::fs::write(&path, b"").unwrap();
        assert_eq!(
            open(&path).unwrap().schema_version().unwrap(),
            SCHEMA_VERSION
        );
    }
}

//! The SQLite file: schema, migrations, the memory API, search, backup and export.
//!
//! [`Memory`] owns one synchronous [`rusqlite::Connection`]; the daemon runs it on a thread
//! of its own, never on an async worker. Every write is a `BEGIN IMMEDIATE` transaction:
//! taking the write lock up front means a WAL reader never has to upgrade to a writer
//! mid-transaction, which is the one case `busy_timeout` cannot wait out.
//!
//! # Layout
//!
//! - `error`: [`MemoryError`], the cases callers branch on.
//! - `schema`: migrations and the read-only checks that run before anything is written.
//! - `sessions`: who a conversation is with and when it started and ended.
//! - `messages`: what was said in a session, and the history a model sees, with a time-to-live.
//! - `preferences`: per-user key/value settings.
//! - `tasks`: the task history and the thoughts of the cognitive loop.
//! - `knowledge`: learned facts, and turning user text into a safe FTS5 query.
//! - `facts`: durable facts about each user, kept true by add / update / delete / keep.
//! - `vectors`: int8 vectors with a scale, and the in-memory index scanned for similar ones.
//! - `embeddings`: stored vectors, which items still need one, the index kept in step.
//! - `recall`: hybrid search, FTS5 BM25 and vectors fused by reciprocal rank fusion.
//! - `backup`: online backup to a new file and validated restore from one.
//! - `export`: JSON Lines export, streamed from one snapshot; the format is documented there.
//! - `import`: JSON Lines import, one durable commit per record.
//! - `usage`: model tokens and cost per day and model, the ledger of the LLM budget.
//! - `pending`: actions waiting for a person's confirmation, across processes.
//! - `zwave`: the Z-Wave nodes start-up learned, kept across restarts.
//! - `audit`: the safety audit log: requests, blocks and action decisions, read by time.
//! - `checkpoint`: WAL checkpoints on a thread of their own, off the request path.
//! - `maintenance`: retention cleanup, statistics, integrity check.

/// Defines a closed set of words stored as TEXT: the enum, `as_str`, `FromStr`, serde and
/// SQLite conversions, so the spelling lives in one place per set.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// The word stored in the database and written in exports.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::memory::MemoryError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $( $text => Ok($name::$variant), )+
                    _ => Err($crate::memory::MemoryError::InvalidInput(format!(
                        concat!("unknown ", $what, " '{}' (expected one of: ", $($text, " ",)+ ")"),
                        text
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                value
                    .as_str()?
                    .parse()
                    .map_err(|err| rusqlite::types::FromSqlError::Other(Box::new(err)))
            }
        }
    };
}

mod agenda;
mod audit;
mod backup;
mod checkpoint;
mod embeddings;
mod error;
mod export;
mod facts;
mod import;
mod knowledge;
mod maintenance;
mod messages;
mod pending;
mod preferences;
mod recall;
mod schema;
mod sessions;
mod tasks;
mod usage;
mod vectors;
mod zigbee;
mod zwave;

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use agenda::{Recovered, RunEnd, Scheduled, TaskKind};
pub use audit::{AuditEntry, AuditVerdict, MAX_AUDIT_PAGE, MAX_AUDIT_TEXT_CHARS};
pub use backup::BackupReport;
pub use checkpoint::{CHECKPOINT_EVERY, Checkpointer};
pub use embeddings::{
    EmbeddingCounts, EmbeddingModel, MAX_EMBED_CHARS, StoredEmbedding, Unembedded,
};
pub use error::MemoryError;
pub use export::{ExportCounts, RecordCounts};
pub use facts::{Fact, FactChange, FactOutcome, MAX_DISTIL_MESSAGES, MAX_FACT_CHARS, Undistilled};
pub use import::{ImportCounts, ImportProgress};
pub use knowledge::{Knowledge, KnowledgeHit};
pub use maintenance::{CleanupReport, Stats};
pub use messages::{Message, NewMessage, Role};
pub use recall::{Kind, RecallQuery, Recalled};
pub use schema::SCHEMA_VERSION;
pub use sessions::SessionInfo;
pub use tasks::{Task, TaskStatus, Thought, ThoughtKind};
pub use usage::UsageRow;
pub use vectors::{Key, Quantized, VectorIndex, dot_i8, quantize};
pub use zigbee::ZigbeeDeviceRow;
pub use zwave::ZwaveNodeRow;

/// A write that still meets SQLITE_BUSY after `busy_timeout` is tried this many times in all.
const WRITE_ATTEMPTS: u32 = 5;

/// Pause before the first retry of a busy write; doubled on each further retry.
const WRITE_BACKOFF: Duration = Duration::from_millis(50);

/// How the memory behaves; the config module fills it from the YAML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Messages returned by [`Memory::get_session_history`] when the caller gives no limit.
    pub history_limit: usize,
    /// Messages older than this are left out of the history handed to the model.
    pub ttl: Duration,
    /// [`Memory::cleanup`] deletes conversations and finished tasks older than this.
    pub retention_days: u32,
    /// How long a statement waits for another connection's lock before giving up.
    pub busy_timeout: Duration,
    /// The embed model whose vectors search uses; `None`: search by words alone.
    pub embedding: Option<EmbeddingModel>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            history_limit: 12,
            ttl: Duration::from_secs(24 * 60 * 60),
            retention_days: 90,
            busy_timeout: Duration::from_secs(5),
            embedding: None,
        }
    }
}

/// The hub's memory: one SQLite file, opened, checked and migrated.
#[derive(Debug)]
pub struct Memory {
    conn: Connection,
    path: PathBuf,
    settings: Settings,
    /// The current model's vectors, read from the file on the first search by meaning.
    index: Option<VectorIndex>,
    /// The file's identity while this connection holds it open (see [`OPENED`]).
    file: Option<(u64, u64)>,
}

impl Drop for Memory {
    fn drop(&mut self) {
        if let Some(id) = self.file {
            let mut opened = OPENED.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = opened.get_mut(&id) {
                *n -= 1;
                if *n == 0 {
                    opened.remove(&id);
                }
            }
        }
    }
}

impl Memory {
    /// Opens (creating if missing) and migrates the database at `path`.
    ///
    /// A file that is not a mirai database, is corrupt, or has a newer schema is refused
    /// and left untouched.
    pub fn open(path: &Path, settings: &Settings) -> Result<Memory, MemoryError> {
        if !opened_here(path) {
            schema::check_header(path)?;
        }
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| MemoryError::io(dir, err))?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(settings.busy_timeout)?;
        schema::inspect(&conn, path)?;
        with_retry(|| configure(&conn))?;
        with_retry(|| schema::migrate(&mut conn))?;
        let file = remember_opened(path);
        Ok(Memory {
            conn,
            path: path.to_path_buf(),
            settings: settings.clone(),
            index: None,
            file,
        })
    }

    /// The file this memory lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version stored in the file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, MemoryError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }
}

/// Per-connection settings; journal mode is stored in the file, the others are not.
fn configure(conn: &Connection) -> Result<(), MemoryError> {
    // WAL lets the front ends read while the agent writes; NORMAL skips the fsync per
    // commit (a power cut may lose the last commits, never corrupt the file).
    let _mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Runs `body` in a `BEGIN IMMEDIATE` transaction and commits it, retrying when busy.
fn write<T>(
    conn: &mut Connection,
    mut body: impl FnMut(&Transaction<'_>) -> Result<T, MemoryError>,
) -> Result<T, MemoryError> {
    with_retry(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = body(&tx)?;
        tx.commit()?;
        Ok(out)
    })
}

/// Database files (device, inode) this process holds open through SQLite, with how many
/// connections hold each (a key lives only while one is open, so a reused inode is not
/// mistaken for a file already checked).
///
/// The header is read by hand ([`schema::check_header`]) only before the first connection of
/// a process: closing any other descriptor of the file drops every POSIX lock the process
/// holds on it (fcntl semantics), so the daemon's connections would silently lose their shared
/// locks, and a CLI closing its last connection would then think itself alone, checkpoint and
/// delete the WAL the daemon is still writing to.
static OPENED: std::sync::Mutex<std::collections::BTreeMap<(u64, u64), usize>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// The file's identity, read with stat(2) (no descriptor opened).
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Whether a connection of this process holds `path` open (its header was checked then).
fn opened_here(path: &Path) -> bool {
    file_id(path)
        .is_some_and(|id| (OPENED.lock().unwrap_or_else(|p| p.into_inner())).contains_key(&id))
}

/// Counts one more connection to `path`; its identity, for [`Memory`]'s drop.
fn remember_opened(path: &Path) -> Option<(u64, u64)> {
    let id = file_id(path)?;
    *(OPENED.lock().unwrap_or_else(|p| p.into_inner()))
        .entry(id)
        .or_insert(0) += 1;
    Some(id)
}

/// Retries `op` while SQLite reports busy or locked, at most [`WRITE_ATTEMPTS`] times.
fn with_retry<T>(mut op: impl FnMut() -> Result<T, MemoryError>) -> Result<T, MemoryError> {
    let mut attempt = 1;
    loop {
        match op() {
            Err(err) if err.is_busy() && attempt < WRITE_ATTEMPTS => {
                let pause = WRITE_BACKOFF * 2u32.pow(attempt - 1);
                tracing::warn!(attempt, pause_ms = pause.as_millis() as u64, cause = %err, "database busy; retrying write");
                thread::sleep(pause);
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A memory on a fresh file in its own temp dir (dropped with the dir).
    pub(super) fn temp_memory() -> (tempfile::TempDir, Memory) {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::open(&dir.path().join("memory.db"), &Settings::default()).unwrap();
        (dir, memory)
    }

    #[test]
    fn open_creates_missing_dirs_and_sets_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/memory.db");
        let memory = Memory::open(&path, &Settings::default()).unwrap();
        assert!(path.exists());
        assert_eq!(memory.path(), path);
        assert_eq!(memory.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = memory
            .conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = memory
            .conn
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn two_connections_writing_at_once_never_see_busy() {
        const WRITES: usize = 300;
        let (dir, mut first) = temp_memory();
        let path = dir.path().join("memory.db");
        let session = first.start_session("ana", "test").unwrap();
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let path = path.clone();
                let session = session.clone();
                thread::spawn(move || {
                    let mut memory = Memory::open(&path, &Settings::default()).unwrap();
                    for i in 0..WRITES {
                        // Interleave reads so WAL read snapshots are held between writes.
                        memory
                            .save_message(&session, Role::User, &format!("w{worker} m{i}"))
                            .unwrap();
                        memory.get_session_history(&session, Some(3)).unwrap();
                        memory
                            .save_preference("ana", &format!("k{worker}"), "v")
                            .unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        assert_eq!(first.stats().unwrap().messages, 2 * WRITES as u64);
    }

    #[test]
    fn two_processes_opening_a_fresh_file_at_once_both_succeed() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("race.db");
            let openers: Vec<_> = (0..4)
                .map(|_| {
                    let path = path.clone();
                    thread::spawn(move || Memory::open(&path, &Settings::default()).map(|_| ()))
                })
                .collect();
            for opener in openers {
                opener.join().unwrap().unwrap();
            }
        }
    }
}

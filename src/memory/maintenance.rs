//! Keeping the file healthy: retention cleanup, statistics and the integrity check.

use std::ffi::OsString;
use std::path::PathBuf;

use rusqlite::Connection;
use serde::Serialize;

use super::{Memory, MemoryError, write};

/// Rows deleted per transaction by cleanup, so the agent never waits long for the lock.
const CLEANUP_BATCH: i64 = 5_000;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How many rows [`Memory::cleanup`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    /// Messages past retention.
    pub messages: u64,
    /// Thoughts past retention, or of deleted tasks.
    pub thoughts: u64,
    /// Finished tasks past retention.
    pub tasks: u64,
    /// Ended sessions past retention with no message left.
    pub sessions: u64,
}

/// What the file holds, for `mirai memory stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// `PRAGMA user_version`.
    pub schema_version: i64,
    /// Rows in `sessions`.
    pub sessions: u64,
    /// Rows in `messages`.
    pub messages: u64,
    /// Rows in `tasks_history`.
    pub tasks: u64,
    /// Rows in `thoughts`.
    pub thoughts: u64,
    /// Rows in `knowledge`.
    pub knowledge: u64,
    /// Rows in `user_preferences`.
    pub preferences: u64,
    /// Size of the database file.
    pub file_bytes: u64,
    /// Size of its write-ahead log (0 when absent).
    pub wal_bytes: u64,
}

/// Each step deletes rows whose id the subquery yields, `?2` at a time, cutoff in `?1`.
const CLEANUP_STEPS: [&str; 4] = [
    "DELETE FROM messages WHERE id IN
        (SELECT id FROM messages WHERE created_at < ?1 LIMIT ?2)",
    "DELETE FROM thoughts WHERE id IN
        (SELECT id FROM thoughts WHERE created_at < ?1 OR task_id IN
            (SELECT id FROM tasks_history
             WHERE status IN ('done', 'failed', 'cancelled') AND updated_at < ?1)
         LIMIT ?2)",
    "DELETE FROM tasks_history WHERE id IN
        (SELECT id FROM tasks_history
         WHERE status IN ('done', 'failed', 'cancelled') AND updated_at < ?1 LIMIT ?2)",
    // A recently ended session keeps its summary even if it had no messages.
    "DELETE FROM sessions WHERE id IN
        (SELECT id FROM sessions s WHERE ended_at IS NOT NULL AND ended_at < ?1
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id) LIMIT ?2)",
];

impl Memory {
    /// Deletes conversations, thoughts and finished tasks older than the retention period,
    /// and ended sessions left empty. Knowledge and preferences are never deleted.
    pub fn cleanup(&mut self, now: i64) -> Result<CleanupReport, MemoryError> {
        let cutoff = now.saturating_sub(i64::from(self.settings.retention_days) * DAY_MS);
        let mut counts = [0u64; 4];
        for (sql, count) in CLEANUP_STEPS.iter().zip(&mut counts) {
            *count = delete_in_batches(&mut self.conn, sql, cutoff)?;
        }
        let [messages, thoughts, tasks, sessions] = counts;
        Ok(CleanupReport {
            messages,
            thoughts,
            tasks,
            sessions,
        })
    }

    /// Row counts and file sizes.
    pub fn stats(&self) -> Result<Stats, MemoryError> {
        let count = |table: &str| -> Result<u64, MemoryError> {
            let n: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get(0)
                    })?;
            Ok(n as u64)
        };
        Ok(Stats {
            schema_version: self.schema_version()?,
            sessions: count("sessions")?,
            messages: count("messages")?,
            tasks: count("tasks_history")?,
            thoughts: count("thoughts")?,
            knowledge: count("knowledge")?,
            preferences: count("user_preferences")?,
            file_bytes: file_len(self.path.clone()),
            wal_bytes: file_len(wal_path(&self.path)),
        })
    }

    /// `PRAGMA quick_check`: an empty list means the file is sound, else SQLite's findings.
    pub fn quick_check(&self) -> Result<Vec<String>, MemoryError> {
        quick_check(&self.conn)
    }
}

/// The findings of `PRAGMA quick_check` on any connection; empty when it says "ok".
pub(crate) fn quick_check(conn: &Connection) -> Result<Vec<String>, MemoryError> {
    let mut stmt = conn.prepare("PRAGMA quick_check")?;
    let findings: Vec<String> = stmt
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if findings.len() == 1 && findings[0] == "ok" {
        return Ok(Vec::new());
    }
    Ok(findings)
}

/// Runs one cleanup step until it deletes nothing, a short transaction per batch.
fn delete_in_batches(conn: &mut Connection, sql: &str, cutoff: i64) -> Result<u64, MemoryError> {
    let mut total = 0u64;
    loop {
        let deleted = write(conn, |tx| Ok(tx.execute(sql, [cutoff, CLEANUP_BATCH])?))?;
        total += deleted as u64;
        if (deleted as i64) < CLEANUP_BATCH {
            return Ok(total);
        }
    }
}

fn wal_path(db: &std::path::Path) -> PathBuf {
    let mut name = OsString::from(db.as_os_str());
    name.push("-wal");
    PathBuf::from(name)
}

fn file_len(path: PathBuf) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

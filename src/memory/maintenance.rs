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
        // Their vectors went with them (triggers); the index is read afresh when next used.
        self.reset_index();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::now_ms;
    use crate::memory::tests::temp_memory;
    use crate::memory::{Role, TaskStatus, ThoughtKind};

    #[test]
    fn cleanup_deletes_old_conversation_and_keeps_knowledge_and_preferences() {
        let (_dir, mut memory) = temp_memory();
        let now = now_ms();
        let old = now - 100 * DAY_MS;
        let s = memory.start_session("ana", "web").unwrap();
        memory.save_message_at(&s, Role::User, "old", old).unwrap();
        memory.save_message_at(&s, Role::User, "new", now).unwrap();
        let gone = memory.start_session("ana", "web").unwrap();
        memory
            .save_message_at(&gone, Role::User, "old too", old)
            .unwrap();
        memory.end_session(&gone, Some("summary")).unwrap();
        let open_empty = memory.start_session("bob", "web").unwrap();
        let done = memory.save_task(None, "old finished").unwrap();
        memory.add_thought(done, ThoughtKind::Plan, "p").unwrap();
        memory
            .update_task(done, TaskStatus::Done, Some("ok"))
            .unwrap();
        let running = memory.save_task(None, "still running").unwrap();
        memory
            .add_knowledge("fact", "learned long ago", "chat", None)
            .unwrap();
        memory.save_preference("ana", "units", "metric").unwrap();
        // Age rows that have no "_at" parameter in the API.
        memory
            .conn
            .execute_batch(&format!(
                "UPDATE tasks_history SET created_at = {old}, updated_at = {old};
                 UPDATE thoughts SET created_at = {old};
                 UPDATE knowledge SET created_at = {old}, updated_at = {old};
                 UPDATE user_preferences SET updated_at = {old};
                 UPDATE sessions SET ended_at = {old} WHERE ended_at IS NOT NULL;"
            ))
            .unwrap();

        let report = memory.cleanup(now).unwrap();
        let expected = CleanupReport {
            messages: 2,
            thoughts: 1,
            tasks: 1,
            sessions: 1,
        };
        assert_eq!(report, expected);
        let stats = memory.stats().unwrap();
        assert_eq!(
            (stats.knowledge, stats.preferences),
            (1, 1),
            "nothing learned is lost"
        );
        assert_eq!((stats.messages, stats.tasks, stats.sessions), (1, 1, 2));
        assert!(memory.task(running).is_ok(), "unfinished tasks stay");
        let ids: Vec<_> = memory
            .sessions(10)
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert!(ids.contains(&s) && ids.contains(&open_empty) && !ids.contains(&gone));
        // The FTS index followed the deletes: the old message is not findable.
        let fts: i64 = memory
            .conn
            .query_row(
                "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'old'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(fts, 0);
        assert_eq!(memory.cleanup(now).unwrap(), CleanupReport::default());
    }

    #[test]
    fn stats_and_quick_check_on_a_sound_file() {
        let (_dir, mut memory) = temp_memory();
        let s = memory.start_session("ana", "web").unwrap();
        memory.save_message(&s, Role::User, "hi").unwrap();
        let stats = memory.stats().unwrap();
        assert_eq!(stats.schema_version, crate::memory::SCHEMA_VERSION);
        assert_eq!((stats.sessions, stats.messages), (1, 1));
        assert!(stats.file_bytes > 0 && stats.wal_bytes > 0);
        assert!(memory.quick_check().unwrap().is_empty());
    }
}

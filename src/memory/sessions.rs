//! Sessions: who a conversation is with, where it came from, when it started and ended.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{Memory, MemoryError, write};
use crate::clock::now_ms;

/// A session with its message count, as listed by [`Memory::sessions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// The session id.
    pub id: String,
    /// Who the session is with.
    pub user: String,
    /// The front end that opened it (voice, terminal, web…).
    pub source: String,
    /// Unix milliseconds.
    pub started_at: i64,
    /// Unix milliseconds, once ended.
    pub ended_at: Option<i64>,
    /// What the agent kept from it, once ended.
    pub summary: Option<String>,
    /// Messages still stored.
    pub message_count: i64,
}

impl Memory {
    /// Starts a session and returns its new 16-hex-digit id.
    pub fn start_session(&mut self, user: &str, source: &str) -> Result<String, MemoryError> {
        write(&mut self.conn, |tx| {
            // Ids are unique by construction within a process; a clash with another
            // process is astronomically rare, and simply draws again.
            loop {
                let id = new_session_id();
                if insert_session(tx, &id, user, source, now_ms())? {
                    return Ok(id);
                }
            }
        })
    }

    /// Creates the session `id` if it does not exist; returns whether it was created.
    pub fn ensure_session(
        &mut self,
        id: &str,
        user: &str,
        source: &str,
    ) -> Result<bool, MemoryError> {
        if id.trim().is_empty() {
            return Err(MemoryError::InvalidInput("session id is empty".into()));
        }
        write(&mut self.conn, |tx| {
            insert_session(tx, id, user, source, now_ms())
        })
    }

    /// Marks a session ended now, keeping `summary` if given.
    pub fn end_session(&mut self, id: &str, summary: Option<&str>) -> Result<(), MemoryError> {
        let changed = write(&mut self.conn, |tx| {
            Ok(tx.execute(
                "UPDATE sessions SET ended_at = ?2, summary = coalesce(?3, summary) WHERE id = ?1",
                params![id, now_ms(), summary],
            )?)
        })?;
        if changed == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Whether a session with this id exists.
    pub fn has_session(&self, id: &str) -> Result<bool, MemoryError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM sessions WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The `limit` most recently started sessions, newest first.
    pub fn sessions(&self, limit: usize) -> Result<Vec<SessionInfo>, MemoryError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, user, source, started_at, ended_at, summary,
                    (SELECT count(*) FROM messages m WHERE m.session_id = s.id)
             FROM sessions s ORDER BY started_at DESC, rowid DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |row| {
            Ok(SessionInfo {
                id: row.get(0)?,
                user: row.get(1)?,
                source: row.get(2)?,
                started_at: row.get(3)?,
                ended_at: row.get(4)?,
                summary: row.get(5)?,
                message_count: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Inserts a session unless the id is taken; returns whether it was inserted.
pub(super) fn insert_session(
    tx: &Transaction<'_>,
    id: &str,
    user: &str,
    source: &str,
    started_at: i64,
) -> Result<bool, MemoryError> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO sessions (id, user, source, started_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![id, user, source, started_at])?;
    Ok(inserted == 1)
}

/// Fails with NotFound unless the session exists.
pub(super) fn require_session(tx: &Transaction<'_>, id: &str) -> Result<(), MemoryError> {
    tx.prepare_cached("SELECT 1 FROM sessions WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .ok_or_else(|| not_found(id))
}

fn not_found(session: &str) -> MemoryError {
    MemoryError::NotFound {
        what: format!("session {session}"),
    }
}

/// 16 hex digits mixing the clock, the process id and a per-process counter.
fn new_session_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let seed = nanos ^ (u64::from(std::process::id()) << 40) ^ count.wrapping_mul(0x9E37_79B9);
    format!("{:016x}", splitmix64(seed))
}

/// SplitMix64's finaliser: a bijection on u64 that spreads nearby seeds far apart.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::tests::temp_memory;

    use crate::memory::{NewMessage, Role};

    #[test]
    fn batch_is_all_or_nothing_and_sessions_list_counts() {
        let (_dir, mut memory) = temp_memory();
        let s = memory.start_session("ana", "web").unwrap();
        let msg = |session, content| NewMessage {
            session,
            role: Role::User,
            content,
            created_at: None,
        };
        let ids = memory.save_messages(&[msg(&s, "a"), msg(&s, "b")]).unwrap();
        assert_eq!(ids.len(), 2);
        assert!(ids[0] < ids[1]);
        let err = memory
            .save_messages(&[msg(&s, "c"), msg("ghost", "d")])
            .unwrap_err();
        assert!(matches!(err, MemoryError::NotFound { .. }));

        assert!(memory.ensure_session("front-1", "bob", "voice").unwrap());
        assert!(!memory.ensure_session("front-1", "bob", "voice").unwrap());
        memory.end_session(&s, Some("talked")).unwrap();
        let sessions = memory.sessions(10).unwrap();
        assert_eq!(sessions.len(), 2);
        let ana = sessions.iter().find(|x| x.id == s).unwrap();
        assert_eq!(ana.message_count, 2, "the failed batch left nothing");
        assert_eq!(ana.summary.as_deref(), Some("talked"));
        assert!(ana.ended_at.is_some());
        assert_eq!(s.len(), 16);
        assert!(s.chars().all(|c| c.is_ascii_hexdigit()));
    }
}

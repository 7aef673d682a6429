//! Actions waiting for a person's "yes", per user and session, kept in the file so that a
//! confirmation may come from another process (`mirai ask` twice, or the daemon).

use rusqlite::{OptionalExtension, params};

use super::{Memory, MemoryError, write};

impl Memory {
    /// Stores the calls (JSON) waiting for `user` in `session`, replacing older ones.
    pub fn set_pending(
        &mut self,
        user: &str,
        session: &str,
        calls_json: &str,
        expires_at: i64,
    ) -> Result<(), MemoryError> {
        write(&mut self.conn, |tx| {
            tx.execute(
                "INSERT INTO pending_actions (user, session, calls, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user, session) DO UPDATE SET calls = excluded.calls, expires_at = excluded.expires_at",
                params![user, session, calls_json, expires_at],
            )?;
            Ok(())
        })
    }

    /// Takes (and removes) what was waiting for `user` in `session`: the calls (JSON) and when
    /// they expire.
    pub fn take_pending(
        &mut self,
        user: &str,
        session: &str,
    ) -> Result<Option<(String, i64)>, MemoryError> {
        write(&mut self.conn, |tx| {
            let found = tx
                .query_row(
                    "SELECT calls, expires_at FROM pending_actions WHERE user = ?1 AND session = ?2",
                    params![user, session],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            if found.is_some() {
                tx.execute(
                    "DELETE FROM pending_actions WHERE user = ?1 AND session = ?2",
                    params![user, session],
                )?;
            }
            Ok(found)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::memory::{Memory, Settings};

    #[test]
    fn pending_actions_are_per_user_and_session_and_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
        m.set_pending("alice", "s1", "[1]", 100).unwrap();
        m.set_pending("alice", "s1", "[2]", 200).unwrap();
        assert_eq!(m.take_pending("bob", "s1").unwrap(), None);
        assert_eq!(m.take_pending("alice", "s2").unwrap(), None);
        assert_eq!(
            m.take_pending("alice", "s1").unwrap(),
            Some(("[2]".into(), 200))
        );
        assert_eq!(m.take_pending("alice", "s1").unwrap(), None);
    }
}

//! Per-user preferences: small key/value settings the agent learns ("units: metric").

use std::collections::BTreeMap;

use rusqlite::params;

use super::{Memory, MemoryError, write};
use crate::clock::now_ms;

impl Memory {
    /// Sets `key` to `value` for `user`, replacing any earlier value.
    pub fn save_preference(
        &mut self,
        user: &str,
        key: &str,
        value: &str,
    ) -> Result<(), MemoryError> {
        if key.trim().is_empty() {
            return Err(MemoryError::InvalidInput(format!(
                "preference key for user {user} is empty"
            )));
        }
        write(&mut self.conn, |tx| {
            tx.prepare_cached(
                "INSERT INTO user_preferences (user, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user, key) DO UPDATE
                 SET value = excluded.value, updated_at = excluded.updated_at",
            )?
            .execute(params![user, key, value, now_ms()])?;
            Ok(())
        })
    }

    /// All preferences of `user`, by key.
    pub fn get_preferences(&self, user: &str) -> Result<BTreeMap<String, String>, MemoryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM user_preferences WHERE user = ?1")?;
        let rows = stmt.query_map([user], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets one preference; returns whether it existed.
    pub fn delete_preference(&mut self, user: &str, key: &str) -> Result<bool, MemoryError> {
        write(&mut self.conn, |tx| {
            let deleted = tx.execute(
                "DELETE FROM user_preferences WHERE user = ?1 AND key = ?2",
                params![user, key],
            )?;
            Ok(deleted > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::memory::tests::temp_memory;

    #[test]
    fn upsert_read_and_delete() {
        let (_dir, mut memory) = temp_memory();
        memory.save_preference("ana", "units", "imperial").unwrap();
        memory.save_preference("ana", "units", "metric").unwrap();
        memory.save_preference("ana", "язык", "русский").unwrap();
        memory.save_preference("bob", "units", "imperial").unwrap();
        let ana = memory.get_preferences("ana").unwrap();
        assert_eq!(ana.len(), 2);
        assert_eq!(ana["units"], "metric");
        assert_eq!(ana["язык"], "русский");
        assert!(memory.delete_preference("ana", "units").unwrap());
        assert!(!memory.delete_preference("ana", "units").unwrap());
        assert_eq!(memory.get_preferences("ana").unwrap().len(), 1);
        assert_eq!(memory.get_preferences("bob").unwrap()["units"], "imperial");
        assert!(memory.get_preferences("nobody").unwrap().is_empty());
    }
}

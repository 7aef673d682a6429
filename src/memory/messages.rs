//! Messages: what was said in a session, by whom, and the recent history a model sees.

use rusqlite::{Transaction, params};
use serde::Serialize;

use super::sessions::require_session;
use super::{Memory, MemoryError, write};
use crate::clock::now_ms;

text_enum! {
    /// Who wrote a message, in the words of the chat APIs.
    Role, "role" {
        /// Instructions given to the model.
        System = "system",
        /// A person in the house.
        User = "user",
        /// The agent.
        Assistant = "assistant",
        /// The output of a tool the agent called.
        Tool = "tool",
    }
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Row id; grows with insertion order.
    pub id: i64,
    /// The session it belongs to.
    pub session_id: String,
    /// Who wrote it.
    pub role: Role,
    /// The text.
    pub content: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A message to store with [`Memory::save_messages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMessage<'a> {
    /// An existing session id.
    pub session: &'a str,
    /// Who wrote it.
    pub role: Role,
    /// The text; must not be blank.
    pub content: &'a str,
    /// Unix milliseconds; `None` means now.
    pub created_at: Option<i64>,
}

impl Memory {
    /// Stores a message written now; the session must exist.
    pub fn save_message(
        &mut self,
        session: &str,
        role: Role,
        content: &str,
    ) -> Result<i64, MemoryError> {
        self.save_message_at(session, role, content, now_ms())
    }

    /// Stores a message with its own timestamp (imports, tests, replays).
    pub fn save_message_at(
        &mut self,
        session: &str,
        role: Role,
        content: &str,
        created_at: i64,
    ) -> Result<i64, MemoryError> {
        let message = NewMessage {
            session,
            role,
            content,
            created_at: Some(created_at),
        };
        Ok(self.save_messages(&[message])?[0])
    }

    /// Stores many messages in one transaction; all or none. Returns their ids in order.
    pub fn save_messages(&mut self, messages: &[NewMessage<'_>]) -> Result<Vec<i64>, MemoryError> {
        write(&mut self.conn, |tx| {
            let mut known: Option<&str> = None;
            let mut ids = Vec::with_capacity(messages.len());
            let now = now_ms();
            for message in messages {
                // Batches are usually one session: check it once, not once per row.
                if known != Some(message.session) {
                    require_session(tx, message.session)?;
                    known = Some(message.session);
                }
                ids.push(insert_message(tx, message, now)?);
            }
            Ok(ids)
        })
    }

    /// Saves one exchange of a conversation in one transaction: the session (created if
    /// new, for `user` from `source`), then `messages` in order. A front end's whole turn
    /// costs one commit.
    pub fn save_exchange(
        &mut self,
        session: &str,
        user: &str,
        source: &str,
        messages: &[(Role, &str)],
    ) -> Result<(), MemoryError> {
        if session.trim().is_empty() {
            return Err(MemoryError::InvalidInput("session id is empty".into()));
        }
        write(&mut self.conn, |tx| {
            let now = now_ms();
            super::sessions::insert_session(tx, session, user, source, now)?;
            for &(role, content) in messages {
                let message = NewMessage {
                    session,
                    role,
                    content,
                    created_at: None,
                };
                insert_message(tx, &message, now)?;
            }
            Ok(())
        })
    }

    /// The last `limit` messages of a session newer than now − ttl, oldest first.
    ///
    /// `None` uses the configured `history_limit`. An unknown session has no history.
    pub fn get_session_history(
        &self,
        session: &str,
        limit: Option<usize>,
    ) -> Result<Vec<Message>, MemoryError> {
        let limit = limit.unwrap_or(self.settings.history_limit);
        let cutoff = now_ms().saturating_sub(self.settings.ttl.as_millis() as i64);
        let mut stmt = self.conn.prepare_cached(HISTORY_SQL)?;
        let rows = stmt.query_map(params![session, cutoff, limit as i64], |row| {
            Ok(Message {
                id: row.get(0)?,
                session_id: row.get(1)?,
                role: row.get(2)?,
                content: row.get(3)?,
                created_at: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Newest-first range scan of `messages_session_time` bounded by the cutoff and the limit,
/// turned back to oldest first for the model.
const HISTORY_SQL: &str = "SELECT id, session_id, role, content, created_at FROM (
        SELECT id, session_id, role, content, created_at FROM messages
        WHERE session_id = ?1 AND created_at >= ?2
        ORDER BY created_at DESC, id DESC LIMIT ?3
    ) ORDER BY created_at, id";

/// Inserts one message into an existing session.
fn insert_message(
    tx: &Transaction<'_>,
    message: &NewMessage<'_>,
    now: i64,
) -> Result<i64, MemoryError> {
    if message.content.trim().is_empty() {
        return Err(MemoryError::InvalidInput(format!(
            "message for session {} has empty content",
            message.session
        )));
    }
    tx.prepare_cached(
        "INSERT INTO messages (session_id, role, content, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        message.session,
        message.role,
        message.content,
        message.created_at.unwrap_or(now)
    ])?;
    Ok(tx.last_insert_rowid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::tests::temp_memory;

    const HOUR_MS: i64 = 60 * 60 * 1000;

    #[test]
    fn an_exchange_creates_its_session_and_saves_in_order() {
        let (_dir, mut m) = temp_memory();
        m.save_exchange(
            "kitchen",
            "ana",
            "voice",
            &[(Role::User, "hi"), (Role::Assistant, "hello")],
        )
        .unwrap();
        m.save_exchange("kitchen", "ana", "voice", &[(Role::User, "again")])
            .unwrap();
        let texts: Vec<String> = m
            .get_session_history("kitchen", None)
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect();
        assert_eq!(texts, ["hi", "hello", "again"]);
        assert!(
            m.save_exchange("kitchen", "ana", "voice", &[(Role::User, " ")])
                .is_err()
        );
        assert!(m.save_exchange(" ", "ana", "voice", &[]).is_err());
    }

    #[test]
    fn history_is_the_last_n_within_ttl_oldest_first() {
        let (_dir, mut memory) = temp_memory();
        let s = memory.start_session("ana", "terminal").unwrap();
        let other = memory.start_session("bob", "voice").unwrap();
        let now = now_ms();
        // Two days old: past the 24 h ttl, so never in the history.
        memory
            .save_message_at(&s, Role::User, "stale", now - 48 * HOUR_MS)
            .unwrap();
        for i in 0..20 {
            let at = now - HOUR_MS + i;
            memory
                .save_message_at(&s, Role::User, &format!("m{i}"), at)
                .unwrap();
        }
        memory
            .save_message(&other, Role::User, "elsewhere")
            .unwrap();

        let history = memory.get_session_history(&s, None).unwrap();
        let texts: Vec<_> = history.iter().map(|m| m.content.as_str()).collect();
        let expected: Vec<String> = (8..20).map(|i| format!("m{i}")).collect();
        assert_eq!(texts, expected, "default limit is 12, oldest first");

        let all = memory.get_session_history(&s, Some(100)).unwrap();
        assert_eq!(all.len(), 20, "the stale message is past the ttl");
        assert!(all.windows(2).all(|w| w[0].created_at <= w[1].created_at));
        assert!(all.iter().all(|m| m.session_id == s));
        assert!(memory.get_session_history("nope", None).unwrap().is_empty());
    }

    #[test]
    fn history_orders_by_time_even_when_saved_out_of_order() {
        let (_dir, mut memory) = temp_memory();
        let s = memory.start_session("ana", "web").unwrap();
        let now = now_ms();
        memory
            .save_message_at(&s, Role::Assistant, "second", now - 1000)
            .unwrap();
        memory
            .save_message_at(&s, Role::User, "first", now - 2000)
            .unwrap();
        let history = memory.get_session_history(&s, Some(1)).unwrap();
        assert_eq!(history[0].content, "second");
        let history = memory.get_session_history(&s, None).unwrap();
        assert_eq!(history[0].content, "first");
        assert_eq!(history[0].role, Role::User);
    }

    #[test]
    fn history_query_is_an_index_range_scan() {
        let (_dir, memory) = temp_memory();
        let mut stmt = memory
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {HISTORY_SQL}"))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map(params!["s", 0, 12], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(
            plan.contains("USING INDEX messages_session_time (session_id=? AND created_at>?)"),
            "{plan}"
        );
        // Only the outer re-ordering of at most `limit` rows may sort; the scan must not.
        assert_eq!(plan.matches("TEMP B-TREE").count(), 1, "{plan}");
        assert!(!plan.contains("SCAN messages"), "{plan}");
    }

    #[test]
    fn unknown_session_empty_text_and_bad_role_are_refused() {
        let (_dir, mut memory) = temp_memory();
        let err = memory.save_message("ghost", Role::User, "hi").unwrap_err();
        assert!(matches!(&err, MemoryError::NotFound { what } if what == "session ghost"));
        let s = memory.start_session("ana", "web").unwrap();
        let err = memory.save_message(&s, Role::User, "  ").unwrap_err();
        assert!(matches!(err, MemoryError::InvalidInput(_)));
        let err = "robot".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("robot"), "{err}");
        assert_eq!("tool".parse::<Role>().unwrap(), Role::Tool);
        assert!(matches!(
            memory.end_session("ghost", None),
            Err(MemoryError::NotFound { .. })
        ));
    }
}

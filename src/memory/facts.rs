//! Facts: durable things a user told the house ("my daughter is Aiko", "I like the bedroom
//! at 19 °C"), distilled from finished conversations and kept true by reconciling each new
//! one with the stored ones: add, update, delete or keep.
//!
//! This module stores and changes facts; the agent decides what the changes are.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::recall::Kind;
use super::{Memory, MemoryError, Role, write};
use crate::clock::now_ms;

/// Longest fact, in characters.
pub const MAX_FACT_CHARS: usize = 500;
/// Messages of one conversation handed over for distilling at once.
pub const MAX_DISTIL_MESSAGES: usize = 40;

/// One stored fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// Row id.
    pub id: i64,
    /// Whose fact it is.
    pub user: String,
    /// The fact, in one sentence.
    pub text: String,
    /// The conversation it last came from, if any.
    pub session_id: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// One change to a user's facts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum FactChange {
    /// A new fact.
    Add {
        /// Its text.
        text: String,
    },
    /// A stored fact said differently or changed.
    Update {
        /// The fact's id.
        id: i64,
        /// Its new text.
        text: String,
    },
    /// A stored fact that is no longer true.
    Delete {
        /// The fact's id.
        id: i64,
    },
    /// A stored fact that stays as it is.
    Keep {
        /// The fact's id.
        id: i64,
    },
}

/// What applying a list of changes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FactOutcome {
    /// Facts added.
    pub added: usize,
    /// Facts changed.
    pub updated: usize,
    /// Facts deleted.
    pub deleted: usize,
    /// Facts confirmed unchanged.
    pub kept: usize,
    /// Changes refused: an id that is not one of the user's facts, or a blank text.
    pub ignored: usize,
}

/// A conversation with messages not yet distilled into facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undistilled {
    /// The session id.
    pub session: String,
    /// Who it was with.
    pub user: String,
    /// The last message id handed over; facts are extracted through it.
    pub through: i64,
    /// The new user and assistant messages, oldest first (at most [`MAX_DISTIL_MESSAGES`]).
    pub messages: Vec<(Role, String)>,
}

impl Memory {
    /// A user's facts, oldest first.
    pub fn facts(&self, user: &str) -> Result<Vec<Fact>, MemoryError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, user, text, session_id, created_at, updated_at FROM facts
             WHERE user = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([user], read_fact)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One fact by id.
    pub fn fact(&self, id: i64) -> Result<Fact, MemoryError> {
        self.conn
            .prepare_cached(
                "SELECT id, user, text, session_id, created_at, updated_at FROM facts WHERE id = ?1",
            )?
            .query_row([id], read_fact)
            .optional()?
            .ok_or_else(|| MemoryError::NotFound {
                what: format!("fact {id}"),
            })
    }

    /// Stores a fact a person gave directly; returns its id.
    pub fn add_fact(&mut self, user: &str, text: &str) -> Result<i64, MemoryError> {
        let text = fact_text(text)?;
        write(&mut self.conn, |tx| insert(tx, user, &text, None, now_ms()))
    }

    /// Corrects a fact's text (a person's correction wins over anything distilled).
    pub fn set_fact(&mut self, id: i64, text: &str) -> Result<(), MemoryError> {
        let text = fact_text(text)?;
        let changed = write(&mut self.conn, |tx| {
            Ok(tx
                .prepare_cached("UPDATE facts SET text = ?2, updated_at = ?3 WHERE id = ?1")?
                .execute(params![id, text, now_ms()])?)
        })?;
        self.unindex(Kind::Fact, id);
        not_found_unless(changed, id)
    }

    /// Forgets a fact for good.
    pub fn forget_fact(&mut self, id: i64) -> Result<(), MemoryError> {
        let changed = write(&mut self.conn, |tx| {
            Ok(tx
                .prepare_cached("DELETE FROM facts WHERE id = ?1")?
                .execute([id])?)
        })?;
        self.unindex(Kind::Fact, id);
        not_found_unless(changed, id)
    }

    /// Applies reconciled changes to `user`'s facts and, when `through` is given, marks the
    /// session distilled through that message: all in one commit, so a crash neither loses
    /// the facts nor distils the same messages twice. Changes naming another user's fact or
    /// an unknown id are ignored and counted, never applied.
    pub fn apply_fact_changes(
        &mut self,
        user: &str,
        session: Option<&str>,
        through: Option<i64>,
        changes: &[FactChange],
    ) -> Result<FactOutcome, MemoryError> {
        let outcome = write(&mut self.conn, |tx| {
            let now = now_ms();
            let mut out = FactOutcome::default();
            let owned = |id: i64| -> Result<bool, MemoryError> {
                Ok(tx
                    .prepare_cached("SELECT 1 FROM facts WHERE id = ?1 AND user = ?2")?
                    .query_row(params![id, user], |_| Ok(()))
                    .optional()?
                    .is_some())
            };
            for change in changes {
                match change {
                    FactChange::Add { text } => match fact_text(text) {
                        Ok(text) => {
                            insert(tx, user, &text, session, now)?;
                            out.added += 1;
                        }
                        Err(_) => out.ignored += 1,
                    },
                    FactChange::Update { id, text } => match fact_text(text) {
                        Ok(text) if owned(*id)? => {
                            tx.prepare_cached(
                                "UPDATE facts SET text = ?2, session_id = ?3, updated_at = ?4
                                 WHERE id = ?1",
                            )?
                            .execute(params![id, text, session, now])?;
                            out.updated += 1;
                        }
                        _ => out.ignored += 1,
                    },
                    FactChange::Delete { id } if owned(*id)? => {
                        tx.prepare_cached("DELETE FROM facts WHERE id = ?1")?
                            .execute([id])?;
                        out.deleted += 1;
                    }
                    FactChange::Keep { id } if owned(*id)? => out.kept += 1,
                    FactChange::Delete { .. } | FactChange::Keep { .. } => out.ignored += 1,
                }
            }
            if let (Some(session), Some(through)) = (session, through) {
                tx.prepare_cached("UPDATE sessions SET facts_through = ?2 WHERE id = ?1")?
                    .execute(params![session, through])?;
            }
            Ok(out)
        })?;
        for change in changes {
            if let FactChange::Update { id, .. } | FactChange::Delete { id } = change {
                self.unindex(Kind::Fact, *id);
            }
        }
        Ok(outcome)
    }

    /// Conversations whose newest message is older than `idle_before` (unix ms) and that
    /// have messages not yet distilled; at most `limit`, least recent first.
    pub fn undistilled(
        &self,
        idle_before: i64,
        limit: usize,
    ) -> Result<Vec<Undistilled>, MemoryError> {
        // The newest message of each session is one step down its (session, time) index.
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, user, facts_through, last_id FROM (
                SELECT s.id, s.user, s.facts_through,
                    (SELECT m.id FROM messages m WHERE m.session_id = s.id
                     ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS last_id,
                    (SELECT m.created_at FROM messages m WHERE m.session_id = s.id
                     ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS last_at
                FROM sessions s)
             WHERE last_id > facts_through AND last_at < ?1
             ORDER BY last_at LIMIT ?2",
        )?;
        let heads = stmt
            .query_map(params![idle_before, limit as i64], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get::<_, i64>(2)?,
                    row.get(3)?,
                ))
            })?
            .collect::<Result<Vec<(String, String, i64, i64)>, _>>()?;
        let mut out = Vec::with_capacity(heads.len());
        for (session, user, after, last) in heads {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, role, content FROM messages
                 WHERE session_id = ?1 AND id > ?2 AND role IN ('user', 'assistant')
                 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![session, after, MAX_DISTIL_MESSAGES as i64], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect::<Result<Vec<(i64, Role, String)>, _>>()?;
            let through = if rows.len() == MAX_DISTIL_MESSAGES {
                rows.last().map_or(last, |r| r.0)
            } else {
                last
            };
            let messages = rows
                .into_iter()
                .map(|(_, role, text)| (role, text))
                .collect();
            out.push(Undistilled {
                session,
                user,
                through,
                messages,
            });
        }
        Ok(out)
    }
}

fn read_fact(row: &rusqlite::Row<'_>) -> rusqlite::Result<Fact> {
    Ok(Fact {
        id: row.get(0)?,
        user: row.get(1)?,
        text: row.get(2)?,
        session_id: row.get(3)?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

fn insert(
    tx: &rusqlite::Transaction<'_>,
    user: &str,
    text: &str,
    session: Option<&str>,
    now: i64,
) -> Result<i64, MemoryError> {
    if user.trim().is_empty() {
        return Err(MemoryError::InvalidInput("a fact needs a user".into()));
    }
    tx.prepare_cached(
        "INSERT INTO facts (user, text, session_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![user, text, session, now])?;
    Ok(tx.last_insert_rowid())
}

/// A fact's text, trimmed; blank or overlong text is refused.
fn fact_text(text: &str) -> Result<String, MemoryError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(MemoryError::InvalidInput("a fact's text is empty".into()));
    }
    let chars = text.chars().count();
    if chars > MAX_FACT_CHARS {
        return Err(MemoryError::InvalidInput(format!(
            "a fact's text has {chars} characters, more than {MAX_FACT_CHARS}"
        )));
    }
    Ok(text.to_owned())
}

fn not_found_unless(changed: usize, id: i64) -> Result<(), MemoryError> {
    if changed == 0 {
        return Err(MemoryError::NotFound {
            what: format!("fact {id}"),
        });
    }
    Ok(())
}

//! The safety audit log: what was asked, and what the gates and the user decided.
//!
//! The caller decides what is written (every request when `log_all_requests` is on;
//! blocks and action decisions always); this module only stores and reads entries. Text
//! is cut to [`MAX_AUDIT_TEXT_CHARS`] so one pasted novel cannot grow the file without
//! bound.

use rusqlite::{Row, params};
use serde::Serialize;

use super::{Memory, MemoryError, write};

/// Characters of `text` and `detail` stored per entry; longer ones are cut and marked `…`.
pub const MAX_AUDIT_TEXT_CHARS: usize = 4096;

/// Entries one [`Memory::audit_since`] call returns at most.
pub const MAX_AUDIT_PAGE: usize = 1000;

text_enum! {
    /// What happened to a request or an action.
    AuditVerdict, "audit verdict" {
        /// The word gate let the request through.
        Allow = "allow",
        /// The word gate refused the request.
        Block = "block",
        /// An action was held for the user's yes.
        Confirm = "confirm",
        /// An action was refused.
        Deny = "deny",
        /// The user said yes to a held action.
        Confirmed = "confirmed",
        /// The user said no, or the question expired.
        Cancelled = "cancelled",
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Unix milliseconds.
    pub at: i64,
    /// Who asked.
    pub user: String,
    /// The conversation.
    pub session: String,
    /// The front end: `cli`, `voice`, `http`…
    pub source: String,
    /// The request's words, or the action (`lock.front_door unlock`).
    pub text: String,
    /// What happened.
    pub verdict: AuditVerdict,
    /// The word gate's category, for blocks.
    pub category: Option<String>,
    /// The matched words, or the reason given to the user.
    pub detail: Option<String>,
}

impl Memory {
    /// Appends `entry` to the audit log; returns its id.
    pub fn audit(&mut self, entry: &AuditEntry) -> Result<i64, MemoryError> {
        let text = bounded(&entry.text);
        let detail = entry.detail.as_deref().map(bounded);
        write(&mut self.conn, |tx| {
            tx.prepare_cached(
                "INSERT INTO audit (at, user, session, source, text, verdict, category, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                entry.at,
                entry.user,
                entry.session,
                entry.source,
                text,
                entry.verdict,
                entry.category,
                detail
            ])?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Entries at or after `since_ms`, oldest first, at most `limit` (and [`MAX_AUDIT_PAGE`]).
    pub fn audit_since(&self, since_ms: i64, limit: usize) -> Result<Vec<AuditEntry>, MemoryError> {
        let limit = limit.min(MAX_AUDIT_PAGE) as i64;
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, user, session, source, text, verdict, category, detail
             FROM audit WHERE at >= ?1 ORDER BY at, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since_ms, limit], entry_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        at: row.get(0)?,
        user: row.get(1)?,
        session: row.get(2)?,
        source: row.get(3)?,
        text: row.get(4)?,
        verdict: row.get(5)?,
        category: row.get(6)?,
        detail: row.get(7)?,
    })
}

/// `text` cut to [`MAX_AUDIT_TEXT_CHARS`], marked when cut.
fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_AUDIT_TEXT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::tests::temp_memory;

    fn entry(at: i64, text: &str, verdict: AuditVerdict) -> AuditEntry {
        AuditEntry {
            at,
            user: "ana".into(),
            session: "s1".into(),
            source: "voice".into(),
            text: text.into(),
            verdict,
            category: None,
            detail: None,
        }
    }

    #[test]
    fn entries_come_back_in_order_from_a_time_on() {
        let (_dir, mut m) = temp_memory();
        let block = AuditEntry {
            category: Some("weapons".into()),
            detail: Some("make a bomb".into()),
            ..entry(200, "how to make a bomb", AuditVerdict::Block)
        };
        let first = m
            .audit(&entry(100, "turn on the light", AuditVerdict::Allow))
            .unwrap();
        let second = m.audit(&block).unwrap();
        m.audit(&entry(200, "lock.front_door unlock", AuditVerdict::Confirm))
            .unwrap();
        m.audit(&entry(
            300,
            "lock.front_door unlock",
            AuditVerdict::Confirmed,
        ))
        .unwrap();
        assert!(second > first);
        let all = m.audit_since(0, 10).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[1], block);
        let later = m.audit_since(200, 2).unwrap();
        let verdicts: Vec<AuditVerdict> = later.iter().map(|e| e.verdict).collect();
        assert_eq!(verdicts, [AuditVerdict::Block, AuditVerdict::Confirm]);
        assert!(m.audit_since(301, 10).unwrap().is_empty());
        assert!(m.audit_since(0, 0).unwrap().is_empty());
    }

    #[test]
    fn every_verdict_round_trips_and_others_are_refused_by_the_table() {
        let (_dir, mut m) = temp_memory();
        let all = [
            AuditVerdict::Allow,
            AuditVerdict::Block,
            AuditVerdict::Confirm,
            AuditVerdict::Deny,
            AuditVerdict::Confirmed,
            AuditVerdict::Cancelled,
        ];
        for (i, verdict) in all.into_iter().enumerate() {
            m.audit(&entry(i as i64, "x", verdict)).unwrap();
        }
        let back: Vec<AuditVerdict> = m
            .audit_since(0, 10)
            .unwrap()
            .iter()
            .map(|e| e.verdict)
            .collect();
        assert_eq!(back, all);
        let err = m
            .conn
            .execute(
                "INSERT INTO audit (at, user, session, source, text, verdict)
                 VALUES (1, 'a', 's', 'cli', 't', 'maybe')",
                [],
            )
            .unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
    }

    #[test]
    fn long_text_is_cut_and_marked() {
        let (_dir, mut m) = temp_memory();
        let long = "ж".repeat(MAX_AUDIT_TEXT_CHARS + 10);
        let mut e = entry(1, &long, AuditVerdict::Allow);
        e.detail = Some(long.clone());
        m.audit(&e).unwrap();
        let back = &m.audit_since(0, 1).unwrap()[0];
        assert_eq!(back.text.chars().count(), MAX_AUDIT_TEXT_CHARS + 1);
        assert!(back.text.ends_with('…'));
        assert_eq!(back.detail.as_deref(), Some(back.text.as_str()));
    }
}

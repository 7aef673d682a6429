//! JSON Lines export: every record of the file, one object per line, streamed.
//!
//! Each line is an object whose `"kind"` is `session`, `message`, `preference`, `task`,
//! `thought`, `knowledge` or `fact`; the other fields are the table's columns, timestamps in
//! Unix milliseconds. A thought's and a task's own kinds are spelled `"thought_kind"` and
//! `"task_kind"`; a scheduled task carries its plan, next run and attempts, so a restored hub
//! keeps its schedule. Fields added later are optional on import, so older files still load.
//! Embeddings (`embeddings`) are not written: they are derived from the text and made again
//! in the background after an import. An embedding is a JSON
//! array of numbers (f32 values written in their shortest exact form), or `null`.
//! Records are written parents first (sessions before messages, tasks before thoughts), so
//! an import can replay the file top to bottom. The reader is in `import`.

use std::io::Write;

use rusqlite::{Row, Transaction};
use serde::{Deserialize, Serialize};

use super::knowledge::blob_to_embedding;
use super::{Memory, MemoryError, Role, TaskKind, TaskStatus, ThoughtKind};

/// One line of an export: a tagged row of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Record {
    Session(SessionLine),
    Message(MessageLine),
    Preference(PreferenceLine),
    Task(TaskLine),
    Thought(ThoughtLine),
    Knowledge(KnowledgeLine),
    Fact(FactLine),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionLine {
    pub(crate) id: String,
    pub(crate) user: String,
    pub(crate) source: String,
    pub(crate) started_at: i64,
    pub(crate) ended_at: Option<i64>,
    pub(crate) summary: Option<String>,
    /// The last message facts were distilled from (absent in older files: none).
    #[serde(default)]
    pub(crate) facts_through: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MessageLine {
    pub(crate) id: i64,
    pub(crate) session_id: String,
    pub(crate) role: Role,
    pub(crate) content: String,
    pub(crate) created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PreferenceLine {
    pub(crate) user: String,
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TaskLine {
    pub(crate) id: i64,
    pub(crate) session_id: Option<String>,
    pub(crate) description: String,
    pub(crate) status: TaskStatus,
    pub(crate) result: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    /// Spelled `task_kind` because `kind` is the record's tag; absent in older files.
    #[serde(default = "request_kind")]
    pub(crate) task_kind: TaskKind,
    #[serde(default)]
    pub(crate) user: Option<String>,
    #[serde(default)]
    pub(crate) plan: Option<String>,
    #[serde(default)]
    pub(crate) next_run: Option<i64>,
    #[serde(default)]
    pub(crate) attempts: i64,
    #[serde(default)]
    pub(crate) parent_id: Option<i64>,
}

fn request_kind() -> TaskKind {
    TaskKind::Request
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ThoughtLine {
    pub(crate) id: i64,
    pub(crate) task_id: i64,
    pub(crate) step: i64,
    /// Spelled `thought_kind` because `kind` is the record's tag.
    pub(crate) thought_kind: ThoughtKind,
    pub(crate) content: String,
    pub(crate) created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct KnowledgeLine {
    pub(crate) id: i64,
    pub(crate) topic: String,
    pub(crate) content: String,
    pub(crate) source: String,
    pub(crate) embedding: Option<Vec<f32>>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FactLine {
    pub(crate) id: i64,
    pub(crate) user: String,
    pub(crate) text: String,
    pub(crate) session_id: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// Records per kind, as written by an export or stored by an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    /// `session` lines.
    pub sessions: u64,
    /// `message` lines.
    pub messages: u64,
    /// `preference` lines.
    pub preferences: u64,
    /// `task` lines.
    pub tasks: u64,
    /// `thought` lines.
    pub thoughts: u64,
    /// `knowledge` lines.
    pub knowledge: u64,
    /// `fact` lines.
    pub facts: u64,
}

/// What [`Memory::export`] wrote.
pub type ExportCounts = RecordCounts;

/// One table's export: its query, in parent-first order, and how a row becomes a record.
type TableExport = (&'static str, fn(&Row<'_>) -> rusqlite::Result<Record>);

const TABLES: [TableExport; 7] = [
    (
        "SELECT id, user, source, started_at, ended_at, summary, facts_through
         FROM sessions ORDER BY rowid",
        |r| {
            Ok(Record::Session(SessionLine {
                id: r.get(0)?,
                user: r.get(1)?,
                source: r.get(2)?,
                started_at: r.get(3)?,
                ended_at: r.get(4)?,
                summary: r.get(5)?,
                facts_through: r.get(6)?,
            }))
        },
    ),
    (
        "SELECT id, session_id, role, content, created_at FROM messages ORDER BY id",
        |r| {
            Ok(Record::Message(MessageLine {
                id: r.get(0)?,
                session_id: r.get(1)?,
                role: r.get(2)?,
                content: r.get(3)?,
                created_at: r.get(4)?,
            }))
        },
    ),
    (
        "SELECT user, key, value, updated_at FROM user_preferences ORDER BY user, key",
        |r| {
            Ok(Record::Preference(PreferenceLine {
                user: r.get(0)?,
                key: r.get(1)?,
                value: r.get(2)?,
                updated_at: r.get(3)?,
            }))
        },
    ),
    (
        "SELECT id, session_id, description, status, result, created_at, updated_at,
                kind, user, plan, next_run, attempts, parent_id
         FROM tasks_history ORDER BY id",
        |r| {
            Ok(Record::Task(TaskLine {
                id: r.get(0)?,
                session_id: r.get(1)?,
                description: r.get(2)?,
                status: r.get(3)?,
                result: r.get(4)?,
                created_at: r.get(5)?,
                updated_at: r.get(6)?,
                task_kind: r.get(7)?,
                user: r.get(8)?,
                plan: r.get(9)?,
                next_run: r.get(10)?,
                attempts: r.get(11)?,
                parent_id: r.get(12)?,
            }))
        },
    ),
    (
        "SELECT id, task_id, step, kind, content, created_at FROM thoughts ORDER BY id",
        |r| {
            Ok(Record::Thought(ThoughtLine {
                id: r.get(0)?,
                task_id: r.get(1)?,
                step: r.get(2)?,
                thought_kind: r.get(3)?,
                content: r.get(4)?,
                created_at: r.get(5)?,
            }))
        },
    ),
    (
        "SELECT id, topic, content, source, embedding, created_at, updated_at
         FROM knowledge ORDER BY id",
        |r| {
            Ok(Record::Knowledge(KnowledgeLine {
                id: r.get(0)?,
                topic: r.get(1)?,
                content: r.get(2)?,
                source: r.get(3)?,
                embedding: r
                    .get::<_, Option<Vec<u8>>>(4)?
                    .map(|b| blob_to_embedding(&b)),
                created_at: r.get(5)?,
                updated_at: r.get(6)?,
            }))
        },
    ),
    (
        "SELECT id, user, text, session_id, created_at, updated_at FROM facts ORDER BY id",
        |r| {
            Ok(Record::Fact(FactLine {
                id: r.get(0)?,
                user: r.get(1)?,
                text: r.get(2)?,
                session_id: r.get(3)?,
                created_at: r.get(4)?,
                updated_at: r.get(5)?,
            }))
        },
    ),
];

impl Memory {
    /// Writes every record as JSON Lines, row by row from one consistent snapshot.
    pub fn export(&self, mut writer: impl Write) -> Result<ExportCounts, MemoryError> {
        // A read transaction: every table is seen as of the same moment, even while the
        // agent keeps writing (WAL readers do not block the writer).
        let tx = self.conn.unchecked_transaction()?;
        let mut counts = [0u64; 7];
        for ((sql, to_record), count) in TABLES.iter().zip(&mut counts) {
            *count = export_table(&tx, sql, *to_record, &mut writer)?;
        }
        tx.commit()?;
        writer.flush().map_err(serde_json::Error::io)?;
        let [
            sessions,
            messages,
            preferences,
            tasks,
            thoughts,
            knowledge,
            facts,
        ] = counts;
        Ok(RecordCounts {
            sessions,
            messages,
            preferences,
            tasks,
            thoughts,
            knowledge,
            facts,
        })
    }
}

/// Streams one table to `writer`; returns the rows written.
fn export_table(
    tx: &Transaction<'_>,
    sql: &str,
    to_record: fn(&Row<'_>) -> rusqlite::Result<Record>,
    writer: &mut impl Write,
) -> Result<u64, MemoryError> {
    let mut stmt = tx.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut written = 0u64;
    while let Some(row) = rows.next()? {
        serde_json::to_writer(&mut *writer, &to_record(row)?)?;
        writer.write_all(b"\n").map_err(serde_json::Error::io)?;
        written += 1;
    }
    Ok(written)
}

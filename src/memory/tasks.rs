//! The task history and the thoughts of the cognitive loop (analyse, plan, act, reflect).
//!
//! Past tasks are searchable so the agent can recall how it handled a similar request.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use super::knowledge::fts_query;
use super::{Memory, MemoryError, write};
use crate::clock::now_ms;

text_enum! {
    /// Where a task stands.
    TaskStatus, "task status" {
        /// Accepted, not started.
        Pending = "pending",
        /// Being worked on.
        Running = "running",
        /// Finished well.
        Done = "done",
        /// Finished badly.
        Failed = "failed",
        /// Given up on request.
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// Which step of the cognitive loop a thought records.
    ThoughtKind, "thought kind" {
        /// Understanding the request.
        Analysis = "analysis",
        /// Deciding what to do.
        Plan = "plan",
        /// Doing it.
        Action = "action",
        /// Judging the outcome.
        Reflection = "reflection",
    }
}

/// One task of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Row id.
    pub id: i64,
    /// The session it came from, if any.
    pub session_id: Option<String>,
    /// What was asked.
    pub description: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// What came of it.
    pub result: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// One step of the cognitive loop for a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thought {
    /// Row id.
    pub id: i64,
    /// The task it belongs to.
    pub task_id: i64,
    /// 1, 2, 3… in the order they were added to the task.
    pub step: i64,
    /// Which step of the loop.
    pub kind: ThoughtKind,
    /// The thought.
    pub content: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

const TASK_COLUMNS: &str = "id, session_id, description, status, result, created_at, updated_at";

impl Memory {
    /// Records a new pending task and returns its id.
    pub fn save_task(
        &mut self,
        session: Option<&str>,
        description: &str,
    ) -> Result<i64, MemoryError> {
        if description.trim().is_empty() {
            return Err(MemoryError::InvalidInput(
                "task description is empty".into(),
            ));
        }
        let now = now_ms();
        write(&mut self.conn, |tx| {
            tx.prepare_cached(
                "INSERT INTO tasks_history (session_id, description, status, created_at, updated_at)
                 VALUES (?1, ?2, 'pending', ?3, ?3)",
            )?
            .execute(params![session, description, now])?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Moves a task to `status`, replacing its result when one is given.
    pub fn update_task(
        &mut self,
        id: i64,
        status: TaskStatus,
        result: Option<&str>,
    ) -> Result<(), MemoryError> {
        let changed = write(&mut self.conn, |tx| {
            Ok(tx.execute(
                "UPDATE tasks_history SET status = ?2, result = coalesce(?3, result), updated_at = ?4
                 WHERE id = ?1",
                params![id, status, result, now_ms()],
            )?)
        })?;
        if changed == 0 {
            return Err(task_not_found(id));
        }
        Ok(())
    }

    /// Closes a task in one transaction: its thoughts, in order, then its status and result.
    pub fn finish_task(
        &mut self,
        id: i64,
        thoughts: &[(ThoughtKind, &str)],
        status: TaskStatus,
        result: &str,
    ) -> Result<(), MemoryError> {
        let changed = write(&mut self.conn, |tx| {
            for &(kind, content) in thoughts {
                insert_thought(tx, id, kind, content)?;
            }
            Ok(tx.execute(
                "UPDATE tasks_history SET status = ?2, result = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, status, result, now_ms()],
            )?)
        })?;
        if changed == 0 {
            return Err(task_not_found(id));
        }
        Ok(())
    }

    /// One task by id.
    pub fn task(&self, id: i64) -> Result<Task, MemoryError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks_history WHERE id = ?1"
            ))?
            .query_row([id], task_from_row)
            .optional()?
            .ok_or_else(|| task_not_found(id))
    }

    /// Appends a thought as the next step of a task; returns the thought's id.
    pub fn add_thought(
        &mut self,
        task_id: i64,
        kind: ThoughtKind,
        content: &str,
    ) -> Result<i64, MemoryError> {
        write(&mut self.conn, |tx| {
            insert_thought(tx, task_id, kind, content)
        })
    }

    /// The thoughts of a task, in step order.
    pub fn thoughts(&self, task_id: i64) -> Result<Vec<Thought>, MemoryError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, task_id, step, kind, content, created_at FROM thoughts
             WHERE task_id = ?1 ORDER BY step, id",
        )?;
        let rows = stmt.query_map([task_id], |row| {
            Ok(Thought {
                id: row.get(0)?,
                task_id: row.get(1)?,
                step: row.get(2)?,
                kind: row.get(3)?,
                content: row.get(4)?,
                created_at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Past tasks whose description or result share words with `text`, best first.
    pub fn find_similar_tasks(&self, text: &str, limit: usize) -> Result<Vec<Task>, MemoryError> {
        let Some(fts) = fts_query(text) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.id, t.session_id, t.description, t.status, t.result, t.created_at, t.updated_at
             FROM tasks_fts JOIN tasks_history t ON t.id = tasks_fts.rowid
             WHERE tasks_fts MATCH ?1 ORDER BY bm25(tasks_fts) LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![fts, limit as i64], task_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Inserts the next thought of an existing task.
fn insert_thought(
    tx: &Transaction<'_>,
    task_id: i64,
    kind: ThoughtKind,
    content: &str,
) -> Result<i64, MemoryError> {
    if content.trim().is_empty() {
        return Err(MemoryError::InvalidInput(format!(
            "thought for task {task_id} has empty content"
        )));
    }
    let step: Option<i64> = tx
        .prepare_cached(
            "SELECT (SELECT coalesce(max(step), 0) + 1 FROM thoughts WHERE task_id = ?1)
             FROM tasks_history WHERE id = ?1",
        )?
        .query_row([task_id], |row| row.get(0))
        .optional()?;
    let step = step.ok_or_else(|| task_not_found(task_id))?;
    tx.prepare_cached(
        "INSERT INTO thoughts (task_id, step, kind, content, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![task_id, step, kind, content, now_ms()])?;
    Ok(tx.last_insert_rowid())
}

fn task_from_row(row: &Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: row.get(0)?,
        session_id: row.get(1)?,
        description: row.get(2)?,
        status: row.get(3)?,
        result: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

fn task_not_found(id: i64) -> MemoryError {
    MemoryError::NotFound {
        what: format!("task {id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::tests::temp_memory;

    #[test]
    fn finishing_a_task_saves_its_thoughts_and_result_together() {
        let (_dir, mut memory) = temp_memory();
        let id = memory.save_task(None, "film night").unwrap();
        let thoughts = [
            (ThoughtKind::Analysis, "device_command"),
            (ThoughtKind::Reflection, "ok"),
        ];
        memory
            .finish_task(id, &thoughts, TaskStatus::Done, "lamp dimmed")
            .unwrap();
        let task = memory.task(id).unwrap();
        assert_eq!(
            (task.status, task.result.as_deref()),
            (TaskStatus::Done, Some("lamp dimmed"))
        );
        let kinds: Vec<ThoughtKind> = memory
            .thoughts(id)
            .unwrap()
            .iter()
            .map(|t| t.kind)
            .collect();
        assert_eq!(kinds, [ThoughtKind::Analysis, ThoughtKind::Reflection]);
        assert!(
            memory
                .finish_task(id + 100, &thoughts, TaskStatus::Done, "x")
                .is_err()
        );
        assert!(
            memory.thoughts(id + 100).unwrap().is_empty(),
            "nothing is written for a missing task"
        );
    }

    #[test]
    fn task_lifecycle_and_thought_steps() {
        let (_dir, mut memory) = temp_memory();
        let id = memory
            .save_task(None, "turn off the kitchen lights")
            .unwrap();
        assert_eq!(memory.task(id).unwrap().status, TaskStatus::Pending);
        memory
            .add_thought(id, ThoughtKind::Analysis, "user wants darkness")
            .unwrap();
        memory
            .add_thought(id, ThoughtKind::Plan, "call light.turn_off")
            .unwrap();
        memory
            .update_task(id, TaskStatus::Done, Some("lights off"))
            .unwrap();
        memory.update_task(id, TaskStatus::Done, None).unwrap();
        let task = memory.task(id).unwrap();
        assert_eq!(task.status, TaskStatus::Done);
        assert_eq!(
            task.result.as_deref(),
            Some("lights off"),
            "None keeps the result"
        );
        let thoughts = memory.thoughts(id).unwrap();
        let steps: Vec<_> = thoughts.iter().map(|t| (t.step, t.kind)).collect();
        assert_eq!(steps, [(1, ThoughtKind::Analysis), (2, ThoughtKind::Plan)]);

        assert!(matches!(
            memory.update_task(999, TaskStatus::Failed, None),
            Err(MemoryError::NotFound { .. })
        ));
        assert!(matches!(
            memory.add_thought(999, ThoughtKind::Plan, "x"),
            Err(MemoryError::NotFound { .. })
        ));
        assert!("finished".parse::<TaskStatus>().is_err());
    }

    #[test]
    fn similar_tasks_rank_by_shared_words_and_follow_updates() {
        let (_dir, mut memory) = temp_memory();
        let lights = memory
            .save_task(None, "turn off the kitchen lights")
            .unwrap();
        let music = memory
            .save_task(Some("s1"), "play music in the kitchen")
            .unwrap();
        let heat = memory.save_task(None, "включи отопление").unwrap();
        let ids = |memory: &Memory, q: &str| -> Vec<i64> {
            memory
                .find_similar_tasks(q, 10)
                .unwrap()
                .iter()
                .map(|t| t.id)
                .collect()
        };
        assert_eq!(ids(&memory, "kitchen lights please")[0], lights);
        assert_eq!(ids(&memory, "kitchen lights please").len(), 2);
        assert_eq!(ids(&memory, "отопление"), vec![heat]);
        assert!(ids(&memory, "(\"*").is_empty());
        // The update trigger re-indexes the result column.
        memory
            .update_task(music, TaskStatus::Done, Some("played jazz"))
            .unwrap();
        assert_eq!(ids(&memory, "jazz"), vec![music]);
    }
}

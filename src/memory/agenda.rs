//! The autonomous scheduler's tasks: reminders, scheduled and triggered tasks and upkeep, kept
//! in `tasks_history` with their plan (JSON the scheduler reads), next run and attempts, and
//! each run as a row of kind `run` under its task.
//!
//! A run is claimed in one transaction (the task goes `running`, its attempts up, a run row is
//! written), so a task is never started twice; a task found `running` when the hub starts was
//! interrupted, and [`Memory::recover_interrupted`] decides by its policy.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::tasks::TaskStatus;
use super::{Memory, MemoryError, write};
use crate::clock::now_ms;

text_enum! {
    /// What a row of `tasks_history` is.
    TaskKind, "task kind" {
        /// A turn of the agent (the cognitive loop's record).
        Request = "request",
        /// Words to say at a time.
        Reminder = "reminder",
        /// A request run on a schedule.
        Scheduled = "scheduled",
        /// A request run when a device condition has held.
        Triggered = "triggered",
        /// The hub's own housekeeping.
        Upkeep = "upkeep",
        /// One run of another task.
        Run = "run",
    }
}

/// One task of the scheduler, or one run of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    /// Row id.
    pub id: i64,
    /// What it is.
    pub kind: TaskKind,
    /// Who it works for.
    pub user: String,
    /// The words: what to do or say.
    pub description: String,
    /// Schedule, delivery and policy, as JSON (the scheduler's to read).
    pub plan: Option<String>,
    /// Where it stands.
    pub status: TaskStatus,
    /// Unix milliseconds of the next run; `None` for triggered and finished tasks.
    pub next_run: Option<i64>,
    /// Runs started since the last success.
    pub attempts: i64,
    /// What came of the last run.
    pub result: Option<String>,
    /// The task a run belongs to.
    pub parent_id: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// What [`Memory::recover_interrupted`] did with a task found running at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// Due again now.
    Retried(i64),
    /// Given up: its policy forbids running it again, or it had no attempts left.
    Failed(i64),
}

const COLUMNS: &str = "id, kind, coalesce(user, ''), description, plan, status, next_run, \
                       attempts, result, parent_id, created_at, updated_at";

/// What ended a run: its outcome and what becomes of its task.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEnd<'a> {
    /// The run went well.
    pub ok: bool,
    /// What came of it (the reply, or why not).
    pub result: &'a str,
    /// When the task runs again; `None` finishes it unless it is `recurring`.
    pub next_run: Option<i64>,
    /// The task waits for its trigger after each run (it is never finished by one).
    pub recurring: bool,
    /// Model tokens the run used (the autonomous budget).
    pub tokens: u64,
}

impl Memory {
    /// Adds a task for the scheduler and returns its id.
    pub fn add_scheduled(
        &mut self,
        kind: TaskKind,
        user: &str,
        description: &str,
        plan: &str,
        next_run: Option<i64>,
    ) -> Result<i64, MemoryError> {
        if description.trim().is_empty() {
            return Err(MemoryError::InvalidInput(
                "the task says nothing to do".into(),
            ));
        }
        if matches!(kind, TaskKind::Request | TaskKind::Run) {
            return Err(MemoryError::InvalidInput(format!(
                "a scheduled task cannot be of kind {kind}"
            )));
        }
        let now = now_ms();
        write(&mut self.conn, |tx| {
            tx.prepare_cached(
                "INSERT INTO tasks_history
                 (kind, user, description, plan, status, next_run, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6)",
            )?
            .execute(params![kind, user, description, plan, next_run, now])?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The scheduler's tasks that are not finished (pending or running), soonest first.
    pub fn scheduled_tasks(&self) -> Result<Vec<Scheduled>, MemoryError> {
        self.scheduled_where(
            "kind NOT IN ('request', 'run') AND status IN ('pending', 'running')
             ORDER BY next_run IS NULL, next_run, id",
            params![],
        )
    }

    /// One scheduler task (or run) by id.
    pub fn scheduled(&self, id: i64) -> Result<Scheduled, MemoryError> {
        self.scheduled_where("id = ?1 AND kind != 'request'", params![id])?
            .pop()
            .ok_or_else(|| not_found(id))
    }

    /// Pending tasks due at or before `now`, soonest first.
    pub fn due_tasks(&self, now: i64) -> Result<Vec<Scheduled>, MemoryError> {
        self.scheduled_where(
            "next_run IS NOT NULL AND next_run <= ?1 AND status = 'pending'
             AND kind NOT IN ('request', 'run') ORDER BY next_run, id",
            params![now],
        )
    }

    /// The soonest next run of a pending task after `after` (Unix ms), if any.
    pub fn next_due(&self, after: i64) -> Result<Option<i64>, MemoryError> {
        Ok(self.conn.query_row(
            "SELECT min(next_run) FROM tasks_history
             WHERE next_run > ?1 AND status = 'pending' AND kind NOT IN ('request', 'run')",
            [after],
            |row| row.get(0),
        )?)
    }

    /// The latest runs: of task `task`, or of every task; newest first.
    pub fn task_runs(
        &self,
        task: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Scheduled>, MemoryError> {
        self.scheduled_where(
            "kind = 'run' AND (?1 IS NULL OR parent_id = ?1) ORDER BY id DESC LIMIT ?2",
            params![task, limit as i64],
        )
    }

    /// Starts a run of pending task `id`: the task goes `running` with one more attempt and a
    /// run row is written, in one transaction. `None` when the task is not pending (another
    /// claim won, or it was cancelled).
    pub fn claim_task(&mut self, id: i64) -> Result<Option<i64>, MemoryError> {
        let now = now_ms();
        write(&mut self.conn, |tx| {
            let task: Option<(String, String, Option<String>)> = tx
                .prepare_cached(
                    "UPDATE tasks_history SET status = 'running', attempts = attempts + 1,
                     updated_at = ?2 WHERE id = ?1 AND status = 'pending'
                     AND kind NOT IN ('request', 'run')
                     RETURNING coalesce(user, ''), description, session_id",
                )?
                .query_row(params![id, now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((user, description, session)) = task else {
                return Ok(None);
            };
            tx.prepare_cached(
                "INSERT INTO tasks_history (kind, user, description, status, parent_id,
                 session_id, created_at, updated_at)
                 VALUES ('run', ?1, ?2, 'running', ?3, ?4, ?5, ?5)",
            )?
            .execute(params![user, description, id, session, now])?;
            Ok(Some(tx.last_insert_rowid()))
        })
    }

    /// Ends run `run` of task `task`: the run's outcome, the task pending again at `next_run`
    /// or finished, and the tokens counted for today (`day`), in one transaction.
    pub fn finish_run(
        &mut self,
        task: i64,
        run: i64,
        end: &RunEnd<'_>,
        day: &str,
    ) -> Result<(), MemoryError> {
        let now = now_ms();
        let run_status = if end.ok {
            TaskStatus::Done
        } else {
            TaskStatus::Failed
        };
        let (task_status, attempts_reset) = match (end.next_run, end.ok) {
            (Some(_), ok) => (TaskStatus::Pending, ok),
            (None, ok) if end.recurring => (TaskStatus::Pending, ok),
            (None, true) => (TaskStatus::Done, true),
            (None, false) => (TaskStatus::Failed, false),
        };
        write(&mut self.conn, |tx| {
            tx.prepare_cached(
                "UPDATE tasks_history SET status = ?2, result = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![run, run_status, end.result, now])?;
            let changed = tx
                .prepare_cached(
                    "UPDATE tasks_history SET status = ?2, result = ?3, next_run = ?4,
                     attempts = CASE WHEN ?5 THEN 0 ELSE attempts END, updated_at = ?6
                     WHERE id = ?1 AND status = 'running'",
                )?
                .execute(params![
                    task,
                    task_status,
                    end.result,
                    end.next_run,
                    attempts_reset,
                    now
                ])?;
            if changed == 0 {
                // Cancelled while it ran: the run's record stands, the task stays cancelled.
                tracing::info!(task, "task changed while it ran; its new state stands");
            }
            tx.prepare_cached(
                "INSERT INTO autonomous_usage (day, runs, tokens) VALUES (?1, 1, ?2)
                 ON CONFLICT(day) DO UPDATE SET runs = runs + 1, tokens = tokens + ?2",
            )?
            .execute(params![day, end.tokens as i64])?;
            Ok(())
        })
    }

    /// Tasks found `running` at start were interrupted (the hub stopped or lost power): each is
    /// due again now when `retry(task)` says so, or failed; their open runs are failed.
    pub fn recover_interrupted(
        &mut self,
        retry: impl Fn(&Scheduled) -> bool,
    ) -> Result<Vec<Recovered>, MemoryError> {
        let running = self.scheduled_where(
            "status = 'running' AND kind NOT IN ('request', 'run')",
            params![],
        )?;
        let now = now_ms();
        let note = "interrupted: the hub stopped during this run";
        write(&mut self.conn, |tx| {
            tx.execute(
                "UPDATE tasks_history SET status = 'failed', result = ?1, updated_at = ?2
                 WHERE kind = 'run' AND status = 'running'",
                params![note, now],
            )?;
            let mut out = Vec::new();
            for task in &running {
                if retry(task) {
                    tx.execute(
                        "UPDATE tasks_history SET status = 'pending', next_run = ?2,
                         result = ?3, updated_at = ?2 WHERE id = ?1",
                        params![task.id, now, note],
                    )?;
                    out.push(Recovered::Retried(task.id));
                } else {
                    tx.execute(
                        "UPDATE tasks_history SET status = 'failed', next_run = NULL,
                         result = ?3, updated_at = ?2 WHERE id = ?1",
                        params![task.id, now, note],
                    )?;
                    out.push(Recovered::Failed(task.id));
                }
            }
            Ok(out)
        })
    }

    /// Cancels a pending or running task; false when it was already finished.
    pub fn cancel_task(&mut self, id: i64) -> Result<bool, MemoryError> {
        let task = self.scheduled(id)?;
        if task.kind == TaskKind::Run {
            return Err(MemoryError::InvalidInput(format!(
                "{id} is a run of task {}, not a task",
                task.parent_id.unwrap_or_default()
            )));
        }
        let changed = write(&mut self.conn, |tx| {
            Ok(tx.execute(
                "UPDATE tasks_history SET status = 'cancelled', next_run = NULL, updated_at = ?2
                 WHERE id = ?1 AND status IN ('pending', 'running')",
                params![id, now_ms()],
            )?)
        })?;
        Ok(changed > 0)
    }

    /// Makes pending task `id` due at `at` (run now: `at` = now).
    pub fn reschedule_task(&mut self, id: i64, at: i64) -> Result<(), MemoryError> {
        let task = self.scheduled(id)?;
        if task.status != TaskStatus::Pending || task.kind == TaskKind::Run {
            return Err(MemoryError::InvalidInput(format!(
                "task {id} is {}, not pending",
                task.status
            )));
        }
        write(&mut self.conn, |tx| {
            Ok(tx.execute(
                "UPDATE tasks_history SET next_run = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, at, now_ms()],
            )?)
        })?;
        Ok(())
    }

    /// Tokens and runs of autonomous work on `day` (`YYYY-MM-DD`, UTC).
    pub fn autonomous_usage(&self, day: &str) -> Result<(u64, u64), MemoryError> {
        let row: Option<(i64, i64)> = self
            .conn
            .prepare_cached("SELECT runs, tokens FROM autonomous_usage WHERE day = ?1")?
            .query_row([day], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (runs, tokens) = row.unwrap_or((0, 0));
        Ok((runs as u64, tokens as u64))
    }

    fn scheduled_where(
        &self,
        clause: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Scheduled>, MemoryError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM tasks_history WHERE {clause}"
        ))?;
        let rows = stmt.query_map(params, scheduled_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn scheduled_from_row(row: &Row<'_>) -> rusqlite::Result<Scheduled> {
    Ok(Scheduled {
        id: row.get(0)?,
        kind: row.get(1)?,
        user: row.get(2)?,
        description: row.get(3)?,
        plan: row.get(4)?,
        status: row.get(5)?,
        next_run: row.get(6)?,
        attempts: row.get(7)?,
        result: row.get(8)?,
        parent_id: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
    })
}

fn not_found(id: i64) -> MemoryError {
    MemoryError::NotFound {
        what: format!("scheduled task {id}"),
    }
}

#[cfg(test)]
mod tests;

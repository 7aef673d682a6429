//! Adding, listing, cancelling and running tasks: one set of functions behind `mirai tasks`,
//! the HTTP API (`/api/tasks`) and the agent's `schedule_task` tool, so each says the same.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::plan::{self, Deliver, OnInterrupt, Plan, PlanError, When};
use crate::memory::{Memory, MemoryError, Scheduled, TaskKind};

/// Runs listed by `history` at most.
pub const MAX_HISTORY: usize = 200;

/// A task as a person asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// What to do ("tell me the weather") or, for a reminder, what to say.
    pub text: String,
    /// Who it is for.
    #[serde(default)]
    pub user: Option<String>,
    /// A reminder: the words are said as they are, no model needed.
    #[serde(default)]
    pub reminder: bool,
    /// Once at a time: `18:00`, `2026-12-24T18:00` or an RFC 3339 instant.
    #[serde(default)]
    pub at: Option<String>,
    /// Once after a while: `10m`, `2h`.
    #[serde(default, rename = "in")]
    pub after: Option<String>,
    /// On a cron schedule in the hub's time zone.
    #[serde(default)]
    pub cron: Option<String>,
    /// When a device condition holds: `cover.garage_door=open`.
    #[serde(default)]
    pub when: Option<String>,
    /// How long the condition must hold: `10m`.
    #[serde(default, rename = "for")]
    pub hold: Option<String>,
    /// Where the result goes: `memory`, `mqtt`, `speech:SITE`, `notify:SERVICE`.
    #[serde(default)]
    pub deliver: Option<String>,
    /// After a crash mid-run: `retry` or `fail` (default: retry reminders, fail the rest).
    #[serde(default)]
    pub on_interrupt: Option<OnInterrupt>,
    /// Runs of a one-shot task that may fail or be interrupted before it is failed (1–10;
    /// default 3 for reminders, 1 for the rest).
    #[serde(default)]
    pub max_attempts: Option<u32>,
}

/// Why a task was refused or not found.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The request for a task is wrong.
    #[error("{0}")]
    Bad(String),
    /// A bad time, duration, condition or delivery.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The memory refused or failed.
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

impl TaskError {
    /// The HTTP status that fits: 400 for bad requests, 404 for unknown tasks, 500 else.
    pub fn status(&self) -> u16 {
        match self {
            TaskError::Bad(_) | TaskError::Plan(_) => 400,
            TaskError::Memory(MemoryError::NotFound { .. }) => 404,
            TaskError::Memory(MemoryError::InvalidInput(_)) => 400,
            TaskError::Memory(_) => 500,
        }
    }
}

/// One thing asked of the tasks, from the CLI, the HTTP API or a front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskCall {
    /// The waiting tasks.
    List,
    /// A new task; the user when it names none.
    Add(Box<NewTask>, String),
    /// Cancel a task.
    Cancel(i64),
    /// Make a task due now.
    RunNow(i64),
    /// Runs, of one task or all, newest first, at most `limit`.
    History(Option<i64>, usize),
}

/// Does `call` on `memory`; the JSON answer.
pub fn perform(memory: &mut Memory, call: &TaskCall, tz: &TimeZone) -> Result<Value, TaskError> {
    match call {
        TaskCall::List => list(memory, tz),
        TaskCall::Add(task, user) => add(memory, task, user, tz),
        TaskCall::Cancel(id) => cancel(memory, *id, tz),
        TaskCall::RunNow(id) => run_now(memory, *id, tz),
        TaskCall::History(task, limit) => history(memory, *task, *limit, tz),
    }
}

/// The hub's time zone: `name` (IANA), or the system's when empty (`TZ`, `/etc/localtime`;
/// UTC when neither says).
pub fn time_zone(name: &str) -> Result<TimeZone, TaskError> {
    if name.is_empty() {
        return Ok(TimeZone::system());
    }
    TimeZone::get(name).map_err(|e| TaskError::Bad(format!("time zone {name:?}: {e}")))
}

/// Stores a new task; its view.
pub fn add(
    memory: &mut Memory,
    task: &NewTask,
    default_user: &str,
    tz: &TimeZone,
) -> Result<Value, TaskError> {
    let now = Timestamp::now();
    let text = task.text.trim();
    if text.is_empty() || text.chars().count() > 1_000 {
        return Err(TaskError::Bad(
            "the task's text must be 1 to 1000 characters".into(),
        ));
    }
    let given = [&task.at, &task.after, &task.cron, &task.when];
    if given.iter().filter(|g| g.is_some()).count() != 1 {
        return Err(TaskError::Bad(
            "say exactly one of: at (a time), in (a delay), cron (a schedule), when (a device condition)".into(),
        ));
    }
    if task.hold.is_some() && task.when.is_none() {
        return Err(TaskError::Bad(
            "for (a hold time) goes with when (a condition)".into(),
        ));
    }
    let when = if let Some(at) = &task.at {
        When::At(plan::parse_at(at, now, tz)?.as_millisecond())
    } else if let Some(after) = &task.after {
        When::At(now.as_millisecond() + plan::parse_duration(after)? as i64 * 1000)
    } else if let Some(cron) = &task.cron {
        When::Cron(cron.trim().to_owned())
    } else {
        let (entity_id, state) = plan::parse_condition(task.when.as_deref().unwrap_or_default())?;
        let for_s = task
            .hold
            .as_deref()
            .map(plan::parse_duration)
            .transpose()?
            .unwrap_or(0);
        When::Trigger {
            entity_id,
            state,
            for_s,
        }
    };
    let kind = match (&when, task.reminder) {
        (_, true) => TaskKind::Reminder,
        (When::Trigger { .. }, false) => TaskKind::Triggered,
        _ => TaskKind::Scheduled,
    };
    // A reminder may be tried three times (a crash mid-run, a failed delivery); work that
    // acts on the house once.
    let max_attempts = task
        .max_attempts
        .unwrap_or(if kind == TaskKind::Reminder { 3 } else { 1 });
    if !(1..=10).contains(&max_attempts) {
        return Err(TaskError::Bad("max_attempts must be 1 to 10".into()));
    }
    let plan = Plan {
        when,
        deliver: match &task.deliver {
            Some(d) => plan::parse_deliver(d)?,
            None => Deliver::Memory,
        },
        on_interrupt: task.on_interrupt.unwrap_or(if kind == TaskKind::Reminder {
            OnInterrupt::Retry
        } else {
            OnInterrupt::Fail
        }),
        max_attempts,
    };
    plan.validate()?;
    let next = plan.first_run(now, tz).map(|t| t.as_millisecond());
    if next.is_none() && !matches!(plan.when, When::Trigger { .. }) {
        return Err(TaskError::Bad("that schedule never comes".into()));
    }
    let user = task.user.as_deref().unwrap_or(default_user);
    let id = memory.add_scheduled(kind, user, text, &plan.to_json(), next)?;
    Ok(view(&memory.scheduled(id)?, tz))
}

/// The tasks waiting (pending or running), soonest first.
pub fn list(memory: &Memory, tz: &TimeZone) -> Result<Value, TaskError> {
    let tasks = memory.scheduled_tasks()?;
    Ok(Value::Array(tasks.iter().map(|t| view(t, tz)).collect()))
}

/// Cancels a task; its view after.
pub fn cancel(memory: &mut Memory, id: i64, tz: &TimeZone) -> Result<Value, TaskError> {
    if !memory.cancel_task(id)? {
        let task = memory.scheduled(id)?;
        return Err(TaskError::Bad(format!(
            "task {id} is already {}",
            task.status
        )));
    }
    Ok(view(&memory.scheduled(id)?, tz))
}

/// Makes a pending task due now.
pub fn run_now(memory: &mut Memory, id: i64, tz: &TimeZone) -> Result<Value, TaskError> {
    memory.reschedule_task(id, Timestamp::now().as_millisecond())?;
    Ok(view(&memory.scheduled(id)?, tz))
}

/// The latest runs, of one task or all, newest first.
pub fn history(
    memory: &Memory,
    task: Option<i64>,
    limit: usize,
    tz: &TimeZone,
) -> Result<Value, TaskError> {
    if let Some(id) = task {
        memory.scheduled(id)?;
    }
    let runs = memory.task_runs(task, limit.min(MAX_HISTORY))?;
    Ok(Value::Array(runs.iter().map(|r| view(r, tz)).collect()))
}

/// A task or run as the CLI, the API and the model see it.
pub fn view(task: &Scheduled, tz: &TimeZone) -> Value {
    let local = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S %Z")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let plan = task.plan.as_deref().and_then(|p| Plan::from_json(p).ok());
    let mut v = json!({
        "id": task.id, "kind": task.kind, "user": task.user, "text": task.description,
        "status": task.status, "attempts": task.attempts, "result": task.result,
        "next_run": task.next_run.map(local), "created": local(task.created_at),
        "updated": local(task.updated_at),
    });
    if let Some(p) = plan {
        v["schedule"] = Value::String(describe(&p.when, &local));
        v["deliver"] = serde_json::to_value(&p.deliver).unwrap_or(Value::Null);
        v["on_interrupt"] = serde_json::to_value(p.on_interrupt).unwrap_or(Value::Null);
    }
    if let Some(parent) = task.parent_id {
        v["task_id"] = json!(parent);
    }
    v
}

fn describe(when: &When, local: &dyn Fn(i64) -> String) -> String {
    match when {
        When::At(ms) => format!("once at {}", local(*ms)),
        When::Cron(expr) => format!("cron {expr}"),
        When::Trigger {
            entity_id,
            state,
            for_s,
        } if *for_s > 0 => format!("when {entity_id} is {state} for {for_s} s"),
        When::Trigger {
            entity_id, state, ..
        } => format!("when {entity_id} is {state}"),
    }
}

#[cfg(test)]
mod tests;

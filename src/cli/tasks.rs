//! `mirai tasks …`: the autonomous tasks from a shell. Through the running daemon's API when
//! there is one (so its scheduler wakes at once); otherwise on the memory file directly, and
//! the daemon runs them when it starts (a task that fell due meanwhile runs then, late but
//! never dropped).

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::Value;

use super::emit;
use crate::app::{App, Remote};
use crate::autonomous::plan::OnInterrupt;
use crate::autonomous::tasks::{self, NewTask, TaskCall};

#[derive(Debug, Subcommand)]
pub(super) enum TasksCommand {
    /// The waiting tasks (pending or running), soonest first
    List,
    /// Add a task: WORDS to do (or, with --remind, to say) at a time, on a schedule or when a
    /// device condition holds
    Add {
        /// What to do, e.g. "tell me the weather and my first meeting"
        words: String,
        /// A reminder: say the words as they are (no model needed)
        #[arg(long)]
        remind: bool,
        /// Once at a time: 18:00, 2026-12-24T18:00 or an RFC 3339 instant
        #[arg(long)]
        at: Option<String>,
        /// Once after a while: 90s, 10m, 2h, 1d
        #[arg(long = "in")]
        after: Option<String>,
        /// On a cron schedule in the hub's time zone, e.g. "0 7 * * 1-5"
        #[arg(long)]
        cron: Option<String>,
        /// When a device condition holds: ENTITY=STATE, e.g. cover.garage_door=open
        #[arg(long)]
        when: Option<String>,
        /// How long the condition must hold first, e.g. 10m
        #[arg(long = "for")]
        hold: Option<String>,
        /// Where the result goes: memory, mqtt, speech:SITE or notify:SERVICE
        #[arg(long)]
        deliver: Option<String>,
        /// After a crash mid-run: retry or fail [default: retry reminders, fail the rest]
        #[arg(long, value_parser = on_interrupt)]
        on_interrupt: Option<OnInterrupt>,
        /// Failed runs of a one-shot task before it is failed (1–10)
        #[arg(long)]
        max_attempts: Option<u32>,
        /// Who it is for [default: $USER, else "owner"]
        #[arg(long)]
        user: Option<String>,
    },
    /// Cancel a task
    Cancel {
        /// Task id
        id: i64,
    },
    /// Run a pending task now
    RunNow {
        /// Task id
        id: i64,
    },
    /// The latest runs, of one task or of all
    History {
        /// Task id
        id: Option<i64>,
        /// Runs to show (1–200)
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=200))]
        limit: u64,
    },
}

fn on_interrupt(text: &str) -> Result<OnInterrupt, String> {
    match text {
        "retry" => Ok(OnInterrupt::Retry),
        "fail" => Ok(OnInterrupt::Fail),
        _ => Err(format!("expected retry or fail, got {text:?}")),
    }
}

/// Runs one `mirai tasks` command.
pub(super) fn run(app: &App, cmd: TasksCommand, json: bool) -> anyhow::Result<ExitCode> {
    let listing = matches!(cmd, TasksCommand::List | TasksCommand::History { .. });
    let call = call_of(cmd);
    let value = match Remote::find(app.config()) {
        Some(remote) => remote.tasks(&call).context("the running hub refused")?,
        None => {
            let tz = tasks::time_zone(&app.config().settings().services.autonomous.timezone)?;
            let mut memory = app.memory()?;
            tasks::perform(&mut memory, &call, &tz)?
        }
    };
    emit(json, &value, || match &value {
        Value::Array(items) if items.is_empty() && listing => "nothing\n".into(),
        Value::Array(items) => items.iter().map(line).collect(),
        one => line(one),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn call_of(cmd: TasksCommand) -> TaskCall {
    match cmd {
        TasksCommand::List => TaskCall::List,
        TasksCommand::Add {
            words,
            remind,
            at,
            after,
            cron,
            when,
            hold,
            deliver,
            on_interrupt,
            max_attempts,
            user,
        } => {
            let user = super::agent::shell_user(user);
            let task = NewTask {
                text: words,
                user: Some(user.clone()),
                reminder: remind,
                at,
                after,
                cron,
                when,
                hold,
                deliver,
                on_interrupt,
                max_attempts,
            };
            TaskCall::Add(Box::new(task), user)
        }
        TasksCommand::Cancel { id } => TaskCall::Cancel(id),
        TasksCommand::RunNow { id } => TaskCall::RunNow(id),
        TasksCommand::History { id, limit } => TaskCall::History(id, limit as usize),
    }
}

/// One task or run as a line: `#7 scheduled pending  cron 0 7 * * 1-5  next 2026-… — words`.
fn line(v: &Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
    let mut out = format!("#{} {} {}", v["id"], s("kind"), s("status"));
    if !s("schedule").is_empty() {
        out.push_str(&format!("  {}", s("schedule")));
    }
    if !s("next_run").is_empty() {
        out.push_str(&format!("  next {}", s("next_run")));
    }
    if v["kind"] == "run" {
        out.push_str(&format!("  of #{} at {}", v["task_id"], s("created")));
    }
    out.push_str(&format!(" — {}", s("text")));
    if !s("result").is_empty() {
        out.push_str(&format!("\n    → {}", s("result")));
    }
    out.push('\n');
    out
}

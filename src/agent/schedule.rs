//! The `schedule_task` tool: "remind me at 18:00 to…", "every weekday at 7:00 tell me the
//! weather", "if the garage door stays open 10 minutes, tell me". The model turns the words
//! into a time, a schedule or a condition; the task is stored like one from `mirai tasks add`,
//! and the scheduler is woken to see it.

use std::sync::{Arc, Mutex};

use jiff::tz::TimeZone;
use serde_json::{Value, json};

use crate::autonomous::tasks::{self, NewTask, TaskCall};
use crate::llm::wire::Tool;
use crate::memory::Memory;

/// The scheduler as the agent's tool sees it: the hub's time zone and how to wake it.
pub struct Scheduling {
    /// The hub's time zone.
    pub tz: TimeZone,
    /// Wakes the scheduler to look at its tasks.
    pub wake: Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Scheduling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduling")
            .field("tz", &self.tz.iana_name())
            .finish_non_exhaustive()
    }
}

/// The tool's definition.
pub fn definition() -> Tool {
    let s = || json!({"type": "string"});
    Tool::function(
        "schedule_task",
        "Schedule a reminder (reminder=true: the text is said as is) or a request to run later. Give one of: at (HH:MM or YYYY-MM-DDTHH:MM local), in (10m, 2h), cron (5 fields, local), when (entity_id=state) with optional for (10m). deliver: speech:SITE, mqtt, notify:SERVICE or memory.",
        json!({"type": "object", "required": ["text"], "properties": {
            "text": s(), "reminder": {"type": "boolean"}, "at": s(), "in": s(), "cron": s(),
            "when": s(), "for": s(), "deliver": s()
        }}),
    )
}

/// Stores the task the model described; its view, or why not, for the model.
pub(crate) fn run(
    args: &Value,
    memory: &Mutex<Memory>,
    user: &str,
    site: Option<&str>,
    scheduling: Option<&Scheduling>,
) -> Result<Value, String> {
    let mut task: NewTask =
        serde_json::from_value(args.clone()).map_err(|e| format!("bad arguments: {e}"))?;
    task.user = Some(user.to_owned());
    // Asked on a satellite, the answer comes back there unless told otherwise.
    if task.deliver.is_none() {
        task.deliver = site.map(|s| format!("speech:{s}"));
    }
    let system;
    let tz = match scheduling {
        Some(s) => &s.tz,
        None => {
            system = TimeZone::system();
            &system
        }
    };
    let call = TaskCall::Add(Box::new(task), user.to_owned());
    let view = {
        let mut memory = memory
            .lock()
            .map_err(|_| "memory is unavailable".to_owned())?;
        tasks::perform(&mut memory, &call, tz).map_err(|e| e.to_string())?
    };
    if let Some(s) = scheduling {
        (s.wake)();
    }
    Ok(json!({"result": "scheduled", "task": view}))
}

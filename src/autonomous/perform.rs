//! What running one task does: a reminder is said as written (offline), upkeep runs, anything
//! else goes through the hub as a request from the autonomous source. The scheduler decides
//! when; this decides what.

use std::sync::Mutex;

use super::plan::{Deliver, Plan};
use super::upkeep::Upkeep;
use crate::agent::{Request, Source};
use crate::frontends::hub::Hub;
use crate::memory::{Memory, Scheduled, TaskKind};

/// Does the task: (went well, what to tell, model tokens).
pub(super) fn perform(
    hub: &dyn Hub,
    memory: &Mutex<Memory>,
    upkeep: Option<&Upkeep>,
    task: &Scheduled,
    plan: &Plan,
) -> (bool, String, u64) {
    match task.kind {
        TaskKind::Reminder => (true, reminder_text(&task.description), 0),
        TaskKind::Upkeep => match upkeep {
            Some(upkeep) => {
                let mut memory = memory.lock().unwrap_or_else(|p| p.into_inner());
                match upkeep.run(&mut memory) {
                    Ok(summary) => (true, summary, 0),
                    Err(e) => (false, e, 0),
                }
            }
            None => (false, "upkeep is switched off".into(), 0),
        },
        _ => {
            let mut request = Request::new(
                task.description.clone(),
                Source::Autonomous,
                &task.user,
                &session_for(task, plan),
            );
            if let Deliver::Speech(site) = &plan.deliver {
                request.site = Some(site.clone());
            }
            let reply = hub.respond(request);
            let tokens = reply.usage.total_tokens;
            if !reply.pending_confirmation.is_empty() {
                // Never unattended: the agent holds the action and asks; the question is
                // delivered, and a "yes" in the same session confirms it.
                return (true, reply.text, tokens);
            }
            let ok = reply.blocked.is_none() && reply.via != "offline";
            (ok, reply.text, tokens)
        }
    }
}

/// The session a task's turns belong to: a satellite's own session when it speaks there (so
/// a spoken "yes" confirms what it asks), else one per task.
pub(super) fn session_for(task: &Scheduled, plan: &Plan) -> String {
    match &plan.deliver {
        Deliver::Speech(site) => format!("mqtt-{site}"),
        _ => format!("task-{}", task.id),
    }
}

/// What a reminder says, in the language it was written in.
fn reminder_text(words: &str) -> String {
    let cyrillic = words
        .chars()
        .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
    if cyrillic {
        format!("Напоминание: {words}")
    } else {
        format!("Reminder: {words}")
    }
}

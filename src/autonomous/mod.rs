//! The autonomous service: tasks that run on their own — reminders, scheduled requests
//! ("every weekday at 7:00 tell me the weather"), device triggers ("if the garage door stays
//! open 10 minutes, tell me") and the hub's upkeep — kept in memory, run by [`Scheduler`]
//! through the same agent, safety gate and memory as any request.
//!
//! # Layout
//!
//! - `cron`: cron expressions and their next time in a time zone; pure.
//! - `plan`: a task's plan (when, delivery, interruption policy) and the forms people write.
//! - `trigger`: device conditions held for a while; pure.
//! - `deliver`: results out to speech, MQTT, Home Assistant notify, or memory.
//! - `perform`: what running one task does (say it, upkeep, or a request to the agent).
//! - `upkeep`: retention cleanup and backups.
//! - `scheduler`: the thread that runs what is due.
//! - `tasks`: adding, listing, cancelling and running tasks, shared by the CLI, the HTTP API
//!   and the agent's tool.

pub mod cron;
mod deliver;
mod perform;
pub mod plan;
mod scheduler;
pub mod tasks;
mod trigger;
mod upkeep;

pub use deliver::Outlets;
pub use scheduler::{Scheduler, SchedulerSettings, SchedulerStatus};
pub use upkeep::Upkeep;

//! A task's plan: when it runs (a time, a cron schedule, or a device condition held for a
//! while), where its result goes, and what happens when the hub dies during a run. Stored as
//! JSON in `tasks_history.plan`; pure.

use jiff::Timestamp;
use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::cron::Cron;

/// When a task runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum When {
    /// Once, at this instant (Unix milliseconds).
    At(i64),
    /// On a cron schedule in the hub's time zone.
    Cron(String),
    /// Whenever `entity_id`'s state has been `state` for `for_s` seconds (once per stretch).
    Trigger {
        /// The entity watched.
        entity_id: String,
        /// The state that counts.
        state: String,
        /// Seconds it must hold.
        #[serde(default)]
        for_s: u64,
    },
}

/// Where a task's result goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Deliver {
    /// Only into memory (the task's history).
    #[default]
    Memory,
    /// The hub's MQTT reply topic.
    Mqtt,
    /// Spoken on a satellite (Hermes `tts/say` on this site).
    Speech(String),
    /// A Home Assistant notify service (`mobile_app_anns_phone`).
    Notify(String),
}

/// What becomes of a task the hub died running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnInterrupt {
    /// Run it again (reminders: saying twice beats never).
    Retry,
    /// Mark it failed: it may have acted already.
    #[default]
    Fail,
}

/// Everything the scheduler needs besides the words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// When it runs.
    pub when: When,
    /// Where the result goes.
    #[serde(default)]
    pub deliver: Deliver,
    /// After a crash mid-run.
    #[serde(default)]
    pub on_interrupt: OnInterrupt,
    /// Runs that may fail in a row before a one-shot task is failed (recurring tasks wait for
    /// their next time instead).
    #[serde(default = "one")]
    pub max_attempts: u32,
}

fn one() -> u32 {
    1
}

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A time that cannot be read.
    #[error("cannot read the time {0:?}: use HH:MM, YYYY-MM-DDTHH:MM or an RFC 3339 instant")]
    Time(String),
    /// A duration that cannot be read.
    #[error("cannot read the duration {0:?}: use e.g. 90s, 10m, 2h or 1d")]
    Duration(String),
    /// A trigger that cannot be read.
    #[error("cannot read the condition {0:?}: use ENTITY=STATE, e.g. cover.garage_door=open")]
    Condition(String),
    /// A delivery that cannot be read.
    #[error("cannot read the delivery {0:?}: use memory, mqtt, speech:SITE or notify:SERVICE")]
    Deliver(String),
    /// A bad cron expression.
    #[error(transparent)]
    Cron(#[from] super::cron::CronError),
    /// A one-shot time already past.
    #[error("{0} has already passed")]
    Past(String),
    /// A stored plan that is not valid JSON for a plan.
    #[error("the stored plan cannot be read: {0}")]
    Stored(String),
}

impl Plan {
    /// A plan running `when`, delivered to memory, failed when interrupted.
    pub fn new(when: When) -> Plan {
        Plan {
            when,
            deliver: Deliver::Memory,
            on_interrupt: OnInterrupt::Fail,
            max_attempts: 1,
        }
    }

    /// The plan stored as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored plan.
    pub fn from_json(text: &str) -> Result<Plan, PlanError> {
        serde_json::from_str(text).map_err(|e| PlanError::Stored(e.to_string()))
    }

    /// Checks what can be checked before storing (a cron expression parses).
    pub fn validate(&self) -> Result<(), PlanError> {
        if let When::Cron(expr) = &self.when {
            Cron::parse(expr)?;
        }
        Ok(())
    }

    /// The first run strictly after `now`, if the plan has one in time (triggers do not).
    pub fn next_after(&self, now: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        match &self.when {
            When::At(ms) => Timestamp::from_millisecond(*ms).ok().filter(|t| *t > now),
            When::Cron(expr) => Cron::parse(expr).ok()?.next_after(now, tz),
            When::Trigger { .. } => None,
        }
    }

    /// The first run at or after `now`, for a new task: a one-shot time is kept as it is.
    pub fn first_run(&self, now: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        match &self.when {
            When::At(ms) => Timestamp::from_millisecond(*ms).ok(),
            _ => self.next_after(now, tz),
        }
    }
}

/// A one-shot time as people write it: `18:00` (the next 18:00), `2026-12-24T18:00` (local),
/// or an RFC 3339 instant; `in` forms go through [`parse_in`].
pub fn parse_at(text: &str, now: Timestamp, tz: &TimeZone) -> Result<Timestamp, PlanError> {
    let text = text.trim();
    let bad = || PlanError::Time(text.to_owned());
    if let Ok(t) = text.parse::<Timestamp>() {
        return future(t, now, text);
    }
    if let Ok(dt) = text.parse::<DateTime>() {
        let t = tz
            .to_ambiguous_timestamp(dt)
            .compatible()
            .map_err(|_| bad())?;
        return future(t, now, text);
    }
    let time = text.parse::<Time>().map_err(|_| bad())?;
    let today = tz.to_datetime(now).date();
    for date in [Some(today), today.tomorrow().ok()].into_iter().flatten() {
        let t = tz
            .to_ambiguous_timestamp(date.to_datetime(time))
            .compatible()
            .map_err(|_| bad())?;
        if t > now {
            return Ok(t);
        }
    }
    Err(bad())
}

fn future(t: Timestamp, now: Timestamp, text: &str) -> Result<Timestamp, PlanError> {
    if t > now {
        Ok(t)
    } else {
        Err(PlanError::Past(text.to_owned()))
    }
}

/// A duration as people write it: `90s`, `10m`, `2h`, `1d` (or a bare number of minutes).
pub fn parse_duration(text: &str) -> Result<u64, PlanError> {
    let t = text.trim();
    let bad = || PlanError::Duration(text.to_owned());
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor = match unit.trim() {
        "" | "m" | "min" => 60,
        "s" | "sec" => 1,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(factor)
        .filter(|s| *s <= 366 * 86_400)
        .ok_or_else(bad)
}

/// `cover.garage_door=open` → the entity and the state.
pub fn parse_condition(text: &str) -> Result<(String, String), PlanError> {
    let bad = || PlanError::Condition(text.to_owned());
    let (entity, state) = text.split_once('=').ok_or_else(bad)?;
    let (entity, state) = (entity.trim(), state.trim());
    let valid_id = entity.split_once('.').is_some_and(|(d, o)| {
        !d.is_empty()
            && !o.is_empty()
            && entity
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    });
    if !valid_id || state.is_empty() {
        return Err(bad());
    }
    Ok((entity.to_owned(), state.to_owned()))
}

/// `memory`, `mqtt`, `speech:kitchen`, `notify:mobile_app_ann`.
pub fn parse_deliver(text: &str) -> Result<Deliver, PlanError> {
    let bad = || PlanError::Deliver(text.to_owned());
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
    };
    match text.trim().split_once(':') {
        None if text.trim() == "memory" => Ok(Deliver::Memory),
        None if text.trim() == "mqtt" => Ok(Deliver::Mqtt),
        Some(("speech", site)) if name_ok(site) => Ok(Deliver::Speech(site.to_owned())),
        Some(("notify", service)) if name_ok(service) => Ok(Deliver::Notify(service.to_owned())),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests;

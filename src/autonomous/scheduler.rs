//! [`Scheduler`]: the autonomous service. A thread of its own wakes at the next task's time (or
//! every `interval_minutes`, or when told a task changed), looks at the triggers' devices,
//! and runs what is due, one task at a time: reminders are said as they are, upkeep keeps the
//! memory trim and backed up, everything else goes through the agent (safety gate, memory,
//! models) as a request from the autonomous source. Results are delivered as the task says.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::deliver::Outlets;
use super::perform::{perform, session_for};
use super::plan::{OnInterrupt, Plan, When};
use super::trigger::Watch;
use super::upkeep::Upkeep;
use crate::agent::Agent;
use crate::clock::now_ms;
use crate::frontends::hub::Hub;
use crate::memory::{Memory, Recovered, RunEnd, Scheduled, TaskKind};

/// How often triggers look at their devices while any trigger exists.
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// The longest sleep: tasks written by another process are seen within it, and a wall clock
/// set late (a board without a real-time clock syncing after boot) cannot make it oversleep.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How soon tasks held for a disconnected outlet are looked at again.
const OUTLET_RETRY: Duration = Duration::from_secs(1);
/// The pause before a failed one-shot task is tried again, times its attempts.
const RETRY_PAUSE_MS: i64 = 60_000;

/// What the scheduler needs from the config.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// The longest sleep between rounds.
    pub interval: Duration,
    /// Model tokens autonomous work may use per UTC day; `None`: no cap.
    pub daily_tokens: Option<u64>,
    /// The hub's time zone, for cron schedules.
    pub tz: TimeZone,
    /// The upkeep job, when on.
    pub upkeep: Option<Upkeep>,
}

/// The scheduler as the status page shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SchedulerStatus {
    /// False while the autonomous switch is off: nothing runs.
    pub enabled: bool,
    /// The task running now.
    pub running: Option<i64>,
    /// Why due tasks wait (the budget is spent), if they do.
    pub waiting: Option<String>,
    /// Unix milliseconds of the next timed run.
    pub next_run: Option<i64>,
    /// Runs today (UTC).
    pub runs_today: u64,
    /// Model tokens autonomous work used today (UTC).
    pub tokens_today: u64,
    /// Tasks waiting to run (pending or running).
    pub tasks: usize,
}

struct State {
    stop: bool,
    woken: bool,
    status: SchedulerStatus,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The running scheduler; stops (finishing the task in hand) when dropped or told to.
pub struct Scheduler {
    shared: Arc<Shared>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Scheduler {
    /// Starts the scheduler's thread. `hub` answers the tasks' requests (so they count on
    /// the status page like any other); `agent` gives the memory and the devices.
    pub fn start(
        hub: Arc<dyn Hub>,
        agent: Arc<Agent>,
        outlets: Outlets,
        settings: SchedulerSettings,
        enabled: bool,
    ) -> std::io::Result<Scheduler> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                stop: false,
                woken: false,
                status: SchedulerStatus {
                    enabled,
                    ..SchedulerStatus::default()
                },
            }),
            wake: Condvar::new(),
        });
        let worker = Worker {
            shared: shared.clone(),
            hub,
            agent,
            outlets,
            settings,
            watch: Watch::new(),
        };
        let thread = std::thread::Builder::new()
            .name("mirai-scheduler".into())
            .spawn(move || worker.run())?;
        Ok(Scheduler {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Looks again at once: a task was added, changed or asked to run now.
    pub fn wake(&self) {
        self.shared.lock().woken = true;
        self.shared.wake.notify_all();
    }

    /// Switches autonomous work on or off (Home Assistant's switch); off, nothing runs.
    pub fn set_enabled(&self, on: bool) {
        self.shared.lock().status.enabled = on;
        self.wake();
    }

    /// What it is doing.
    pub fn status(&self) -> SchedulerStatus {
        self.shared.lock().status.clone()
    }

    /// Stops after the task in hand (waits for it).
    pub fn stop(&self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Worker {
    shared: Arc<Shared>,
    hub: Arc<dyn Hub>,
    agent: Arc<Agent>,
    outlets: Outlets,
    settings: SchedulerSettings,
    watch: Watch,
}

impl Worker {
    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.agent
            .memory()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn run(mut self) {
        self.recover();
        if let Some(upkeep) = &self.settings.upkeep {
            if let Err(e) = upkeep.ensure_task(&mut self.memory(), &self.settings.tz) {
                tracing::error!(cause = %e, "cannot schedule the upkeep task");
            }
        }
        loop {
            let enabled = {
                let state = self.shared.lock();
                if state.stop {
                    return;
                }
                state.status.enabled
            };
            let wait = self.round(enabled).min(MAX_SLEEP);
            let mut state = self.shared.lock();
            if !state.woken && !state.stop {
                state = (self.shared.wake)
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            state.woken = false;
        }
    }

    /// Tasks found running at start were interrupted: retried or failed by their policy.
    fn recover(&self) {
        let recovered = self.memory().recover_interrupted(|task| {
            let plan = task.plan.as_deref().and_then(|p| Plan::from_json(p).ok());
            task.kind == TaskKind::Upkeep
                || plan.is_some_and(|p| {
                    p.on_interrupt == OnInterrupt::Retry
                        && task.attempts < i64::from(p.max_attempts)
                })
        });
        match recovered {
            Ok(list) => {
                for r in list {
                    match r {
                        Recovered::Retried(id) => {
                            tracing::warn!(task = id, "interrupted task runs again")
                        }
                        Recovered::Failed(id) => {
                            tracing::warn!(task = id, "interrupted task marked failed")
                        }
                    }
                }
            }
            Err(e) => tracing::error!(cause = %e, "cannot recover interrupted tasks"),
        }
    }

    /// One round: triggers, then every due task (upkeep alone while switched off); returns
    /// how long to sleep.
    fn round(&mut self, enabled: bool) -> Duration {
        let now = now_ms();
        let tasks = self.memory().scheduled_tasks().unwrap_or_else(|e| {
            tracing::error!(cause = %e, "cannot read the scheduled tasks");
            Vec::new()
        });
        let mut next_look = None;
        if enabled {
            self.look(&tasks, now, &mut next_look);
        }
        let due = self.memory().due_tasks(now).unwrap_or_default();
        let due = due
            .into_iter()
            .filter(|t| enabled || t.kind == TaskKind::Upkeep);
        let mut waiting = None;
        let mut held = false;
        for task in due {
            if self.shared.lock().stop {
                break;
            }
            // A result for a satellite waits for the broker (at start, or while it is away)
            // rather than being lost; the task stays due.
            if let Some(why) = self.outlet_away(&task) {
                held = true;
                waiting = Some(why);
                continue;
            }
            if task.kind != TaskKind::Reminder && task.kind != TaskKind::Upkeep {
                if let Some(why) = self.budget_spent() {
                    self.shared.lock().status.waiting = Some(why.clone());
                    waiting = Some(why);
                    continue;
                }
            }
            self.run_task(&task);
        }
        // Tasks already due but held (budget, a disconnected outlet) do not set the sleep:
        // the next one still to come does, or the interval.
        let now = now_ms();
        let next_due = self.memory().next_due(now).ok().flatten();
        self.update_status(waiting, next_due);
        let mut wait = self.settings.interval;
        // Switched off, tasks are not run: only the cap wakes it (upkeep within a minute).
        if let Some(at) = next_due.filter(|_| enabled) {
            wait = wait.min(Duration::from_millis((at - now).max(0) as u64));
        }
        if let Some(look) = next_look {
            wait = wait.min(look);
        }
        if held {
            wait = wait.min(OUTLET_RETRY);
        }
        wait
    }

    /// Why `task`'s result cannot go out now: its outlet exists but is not connected.
    fn outlet_away(&self, task: &Scheduled) -> Option<String> {
        let plan = Plan::from_json(task.plan.as_deref()?).ok()?;
        self.outlets.away(&plan.deliver)
    }

    /// Looks at each trigger's entity; a condition held long enough makes its task due now.
    fn look(&mut self, tasks: &[Scheduled], now: i64, next_look: &mut Option<Duration>) {
        let mut alive = Vec::new();
        for task in tasks {
            let Some(Plan {
                when:
                    When::Trigger {
                        entity_id,
                        state,
                        for_s,
                    },
                ..
            }) = task.plan.as_deref().and_then(|p| Plan::from_json(p).ok())
            else {
                continue;
            };
            alive.push(task.id);
            *next_look = Some(LOOK_EVERY);
            let holds = (self.agent.registry().entity(&entity_id))
                .is_some_and(|e| e.state.eq_ignore_ascii_case(&state));
            let hold_ms = (for_s as i64).saturating_mul(1000);
            if self.watch.observe(task.id, holds, now, hold_ms) {
                tracing::info!(task = task.id, entity = %entity_id, %state, "trigger held: task due");
                if let Err(e) = self.memory().reschedule_task(task.id, now) {
                    tracing::warn!(cause = %e, task = task.id, "cannot make the triggered task due");
                }
            } else if let Some(at) = self.watch.due(task.id, hold_ms) {
                let left = Duration::from_millis((at - now).max(0) as u64);
                *next_look = Some(left.min(LOOK_EVERY));
            }
        }
        self.watch.retain(|id| alive.contains(&id));
    }

    /// "spent: …" when the autonomous budget for today is used up.
    fn budget_spent(&self) -> Option<String> {
        let cap = self.settings.daily_tokens?;
        let day = crate::llm::budget::utc_day(std::time::SystemTime::now());
        let (_, tokens) = self.memory().autonomous_usage(&day).ok()?;
        (tokens >= cap).then(|| {
            format!("the daily autonomous token budget is spent ({tokens} of {cap} tokens); tasks wait for tomorrow (UTC)")
        })
    }

    fn update_status(&self, waiting: Option<String>, next_run: Option<i64>) {
        let day = crate::llm::budget::utc_day(std::time::SystemTime::now());
        let (runs, tokens) = self.memory().autonomous_usage(&day).unwrap_or((0, 0));
        let tasks = self
            .memory()
            .scheduled_tasks()
            .map(|t| t.len())
            .unwrap_or(0);
        let mut state = self.shared.lock();
        state.status.waiting = waiting;
        state.status.next_run = next_run;
        state.status.runs_today = runs;
        state.status.tokens_today = tokens;
        state.status.tasks = tasks;
    }

    /// Claims and runs one due task, delivers its result and records the run.
    fn run_task(&mut self, task: &Scheduled) {
        let run = match self.memory().claim_task(task.id) {
            Ok(Some(run)) => run,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(cause = %e, task = task.id, "cannot start the task");
                return;
            }
        };
        self.shared.lock().status.running = Some(task.id);
        let plan = task.plan.as_deref().map(Plan::from_json);
        let (ok, text, tokens, plan) = match plan {
            Some(Ok(plan)) => {
                let upkeep = self.settings.upkeep.as_ref();
                let (ok, text, tokens) =
                    perform(self.hub.as_ref(), self.agent.memory(), upkeep, task, &plan);
                (ok, text, tokens, Some(plan))
            }
            Some(Err(e)) => (false, e.to_string(), 0, None),
            None => (false, "the task has no plan".to_owned(), 0, None),
        };
        let mut result = text.clone();
        if let Some(plan) = &plan {
            let session = session_for(task, plan);
            if let Err(why) = self
                .outlets
                .deliver(&plan.deliver, task.id, &session, &text)
            {
                tracing::warn!(task = task.id, cause = %why, "task result not delivered");
                result = format!("{text} (not delivered: {why})");
            }
        }
        let next_run = plan.as_ref().and_then(|p| self.next_run(task, p, ok));
        let recurring = plan
            .as_ref()
            .is_some_and(|p| !matches!(p.when, When::At(_)));
        let end = RunEnd {
            ok,
            result: &result,
            next_run,
            recurring,
            tokens,
        };
        let day = crate::llm::budget::utc_day(std::time::SystemTime::now());
        if let Err(e) = self.memory().finish_run(task.id, run, &end, &day) {
            tracing::error!(cause = %e, task = task.id, "cannot record the task's run");
        }
        tracing::info!(task = task.id, run, ok, "task ran");
        self.shared.lock().status.running = None;
    }

    /// When the task runs next: its schedule, or a retry soon for a failed one-shot task
    /// with attempts left.
    fn next_run(&self, task: &Scheduled, plan: &Plan, ok: bool) -> Option<i64> {
        let now = Timestamp::now();
        match &plan.when {
            When::At(_) if !ok && task.attempts + 1 < i64::from(plan.max_attempts) => {
                Some(now.as_millisecond() + RETRY_PAUSE_MS * (task.attempts + 1))
            }
            When::At(_) | When::Trigger { .. } => None,
            When::Cron(_) => plan
                .next_after(now, &self.settings.tz)
                .map(|t| t.as_millisecond()),
        }
    }
}

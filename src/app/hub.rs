//! The daemon's hub: the agent behind the MQTT and HTTP front ends, with the counters and the
//! recent requests the status page and `/metrics` show.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::metrics::Metrics;
use jiff::tz::TimeZone;

use crate::agent::{ActionReport, Agent, Reply, Request};
use crate::autonomous::Scheduler;
use crate::autonomous::tasks::{self, TaskCall, TaskError};
use crate::devices::gpio::HubLight;
use crate::devices::home_assistant::Events;
use crate::devices::zigbee::ZigbeeBackend;
use crate::devices::zigbee2mqtt::Zigbee2Mqtt;
use crate::devices::zwave::ZwaveBackend;
use crate::devices::{Changes, Entity, ServiceCall};
use crate::frontends::hub::{Autonomous, Hub};
use crate::frontends::mqtt::MqttState;
use crate::llm::breaker::BreakerState;

/// Recent requests kept for the status page.
const RECENT: usize = 20;
/// Characters of a request's text shown on the status page.
const RECENT_TEXT_CHARS: usize = 60;
/// Messages of a session shown by the API.
const SESSION_MESSAGES: usize = 200;
/// Latest reply times the p95 is taken over: enough for a stable figure, little to sort.
const LATENCY_WINDOW: usize = 200;

/// A function that tells a service's state in a word or two ("connected", "listening on …").
pub type ServiceState = Arc<dyn Fn() -> String + Send + Sync>;

/// One request as the status page lists it.
#[derive(Debug, Clone, serde::Serialize)]
struct Recent {
    at: String,
    source: String,
    text: String,
    via: String,
    session: String,
    user: String,
    duration_ms: u64,
    outcome: String,
}

/// The agent, plus what the daemon counts about it.
pub struct AgentHub {
    agent: Arc<Agent>,
    started: Instant,
    ready: AtomicBool,
    recent: Mutex<VecDeque<Recent>>,
    latencies: Mutex<VecDeque<Duration>>,
    metrics: Metrics,
    services: Mutex<Vec<(String, ServiceState)>>,
    events: OnceLock<Events>,
    scheduler: OnceLock<Arc<Scheduler>>,
    tz: TimeZone,
    zwave: OnceLock<Arc<ZwaveBackend>>,
    z2m: OnceLock<Arc<Zigbee2Mqtt>>,
    zigbee: OnceLock<Arc<ZigbeeBackend>>,
    busy: AtomicUsize,
    activity: tokio::sync::watch::Sender<u64>,
}

impl AgentHub {
    /// A hub over `agent`; not ready until [`AgentHub::set_ready`].
    pub fn new(agent: Arc<Agent>) -> Self {
        let started = Instant::now();
        let database = (agent.memory().lock().unwrap_or_else(|p| p.into_inner()))
            .path()
            .to_owned();
        AgentHub {
            metrics: Metrics::new(agent.llm().clone(), database, started),
            agent,
            started,
            ready: AtomicBool::new(false),
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
            latencies: Mutex::new(VecDeque::with_capacity(LATENCY_WINDOW)),
            services: Mutex::new(Vec::new()),
            events: OnceLock::new(),
            scheduler: OnceLock::new(),
            tz: TimeZone::UTC,
            zwave: OnceLock::new(),
            z2m: OnceLock::new(),
            zigbee: OnceLock::new(),
            busy: AtomicUsize::new(0),
            activity: tokio::sync::watch::Sender::new(0),
        }
    }

    /// The hub's time zone, for the tasks' schedules.
    pub fn with_time_zone(mut self, tz: TimeZone) -> Self {
        self.tz = tz;
        self
    }

    /// The agent behind the hub.
    pub fn agent(&self) -> &Arc<Agent> {
        &self.agent
    }

    /// Runs autonomous tasks with `scheduler` (woken when tasks change).
    pub fn set_scheduler(&self, scheduler: Arc<Scheduler>) {
        let weak = Arc::downgrade(&scheduler);
        self.agent
            .set_scheduling(crate::agent::schedule::Scheduling {
                tz: self.tz.clone(),
                wake: Arc::new(move || {
                    if let Some(s) = weak.upgrade() {
                        s.wake();
                    }
                }),
            });
        let _ = self.scheduler.set(scheduler);
    }

    /// Marks every enabled service up.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
        self.activity.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Adds a service to the status page, with a function that tells its state.
    pub fn add_service(&self, name: &str, state: ServiceState) {
        self.services
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((name.to_owned(), state));
    }

    /// The Zigbee2MQTT back end the API's `/api/zigbee2mqtt/…` routes reach.
    pub fn set_zigbee2mqtt(&self, z2m: Arc<Zigbee2Mqtt>) {
        let _ = self.z2m.set(z2m);
    }

    /// Fires Home Assistant events (`mirai_reply`, `mirai_action`, `mirai_blocked`) after
    /// each answer.
    pub fn set_events(&self, events: Events) {
        let _ = self.events.set(events);
    }

    /// The Zigbee stick the API's `/api/zigbee/…` routes reach.
    pub fn set_zigbee(&self, zigbee: Arc<ZigbeeBackend>) {
        let _ = self.zigbee.set(zigbee);
    }

    /// The Z-Wave stick the API's `/api/zwave/…` routes reach.
    pub fn set_zwave(&self, zwave: Arc<ZwaveBackend>) {
        let _ = self.zwave.set(zwave);
    }

    /// Shows the MQTT front end's counters in the metrics.
    pub(crate) fn set_mqtt(&self, state: Arc<MqttState>) {
        self.metrics.set_mqtt(state);
    }

    /// What the status LED shows: an error while a model breaker is open, thinking while a
    /// request is answered or the hub is starting, idle otherwise.
    pub fn light(&self) -> HubLight {
        let open = (self.agent.llm().breakers().iter())
            .any(|(_, s)| !matches!(s, BreakerState::Closed { .. }));
        if open {
            HubLight::Error
        } else if self.busy.load(Ordering::SeqCst) > 0 || !self.ready() {
            HubLight::Thinking
        } else {
            HubLight::Idle
        }
    }

    /// Changes whenever a request starts or ends (and when the hub becomes ready).
    pub fn activity(&self) -> tokio::sync::watch::Receiver<u64> {
        self.activity.subscribe()
    }

    /// Counts `f` as a request in progress, for the LED.
    fn busy_with<T>(&self, f: impl FnOnce() -> T) -> T {
        self.busy.fetch_add(1, Ordering::SeqCst);
        self.activity.send_modify(|n| *n = n.wrapping_add(1));
        let out = f();
        self.busy.fetch_sub(1, Ordering::SeqCst);
        self.activity.send_modify(|n| *n = n.wrapping_add(1));
        out
    }

    fn note(&self, request: &Request, reply: &Reply, took: Duration) {
        let source = serde_json::to_value(request.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.metrics.record(&source, &reply.via, took);
        if let Some(events) = self.events.get() {
            events.after(request, reply);
        }
        let mut latencies = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
        if latencies.len() == LATENCY_WINDOW {
            latencies.pop_front();
        }
        latencies.push_back(took);
        drop(latencies);
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(Recent {
            at: crate::clock::rfc3339_ms(crate::clock::now_ms()),
            source,
            text: request.text.chars().take(RECENT_TEXT_CHARS).collect(),
            via: reply.via.clone(),
            session: request.session.clone(),
            user: request.user.clone(),
            duration_ms: took.as_millis() as u64,
            outcome: if reply.blocked.is_some() {
                "blocked".into()
            } else {
                "answered".into()
            },
        });
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, crate::memory::Memory> {
        self.agent
            .memory()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The 95th percentile of the latest reply times, in milliseconds; `None` before the first.
    fn latency_p95_ms(&self) -> Option<u64> {
        let mut sorted: Vec<Duration> = (self.latencies.lock())
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect();
        sorted.sort_unstable();
        // Nearest rank: the smallest time at or above 95% of the samples.
        let rank = (sorted.len() * 95).div_ceil(100);
        let p95 = sorted.get(rank.checked_sub(1)?)?;
        Some(p95.as_millis() as u64)
    }

    /// Whether the model can be used: a key (or a local server) and no open breaker.
    fn model_reachable(&self) -> bool {
        let llm = self.agent.llm();
        let open = llm
            .breakers()
            .iter()
            .any(|(_, s)| !matches!(s, BreakerState::Closed { .. }));
        llm.configured() && !open
    }

    /// "closed", or each endpoint that is not: "cloud /chat/completions: open".
    fn breaker_summary(&self) -> String {
        let troubled: Vec<String> = self
            .agent
            .llm()
            .breakers()
            .iter()
            .filter_map(|(name, state)| match state {
                BreakerState::Closed { .. } => None,
                BreakerState::Open { .. } => Some(format!("{name}: open")),
                BreakerState::HalfOpen { .. } => Some(format!("{name}: half-open")),
            })
            .collect();
        if troubled.is_empty() {
            "closed".into()
        } else {
            troubled.join(", ")
        }
    }
}

impl Hub for AgentHub {
    fn device_feeds(&self) -> Vec<(String, tokio::sync::watch::Receiver<Changes>)> {
        self.agent.registry().change_feeds()
    }

    fn respond(&self, request: Request) -> Reply {
        let start = Instant::now();
        let reply = self.busy_with(|| self.agent.handle(&request));
        self.note(&request, &reply, start.elapsed());
        reply
    }

    fn respond_streaming(&self, request: Request, on_sentence: &mut dyn FnMut(&str)) -> Reply {
        let start = Instant::now();
        let reply = self.busy_with(|| self.agent.handle_streaming(&request, on_sentence));
        self.note(&request, &reply, start.elapsed());
        reply
    }

    fn status(&self) -> Value {
        let services: Vec<Value> = self
            .services
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(name, state)| json!({"name": name, "state": state()}))
            .collect();
        let mqtt_connected = services
            .iter()
            .find(|s| s["name"] == "mqtt")
            .map(|s| s["state"] == "connected");
        let today = self.agent.llm().usage_today().ok();
        let recent: Vec<Recent> = self
            .recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        let build = crate::telemetry::version::BuildInfo::current();
        let stats = self.memory().stats().ok();
        let memory = stats.map(|s| json!({"messages": s.messages, "knowledge": s.knowledge, "preferences": s.preferences}));
        json!({
            "name": "MIRAI", "version": build.version, "codename": build.codename,
            "uptime_secs": self.started.elapsed().as_secs(), "ready": self.ready(),
            "services": services,
            "model": {"reachable": self.model_reachable(), "breaker": self.breaker_summary()},
            "mqtt": {"connected": mqtt_connected},
            "today": {"tokens": today.as_ref().map(|t| t.tokens), "cost_usd": today.as_ref().map(|t| t.cost_usd)},
            "latency_p95_ms": self.latency_p95_ms(),
            "memory": memory,
            "autonomous": self.scheduler.get().map(|s| s.status()),
            "recent_requests": recent,
        })
    }

    fn devices(&self) -> Vec<Entity> {
        self.agent.registry().entities()
    }

    fn session(&self, id: &str) -> Option<Vec<(String, String)>> {
        let memory = self
            .agent
            .memory()
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if !memory.has_session(id).ok()? {
            return None;
        }
        let messages = memory
            .get_session_history(id, Some(SESSION_MESSAGES))
            .ok()?;
        Some(
            messages
                .into_iter()
                .map(|m| (m.role.as_str().to_owned(), m.content))
                .collect(),
        )
    }

    fn metrics(&self) -> String {
        self.metrics.encode()
    }

    fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    fn prefs(&self, user: &str) -> Vec<(String, String)> {
        self.memory()
            .get_preferences(user)
            .unwrap_or_default()
            .into_iter()
            .collect()
    }

    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String> {
        self.memory()
            .save_preference(user, key, value)
            .map_err(|e| e.to_string())
    }

    fn forget(&self, user: &str, key: &str) -> Result<bool, String> {
        self.memory()
            .delete_preference(user, key)
            .map_err(|e| e.to_string())
    }

    fn tasks(&self, call: TaskCall) -> Result<Value, TaskError> {
        let changes = !matches!(call, TaskCall::List | TaskCall::History(..));
        let answer = tasks::perform(&mut self.memory(), &call, &self.tz)?;
        if changes {
            if let Some(s) = self.scheduler.get() {
                s.wake();
            }
        }
        Ok(answer)
    }

    fn autonomous(&self, command: Autonomous) -> bool {
        let Some(s) = self.scheduler.get() else {
            return false;
        };
        match command {
            Autonomous::On => s.set_enabled(true),
            Autonomous::Off => s.set_enabled(false),
            Autonomous::RunRound => s.wake(),
        }
        true
    }

    fn act(&self, request: Request, call: ServiceCall) -> Option<ActionReport> {
        Some(self.agent.act(&request, &call))
    }

    fn zwave(&self) -> Option<Arc<ZwaveBackend>> {
        self.zwave.get().cloned()
    }

    fn zigbee2mqtt(&self) -> Option<Arc<Zigbee2Mqtt>> {
        self.z2m.get().cloned()
    }

    fn zigbee(&self) -> Option<Arc<ZigbeeBackend>> {
        self.zigbee.get().cloned()
    }

    fn facts(&self, user: &str) -> Result<Vec<crate::memory::Fact>, String> {
        self.memory().facts(user).map_err(|e| e.to_string())
    }

    fn correct_fact(&self, user: &str, id: i64, text: &str) -> Result<bool, String> {
        let mut memory = self.memory();
        match memory.fact(id) {
            Ok(fact) if fact.user == user => memory
                .set_fact(id, text)
                .map(|()| true)
                .map_err(|e| e.to_string()),
            Ok(_) | Err(crate::memory::MemoryError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }

    fn forget_fact(&self, user: &str, id: i64) -> Result<bool, String> {
        let mut memory = self.memory();
        match memory.fact(id) {
            Ok(fact) if fact.user == user => memory
                .forget_fact(id)
                .map(|()| true)
                .map_err(|e| e.to_string()),
            Ok(_) | Err(crate::memory::MemoryError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }
}

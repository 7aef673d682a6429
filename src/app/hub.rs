//! The daemon's hub: the agent behind the MQTT and HTTP front ends, with the counters and the
//! recent requests the status page and `/metrics` show.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};

use crate::agent::{Agent, Reply, Request};
use crate::devices::Entity;
use crate::frontends::hub::Hub;
use crate::llm::breaker::BreakerState;

/// Recent requests kept for the status page.
const RECENT: usize = 20;
/// Characters of a request's text shown on the status page.
const RECENT_TEXT_CHARS: usize = 60;
/// Messages of a session shown by the API.
const SESSION_MESSAGES: usize = 200;
/// Upper bounds of the reply-latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 8] = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0, 60.0];

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
    counts: Mutex<std::collections::BTreeMap<(String, String), u64>>,
    latency: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_sum_us: AtomicU64,
    services: Mutex<Vec<(String, ServiceState)>>,
}

impl AgentHub {
    /// A hub over `agent`; not ready until [`AgentHub::set_ready`].
    pub fn new(agent: Arc<Agent>) -> Self {
        AgentHub {
            agent,
            started: Instant::now(),
            ready: AtomicBool::new(false),
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
            counts: Mutex::new(Default::default()),
            latency: Default::default(),
            latency_sum_us: AtomicU64::new(0),
            services: Mutex::new(Vec::new()),
        }
    }

    /// Marks every enabled service up.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }

    /// Adds a service to the status page, with a function that tells its state.
    pub fn add_service(&self, name: &str, state: ServiceState) {
        self.services
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((name.to_owned(), state));
    }

    fn note(&self, request: &Request, reply: &Reply, took: std::time::Duration) {
        let source = serde_json::to_value(request.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        *self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((source.clone(), reply.via.clone()))
            .or_default() += 1;
        let secs = took.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
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
    fn respond(&self, request: Request) -> Reply {
        let start = Instant::now();
        let reply = self.agent.handle(&request);
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
        json!({
            "name": "MIRAI", "version": build.version, "codename": build.codename,
            "uptime_secs": self.started.elapsed().as_secs(), "ready": self.ready(),
            "services": services,
            "model": {"reachable": self.model_reachable(), "breaker": self.breaker_summary()},
            "mqtt": {"connected": mqtt_connected},
            "today": {"tokens": today.as_ref().map(|t| t.tokens), "cost_usd": today.as_ref().map(|t| t.cost_usd)},
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
        let mut out = String::new();
        out.push_str("# HELP mirai_requests_total Requests answered, by front end and path.\n# TYPE mirai_requests_total counter\n");
        for ((source, via), n) in self.counts.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "mirai_requests_total{{source=\"{source}\",via=\"{via}\"}} {n}"
            );
        }
        out.push_str("# HELP mirai_reply_seconds Time to answer a request.\n# TYPE mirai_reply_seconds histogram\n");
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += self.latency[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "mirai_reply_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.latency[LATENCY_BUCKETS.len()].load(Ordering::Relaxed);
        let sum = self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "mirai_reply_seconds_bucket{{le=\"+Inf\"}} {cumulative}\nmirai_reply_seconds_sum {sum}\nmirai_reply_seconds_count {cumulative}"
        );
        out.push_str("# HELP mirai_llm_breaker_open Whether a model endpoint's circuit breaker is open (1) or half-open (0.5).\n# TYPE mirai_llm_breaker_open gauge\n");
        for (name, state) in self.agent.llm().breakers() {
            let v = match state {
                BreakerState::Closed { .. } => 0.0,
                BreakerState::HalfOpen { .. } => 0.5,
                BreakerState::Open { .. } => 1.0,
            };
            let _ = writeln!(out, "mirai_llm_breaker_open{{endpoint=\"{name}\"}} {v}");
        }
        if let Ok(today) = self.agent.llm().usage_today() {
            let _ = writeln!(
                out,
                "# HELP mirai_llm_tokens_today Model tokens used today (UTC).\n# TYPE mirai_llm_tokens_today gauge\nmirai_llm_tokens_today {}",
                today.tokens
            );
            let _ = writeln!(
                out,
                "# HELP mirai_llm_cost_usd_today Estimated model cost today (UTC).\n# TYPE mirai_llm_cost_usd_today gauge\nmirai_llm_cost_usd_today {}",
                today.cost_usd
            );
        }
        let _ = writeln!(
            out,
            "# HELP mirai_uptime_seconds Seconds since the daemon started.\n# TYPE mirai_uptime_seconds gauge\nmirai_uptime_seconds {}",
            self.started.elapsed().as_secs()
        );
        if let Some(rss) = resident_bytes() {
            let _ = writeln!(
                out,
                "# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {rss}"
            );
        }
        out
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
}

/// Resident memory of this process, from `/proc/self/statm`.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(0) as u64)
}

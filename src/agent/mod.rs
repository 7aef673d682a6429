//! The agent: turns a request into a reply and actions.
//!
//! One turn: (1) the word gate; (2) a pending confirmation answered or cancelled; (3) the
//! local intents, fast and offline; (4) otherwise the cognitive loop with the models
//! (`cognition`), every device action passing (5) the action gate. The turn is saved to
//! memory: the messages, and for model turns the task with its analysis, plan, actions and
//! reflection.
//!
//! # Layout
//!
//! - `request`: [`Request`] and [`Reply`], the same for every front end.
//! - `persona`: the system prompt and the reply language.
//! - `retrieval`: the entities a request is about, ranked, from an index of names.
//! - `house`: the index and the intents, rebuilt when the registry's names change.
//! - `tools`: the tools the model may call.
//! - `targets`: what the tools' arguments point at: filters over the index, call targets.
//! - `cognition`: analyze → plan → execute.
//! - `screening`: the word gate and the second opinion, before anything acts.
//! - `sentences`: streamed text cut into sentences for early speech.
//! - `reflect`: the reply checked against what the tools did.
//! - `turn`: one request from start to reply.
//! - `confirmation`: actions waiting for a yes.
//! - `facts`: conversations distilled into facts by the fast model, reconciled with the stored.
//! - `upkeep`: the daemon's background memory work: embeddings and facts.
//! - `safety`: the word gate, the action gate, confirmations.
//! - `intents`: common home commands in English and Russian, without a model.

mod cognition;
mod confirmation;
mod facts;
mod house;
pub mod intents;
pub mod persona;
mod reflect;
mod request;
pub mod retrieval;
pub mod safety;
pub mod schedule;
mod screening;
mod sentences;
mod targets;
mod tools;
mod turn;
mod upkeep;

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub use facts::DistilError;
pub use request::{ActionReport, Reply, Request, Source};
pub use upkeep::{Round, Upkeep, UpkeepSettings};

use crate::config::{Config, Persona};
use crate::devices::{Registry, ServiceCall};
use crate::llm::Llm;
use crate::memory::{AuditVerdict, Memory};

/// A whole request may take this long with the models before the loop stops.
const REQUEST_DEADLINE: Duration = Duration::from_secs(120);

/// What the action gate says about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Gate {
    Allow,
    Confirm(String),
    Deny(String),
}

/// What the tools did during one turn.
#[derive(Debug, Default)]
pub(crate) struct TurnLog {
    pub(crate) actions: Vec<ActionReport>,
    pub(crate) pending: Vec<ServiceCall>,
    pub(crate) exhausted: bool,
}

/// Settings of the agent, from the config.
#[derive(Debug, Clone)]
struct Settings {
    persona: Persona,
    filter_enabled: bool,
    log_all_requests: bool,
    second_opinion: bool,
    strict_mode: bool,
    confirm_timeout: Duration,
    max_iterations: u32,
    history_limit: usize,
    context_items: usize,
}

/// The agent. Cheap to share: every front end holds the same one.
pub struct Agent {
    memory: Mutex<Memory>,
    llm: Llm,
    registry: Registry,
    house: house::House,
    words: safety::WordGate,
    policy: safety::ActionPolicy,
    settings: Settings,
    scheduling: OnceLock<schedule::Scheduling>,
}

impl Agent {
    /// An agent with its parts; fails when the config's safety phrases or rules are invalid.
    pub fn new(
        config: &Config,
        memory: Memory,
        llm: Llm,
        registry: Registry,
    ) -> Result<Agent, safety::SafetyError> {
        let s = config.settings();
        let filter = &s.ethical_filter;
        let house = house::House::new(&registry);
        Ok(Agent {
            memory: Mutex::new(memory),
            llm,
            house,
            registry,
            words: safety::WordGate::new(&safety::WordSettings {
                enabled: filter.enabled,
                strict_mode: filter.strict_mode,
                block_malicious: filter.block_malicious,
                extra: filter.extra_blocked.clone(),
            })?,
            policy: safety::ActionPolicy::new(filter.actions.clone())?,
            scheduling: OnceLock::new(),
            settings: Settings {
                persona: s.persona.clone(),
                filter_enabled: filter.enabled,
                log_all_requests: filter.log_all_requests,
                second_opinion: filter.second_opinion,
                strict_mode: filter.strict_mode,
                confirm_timeout: filter.confirm_timeout,
                max_iterations: s.services.autonomous.max_iterations,
                history_limit: s.memory.short_term.max_messages,
                context_items: s.memory.recall.context_items,
            },
        })
    }

    /// The devices it acts on.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Its memory.
    pub fn memory(&self) -> &Mutex<Memory> {
        &self.memory
    }

    /// The model client.
    pub fn llm(&self) -> &Llm {
        &self.llm
    }

    /// Lets the `schedule_task` tool wake the daemon's scheduler (set once).
    pub fn set_scheduling(&self, scheduling: schedule::Scheduling) {
        let _ = self.scheduling.set(scheduling);
    }

    /// Carries out one device call asked for directly rather than in words (`mirai zwave
    /// set`, `POST /api/zwave/nodes/{id}`, a Home Assistant control on MQTT): it passes the action gate like any action and the
    /// decision is audited with its outcome. A call the gate would hold for a yes is not
    /// carried out (there is no conversation to say yes in): asked in words, it can be.
    pub fn act(&self, req: &Request, call: &ServiceCall) -> ActionReport {
        let what = format!("{} {}", call.entity_id, call.service);
        let mut log = TurnLog::default();
        let (report, verdict) = match self.gate_for(call) {
            Gate::Confirm(reason) => {
                let detail = format!("{reason}; ask for it in words to confirm it");
                let report = ActionReport {
                    call: call.clone(),
                    outcome: "pending_confirmation".into(),
                    detail,
                    response: None,
                };
                (report, AuditVerdict::Confirm)
            }
            gate => {
                let verdict = match gate {
                    Gate::Deny(_) => AuditVerdict::Deny,
                    _ => AuditVerdict::Allow,
                };
                (tools::act(&self.registry, &gate, call, &mut log), verdict)
            }
        };
        let detail = format!("{what} → {}: {}", report.outcome, report.detail);
        self.audit(req, verdict, None, &detail);
        report
    }
}

//! One request from start to reply: the gates, a pending confirmation, the local intents or
//! the cognitive loop, and what is saved to memory.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::cognition::{self, Partial, Turn};
use super::house::Names;
use super::intents::{Intent, answer, describe_act};
use super::persona::{self, Lang};
use super::reflect;
use super::retrieval::MAX_RELEVANT;
use super::tools::{self, ToolBox};
use super::{Agent, Gate, REQUEST_DEADLINE, Reply, Request, TurnLog};
use crate::devices::{Domain, Entity, ServiceCall};
use crate::llm::LlmError;
use crate::llm::wire::{ChatMessage, Usage};
use crate::memory::{AuditEntry, AuditVerdict, Memory, Role, TaskStatus, ThoughtKind};

/// Past tasks like this one shown to autonomous work.
const MAX_PAST_TASKS: usize = 3;

impl Agent {
    /// Answers one request. Never fails: what went wrong is said in the reply.
    pub fn handle(&self, req: &Request) -> Reply {
        self.turn(req, None)
    }

    /// Answers one request, handing the model's reply to `on_sentence` sentence by sentence
    /// as it is written (a local intent's reply comes whole, at once, in the reply). The
    /// returned reply is the authority: reflection may still correct what was streamed.
    pub fn handle_streaming(&self, req: &Request, on_sentence: &mut dyn FnMut(&str)) -> Reply {
        self.turn(req, Some(on_sentence))
    }

    fn turn(&self, req: &Request, partial: Partial<'_>) -> Reply {
        let lang = persona::reply_lang(&self.settings.persona, req.lang.as_deref(), &req.text);
        let mut reply = Reply {
            text: String::new(),
            actions: Vec::new(),
            blocked: None,
            pending_confirmation: Vec::new(),
            usage: Usage::default(),
            session: req.session.clone(),
            via: String::new(),
        };
        if req.text.trim().is_empty() {
            // Nothing to act on, answer or remember.
            reply.text = lang
                .pick("I didn't catch anything to do.", "Я ничего не расслышала.")
                .to_owned();
            reply.via = "empty".into();
            return reply;
        }
        if let Some(category) = self.screen(req) {
            reply.blocked = Some(category);
            reply.text = lang
                .pick("I can't help with that.", "С этим я помочь не могу.")
                .to_owned();
            reply.via = "safety".into();
        } else if !self.confirmation(req, lang, &mut reply) {
            let names = self.house.names(&self.registry);
            match names.intents.parse(&req.text) {
                Some(intent) => self.local(intent, &names, req, lang, &mut reply),
                None => match self.second_opinion(req) {
                    Some(category) => {
                        reply.blocked = Some(category);
                        reply.text = lang
                            .pick("I can't help with that.", "С этим я помочь не могу.")
                            .to_owned();
                        reply.via = "safety".into();
                    }
                    None => self.think(req, &names, lang, &mut reply, partial),
                },
            }
        }
        self.finish(req, &reply);
        reply
    }

    /// The session's recent messages (before this one), for the model.
    fn history(&self, req: &Request) -> Vec<ChatMessage> {
        self.with_memory(|m| m.get_session_history(&req.session, Some(self.settings.history_limit)))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| match m.role {
                Role::User => Some(ChatMessage::user(m.content)),
                Role::Assistant => Some(ChatMessage::assistant(m.content)),
                _ => None,
            })
            .collect()
    }

    /// The fast path: a command understood without a model.
    fn local(&self, intent: Intent, names: &Names, req: &Request, lang: Lang, reply: &mut Reply) {
        let mut log = TurnLog::default();
        if let Intent::Act { calls, .. } = &intent {
            for call in calls {
                tools::act(&self.registry, &self.gate_for(call), call, &mut log);
            }
        }
        let done: Vec<ServiceCall> = log
            .actions
            .iter()
            .filter(|a| a.outcome == "done")
            .map(|a| a.call.clone())
            .collect();
        let mut text = match &intent {
            Intent::Act { .. } if done.is_empty() => String::new(),
            Intent::Act { lang, .. } => {
                let ids = done.iter().map(|c| c.entity_id.as_str());
                describe_act(&done, &self.entities(ids), *lang)
            }
            Intent::Query { entity_ids, .. } => {
                let ids = entity_ids.iter().map(String::as_str);
                answer(&intent, &self.entities(ids), names.index.areas())
            }
            Intent::WhatsOn { area, .. } => {
                let ids = names.index.ids_in(area.as_deref(), may_be_on);
                answer(&intent, &self.entities(ids), names.index.areas())
            }
        };
        for a in log.actions.iter().filter(|a| a.outcome != "done") {
            let name = self.name_of(&a.call.entity_id);
            let line = match a.outcome.as_str() {
                "pending_confirmation" => format!(
                    "{}. {}",
                    capitalize(&a.detail),
                    lang.pick("Say yes to go ahead.", "Скажите «да», чтобы продолжить.")
                ),
                _ => format!(
                    "{name}: {} ({}).",
                    lang.pick("not done", "не выполнено"),
                    a.detail
                ),
            };
            text = format!("{text} {line}").trim().to_owned();
        }
        self.hold_pending(req, &log);
        reply.text = text;
        reply.pending_confirmation = log.pending;
        reply.actions = log.actions;
        reply.via = "local_intent".into();
    }

    /// The cognitive loop with the models.
    fn think(
        &self,
        req: &Request,
        names: &Arc<Names>,
        lang: Lang,
        reply: &mut Reply,
        partial: Partial<'_>,
    ) {
        let history = self.history(req);
        let task = self
            .with_memory(|m| {
                m.ensure_session(&req.session, &req.user, source_name(req))?;
                m.save_task(Some(&req.session), &req.text)
            })
            .ok();
        let (system, context) = self.context_for(req, names, lang);
        let gate = |e: &Entity, c: &ServiceCall| self.gate(e, c);
        let turn = Turn {
            llm: &self.llm,
            tools: ToolBox {
                registry: &self.registry,
                index: &names.index,
                memory: &self.memory,
                gate: &gate,
                user: &req.user,
                site: req.site.as_deref(),
                scheduling: self.scheduling.get(),
                embed: &|text| self.query_vector(text),
            },
            system,
            context,
            history,
            max_iterations: self.settings.max_iterations,
            deadline: Instant::now() + REQUEST_DEADLINE,
        };
        let mut log = TurnLog::default();
        match turn.run(&req.text, &mut log, partial) {
            Ok(thought) => {
                let (text, reflection) = reflect::reflect(&thought.text, &log, lang);
                let steps = [
                    (ThoughtKind::Analysis, Some(thought.analysis.clone())),
                    (ThoughtKind::Plan, thought.plan.clone()),
                    (ThoughtKind::Action, actions_summary(&log)),
                    (ThoughtKind::Reflection, Some(reflection)),
                ];
                self.close_task(task, TaskStatus::Done, &text, &steps);
                reply.text = text;
                reply.usage = thought.usage;
                reply.via = "model".into();
            }
            Err(e) => {
                let steps = [(ThoughtKind::Action, actions_summary(&log))];
                self.close_task(task, TaskStatus::Failed, &e.to_string(), &steps);
                reply.text = offline_text(&e, lang, &log);
                reply.via = "offline".into();
            }
        }
        self.hold_pending(req, &log);
        reply.pending_confirmation = log.pending;
        reply.actions = log.actions;
    }

    /// The system prompt and the context data for a model turn.
    fn context_for(&self, req: &Request, names: &Names, lang: Lang) -> (String, Value) {
        let prefs = self
            .with_memory(|m| m.get_preferences(&req.user))
            .unwrap_or_default();
        let tone = prefs
            .get("tone")
            .and_then(|t| persona::tone_from_preference(t))
            .unwrap_or(self.settings.persona.tone);
        let knowledge = self.remembered(req);
        // Only what the words point at; with nothing named, none (the model has find_devices).
        let devices = names
            .index
            .relevant(&req.text, MAX_RELEVANT)
            .into_iter()
            .filter_map(|id| self.registry.entity(id))
            .map(|e| tools::describe(&e))
            .collect();
        let system = persona::system_prompt(&self.settings.persona, tone, lang);
        let mut context = cognition::context(&req.user, &prefs, knowledge, devices);
        // Autonomous work recalls how the same kind of task went before.
        if req.source == super::Source::Autonomous {
            let past: Vec<Value> = self
                .with_memory(|m| m.find_similar_tasks(&req.text, MAX_PAST_TASKS + 1))
                .unwrap_or_default()
                .into_iter()
                .filter(|t| t.status == TaskStatus::Done && t.result.is_some())
                .take(MAX_PAST_TASKS)
                .map(|t| serde_json::json!({"task": t.description, "result": t.result}))
                .collect();
            if !past.is_empty() {
                context["past_tasks"] = Value::Array(past);
            }
        }
        (system, context)
    }

    /// Saves the exchange in one commit; what the user is told is committed before they
    /// are told it. (The device command itself has already gone out: persistence follows
    /// it, so it never delays the light.)
    fn finish(&self, req: &Request, reply: &Reply) {
        let mut messages = vec![(Role::User, req.text.as_str())];
        if !reply.text.is_empty() {
            messages.push((Role::Assistant, reply.text.as_str()));
        }
        let saved = self
            .with_memory(|m| m.save_exchange(&req.session, &req.user, source_name(req), &messages));
        if let Err(e) = saved {
            tracing::error!(cause = %e, session = %req.session, "cannot save the conversation");
        }
    }

    /// Closes the turn's task with its analysis, plan, actions and reflection, in one commit.
    fn close_task(
        &self,
        task: Option<i64>,
        status: TaskStatus,
        result: &str,
        steps: &[(ThoughtKind, Option<String>)],
    ) {
        let Some(task) = task else { return };
        let thoughts: Vec<(ThoughtKind, &str)> = steps
            .iter()
            .filter_map(|(kind, content)| content.as_deref().map(|c| (*kind, c)))
            .collect();
        if let Err(e) = self.with_memory(|m| m.finish_task(task, &thoughts, status, result)) {
            tracing::error!(cause = %e, task, "cannot save the task");
        }
    }

    /// The action gate for a call (the entity looked up in the registry).
    pub(super) fn gate_for(&self, call: &ServiceCall) -> Gate {
        match self.registry.entity(&call.entity_id) {
            Some(e) => self.gate(&e, call),
            None => Gate::Allow,
        }
    }

    /// The action gate, and its verdict audited when it is not a plain yes.
    fn gate(&self, entity: &Entity, call: &ServiceCall) -> Gate {
        if !self.settings.filter_enabled {
            return Gate::Allow;
        }
        match self.policy.decide(entity, call) {
            super::safety::Decision::Allow => Gate::Allow,
            super::safety::Decision::Confirm { reason } => Gate::Confirm(reason),
            super::safety::Decision::Deny { reason } => Gate::Deny(reason),
        }
    }

    /// These entities as they are now, each once, looked up one by one.
    fn entities<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<Entity> {
        let mut seen = std::collections::HashSet::new();
        ids.into_iter()
            .filter(|id| seen.insert(*id))
            .filter_map(|id| self.registry.entity(id))
            .collect()
    }

    pub(super) fn name_of(&self, entity_id: &str) -> String {
        self.registry
            .entity(entity_id)
            .map_or_else(|| entity_id.to_owned(), |e| e.name)
    }

    pub(super) fn audit(
        &self,
        req: &Request,
        verdict: AuditVerdict,
        category: Option<&str>,
        detail: &str,
    ) {
        let entry = AuditEntry {
            at: crate::clock::now_ms(),
            user: req.user.clone(),
            session: req.session.clone(),
            source: source_name(req).to_owned(),
            text: req.text.clone(),
            verdict,
            category: category.map(str::to_owned),
            detail: (!detail.is_empty()).then(|| detail.to_owned()),
        };
        if let Err(e) = self.with_memory(|m| m.audit(&entry)) {
            tracing::error!(cause = %e, verdict = ?verdict, "cannot write the audit log");
        }
    }

    pub(super) fn with_memory<T>(
        &self,
        f: impl FnOnce(&mut Memory) -> Result<T, crate::memory::MemoryError>,
    ) -> Result<T, crate::memory::MemoryError> {
        let mut memory = self
            .memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut memory)
    }
}

/// The turn's device actions as one thought, if there were any.
fn actions_summary(log: &TurnLog) -> Option<String> {
    let lines: Vec<String> = log
        .actions
        .iter()
        .map(|a| {
            format!(
                "{} {} → {}: {}",
                a.call.entity_id, a.call.service, a.outcome, a.detail
            )
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn source_name(req: &Request) -> &'static str {
    match req.source {
        super::Source::Cli => "cli",
        super::Source::Terminal => "terminal",
        super::Source::Voice => "voice",
        super::Source::Http => "http",
        super::Source::Autonomous => "autonomous",
        super::Source::Gpio => "gpio",
        super::Source::Control => "control",
    }
}

/// Domains "what's on" looks at (the reply decides which of them are on).
fn may_be_on(domain: Domain) -> bool {
    matches!(
        domain,
        Domain::Light | Domain::Switch | Domain::Fan | Domain::MediaPlayer | Domain::Climate
    )
}

/// What to say when the models cannot be used.
fn offline_text(e: &LlmError, lang: Lang, log: &TurnLog) -> String {
    let done = log.actions.iter().filter(|a| a.outcome == "done").count();
    let head = match lang {
        Lang::En => format!("I can't think this through right now: {e}."),
        Lang::Ru => format!("Сейчас я не могу это обдумать: {e}."),
    };
    let tail = lang.pick(
        " Device commands like “turn on the kitchen light” still work.",
        " Команды вроде «включи свет на кухне» по-прежнему работают.",
    );
    let partial = if done > 0 {
        lang.pick(
            " Some actions were done before that.",
            " Часть действий успела выполниться.",
        )
    } else {
        ""
    };
    format!("{head}{partial}{tail}")
}

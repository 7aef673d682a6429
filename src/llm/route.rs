//! The client callers hold: roles, their fallbacks, the cloud and the local server, the budget.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::attempt::{self, Failed, LlmMetrics};
use super::breaker::{BreakerSettings, BreakerState, Breakers};
use super::budget::{Budget, BudgetSettings, DayTotals, Ledger, Price, utc_day};
use super::retry::RetryPolicy;
use super::stream::SseEvents;
use super::transport::{Call, Endpoint, Transport};
use super::wire::{self, ChatRequest, ChatResponse, Embeddings};
use super::{Environment, LlmError, Role};
use crate::config::{Config, ModelProfile, Models};

/// Path of chat completions under the base URL.
const CHAT: &str = "/chat/completions";
/// Path of embeddings.
const EMBEDDINGS: &str = "/embeddings";
/// Path of the model list.
const MODELS: &str = "/models";

/// A reply and how it was obtained.
#[derive(Debug, Clone)]
pub struct Answer {
    /// What the model said.
    pub response: ChatResponse,
    /// The role whose model answered (a fallback's, when the first failed).
    pub role: Role,
    /// `cloud` or `local`.
    pub endpoint: &'static str,
    /// Attempts the answering endpoint took.
    pub attempts: u32,
    /// Estimated cost in USD (0 for a model without a price).
    pub cost_usd: f64,
}

/// The model client. Cheap to clone; every clone shares breakers, budget and connections.
#[derive(Clone)]
pub struct Llm {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Llm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Llm")
            .field("cloud", &self.inner.cloud.base_url)
            .field(
                "local",
                &self.inner.local.as_ref().map(|(e, _)| &e.base_url),
            )
            .finish_non_exhaustive()
    }
}

struct Inner {
    transport: Transport,
    cloud: Endpoint,
    local: Option<(Endpoint, BTreeMap<Role, String>)>,
    models: Models,
    fallbacks: BTreeMap<Role, Vec<Role>>,
    default_timeout: Duration,
    stream_idle: Duration,
    policy: RetryPolicy,
    breakers: Breakers,
    metrics: LlmMetrics,
    budget: Budget,
    env: Environment,
}

/// A server and the model name to ask it for.
struct Target<'a> {
    endpoint: &'a Endpoint,
    model: &'a str,
    role: Role,
}

impl Llm {
    /// A client configured by `config`, recording usage in `ledger`.
    pub fn new(config: &Config, ledger: Arc<dyn Ledger>, env: Environment) -> Llm {
        let o = &config.settings().openai;
        let d = &o.defaults;
        let cb = &config.settings().circuit_breaker;
        let cloud = Endpoint {
            name: "cloud",
            base_url: o.base_url.trim_end_matches('/').to_owned(),
            key: config.openai_key().map(|k| k.value.clone()),
            organization: o.organization.clone(),
            project: o.project.clone(),
        };
        let local = o.local.as_ref().map(|l| {
            let endpoint = Endpoint {
                name: "local",
                base_url: l.base_url.trim_end_matches('/').to_owned(),
                key: config.local_key().map(|k| k.value.clone()),
                organization: None,
                project: None,
            };
            (endpoint, l.models.clone())
        });
        let prices = o.prices.iter().map(|(m, p)| {
            let price = Price {
                input_per_million: p.input_per_million,
                output_per_million: p.output_per_million,
            };
            (m.clone(), price)
        });
        let budget = BudgetSettings {
            daily_tokens: o.budget.daily_tokens,
            daily_cost_usd: o.budget.daily_cost_usd,
            prices: prices.collect(),
        };
        let inner = Inner {
            transport: Transport::new(d.connect_timeout),
            cloud,
            local,
            models: o.models.clone(),
            fallbacks: Role::ALL
                .iter()
                .map(|&r| (r, o.fallbacks.of(r).to_vec()))
                .collect(),
            default_timeout: d.timeout,
            stream_idle: d.stream_idle_timeout,
            policy: RetryPolicy {
                max_retries: d.max_retries,
                base: d.backoff.base,
                max: d.backoff.max,
                jitter: d.backoff.jitter,
                retry_after_cap: d.retry_after_cap,
            },
            breakers: Breakers::new(BreakerSettings {
                failure_threshold: cb.failure_threshold,
                open_for: cb.timeout,
                half_open_interval: cb.half_open_interval,
            }),
            metrics: LlmMetrics::default(),
            budget: Budget::new(budget, ledger),
            env,
        };
        Llm {
            inner: Arc::new(inner),
        }
    }

    /// One chat completion by `role`.
    pub fn chat(&self, role: Role, request: &ChatRequest) -> Result<Answer, LlmError> {
        self.route(role, |t, p| {
            let body = request.body(t.model, p.temperature, p.top_p, p.max_tokens, false);
            let (response, attempts) = self.post(t, p, CHAT, &body, wire::parse_chat)?;
            Ok(self.answer(t, response, attempts))
        })
    }

    /// A streamed chat completion by `role`: `on_text` gets the reply's text as it arrives,
    /// so speech can start early. A stream is never retried, nor handed to a fallback, once
    /// its first event has arrived.
    pub fn chat_stream(
        &self,
        role: Role,
        request: &ChatRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Answer, LlmError> {
        self.route(role, |t, p| {
            let body = request.body(t.model, p.temperature, p.top_p, p.max_tokens, true);
            let (response, attempts) = self.stream(t, p, &body, on_text)?;
            Ok(self.answer(t, response, attempts))
        })
    }

    /// Embeddings of `inputs`, one vector each, in order.
    pub fn embed(&self, inputs: &[String]) -> Result<Embeddings, LlmError> {
        self.route(Role::Embed, |t, p| {
            let body = wire::embeddings_body(t.model, inputs, p.dimensions);
            let (e, _) = self.post(t, p, EMBEDDINGS, &body, wire::parse_embeddings)?;
            self.record(&e.model, t.model, e.usage.prompt_tokens, 0);
            Ok(e)
        })
    }

    /// The cloud's model list: proves the endpoint is reachable and the key accepted.
    /// One attempt, no retries: a health check wants the state now, quickly.
    pub fn models(&self, timeout: Duration) -> Result<Vec<String>, LlmError> {
        let i = &self.inner;
        if i.cloud.key.is_none() {
            return Err(LlmError::KeyMissing);
        }
        let label = i.cloud.label(MODELS);
        let once = RetryPolicy {
            max_retries: 0,
            ..i.policy.clone()
        };
        let (ids, _) = attempt::run(
            &i.env,
            &once,
            &i.breakers,
            &i.metrics,
            &i.cloud,
            MODELS,
            |_| {
                let call = Call {
                    endpoint: &i.cloud,
                    path: MODELS,
                    timeout,
                    idempotency_key: None,
                };
                let reply = i
                    .transport
                    .get(&call)
                    .map_err(|f| Failed::transport(&label, f, timeout))?;
                if !(200..300).contains(&reply.status) {
                    return Err(Failed::status(&label, &reply));
                }
                wire::parse_models(reply.body.as_bytes())
                    .map_err(|e| Failed::bad(&label, e.to_string()))
            },
        )?;
        Ok(ids)
    }

    /// Whether any model can be asked at all: a cloud key, or a local server.
    pub fn configured(&self) -> bool {
        self.inner.cloud.key.is_some() || self.inner.local.is_some()
    }

    /// Each endpoint's breaker, for metrics and the status page.
    pub fn breakers(&self) -> Vec<(String, BreakerState)> {
        self.inner.breakers.snapshot()
    }

    /// Attempts and retries per endpoint since start, for metrics.
    pub fn metrics(&self) -> &LlmMetrics {
        &self.inner.metrics
    }

    /// What today's calls used (UTC day).
    pub fn usage_today(&self) -> Result<DayTotals, LlmError> {
        let day = utc_day(self.inner.env.now());
        self.inner.budget.day_totals(&day).map_err(LlmError::Ledger)
    }

    /// Tries `role`, then its fallbacks, on the cloud; then the local server when the cloud
    /// is the problem. Returns the first success, else the first error (the one about the
    /// model the caller asked for).
    fn route<T>(
        &self,
        role: Role,
        mut call: impl FnMut(&Target<'_>, &ModelProfile) -> Result<T, LlmError>,
    ) -> Result<T, LlmError> {
        let i = &self.inner;
        i.budget.check(&utc_day(i.env.now()))?;
        let chain: Vec<Role> = std::iter::once(role)
            .chain(i.fallbacks.get(&role).into_iter().flatten().copied())
            .collect();
        let mut first: Option<LlmError> = None;
        let mut cloud_down = i.cloud.key.is_none();
        if cloud_down {
            first = Some(LlmError::KeyMissing);
        }
        for &r in chain.iter().filter(|_| i.cloud.key.is_some()) {
            let profile = i.models.get(r);
            let target = Target {
                endpoint: &i.cloud,
                model: &profile.name,
                role: r,
            };
            match call(&target, profile) {
                Ok(v) => return Ok(v),
                Err(e) if e.worth_a_fallback() => {
                    cloud_down = e.server_side();
                    tracing::warn!(role = r.as_str(), cause = %e, "model failed; trying the next");
                    first.get_or_insert(e);
                }
                Err(e) => return Err(first.unwrap_or(e)),
            }
        }
        if let (true, Some((endpoint, names))) = (cloud_down, &i.local) {
            for &r in &chain {
                let Some(model) = names.get(&r) else { continue };
                let target = Target {
                    endpoint,
                    model,
                    role: r,
                };
                match call(&target, i.models.get(r)) {
                    Ok(v) => return Ok(v),
                    Err(e) => {
                        tracing::warn!(role = r.as_str(), cause = %e, "local model failed");
                        first.get_or_insert(e);
                    }
                }
            }
        }
        Err(first.unwrap_or(LlmError::KeyMissing))
    }

    /// `POST` a JSON body and parse the 2xx reply with `parse`, with retries.
    fn post<T>(
        &self,
        t: &Target<'_>,
        profile: &ModelProfile,
        path: &str,
        body: &serde_json::Value,
        parse: impl Fn(&[u8]) -> Result<T, wire::WireError>,
    ) -> Result<(T, u32), LlmError> {
        self.attempts(t, profile, path, body, |call, bytes, label| {
            let reply = (self.inner.transport)
                .post(call, bytes)
                .map_err(|f| Failed::transport(label, f, call.timeout))?;
            if !(200..300).contains(&reply.status) {
                return Err(Failed::status(label, &reply));
            }
            parse(reply.body.as_bytes()).map_err(|e| Failed::bad(label, e.to_string()))
        })
    }

    /// A streamed chat completion, with retries until the first event.
    fn stream(
        &self,
        t: &Target<'_>,
        profile: &ModelProfile,
        body: &serde_json::Value,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<(ChatResponse, u32), LlmError> {
        let idle = self.inner.stream_idle;
        self.attempts(t, profile, CHAT, body, |call, bytes, label| {
            let mut events = SseEvents::new(&mut *on_text);
            let ended =
                (self.inner.transport).post_stream(call, bytes, idle, &mut |b| events.push(b));
            events.finish(label, ended, call.timeout, idle)
        })
    }

    /// One logical call to `path` with `body`: `once` makes each attempt (given the call, the
    /// body's bytes and the endpoint's label) under the breaker and the retry policy.
    fn attempts<T>(
        &self,
        t: &Target<'_>,
        profile: &ModelProfile,
        path: &str,
        body: &serde_json::Value,
        mut once: impl FnMut(&Call<'_>, &[u8], &str) -> Result<T, Failed>,
    ) -> Result<(T, u32), LlmError> {
        let i = &self.inner;
        let label = t.endpoint.label(path);
        let timeout = profile.timeout.unwrap_or(i.default_timeout);
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        attempt::run(
            &i.env,
            &i.policy,
            &i.breakers,
            &i.metrics,
            t.endpoint,
            path,
            |key| {
                let call = Call {
                    endpoint: t.endpoint,
                    path,
                    timeout,
                    idempotency_key: Some(key),
                };
                once(&call, &bytes, &label)
            },
        )
    }

    /// Records usage and wraps a response.
    fn answer(&self, t: &Target<'_>, response: ChatResponse, attempts: u32) -> Answer {
        let u = response.usage;
        let cost_usd = self.record(
            &response.model,
            t.model,
            u.prompt_tokens,
            u.completion_tokens,
        );
        Answer {
            response,
            role: t.role,
            endpoint: t.endpoint.name,
            attempts,
            cost_usd,
        }
    }

    /// Adds a call's tokens to today's ledger; a ledger failure is logged, not returned,
    /// because the call has happened and its answer is worth more than the bookkeeping.
    fn record(&self, reported: &str, asked: &str, prompt: u64, completion: u64) -> f64 {
        let model = if reported.is_empty() { asked } else { reported };
        let day = utc_day(self.inner.env.now());
        match self.inner.budget.record(&day, model, prompt, completion) {
            Ok(cost) => cost,
            Err(e) => {
                tracing::error!(cause = %e, model, "cannot record model usage");
                0.0
            }
        }
    }
}

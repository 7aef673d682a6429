//! One logical call: attempts against one endpoint under its breaker and the retry policy.
//!
//! This is the loop the pure parts plug into: the breaker says whether to try, the transport
//! tries, the retry policy says whether and how long to wait, and the injected sleeper waits.
//! [`LlmMetrics`] counts the attempts and retries as they happen.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::breaker::Breakers;
use super::retry::{Decision, GiveUpReason, Outcome, RetryPolicy, idempotency_key};
use super::transport::{Endpoint, Failure, Reply};
use super::wire::{excerpt, parse_api_error};
use super::{Environment, LlmError};
use std::time::Duration;

/// The `outcome` label of an attempt, by what became of it.
const OUTCOMES: [&str; 6] = [
    "ok",
    "connect",
    "timeout",
    "broken",
    "http_error",
    "bad_reply",
];

/// Attempts (by outcome) and retries per endpoint label, for the daemon's metrics. A map
/// under a lock rather than atomics: the labels are only known at run time, and one short
/// lock per attempt is nothing beside the HTTP call it counts.
#[derive(Debug, Default)]
pub struct LlmMetrics {
    counts: Mutex<BTreeMap<String, EndpointCounts>>,
}

/// One endpoint's counts since start.
#[derive(Debug, Default, Clone)]
pub struct EndpointCounts {
    attempts: [u64; OUTCOMES.len()],
    retries: u64,
}

impl EndpointCounts {
    /// Attempts by outcome label; every label, including those still at zero.
    pub fn attempts(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        OUTCOMES.iter().copied().zip(self.attempts.iter().copied())
    }

    /// Attempts that were followed by another one.
    pub fn retries(&self) -> u64 {
        self.retries
    }
}

impl LlmMetrics {
    /// Each endpoint label seen so far and its counts.
    pub fn snapshot(&self) -> Vec<(String, EndpointCounts)> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn update(&self, label: &str, change: impl FnOnce(&mut EndpointCounts)) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = counts.get_mut(label) {
            return change(c);
        }
        change(counts.entry(label.to_owned()).or_default());
    }

    fn attempt(&self, label: &str, outcome: &Outcome) {
        let i = match outcome {
            Outcome::Ok => 0,
            Outcome::Connect(_) => 1,
            Outcome::Timeout => 2,
            Outcome::BodyBroken(_) => 3,
            Outcome::Status { status, .. } if !(200..300).contains(status) => 4,
            Outcome::Status { .. } => 5,
        };
        self.update(label, |c| c.attempts[i] += 1);
    }

    fn retry(&self, label: &str) {
        self.update(label, |c| c.retries += 1);
    }
}

/// How one attempt failed: what the retry policy judges, and the error if it gives up.
/// Boxed: it travels up through every attempt closure's `Result`.
pub(crate) struct Failed(Box<FailedAttempt>);

pub(crate) struct FailedAttempt {
    outcome: Outcome,
    error: LlmError,
    /// A stream that had started is never retried.
    final_: bool,
}

impl Failed {
    fn new(outcome: Outcome, error: LlmError, final_: bool) -> Failed {
        Failed(Box::new(FailedAttempt {
            outcome,
            error,
            final_,
        }))
    }
}

impl Failed {
    /// A transport failure on `label`.
    pub(crate) fn transport(label: &str, f: Failure, timeout: Duration) -> Failed {
        let error = match &f {
            Failure::Connect(detail) => LlmError::Connection {
                endpoint: label.to_owned(),
                detail: detail.clone(),
            },
            Failure::Timeout | Failure::Stalled => LlmError::TimedOut {
                endpoint: label.to_owned(),
                after: timeout,
            },
            Failure::BodyBroken(detail) => LlmError::Connection {
                endpoint: label.to_owned(),
                detail: format!("the reply broke off: {detail}"),
            },
        };
        Failed::new(f.outcome(), error, false)
    }

    /// A reply with an error status on `label`.
    pub(crate) fn status(label: &str, reply: &Reply) -> Failed {
        let api = parse_api_error(reply.body.as_bytes());
        let code = api
            .as_ref()
            .and_then(|a| a.code.clone().or_else(|| a.kind.clone()));
        let outcome = reply.outcome(code.clone());
        let message = api
            .as_ref()
            .map(|a| a.message.clone())
            .unwrap_or_else(|| excerpt(reply.body.as_bytes()));
        let endpoint = label.to_owned();
        let error = match reply.status {
            401 | 403 => LlmError::KeyRejected {
                endpoint,
                status: reply.status,
                message,
            },
            _ if code.as_deref() == Some("insufficient_quota") => {
                LlmError::QuotaExhausted { message }
            }
            429 => LlmError::RateLimited {
                endpoint,
                wait: None,
            },
            status => LlmError::Api {
                endpoint,
                status,
                kind: api.as_ref().and_then(|a| a.kind.clone()),
                code,
                message,
            },
        };
        Failed::new(outcome, error, false)
    }

    /// A failure after a stream started: reported as is, never retried.
    pub(crate) fn final_error(error: LlmError) -> Failed {
        Failed::new(Outcome::BodyBroken(error.to_string()), error, true)
    }

    /// A reply that came with 200 but could not be understood: never worth repeating.
    pub(crate) fn bad(label: &str, detail: String) -> Failed {
        let outcome = Outcome::Status {
            status: 200,
            error_code: None,
            retry_after: None,
            should_retry: None,
        };
        let error = LlmError::BadResponse {
            endpoint: label.to_owned(),
            detail,
        };
        Failed::new(outcome, error, true)
    }
}

/// Whether an outcome says the server is in trouble (it counts against the breaker).
/// A 4xx is a healthy server refusing a request; a 429 is handled by waiting, not by
/// declaring the server down.
fn server_trouble(o: &Outcome) -> bool {
    match o {
        Outcome::Connect(_) | Outcome::Timeout | Outcome::BodyBroken(_) => true,
        Outcome::Status { status, .. } => *status >= 500,
        Outcome::Ok => false,
    }
}

/// Runs `attempt` until it succeeds, the policy gives up, or the breaker refuses.
/// `attempt` gets the idempotency key shared by every retry of this call.
pub(crate) fn run<T>(
    env: &Environment,
    policy: &RetryPolicy,
    breakers: &Breakers,
    metrics: &LlmMetrics,
    endpoint: &Endpoint,
    path: &str,
    mut attempt: impl FnMut(&str) -> Result<T, Failed>,
) -> Result<(T, u32), LlmError> {
    let label = endpoint.label(path);
    let key = idempotency_key(env.random_u64());
    let mut n = 0u32;
    loop {
        if let Err(refused) = breakers.allow(&label, env.now_ms()) {
            return Err(LlmError::Unavailable {
                endpoint: label,
                since_ms: refused.since_ms,
                retry_at_ms: refused.retry_at_ms,
            });
        }
        let failed = match attempt(&key) {
            Ok(value) => {
                metrics.attempt(&label, &Outcome::Ok);
                breakers.on_success(&label, env.now_ms());
                return Ok((value, n + 1));
            }
            Err(failed) => *failed.0,
        };
        metrics.attempt(&label, &failed.outcome);
        if server_trouble(&failed.outcome) {
            breakers.on_failure(&label, env.now_ms());
        } else {
            breakers.on_success(&label, env.now_ms());
        }
        if failed.final_ {
            return Err(failed.error);
        }
        match policy.decide(n, &failed.outcome, env.now(), env.random_f64()) {
            Decision::Retry(wait) => {
                tracing::warn!(
                    endpoint = %label,
                    attempt = n + 1,
                    wait_ms = wait.as_millis() as u64,
                    cause = %failed.error,
                    "model call failed; retrying"
                );
                metrics.retry(&label);
                env.sleep(wait);
            }
            Decision::GiveUp(reason) => return Err(give_up(failed.error, reason)),
        }
        n += 1;
    }
}

/// The error to report when the policy stops: a wait the server asked for is news.
fn give_up(error: LlmError, reason: GiveUpReason) -> LlmError {
    match (error, reason) {
        (LlmError::RateLimited { endpoint, .. }, GiveUpReason::WaitTooLong(wait))
        | (LlmError::Api { endpoint, .. }, GiveUpReason::WaitTooLong(wait)) => {
            LlmError::RateLimited {
                endpoint,
                wait: Some(wait),
            }
        }
        (error, _) => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_counted_by_endpoint_and_outcome() {
        let m = LlmMetrics::default();
        let status = |status| Outcome::Status {
            status,
            error_code: None,
            retry_after: None,
            should_retry: None,
        };
        m.attempt("cloud /chat/completions", &Outcome::Timeout);
        m.retry("cloud /chat/completions");
        m.attempt("cloud /chat/completions", &status(503));
        m.attempt("cloud /chat/completions", &Outcome::Ok);
        m.attempt("local /chat/completions", &status(200));
        let snap = m.snapshot();
        assert_eq!(snap.len(), 2);
        let (label, cloud) = &snap[0];
        assert_eq!(label, "cloud /chat/completions");
        let counts: Vec<_> = cloud.attempts().collect();
        assert_eq!(
            counts,
            [
                ("ok", 1),
                ("connect", 0),
                ("timeout", 1),
                ("broken", 0),
                ("http_error", 1),
                ("bad_reply", 0)
            ]
        );
        assert_eq!(cloud.retries(), 1);
        assert_eq!(snap[1].1.attempts().last(), Some(("bad_reply", 1)));
    }
}

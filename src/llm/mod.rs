//! The OpenAI client: how MIRAI talks to OpenAI and OpenAI-compatible servers, so that a
//! flaky home connection never hangs or crashes the hub and never burns money silently.
//!
//! Callers ask by [`Role`] (main, heavy, fast, embed), never by model name. A call goes:
//! budget check → for the role and then each of its fallbacks, the cloud endpoint under its
//! circuit breaker with retries → the local server, if configured, when the cloud is down →
//! usage recorded in the ledger. Blocking: front ends call it from blocking threads.
//!
//! # Layout
//!
//! - `wire`: the JSON bodies of chat completions, embeddings, models and errors.
//! - `sse`: server-sent events and the assembly of streamed replies (sans-IO).
//! - `stream`: one streamed attempt: events in, text out, retry only before the first text.
//! - `transport`: the one place that touches the network (ureq, rustls).
//! - `retry`: which failures to retry and how long to wait (pure).
//! - `breaker`: a circuit breaker per endpoint, time as an input (pure).
//! - `budget`: tokens and cost per day, caps checked before a call.
//! - `attempt`: one call's attempts under the breaker and the retry policy.
//! - `route`: roles, fallbacks and the local server.
//! - `error`: [`LlmError`], in words that say what to do.

mod attempt;
pub mod breaker;
pub mod budget;
mod error;
pub mod retry;
mod route;
pub mod sse;
mod stream;
mod transport;
pub mod wire;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use crate::config::Role;
pub use attempt::{EndpointCounts, LlmMetrics};
pub use error::LlmError;
pub use route::{Answer, Llm};

/// Time, sleep and randomness, injected so tests run retries and breakers without waiting.
#[derive(Clone)]
pub struct Environment {
    now: Arc<dyn Fn() -> SystemTime + Send + Sync>,
    sleep: Arc<dyn Fn(Duration) + Send + Sync>,
    rng: Arc<Mutex<fastrand::Rng>>,
}

impl Environment {
    /// The real clock, real sleeps, random jitter.
    pub fn real() -> Self {
        Environment {
            now: Arc::new(SystemTime::now),
            sleep: Arc::new(std::thread::sleep),
            rng: Arc::new(Mutex::new(fastrand::Rng::new())),
        }
    }

    /// A test's clock and sleeper, with a fixed seed.
    pub fn custom(
        now: impl Fn() -> SystemTime + Send + Sync + 'static,
        sleep: impl Fn(Duration) + Send + Sync + 'static,
        seed: u64,
    ) -> Self {
        Environment {
            now: Arc::new(now),
            sleep: Arc::new(sleep),
            rng: Arc::new(Mutex::new(fastrand::Rng::with_seed(seed))),
        }
    }

    fn now(&self) -> SystemTime {
        (self.now)()
    }

    fn now_ms(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }

    fn sleep(&self, d: Duration) {
        (self.sleep)(d)
    }

    fn random_f64(&self) -> f64 {
        self.rng.lock().map_or(0.5, |mut r| r.f64())
    }

    fn random_u64(&self) -> u64 {
        self.rng.lock().map_or(0, |mut r| r.u64(..))
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Environment")
    }
}

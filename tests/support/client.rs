#![allow(dead_code)] // each test binary uses a different part of the harness
//! A model client pointed at the stand-in server, with a manual clock and a sleeper that
//! records the waits it was asked for instead of sleeping them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use mirai::config::{Config, Env, Origin};
use mirai::llm::budget::MemoryLedger;
use mirai::llm::{Environment, Llm};

/// The key every test client sends; the tests check it never leaks.
pub const KEY: &str = "sk-test-0123456789abcdefghijklmnop";

/// 2026-11-25T12:00:00Z, the tests' "now".
const START_MS: u64 = 1_795_608_000_000;

/// A client plus the knobs of its environment.
pub struct Harness {
    pub llm: Llm,
    clock: Arc<AtomicU64>,
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl Harness {
    /// A client for `base_url` with `yaml` as config (retries fast and deterministic: no jitter).
    pub fn new(base_url: &str, yaml: &str) -> Harness {
        Harness::with_env(base_url, yaml, &[("OPENAI_API_KEY", KEY)])
    }

    /// The same with the given environment variables (besides OPENAI_BASE_URL).
    pub fn with_env(base_url: &str, yaml: &str, vars: &[(&str, &str)]) -> Harness {
        let mut pairs: Vec<(String, String)> =
            vec![("OPENAI_BASE_URL".into(), base_url.to_owned())];
        pairs.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let text = format!("openai:\n  defaults:\n    backoff:\n      jitter: false\n{yaml}");
        let config = Config::from_text(&text, Origin::Defaults, None, &Env::from_pairs(pairs))
            .unwrap_or_else(|e| panic!("test config: {e}\n{text}"));
        let clock = Arc::new(AtomicU64::new(START_MS));
        let waits = Arc::new(Mutex::new(Vec::new()));
        let (c1, c2, w) = (clock.clone(), clock.clone(), waits.clone());
        let env = Environment::custom(
            move || UNIX_EPOCH + Duration::from_millis(c1.load(Ordering::SeqCst)),
            move |d| {
                w.lock().unwrap().push(d);
                c2.fetch_add(d.as_millis() as u64, Ordering::SeqCst);
            },
            7,
        );
        let llm = Llm::new(&config, Arc::new(MemoryLedger::new()), env);
        Harness { llm, clock, waits }
    }

    /// The waits the client chose, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }

    /// Moves the clock forward.
    pub fn advance(&self, d: Duration) {
        self.clock.fetch_add(d.as_millis() as u64, Ordering::SeqCst);
    }
}

/// A one-message request.
pub fn ask(text: &str) -> mirai::llm::wire::ChatRequest {
    mirai::llm::wire::ChatRequest::new(vec![mirai::llm::wire::ChatMessage::user(text)])
}

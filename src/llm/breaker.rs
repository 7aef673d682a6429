//! A circuit breaker per endpoint, so a dead OpenAI endpoint costs one probe every half
//! minute instead of a full retry ladder on every request.
//!
//! Time is an input (Unix milliseconds): [`Breaker`] is a pure state machine and the I/O layer
//! reads the clock. [`Breakers`] keys breakers by endpoint name behind one mutex; the work
//! under the lock is a few comparisons, so contention is not a concern.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

/// When a breaker opens and how it tests the endpoint again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long an open breaker refuses everything before the first probe.
    pub open_for: Duration,
    /// The spacing of probes after a failed one.
    pub half_open_interval: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(60),
            half_open_interval: Duration::from_secs(30),
        }
    }
}

/// Where a breaker stands; times are Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through; `failures` counts the consecutive ones.
    Closed {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Every call is refused until `until`.
    Open {
        /// When the breaker opened.
        since: u64,
        /// When the first probe may go.
        until: u64,
    },
    /// One probe at a time tests the endpoint.
    HalfOpen {
        /// When the breaker first opened, kept so errors can say "unavailable since".
        since: u64,
        /// Whether a probe's result is awaited.
        probe_in_flight: bool,
        /// When the next probe may go.
        next_probe_at: u64,
    },
}

/// Leave to make one call; a probe's result decides whether the breaker closes.
#[must_use = "report the call's result with on_success or on_failure"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    probe: bool,
}

impl Permit {
    /// Whether this call is the half-open probe.
    pub fn is_probe(&self) -> bool {
        self.probe
    }
}

/// A call refused without touching the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the endpoint has been unavailable since {}; next try at {}",
    crate::clock::rfc3339_ms(*.since_ms as i64),
    crate::clock::rfc3339_ms(*.retry_at_ms as i64)
)]
pub struct Refused {
    /// When the breaker first opened.
    pub since_ms: u64,
    /// The earliest time a call may be let through.
    pub retry_at_ms: u64,
}

/// One endpoint's breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    settings: BreakerSettings,
    state: BreakerState,
    transitions: u64,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Breaker {
    /// A closed breaker.
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            state: BreakerState::Closed { failures: 0 },
            transitions: 0,
        }
    }

    /// Lets a call through, or refuses it at once while the endpoint is presumed down.
    pub fn allow(&mut self, now_ms: u64) -> Result<Permit, Refused> {
        let probe_spacing = ms(self.settings.half_open_interval);
        match self.state {
            BreakerState::Closed { .. } => Ok(Permit { probe: false }),
            BreakerState::Open { since, until } if now_ms < until => Err(Refused {
                since_ms: since,
                retry_at_ms: until,
            }),
            BreakerState::HalfOpen {
                since,
                next_probe_at,
                ..
            } if now_ms < next_probe_at => Err(Refused {
                since_ms: since,
                retry_at_ms: next_probe_at,
            }),
            // Open and due, or half-open and due. While a probe is in flight, next_probe_at
            // is when it is presumed lost: a probe whose result never comes back (a dropped
            // future, a panicked task) must not wedge the breaker open for good.
            BreakerState::Open { since, .. } | BreakerState::HalfOpen { since, .. } => {
                self.set(BreakerState::HalfOpen {
                    since,
                    probe_in_flight: true,
                    next_probe_at: now_ms.saturating_add(probe_spacing),
                });
                Ok(Permit { probe: true })
            }
        }
    }

    /// Records a call that worked: the endpoint is up.
    pub fn on_success(&mut self, _now_ms: u64) {
        match self.state {
            BreakerState::Closed { failures: 0 } => {}
            BreakerState::Closed { .. } => self.state = BreakerState::Closed { failures: 0 },
            // A call let through before the breaker opened proves little about now; the
            // probe will tell.
            BreakerState::Open { .. } => {}
            BreakerState::HalfOpen { .. } => self.set(BreakerState::Closed { failures: 0 }),
        }
    }

    /// Records a call that failed in a way that counts against the endpoint.
    pub fn on_failure(&mut self, now_ms: u64) {
        match self.state {
            BreakerState::Closed { failures } => {
                let failures = failures.saturating_add(1);
                if failures >= self.settings.failure_threshold {
                    self.set(BreakerState::Open {
                        since: now_ms,
                        until: now_ms.saturating_add(ms(self.settings.open_for)),
                    });
                } else {
                    self.state = BreakerState::Closed { failures };
                }
            }
            // Late failures of calls let through before opening change nothing.
            BreakerState::Open { .. } => {}
            BreakerState::HalfOpen { since, .. } => self.set(BreakerState::HalfOpen {
                since,
                probe_in_flight: false,
                next_probe_at: now_ms.saturating_add(ms(self.settings.half_open_interval)),
            }),
        }
    }

    /// Where the breaker stands now.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// How many times the breaker has changed between closed, open and half-open; a probe
    /// that fails and schedules the next one counts too, so metrics see every probe.
    pub fn transitions(&self) -> u64 {
        self.transitions
    }

    fn set(&mut self, state: BreakerState) {
        self.state = state;
        self.transitions += 1;
    }
}

/// Breakers by endpoint name, shared by every thread that calls OpenAI.
#[derive(Debug)]
pub struct Breakers {
    settings: BreakerSettings,
    by_endpoint: Mutex<HashMap<String, Breaker>>,
}

impl Breakers {
    /// No breakers yet; each endpoint gets a closed one the first time it is named.
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            by_endpoint: Mutex::new(HashMap::new()),
        }
    }

    /// [`Breaker::allow`] for `endpoint`.
    pub fn allow(&self, endpoint: &str, now_ms: u64) -> Result<Permit, Refused> {
        self.with(endpoint, |b| b.allow(now_ms))
    }

    /// [`Breaker::on_success`] for `endpoint`.
    pub fn on_success(&self, endpoint: &str, now_ms: u64) {
        self.with(endpoint, |b| b.on_success(now_ms));
    }

    /// [`Breaker::on_failure`] for `endpoint`.
    pub fn on_failure(&self, endpoint: &str, now_ms: u64) {
        self.with(endpoint, |b| b.on_failure(now_ms));
    }

    /// Every endpoint's state, sorted by name, for metrics and the status page.
    pub fn snapshot(&self) -> Vec<(String, BreakerState)> {
        let mut all: Vec<_> = self
            .lock()
            .iter()
            .map(|(name, b)| (name.clone(), b.state()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    fn with<T>(&self, endpoint: &str, f: impl FnOnce(&mut Breaker) -> T) -> T {
        let mut map = self.lock();
        if !map.contains_key(endpoint) {
            map.insert(endpoint.to_owned(), Breaker::new(self.settings));
        }
        f(map.get_mut(endpoint).expect("inserted above"))
    }

    /// Every update leaves a breaker whole, so a panic elsewhere while holding the lock
    /// cannot leave a half-written state behind: recovering from poison is safe.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Breaker>> {
        self.by_endpoint
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(BreakerSettings::default())
    }

    fn open_at(b: &mut Breaker, t: u64) {
        for _ in 0..5 {
            assert!(!b.allow(t).unwrap().is_probe());
            b.on_failure(t);
        }
    }

    #[test]
    fn walks_closed_open_half_open_closed() {
        let mut b = breaker();
        for n in 1..5 {
            assert!(!b.allow(1_000).unwrap().is_probe());
            b.on_failure(1_000);
            assert_eq!(b.state(), BreakerState::Closed { failures: n });
        }
        b.on_failure(2_000);
        let open = BreakerState::Open {
            since: 2_000,
            until: 62_000,
        };
        assert_eq!(b.state(), open);
        assert!(b.allow(61_999).is_err());
        assert!(b.allow(62_000).unwrap().is_probe());
        let probing = BreakerState::HalfOpen {
            since: 2_000,
            probe_in_flight: true,
            next_probe_at: 92_000,
        };
        assert_eq!(b.state(), probing);
        b.on_success(63_000);
        assert_eq!(b.state(), BreakerState::Closed { failures: 0 });
        assert!(!b.allow(63_001).unwrap().is_probe());
        assert_eq!(b.transitions(), 3);
    }

    #[test]
    fn a_failed_probe_spaces_the_next_one() {
        let mut b = breaker();
        open_at(&mut b, 0);
        assert!(b.allow(60_000).unwrap().is_probe());
        b.on_failure(61_000);
        let waiting = BreakerState::HalfOpen {
            since: 0,
            probe_in_flight: false,
            next_probe_at: 91_000,
        };
        assert_eq!(b.state(), waiting);
        assert_eq!(
            b.allow(90_999),
            Err(Refused {
                since_ms: 0,
                retry_at_ms: 91_000
            })
        );
        assert!(b.allow(91_000).unwrap().is_probe());
        b.on_failure(91_500);
        assert_eq!(b.allow(100_000).unwrap_err().retry_at_ms, 121_500);
        // Still down after an hour: `since` stays at the first opening.
        assert_eq!(b.allow(3_600_000).map(|p| p.is_probe()), Ok(true));
        b.on_failure(3_600_000);
        assert_eq!(b.allow(3_600_001).unwrap_err().since_ms, 0);
    }

    #[test]
    fn refusals_while_open_say_since_and_when() {
        let mut b = breaker();
        open_at(&mut b, 1_795_615_320_000);
        let refused = b.allow(1_795_615_330_000).unwrap_err();
        assert_eq!(
            refused,
            Refused {
                since_ms: 1_795_615_320_000,
                retry_at_ms: 1_795_615_380_000
            }
        );
        assert_eq!(
            refused.to_string(),
            "the endpoint has been unavailable since 2026-11-25T14:02:00.000Z; \
             next try at 2026-11-25T14:03:00.000Z"
        );
        // Late results of calls let through before the breaker opened change nothing.
        b.on_success(1_795_615_331_000);
        b.on_failure(1_795_615_332_000);
        assert_eq!(b.allow(1_795_615_333_000), Err(refused));
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut b = breaker();
        for _ in 0..4 {
            b.on_failure(0);
        }
        b.on_success(0);
        assert_eq!(b.state(), BreakerState::Closed { failures: 0 });
        for _ in 0..4 {
            b.on_failure(0);
        }
        assert_eq!(b.state(), BreakerState::Closed { failures: 4 });
        assert_eq!(b.transitions(), 0);
    }

    #[test]
    fn only_one_probe_at_a_time() {
        let mut b = breaker();
        open_at(&mut b, 0);
        assert!(b.allow(60_000).unwrap().is_probe());
        let refused = Err(Refused {
            since_ms: 0,
            retry_at_ms: 90_000,
        });
        assert_eq!(b.allow(60_001), refused);
        assert_eq!(b.allow(89_999), refused);
        // A probe that never reported is presumed lost after the probe interval.
        assert!(b.allow(90_000).unwrap().is_probe());
    }

    #[test]
    fn breakers_are_kept_per_endpoint_and_shared_across_threads() {
        let breakers = Breakers::new(BreakerSettings {
            failure_threshold: 2,
            ..Default::default()
        });
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| breakers.on_failure("chat", 5));
            }
        });
        breakers.on_success("embeddings", 5);
        assert!(breakers.allow("chat", 6).is_err());
        assert!(breakers.allow("embeddings", 6).is_ok());
        let snapshot = breakers.snapshot();
        let names: Vec<_> = snapshot.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["chat", "embeddings"]);
        assert_eq!(
            snapshot[0].1,
            BreakerState::Open {
                since: 5,
                until: 60_005
            }
        );
        let json = serde_json::to_string(&snapshot[0].1).unwrap();
        assert_eq!(json, r#"{"state":"open","since":5,"until":60005}"#);
    }
}

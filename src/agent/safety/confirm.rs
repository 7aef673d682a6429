//! Actions waiting for the user's "yes": a pure state machine with time as an input.
//!
//! Pending calls are kept per (user, session), so one person's "yes" never confirms what
//! was asked of another person or in another conversation. A plain yes ("yes", "do it",
//! "да", "подтверждаю", alone or with "please"/"пожалуйста") confirms; anything else, or
//! silence past the timeout, cancels. At most `capacity` entries are kept; asking past that
//! drops the oldest.

use std::collections::HashMap;
use std::time::Duration;

use super::fold;
use crate::devices::ServiceCall;

/// How long a question waits for its answer unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Pending entries kept unless configured otherwise.
pub const DEFAULT_CAPACITY: usize = 64;

/// Answers that confirm, each a sequence of folded words.
const YES: &[&[&str]] = &[
    &["yes"],
    &["yeah"],
    &["yep"],
    &["confirm"],
    &["confirmed"],
    &["do", "it"],
    &["да"],
    &["подтверждаю"],
    &["давай"],
];

/// Politeness that may come with a yes.
const POLITE: &[&str] = &["please", "pls", "пожалуйста", "плиз"];

/// What an answer did.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The user said yes: run these.
    Confirmed(Vec<ServiceCall>),
    /// The user said something else, or too late: these were dropped.
    Cancelled(Vec<ServiceCall>),
    /// Nothing was waiting for this user in this session.
    NothingPending,
}

#[derive(Debug)]
struct Pending {
    calls: Vec<ServiceCall>,
    expires_at: i64,
    /// Order of asking, to drop the oldest when full.
    seq: u64,
}

/// Calls waiting for confirmation, by (user, session).
#[derive(Debug)]
pub struct Confirmations {
    pending: HashMap<(String, String), Pending>,
    timeout_ms: i64,
    capacity: usize,
    next_seq: u64,
}

impl Default for Confirmations {
    fn default() -> Self {
        Confirmations::new(DEFAULT_TIMEOUT, DEFAULT_CAPACITY)
    }
}

impl Confirmations {
    /// Questions wait `timeout`; at most `capacity` (at least one) are kept.
    pub fn new(timeout: Duration, capacity: usize) -> Self {
        Confirmations {
            pending: HashMap::new(),
            timeout_ms: i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX),
            capacity: capacity.max(1),
            next_seq: 0,
        }
    }

    /// Holds `calls` until the user answers; replaces what was pending for them before.
    pub fn ask(&mut self, user: &str, session: &str, calls: Vec<ServiceCall>, now_ms: i64) {
        self.pending.retain(|_, p| p.expires_at > now_ms);
        let key = (user.to_owned(), session.to_owned());
        if !self.pending.contains_key(&key) && self.pending.len() >= self.capacity {
            let oldest = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.seq)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                tracing::warn!(user = %oldest.0, session = %oldest.1, "pending confirmation dropped: too many waiting");
                self.pending.remove(&oldest);
            }
        }
        self.next_seq += 1;
        let pending = Pending {
            calls,
            expires_at: now_ms.saturating_add(self.timeout_ms),
            seq: self.next_seq,
        };
        self.pending.insert(key, pending);
    }

    /// Takes the user's reply to what is pending for them in this session.
    pub fn answer(&mut self, user: &str, session: &str, text: &str, now_ms: i64) -> Answer {
        let key = (user.to_owned(), session.to_owned());
        let Some(pending) = self.pending.remove(&key) else {
            return Answer::NothingPending;
        };
        if pending.expires_at > now_ms && is_yes(text) {
            Answer::Confirmed(pending.calls)
        } else {
            Answer::Cancelled(pending.calls)
        }
    }

    /// What waits for this user's answer in this session, if it has not expired.
    pub fn pending(&self, user: &str, session: &str, now_ms: i64) -> Option<&[ServiceCall]> {
        let key = (user.to_owned(), session.to_owned());
        self.pending
            .get(&key)
            .filter(|p| p.expires_at > now_ms)
            .map(|p| p.calls.as_slice())
    }
}

/// True when `text` is a plain yes: one or more affirmatives, optionally with politeness.
pub fn is_yes(text: &str) -> bool {
    let words: Vec<fold::Word> = fold::words(text);
    let mut rest: Vec<&str> = words
        .iter()
        .map(fold::Word::text)
        .filter(|w| !POLITE.contains(w))
        .collect();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let Some(yes) = YES.iter().find(|yes| rest.starts_with(yes)) else {
            return false;
        };
        rest.drain(..yes.len());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_000_000;

    fn unlock() -> Vec<ServiceCall> {
        vec![ServiceCall::new("lock.front_door", "unlock")]
    }

    #[test]
    fn plain_yes_in_either_language_confirms() {
        for text in [
            "yes",
            "Yes!",
            "yeah",
            "confirm",
            "do it",
            "Do it, please",
            "yes please",
            "да",
            "Да, пожалуйста",
            "подтверждаю",
            "давай",
            "да давай",
            "YES\u{200b}",
        ] {
            assert!(is_yes(text), "{text}");
        }
        for text in [
            "",
            "please",
            "no",
            "нет",
            "yes, but not the garage",
            "do",
            "it",
            "don't do it",
            "yes no",
            "не надо",
            "давай не будем",
            "maybe",
        ] {
            assert!(!is_yes(text), "{text}");
        }
    }

    #[test]
    fn yes_confirms_and_anything_else_cancels() {
        let mut c = Confirmations::default();
        c.ask("ana", "s1", unlock(), T0);
        assert_eq!(c.pending("ana", "s1", T0 + 1), Some(unlock().as_slice()));
        assert_eq!(
            c.answer("ana", "s1", "yes please", T0 + 5_000),
            Answer::Confirmed(unlock())
        );
        assert_eq!(
            c.answer("ana", "s1", "yes", T0 + 6_000),
            Answer::NothingPending
        );
        c.ask("ana", "s1", unlock(), T0);
        assert_eq!(
            c.answer("ana", "s1", "what's the weather", T0 + 1),
            Answer::Cancelled(unlock())
        );
        assert_eq!(c.pending("ana", "s1", T0 + 2), None);
    }

    #[test]
    fn an_answer_after_the_timeout_cancels() {
        let mut c = Confirmations::new(Duration::from_secs(60), 8);
        c.ask("ana", "s1", unlock(), T0);
        assert!(c.pending("ana", "s1", T0 + 59_999).is_some());
        assert_eq!(c.pending("ana", "s1", T0 + 60_000), None);
        assert_eq!(
            c.answer("ana", "s1", "yes", T0 + 60_000),
            Answer::Cancelled(unlock())
        );
    }

    #[test]
    fn nobody_else_can_confirm() {
        let mut c = Confirmations::default();
        c.ask("ana", "s1", unlock(), T0);
        assert_eq!(c.answer("bob", "s1", "yes", T0 + 1), Answer::NothingPending);
        assert_eq!(c.answer("ana", "s2", "yes", T0 + 1), Answer::NothingPending);
        assert_eq!(c.pending("bob", "s1", T0 + 1), None);
        // Their attempts left Ana's question alone.
        assert_eq!(
            c.answer("ana", "s1", "да", T0 + 2),
            Answer::Confirmed(unlock())
        );
    }

    #[test]
    fn asking_again_replaces_and_the_oldest_is_dropped_when_full() {
        let mut c = Confirmations::new(DEFAULT_TIMEOUT, 2);
        let open = vec![ServiceCall::new("cover.garage", "open_cover")];
        c.ask("ana", "s1", unlock(), T0);
        c.ask("ana", "s1", open.clone(), T0 + 1);
        assert_eq!(c.pending("ana", "s1", T0 + 2), Some(open.as_slice()));
        c.ask("bob", "s1", unlock(), T0 + 3);
        c.ask("eve", "s1", unlock(), T0 + 4);
        assert_eq!(c.pending.len(), 2);
        assert_eq!(c.pending("ana", "s1", T0 + 5), None, "oldest dropped");
        assert!(c.pending("bob", "s1", T0 + 5).is_some());
        // Expired entries make room before anyone is dropped.
        c.ask("zoe", "s1", unlock(), T0 + 61_000);
        assert_eq!(c.pending.len(), 1);
    }
}

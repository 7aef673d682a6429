//! [`Dedupe`]: the questions seen lately, so that a QoS 1 redelivery, or the same request id
//! sent again, never runs an action twice; a repeat gets the first answer published again.
//! Pure: the caller passes the time, so the window is tested with explicit instants.
//!
//! A question with an id is known by its id, its words and where its answer goes. One without
//! is known only by its packet (topic, packet id, payload): packet ids are reused as soon as a
//! delivery is acknowledged, so only a delivery marked DUP is matched against it.
//!
//! The memory is lost on restart: a question queued in the broker while the daemon was down
//! is new to it. The `ts` age check ([`super::message`]) covers that case.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

/// How many questions we remember. A household asks a few a minute; 256 covers the window.
pub(crate) const DEDUPE_ENTRIES: usize = 256;
/// How long a question is remembered. Brokers redeliver within seconds of a reconnect;
/// an app retrying by hand gives up well before this.
pub(crate) const DEDUPE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How many repeats that arrive while the first is still being answered are answered too;
/// more are dropped (a sender looping on one packet gets no more than this).
const MAX_WAITING: usize = 4;

/// What identifies a question across deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// The asker's own id, hashed with the words and the reply topic, so that an id reused
    /// for a different question is not mistaken for a repeat.
    Request(u64),
    /// A question without an id: its packet as the broker delivered it.
    Packet { topic: String, pkid: u16, hash: u64 },
}

impl Key {
    /// The key of a question carrying an id; `parts` are the id, words and reply topic.
    pub(crate) fn request(parts: &[&str]) -> Key {
        Key::Request(hash(parts))
    }

    /// The key of a delivery without an id, or `None` at QoS 0 (no packet id, no redelivery).
    pub(crate) fn packet(topic: &str, pkid: u16, payload: &[u8]) -> Option<Key> {
        (pkid != 0).then(|| Key::Packet {
            topic: topic.to_owned(),
            pkid,
            hash: hash(&[payload]),
        })
    }
}

fn hash<T: Hash + ?Sized>(parts: &[&T]) -> u64 {
    let mut h = DefaultHasher::new();
    parts.iter().for_each(|p| p.hash(&mut h));
    h.finish()
}

/// An answer as published: topic and payload.
pub(crate) type Sent = (String, Vec<u8>);

/// Whether a question was seen within the window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seen {
    /// First time: answer it.
    New,
    /// A repeat: publish this answer again.
    Answered(Sent),
    /// A repeat of a question still being answered: its answer will be published once more
    /// when it is ready.
    Waiting,
    /// A repeat to drop: a DUP packet, or more repeats than [`MAX_WAITING`] in the works.
    Dropped,
}

#[derive(Debug)]
struct Entry {
    key: Key,
    at: Instant,
    answer: Option<Sent>,
    waiting: usize,
}

/// The questions seen within [`DEDUPE_WINDOW`], oldest first, at most [`DEDUPE_ENTRIES`].
/// A list rather than a map: at this size a scan costs less than a hash map and its
/// eviction order kept beside it.
#[derive(Debug, Default)]
pub(crate) struct Dedupe {
    entries: VecDeque<Entry>,
}

impl Dedupe {
    /// Looks `key` up at `now` and remembers it if new. `dup` is the packet's DUP flag: a
    /// [`Key::Packet`] matches only a redelivery, as the sender may reuse a packet id at once.
    pub(crate) fn check(&mut self, key: &Key, dup: bool, now: Instant) -> Seen {
        self.expire(now);
        let found = self.entries.iter_mut().find(|e| e.key == *key);
        match (found, key) {
            (None, _) => {
                if self.entries.len() == DEDUPE_ENTRIES {
                    self.entries.pop_front();
                }
                self.entries.push_back(Entry {
                    key: key.clone(),
                    at: now,
                    answer: None,
                    waiting: 0,
                });
                Seen::New
            }
            (Some(e), Key::Packet { .. }) if !dup => {
                // The same packet id, not a redelivery: a new question; its window starts over.
                e.at = now;
                Seen::New
            }
            (Some(_), Key::Packet { .. }) => Seen::Dropped,
            (Some(e), Key::Request(_)) => match &e.answer {
                Some(sent) => Seen::Answered(sent.clone()),
                None if e.waiting < MAX_WAITING => {
                    e.waiting += 1;
                    Seen::Waiting
                }
                None => Seen::Dropped,
            },
        }
    }

    /// Records the answer to `key`'s question for repeats to come; returns how many repeats
    /// arrived while it was in the works, each owed a copy.
    pub(crate) fn answered(&mut self, key: &Key, sent: Sent) -> usize {
        match self.entries.iter_mut().find(|e| e.key == *key) {
            Some(e) => {
                e.answer = Some(sent);
                std::mem::take(&mut e.waiting)
            }
            None => 0,
        }
    }

    /// Forgets `key`: its question was refused (busy, stale) and may be asked again.
    pub(crate) fn forget(&mut self, key: &Key) {
        self.entries.retain(|e| e.key != *key);
    }

    fn expire(&mut self, now: Instant) {
        // Entries are in order of `at`, but for the rare packet id seen again (refreshed in
        // place): that one just lives a little longer than the window.
        while (self.entries.front()).is_some_and(|e| now.duration_since(e.at) > DEDUPE_WINDOW) {
            self.entries.pop_front();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(text: &str) -> Sent {
        ("mirai/h/reply".to_owned(), text.as_bytes().to_vec())
    }

    #[test]
    fn a_request_id_is_answered_once_and_repeats_get_the_same_answer() {
        let (mut d, t0) = (Dedupe::default(), Instant::now());
        let key = Key::request(&["q1", "turn on the lamp", "mirai/h/reply"]);
        assert_eq!(d.check(&key, false, t0), Seen::New);
        assert_eq!(d.answered(&key, sent("done")), 0);
        let later = t0 + Duration::from_secs(5);
        assert_eq!(d.check(&key, false, later), Seen::Answered(sent("done")));
        assert_eq!(d.check(&key, true, later), Seen::Answered(sent("done")));
        // The same id for other words, or another reply topic, is another question.
        let other = Key::request(&["q1", "turn off the lamp", "mirai/h/reply"]);
        assert_eq!(d.check(&other, false, later), Seen::New);
        let elsewhere = Key::request(&["q1", "turn on the lamp", "app/phone"]);
        assert_eq!(d.check(&elsewhere, false, later), Seen::New);
    }

    #[test]
    fn repeats_while_in_the_works_wait_for_the_answer_up_to_a_limit() {
        let (mut d, t0) = (Dedupe::default(), Instant::now());
        let key = Key::request(&["q2", "toggle", "r"]);
        assert_eq!(d.check(&key, false, t0), Seen::New);
        for _ in 0..MAX_WAITING {
            assert_eq!(d.check(&key, true, t0), Seen::Waiting);
        }
        assert_eq!(d.check(&key, true, t0), Seen::Dropped);
        assert_eq!(d.answered(&key, sent("ok")), MAX_WAITING);
        assert_eq!(d.check(&key, false, t0), Seen::Answered(sent("ok")));
    }

    #[test]
    fn a_packet_without_id_matches_only_a_dup_redelivery() {
        let (mut d, t0) = (Dedupe::default(), Instant::now());
        let key = Key::packet("mirai/h/ask", 7, b"turn on the lamp").unwrap();
        assert_eq!(d.check(&key, false, t0), Seen::New);
        assert_eq!(d.check(&key, true, t0), Seen::Dropped);
        // Packet id 7 reused for the same words, not marked DUP: asked again on purpose.
        assert_eq!(d.check(&key, false, t0), Seen::New);
        let other = Key::packet("mirai/h/ask", 7, b"turn off the lamp").unwrap();
        assert_eq!(d.check(&other, true, t0), Seen::New);
        assert_eq!(Key::packet("mirai/h/ask", 0, b"qos 0"), None);
    }

    #[test]
    fn the_window_expires() {
        let (mut d, t0) = (Dedupe::default(), Instant::now());
        let key = Key::request(&["q3", "toggle", "r"]);
        assert_eq!(d.check(&key, false, t0), Seen::New);
        d.answered(&key, sent("ok"));
        let edge = t0 + DEDUPE_WINDOW;
        assert_eq!(d.check(&key, false, edge), Seen::Answered(sent("ok")));
        let past = edge + Duration::from_millis(1);
        assert_eq!(d.check(&key, false, past), Seen::New);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_goes_first() {
        let (mut d, t0) = (Dedupe::default(), Instant::now());
        let key = |i: usize| Key::request(&[&i.to_string(), "x", "r"]);
        for i in 0..=DEDUPE_ENTRIES {
            assert_eq!(d.check(&key(i), false, t0), Seen::New);
        }
        assert_eq!(d.len(), DEDUPE_ENTRIES);
        assert_eq!(d.check(&key(DEDUPE_ENTRIES), false, t0), Seen::Waiting);
        assert_eq!(
            d.check(&key(0), false, t0),
            Seen::New,
            "the oldest was forgotten"
        );
        // Answering an evicted question is harmless.
        assert_eq!(d.answered(&key(1), sent("late")), 0);
    }

    #[test]
    fn a_refused_question_is_forgotten() {
        let (mut d, t0) = (Dedupe::default(), Instant::now());
        let key = Key::request(&["q4", "toggle", "r"]);
        assert_eq!(d.check(&key, false, t0), Seen::New);
        d.forget(&key);
        assert_eq!(d.check(&key, false, t0), Seen::New);
    }
}

//! [`Answerer`]: puts questions to the blocking hub on the blocking pool, at most
//! [`MAX_IN_FLIGHT`] at a time, and publishes what comes back. Beyond that the asker is told
//! the hub is busy: a queue here would only answer stale questions late. Before that, a
//! repeat of a question seen lately gets the first answer again ([`Dedupe`]), and a question
//! older than [`message::MAX_AGE`] by its own `ts` is refused.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rumqttc::{AsyncClient, QoS};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{error, info, warn};

use super::dedupe::{Dedupe, Key, Seen};
use super::message::{self, Answer, Inbound};
use super::state::MqttState;
use crate::frontends::hub::Hub;

/// Questions the hub works on at once. A Pi has few cores and each turn may call a model;
/// more would only make every answer slower.
pub(crate) const MAX_IN_FLIGHT: usize = 4;
/// Said (or sent as the error) when [`MAX_IN_FLIGHT`] questions are already in the works.
const BUSY: &str = "The hub is busy, please try again in a moment.";
/// Said when the daemon is stopping.
const CLOSING: &str = "The hub is shutting down.";
/// Said when the hub failed to answer at all.
const FAILED: &str = "Sorry, something went wrong.";

/// Hands questions to the hub and answers to the broker.
pub(crate) struct Answerer {
    hub: Arc<dyn Hub>,
    /// `mirai/<hub_id>/reply/partial` when partial replies are on.
    partial_topic: Option<String>,
    client: AsyncClient,
    state: Arc<MqttState>,
    permits: Arc<Semaphore>,
    closing: AtomicBool,
    /// Shared with the answers in the works, which record themselves in it.
    dedupe: Arc<Mutex<Dedupe>>,
}

impl Answerer {
    /// An answerer publishing through `client`, counting in `state`.
    pub(crate) fn new(hub: Arc<dyn Hub>, client: AsyncClient, state: Arc<MqttState>) -> Self {
        Answerer {
            hub,
            partial_topic: None,
            client,
            state,
            permits: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            closing: AtomicBool::new(false),
            dedupe: Arc::default(),
        }
    }

    /// Publishes the sentences of model replies on `topic` as they are written.
    pub(crate) fn with_partials(mut self, topic: String) -> Self {
        self.partial_topic = Some(topic);
        self
    }

    /// Starts answering `inbound` in the background, or says at once why not; `dup` is the
    /// packet's DUP flag (a redelivery by the broker).
    pub(crate) fn ask(&self, inbound: Inbound, dup: bool) {
        let Some(permit) = self.admit(&inbound, dup) else {
            return;
        };
        let key = inbound.key.clone();
        let (hub, client, state) = (self.hub.clone(), self.client.clone(), self.state.clone());
        let dedupe = self.dedupe.clone();
        let Inbound {
            request, answer, ..
        } = inbound;
        let partial = match (&self.partial_topic, &answer) {
            (Some(topic), Answer::Plain { id, site, .. }) => {
                Some((topic.clone(), id.clone(), site.clone(), client.clone()))
            }
            _ => None,
        };
        tokio::spawn(async move {
            let reply = tokio::task::spawn_blocking(move || match partial {
                Some((topic, id, site, client)) => {
                    let session = request.session.clone();
                    let mut say = |text: &str| {
                        let body = serde_json::json!({"id": id, "text": text, "session_id": session, "site_id": site});
                        // Never waits: a sentence that finds the channel full is left to the reply.
                        if let Err(err) = client.try_publish(&topic, QoS::AtLeastOnce, false, body.to_string()) {
                            warn!(cause = %err, "partial reply dropped");
                        }
                    };
                    hub.respond_streaming(request, &mut say)
                }
                None => hub.respond(request),
            })
            .await;
            let (topic, payload) = match reply {
                Ok(reply) => answer.render(&reply),
                Err(err) => {
                    error!(cause = %err, "hub failed to answer");
                    answer.render_error("the hub failed", FAILED)
                }
            };
            let repeats = match &key {
                Some(key) => lock(&dedupe).answered(key, (topic.clone(), payload.clone())),
                None => 0,
            };
            // Repeats that arrived meanwhile each get the answer too (plain replies only:
            // Rhasspy would speak it again).
            let copies = 1 + if answer.repeatable() { repeats } else { 0 };
            for _ in 0..copies {
                publish(&client, &state, &topic, payload.clone()).await;
            }
            drop(permit);
        });
    }

    /// A permit to answer `inbound` now; or `None`, having dealt with it: refused (closing,
    /// too old, busy) or a repeat. A refused question is forgotten, so it may be asked again.
    fn admit(&self, inbound: &Inbound, dup: bool) -> Option<OwnedSemaphorePermit> {
        if self.closing.load(Ordering::Relaxed) {
            self.refuse(&inbound.answer, "shutting down", CLOSING);
            return None;
        }
        let key = inbound.key.as_ref();
        if key.is_some_and(|key| !self.first(key, dup, &inbound.answer)) {
            return None;
        }
        if let Some(why) = message::too_old(inbound.sent_ms, unix_ms()) {
            warn!(reason = %why, session = %inbound.request.session, "stale question refused");
            self.forget(key);
            self.refuse(&inbound.answer, &why, &why);
            return None;
        }
        let permit = self.permits.clone().try_acquire_owned();
        if permit.is_err() {
            warn!(in_flight = MAX_IN_FLIGHT, "hub busy, question refused");
            self.forget(key);
            self.refuse(&inbound.answer, "busy", BUSY);
        }
        permit.ok()
    }

    /// True if `key` is seen for the first time; else deals with the repeat (publishes the
    /// answer again if it is known, or leaves it to the answer in the works) and counts it.
    fn first(&self, key: &Key, dup: bool, answer: &Answer) -> bool {
        let seen = lock(&self.dedupe).check(key, dup, Instant::now());
        match seen {
            Seen::New => return true,
            Seen::Answered((topic, payload)) if answer.repeatable() => {
                info!(
                    topic,
                    dup, "repeated question: the same answer again, no action"
                );
                self.send_now(&topic, payload);
            }
            Seen::Waiting if answer.repeatable() => {
                info!(
                    dup,
                    "repeated question in the works: answered when ready, once"
                )
            }
            _ => info!(dup, "repeated question dropped"),
        }
        self.state.count_duplicate();
        false
    }

    fn forget(&self, key: Option<&Key>) {
        if let Some(key) = key {
            lock(&self.dedupe).forget(key);
        }
    }

    /// Counts a refused question and says so on `answer`'s topic.
    fn refuse(&self, answer: &Answer, error: &str, spoken: &str) {
        self.state.count_rejected();
        let (topic, payload) = answer.render_error(error, spoken);
        self.send_now(&topic, payload);
    }

    /// Publishes without waiting; the event loop calls this and must never block on its own
    /// channel. A full channel drops the message, with a log line.
    pub(crate) fn send_now(&self, topic: &str, payload: Vec<u8>) {
        match self
            .client
            .try_publish(topic, QoS::AtLeastOnce, false, payload)
        {
            Ok(()) => self.state.count_out(),
            Err(err) => warn!(cause = %err, topic, "message dropped: client channel full"),
        }
    }

    /// Refuses new questions from now on and waits up to `deadline` for those in the works;
    /// true if they all finished.
    pub(crate) async fn drain(&self, deadline: Duration) -> bool {
        self.closing.store(true, Ordering::Relaxed);
        let all = u32::try_from(MAX_IN_FLIGHT).unwrap_or(u32::MAX);
        tokio::time::timeout(deadline, self.permits.acquire_many(all))
            .await
            .is_ok_and(|p| p.is_ok())
    }
}

/// Publishes an answer, waiting for room in the client's bounded channel, also while the
/// broker is away.
async fn publish(client: &AsyncClient, state: &MqttState, topic: &str, payload: Vec<u8>) {
    // Counted first, so a reader who got the answer also sees the count.
    state.count_out();
    if let Err(err) = client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
    {
        warn!(cause = %err, topic, "answer not sent: the connection is closing");
    }
}

/// The dedupe memory; a panic elsewhere while holding it leaves it usable.
fn lock(dedupe: &Mutex<Dedupe>) -> std::sync::MutexGuard<'_, Dedupe> {
    dedupe.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Now as Unix milliseconds; 0 for a clock before 1970 (then nothing is too old).
fn unix_ms() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

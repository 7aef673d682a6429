//! [`Answerer`]: puts questions to the blocking hub on the blocking pool, at most
//! [`MAX_IN_FLIGHT`] at a time, and publishes what comes back. Beyond that the asker is told
//! the hub is busy: a queue here would only answer stale questions late.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, QoS};
use tokio::sync::Semaphore;
use tracing::{error, warn};

use super::message::{Answer, Inbound};
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
        }
    }

    /// Publishes the sentences of model replies on `topic` as they are written.
    pub(crate) fn with_partials(mut self, topic: String) -> Self {
        self.partial_topic = Some(topic);
        self
    }

    /// Starts answering `inbound` in the background, or says at once why not.
    pub(crate) fn ask(&self, inbound: Inbound) {
        if self.closing.load(Ordering::Relaxed) {
            return self.refuse(&inbound.answer, "shutting down", CLOSING);
        }
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            warn!(in_flight = MAX_IN_FLIGHT, "hub busy, question refused");
            return self.refuse(&inbound.answer, "busy", BUSY);
        };
        let (hub, client, state) = (self.hub.clone(), self.client.clone(), self.state.clone());
        let Inbound { request, answer } = inbound;
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
            // Counted first, so a reader who got the answer also sees the count.
            state.count_out();
            // Waits for room in the client's bounded channel, also while the broker is away.
            if let Err(err) = client
                .publish(&topic, QoS::AtLeastOnce, false, payload)
                .await
            {
                warn!(cause = %err, topic, "answer not sent: the connection is closing");
            }
            drop(permit);
        });
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

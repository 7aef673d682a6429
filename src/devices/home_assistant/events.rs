//! MIRAI's events in Home Assistant, for automations to trigger on: `mirai_reply` after each
//! answer, `mirai_action` for each device action, `mirai_blocked` when the safety gate
//! refused a request. Fired over REST from a thread of their own, so no reply waits for
//! them; a full queue drops the newest (logged), it never blocks the agent.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use serde_json::{Value, json};
use tracing::warn;

use super::rest::Rest;
use crate::agent::{Reply, Request};

/// Events waiting to be sent at most.
const QUEUE: usize = 64;
/// Characters of a reply or request text carried in an event.
const TEXT_CHARS: usize = 500;

/// The sender of MIRAI's events; cheap to clone.
#[derive(Clone)]
pub struct Events {
    queue: SyncSender<(&'static str, Value)>,
}

impl Events {
    /// Starts the sending thread.
    pub(super) fn start(rest: Rest) -> Events {
        let (queue, pending) = sync_channel(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("mirai-ha-events".into())
            .spawn(move || send_all(&rest, &pending));
        if let Err(e) = spawned {
            warn!(cause = %e, "cannot start the Home Assistant event thread; events are off");
        }
        Events { queue }
    }

    /// The events of one answered request.
    pub fn after(&self, request: &Request, reply: &Reply) {
        let source = serde_json::to_value(request.source).unwrap_or(Value::Null);
        let clip = |s: &str| s.chars().take(TEXT_CHARS).collect::<String>();
        if let Some(category) = &reply.blocked {
            self.fire(
                "mirai_blocked",
                json!({"category": category, "text": clip(&request.text), "user": request.user,
                       "source": source, "session_id": request.session}),
            );
        }
        for a in &reply.actions {
            self.fire(
                "mirai_action",
                json!({"entity_id": a.call.entity_id, "service": a.call.service,
                       "data": a.call.data, "outcome": a.outcome, "detail": a.detail,
                       "user": request.user, "source": source}),
            );
        }
        self.fire(
            "mirai_reply",
            json!({"text": clip(&reply.text), "request": clip(&request.text), "via": reply.via,
                   "user": request.user, "source": source, "session_id": request.session,
                   "site_id": request.site}),
        );
    }

    fn fire(&self, event_type: &'static str, data: Value) {
        match self.queue.try_send((event_type, data)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                warn!(
                    event = event_type,
                    "Home Assistant event queue full; event dropped"
                );
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

fn send_all(rest: &Rest, pending: &Receiver<(&'static str, Value)>) {
    while let Ok((event_type, data)) = pending.recv() {
        if let Err(e) = rest.fire_event(event_type, &data) {
            warn!(event = event_type, cause = %e, "cannot fire the event in Home Assistant");
        }
    }
}

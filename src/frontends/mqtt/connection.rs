//! [`Connection`]: the only code that owns the broker connection. It polls rumqttc's event
//! loop, (re)subscribes and says `online` on every connect, backs off while the broker is
//! away, routes incoming messages to the parsers and the [`Answerer`], (re)announces the hub
//! to Home Assistant, reports the hub's figures every [`STATE_EVERY`], and leaves cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, Incoming, Outgoing, Publish,
    QoS, SubscribeFilter,
};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep, sleep_until};
use tracing::{debug, info, warn};

use super::answer::Answerer;
use super::dedupe::Key;
use super::discovery::HA_ONLINE;
use super::hermes::{self, RecentSessions};
use super::message;
use super::mirror::Controls;
pub(crate) use super::reporter::Reporter;
use super::state::MqttState;
use super::topics::{OFFLINE, ONLINE, Route, Topics};
use super::{Ended, MqttError};

/// The first wait after the broker goes away; doubles on each failed attempt.
const BACKOFF_FIRST: Duration = Duration::from_millis(200);
/// The longest wait between attempts to reach the broker.
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How long a connection must have lasted for the backoff to start over. A broker that
/// accepts and then drops us at once (another process with our client id) is retried ever
/// slower, not hammered.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// How long shutdown waits for answers in the works, then again for `offline` to go out.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(3);
/// How often the retained `state` is refreshed between answers: figures like the breaker
/// change without any request.
const STATE_EVERY: Duration = Duration::from_secs(30);

/// The event loop and everything it hands work to.
pub(crate) struct Connection {
    events: EventLoop,
    client: AsyncClient,
    topics: Topics,
    state: Arc<MqttState>,
    answerer: Answerer,
    recent: RecentSessions,
    /// Home Assistant's config topic and payload, if discovery is on.
    discovery: Option<(String, Vec<u8>)>,
    reporter: Option<Arc<Reporter>>,
    controls: Option<Controls>,
}

impl Connection {
    /// A connection that has not dialled yet; the first poll does.
    pub(crate) fn new(
        (client, events): (AsyncClient, EventLoop),
        topics: Topics,
        state: Arc<MqttState>,
        answerer: Answerer,
    ) -> Connection {
        Connection {
            events,
            client,
            topics,
            state,
            answerer,
            recent: RecentSessions::default(),
            discovery: None,
            reporter: None,
            controls: None,
        }
    }

    /// Mirrors back-end entities and takes their commands through `controls`.
    pub(crate) fn with_controls(mut self, controls: Option<Controls>) -> Self {
        self.controls = controls;
        self
    }

    /// Publishes the hub's figures through `reporter` on connect and every [`STATE_EVERY`].
    pub(crate) fn with_reporter(mut self, reporter: Arc<Reporter>) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// Announces the hub to Home Assistant with `config` (topic, payload) on every connect.
    pub(crate) fn with_discovery(mut self, config: Option<(String, serde_json::Value)>) -> Self {
        self.discovery = config.map(|(topic, payload)| (topic, payload.to_string().into_bytes()));
        self
    }

    /// Serves until `shutdown`, then leaves.
    pub(crate) async fn drive(
        mut self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Ended, MqttError> {
        tokio::pin!(shutdown);
        let (mut backoff, mut up_since) = (BACKOFF_FIRST, None::<Instant>);
        // The periodic report runs on its own task: `EventLoop::poll` is not cancel-safe while
        // it connects, and a timer winning a `select!` against it dropped a fresh connection
        // right after its CONNACK, which made the broker publish our will (`offline`).
        let refresher = self.spawn_refresher();
        loop {
            let event = tokio::select! {
                () = &mut shutdown => {
                    if let Some(r) = &refresher {
                        r.abort();
                    }
                    return Ok(self.leave().await);
                }
                event = self.events.poll() => event,
            };
            match event {
                Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                    up_since = Some(Instant::now());
                    self.on_connect();
                    self.report_state();
                    if let Some(c) = &self.controls {
                        c.resync();
                    }
                }
                Ok(Event::Incoming(Incoming::Publish(publish))) => self.on_publish(&publish),
                Ok(_) => {}
                Err(err) => {
                    self.state.set_connected(false);
                    refused(&err)?;
                    if up_since.take().is_some_and(|t| t.elapsed() >= STABLE_AFTER) {
                        backoff = BACKOFF_FIRST;
                    }
                    warn!(cause = %err, retry_in_ms = backoff.as_millis() as u64, "broker unreachable");
                    tokio::select! {
                        () = &mut shutdown => return Ok(Ended::Abrupt),
                        () = sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }

    /// Subscribes (the broker may have lost our session), says `online` and announces the hub
    /// to Home Assistant. From a task, as the loop must keep polling for the client's channel
    /// to drain.
    fn on_connect(&self) {
        self.state.set_connected(true);
        info!(topic = self.topics.status(), "connected to the broker");
        let filters: Vec<_> = (self.topics.subscriptions().into_iter())
            .map(|t| SubscribeFilter::new(t, QoS::AtLeastOnce))
            .collect();
        let (client, status) = (self.client.clone(), self.topics.status().to_owned());
        let discovery = self.discovery.clone();
        tokio::spawn(async move {
            let mut sent = client.subscribe_many(filters).await;
            if sent.is_ok() {
                sent = client.publish(status, QoS::AtLeastOnce, true, ONLINE).await;
            }
            if let (Ok(()), Some((topic, payload))) = (&sent, discovery) {
                sent = client.publish(topic, QoS::AtLeastOnce, true, payload).await;
            }
            if let Err(err) = sent {
                warn!(cause = %err, "subscribe, online status or discovery not sent");
            }
        });
    }

    /// Publishes the hub's figures, off the event loop as the hub may block; not while the
    /// broker is away, where they would only fill the client's channel with stale figures.
    /// Reports the hub's figures every [`STATE_EVERY`] while connected, on a task of its own.
    fn spawn_refresher(&self) -> Option<tokio::task::JoinHandle<()>> {
        let reporter = self.reporter.clone()?;
        let state = self.state.clone();
        Some(tokio::spawn(async move {
            let mut refresh = interval_at(Instant::now() + STATE_EVERY, STATE_EVERY);
            refresh.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                refresh.tick().await;
                if state.connected() {
                    let reporter = reporter.clone();
                    tokio::task::spawn_blocking(move || reporter.publish_state());
                }
            }
        }))
    }

    fn report_state(&self) {
        let Some(reporter) = self.reporter.clone() else {
            return;
        };
        if self.state.connected() {
            tokio::task::spawn_blocking(move || reporter.publish_state());
        }
    }

    /// Home Assistant's autonomous switch (`ON`/`OFF`) or button (`PRESS`): told to the hub
    /// on a blocking thread, then fresh figures (the switch's state) are published.
    fn on_autonomous(&self, route: Route, payload: &[u8]) {
        use crate::frontends::hub::Autonomous;
        let command = match (route, payload) {
            (Route::AutonomousSet, b"ON") => Autonomous::On,
            (Route::AutonomousSet, b"OFF") => Autonomous::Off,
            (Route::AutonomousRun, _) => Autonomous::RunRound,
            _ => {
                warn!(
                    bytes = payload.len(),
                    "autonomous switch: expected ON or OFF"
                );
                self.state.count_rejected();
                return;
            }
        };
        let Some(reporter) = self.reporter.clone() else {
            return;
        };
        tokio::task::spawn_blocking(move || {
            if !reporter.hub.autonomous(command) {
                warn!(
                    ?command,
                    "no scheduler runs here: the autonomous command is ignored"
                );
            }
            reporter.publish_state();
        });
    }

    /// Home Assistant (re)started and forgot us unless the broker kept our retained config:
    /// announce the hub again.
    fn on_ha_status(&self, payload: &[u8]) {
        let Some((topic, config)) = &self.discovery else {
            return;
        };
        if payload != HA_ONLINE.as_bytes() {
            return;
        }
        if let Some(c) = &self.controls {
            c.resync();
        }
        debug!(topic, "Home Assistant is online: discovery sent again");
        if let Err(err) = (self.client).try_publish(topic, QoS::AtLeastOnce, true, config.clone()) {
            warn!(cause = %err, "discovery not sent");
        }
    }

    /// Parses a message on one of our topics and answers it, or says why not.
    fn on_publish(&mut self, publish: &Publish) {
        let topic = publish.topic.as_str();
        let Some(route) = self.topics.route(topic) else {
            debug!(topic, "message on a topic we do not serve");
            return;
        };
        if route == Route::HaStatus {
            return self.on_ha_status(&publish.payload);
        }
        if let Route::AutonomousSet | Route::AutonomousRun = route {
            return self.on_autonomous(route, &publish.payload);
        }
        if route == Route::Control {
            if let Some(c) = &self.controls {
                c.command(topic, &publish.payload, publish.retain);
            }
            return;
        }
        self.state.count_in();
        let parsed = if publish.retain {
            // A retained question would be asked again on every reconnect.
            Err(message::Rejected {
                reason: "retained question ignored".to_owned(),
                answer: None,
            })
        } else if route == Route::Ask {
            message::parse_ask(&publish.payload, &self.topics)
        } else {
            hermes::parse(route, &publish.payload)
        };
        match parsed {
            Ok(inbound) if !self.recent.first(&inbound.answer) => {
                debug!(topic, "utterance already answered in this session");
            }
            Ok(mut inbound) => {
                let packet = || Key::packet(topic, publish.pkid, &publish.payload);
                inbound.key = inbound.key.or_else(packet);
                self.answerer.ask(inbound, publish.dup);
            }
            Err(rejected) => {
                warn!(topic, reason = %rejected.reason, bytes = publish.payload.len(), "message rejected");
                self.state.count_rejected();
                if let Some(answer) = rejected.answer {
                    let (to, payload) = answer.render_error(&rejected.reason, "");
                    self.answerer.send_now(&to, payload);
                }
            }
        }
    }

    /// Lets answers in the works go out, says `offline` and disconnects, each within
    /// [`SHUTDOWN_DEADLINE`]; without a broker the will has said `offline` already.
    async fn leave(mut self) -> Ended {
        if !self.state.connected() {
            return Ended::Abrupt;
        }
        match self.finish_answers().await {
            None => return Ended::Abrupt,
            Some(true) => {}
            Some(false) => warn!(
                deadline_ms = SHUTDOWN_DEADLINE.as_millis() as u64,
                "answers still in the works at shutdown"
            ),
        }
        let (client, status) = (self.client.clone(), self.topics.status().to_owned());
        tokio::spawn(async move {
            let _ = client
                .publish(status, QoS::AtLeastOnce, true, OFFLINE)
                .await;
            let _ = client.disconnect().await;
        });
        let deadline = Instant::now() + SHUTDOWN_DEADLINE;
        loop {
            tokio::select! {
                () = sleep_until(deadline) => return Ended::Abrupt,
                event = self.events.poll() => match event {
                    Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
                    Ok(_) => {}
                    Err(_) => return Ended::Abrupt,
                },
            }
        }
        self.state.set_connected(false);
        info!("left the broker");
        Ended::Clean
    }

    /// Waits, within [`SHUTDOWN_DEADLINE`], for the answers in the works, polling so they go
    /// out: whether they all did, or `None` if the broker went away meanwhile.
    async fn finish_answers(&mut self) -> Option<bool> {
        let drain = self.answerer.drain(SHUTDOWN_DEADLINE);
        tokio::pin!(drain);
        loop {
            tokio::select! {
                done = &mut drain => return Some(done),
                event = self.events.poll() => if event.is_err() { return None },
            }
        }
    }
}

/// A refusal that retrying cannot fix.
pub(crate) fn refused(err: &ConnectionError) -> Result<(), MqttError> {
    match err {
        ConnectionError::ConnectionRefused(
            code @ (ConnectReturnCode::BadUserNamePassword
            | ConnectReturnCode::NotAuthorized
            | ConnectReturnCode::BadClientId),
        ) => Err(MqttError::Refused(format!("{code:?}"))),
        _ => Ok(()),
    }
}

//! The MQTT front end: voice satellites and speakers ask on `mirai/<hub_id>/ask` (and, with
//! Hermes on, Rhasspy's topics) and hear the hub's answer. [`run`] owns it from connect to a
//! clean `offline`; [`MqttState`] shows the status page how it is doing.
//!
//! Topics of hub `H`: `mirai/H/ask` (in: text or JSON `{id, text, session_id, user, site_id,
//! lang, reply_to, ts}`; a repeated `id` gets its first answer again, a `ts` over five
//! minutes old an error), `mirai/H/reply` (out: `{id, text, actions, session_id, site_id}` or
//! `{id, error}`), `mirai/H/status` (retained `online`/`offline`, also the last will),
//! `mirai/H/state` (retained figures: tokens and cost today, latency p95, breaker, model
//! reachable) and `mirai/H/event` (`{event_type: action|blocked, …}`). QoS 1,
//! persistent session; `mqtts://` for TLS. Unless turned off, Home Assistant learns of
//! the hub through one retained device discovery message, sent on every connect and again
//! whenever Home Assistant says `online` on `<prefix>/status`.
//!
//! Back ends with a change feed (Z-Wave) are mirrored: each entity's retained
//! `{state, attributes}` on `mirai/H/<backend>/<node>/<entity_id>`, the back end's link on
//! `mirai/H/<backend>/status`, a Home Assistant config per entity (one device per node), and
//! commands on `…/<entity_id>/set` (and `/brightness/set`, `/mode/set`, `/temperature/set`)
//! that pass the action gate like any request, each answered on `…/<entity_id>/result`.
//!
//! # Layout
//!
//! - `settings`: [`MqttSettings`] and its `mqtt://` URL parser.
//! - `topics`: one hub's topic names, subscriptions and routing of incoming topics.
//! - `message`: the `ask` protocol as pure functions: payload → request, reply → payload.
//! - `hermes`: Rhasspy's Hermes payloads, pure, and the once-per-session guard.
//! - `answer`: the hub on the blocking pool, a bounded number at a time; answers out.
//! - `dedupe`: the questions seen lately, so a redelivery never acts twice; pure.
//! - `discovery`: Home Assistant's device discovery payload, pure, and [`unregister`].
//! - `devices`: back-end entities on MQTT, pure: state topics, per-entity discovery configs,
//!   command topics and their payloads.
//! - `mirror`: those entities kept up to date from the back ends' change feeds, and their
//!   commands carried out through the hub's action gate.
//! - `connection`: the event loop: connect, subscribe, back off, route, report, leave.
//! - `reporter`: the hub wrapped to report its figures and activity after each answer.
//! - `state`: [`MqttState`], the counters the status page reads.
//! - `outbox`: [`Outbox`], what the hub says unasked (scheduled tasks' results).

mod answer;
mod connection;
mod dedupe;
mod devices;
mod discovery;
mod hermes;
mod message;
mod mirror;
mod outbox;
mod reporter;
mod settings;
mod state;
mod tls;
mod topics;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, LastWill, MqttOptions, QoS};

use crate::frontends::hub::Hub;
pub use discovery::unregister;
pub use outbox::Outbox;
pub use settings::MqttSettings;
pub use state::MqttState;
pub(crate) use tls::secure_with;

/// Requests (publishes, subscribes, acks) waiting for the event loop to send them.
const REQUEST_CHANNEL_CAP: usize = 64;
/// The largest MQTT packet we read or write. Bigger questions are rejected by size after
/// parsing; this only has to exceed [`message::MAX_TEXT_BYTES`] plus JSON and a long reply.
const MAX_PACKET_BYTES: usize = 256 * 1024;

/// What went wrong with the MQTT front end.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    /// The broker URL cannot be used.
    #[error("bad MQTT broker URL {url}: {message}")]
    Url {
        /// The URL, credentials removed.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// TLS could not be set up (an unreadable or empty CA file).
    #[error("TLS: {0}")]
    Tls(String),
    /// The hub id cannot be part of a topic.
    #[error("hub id {0:?} cannot be used in MQTT topics: 1 to 64 characters, no '/', '+' or '#'")]
    HubId(String),
    /// A keep-alive under one second.
    #[error("MQTT keep-alive {0:?} is under one second")]
    KeepAlive(Duration),
    /// The broker refused us for a reason retrying cannot fix (credentials, client id).
    #[error("the MQTT broker refused the connection: {0}")]
    Refused(String),
    /// The Home Assistant discovery prefix cannot start a topic.
    #[error(
        "discovery prefix {0:?} cannot be used in MQTT topics: not empty, no '+', '#' or trailing '/'"
    )]
    DiscoveryPrefix(String),
    /// A one-off exchange ([`unregister`]) could not reach the broker or finish in time.
    #[error("MQTT broker: {0}")]
    Broker(String),
}

/// How [`run`] ended after its shutdown signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `offline` was published and the connection closed cleanly.
    Clean,
    /// The broker was unreachable or slow at the end; its last will reports `offline`.
    Abrupt,
}

/// Serves MQTT questions to `hub` until `shutdown` resolves, counting in `state`; keeps
/// reconnecting while the broker is away. Errors only for settings or a broker refusal that
/// retrying cannot fix.
pub async fn run(
    hub: Arc<dyn Hub>,
    settings: MqttSettings,
    state: Arc<MqttState>,
    shutdown: impl Future<Output = ()>,
) -> Result<Ended, MqttError> {
    settings.validate()?;
    let mut topics = topics::Topics::new(&settings.hub_id, settings.hermes);
    let discovery = (settings.discovery_prefix.as_deref())
        .map(|prefix| discovery::config_payload(&settings.hub_id, prefix));
    if let Some(prefix) = &settings.discovery_prefix {
        topics = topics.with_ha_status(prefix);
    }
    let devices =
        devices::DeviceTopics::new(&settings.hub_id, settings.discovery_prefix.as_deref());
    let mirrored = !hub.device_feeds().is_empty();
    if mirrored {
        topics = topics.with_controls(devices.clone());
    }
    let mut opts = options(&settings, topics.status());
    tls::secure(&mut opts, &settings)?;
    let (client, mut events) = AsyncClient::new(opts, REQUEST_CHANNEL_CAP);
    state.set_client(client.clone());
    // A reply is a small write right after the PUBACK of its question: with Nagle's algorithm
    // it would wait for the broker's delayed ACK (tens of milliseconds) before leaving.
    let mut network = rumqttc::NetworkOptions::new();
    network.set_tcp_nodelay(true);
    events.set_network_options(network);
    let pair = (client, events);
    let reporter = Arc::new(connection::Reporter::new(
        hub,
        pair.0.clone(),
        &settings.hub_id,
    ));
    let controls = mirrored
        .then(|| mirror::Controls::start(reporter.clone(), &pair.0, devices, state.clone()))
        .flatten();
    let mut answerer = answer::Answerer::new(reporter.clone(), pair.0.clone(), state.clone());
    if settings.partial_replies {
        answerer = answerer.with_partials(topics.partial());
    }
    tracing::info!(host = %settings.host, port = settings.port, hub_id = %settings.hub_id,
                   hermes = settings.hermes, discovery = ?settings.discovery_prefix,
                   "MQTT front end starting");
    connection::Connection::new(pair, topics, state, answerer)
        .with_discovery(discovery)
        .with_reporter(reporter)
        .with_controls(controls)
        .drive(shutdown)
        .await
}

/// rumqttc's options: persistent session, `offline` as the retained will.
fn options(settings: &MqttSettings, status_topic: &str) -> MqttOptions {
    let mut opts = MqttOptions::new(&settings.client_id, &settings.host, settings.port);
    opts.set_keep_alive(settings.keep_alive)
        .set_clean_session(false)
        .set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES)
        .set_last_will(LastWill::new(
            status_topic,
            topics::OFFLINE,
            QoS::AtLeastOnce,
            true,
        ));
    if let Some(user) = &settings.username {
        opts.set_credentials(user, settings.password.as_deref().unwrap_or(""));
    }
    opts
}

//! The task that owns the back end's own MQTT client: connects with its own client id (QoS 1,
//! a persistent session so state sent while we reconnect is kept for us), subscribes to
//! `<base>/#` on every connect (a restarted broker forgot us), hands each message to
//! [`Shared::take`], and backs off, capped, while the broker is away.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectionError, Event, Incoming, MqttOptions, QoS};
use tokio::sync::watch;
use tokio::time::{Instant, sleep};
use tracing::{info, warn};

use super::Settings;
use super::shared::Shared;
use crate::frontends::mqtt::{MqttError, secure_with};

/// Requests (publishes, subscribes) waiting for the event loop.
const REQUEST_CHANNEL_CAP: usize = 64;
/// The largest packet read: a big network's retained `bridge/devices` runs to megabytes.
const MAX_INCOMING_BYTES: usize = 8 * 1024 * 1024;
/// The largest packet written: a `/set` or a request.
const MAX_OUTGOING_BYTES: usize = 64 * 1024;
/// The first wait after the broker goes away; doubles on each failed attempt.
const BACKOFF_FIRST: Duration = Duration::from_millis(200);
/// The longest wait between attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A connection that lasted this long starts the backoff over.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// Keep-alive pings to an idle broker.
const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// The client options: persistent session, our client id, credentials and TLS.
pub(super) fn options(settings: &Settings) -> Result<MqttOptions, MqttError> {
    let mut opts = MqttOptions::new(&settings.client_id, &settings.host, settings.port);
    opts.set_keep_alive(KEEP_ALIVE)
        .set_clean_session(false)
        .set_max_packet_size(MAX_INCOMING_BYTES, MAX_OUTGOING_BYTES);
    if let Some(user) = &settings.username {
        opts.set_credentials(user, settings.password.as_deref().unwrap_or(""));
    }
    secure_with(&mut opts, settings.tls, settings.ca_file.as_deref())?;
    Ok(opts)
}

/// Runs the link until `stop` says so.
pub(super) async fn run(
    shared: Arc<Shared>,
    opts: MqttOptions,
    base: String,
    mut stop: watch::Receiver<bool>,
) {
    let (client, mut events) = AsyncClient::new(opts, REQUEST_CHANNEL_CAP);
    shared.update(|i| i.client = Some(client.clone()));
    let filter = format!("{base}/#");
    let (mut backoff, mut up_since) = (BACKOFF_FIRST, None::<Instant>);
    loop {
        let event = tokio::select! {
            _ = stop.changed() => break,
            event = events.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                up_since = Some(Instant::now());
                info!(topic = %filter, "connected to Zigbee2MQTT's broker");
                if let Err(err) = client.try_subscribe(filter.as_str(), QoS::AtLeastOnce) {
                    warn!(cause = %err, "cannot subscribe to Zigbee2MQTT's topics");
                }
                shared.update(|i| {
                    i.connected = true;
                    i.error = None;
                });
            }
            Ok(Event::Incoming(Incoming::Publish(p))) => shared.take(&p.topic, &p.payload),
            Ok(_) => {}
            Err(err) => {
                let why = describe(&err);
                shared.update(|i| {
                    i.connected = false;
                    i.error = Some(why.clone());
                });
                if up_since.take().is_some_and(|t| t.elapsed() >= STABLE_AFTER) {
                    backoff = BACKOFF_FIRST;
                }
                warn!(cause = %why, retry_in_ms = backoff.as_millis() as u64, "Zigbee2MQTT's broker unreachable");
                tokio::select! {
                    _ = stop.changed() => break,
                    () = sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
    let _ = client.try_disconnect();
    shared.update(|i| i.connected = false);
}

fn describe(err: &ConnectionError) -> String {
    match err {
        ConnectionError::ConnectionRefused(code) => format!("the broker refused us: {code:?}"),
        other => other.to_string(),
    }
}

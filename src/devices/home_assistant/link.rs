//! The only code that holds the WebSocket to Home Assistant. It authenticates, subscribes to
//! state changes and registry updates, loads the states and the area, device and entity
//! registries (a full resync on every connect), pings every [`PING_EVERY`] and reconnects
//! with a capped, jittered backoff when the link breaks. It runs on the back end's own
//! thread and feeds [`Shared`]; it never sends a command the agent asked for (those go over
//! REST, which also works while this link is reconnecting).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};
use tracing::{debug, info, warn};

use super::wire::{self, Ids, Incoming};
use super::{HaError, Settings, Shared};

/// The first wait after the link breaks; doubles on each failed attempt.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
/// The longest wait between attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A link that lasted this long starts the backoff over.
const STABLE_AFTER: Duration = Duration::from_secs(30);
/// How often the link is pinged; a ping unanswered by the next one ends the link.
pub(crate) const PING_EVERY: Duration = Duration::from_secs(20);
/// Largest message read: `get_states` of a big house is several megabytes.
const MAX_MESSAGE_BYTES: usize = 32 << 20;

/// The events that make MIRAI load a registry (or the list of services) again.
const REGISTRY_EVENTS: [&str; 5] = [
    "area_registry_updated",
    "device_registry_updated",
    "entity_registry_updated",
    "service_registered",
    "service_removed",
];

/// What a command's result is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Subscribe,
    States,
    Areas,
    Devices,
    EntityList,
    EntityEntries,
    Services,
    Ping,
}

/// Runs the link until `stop` says so.
pub(super) async fn run(
    shared: Arc<Shared>,
    settings: Arc<Settings>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = BACKOFF_FIRST;
    loop {
        let started = Instant::now();
        let ended = tokio::select! {
            ended = session(&shared, &settings) => ended,
            _ = stop.changed() => return,
        };
        let err = match ended {
            Ok(()) => HaError::Unreachable("Home Assistant closed the connection".into()),
            Err(e) => e,
        };
        warn!(cause = %err, "Home Assistant link lost; reconnecting");
        shared.set_link_down(&err);
        if started.elapsed() >= STABLE_AFTER {
            backoff = BACKOFF_FIRST;
        }
        let wait = backoff.mul_f64(0.5 + fastrand::f64() / 2.0);
        tokio::select! {
            () = sleep(wait) => {}
            _ = stop.changed() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One connection from dial to break.
async fn session(shared: &Shared, settings: &Settings) -> Result<(), HaError> {
    let tcp = timeout(settings.timeout, TcpStream::connect(settings.host_port()))
        .await
        .map_err(|_| HaError::Unreachable(format!("no connection to {} in time", settings.url)))?
        .map_err(|e| HaError::Unreachable(format!("{}: {e}", settings.url)))?;
    let _ = tcp.set_nodelay(true);
    match &settings.tls {
        None => talk(shared, settings, tcp).await,
        Some(tls) => {
            let name = rustls_pki_types::ServerName::try_from(settings.host().to_owned())
                .map_err(|e| HaError::Config(format!("{}: {e}", settings.url)))?;
            let stream = timeout(
                settings.timeout,
                tokio_rustls::TlsConnector::from(tls.clone()).connect(name, tcp),
            )
            .await
            .map_err(|_| HaError::Unreachable("the TLS handshake took too long".into()))?
            .map_err(|e| HaError::Unreachable(format!("TLS: {e}")))?;
            talk(shared, settings, stream).await
        }
    }
}

/// The WebSocket over an open stream: handshake, auth, sync, then events until it breaks.
async fn talk<S>(shared: &Shared, settings: &Settings, stream: S) -> Result<(), HaError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    let (ws, _) = timeout(
        settings.timeout,
        client_async_with_config(settings.ws_url(), stream, Some(config)),
    )
    .await
    .map_err(|_| HaError::Unreachable("the WebSocket handshake took too long".into()))?
    .map_err(|e| HaError::Unreachable(format!("WebSocket handshake: {e}")))?;
    let mut link = Link {
        ws,
        ids: Ids::default(),
        asked: HashMap::new(),
        waiting: 0,
        have_states: false,
        details_due: false,
    };
    let version = link.authenticate(settings).await?;
    info!(version = %version, url = %settings.url, "Home Assistant connected");
    shared.set_link_up(&version);
    link.start_sync(shared).await?;
    let mut ping = interval(PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ping.tick().await;
    let mut pong_due = false;
    loop {
        tokio::select! {
            frame = link.ws.next() => {
                let Some(frame) = frame else { return Ok(()) };
                let frame = frame.map_err(|e| HaError::Unreachable(format!("WebSocket: {e}")))?;
                match frame {
                    Message::Text(text) => {
                        let answered = link.handle(shared, &text).await?;
                        pong_due &= answered != Some(Asked::Ping);
                    }
                    Message::Close(_) => return Ok(()),
                    _ => {}
                }
            }
            _ = ping.tick() => {
                if pong_due {
                    return Err(HaError::Unreachable(format!(
                        "no answer to a ping in {} s", PING_EVERY.as_secs()
                    )));
                }
                link.send("ping", Value::Null, Asked::Ping).await?;
                pong_due = true;
            }
        }
    }
}

/// One authenticated connection and the commands it is waiting on.
struct Link<S> {
    ws: WebSocketStream<S>,
    ids: Ids,
    asked: HashMap<u64, Asked>,
    /// Sync results still to come; the house is synced when it reaches zero.
    waiting: usize,
    /// The states are in, and an entity list has come that still wants its details.
    have_states: bool,
    details_due: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Link<S> {
    /// `auth_required` → `auth` → `auth_ok`; Home Assistant's version.
    async fn authenticate(&mut self, settings: &Settings) -> Result<String, HaError> {
        let deadline = settings.timeout;
        loop {
            let text = timeout(deadline, self.next_text())
                .await
                .map_err(|_| HaError::Unreachable("no answer to the login in time".into()))??;
            match wire::parse(&text).map_err(|e| HaError::Protocol(e.to_string()))? {
                Incoming::AuthRequired => {
                    self.ws
                        .send(Message::text(wire::auth(settings.token.expose())))
                        .await
                        .map_err(|e| HaError::Unreachable(format!("WebSocket: {e}")))?;
                }
                Incoming::AuthOk { version } => return Ok(version),
                Incoming::AuthInvalid { message } => {
                    debug!(message = %message, "auth_invalid");
                    return Err(HaError::TokenRejected);
                }
                other => debug!(?other, "message before login, ignored"),
            }
        }
    }

    async fn next_text(&mut self) -> Result<String, HaError> {
        loop {
            match self.ws.next().await {
                None => return Err(HaError::Unreachable("closed during login".into())),
                Some(Err(e)) => return Err(HaError::Unreachable(format!("WebSocket: {e}"))),
                Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_owned()),
                Some(Ok(Message::Close(_))) => {
                    return Err(HaError::Unreachable("closed during login".into()));
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Subscribes, then asks for everything a full resync needs.
    async fn start_sync(&mut self, shared: &Shared) -> Result<(), HaError> {
        shared.set_synced(false);
        self.send(
            "subscribe_events",
            json!({"event_type": "state_changed"}),
            Asked::Subscribe,
        )
        .await?;
        for event in REGISTRY_EVENTS {
            self.send(
                "subscribe_events",
                json!({"event_type": event}),
                Asked::Subscribe,
            )
            .await?;
        }
        for (kind, asked) in [
            ("config/area_registry/list", Asked::Areas),
            ("config/device_registry/list", Asked::Devices),
            ("config/entity_registry/list", Asked::EntityList),
            ("get_services", Asked::Services),
            ("get_states", Asked::States),
        ] {
            self.send(kind, Value::Null, asked).await?;
        }
        // The entity list is followed by its details (aliases): one more result to wait for.
        self.waiting = 6;
        Ok(())
    }

    async fn send(&mut self, kind: &str, extra: Value, asked: Asked) -> Result<(), HaError> {
        let id = self.ids.next();
        self.asked.insert(id, asked);
        self.ws
            .send(Message::text(wire::command(id, kind, extra)))
            .await
            .map_err(|e| HaError::Unreachable(format!("WebSocket: {e}")))
    }

    /// Handles one message; says what it answered.
    async fn handle(&mut self, shared: &Shared, text: &str) -> Result<Option<Asked>, HaError> {
        let message = match wire::parse(text) {
            Ok(m) => m,
            Err(e) => {
                warn!(cause = %e, "unreadable message from Home Assistant, skipped");
                return Ok(None);
            }
        };
        match message {
            Incoming::Event {
                event_type, data, ..
            } => {
                if event_type == "state_changed" {
                    shared.state_changed(&data);
                } else if REGISTRY_EVENTS.contains(&event_type.as_str()) {
                    self.reload_registry(&event_type).await?;
                }
                Ok(None)
            }
            Incoming::Pong { id } => Ok(self.asked.remove(&id)),
            Incoming::Result { id, outcome } => {
                let Some(asked) = self.asked.remove(&id) else {
                    return Ok(None);
                };
                let result = match outcome {
                    Ok(v) => v,
                    Err(failure) if failure.code == "unauthorized" => {
                        return Err(HaError::Protocol(format!(
                            "the token's user may not read the registries ({failure}); \
                             use an administrator's token"
                        )));
                    }
                    Err(failure) => {
                        warn!(?asked, cause = %failure, "Home Assistant refused a command");
                        self.settled(shared, asked);
                        return Ok(Some(asked));
                    }
                };
                self.absorb(shared, asked, result).await?;
                self.settled(shared, asked);
                Ok(Some(asked))
            }
            other => {
                debug!(?other, "unexpected message, ignored");
                Ok(None)
            }
        }
    }

    /// Puts a result into the house.
    async fn absorb(
        &mut self,
        shared: &Shared,
        asked: Asked,
        result: Value,
    ) -> Result<(), HaError> {
        let loaded = match asked {
            Asked::States => shared.with_house(|h| {
                h.load_states(result)
                    .map(|n| debug!(states = n, "states loaded"))
            }),
            Asked::Areas => shared.with_house(|h| h.load_areas(result)),
            Asked::Devices => shared.with_house(|h| h.load_devices(result)),
            Asked::EntityList | Asked::EntityEntries => {
                shared.with_house(|h| h.load_entity_registry(result))
            }
            Asked::Services => {
                shared.set_services(&result);
                Ok(())
            }
            Asked::Subscribe | Asked::Ping => Ok(()),
        };
        if let Err(e) = loaded {
            warn!(?asked, cause = %e, "Home Assistant sent data MIRAI cannot read; kept what it had");
        }
        // The details (aliases) are asked for the exposed entities, which takes both the
        // states and the entity list, in whichever order their results come.
        self.have_states |= asked == Asked::States;
        self.details_due |= asked == Asked::EntityList;
        if self.have_states && self.details_due {
            self.details_due = false;
            let ids = shared.house().registered_exposed();
            self.send(
                "config/entity_registry/get_entries",
                json!({"entity_ids": ids}),
                Asked::EntityEntries,
            )
            .await?;
        }
        Ok(())
    }

    /// Counts a sync result in; the house is synced when the last one is in.
    fn settled(&mut self, shared: &Shared, asked: Asked) {
        let counted = !matches!(asked, Asked::Subscribe | Asked::Ping);
        if counted && self.waiting > 0 {
            self.waiting -= 1;
            if self.waiting == 0 {
                let (exposed, all) = shared.counts();
                info!(exposed, all, "Home Assistant synced");
                shared.set_synced(true);
            }
        }
    }

    async fn reload_registry(&mut self, event: &str) -> Result<(), HaError> {
        let (kind, asked) = match event {
            "area_registry_updated" => ("config/area_registry/list", Asked::Areas),
            "device_registry_updated" => ("config/device_registry/list", Asked::Devices),
            "service_registered" | "service_removed" => ("get_services", Asked::Services),
            _ => ("config/entity_registry/list", Asked::EntityList),
        };
        if self.asked.values().any(|a| *a == asked) {
            return Ok(());
        }
        self.send(kind, Value::Null, asked).await
    }
}

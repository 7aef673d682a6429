//! [`ZwaveBackend`]: the stick's nodes in the registry. A thread of its own runs the driver on
//! a current-thread runtime (as the Home Assistant back end does), so it works the same under
//! the daemon and in a one-shot `mirai ask`: it starts the stick, reads every listening node's
//! state, follows the reports nodes send, and starts again with a growing pause when the link
//! is lost. Calls come from the caller's (blocking) thread: Set, then Get, then the truth.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc as std_mpsc};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::{info, warn};

use super::controller::{NodeReport, Zwave};
use super::entities::{Action, Label, Nodes, Plan, Switching};
use super::network::Network;
use super::reading::read_node;
use super::{Ended, ZwaveError, ZwaveSettings};
use crate::devices::{Area, Backend, Changes, DeviceError, Entity, Outcome, ServiceCall};

mod thermostat;

/// The back end's name in the registry.
const BACKEND: &str = "zwave";
/// The first pause before starting the stick again; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest pause between starts.
const RETRY_MAX: Duration = Duration::from_secs(60);

/// What the back end needs from the config.
#[derive(Debug, Clone)]
pub struct BackendSettings {
    /// The port and the driver's timeouts.
    pub zwave: ZwaveSettings,
    /// Names, areas and kinds by node id.
    pub labels: BTreeMap<u8, Label>,
}

/// The link's state, for the status page and for waiting.
#[derive(Debug, Clone, Default)]
pub struct LinkStatus {
    /// The driver runs and start-up is done.
    pub connected: bool,
    /// Every listening node's state was read once since the last start.
    pub ready: bool,
    /// Why the last start failed or the link ended.
    pub error: Option<String>,
    /// The network's home id once known.
    pub home_id: Option<u32>,
    /// Nodes, the controller not counted.
    pub nodes: usize,
}

struct Inner {
    nodes: Nodes,
    status: LinkStatus,
    zwave: Option<Zwave>,
}

struct Shared {
    inner: Mutex<Inner>,
    changed: Condvar,
    feed: watch::Sender<Changes>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut Inner)) {
        let available = {
            let mut inner = self.lock();
            f(&mut inner);
            inner.status.connected
        };
        self.changed.notify_all();
        self.feed.send_modify(|c| {
            c.serial += 1;
            c.available = available;
        });
    }
}

/// The Z-Wave back end.
pub struct ZwaveBackend {
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    settings: BackendSettings,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ZwaveBackend {
    /// Starts the driver on a thread of its own; entities arrive once the stick has started.
    pub fn start(settings: BackendSettings) -> std::io::Result<ZwaveBackend> {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                nodes: Nodes::new(settings.labels.clone()),
                status: LinkStatus::default(),
                zwave: None,
            }),
            changed: Condvar::new(),
            feed: watch::channel(Changes::default()).0,
        });
        let (stop, stopped) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (s, cfg) = (shared.clone(), settings.zwave.clone());
        let thread = std::thread::Builder::new()
            .name("mirai-zwave".into())
            .spawn(move || runtime.block_on(run(s, cfg, stopped)))?;
        Ok(ZwaveBackend {
            shared,
            runtime: handle,
            settings,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Waits up to `limit` for start-up and the first read of every node; true when done.
    pub fn wait_ready(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut inner = self.shared.lock();
        loop {
            if inner.status.ready {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            inner = match self.shared.changed.wait_timeout(inner, left) {
                Ok((i, _)) => i,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// The link's state now.
    pub fn status(&self) -> LinkStatus {
        self.shared.lock().status.clone()
    }

    /// Runs `work` on the driver's runtime and waits for it from this (blocking) thread.
    fn block<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, DeviceError> {
        let (tx, rx) = std_mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        // Set and Get each wait at most report_timeout for the node, plus the chip's retries.
        let limit = self.settings.zwave.report_timeout * 2 + Duration::from_secs(10);
        rx.recv_timeout(limit)
            .map_err(|_| unavailable("the Z-Wave driver did not answer"))
    }

    fn act(&self, call: &ServiceCall, plan: Plan, zwave: Zwave) -> Result<Outcome, DeviceError> {
        let target = plan.switching.target(plan.level);
        let query = plan.switching.query();
        let node = plan.node;
        let done = self.block(async move {
            zwave.set(node, target).await?;
            zwave.get(node, query).await
        })?;
        let name = self.shared.lock().nodes.name(node);
        let report = match done {
            Ok(report) => report,
            Err(err) => return refusal(&name, node, err),
        };
        let got = NodeReport { node, report };
        self.shared.update(|i| {
            i.nodes.apply(&got);
        });
        let now = self.entity(&call.entity_id);
        let state = now.as_ref().map_or("unknown", |e| e.state.as_str());
        let level = now
            .as_ref()
            .and_then(|e| e.attributes.get("level").and_then(|l| l.as_u64()));
        let reached = match (plan.switching, level) {
            (Switching::Dimmer, Some(level)) => plan.met(level as u8),
            _ => plan.met(u8::from(state == "on")),
        };
        Ok(if reached {
            Outcome::Done {
                state: state.to_owned(),
            }
        } else {
            Outcome::Refused {
                reason: format!(
                    "{name} did not {}: it reports {state}{}",
                    call.service.replace('_', " "),
                    level.map(|l| format!(" at level {l}")).unwrap_or_default()
                ),
            }
        })
    }
}

impl Drop for ZwaveBackend {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Backend for ZwaveBackend {
    fn name(&self) -> &str {
        BACKEND
    }

    fn entities(&self) -> Vec<Entity> {
        self.shared.lock().nodes.entities()
    }

    fn areas(&self) -> Vec<Area> {
        self.shared.lock().nodes.areas()
    }

    fn entity(&self, id: &str) -> Option<Entity> {
        self.shared.lock().nodes.entity(id)
    }

    fn generation(&self) -> u64 {
        self.shared.lock().nodes.generation()
    }

    fn changes(&self) -> Option<watch::Receiver<Changes>> {
        Some(self.shared.feed.subscribe())
    }

    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        let (action, zwave, error) = {
            let inner = self.shared.lock();
            let action = inner.nodes.plan(call)?;
            (action, inner.zwave.clone(), inner.status.error.clone())
        };
        if let Action::Refuse(reason) = action {
            return Ok(Outcome::Refused { reason });
        }
        let Some(zwave) = zwave else {
            let why = error.unwrap_or_else(|| "still starting".into());
            return Err(unavailable(&format!("the stick is not connected: {why}")));
        };
        match action {
            Action::Switch(plan) => self.act(call, plan, zwave),
            Action::Climate(plan) => self.set_thermostat(plan, zwave),
            Action::Refuse(reason) => Ok(Outcome::Refused { reason }),
        }
    }
}

fn unavailable(detail: &str) -> DeviceError {
    DeviceError::Unavailable {
        backend: "Z-Wave".into(),
        detail: detail.to_owned(),
    }
}

/// A failed Set or Get: the node's "no" is a refusal in words; a gone stick is unavailable.
fn refusal(name: &str, node: u8, err: ZwaveError) -> Result<Outcome, DeviceError> {
    let reason = match err {
        ZwaveError::NotDelivered { status, .. } => {
            format!("{name} (node {node}) did not get the command ({status:?})")
        }
        ZwaveError::NoReport { .. } => {
            format!("{name} (node {node}) did not report its state back")
        }
        ZwaveError::Chip(failure) => {
            format!("the Z-Wave controller did not send the command to {name} ({failure:?})")
        }
        other => return Err(unavailable(&other.to_string())),
    };
    Ok(Outcome::Refused { reason })
}

/// The driver thread's loop: start, read, follow; on failure wait and start again.
async fn run(shared: Arc<Shared>, settings: ZwaveSettings, mut stop: watch::Receiver<bool>) {
    let mut pause = RETRY_FIRST;
    loop {
        match Zwave::start(settings.clone(), stop.clone()).await {
            Ok((zwave, network, task)) => {
                pause = RETRY_FIRST;
                info!(
                    home_id = network.home_id,
                    nodes = network.nodes.len(),
                    "Z-Wave up"
                );
                let ended = follow(&shared, zwave, &network, task).await;
                shared.update(|i| {
                    i.zwave = None;
                    i.status.connected = false;
                    i.status.ready = false;
                    i.status.error = Some(format!("the link ended: {ended:?}"));
                });
                if matches!(ended, Ended::Shutdown) {
                    return;
                }
                warn!(ended = ?ended, "Z-Wave link ended");
            }
            Err(err) => {
                warn!(cause = %err, port = %settings.port, "cannot start the Z-Wave stick");
                shared.update(|i| i.status.error = Some(err.to_string()));
            }
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(RETRY_MAX);
    }
}

/// Reads every listening node once, then takes in reports until the driver task ends.
async fn follow(
    shared: &Shared,
    zwave: Zwave,
    network: &Network,
    mut task: tokio::task::JoinHandle<Ended>,
) -> Ended {
    let mut reports = zwave.reports();
    shared.update(|i| {
        i.nodes.set_network(network);
        i.zwave = Some(zwave.clone());
        i.status = LinkStatus {
            connected: true,
            ready: false,
            error: None,
            home_id: Some(network.home_id),
            nodes: i.nodes.len(),
        };
    });
    let read = async {
        for node in network.nodes.iter().filter(|n| n.id != network.own_node) {
            if !node.listening {
                continue; // a sleeping node answers when it wakes; its reports will come
            }
            read_node(&zwave, node, |report| {
                shared.update(|i| {
                    i.nodes.apply(&report);
                });
            })
            .await;
        }
    };
    tokio::select! {
        () = read => shared.update(|i| i.status.ready = true),
        ended = &mut task => return ended.unwrap_or(Ended::Closed),
    }
    loop {
        tokio::select! {
            report = reports.next() => match report {
                Some(report) => shared.update(|i| {
                    i.nodes.apply(&report);
                }),
                None => return task.await.unwrap_or(Ended::Closed),
            },
            ended = &mut task => return ended.unwrap_or(Ended::Closed),
        }
    }
}

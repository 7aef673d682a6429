//! [`ZwaveBackend`]: the stick's nodes in the registry. A thread of its own runs the driver on
//! a current-thread runtime (as the Home Assistant back end does), so it works the same under
//! the daemon and in a one-shot `mirai ask`: it starts the stick, reads every listening node's
//! state, follows the reports nodes send, and starts again with a growing pause when the link
//! is lost. Calls come from the caller's (blocking) thread: Set, then Get, then the truth.
//!
//! With a memory (the daemon's and the CLI's case) the nodes start-up learned are kept there:
//! at the next start they are entities at once, `unavailable` until the stick answers, and
//! start-up asks only new or changed nodes for their information frame.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc as std_mpsc};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::controller::{NodeReport, Zwave};
use super::entities::{Action, Label, Nodes, Plan, Switching};
use super::network::Network;
use super::{ZwaveError, ZwaveSettings};
use super::{kept, link};
use crate::devices::{Area, Backend, Changes, DeviceError, Entity, Outcome, ServiceCall};
use crate::memory::{Memory, MemoryError};

mod thermostat;

/// The back end's name in the registry.
const BACKEND: &str = "zwave";

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
    /// Why the nodes kept in the memory could not be read, if they could not.
    pub memory_error: Option<String>,
}

pub(super) struct Inner {
    pub(super) nodes: Nodes,
    pub(super) status: LinkStatus,
    pub(super) zwave: Option<Zwave>,
    /// The network as last known: from start-up, or from the memory before it.
    pub(super) network: Network,
}

pub(super) struct Shared {
    inner: Mutex<Inner>,
    changed: Condvar,
    /// Where the nodes are kept between runs; `None` keeps nothing.
    store: Mutex<Option<Memory>>,
    /// Moves on every change to the entities or the link (see [`Backend::changes`]).
    feed: watch::Sender<Changes>,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the memory, if there is one; a failure is logged (the nodes still work).
    pub(super) fn keep(
        &self,
        what: &str,
        f: impl FnOnce(&mut Memory) -> Result<(), crate::memory::MemoryError>,
    ) {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(memory) = store.as_mut() {
            if let Err(err) = f(memory) {
                tracing::error!(cause = %err, what, "cannot keep the Z-Wave nodes in the memory");
            }
        }
    }

    /// Takes in a report a node sent or a Get brought; a sensor type seen for the first time
    /// is kept in the memory before anyone can see its entity, so a stop right after cannot
    /// lose it.
    pub(super) fn take(&self, report: &NodeReport) {
        self.update(|i| {
            let before = i.nodes.sensor_types(report.node);
            i.nodes.apply(report);
            let after = i.nodes.sensor_types(report.node);
            if after != before {
                self.keep("sensor types", |m| {
                    m.save_zwave_sensor_types(report.node, &after)
                });
            }
        });
    }

    /// Changes the state under the lock, then wakes those waiting on it and moves the feed.
    pub(super) fn update(&self, f: impl FnOnce(&mut Inner)) {
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
    pub(super) shared: Arc<Shared>,
    pub(super) runtime: tokio::runtime::Handle,
    pub(super) settings: BackendSettings,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ZwaveBackend {
    /// Starts the driver on a thread of its own, keeping nothing; entities arrive once the
    /// stick has started.
    pub fn start(settings: BackendSettings) -> std::io::Result<ZwaveBackend> {
        ZwaveBackend::start_with(settings, None)
    }

    /// Starts the driver with `store` keeping the nodes: those it kept are entities at once
    /// (`unavailable` until the stick answers). A store whose rows cannot be read is reported
    /// in the status and the log, and the back end starts as if it held none.
    pub fn start_with(
        settings: BackendSettings,
        store: Option<Memory>,
    ) -> std::io::Result<ZwaveBackend> {
        let nodes = Nodes::new(settings.labels.clone());
        let mut status = LinkStatus::default();
        let read = |m: &Memory| Ok::<_, MemoryError>((kept::load(m)?, kept::sensor_reports(m)?));
        let (kept, sensors) = match store.as_ref().map(read).transpose() {
            Ok(kept) => kept.unwrap_or_else(|| (kept::empty(), Vec::new())),
            Err(err) => {
                tracing::error!(cause = %err, "cannot read the kept Z-Wave nodes");
                status.memory_error = Some(format!("the kept Z-Wave nodes cannot be read: {err}"));
                (kept::empty(), Vec::new())
            }
        };
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                nodes,
                status,
                zwave: None,
                network: kept::empty(),
            }),
            changed: Condvar::new(),
            store: Mutex::new(store),
            feed: watch::channel(Changes::default()).0,
        });
        // The kept nodes are entities (unavailable) at once; the feed moves for them.
        shared.update(|i| {
            i.nodes.set_network(&kept);
            for report in &sensors {
                i.nodes.apply(report);
            }
            i.status.nodes = i.nodes.len();
            i.network = kept;
        });
        let (stop, stopped) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (s, cfg) = (shared.clone(), settings.zwave.clone());
        let thread = std::thread::Builder::new()
            .name("mirai-zwave".into())
            .spawn(move || runtime.block_on(link::run(s, cfg, stopped)))?;
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

    /// Waits up to `limit` for the stick: true once it has started, false when the first
    /// start failed (the reason is in [`ZwaveBackend::status`]) or the time ran out.
    pub fn wait_started(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut inner = self.shared.lock();
        loop {
            if inner.status.connected || inner.status.error.is_some() {
                return inner.status.connected;
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
    pub(super) fn block<T: Send + 'static>(
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
        let inner = self.shared.lock();
        let mut all = inner.nodes.entities();
        if !inner.status.connected {
            all.iter_mut().for_each(unreachable);
        }
        all
    }

    fn areas(&self) -> Vec<Area> {
        self.shared.lock().nodes.areas()
    }

    fn entity(&self, id: &str) -> Option<Entity> {
        let inner = self.shared.lock();
        let mut entity = inner.nodes.entity(id)?;
        if !inner.status.connected {
            unreachable(&mut entity);
        }
        Some(entity)
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

/// A kept node's entity while the stick does not answer: its state is not known now.
fn unreachable(entity: &mut Entity) {
    entity.state = "unavailable".into();
}

pub(super) fn unavailable(detail: &str) -> DeviceError {
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

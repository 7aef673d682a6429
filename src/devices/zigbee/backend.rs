//! [`ZigbeeBackend`]: the devices on the Zigbee stick in the registry. A thread of its own runs
//! the driver on a current-thread runtime (as the Z-Wave back end does), so it works the same
//! under the daemon and in a one-shot command: it starts the stick, sets up every device that
//! joins (interview, Basic, bindings, reporting, IAS enrollment), follows what devices send,
//! and starts again with a growing pause when the stick fails. Calls come from the caller's
//! (blocking) thread: the ZCL commands, then a Read Attributes, then the truth.
//!
//! With a memory (the daemon's case) the devices that joined are kept there: at the next start
//! they are entities at once, `unavailable` until each is heard again.

mod call;
mod ops;
mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicU8;
use std::sync::{Arc, Condvar, Mutex, mpsc as std_mpsc};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::device::Device;
use super::entities::Label;
use super::zcl;
use super::{Zigbee, ZigbeeSettings, link};
use crate::devices::{Area, Backend, Changes, DeviceError, Entity, Outcome, ServiceCall};
use crate::memory::{Memory, ZigbeeDeviceRow};
pub(crate) use state::{Inner, Known, Shared};

/// The back end's name in the registry.
const BACKEND: &str = "zigbee";
/// The zone id every IAS zone gets (zigbee-herdsman enrolls every zone as 23).
pub const ZONE_ID: u8 = 23;

/// What the back end needs from the config.
#[derive(Debug, Clone)]
pub struct BackendSettings {
    /// The port, the network to form and the driver's timeouts.
    pub zigbee: ZigbeeSettings,
    /// Names, areas and kinds by IEEE address.
    pub labels: BTreeMap<u64, Label>,
    /// How long a device has to answer a command's Read Attributes.
    pub answer_timeout: Duration,
}

impl BackendSettings {
    /// `zigbee` with no labels and a 10 s answer timeout.
    pub fn new(zigbee: ZigbeeSettings) -> BackendSettings {
        BackendSettings {
            zigbee,
            labels: BTreeMap::new(),
            answer_timeout: Duration::from_secs(10),
        }
    }
}

/// The link's state, for the status page and for waiting.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LinkStatus {
    /// The stick has started its network.
    pub connected: bool,
    /// Why the last start failed or the link ended.
    pub error: Option<String>,
    /// The coordinator's IEEE address once known.
    pub ieee: Option<u64>,
    /// The network's channel once known.
    pub channel: Option<u8>,
    /// The network's PAN id once known.
    pub pan_id: Option<u16>,
    /// Devices known, the coordinator not counted.
    pub devices: usize,
    /// Why the devices kept in the memory could not be read or kept, if so.
    pub memory_error: Option<String>,
}

/// The Zigbee back end.
pub struct ZigbeeBackend {
    pub(super) shared: Arc<Shared>,
    pub(super) runtime: tokio::runtime::Handle,
    pub(super) settings: BackendSettings,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ZigbeeBackend {
    /// Starts the driver on a thread of its own with `store` keeping the devices: those it
    /// kept are entities at once (`unavailable` until heard). A store whose rows cannot be
    /// read is reported in the status and the log, and the back end starts as if it held none.
    pub fn start(
        settings: BackendSettings,
        store: Option<Memory>,
    ) -> std::io::Result<ZigbeeBackend> {
        let mut status = LinkStatus::default();
        let kept = match store.as_ref().map(Memory::zigbee_devices).transpose() {
            Ok(rows) => rows.unwrap_or_default(),
            Err(err) => {
                tracing::error!(cause = %err, "cannot read the kept Zigbee devices");
                status.memory_error =
                    Some(format!("the kept Zigbee devices cannot be read: {err}"));
                Vec::new()
            }
        };
        let devices = kept.into_iter().map(|row| (row.ieee, known(row))).collect();
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                devices,
                labels: settings.labels.clone(),
                status,
                zigbee: None,
                interviewing: BTreeSet::new(),
                generation: 1,
            }),
            changed: Condvar::new(),
            store: Mutex::new(store),
            feed: watch::channel(Changes::default()).0,
            tsn: AtomicU8::new(1),
        });
        shared.update(|_| {});
        let (stop, stopped) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (s, cfg) = (shared.clone(), settings.zigbee.clone());
        let thread = std::thread::Builder::new()
            .name("mirai-zigbee".into())
            .spawn(move || runtime.block_on(link::run(s, cfg, stopped)))?;
        Ok(ZigbeeBackend {
            shared,
            runtime: handle,
            settings,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Waits up to `limit` for `done` to hold of the state; whether it did.
    pub fn wait_for(&self, limit: Duration, done: impl Fn(&LinkStatus) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut inner = self.shared.lock();
        loop {
            if done(&inner.status) {
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
    /// start failed (the reason is in [`ZigbeeBackend::status`]) or the time ran out.
    pub fn wait_started(&self, limit: Duration) -> bool {
        self.wait_for(limit, |s| s.connected || s.error.is_some());
        self.status().connected
    }

    /// The link's state now.
    pub fn status(&self) -> LinkStatus {
        self.shared.lock().status.clone()
    }

    /// Every known device, by IEEE address, with whether it was heard since the start and
    /// whether its set-up finished.
    pub fn devices(&self) -> Vec<(Device, bool, bool)> {
        let inner = self.shared.lock();
        let all = inner.devices.values();
        all.map(|k| (k.device.clone(), k.heard, k.interviewed))
            .collect()
    }

    /// Opens the network for joining for `time` (the configured default when `None`);
    /// the chip's status (0: open).
    pub fn permit_join(&self, time: Option<Duration>) -> Result<u8, DeviceError> {
        let zigbee = self.zigbee()?;
        self.block(async move { zigbee.permit_join(time).await })?
            .map_err(|e| unavailable(&e.to_string()))
    }

    /// The driver's handle, or why there is none.
    pub(super) fn zigbee(&self) -> Result<Zigbee, DeviceError> {
        let inner = self.shared.lock();
        inner.zigbee.clone().ok_or_else(|| {
            let why = inner.status.error.clone();
            let why = why.unwrap_or_else(|| "still starting".into());
            unavailable(&format!("the stick is not connected: {why}"))
        })
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
        let t = &self.settings.zigbee.timeouts;
        let limit = self.settings.answer_timeout + (t.sreq + t.data_confirm) * 4;
        rx.recv_timeout(limit)
            .map_err(|_| unavailable("the Zigbee driver did not answer"))
    }
}

/// A kept row as a device the stick has not spoken for yet.
fn known(row: ZigbeeDeviceRow) -> Known {
    let mut device = Device::new(row.ieee, row.nwk);
    device.manufacturer = row.manufacturer;
    device.model = row.model;
    device.power_source = row.power_source;
    device.endpoints = row.endpoints;
    Known {
        device,
        heard: false,
        interviewed: row.interviewed,
    }
}

impl Drop for ZigbeeBackend {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Backend for ZigbeeBackend {
    fn name(&self) -> &str {
        BACKEND
    }

    fn entities(&self) -> Vec<Entity> {
        let inner = self.shared.lock();
        let all = inner.devices.values();
        all.flat_map(|k| inner.entities_of(k)).collect()
    }

    fn areas(&self) -> Vec<Area> {
        let inner = self.shared.lock();
        let mut areas: Vec<Area> = (inner.devices.keys())
            .filter_map(|ieee| inner.labels.get(ieee)?.area.clone())
            .map(|id| Area {
                name: area_name(&id),
                id,
                aliases: Vec::new(),
            })
            .collect();
        areas.sort_by(|a, b| a.id.cmp(&b.id));
        areas.dedup_by(|a, b| a.id == b.id);
        areas
    }

    fn entity(&self, id: &str) -> Option<Entity> {
        let inner = self.shared.lock();
        let known = inner.owner(id)?;
        inner.entities_of(known).into_iter().find(|e| e.id == id)
    }

    fn generation(&self) -> u64 {
        self.shared.lock().generation
    }

    fn changes(&self) -> Option<watch::Receiver<Changes>> {
        Some(self.shared.feed.subscribe())
    }

    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        self.act(call)
    }
}

/// "living_room" → "Living room".
fn area_name(id: &str) -> String {
    let spaced = id.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn unavailable(detail: &str) -> DeviceError {
    DeviceError::Unavailable {
        backend: "Zigbee".into(),
        detail: detail.to_owned(),
    }
}

/// What an AF_DATA_CONFIRM status means (Z-Stack's ZStatus values, as zigpy-znp names them
/// in zigpy_znp/types/named.py).
pub fn delivery(status: u8) -> &'static str {
    match status {
        0x00 => "delivered",
        0x10 => "the stick is out of memory",
        0xB7 => "the device did not acknowledge (APS)",
        0xCD => "no route to the device",
        0xE1 => "the channel is busy",
        0xE9 => "the device did not acknowledge (MAC)",
        0xF0 => "the device's transaction expired (a sleepy device did not poll)",
        _ => "not delivered",
    }
}

/// A ZCL status in words.
pub(super) fn said(status: u8) -> String {
    zcl::Status(status).name()
}

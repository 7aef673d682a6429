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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc as std_mpsc};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::warn;

use super::device::Device;
use super::entities::{self, Label};
use super::mt::parse::Incoming;
use super::zcl::{self, Frame};
use super::{Zigbee, ZigbeeSettings, link};
use crate::devices::{Area, Backend, Changes, DeviceError, Entity, Outcome, ServiceCall};
use crate::memory::{Memory, ZigbeeDeviceRow};

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

/// One device as the back end holds it.
#[derive(Debug, Clone)]
pub(super) struct Known {
    pub(super) device: Device,
    /// Heard since this process started: its entities have a state, not `unavailable`.
    pub(super) heard: bool,
    /// Interview and reporting set-up done.
    pub(super) interviewed: bool,
}

pub(super) struct Inner {
    pub(super) devices: BTreeMap<u64, Known>,
    pub(super) labels: BTreeMap<u64, Label>,
    pub(super) status: LinkStatus,
    pub(super) zigbee: Option<Zigbee>,
    /// Devices whose interview runs now.
    pub(super) interviewing: BTreeSet<u64>,
    /// Moves when entities appear or go or their names change.
    pub(super) generation: u64,
}

impl Inner {
    /// The device with network address `nwk`.
    pub(super) fn by_nwk(&mut self, nwk: u16) -> Option<&mut Known> {
        self.devices.values_mut().find(|k| k.device.nwk == nwk)
    }

    /// The device whose entity is `entity_id`.
    fn owner(&self, entity_id: &str) -> Option<&Known> {
        let short = entities::short_of(entity_id)?;
        self.devices
            .values()
            .find(|k| k.device.ieee as u32 == short)
    }

    fn label(&self, ieee: u64) -> Label {
        self.labels.get(&ieee).cloned().unwrap_or_default()
    }

    /// A device's entities, `unavailable` while the stick is down or it was not heard.
    fn entities_of(&self, known: &Known) -> Vec<Entity> {
        let mut all = entities::entities(&known.device, &self.label(known.device.ieee));
        // The device's id in MQTT topics and Home Assistant's device registry.
        let node = serde_json::Value::from(format!("{:016x}", known.device.ieee));
        for e in &mut all {
            e.attributes.insert("node_id".into(), node.clone());
        }
        if !self.status.connected || !known.heard {
            all.iter_mut().for_each(|e| e.state = "unavailable".into());
        }
        all
    }
}

pub(super) struct Shared {
    inner: Mutex<Inner>,
    changed: Condvar,
    /// Where the devices are kept between runs; `None` keeps nothing.
    store: Mutex<Option<Memory>>,
    /// Moves on every change to the entities or the link (see [`Backend::changes`]).
    feed: watch::Sender<Changes>,
    /// The next ZCL transaction number.
    tsn: AtomicU8,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh ZCL transaction number.
    pub(super) fn tsn(&self) -> u8 {
        self.tsn.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs `f` on the memory, if there is one; a failure is logged and shown in the status
    /// (the devices still work).
    pub(super) fn keep(&self, what: &str, f: impl FnOnce(&mut Memory) -> Result<(), String>) {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(memory) = store.as_mut() {
            if let Err(err) = f(memory) {
                tracing::error!(cause = %err, what, "cannot keep the Zigbee devices in the memory");
            }
        }
    }

    /// Keeps device `ieee` as it is now.
    pub(super) fn save(&self, ieee: u64) {
        let row = self.lock().devices.get(&ieee).map(row_of);
        if let Some(row) = row {
            self.keep("a device", |m| {
                m.save_zigbee_device(&row).map_err(|e| e.to_string())
            });
        }
    }

    /// Changes the state under the lock, then wakes those waiting on it and moves the feed.
    pub(super) fn update<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let (out, available) = {
            let mut inner = self.lock();
            let out = f(&mut inner);
            inner.status.devices = inner.devices.len();
            (out, inner.status.connected)
        };
        self.changed.notify_all();
        self.feed.send_modify(|c| {
            c.serial += 1;
            c.available = available;
        });
        out
    }

    /// Takes in a ZCL frame a device sent; returns the device's network address and the
    /// frames to answer it with (Default Response, Zone Enroll Response). A frame that cannot
    /// be read, or from a device the hub does not know, is logged and changes nothing.
    pub(super) fn receive(&self, message: &Incoming) -> Vec<Frame> {
        let (nwk, cluster) = (message.src_nwk, message.cluster);
        match Frame::parse(&message.payload) {
            Ok(frame) => self.apply(message, &frame),
            Err(err) => {
                warn!(nwk, cluster, cause = %err, "unreadable ZCL frame from a Zigbee device");
                Vec::new()
            }
        }
    }

    /// Takes in a frame a call waited for; its answers are the follow loop's business.
    pub(super) fn take_only(&self, message: &Incoming, frame: &Frame) {
        self.apply(message, frame);
    }

    fn apply(&self, message: &Incoming, frame: &Frame) -> Vec<Frame> {
        let (nwk, cluster) = (message.src_nwk, message.cluster);
        let (replies, renamed) = self.update(|i| {
            let Some(known) = i.by_nwk(nwk) else {
                warn!(nwk, cluster, "a ZCL frame from a Zigbee device the hub does not know");
                return (Vec::new(), None);
            };
            let before = (known.device.manufacturer.clone(), known.device.model.clone());
            known.heard = true;
            let got = known
                .device
                .receive(message.src_ep, cluster, frame, ZONE_ID);
            let d = &known.device;
            let renamed = (before != (d.manufacturer.clone(), d.model.clone())).then_some(d.ieee);
            // A zone's type names its entity: a changed one is a new entity id.
            let zone = cluster == zcl::clusters::id::IAS_ZONE;
            if renamed.is_some() || (zone && got.as_ref().is_ok_and(|g| g.changed)) {
                i.generation += 1;
            }
            match got {
                Ok(got) => {
                    for problem in &got.problems {
                        warn!(nwk, cluster, cause = %problem, "a Zigbee attribute could not be read");
                    }
                    (got.replies, renamed)
                }
                Err(err) => {
                    warn!(nwk, cluster, cause = %err, "unreadable ZCL frame from a Zigbee device");
                    (Vec::new(), renamed)
                }
            }
        });
        if let Some(ieee) = renamed {
            self.save(ieee);
        }
        replies
    }
}

/// A kept row from a device.
fn row_of(known: &Known) -> ZigbeeDeviceRow {
    let d = &known.device;
    ZigbeeDeviceRow {
        ieee: d.ieee,
        nwk: d.nwk,
        manufacturer: d.manufacturer.clone(),
        model: d.model.clone(),
        power_source: d.power_source,
        endpoints: d.endpoints.clone(),
        last_seen: crate::clock::now_ms(),
        interviewed: known.interviewed,
    }
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

//! What the back end holds, shared between the driver thread and the callers: the devices
//! (with whether each was heard and set up), the labels, the link's state, the driver's handle;
//! the change feed; the memory the devices are kept in; and how a ZCL frame from a device is
//! taken in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use tokio::sync::watch;
use tracing::warn;

use super::{LinkStatus, ZONE_ID};
use crate::devices::zigbee::Zigbee;
use crate::devices::zigbee::device::Device;
use crate::devices::zigbee::entities::{self, Label};
use crate::devices::zigbee::mt::parse::Incoming;
use crate::devices::zigbee::zcl::{self, Frame};
use crate::devices::{Changes, Entity};
use crate::memory::{Memory, ZigbeeDeviceRow};

/// One device as the back end holds it.
#[derive(Debug, Clone)]
pub(crate) struct Known {
    pub(crate) device: Device,
    /// Heard since this process started: its entities have a state, not `unavailable`.
    pub(crate) heard: bool,
    /// Interview and reporting set-up done.
    pub(crate) interviewed: bool,
}

pub(crate) struct Inner {
    pub(crate) devices: BTreeMap<u64, Known>,
    pub(crate) labels: BTreeMap<u64, Label>,
    pub(crate) status: LinkStatus,
    pub(crate) zigbee: Option<Zigbee>,
    /// Devices whose interview runs now.
    pub(crate) interviewing: BTreeSet<u64>,
    /// Moves when entities appear or go or their names change.
    pub(crate) generation: u64,
}

impl Inner {
    /// The device with network address `nwk`.
    pub(crate) fn by_nwk(&mut self, nwk: u16) -> Option<&mut Known> {
        self.devices.values_mut().find(|k| k.device.nwk == nwk)
    }

    /// The device whose entity is `entity_id`.
    pub(crate) fn owner(&self, entity_id: &str) -> Option<&Known> {
        let short = entities::short_of(entity_id)?;
        self.devices
            .values()
            .find(|k| k.device.ieee as u32 == short)
    }

    pub(crate) fn label(&self, ieee: u64) -> Label {
        self.labels.get(&ieee).cloned().unwrap_or_default()
    }

    /// A device's entities, `unavailable` while the stick is down or it was not heard.
    pub(crate) fn entities_of(&self, known: &Known) -> Vec<Entity> {
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

pub(crate) struct Shared {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) changed: Condvar,
    /// Where the devices are kept between runs; `None` keeps nothing.
    pub(crate) store: Mutex<Option<Memory>>,
    /// Moves on every change to the entities or the link (see [`Backend::changes`]).
    pub(crate) feed: watch::Sender<Changes>,
    /// The next ZCL transaction number.
    pub(crate) tsn: AtomicU8,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh ZCL transaction number.
    pub(crate) fn tsn(&self) -> u8 {
        self.tsn.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs `f` on the memory, if there is one; a failure is logged and shown in the status
    /// (the devices still work).
    pub(crate) fn keep(&self, what: &str, f: impl FnOnce(&mut Memory) -> Result<(), String>) {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(memory) = store.as_mut() {
            if let Err(err) = f(memory) {
                tracing::error!(cause = %err, what, "cannot keep the Zigbee devices in the memory");
            }
        }
    }

    /// Keeps device `ieee` as it is now.
    pub(crate) fn save(&self, ieee: u64) {
        let row = self.lock().devices.get(&ieee).map(row_of);
        if let Some(row) = row {
            self.keep("a device", |m| {
                m.save_zigbee_device(&row).map_err(|e| e.to_string())
            });
        }
    }

    /// Changes the state under the lock, then wakes those waiting on it and moves the feed.
    pub(crate) fn update<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
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
    pub(crate) fn receive(&self, message: &Incoming) -> Vec<Frame> {
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
    pub(crate) fn take_only(&self, message: &Incoming, frame: &Frame) {
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

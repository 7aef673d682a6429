//! What the link feeds and the back end reads: the house, the link's state and Home
//! Assistant's services, and the condition variable that wakes whoever waits for a change.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use serde_json::Value;
use tracing::debug;

use super::HaError;
use super::house::House;

/// The link's state, for the status page and `health`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LinkStatus {
    /// The WebSocket is up and authenticated.
    pub connected: bool,
    /// States and registries are loaded.
    pub synced: bool,
    /// Home Assistant's version.
    pub version: String,
    /// Why the link is down, if it is.
    pub error: Option<String>,
    /// Exposed entities, and all of Home Assistant's.
    pub entities: (usize, usize),
    /// Times the link was lost.
    pub drops: u64,
}

/// What the link feeds and the back end reads, behind one lock and a condition variable
/// that wakes whoever waits for a state.
pub(crate) struct Shared {
    pub(super) house: Mutex<House>,
    pub(super) status: Mutex<LinkStatus>,
    /// Domain → service → whether it answers with data.
    pub(super) services: Mutex<BTreeMap<String, BTreeMap<String, bool>>>,
    pub(super) changed: Condvar,
}

impl Shared {
    pub(super) fn house(&self) -> MutexGuard<'_, House> {
        self.house.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn status(&self) -> MutexGuard<'_, LinkStatus> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the house and wakes the waiters.
    pub(super) fn with_house<T, E>(
        &self,
        f: impl FnOnce(&mut House) -> Result<T, E>,
    ) -> Result<T, E> {
        let out = f(&mut self.house());
        self.changed.notify_all();
        out
    }

    pub(super) fn state_changed(&self, data: &Value) {
        let changed = self.house().apply_state_changed(data);
        if let Some(id) = changed {
            debug!(entity = %id, "state changed");
            self.changed.notify_all();
        }
    }

    pub(super) fn counts(&self) -> (usize, usize) {
        self.house().counts()
    }

    /// Wakes every waiter. The lock is taken first so a waiter between its check and its
    /// wait cannot miss a change made under the status lock.
    pub(super) fn wake(&self) {
        let _house = self.house();
        self.changed.notify_all();
    }

    pub(super) fn set_link_up(&self, version: &str) {
        let mut s = self.status();
        s.connected = true;
        s.error = None;
        version.clone_into(&mut s.version);
        drop(s);
        self.wake();
    }

    pub(super) fn set_link_down(&self, err: &HaError) {
        let mut s = self.status();
        if s.connected {
            s.drops += 1;
        }
        s.connected = false;
        s.synced = false;
        s.error = Some(err.to_string());
        drop(s);
        self.wake();
    }

    pub(super) fn set_synced(&self, synced: bool) {
        self.status().synced = synced;
        self.wake();
    }

    pub(super) fn set_services(&self, result: &Value) {
        let Some(domains) = result.as_object() else {
            return;
        };
        let services = domains
            .iter()
            .map(|(d, s)| {
                // A service that can answer has a `response` in its description.
                let names = s
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(name, desc)| (name.clone(), desc.get("response").is_some()))
                            .collect()
                    })
                    .unwrap_or_default();
                (d.clone(), names)
            })
            .collect();
        *self.services.lock().unwrap_or_else(|p| p.into_inner()) = services;
    }

    /// Whether Home Assistant has `domain.service`; `None` before the list came.
    pub(super) fn has_service(&self, domain: &str, service: &str) -> Option<bool> {
        let services = self.services.lock().unwrap_or_else(|p| p.into_inner());
        if services.is_empty() {
            return None;
        }
        Some(
            services
                .get(domain)
                .is_some_and(|s| s.contains_key(service)),
        )
    }

    /// Whether `domain.service` answers with data (Home Assistant's `return_response`).
    pub(super) fn returns_response(&self, domain: &str, service: &str) -> bool {
        let services = self.services.lock().unwrap_or_else(|p| p.into_inner());
        services
            .get(domain)
            .and_then(|s| s.get(service))
            .copied()
            .unwrap_or(false)
    }
}

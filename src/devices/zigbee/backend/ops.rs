//! What `mirai zigbee …` and `/api/zigbee/…` ask of the back end: the network, the devices as
//! JSON, a device found by what a person types, its state read now, a service call from
//! `KEY=VALUE` words, permit join with its countdown and the devices that joined, a backup.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::call::{Answer, read_back};
use super::{Known, ZigbeeBackend, unavailable};
use crate::devices::zigbee::entities;
use crate::devices::zigbee::zcl::reporting::state_attributes;
use crate::devices::{DeviceError, Domain, Entity, ServiceCall};

impl ZigbeeBackend {
    /// The stick and the network: port, link, coordinator address, channel, PAN id, devices.
    pub fn info(&self) -> Value {
        let st = self.status();
        json!({
            "port": self.settings.zigbee.port,
            "connected": st.connected,
            "error": st.error,
            "ieee": st.ieee.map(|i| format!("{i:016x}")),
            "channel": st.channel,
            "pan_id": st.pan_id.map(|p| format!("{p:04x}")),
            "devices": st.devices,
            "memory_error": st.memory_error,
        })
    }

    /// How long permit join opens the network when not told (`zigbee.permit_join_s`).
    pub fn permit_join_default(&self) -> Duration {
        self.settings.zigbee.permit_join
    }

    /// Every device as JSON, by IEEE address.
    pub fn device_list(&self) -> Vec<Value> {
        let inner = self.shared.lock();
        let all = inner.devices.values();
        all.map(|k| self.describe(&inner, k)).collect()
    }

    /// One device as JSON: addresses, name, area, what it is, its entities now.
    pub fn device(&self, ieee: u64) -> Option<Value> {
        let inner = self.shared.lock();
        let known = inner.devices.get(&ieee)?;
        Some(self.describe(&inner, known))
    }

    fn describe(&self, inner: &super::Inner, k: &Known) -> Value {
        let d = &k.device;
        let label = inner.label(d.ieee);
        json!({
            "ieee": format!("{:016x}", d.ieee),
            "nwk": format!("{:04x}", d.nwk),
            "name": entities::name(d, &label),
            "area": label.area,
            "manufacturer": d.manufacturer,
            "model": d.model,
            "power_source": d.power_source,
            "heard": k.heard,
            "interviewed": k.interviewed,
            "endpoints": d.endpoints,
            "entities": inner.entities_of(k),
        })
    }

    /// The device `text` names: its IEEE address (16 hex digits, `0x` optional), the 8 hex
    /// digits of its entity ids, or its name; or a message saying which devices there are.
    pub fn find(&self, text: &str) -> Result<u64, String> {
        let inner = self.shared.lock();
        let hex = text.trim().trim_start_matches("0x").to_ascii_lowercase();
        let found = inner.devices.values().find(|k| {
            let d = &k.device;
            hex == format!("{:016x}", d.ieee)
                || hex == entities::short(d.ieee)
                || entities::name(d, &inner.label(d.ieee)).eq_ignore_ascii_case(text.trim())
        });
        if let Some(k) = found {
            return Ok(k.device.ieee);
        }
        let names: Vec<String> = (inner.devices.values())
            .map(|k| {
                let name = entities::name(&k.device, &inner.label(k.device.ieee));
                format!("{:016x} ({name})", k.device.ieee)
            })
            .collect();
        Err(if names.is_empty() {
            format!(
                "no Zigbee device {text:?}: none has joined; open the network with `mirai zigbee permit-join`"
            )
        } else {
            format!("no Zigbee device {text:?}; there are {}", names.join(", "))
        })
    }

    /// Reads device `ieee`'s state now (every cluster it reports), then describes it.
    pub fn read(&self, ieee: u64) -> Result<Value, DeviceError> {
        let (nwk, name, clusters) = {
            let inner = self.shared.lock();
            let k = inner.devices.get(&ieee);
            let k = k.ok_or_else(|| DeviceError::UnknownEntity(format!("{ieee:016x}")))?;
            let clusters: Vec<(u8, u16)> = (k.device.endpoints.iter())
                .flat_map(|e| e.in_clusters.iter().map(move |c| (e.id, *c)))
                .filter(|(_, c)| !state_attributes(*c).is_empty())
                .collect();
            let name = entities::name(&k.device, &inner.label(ieee));
            (k.device.nwk, name, clusters)
        };
        let zigbee = self.zigbee()?;
        let (shared, wait) = (self.shared.clone(), self.settings.answer_timeout);
        let answer = self.block(async move {
            let mut events = zigbee.events();
            read_back(
                &shared,
                &zigbee,
                &mut events,
                nwk,
                &clusters,
                &[],
                &name,
                wait,
            )
            .await
        })?;
        match answer.map_err(|e| unavailable(&e.to_string()))? {
            Answer::Read => {}
            Answer::No(reason) => return Err(unavailable(&reason)),
        }
        self.device(ieee)
            .ok_or_else(|| DeviceError::UnknownEntity(format!("{ieee:016x}")))
    }

    /// The light or switch entity of device `ieee`, if it has one.
    pub fn switch_entity(&self, ieee: u64) -> Option<Entity> {
        let inner = self.shared.lock();
        let k = inner.devices.get(&ieee)?;
        let all = inner.entities_of(k);
        (all.into_iter()).find(|e| matches!(e.domain, Domain::Light | Domain::Switch))
    }

    /// The call `KEY=VALUE` words ask of device `ieee`: `state=on|off|toggle`, and for a
    /// light `brightness`, `brightness_pct`, `color_temp`, `kelvin`, `transition` (numbers)
    /// and `xy_color=X,Y`. An error says which word is wrong.
    pub fn call_for(&self, ieee: u64, words: &[String]) -> Result<ServiceCall, String> {
        let Some(entity) = self.switch_entity(ieee) else {
            return Err(format!(
                "{ieee:016x} has nothing to switch (no On/Off cluster)"
            ));
        };
        let mut service = None;
        let mut data = serde_json::Map::new();
        for word in words {
            let Some((key, value)) = word.split_once('=') else {
                return Err(format!(
                    "{word:?} is not KEY=VALUE (e.g. state=on, brightness_pct=40)"
                ));
            };
            let v = value.trim();
            match key.trim() {
                "state" => {
                    service = Some(match v.to_ascii_lowercase().as_str() {
                        "on" => "turn_on",
                        "off" => "turn_off",
                        "toggle" => "toggle",
                        _ => return Err(format!("state must be on, off or toggle, got {v:?}")),
                    });
                }
                "xy_color" => {
                    let parts: Option<Vec<f64>> =
                        v.split(',').map(|p| p.trim().parse().ok()).collect();
                    match parts.as_deref() {
                        Some([x, y]) => data.insert(key.into(), json!([x, y])),
                        _ => return Err(format!("xy_color must be X,Y, got {v:?}")),
                    };
                }
                k => {
                    let n: f64 = v
                        .parse()
                        .map_err(|_| format!("{k} must be a number, got {v:?}"))?;
                    data.insert(k.to_owned(), json!(n));
                }
            }
        }
        let service = service.unwrap_or(if data.is_empty() { "toggle" } else { "turn_on" });
        Ok(ServiceCall {
            entity_id: entity.id,
            service: service.to_owned(),
            data,
        })
    }

    /// Opens the network for `within` and reports on `sink` as JSON lines: `open` with the
    /// seconds left, once a second; `joined` and `ready` for each device that joins and is
    /// set up; `closed` at the end with how many joined.
    pub fn permit_join_run(&self, within: Duration, sink: &mut dyn FnMut(&Value)) {
        let before: Vec<u64> = self.shared.lock().devices.keys().copied().collect();
        match self.permit_join(Some(within)) {
            Ok(0) => {}
            Ok(status) => {
                let why = format!("the stick refused to open the network (status 0x{status:02X})");
                return sink(&json!({"event": "failed", "error": why}));
            }
            Err(err) => return sink(&json!({"event": "failed", "error": err.to_string()})),
        }
        let end = Instant::now() + within;
        let (mut joined, mut ready) = (Vec::new(), Vec::new());
        let mut next_tick = Instant::now();
        loop {
            let now = Instant::now();
            if now >= next_tick {
                let left = end.saturating_duration_since(now).as_secs();
                sink(&json!({"event": "open", "seconds_left": left}));
                next_tick += Duration::from_secs(1);
            }
            let now_known: Vec<(u64, bool)> = (self.shared.lock().devices.values())
                .map(|k| (k.device.ieee, k.interviewed))
                .collect();
            for (ieee, interviewed) in now_known {
                if before.contains(&ieee) {
                    continue;
                }
                let seen = json!({"ieee": format!("{ieee:016x}")});
                if !joined.contains(&ieee) {
                    joined.push(ieee);
                    sink(&json!({"event": "joined", "device": seen}));
                }
                if interviewed && !ready.contains(&ieee) {
                    ready.push(ieee);
                    let device = self.device(ieee).unwrap_or(seen);
                    sink(&json!({"event": "ready", "device": device}));
                }
            }
            if now >= end {
                break;
            }
            let wake = next_tick.min(end);
            self.wait_for(wake.saturating_duration_since(Instant::now()), |_| false);
        }
        sink(&json!({"event": "closed", "joined": joined.len()}));
    }

    /// Writes the network's backup to `path` (mode 0600); what it holds, the key left out.
    pub fn backup(&self, path: PathBuf) -> Result<Value, DeviceError> {
        let zigbee = self.zigbee()?;
        let to = path.clone();
        let saved = self.block(async move { zigbee.backup_to(&to).await })?;
        let backup = saved.map_err(|e| unavailable(&e.to_string()))?;
        Ok(json!({
            "path": path.display().to_string(),
            "channel": backup.channel,
            "pan_id": backup.pan_id,
            "extended_pan_id": backup.extended_pan_id,
        }))
    }
}

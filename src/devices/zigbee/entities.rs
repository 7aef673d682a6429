//! Zigbee devices as registry entities: which entities a device becomes by its endpoints'
//! server clusters, their state from what it reported, and (in `calls`) what a service call
//! asks of it as ZCL commands. Pure: no I/O.
//!
//! Ids carry the low 32 bits of the IEEE address as 8 hex digits, `<s>` below (the upper
//! bytes are the maker's prefix, shared by many devices):
//!
//! - an endpoint with On/Off is `light.zigbee_<s>` (with Level or Color, or a light's device
//!   id) or `switch.zigbee_<s>` (a plug's or an output's device id, or On/Off alone); the
//!   config's `kind` may say otherwise. A light has `brightness` (0–255), `color_temp`
//!   (mireds), `color_temp_kelvin`, `xy_color`, `color_mode` and `supported_color_modes`;
//! - Temperature and Humidity are `sensor.zigbee_<s>_temperature` / `_humidity`;
//! - Occupancy is `binary_sensor.zigbee_<s>_occupancy`;
//! - an IAS zone is `binary_sensor.zigbee_<s>_<kind>` by its zone type (`motion`, `contact`,
//!   `water_leak`, `smoke`…), on while alarm 1 is set, with `tamper` and `battery_low`;
//! - Power Configuration is `sensor.zigbee_<s>_battery` (%), with `voltage`.
//!
//! A second endpoint with the same kind of entity adds `_<endpoint>` to its id. Every entity
//! carries `ieee`, `endpoint`, `model` and `manufacturer` attributes, and `battery_level`
//! when the device reports one.

mod calls;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use super::device::{Device, Endpoint, State};
use super::zcl::clusters::id;
use super::zcl::ias::{ZoneStatus, zone_type};
use crate::devices::{Domain, Entity};
pub use calls::{Request, plan};

/// What the config says about one device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Label {
    /// What people call it.
    pub name: Option<String>,
    /// Other names.
    pub aliases: Vec<String>,
    /// Area id.
    pub area: Option<String>,
    /// Light or switch, overriding what the clusters and device id say.
    pub kind: Option<Domain>,
}

/// Device ids of lights (Home Automation 1.2 and Light Link, as profile 0x0104 devices
/// announce them): on/off, dimmable, color dimmable, color temperature, extended color.
const LIGHTS: [u16; 8] = [
    0x0100, 0x0101, 0x0102, 0x010C, 0x010D, 0x0200, 0x0210, 0x0220,
];
/// Device ids of plugs and outputs: on/off output, level output, mains outlet, smart plug,
/// on/off and dimmable plug-in units (both profiles).
const PLUGS: [u16; 8] = [
    0x0002, 0x0003, 0x0009, 0x0051, 0x010A, 0x010B, 0x0010, 0x0110,
];
/// Color temperature lights (no xy).
const WHITE_AMBIANCE: [u16; 2] = [0x010C, 0x0220];
/// Color lights without color temperature.
const XY_ONLY: [u16; 2] = [0x0102, 0x0200];

/// The device's id part: the IEEE address's low 32 bits as 8 hex digits.
pub fn short(ieee: u64) -> String {
    format!("{:08x}", ieee as u32)
}

/// The short address in an entity id such as `sensor.zigbee_1a2b3c4d_temperature`, for
/// finding its device.
pub fn short_of(entity_id: &str) -> Option<u32> {
    let (_, object) = entity_id.split_once('.')?;
    let hex = object.strip_prefix("zigbee_")?.get(..8)?;
    u32::from_str_radix(hex, 16).ok()
}

/// The name of a device's entities: the config's, else "<manufacturer> <model>", else
/// "Zigbee <s>".
pub fn name(device: &Device, label: &Label) -> String {
    if let Some(n) = &label.name {
        return n.clone();
    }
    let parts: Vec<&str> = [&device.manufacturer, &device.model]
        .into_iter()
        .filter_map(|p| p.as_deref().filter(|s| !s.is_empty()))
        .collect();
    if parts.is_empty() {
        format!("Zigbee {}", short(device.ieee))
    } else {
        parts.join(" ")
    }
}

/// Light or switch for an endpoint with On/Off.
fn actuator(ep: &Endpoint, label: &Label) -> Domain {
    if let Some(kind) = label.kind {
        return kind;
    }
    if PLUGS.contains(&ep.device_id) {
        Domain::Switch
    } else if LIGHTS.contains(&ep.device_id) || ep.serves(id::LEVEL) || ep.serves(id::COLOR) {
        Domain::Light
    } else {
        Domain::Switch
    }
}

/// The color modes a light supports, in Home Assistant's words.
pub fn color_modes(ep: &Endpoint) -> Vec<&'static str> {
    if ep.serves(id::COLOR) {
        if WHITE_AMBIANCE.contains(&ep.device_id) {
            vec!["color_temp"]
        } else if XY_ONLY.contains(&ep.device_id) {
            vec!["xy"]
        } else {
            vec!["color_temp", "xy"]
        }
    } else if ep.serves(id::LEVEL) {
        vec!["brightness"]
    } else {
        vec!["onoff"]
    }
}

/// An IAS zone type as (object id, device class).
pub fn zone_kind(zone: Option<u16>) -> (&'static str, Option<&'static str>) {
    match zone {
        Some(zone_type::MOTION) => ("motion", Some("motion")),
        Some(zone_type::CONTACT | zone_type::DOOR_HANDLE) => ("contact", Some("door")),
        Some(zone_type::FIRE) => ("smoke", Some("smoke")),
        Some(zone_type::WATER) => ("water_leak", Some("moisture")),
        Some(zone_type::CARBON_MONOXIDE) => ("carbon_monoxide", Some("carbon_monoxide")),
        Some(zone_type::VIBRATION) => ("vibration", Some("vibration")),
        Some(zone_type::EMERGENCY) => ("emergency", Some("safety")),
        Some(zone_type::GLASS_BREAK) => ("glass_break", Some("safety")),
        _ => ("alarm", Some("safety")),
    }
}

/// HA brightness 0–255 from a level 0–254.
fn brightness(level: u8) -> u32 {
    (u32::from(level.min(254)) * 255 + 127) / 254
}

/// A reading as a state string: "21.5", "20", "unknown".
fn number(v: Option<f32>) -> String {
    match v {
        Some(v) => {
            let s = format!("{v:.2}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        None => "unknown".to_owned(),
    }
}

/// "on" / "off" / "unknown".
fn on_off(v: Option<bool>) -> String {
    match v {
        Some(true) => "on",
        Some(false) => "off",
        None => "unknown",
    }
    .to_owned()
}

/// Every entity of `device`, named by `label`.
pub fn entities(device: &Device, label: &Label) -> Vec<Entity> {
    let s = short(device.ieee);
    let name = name(device, label);
    let battery = (device.readings.values()).find_map(|r| r.battery_percent);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    // The first entity of a kind is `<domain>.zigbee_<s>[_what]`; later ones add `_<ep>`.
    let mut id_for = |domain: Domain, what: &str, ep: u8| {
        let base = format!("{}.zigbee_{s}{what}", domain.as_str());
        if seen.insert(base.clone()) {
            base
        } else {
            format!("{base}_{ep}")
        }
    };
    for ep in &device.endpoints {
        let state = device.state(ep.id).cloned().unwrap_or_default();
        let base = base(device, label, &name, ep.id, battery);
        let mut add = |domain: Domain, what: &str, label_what: &str, fill: &dyn Fn(&mut Entity)| {
            let mut e = base.clone();
            e.id = id_for(domain, what, ep.id);
            e.domain = domain;
            if !label_what.is_empty() {
                e.name = format!("{name} {label_what}");
            }
            fill(&mut e);
            out.push(e);
        };
        if ep.serves(id::ON_OFF) {
            let domain = actuator(ep, label);
            add(domain, "", "", &|e| fill_switch(e, ep, &state));
        }
        if ep.serves(id::TEMPERATURE) {
            add(Domain::Sensor, "_temperature", "temperature", &|e| {
                sensor(e, "temperature", "°C", number(state.temperature));
            });
        }
        if ep.serves(id::HUMIDITY) {
            add(Domain::Sensor, "_humidity", "humidity", &|e| {
                sensor(e, "humidity", "%", number(state.humidity));
            });
        }
        if ep.serves(id::OCCUPANCY) {
            add(Domain::BinarySensor, "_occupancy", "occupancy", &|e| {
                e.device_class = Some("occupancy".into());
                e.state = on_off(state.occupied);
            });
        }
        if ep.serves(id::IAS_ZONE) {
            let (what, class) = zone_kind(state.zone_type);
            add(
                Domain::BinarySensor,
                &format!("_{what}"),
                &what.replace('_', " "),
                &|e| {
                    fill_zone(e, class, &state);
                },
            );
        }
        if ep.serves(id::POWER_CONFIGURATION) {
            add(Domain::Sensor, "_battery", "battery", &|e| {
                sensor(
                    e,
                    "battery",
                    "%",
                    number(state.battery_percent.map(f32::round)),
                );
                if let Some(v) = state.battery_voltage {
                    e.attributes.insert("voltage".into(), json!(v));
                }
            });
        }
    }
    if let [only] = out.as_mut_slice() {
        only.name.clone_from(&name);
    }
    out
}

/// What every entity of the device shares.
fn base(device: &Device, label: &Label, name: &str, ep: u8, battery: Option<f32>) -> Entity {
    let mut attributes = BTreeMap::from([
        ("ieee".to_owned(), json!(format!("0x{:016x}", device.ieee))),
        ("endpoint".to_owned(), json!(ep)),
        ("device_name".to_owned(), json!(name)),
    ]);
    for (key, v) in [
        ("model", &device.model),
        ("manufacturer", &device.manufacturer),
    ] {
        if let Some(v) = v {
            attributes.insert(key.to_owned(), json!(v));
        }
    }
    if let Some(b) = battery {
        attributes.insert("battery_level".into(), json!(b.round() as u8));
    }
    Entity {
        id: String::new(),
        name: name.to_owned(),
        aliases: label.aliases.clone(),
        area: label.area.clone(),
        domain: Domain::Switch,
        device_class: None,
        state: "unknown".into(),
        attributes,
        backend: String::new(),
    }
}

/// A sensor's class, unit and state.
fn sensor(e: &mut Entity, class: &str, unit: &str, state: String) {
    e.device_class = Some(class.to_owned());
    e.state = state;
    e.attributes
        .insert("unit_of_measurement".into(), json!(unit));
    e.attributes
        .insert("state_class".into(), json!("measurement"));
}

/// A switch's or a light's state and, for a light, brightness and color.
fn fill_switch(e: &mut Entity, ep: &Endpoint, s: &State) {
    e.state = on_off(s.on);
    if e.domain == Domain::Switch {
        e.device_class = Some("outlet".into()).filter(|_| PLUGS.contains(&ep.device_id));
        return;
    }
    let modes = color_modes(ep);
    let a = &mut e.attributes;
    a.insert("supported_color_modes".into(), json!(modes));
    if let Some(level) = s.level.filter(|_| ep.serves(id::LEVEL)) {
        a.insert("brightness".into(), json!(brightness(level)));
    }
    if let Some(m) = s
        .color_temperature
        .filter(|&m| m > 0 && modes.contains(&"color_temp"))
    {
        a.insert("color_temp".into(), json!(m));
        a.insert(
            "color_temp_kelvin".into(),
            json!((1_000_000 + u32::from(m) / 2) / u32::from(m)),
        );
    }
    if let (Some(x), Some(y)) = (s.color_x, s.color_y) {
        let share = |v: u16| (f64::from(v) / 65536.0 * 10000.0).round() / 10000.0;
        a.insert("xy_color".into(), json!([share(x), share(y)]));
    }
    let mode = match s.color_mode {
        Some(2) if modes.contains(&"color_temp") => "color_temp",
        Some(0 | 1) if modes.contains(&"xy") => "xy",
        _ => modes[0],
    };
    a.insert("color_mode".into(), Json::from(mode));
}

/// An IAS zone's state: alarm 1, with tamper and low battery.
fn fill_zone(e: &mut Entity, class: Option<&str>, s: &State) {
    e.device_class = class.map(str::to_owned);
    let status = s.zone_status.map(ZoneStatus);
    e.state = on_off(status.map(ZoneStatus::alarm1));
    if let Some(st) = status {
        e.attributes.insert("tamper".into(), json!(st.tamper()));
        e.attributes
            .insert("battery_low".into(), json!(st.battery_low()));
    }
    if let Some(t) = s.zone_type {
        e.attributes.insert("zone_type".into(), json!(t));
    }
}

#[cfg(test)]
mod tests;

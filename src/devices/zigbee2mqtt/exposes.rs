//! Zigbee2MQTT's retained `bridge/devices` list as MIRAI's devices, pure: each device's
//! exposes become entity specs (which entity, which state property drives it, which values
//! mean on and off).
//!
//! The shapes follow Zigbee2MQTT's documentation: the device list in "MQTT Topics and
//! Messages" (<https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html>,
//! `zigbee2mqtt/bridge/devices`: `ieee_address`, `type`, `friendly_name`, `supported`,
//! `interview_completed`, `definition {model, vendor, description, exposes}`) and the exposes
//! in "Exposes" (<https://www.zigbee2mqtt.io/guide/usage/exposes.html>): specific types
//! (`light`, `switch`, `lock`, `cover`) carry `features`; generic `binary` has `value_on` /
//! `value_off`, `numeric` has `unit`; `property` is `name_endpoint` when an `endpoint` is set;
//! `access` bit 1 is "published in the state", bit 2 "can be set".

use serde_json::Value;

use crate::devices::Domain;

/// Bit 2 of `access`: the property can be set with `/set`.
const ACCESS_SET: u64 = 0b010;

/// One Zigbee device as Zigbee2MQTT lists it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Device {
    /// The IEEE address (`0x00158d0001a2b3c4`): stable across renames.
    pub(crate) ieee: String,
    /// Zigbee2MQTT's friendly name: the topic `<base>/<friendly_name>`.
    pub(crate) name: String,
    /// `definition.model`, `vendor`, `description`.
    pub(crate) model: Option<String>,
    pub(crate) vendor: Option<String>,
    pub(crate) description: Option<String>,
    /// Zigbee2MQTT knows the model.
    pub(crate) supported: bool,
    /// The interview finished.
    pub(crate) interviewed: bool,
    /// Its entities.
    pub(crate) specs: Vec<Spec>,
}

/// One entity of a device: what it is and which state properties drive it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spec {
    /// `light.kitchen_ceiling`, `sensor.hall_sensor_temperature`…
    pub(crate) id: String,
    /// What people call it.
    pub(crate) name: String,
    /// Its kind.
    pub(crate) domain: Domain,
    /// Home Assistant's device class, where one fits.
    pub(crate) device_class: Option<String>,
    /// The unit of a reading.
    pub(crate) unit: Option<String>,
    /// The properties behind it.
    pub(crate) kind: Kind,
}

/// The properties behind an entity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A light: on/off, and brightness, colour temperature and colour where it has them.
    Light(Light),
    /// A switch or plug.
    Switch(Binary),
    /// A reading: the state is the property's value.
    Sensor(String),
    /// An on/off reading; `on` is the value meaning "on" in Home Assistant's sense (for a
    /// contact sensor: open, as `contact` is `true` when closed).
    BinarySensor(Binary),
    /// A cover: `state` (OPEN / CLOSE / STOP) and `position` (0–100) where exposed.
    Cover {
        /// The state property.
        state: Option<String>,
        /// The position property.
        position: Option<String>,
    },
    /// A lock: `state` (LOCK / UNLOCK) and `lock_state` (locked / unlocked…).
    Lock {
        /// The state property and its values.
        state: Binary,
        /// The read-only lock state property.
        lock_state: Option<String>,
    },
}

/// A binary property and its values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Binary {
    /// The property in the state and in `/set`.
    pub(crate) property: String,
    /// The value meaning on (`"ON"`, `true`, `"LOCK"`).
    pub(crate) on: Value,
    /// The value meaning off.
    pub(crate) off: Value,
    /// The value that toggles, if the device takes one.
    pub(crate) toggle: Option<Value>,
}

/// A light's properties.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Light {
    /// On and off.
    pub(crate) state: Binary,
    /// The brightness property and its largest value (254 on most lights).
    pub(crate) brightness: Option<(String, f64)>,
    /// The colour temperature property (mireds) and its range.
    pub(crate) color_temp: Option<(String, f64, f64)>,
    /// The xy colour property (`color`, or `color_<endpoint>`).
    pub(crate) color: Option<String>,
}

/// What reading `bridge/devices` found: the devices, and the exposes and entries skipped.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// The devices, the coordinator left out.
    pub(crate) devices: Vec<Device>,
    /// Entries that are not a device (no ieee_address or friendly_name), with why.
    pub(crate) bad_entries: Vec<String>,
    /// Exposes of a type or shape MIRAI does not use, as `friendly_name: type property`.
    pub(crate) skipped: Vec<String>,
}

/// Reads the `bridge/devices` payload; an error for anything but a JSON array.
pub(crate) fn parse_devices(payload: &[u8]) -> Result<Parsed, String> {
    let list: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Array(list) = list else {
        return Err("expected a JSON array of devices".into());
    };
    let mut parsed = Parsed::default();
    let mut used = std::collections::HashSet::new();
    for (i, entry) in list.iter().enumerate() {
        let text = |k: &str| entry.get(k).and_then(Value::as_str).map(str::to_owned);
        if entry.get("type").and_then(Value::as_str) == Some("Coordinator") {
            continue;
        }
        let (Some(ieee), Some(name)) = (text("ieee_address"), text("friendly_name")) else {
            parsed
                .bad_entries
                .push(format!("entry {i}: no ieee_address or friendly_name"));
            continue;
        };
        let definition = entry.get("definition").filter(|d| d.is_object());
        let def = |k: &str| definition.and_then(|d| d.get(k)).and_then(Value::as_str);
        let mut device = Device {
            ieee,
            model: def("model").map(str::to_owned),
            vendor: def("vendor").map(str::to_owned),
            description: def("description").map(str::to_owned),
            supported: entry.get("supported").and_then(Value::as_bool) == Some(true),
            interviewed: entry.get("interview_completed").and_then(Value::as_bool) == Some(true),
            specs: Vec::new(),
            name,
        };
        let exposes = definition
            .and_then(|d| d.get("exposes"))
            .and_then(Value::as_array);
        for expose in exposes.into_iter().flatten() {
            match spec_of(&device.name, expose) {
                Some(spec) if used.insert(spec.id.clone()) => device.specs.push(spec),
                Some(spec) => parsed
                    .skipped
                    .push(format!("{}: duplicate {}", device.name, spec.id)),
                None if is_ignored(expose) => {}
                None => parsed.skipped.push(format!(
                    "{}: {} {}",
                    device.name,
                    expose
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("(no type)"),
                    expose.get("property").and_then(Value::as_str).unwrap_or("")
                )),
            }
        }
        parsed.devices.push(device);
    }
    Ok(parsed)
}

/// Exposes MIRAI leaves out on purpose: settings (`category: config`), writable plain values
/// (options, not readings), enums and texts (actions, modes), the radio's link quality.
fn is_ignored(expose: &Value) -> bool {
    let kind = expose.get("type").and_then(Value::as_str).unwrap_or("");
    let property = expose.get("property").and_then(Value::as_str).unwrap_or("");
    expose.get("category").and_then(Value::as_str) == Some("config")
        || property == "linkquality"
        || matches!(
            kind,
            "enum" | "text" | "list" | "composite" | "climate" | "fan"
        )
        || (matches!(kind, "binary" | "numeric") && writable(expose))
}

fn writable(expose: &Value) -> bool {
    expose.get("access").and_then(Value::as_u64).unwrap_or(0) & ACCESS_SET != 0
}

/// The entity for one top-level expose, if MIRAI makes one of it.
fn spec_of(device: &str, expose: &Value) -> Option<Spec> {
    let kind = expose.get("type")?.as_str()?;
    let endpoint = expose.get("endpoint").and_then(Value::as_str);
    let base = slug(device);
    let name = display_name(device);
    let (suffix, spoken) = match endpoint {
        Some(ep) => (format!("_{}", slug(ep)), format!("{name} {ep}")),
        None => (String::new(), name.clone()),
    };
    let features = expose.get("features").and_then(Value::as_array);
    let feature = |n: &str| features?.iter().find(|f| f["name"] == n);
    let mut spec = Spec {
        id: String::new(),
        name: spoken,
        domain: Domain::Sensor,
        device_class: None,
        unit: None,
        kind: Kind::Sensor(String::new()),
    };
    match kind {
        "light" => {
            let state = binary(feature("state")?)?;
            let brightness = feature("brightness").and_then(|b| {
                let max = b.get("value_max").and_then(Value::as_f64).unwrap_or(254.0);
                Some((property(b)?, max.max(1.0)))
            });
            let color_temp = feature("color_temp").and_then(|c| {
                let min = c.get("value_min").and_then(Value::as_f64).unwrap_or(150.0);
                let max = c.get("value_max").and_then(Value::as_f64).unwrap_or(500.0);
                Some((property(c)?, min, max))
            });
            let color = feature("color_xy").and_then(property);
            spec.domain = Domain::Light;
            spec.kind = Kind::Light(Light {
                state,
                brightness,
                color_temp,
                color,
            });
        }
        "switch" => {
            spec.domain = Domain::Switch;
            spec.kind = Kind::Switch(binary(feature("state")?)?);
        }
        "lock" => {
            spec.domain = Domain::Lock;
            spec.kind = Kind::Lock {
                state: binary(feature("state")?)?,
                lock_state: feature("lock_state").and_then(property),
            };
        }
        "cover" => {
            let state = feature("state").and_then(property);
            let position = feature("position").and_then(property);
            if state.is_none() && position.is_none() {
                return None;
            }
            spec.domain = Domain::Cover;
            spec.kind = Kind::Cover { state, position };
        }
        "numeric" if !is_ignored(expose) => {
            let prop = property(expose)?;
            spec.device_class = numeric_class(expose["name"].as_str()?).map(str::to_owned);
            spec.unit = expose
                .get("unit")
                .and_then(Value::as_str)
                .map(str::to_owned);
            spec.name = format!("{name} {}", label(expose, &prop));
            spec.id = format!("sensor.{base}_{}", slug(&prop));
            spec.kind = Kind::Sensor(prop);
            return Some(spec);
        }
        "binary" if !is_ignored(expose) => {
            let b = binary(expose)?;
            spec.domain = Domain::BinarySensor;
            spec.device_class = binary_class(expose["name"].as_str()?).map(str::to_owned);
            spec.name = format!("{name} {}", label(expose, &b.property));
            spec.id = format!("binary_sensor.{base}_{}", slug(&b.property));
            spec.kind = Kind::BinarySensor(b);
            return Some(spec);
        }
        _ => return None,
    }
    spec.id = format!("{}.{base}{suffix}", spec.domain.as_str());
    Some(spec)
}

/// A binary expose's property and values.
fn binary(expose: &Value) -> Option<Binary> {
    Some(Binary {
        property: property(expose)?,
        on: expose.get("value_on")?.clone(),
        off: expose.get("value_off")?.clone(),
        toggle: expose.get("value_toggle").cloned(),
    })
}

fn property(expose: &Value) -> Option<String> {
    let p = expose.get("property")?.as_str()?;
    (!p.is_empty()).then(|| p.to_owned())
}

/// The expose's label (`Temperature`) in lower case, else its property in words.
fn label(expose: &Value, property: &str) -> String {
    match expose.get("label").and_then(Value::as_str) {
        Some(l) if !l.is_empty() => l.to_lowercase(),
        _ => property.replace('_', " "),
    }
}

/// Home Assistant's sensor device class for a numeric expose's name.
fn numeric_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "temperature" | "device_temperature" | "local_temperature" => "temperature",
        "humidity" => "humidity",
        "battery" => "battery",
        "illuminance" | "illuminance_lux" => "illuminance",
        "power" => "power",
        "energy" => "energy",
        "voltage" => "voltage",
        "current" => "current",
        "pressure" => "pressure",
        "co2" => "carbon_dioxide",
        "pm25" => "pm25",
        "voc" => "volatile_organic_compounds",
        _ => return None,
    })
}

/// Home Assistant's binary sensor device class for a binary expose's name.
fn binary_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "occupancy" => "motion",
        "presence" => "presence",
        "contact" => "door",
        "water_leak" => "moisture",
        "smoke" => "smoke",
        "gas" => "gas",
        "carbon_monoxide" => "carbon_monoxide",
        "vibration" => "vibration",
        "tamper" => "tamper",
        "battery_low" => "battery",
        _ => return None,
    })
}

/// An entity id part: lower-case ASCII letters and digits, anything else one `_`.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() { "device".into() } else { out }
}

/// A friendly name as people say it: `kitchen/ceiling_light` → "kitchen ceiling light".
pub(crate) fn display_name(friendly: &str) -> String {
    friendly
        .split(['/', '_'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The area a friendly name like `kitchen/ceiling` hints at: its first segment.
pub(crate) fn area_hint(friendly: &str) -> Option<&str> {
    let (area, rest) = friendly.split_once('/')?;
    (!area.trim().is_empty() && !rest.is_empty()).then_some(area.trim())
}

#[cfg(test)]
#[path = "exposes_tests.rs"]
mod tests;

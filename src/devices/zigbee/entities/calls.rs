//! What a service call on a Zigbee light or switch asks of the device, as ZCL commands:
//! `turn_on` (with `brightness` 0–255 or `brightness_pct` 0–100, `color_temp` in mireds or
//! `kelvin` / `color_temp_kelvin`, `xy_color` [x, y], `transition` in seconds), `turn_off`
//! (with `transition`) and `toggle`.

use serde_json::Value as Json;

use super::{color_modes, entities};
use crate::devices::zigbee::device::{Device, Endpoint};
use crate::devices::zigbee::zcl::Frame;
use crate::devices::zigbee::zcl::clusters::{
    OnOff, id, move_to_color, move_to_color_temperature, move_to_level_with_on_off, on_off,
};
use crate::devices::{DeviceError, Domain, ServiceCall};

/// One ZCL command to send: `frame` to `cluster` on the device's endpoint `endpoint`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The device's endpoint.
    pub endpoint: u8,
    /// The cluster.
    pub cluster: u16,
    /// The frame (TSN 0: the link sets it).
    pub frame: Frame,
}

/// The data keys `turn_on` takes on a light.
const LIGHT_KEYS: [&str; 7] = [
    "brightness",
    "brightness_pct",
    "color_temp",
    "kelvin",
    "color_temp_kelvin",
    "xy_color",
    "transition",
];

/// What a light's `turn_on` asks for.
#[derive(Debug, Default)]
struct Wish {
    level: Option<u8>,
    mireds: Option<u16>,
    xy: Option<(u16, u16)>,
    transition: u16,
}

/// The commands `call` asks of `device` (named by `label`), in the order to send them.
pub fn plan(
    device: &Device,
    label: &super::Label,
    call: &ServiceCall,
) -> Result<Vec<Request>, DeviceError> {
    let entity = (entities(device, label).into_iter())
        .find(|e| e.id == call.entity_id)
        .ok_or_else(|| DeviceError::UnknownEntity(call.entity_id.clone()))?;
    let no_service = || DeviceError::UnknownService {
        entity: call.entity_id.clone(),
        service: call.service.clone(),
    };
    if !matches!(entity.domain, Domain::Light | Domain::Switch) {
        return Err(no_service());
    }
    let ep_id = entity.attributes.get("endpoint").and_then(Json::as_u64);
    let ep = (ep_id.and_then(|n| device.endpoint(n as u8))).ok_or_else(no_service)?;
    let allowed: &[&str] = if entity.domain == Domain::Light {
        &LIGHT_KEYS
    } else {
        &[]
    };
    if let Some(key) = call.data.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(DeviceError::BadData(format!(
            "{} cannot take {key}; it takes {}",
            call.entity_id,
            if allowed.is_empty() {
                "no data".to_owned()
            } else {
                allowed.join(", ")
            }
        )));
    }
    let wish = wish(call, ep)?;
    let send = |cluster, frame| Request {
        endpoint: ep.id,
        cluster,
        frame,
    };
    let dims = ep.serves(id::LEVEL);
    Ok(match call.service.as_str() {
        "toggle" => vec![send(id::ON_OFF, on_off(OnOff::Toggle))],
        "turn_off" if dims && wish.transition > 0 => {
            vec![send(
                id::LEVEL,
                move_to_level_with_on_off(0, wish.transition),
            )]
        }
        "turn_off" => vec![send(id::ON_OFF, on_off(OnOff::Off))],
        "turn_on" => {
            let mut out = vec![match wish.level {
                Some(0) => send(id::ON_OFF, on_off(OnOff::Off)),
                Some(level) => send(id::LEVEL, move_to_level_with_on_off(level, wish.transition)),
                None => send(id::ON_OFF, on_off(OnOff::On)),
            }];
            if let Some(m) = wish.mireds {
                out.push(send(
                    id::COLOR,
                    move_to_color_temperature(m, wish.transition),
                ));
            }
            if let Some((x, y)) = wish.xy {
                out.push(send(id::COLOR, move_to_color(x, y, wish.transition)));
            }
            out
        }
        _ => return Err(no_service()),
    })
}

/// A number in `key`, within `range`, or a clear error.
fn number(call: &ServiceCall, key: &str, min: f64, max: f64) -> Result<Option<f64>, DeviceError> {
    match call.data.get(key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(x) if (min..=max).contains(&x) => Ok(Some(x)),
            _ => Err(DeviceError::BadData(format!(
                "{key} must be a number from {min} to {max}, got {v}"
            ))),
        },
    }
}

/// The wishes in `call`'s data, checked against what endpoint `ep` can do.
fn wish(call: &ServiceCall, ep: &Endpoint) -> Result<Wish, DeviceError> {
    let bad = |what: String| Err(DeviceError::BadData(what));
    let mut w = Wish::default();
    let pct = number(call, "brightness_pct", 0.0, 100.0)?;
    let raw = number(call, "brightness", 0.0, 255.0)?;
    let share = match (pct, raw) {
        (Some(_), Some(_)) => return bad("give brightness or brightness_pct, not both".into()),
        (Some(p), None) => Some(p / 100.0),
        (None, b) => b.map(|b| b / 255.0),
    };
    if let Some(share) = share {
        if !ep.serves(id::LEVEL) && share > 0.0 {
            return bad(format!("{} cannot dim", call.entity_id));
        }
        let level = (share * 254.0).round() as u8;
        w.level = Some(if share > 0.0 { level.max(1) } else { 0 });
    }
    let modes = color_modes(ep);
    let kelvin = match number(call, "kelvin", 1000.0, 40000.0)? {
        Some(k) => Some(k),
        None => number(call, "color_temp_kelvin", 1000.0, 40000.0)?,
    };
    let mireds = match (number(call, "color_temp", 1.0, 65279.0)?, kelvin) {
        (Some(_), Some(_)) => return bad("give color_temp or kelvin, not both".into()),
        (Some(m), None) => Some(m.round() as u16),
        (None, k) => k.map(|k| (1_000_000.0 / k).round() as u16),
    };
    if mireds.is_some() && !modes.contains(&"color_temp") {
        return bad(format!("{} has no color temperature", call.entity_id));
    }
    w.mireds = mireds;
    if let Some(v) = call.data.get("xy_color") {
        let pair = v.as_array().filter(|a| a.len() == 2);
        let parts: Option<Vec<f64>> = pair.map(|a| a.iter().filter_map(Json::as_f64).collect());
        let Some([x, y]) = parts.as_deref().and_then(|p| <[f64; 2]>::try_from(p).ok()) else {
            return bad(format!("xy_color must be [x, y], got {v}"));
        };
        if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
            return bad(format!("xy_color values must be from 0 to 1, got {v}"));
        }
        if !modes.contains(&"xy") {
            return bad(format!("{} has no xy color", call.entity_id));
        }
        let scale = |c: f64| (c * 65536.0).round().min(f64::from(0xFEFF_u16)) as u16;
        w.xy = Some((scale(x), scale(y)));
    }
    if let Some(t) = number(call, "transition", 0.0, 6553.4)? {
        w.transition = (t * 10.0).round() as u16;
    }
    Ok(w)
}

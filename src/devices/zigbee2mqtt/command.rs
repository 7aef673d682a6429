//! Service calls as Zigbee2MQTT `/set` payloads, and what the device's next state must say for
//! the call to count as done. Pure. Payloads as documented in "MQTT Topics and Messages"
//! (<https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html>, `…/set`:
//! `{"state": "ON" | "OFF" | "TOGGLE", "brightness": 0–255, "color_temp": mireds,
//! "color": {"x", "y"}}`), with the property names and values the device's exposes give
//! (`state_l1`, `LOCK`, cover `OPEN` / `CLOSE` / `STOP`, `position`).

use serde_json::{Map, Value, json};

use super::exposes::{Binary, Kind, Light, Spec};
use crate::devices::{DeviceError, ServiceCall};

/// What the device's state must show afterwards.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Want {
    /// The property equals this value.
    Is(String, Value),
    /// The property is a number within `tolerance` of this one.
    Near(String, f64, f64),
    /// The property differs from what it was (a toggle).
    Not(String, Option<Value>),
    /// The property is one of these (a lock: `lock_state` or `state`).
    AnyOf(Vec<(String, Value)>),
}

impl Want {
    /// Whether `values` show it.
    pub(crate) fn met(&self, values: &Map<String, Value>) -> bool {
        match self {
            Want::Is(p, v) => values.get(p) == Some(v),
            Want::Near(p, target, tolerance) => (values.get(p).and_then(Value::as_f64))
                .is_some_and(|x| (x - target).abs() <= *tolerance),
            Want::Not(p, before) => values.get(p).is_some() && values.get(p) != before.as_ref(),
            Want::AnyOf(options) => options.iter().any(|(p, v)| values.get(p) == Some(v)),
        }
    }
}

/// The `/set` payload for `call` on `spec`, and what must come back; `values` is the device's
/// state now (a toggle expects the opposite).
pub(crate) fn plan(
    call: &ServiceCall,
    spec: &Spec,
    values: &Map<String, Value>,
) -> Result<(Map<String, Value>, Vec<Want>), DeviceError> {
    let mut out = Map::new();
    let mut want = Vec::new();
    let cannot = || DeviceError::UnknownService {
        entity: call.entity_id.clone(),
        service: call.service.clone(),
    };
    match (&spec.kind, call.service.as_str()) {
        (Kind::Light(l), "turn_on") => light_on(call, l, &mut out, &mut want)?,
        (Kind::Light(Light { state: b, .. }) | Kind::Switch(b), service) => {
            switch(b, service, values, &mut out, &mut want).ok_or_else(cannot)?;
        }
        (Kind::Lock { state, lock_state }, service @ ("lock" | "unlock")) => {
            let (value, word) = match service {
                "lock" => (&state.on, "locked"),
                _ => (&state.off, "unlocked"),
            };
            out.insert(state.property.clone(), value.clone());
            let mut options = vec![(state.property.clone(), value.clone())];
            if let Some(p) = lock_state {
                options = vec![(p.clone(), Value::from(word))];
            }
            want.push(Want::AnyOf(options));
        }
        (Kind::Cover { state, position }, service) => {
            cover(call, state, position, service, &mut out, &mut want).ok_or_else(cannot)??;
        }
        _ => return Err(cannot()),
    }
    Ok((out, want))
}

/// `turn_on`, `turn_off` and `toggle` of a switch (or a light without data).
fn switch(
    b: &Binary,
    service: &str,
    values: &Map<String, Value>,
    out: &mut Map<String, Value>,
    want: &mut Vec<Want>,
) -> Option<()> {
    let p = b.property.clone();
    match service {
        "turn_on" => {
            out.insert(p.clone(), b.on.clone());
            want.push(Want::Is(p, b.on.clone()));
        }
        "turn_off" => {
            out.insert(p.clone(), b.off.clone());
            want.push(Want::Is(p, b.off.clone()));
        }
        "toggle" => {
            let before = values.get(&p).cloned();
            let next = match &before {
                Some(v) if *v == b.on => b.off.clone(),
                Some(v) if *v == b.off => b.on.clone(),
                _ => b.toggle.clone().unwrap_or_else(|| b.on.clone()),
            };
            out.insert(p.clone(), b.toggle.clone().unwrap_or(next));
            want.push(Want::Not(p, before));
        }
        _ => return None,
    }
    Some(())
}

/// A light's `turn_on` with `brightness` (0–255), `brightness_pct`, `color_temp` (mireds),
/// `kelvin` / `color_temp_kelvin`, `xy_color` [x, y].
fn light_on(
    call: &ServiceCall,
    l: &Light,
    out: &mut Map<String, Value>,
    want: &mut Vec<Want>,
) -> Result<(), DeviceError> {
    let bad = |m: String| DeviceError::BadData(format!("{}: {m}", call.entity_id));
    let number = |k: &str| {
        call.data.get(k).map(|v| {
            v.as_f64()
                .ok_or_else(|| bad(format!("{k} must be a number")))
        })
    };
    out.insert(l.state.property.clone(), l.state.on.clone());
    want.push(Want::Is(l.state.property.clone(), l.state.on.clone()));
    let level = match (
        number("brightness_pct").transpose()?,
        number("brightness").transpose()?,
    ) {
        (Some(p), _) if !(0.0..=100.0).contains(&p) => {
            return Err(bad(format!("brightness_pct {p} is not within 0–100")));
        }
        (Some(p), _) => Some(p / 100.0),
        (None, Some(b)) if !(0.0..=255.0).contains(&b) => {
            return Err(bad(format!("brightness {b} is not within 0–255")));
        }
        (None, Some(b)) => Some(b / 255.0),
        (None, None) => None,
    };
    if let Some(level) = level {
        let (p, max) = l
            .brightness
            .as_ref()
            .ok_or_else(|| bad("this light does not dim".into()))?;
        let raw = (level * max).round();
        out.insert(p.clone(), json!(raw as u64));
        want.push(Want::Near(p.clone(), raw, 1.0));
    }
    let kelvin = number("kelvin")
        .or_else(|| number("color_temp_kelvin"))
        .transpose()?;
    let mireds = match (number("color_temp").transpose()?, kelvin) {
        (Some(m), _) => Some(m),
        (None, Some(k)) if k > 0.0 => Some(1e6 / k),
        (None, Some(k)) => return Err(bad(format!("kelvin {k} must be above 0"))),
        (None, None) => None,
    };
    if let Some(m) = mireds {
        let (p, min, max) = (l.color_temp.as_ref())
            .ok_or_else(|| bad("this light has no colour temperature".into()))?;
        let m = m.round().clamp(*min, *max);
        out.insert(p.clone(), json!(m as u64));
        want.push(Want::Near(p.clone(), m, 1.0));
    }
    if let Some(xy) = call.data.get("xy_color") {
        let p = l
            .color
            .as_ref()
            .ok_or_else(|| bad("this light has no colour".into()))?;
        let pair = xy.as_array().filter(|a| a.len() == 2);
        let (x, y) = pair
            .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)))
            .filter(|(x, y)| (0.0..=1.0).contains(x) && (0.0..=1.0).contains(y))
            .ok_or_else(|| bad("xy_color must be [x, y] within 0–1".into()))?;
        out.insert(p.clone(), json!({"x": x, "y": y}));
    }
    Ok(())
}

/// `open_cover`, `close_cover`, `stop_cover`, `set_cover_position` {position 0–100}.
fn cover(
    call: &ServiceCall,
    state: &Option<String>,
    position: &Option<String>,
    service: &str,
    out: &mut Map<String, Value>,
    want: &mut Vec<Want>,
) -> Option<Result<(), DeviceError>> {
    let word = |w: &str| state.as_ref().map(|p| (p.clone(), Value::from(w)));
    match service {
        "open_cover" | "close_cover" | "stop_cover" => {
            let w = match service {
                "open_cover" => "OPEN",
                "close_cover" => "CLOSE",
                _ => "STOP",
            };
            let (p, v) = word(w)?;
            out.insert(p.clone(), v.clone());
            match (service, position) {
                ("stop_cover", _) => {}
                (_, Some(pos)) => want.push(Want::AnyOf(vec![
                    (p, v),
                    (pos.clone(), json!(if w == "OPEN" { 100 } else { 0 })),
                ])),
                _ => want.push(Want::Is(p, v)),
            }
        }
        "set_cover_position" => {
            let p = position.as_ref()?;
            let target = call.data.get("position").and_then(Value::as_f64);
            let Some(target) = target.filter(|t| (0.0..=100.0).contains(t)) else {
                let m = format!("{}: position must be a number 0–100", call.entity_id);
                return Some(Err(DeviceError::BadData(m)));
            };
            out.insert(p.clone(), json!(target.round() as u64));
            want.push(Want::Near(p.clone(), target.round(), 1.0));
        }
        _ => return None,
    }
    Some(Ok(()))
}

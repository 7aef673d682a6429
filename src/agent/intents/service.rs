//! Which Home Assistant service an action on an entity is: "close" on a cover is
//! `close_cover`, on a lock `lock`; "40%" on a light is `brightness_pct`, on a cover a
//! `position`. `None` when the action makes no sense for the entity, or a value is said
//! that the service cannot take: that entity is then not a target.

use serde_json::Value as Json;

use super::numbers::{Unit, Value};
use super::verbs::Action;
use crate::devices::{Domain, Entity, ServiceCall};

/// How far "brighter" / "dimmer" move a light, in percentage points.
const BRIGHTNESS_STEP_PCT: f64 = 25.0;
/// How far "warmer" / "cooler" move a thermostat, in its unit.
const SETPOINT_STEP: f64 = 1.0;
/// Setpoints a person plausibly asks for, in °C and °F.
const CELSIUS_RANGE: (f64, f64) = (5.0, 35.0);
const FAHRENHEIT_RANGE: (f64, f64) = (40.0, 95.0);

/// The call `action` on `entity` makes, with `value` or `mode` if said.
pub(crate) fn call(
    action: Action,
    entity: &Entity,
    value: Option<Value>,
    mode: Option<&str>,
) -> Option<ServiceCall> {
    if mode.is_some() && entity.domain != Domain::Climate {
        return None;
    }
    let plain = |service: &str| {
        value
            .is_none()
            .then(|| ServiceCall::new(&entity.id, service))
    };
    use Action::*;
    match (entity.domain, action) {
        (Domain::Light, _) => light(action, entity, value),
        (Domain::Climate, _) => climate(action, entity, value, mode),
        (Domain::Cover, _) => cover(action, entity, value),
        (Domain::Switch | Domain::Fan | Domain::MediaPlayer, TurnOn | Activate) => plain("turn_on"),
        (Domain::Switch | Domain::Fan | Domain::MediaPlayer, TurnOff) => plain("turn_off"),
        (Domain::Switch | Domain::Fan | Domain::MediaPlayer, Toggle) => plain("toggle"),
        (Domain::Lock, Lock | Close) => plain("lock"),
        (Domain::Lock, Unlock | Open) => plain("unlock"),
        (Domain::Scene, TurnOn | Activate) => plain("turn_on"),
        (Domain::AlarmControlPanel, ArmAway | TurnOn) => plain("alarm_arm_away"),
        (Domain::AlarmControlPanel, ArmHome) => plain("alarm_arm_home"),
        (Domain::AlarmControlPanel, Disarm | TurnOff) => plain("alarm_disarm"),
        _ => None,
    }
}

/// A percentage from 0 to 100, said bare or with "%".
fn percent(value: Value) -> Option<i64> {
    let ok = value.unit != Unit::Degrees && (0.0..=100.0).contains(&value.number);
    ok.then(|| value.number.round() as i64)
}

fn light(action: Action, entity: &Entity, value: Option<Value>) -> Option<ServiceCall> {
    use Action::*;
    let to = |pct: i64| ServiceCall::new(&entity.id, "turn_on").with("brightness_pct", pct);
    if let Some(value) = value {
        return match action {
            TurnOn | Set | SetBrightness | Brighten | Dim | Up | Down => percent(value).map(to),
            _ => None,
        };
    }
    let now = brightness_pct(entity);
    match action {
        TurnOn => Some(ServiceCall::new(&entity.id, "turn_on")),
        TurnOff => Some(ServiceCall::new(&entity.id, "turn_off")),
        Toggle => Some(ServiceCall::new(&entity.id, "toggle")),
        Brighten | Up => Some(to((now + BRIGHTNESS_STEP_PCT).min(100.0).round() as i64)),
        Dim | Down if now > 0.0 => Some(to((now - BRIGHTNESS_STEP_PCT).max(1.0).round() as i64)),
        _ => None,
    }
}

/// The light's brightness in percent, 0 when off.
fn brightness_pct(entity: &Entity) -> f64 {
    if entity.state != "on" {
        return 0.0;
    }
    let raw = entity.attributes.get("brightness").and_then(Json::as_f64);
    raw.map_or(100.0, |b| b / 255.0 * 100.0)
}

fn climate(
    action: Action,
    entity: &Entity,
    value: Option<Value>,
    mode: Option<&str>,
) -> Option<ServiceCall> {
    use Action::*;
    if let Some(mode) = mode {
        let offered = entity.attributes.get("hvac_modes").and_then(Json::as_array);
        let known = offered.is_none_or(|modes| modes.iter().any(|m| m.as_str() == Some(mode)));
        let fits = matches!(action, Set | Toggle | TurnOn) && value.is_none() && known;
        return fits.then(|| ServiceCall::new(&entity.id, "set_hvac_mode").with("hvac_mode", mode));
    }
    let set = |t: f64| setpoint_call(entity, t);
    match (action, value) {
        (Set | SetTemperature | TurnOn | Warmer | Cooler | Up | Down, Some(v)) => {
            (v.unit != Unit::Percent).then_some(v.number).and_then(set)
        }
        (TurnOn, None) => Some(ServiceCall::new(&entity.id, "turn_on")),
        (TurnOff, None) => Some(ServiceCall::new(&entity.id, "turn_off")),
        (Warmer | Up, None) => set(setpoint(entity)? + SETPOINT_STEP),
        (Cooler | Down, None) => set(setpoint(entity)? - SETPOINT_STEP),
        _ => None,
    }
}

fn setpoint(entity: &Entity) -> Option<f64> {
    entity.attributes.get("temperature").and_then(Json::as_f64)
}

/// `set_temperature` to `t`, if `t` is a plausible setpoint in the thermostat's unit.
fn setpoint_call(entity: &Entity, t: f64) -> Option<ServiceCall> {
    let unit = entity
        .attributes
        .get("unit_of_measurement")
        .and_then(Json::as_str);
    let (low, high) = if unit.is_some_and(|u| u.contains('F')) {
        FAHRENHEIT_RANGE
    } else {
        CELSIUS_RANGE
    };
    (low..=high)
        .contains(&t)
        .then(|| ServiceCall::new(&entity.id, "set_temperature").with("temperature", number(t)))
}

/// Whole numbers as integers, so `22` is not sent as `22.0`.
pub(crate) fn number(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 1e9 {
        Json::from(n as i64)
    } else {
        Json::from(n)
    }
}

fn cover(action: Action, entity: &Entity, value: Option<Value>) -> Option<ServiceCall> {
    use Action::*;
    if let Some(value) = value {
        let position = |p| ServiceCall::new(&entity.id, "set_cover_position").with("position", p);
        return match action {
            Open | Close | Set | Up | Down => percent(value).map(position),
            _ => None,
        };
    }
    let service = match action {
        Open | Up => "open_cover",
        Close | Down => "close_cover",
        Stop => "stop_cover",
        _ => return None,
    };
    Some(ServiceCall::new(&entity.id, service))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity(id: &str, domain: Domain, state: &str, attrs: Json) -> Entity {
        Entity {
            id: id.into(),
            name: id.into(),
            aliases: vec![],
            area: None,
            domain,
            device_class: None,
            state: state.into(),
            attributes: serde_json::from_value(attrs).unwrap(),
            backend: "test".into(),
        }
    }

    fn pct(n: f64) -> Option<Value> {
        Some(Value {
            number: n,
            unit: Unit::Percent,
            start: 0,
            end: 1,
        })
    }

    #[test]
    fn close_means_different_services_by_domain() {
        let cover = entity("cover.g", Domain::Cover, "open", json!({}));
        let lock = entity("lock.f", Domain::Lock, "unlocked", json!({}));
        let light = entity("light.k", Domain::Light, "on", json!({}));
        assert_eq!(
            call(Action::Close, &cover, None, None).unwrap().service,
            "close_cover"
        );
        assert_eq!(
            call(Action::Close, &lock, None, None).unwrap().service,
            "lock"
        );
        assert!(call(Action::Close, &light, None, None).is_none());
    }

    #[test]
    fn values_go_where_they_fit_and_nowhere_else() {
        let light = entity("light.k", Domain::Light, "on", json!({"brightness": 255}));
        let c = call(Action::Set, &light, pct(40.0), None).unwrap();
        assert_eq!(c.data["brightness_pct"], json!(40));
        assert!(call(Action::Set, &light, pct(140.0), None).is_none());
        assert!(call(Action::TurnOff, &light, pct(40.0), None).is_none());
        assert!(call(Action::Set, &light, None, None).is_none());
        let c = call(Action::Dim, &light, None, None).unwrap();
        assert_eq!(c.data["brightness_pct"], json!(75));
    }

    #[test]
    fn thermostat_setpoints_and_modes() {
        let attrs =
            json!({"temperature": 21, "unit_of_measurement": "°C", "hvac_modes": ["off", "heat"]});
        let t = entity("climate.t", Domain::Climate, "heat", attrs);
        let bare = pct(22.0).map(|v| Value {
            unit: Unit::Bare,
            ..v
        });
        let c = call(Action::Set, &t, bare, None).unwrap();
        assert_eq!(
            (c.service.as_str(), &c.data["temperature"]),
            ("set_temperature", &json!(22))
        );
        assert!(call(Action::Set, &t, pct(50.0), None).is_none());
        let c = call(Action::Warmer, &t, None, None).unwrap();
        assert_eq!(c.data["temperature"], json!(22));
        assert!(
            call(Action::Set, &t, None, Some("cool")).is_none(),
            "not offered"
        );
        assert!(call(Action::Set, &t, None, Some("heat")).is_some());
    }
}

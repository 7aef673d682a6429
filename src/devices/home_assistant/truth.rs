//! What a service call should lead to, so MIRAI can say what really happened: "the kitchen
//! light did not turn on" rather than "done" when Home Assistant accepted the call but the
//! device stayed as it was.

use serde_json::Value;

use crate::devices::{Entity, ServiceCall};

/// What the entity should show once the call has worked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expected {
    /// One of these states (a moving cover or a lock on its way counts).
    State(&'static [&'static str]),
    /// A state other than the one before (a toggle).
    Not(String),
    /// The state named in the call's data (`hvac_mode`).
    StateOf(String),
    /// An attribute equal to a number in the call's data (`temperature`, `position`).
    Number(&'static str, f64),
    /// Nothing to check (scripts, scenes, services MIRAI does not know).
    Nothing,
}

/// The expectation for `call` on `before`.
pub(crate) fn expected(call: &ServiceCall, before: &Entity) -> Expected {
    let number = |key: &str| call.data.get(key).and_then(Value::as_f64);
    match (call.domain(), call.service.as_str()) {
        ("script" | "scene", _) => Expected::Nothing,
        ("media_player", "turn_on") => Expected::Not("off".into()),
        (_, "turn_on") => Expected::State(&["on"]),
        (_, "turn_off") => Expected::State(&["off"]),
        (_, "toggle") => Expected::Not(before.state.clone()),
        ("lock", "lock") => Expected::State(&["locked", "locking"]),
        ("lock", "unlock") => Expected::State(&["unlocked", "unlocking", "open", "opening"]),
        ("lock", "open") => Expected::State(&["open", "opening", "unlocked"]),
        (_, "open_cover") => Expected::State(&["open", "opening"]),
        (_, "close_cover") => Expected::State(&["closed", "closing"]),
        (_, "set_cover_position") => number("position").map_or(Expected::Nothing, |p| {
            Expected::Number("current_position", p)
        }),
        ("climate" | "water_heater", "set_temperature") => {
            number("temperature").map_or(Expected::Nothing, |t| Expected::Number("temperature", t))
        }
        (_, "set_hvac_mode") => call
            .data
            .get("hvac_mode")
            .and_then(Value::as_str)
            .map_or(Expected::Nothing, |m| Expected::StateOf(m.to_owned())),
        (_, "alarm_arm_away") => Expected::State(&["armed_away", "arming"]),
        (_, "alarm_arm_home") => Expected::State(&["armed_home", "arming"]),
        (_, "alarm_disarm") => Expected::State(&["disarmed"]),
        ("vacuum", "start") => Expected::State(&["cleaning"]),
        ("vacuum", "return_to_base") => Expected::State(&["returning", "docked"]),
        _ => Expected::Nothing,
    }
}

impl Expected {
    /// Whether `now` shows it.
    pub(crate) fn met(&self, now: &Entity) -> bool {
        match self {
            Expected::State(states) => states.contains(&now.state.as_str()),
            Expected::Not(before) => now.state != *before && now.state != "unavailable",
            Expected::StateOf(state) => now.state == *state,
            Expected::Number(key, want) => now
                .attributes
                .get(*key)
                .and_then(Value::as_f64)
                .is_some_and(|have| (have - want).abs() < 0.01),
            Expected::Nothing => true,
        }
    }
}

/// The words for a call that did not take: "did not turn on; it is off".
pub(crate) fn shortfall(call: &ServiceCall, now: &Entity) -> String {
    let did_not = match call.service.as_str() {
        "turn_on" => "did not turn on".to_owned(),
        "turn_off" => "did not turn off".to_owned(),
        "toggle" => "did not change".to_owned(),
        "open_cover" => "did not open".to_owned(),
        "close_cover" => "did not close".to_owned(),
        "set_cover_position" => "did not move to that position".to_owned(),
        "set_temperature" => "did not take the new temperature".to_owned(),
        other => format!("did not {}", other.replace('_', " ")),
    };
    format!("{did_not}; it is {}", now.state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::Domain;

    fn entity(id: &str, domain: Domain, state: &str) -> Entity {
        Entity {
            id: id.into(),
            name: id.into(),
            aliases: vec![],
            area: None,
            domain,
            device_class: None,
            state: state.into(),
            attributes: Default::default(),
            backend: "home_assistant".into(),
        }
    }

    #[test]
    fn on_off_toggle_and_locks() {
        let off = entity("light.k", Domain::Light, "off");
        let on = entity("light.k", Domain::Light, "on");
        let turn_on = ServiceCall::new("light.k", "turn_on");
        assert!(!expected(&turn_on, &off).met(&off));
        assert!(expected(&turn_on, &off).met(&on));
        assert_eq!(shortfall(&turn_on, &off), "did not turn on; it is off");
        let toggle = ServiceCall::new("light.k", "toggle");
        assert!(expected(&toggle, &on).met(&off));
        assert!(!expected(&toggle, &on).met(&on));
        let lock = entity("lock.f", Domain::Lock, "locking");
        assert!(expected(&ServiceCall::new("lock.f", "lock"), &lock).met(&lock));
        let jammed = entity("lock.f", Domain::Lock, "jammed");
        assert!(!expected(&ServiceCall::new("lock.f", "lock"), &lock).met(&jammed));
    }

    #[test]
    fn numbers_and_modes_come_from_the_data() {
        let mut t = entity("climate.h", Domain::Climate, "heat");
        let call = ServiceCall::new("climate.h", "set_temperature").with("temperature", 21);
        assert!(!expected(&call, &t).met(&t));
        t.attributes.insert("temperature".into(), 21.0.into());
        assert!(expected(&call, &t).met(&t));
        let mode = ServiceCall::new("climate.h", "set_hvac_mode").with("hvac_mode", "cool");
        assert_eq!(expected(&mode, &t), Expected::StateOf("cool".into()));
        let script = ServiceCall::new("script.goodnight", "turn_on");
        assert_eq!(expected(&script, &t), Expected::Nothing);
        assert_eq!(
            expected(&ServiceCall::new("light.k", "flash"), &t),
            Expected::Nothing
        );
    }
}

//! The built-in action rules, for calls none of the owner's rules matched: what lets
//! people into the house or hurts it needs the user's yes.
//!
//! Unlocking or opening a lock, disarming an alarm, opening a cover that is a garage door,
//! door or gate, and a thermostat setpoint outside 10–30 °C (freezing pipes, or a scald).
//! Judged on the registry's domain, device class and units and on the call's service and
//! data, never on names or states.

use serde_json::Value;

use super::Decision;
use crate::devices::{Domain, Entity, ServiceCall};

/// Setpoints outside this range (°C) need confirmation: freezing pipes, or a scald.
const SAFE_SETPOINT_C: std::ops::RangeInclusive<f64> = 10.0..=30.0;

/// Cover device classes that let people in.
const ENTRANCE_COVERS: &[&str] = &["garage", "door", "gate"];

/// The built-in rules, for calls no owner's rule matched.
pub(crate) fn default_decision(entity: &Entity, call: &ServiceCall, name: &str) -> Decision {
    let confirm = |what: String| Decision::Confirm {
        reason: format!("{what} the {name} needs your confirmation"),
    };
    let service = call.service.as_str();
    match entity.domain {
        Domain::Lock if service == "unlock" => confirm("unlocking".into()),
        Domain::Lock if service == "open" => confirm("opening".into()),
        Domain::AlarmControlPanel if service == "alarm_disarm" => confirm("disarming".into()),
        Domain::Cover if is_entrance(entity) && opens_cover(call) => confirm("opening".into()),
        Domain::Climate if service == "set_temperature" => match unsafe_setpoint(entity, call) {
            Some(setpoint) => confirm(format!("setting {setpoint} on")),
            None => Decision::Allow,
        },
        _ => Decision::Allow,
    }
}

fn is_entrance(entity: &Entity) -> bool {
    entity
        .device_class
        .as_deref()
        .is_some_and(|class| ENTRANCE_COVERS.contains(&class))
}

/// True for calls that may open a cover; a position that is not a number counts as open.
fn opens_cover(call: &ServiceCall) -> bool {
    match call.service.as_str() {
        "open_cover" | "toggle" => true,
        "set_cover_position" => call
            .data
            .get("position")
            .and_then(Value::as_f64)
            .is_none_or(|position| position > 0.0),
        _ => false,
    }
}

/// The first setpoint in the call outside [`SAFE_SETPOINT_C`], spelled for the user, or
/// one that is not a number.
fn unsafe_setpoint(entity: &Entity, call: &ServiceCall) -> Option<String> {
    let fahrenheit = ["temperature_unit", "unit_of_measurement"]
        .iter()
        .filter_map(|key| entity.attributes.get(*key)?.as_str())
        .any(|unit| unit.contains('F'));
    let unit = if fahrenheit { "°F" } else { "°C" };
    for key in ["temperature", "target_temp_low", "target_temp_high"] {
        let Some(value) = call.data.get(key) else {
            continue;
        };
        let Some(degrees) = value.as_f64() else {
            return Some(format!("the unreadable temperature {value}"));
        };
        let celsius = if fahrenheit {
            (degrees - 32.0) * 5.0 / 9.0
        } else {
            degrees
        };
        if !SAFE_SETPOINT_C.contains(&celsius) {
            return Some(format!("{degrees} {unit}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::safety::actions::tests::{decide, entity, front_door, needs_confirmation};

    #[test]
    fn unlocking_and_disarming_need_confirmation() {
        assert_eq!(
            decide(&front_door(), ServiceCall::new("lock.front_door", "unlock")),
            Decision::Confirm {
                reason: "unlocking the Front door lock needs your confirmation".into()
            }
        );
        assert!(needs_confirmation(&decide(
            &front_door(),
            ServiceCall::new("lock.front_door", "open")
        )));
        assert_eq!(
            decide(&front_door(), ServiceCall::new("lock.front_door", "lock")),
            Decision::Allow
        );
        let alarm = entity(
            "alarm_control_panel.home",
            "Alarm",
            Domain::AlarmControlPanel,
            None,
        );
        let disarm = ServiceCall::new("alarm_control_panel.home", "alarm_disarm");
        assert!(needs_confirmation(&decide(&alarm, disarm)));
        let arm = ServiceCall::new("alarm_control_panel.home", "alarm_arm_away");
        assert_eq!(decide(&alarm, arm), Decision::Allow);
    }

    #[test]
    fn opening_an_entrance_cover_needs_confirmation() {
        let garage = entity("cover.garage", "Garage door", Domain::Cover, Some("garage"));
        let call = |service: &str| ServiceCall::new("cover.garage", service);
        assert!(needs_confirmation(&decide(&garage, call("open_cover"))));
        assert!(needs_confirmation(&decide(&garage, call("toggle"))));
        assert!(needs_confirmation(&decide(
            &garage,
            call("set_cover_position").with("position", 30)
        )));
        assert!(needs_confirmation(&decide(
            &garage,
            call("set_cover_position").with("position", "x")
        )));
        assert_eq!(
            decide(&garage, call("set_cover_position").with("position", 0)),
            Decision::Allow
        );
        assert_eq!(decide(&garage, call("close_cover")), Decision::Allow);
        for class in ["door", "gate"] {
            let cover = entity("cover.garage", "Gate", Domain::Cover, Some(class));
            assert!(
                needs_confirmation(&decide(&cover, call("open_cover"))),
                "{class}"
            );
        }
        let blind = entity("cover.garage", "Blind", Domain::Cover, Some("blind"));
        assert_eq!(decide(&blind, call("open_cover")), Decision::Allow);
    }

    #[test]
    fn setpoints_outside_10_to_30_celsius_need_confirmation() {
        let mut thermostat = entity("climate.living", "Thermostat", Domain::Climate, None);
        let set =
            |t: Value| ServiceCall::new("climate.living", "set_temperature").with("temperature", t);
        assert_eq!(decide(&thermostat, set(21.into())), Decision::Allow);
        assert_eq!(decide(&thermostat, set(10.into())), Decision::Allow);
        assert_eq!(decide(&thermostat, set(30.into())), Decision::Allow);
        assert_eq!(
            decide(&thermostat, set(35.into())),
            Decision::Confirm {
                reason: "setting 35 °C on the Thermostat needs your confirmation".into()
            }
        );
        assert!(needs_confirmation(&decide(&thermostat, set(9.5.into()))));
        assert!(needs_confirmation(&decide(&thermostat, set("hot".into()))));
        let range =
            ServiceCall::new("climate.living", "set_temperature").with("target_temp_high", 40);
        assert!(needs_confirmation(&decide(&thermostat, range)));
        let mode = ServiceCall::new("climate.living", "set_hvac_mode").with("hvac_mode", "heat");
        assert_eq!(decide(&thermostat, mode), Decision::Allow);
        // 70 °F is 21 °C; 95 °F is 35 °C.
        thermostat
            .attributes
            .insert("temperature_unit".into(), "°F".into());
        assert_eq!(decide(&thermostat, set(70.into())), Decision::Allow);
        assert!(needs_confirmation(&decide(&thermostat, set(95.into()))));
    }
}

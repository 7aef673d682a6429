//! Simulated thermostats: the state is the hvac mode, `temperature` the setpoint.
//!
//! The device refuses nonsense (a setpoint of 80 °C, a mode it does not have); whether an
//! unusual but possible setpoint is wise is the safety gate's call, not the device's.

use super::data::Data;
use super::device::settle;
use crate::devices::{DeviceError, Entity, Outcome};

/// The setpoints a thermostat accepts, in °C.
const SETPOINTS: std::ops::RangeInclusive<f64> = 5.0..=35.0;
/// The mode `turn_on` picks for a thermostat never on before.
const DEFAULT_MODE: &str = "heat";
/// The mode that means off.
const OFF: &str = "off";

/// The mode `turn_on` returns to: the current one unless it is `off`.
pub(super) fn remembered(entity: &Entity) -> Option<String> {
    (entity.state != OFF).then(|| entity.state.clone())
}

/// Carries out a climate service; `last` is the last mode other than `off`.
pub(super) fn apply(
    entity: &mut Entity,
    last: &mut Option<String>,
    data: &Data,
) -> Result<Outcome, DeviceError> {
    let mode = match data.service() {
        "set_temperature" => return set_temperature(entity, data),
        "set_hvac_mode" => {
            data.only(&["hvac_mode"])?;
            let mode = data.needed("hvac_mode", data.text("hvac_mode")?)?;
            if !modes(entity).any(|m| m == mode) {
                let known: Vec<&str> = modes(entity).collect();
                return Err(data.bad(format!("hvac_mode {mode} is not one of {known:?}")));
            }
            mode.to_owned()
        }
        "turn_on" => {
            data.only(&[])?;
            last.clone().unwrap_or_else(|| DEFAULT_MODE.to_owned())
        }
        "turn_off" => {
            data.only(&[])?;
            OFF.to_owned()
        }
        _ => return Err(data.unknown()),
    };
    if mode != OFF {
        *last = Some(mode.clone());
    }
    Ok(settle(entity, &mode))
}

fn set_temperature(entity: &mut Entity, data: &Data) -> Result<Outcome, DeviceError> {
    data.only(&["temperature"])?;
    data.needed("temperature", data.number("temperature", SETPOINTS)?)?;
    // Checked above; kept as given so 21 stays an integer, as the file writes it.
    if let Some(value) = data.raw("temperature") {
        entity
            .attributes
            .insert("temperature".into(), value.clone());
    }
    Ok(Outcome::Done {
        state: entity.state.clone(),
    })
}

/// The modes the thermostat lists in `hvac_modes`.
fn modes(entity: &Entity) -> impl Iterator<Item = &str> {
    let list = entity
        .attributes
        .get("hvac_modes")
        .and_then(|v| v.as_array());
    list.into_iter().flatten().filter_map(|m| m.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::{Domain, ServiceCall};

    fn thermostat(state: &str) -> (Entity, Option<String>) {
        let mut e = Entity {
            id: "climate.t".into(),
            name: "T".into(),
            aliases: vec![],
            area: None,
            domain: Domain::Climate,
            device_class: None,
            state: state.into(),
            attributes: Default::default(),
            backend: String::new(),
        };
        e.attributes.insert("temperature".into(), 21.into());
        e.attributes.insert(
            "hvac_modes".into(),
            serde_json::json!(["off", "heat", "cool", "auto"]),
        );
        let last = remembered(&e);
        (e, last)
    }

    fn run(
        e: &mut Entity,
        last: &mut Option<String>,
        call: ServiceCall,
    ) -> Result<Outcome, DeviceError> {
        apply(e, last, &Data::new(&call))
    }

    fn call(service: &str) -> ServiceCall {
        ServiceCall::new("climate.t", service)
    }

    #[test]
    fn set_temperature_sets_the_setpoint_within_5_to_35() {
        let (mut e, mut last) = thermostat("heat");
        let out = run(
            &mut e,
            &mut last,
            call("set_temperature").with("temperature", 22.5),
        )
        .unwrap();
        assert_eq!(
            out,
            Outcome::Done {
                state: "heat".into()
            }
        );
        assert_eq!(e.attributes["temperature"], 22.5);
        run(
            &mut e,
            &mut last,
            call("set_temperature").with("temperature", 5),
        )
        .unwrap();
        assert_eq!(e.attributes["temperature"], 5);
        for bad in [
            serde_json::json!(36),
            serde_json::json!(4.9),
            serde_json::json!("warm"),
        ] {
            let err = run(
                &mut e,
                &mut last,
                call("set_temperature").with("temperature", bad),
            )
            .unwrap_err();
            assert!(
                matches!(err, DeviceError::BadData(ref m) if m.starts_with("climate.t")),
                "{err}"
            );
        }
        assert!(run(&mut e, &mut last, call("set_temperature")).is_err());
        assert_eq!(e.attributes["temperature"], 5);
    }

    #[test]
    fn set_hvac_mode_accepts_only_the_listed_modes() {
        let (mut e, mut last) = thermostat("heat");
        run(
            &mut e,
            &mut last,
            call("set_hvac_mode").with("hvac_mode", "cool"),
        )
        .unwrap();
        assert_eq!(e.state, "cool");
        let err = run(
            &mut e,
            &mut last,
            call("set_hvac_mode").with("hvac_mode", "dry"),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("hvac_mode dry is not one of"),
            "{err}"
        );
        assert_eq!(e.state, "cool");
    }

    #[test]
    fn turn_on_returns_to_the_last_mode_or_heat() {
        let (mut e, mut last) = thermostat("heat");
        run(
            &mut e,
            &mut last,
            call("set_hvac_mode").with("hvac_mode", "cool"),
        )
        .unwrap();
        run(&mut e, &mut last, call("turn_off")).unwrap();
        assert_eq!(e.state, "off");
        run(&mut e, &mut last, call("turn_on")).unwrap();
        assert_eq!(e.state, "cool");

        let (mut e, mut last) = thermostat("off");
        run(&mut e, &mut last, call("turn_on")).unwrap();
        assert_eq!(e.state, "heat");
        assert!(matches!(
            run(&mut e, &mut last, call("toggle")),
            Err(DeviceError::UnknownService { .. })
        ));
    }
}

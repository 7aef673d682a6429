//! Simulated lights: on, off, toggle and brightness, with Home Assistant's scales (the call
//! speaks `brightness_pct` 0–100, the state keeps `brightness` 0–255).

use super::data::Data;
use super::device::settle;
use crate::devices::{DeviceError, Entity, Outcome};

/// The attribute holding brightness, 0–255; 0 while off.
const BRIGHTNESS: &str = "brightness";
/// Full brightness, for a light that has never been on.
const FULL: u8 = 255;

/// The brightness a light comes back at when turned on without one.
pub(super) fn remembered(entity: &Entity) -> u8 {
    match brightness_of(entity) {
        0 => FULL,
        b => b,
    }
}

/// Carries out a light service; `last` is the last non-zero brightness.
pub(super) fn apply(
    entity: &mut Entity,
    last: &mut u8,
    data: &Data,
) -> Result<Outcome, DeviceError> {
    match data.service() {
        "turn_on" => {
            data.only(&["brightness_pct"])?;
            let pct = data.number("brightness_pct", 0.0..=100.0)?;
            Ok(turn_on(entity, last, pct))
        }
        "turn_off" => {
            data.only(&[])?;
            Ok(turn_off(entity))
        }
        "toggle" => {
            data.only(&[])?;
            Ok(if entity.state == "on" {
                turn_off(entity)
            } else {
                turn_on(entity, last, None)
            })
        }
        _ => Err(data.unknown()),
    }
}

/// `pct` of 0 turns the light off, as Home Assistant does; none keeps the last brightness.
fn turn_on(entity: &mut Entity, last: &mut u8, pct: Option<f64>) -> Outcome {
    let brightness = match pct {
        // pct is within 0..=100, so the result is within 0..=255.
        Some(pct) => (pct * f64::from(FULL) / 100.0).round() as u8,
        None => *last,
    };
    if brightness == 0 {
        return turn_off(entity);
    }
    *last = brightness;
    entity
        .attributes
        .insert(BRIGHTNESS.into(), brightness.into());
    settle(entity, "on")
}

fn turn_off(entity: &mut Entity) -> Outcome {
    entity.attributes.insert(BRIGHTNESS.into(), 0.into());
    settle(entity, "off")
}

fn brightness_of(entity: &Entity) -> u8 {
    let raw = entity.attributes.get(BRIGHTNESS).and_then(|v| v.as_u64());
    raw.map_or(0, |b| b.min(u64::from(FULL)) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::{Domain, ServiceCall};

    /// A light as the demo house writes one, with the memory the device would keep.
    fn light(state: &str, brightness: u8) -> (Entity, u8) {
        let mut e = Entity {
            id: "light.x".into(),
            name: "X".into(),
            aliases: vec![],
            area: None,
            domain: Domain::Light,
            device_class: None,
            state: state.into(),
            attributes: Default::default(),
            backend: String::new(),
        };
        e.attributes.insert(BRIGHTNESS.into(), brightness.into());
        let last = remembered(&e);
        (e, last)
    }

    fn run(e: &mut Entity, last: &mut u8, call: ServiceCall) -> Result<Outcome, DeviceError> {
        apply(e, last, &Data::new(&call))
    }

    fn on(pct: Option<u32>) -> ServiceCall {
        let call = ServiceCall::new("light.x", "turn_on");
        match pct {
            Some(p) => call.with("brightness_pct", p),
            None => call,
        }
    }

    #[test]
    fn turn_on_with_a_percentage_sets_brightness_on_the_255_scale() {
        let (mut e, mut last) = light("off", 0);
        run(&mut e, &mut last, on(Some(40))).unwrap();
        assert_eq!((e.state.as_str(), brightness_of(&e)), ("on", 102));
        run(&mut e, &mut last, on(Some(100))).unwrap();
        assert_eq!(brightness_of(&e), 255);
        run(&mut e, &mut last, on(Some(1))).unwrap();
        assert_eq!(brightness_of(&e), 3);
    }

    #[test]
    fn turn_on_without_a_percentage_keeps_the_last_brightness_or_full() {
        let (mut e, mut last) = light("off", 0);
        run(&mut e, &mut last, on(None)).unwrap();
        assert_eq!(brightness_of(&e), 255);

        let (mut e, mut last) = light("on", 180);
        run(&mut e, &mut last, ServiceCall::new("light.x", "turn_off")).unwrap();
        assert_eq!((e.state.as_str(), brightness_of(&e)), ("off", 0));
        run(&mut e, &mut last, on(None)).unwrap();
        assert_eq!((e.state.as_str(), brightness_of(&e)), ("on", 180));
    }

    #[test]
    fn zero_percent_turns_the_light_off_and_keeps_the_memory() {
        let (mut e, mut last) = light("on", 180);
        let out = run(&mut e, &mut last, on(Some(0))).unwrap();
        assert_eq!(
            out,
            Outcome::Done {
                state: "off".into()
            }
        );
        assert_eq!(brightness_of(&e), 0);
        run(&mut e, &mut last, ServiceCall::new("light.x", "toggle")).unwrap();
        assert_eq!((e.state.as_str(), brightness_of(&e)), ("on", 180));
        run(&mut e, &mut last, ServiceCall::new("light.x", "toggle")).unwrap();
        assert_eq!(e.state, "off");
    }

    #[test]
    fn a_percentage_out_of_range_is_bad_data_and_changes_nothing() {
        let (mut e, mut last) = light("off", 0);
        let err = run(&mut e, &mut last, on(Some(250))).unwrap_err();
        assert!(matches!(err, DeviceError::BadData(_)));
        assert_eq!(
            err.to_string(),
            "light.x turn_on: brightness_pct 250 is outside 0..=100"
        );
        assert_eq!((e.state.as_str(), brightness_of(&e)), ("off", 0));
        let call = ServiceCall::new("light.x", "turn_on").with("brightness_pct", "half");
        assert!(run(&mut e, &mut last, call).is_err());
        let call = ServiceCall::new("light.x", "lock");
        assert!(matches!(
            run(&mut e, &mut last, call),
            Err(DeviceError::UnknownService { .. })
        ));
    }
}

//! Simulated covers (blinds, garage doors): they move at once, so a cover is `open` at any
//! position above 0 and `closed` at 0, and `stop_cover` finds it already still.

use super::data::Data;
use super::device::settle;
use crate::devices::{DeviceError, Entity, Outcome};

/// The attribute holding the position, 0 (closed) to 100 (open).
const POSITION: &str = "current_position";

/// Carries out a cover service.
pub(super) fn apply(entity: &mut Entity, data: &Data) -> Result<Outcome, DeviceError> {
    let position = match data.service() {
        "open_cover" => data.only(&[]).map(|()| 100)?,
        "close_cover" => data.only(&[]).map(|()| 0)?,
        "stop_cover" => {
            data.only(&[])?;
            return Ok(Outcome::Done {
                state: entity.state.clone(),
            });
        }
        "set_cover_position" => {
            data.only(&["position"])?;
            let position = data.whole("position", 0..=100)?;
            data.needed("position", position)?
        }
        _ => return Err(data.unknown()),
    };
    entity.attributes.insert(POSITION.into(), position.into());
    Ok(settle(entity, if position > 0 { "open" } else { "closed" }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::{Domain, ServiceCall};

    fn cover(state: &str, position: u8) -> Entity {
        let mut e = Entity {
            id: "cover.garage".into(),
            name: "Garage".into(),
            aliases: vec![],
            area: None,
            domain: Domain::Cover,
            device_class: Some("garage".into()),
            state: state.into(),
            attributes: Default::default(),
            backend: String::new(),
        };
        e.attributes.insert(POSITION.into(), position.into());
        e
    }

    fn run(e: &mut Entity, call: ServiceCall) -> Result<Outcome, DeviceError> {
        apply(e, &Data::new(&call))
    }

    fn position(e: &Entity) -> u64 {
        e.attributes[POSITION].as_u64().unwrap()
    }

    #[test]
    fn open_and_close_move_all_the_way() {
        let mut e = cover("closed", 0);
        run(&mut e, ServiceCall::new("cover.garage", "open_cover")).unwrap();
        assert_eq!((e.state.as_str(), position(&e)), ("open", 100));
        run(&mut e, ServiceCall::new("cover.garage", "close_cover")).unwrap();
        assert_eq!((e.state.as_str(), position(&e)), ("closed", 0));
    }

    #[test]
    fn set_position_is_open_above_zero_and_closed_at_zero() {
        let mut e = cover("closed", 0);
        let set =
            |p: i32| ServiceCall::new("cover.garage", "set_cover_position").with("position", p);
        let out = run(&mut e, set(30)).unwrap();
        assert_eq!(
            out,
            Outcome::Done {
                state: "open".into()
            }
        );
        assert_eq!(position(&e), 30);
        run(&mut e, set(0)).unwrap();
        assert_eq!((e.state.as_str(), position(&e)), ("closed", 0));
    }

    #[test]
    fn stop_keeps_the_cover_where_it_is() {
        let mut e = cover("open", 40);
        let out = run(&mut e, ServiceCall::new("cover.garage", "stop_cover")).unwrap();
        assert_eq!(
            out,
            Outcome::Done {
                state: "open".into()
            }
        );
        assert_eq!(position(&e), 40);
    }

    #[test]
    fn bad_or_missing_positions_are_bad_data_and_change_nothing() {
        let mut e = cover("open", 40);
        let call = ServiceCall::new("cover.garage", "set_cover_position").with("position", -3);
        let err = run(&mut e, call).unwrap_err();
        assert!(matches!(err, DeviceError::BadData(_)));
        assert!(
            err.to_string()
                .starts_with("cover.garage set_cover_position: position -3"),
            "{err}"
        );
        let err = run(
            &mut e,
            ServiceCall::new("cover.garage", "set_cover_position"),
        )
        .unwrap_err();
        assert!(err.to_string().ends_with("needs position"), "{err}");
        assert_eq!((e.state.as_str(), position(&e)), ("open", 40));
        let call = ServiceCall::new("cover.garage", "turn_on");
        assert!(matches!(
            run(&mut e, call),
            Err(DeviceError::UnknownService { .. })
        ));
    }
}

//! One simulated device: its entity, what it remembers between calls (the last brightness,
//! the last hvac mode), and which service applies to it. The simple domains (switches, fans,
//! media players, locks, alarm panels, scenes) are handled here; lights, climate and covers
//! have their own files.
//!
//! Every handler checks the whole call before it changes anything, so a refused call leaves
//! the device as it was.

use super::data::Data;
use super::{climate, cover, light};
use crate::devices::{DeviceError, Domain, Entity, Outcome, ServiceCall};

/// The attribute that makes a lock refuse: a simulated jam.
const JAMMED: &str = "jammed";

/// A simulated device.
#[derive(Debug)]
pub(super) struct Device {
    entity: Entity,
    recall: Recall,
}

/// What a real device would remember across off and on.
#[derive(Debug)]
struct Recall {
    /// The last non-zero brightness; a light turned on without one comes back at it.
    brightness: u8,
    /// The last mode other than `off`, for `climate.turn_on`.
    hvac_mode: Option<String>,
}

impl Device {
    /// A device starting as `entity` says.
    pub(super) fn new(entity: Entity) -> Self {
        let recall = Recall {
            brightness: light::remembered(&entity),
            hvac_mode: climate::remembered(&entity),
        };
        Device { entity, recall }
    }

    /// Its entity as it is now.
    pub(super) fn entity(&self) -> &Entity {
        &self.entity
    }

    /// Carries out `call`, which must be addressed to this device.
    pub(super) fn apply(&mut self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        let data = Data::new(call);
        let entity = &mut self.entity;
        match entity.domain {
            Domain::Light => light::apply(entity, &mut self.recall.brightness, &data),
            Domain::Climate => climate::apply(entity, &mut self.recall.hvac_mode, &data),
            Domain::Cover => cover::apply(entity, &data),
            Domain::Switch | Domain::Fan | Domain::MediaPlayer => power(entity, &data),
            Domain::Lock => lock(entity, &data),
            Domain::AlarmControlPanel => alarm(entity, &data),
            Domain::Scene => scene(entity, &data),
            Domain::Script | Domain::Humidifier | Domain::Vacuum | Domain::WaterHeater => {
                power(entity, &data)
            }
            Domain::Sensor | Domain::BinarySensor | Domain::Todo => Err(data.unknown()),
        }
    }
}

/// Sets the state and reports it.
pub(super) fn settle(entity: &mut Entity, state: &str) -> Outcome {
    state.clone_into(&mut entity.state);
    Outcome::Done {
        state: entity.state.clone(),
    }
}

fn power(entity: &mut Entity, data: &Data) -> Result<Outcome, DeviceError> {
    let state = match data.service() {
        "turn_on" => "on",
        "turn_off" => "off",
        "toggle" if entity.state == "on" => "off",
        "toggle" => "on",
        _ => return Err(data.unknown()),
    };
    data.only(&[])?;
    Ok(settle(entity, state))
}

fn lock(entity: &mut Entity, data: &Data) -> Result<Outcome, DeviceError> {
    let state = match data.service() {
        "lock" => "locked",
        "unlock" => "unlocked",
        _ => return Err(data.unknown()),
    };
    data.only(&[])?;
    if entity.attributes.get(JAMMED).and_then(|v| v.as_bool()) == Some(true) {
        return Ok(Outcome::Refused {
            reason: "the lock is jammed".into(),
        });
    }
    Ok(settle(entity, state))
}

fn alarm(entity: &mut Entity, data: &Data) -> Result<Outcome, DeviceError> {
    let state = match data.service() {
        "alarm_arm_away" => "armed_away",
        "alarm_arm_home" => "armed_home",
        "alarm_disarm" => "disarmed",
        _ => return Err(data.unknown()),
    };
    data.only(&[])?;
    Ok(settle(entity, state))
}

/// A scene's state does not change when it runs: Home Assistant shows `scening` (or the time
/// it last ran), and the scene's effects belong to other entities the demo does not chain.
fn scene(entity: &mut Entity, data: &Data) -> Result<Outcome, DeviceError> {
    if data.service() != "turn_on" {
        return Err(data.unknown());
    }
    data.only(&[])?;
    Ok(Outcome::Done {
        state: entity.state.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(domain: Domain, id: &str, state: &str) -> Device {
        Device::new(Entity {
            id: id.into(),
            name: id.into(),
            aliases: vec![],
            area: None,
            domain,
            device_class: None,
            state: state.into(),
            attributes: Default::default(),
            backend: String::new(),
        })
    }

    fn run(d: &mut Device, service: &str) -> Result<Outcome, DeviceError> {
        let call = ServiceCall::new(d.entity().id.clone(), service);
        d.apply(&call)
    }

    fn done(state: &str) -> Result<Outcome, DeviceError> {
        Ok(Outcome::Done {
            state: state.into(),
        })
    }

    #[test]
    fn switches_fans_and_media_players_turn_on_off_and_toggle() {
        for domain in [Domain::Switch, Domain::Fan, Domain::MediaPlayer] {
            let mut d = device(domain, "switch.x", "off");
            assert_eq!(run(&mut d, "turn_on").unwrap(), done("on").unwrap());
            assert_eq!(d.entity().state, "on");
            assert_eq!(run(&mut d, "toggle").unwrap(), done("off").unwrap());
            assert_eq!(run(&mut d, "toggle").unwrap(), done("on").unwrap());
            assert_eq!(run(&mut d, "turn_off").unwrap(), done("off").unwrap());
            assert!(matches!(
                run(&mut d, "open_cover"),
                Err(DeviceError::UnknownService { .. })
            ));
        }
    }

    #[test]
    fn locks_lock_and_unlock_unless_jammed() {
        let mut d = device(Domain::Lock, "lock.door", "locked");
        assert_eq!(run(&mut d, "unlock").unwrap(), done("unlocked").unwrap());
        assert_eq!(run(&mut d, "lock").unwrap(), done("locked").unwrap());
        d.entity.attributes.insert(JAMMED.into(), true.into());
        let refused = Outcome::Refused {
            reason: "the lock is jammed".into(),
        };
        assert_eq!(run(&mut d, "unlock").unwrap(), refused);
        assert_eq!(d.entity().state, "locked");
    }

    #[test]
    fn alarm_panels_arm_and_disarm() {
        let mut d = device(
            Domain::AlarmControlPanel,
            "alarm_control_panel.h",
            "disarmed",
        );
        assert_eq!(
            run(&mut d, "alarm_arm_away").unwrap(),
            done("armed_away").unwrap()
        );
        assert_eq!(
            run(&mut d, "alarm_arm_home").unwrap(),
            done("armed_home").unwrap()
        );
        assert_eq!(
            run(&mut d, "alarm_disarm").unwrap(),
            done("disarmed").unwrap()
        );
        assert!(run(&mut d, "turn_on").is_err());
    }

    #[test]
    fn scenes_run_and_keep_their_state() {
        let mut d = device(Domain::Scene, "scene.movie", "scening");
        assert_eq!(run(&mut d, "turn_on").unwrap(), done("scening").unwrap());
        assert!(run(&mut d, "turn_off").is_err());
    }

    #[test]
    fn sensors_have_no_services_and_the_error_names_the_entity() {
        for domain in [Domain::Sensor, Domain::BinarySensor] {
            let mut d = device(domain, "sensor.t", "22.4");
            let err = run(&mut d, "turn_on").unwrap_err();
            assert_eq!(err.to_string(), "sensor.t cannot turn_on");
        }
    }

    #[test]
    fn stray_data_is_refused_and_changes_nothing() {
        let mut d = device(Domain::Switch, "switch.x", "off");
        let call = ServiceCall::new("switch.x", "turn_on").with("brightness_pct", 50);
        let err = d.apply(&call).unwrap_err().to_string();
        assert_eq!(err, "switch.x turn_on: takes no `brightness_pct`");
        assert_eq!(d.entity().state, "off");
    }
}

//! Which Home Assistant entities MIRAI sees. By default what Home Assistant's own Assist
//! exposes (`homeassistant/components/homeassistant/exposed_entities.py`: the domains, and
//! sensors and binary sensors of a few device classes; nothing hidden or of an entity
//! category), locks and alarm panels only when switched on, then the owner's lists:
//! `exclude` and `exclude_areas` win over everything, `areas` narrows, `include` widens.

use std::collections::BTreeSet;

use crate::config::Expose;
use crate::devices::glob;

/// The rules, ready to ask.
#[derive(Debug, Clone)]
pub(crate) struct Exposure {
    domains: BTreeSet<String>,
    sensor_classes: BTreeSet<String>,
    binary_sensor_classes: BTreeSet<String>,
    locks: bool,
    alarm_panels: bool,
    include: Vec<String>,
    exclude: Vec<String>,
    areas: Vec<String>,
    exclude_areas: Vec<String>,
}

/// What the rules look at for one entity.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Candidate<'a> {
    /// `light.kitchen`.
    pub(crate) entity_id: &'a str,
    /// Its device class, if any.
    pub(crate) device_class: Option<&'a str>,
    /// Its area's id and name, if it has one.
    pub(crate) area: Option<(&'a str, &'a str)>,
    /// Hidden in Home Assistant, or a config / diagnostic entity.
    pub(crate) hidden: bool,
}

impl Exposure {
    /// The rules of the config's `home_assistant.expose`.
    pub(crate) fn new(cfg: &Expose) -> Exposure {
        let set = |v: &[String]| v.iter().map(|s| s.trim().to_lowercase()).collect();
        let list = |v: &[String]| v.iter().map(|s| s.trim().to_lowercase()).collect();
        Exposure {
            domains: set(&cfg.domains),
            sensor_classes: set(&cfg.sensor_classes),
            binary_sensor_classes: set(&cfg.binary_sensor_classes),
            locks: cfg.locks,
            alarm_panels: cfg.alarm_panels,
            include: cfg.include.clone(),
            exclude: cfg.exclude.clone(),
            areas: list(&cfg.areas),
            exclude_areas: list(&cfg.exclude_areas),
        }
    }

    /// Whether MIRAI sees this entity.
    pub(crate) fn exposed(&self, c: &Candidate<'_>) -> bool {
        if self.exclude.iter().any(|g| glob::matches(g, c.entity_id)) {
            return false;
        }
        let in_area = |names: &[String]| {
            c.area.is_some_and(|(id, name)| {
                let name = name.to_lowercase();
                names.iter().any(|a| *a == id || *a == name)
            })
        };
        if in_area(&self.exclude_areas) || (!self.areas.is_empty() && !in_area(&self.areas)) {
            return false;
        }
        if self.include.iter().any(|g| glob::matches(g, c.entity_id)) {
            return true;
        }
        if c.hidden {
            return false;
        }
        let domain = c.entity_id.split('.').next().unwrap_or("");
        let class = c.device_class.unwrap_or("");
        match domain {
            "lock" => self.locks,
            "alarm_control_panel" => self.alarm_panels,
            "sensor" => self.sensor_classes.contains(class),
            "binary_sensor" => self.binary_sensor_classes.contains(class),
            other => self.domains.contains(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposed(rules: &Exposure, id: &str, class: Option<&str>, area: Option<&str>) -> bool {
        rules.exposed(&Candidate {
            entity_id: id,
            device_class: class,
            area: area.map(|a| (a, a)),
            hidden: false,
        })
    }

    #[test]
    fn the_defaults_are_assists() {
        let r = Exposure::new(&Expose::default());
        assert!(exposed(&r, "light.kitchen", None, None));
        assert!(exposed(&r, "script.goodnight", None, None));
        assert!(exposed(&r, "sensor.t", Some("temperature"), None));
        assert!(!exposed(&r, "sensor.power", Some("power"), None));
        assert!(!exposed(&r, "sensor.nothing", None, None));
        assert!(exposed(&r, "binary_sensor.d", Some("door"), None));
        assert!(!exposed(&r, "binary_sensor.p", Some("problem"), None));
        assert!(
            !exposed(&r, "lock.front", None, None),
            "locks only when enabled"
        );
        assert!(!exposed(&r, "alarm_control_panel.home", None, None));
        assert!(!exposed(&r, "input_boolean.x", None, None));
        assert!(!exposed(&r, "automation.x", None, None));
        let hidden = Candidate {
            entity_id: "light.helper",
            hidden: true,
            ..Candidate::default()
        };
        assert!(!r.exposed(&hidden));
    }

    #[test]
    fn owner_lists_deny_before_allow() {
        let cfg = Expose {
            locks: true,
            include: vec!["input_boolean.guest_*".into(), "light.secret".into()],
            exclude: vec!["light.secret".into(), "switch.server_*".into()],
            exclude_areas: vec!["Basement".into()],
            ..Expose::default()
        };
        let r = Exposure::new(&cfg);
        assert!(exposed(&r, "lock.front", None, None));
        assert!(exposed(&r, "input_boolean.guest_mode", None, None));
        assert!(!exposed(&r, "light.secret", None, None), "exclude wins");
        assert!(!exposed(&r, "switch.server_rack", None, None));
        let basement = Candidate {
            entity_id: "light.b",
            area: Some(("basement", "Basement")),
            ..Candidate::default()
        };
        assert!(!r.exposed(&basement), "matched by the area's name");
    }

    #[test]
    fn areas_narrow_to_a_few_rooms() {
        let cfg = Expose {
            areas: vec!["kitchen".into()],
            ..Expose::default()
        };
        let r = Exposure::new(&cfg);
        assert!(exposed(&r, "light.k", None, Some("kitchen")));
        assert!(!exposed(&r, "light.b", None, Some("bedroom")));
        assert!(!exposed(&r, "light.nowhere", None, None));
    }
}

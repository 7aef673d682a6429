//! The house as Home Assistant describes it: every entity's state, and the area, device and
//! entity registries that give them their areas, device names and aliases. Pure data: the
//! link feeds it messages' results and events, the back end reads entities from it.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::exposure::{Candidate, Exposure};
use crate::devices::{Area, Domain, Entity};

/// Attributes left out of an entity: they are spelled elsewhere or are pictures.
const SKIPPED_ATTRIBUTES: [&str; 5] = [
    "friendly_name",
    "device_class",
    "icon",
    "entity_picture",
    "attribution",
];
/// The back end's name in the registry.
pub(crate) const BACKEND: &str = "home_assistant";

/// One state object as Home Assistant sends it (`get_states`, `state_changed`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HaState {
    entity_id: String,
    state: String,
    #[serde(default)]
    attributes: Map<String, Value>,
}

/// An area registry entry.
#[derive(Debug, Clone, Deserialize)]
struct AreaEntry {
    area_id: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

/// A device registry entry.
#[derive(Debug, Clone, Deserialize)]
struct DeviceEntry {
    id: String,
    #[serde(default)]
    area_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    name_by_user: Option<String>,
}

/// An entity registry entry (`list` gives most fields, `get_entries` adds the aliases).
#[derive(Debug, Clone, Default, Deserialize)]
struct EntityEntry {
    entity_id: String,
    #[serde(default)]
    area_id: Option<String>,
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default)]
    hidden_by: Option<String>,
    #[serde(default)]
    disabled_by: Option<String>,
    #[serde(default)]
    entity_category: Option<String>,
    #[serde(default)]
    aliases: Vec<Option<String>>,
    #[serde(default)]
    device_class: Option<String>,
    #[serde(default)]
    original_device_class: Option<String>,
}

/// Everything known, and the exposed entities built from it.
#[derive(Debug)]
pub(crate) struct House {
    exposure: Exposure,
    states: HashMap<String, HaState>,
    areas: BTreeMap<String, AreaEntry>,
    devices: HashMap<String, DeviceEntry>,
    registry: HashMap<String, EntityEntry>,
    exposed: BTreeMap<String, Entity>,
    generation: u64,
}

impl House {
    /// An empty house under these exposure rules.
    pub(crate) fn new(exposure: Exposure) -> House {
        House {
            exposure,
            states: HashMap::new(),
            areas: BTreeMap::new(),
            devices: HashMap::new(),
            registry: HashMap::new(),
            exposed: BTreeMap::new(),
            generation: 1,
        }
    }

    /// Replaces every state with `get_states`' result (a full resync).
    pub(crate) fn load_states(&mut self, result: Value) -> Result<usize, serde_json::Error> {
        let states: Vec<HaState> = serde_json::from_value(result)?;
        self.states = states
            .into_iter()
            .map(|s| (s.entity_id.clone(), s))
            .collect();
        self.rebuild();
        Ok(self.states.len())
    }

    /// Replaces the area registry with `config/area_registry/list`'s result.
    pub(crate) fn load_areas(&mut self, result: Value) -> Result<(), serde_json::Error> {
        let areas: Vec<AreaEntry> = serde_json::from_value(result)?;
        self.areas = areas.into_iter().map(|a| (a.area_id.clone(), a)).collect();
        self.rebuild();
        Ok(())
    }

    /// Replaces the device registry with `config/device_registry/list`'s result.
    pub(crate) fn load_devices(&mut self, result: Value) -> Result<(), serde_json::Error> {
        let devices: Vec<DeviceEntry> = serde_json::from_value(result)?;
        self.devices = devices.into_iter().map(|d| (d.id.clone(), d)).collect();
        self.rebuild();
        Ok(())
    }

    /// Replaces the entity registry with `config/entity_registry/list`'s result, or adds
    /// detail (aliases, device classes) from `config/entity_registry/get_entries`' (an
    /// object by entity id).
    pub(crate) fn load_entity_registry(&mut self, result: Value) -> Result<(), serde_json::Error> {
        match result {
            Value::Object(by_id) => {
                for (_, entry) in by_id {
                    if entry.is_null() {
                        continue;
                    }
                    let entry: EntityEntry = serde_json::from_value(entry)?;
                    self.registry.insert(entry.entity_id.clone(), entry);
                }
            }
            list => {
                let entries: Vec<EntityEntry> = serde_json::from_value(list)?;
                let mut fresh: HashMap<String, EntityEntry> = entries
                    .into_iter()
                    .map(|e| (e.entity_id.clone(), e))
                    .collect();
                // `list` leaves aliases out: keep the ones `get_entries` gave.
                for (id, entry) in &mut fresh {
                    if let Some(old) = self.registry.get(id) {
                        entry.aliases.clone_from(&old.aliases);
                    }
                }
                self.registry = fresh;
            }
        }
        self.rebuild();
        Ok(())
    }

    /// Entity ids in the registry that are exposed, for `get_entries`.
    pub(crate) fn registered_exposed(&self) -> Vec<String> {
        self.exposed
            .keys()
            .filter(|id| self.registry.contains_key(*id))
            .cloned()
            .collect()
    }

    /// Applies a `state_changed` event's data; returns the entity id when an exposed entity
    /// changed.
    pub(crate) fn apply_state_changed(&mut self, data: &Value) -> Option<String> {
        let id = data.get("entity_id")?.as_str()?.to_owned();
        match data.get("new_state").filter(|s| !s.is_null()) {
            None => {
                self.states.remove(&id);
                if self.exposed.remove(&id).is_some() {
                    self.generation += 1;
                    return Some(id);
                }
                None
            }
            Some(state) => {
                let state: HaState = serde_json::from_value(state.clone()).ok()?;
                self.states.insert(id.clone(), state);
                self.refresh(&id).then_some(id)
            }
        }
    }

    /// The exposed entity `id` as it is now.
    pub(crate) fn entity(&self, id: &str) -> Option<&Entity> {
        self.exposed.get(id)
    }

    /// Every exposed entity.
    pub(crate) fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.exposed.values()
    }

    /// How many exposed entities, and how many Home Assistant has in all.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.exposed.len(), self.states.len())
    }

    /// The areas that hold an exposed entity.
    pub(crate) fn areas(&self) -> Vec<Area> {
        self.areas
            .values()
            .map(|a| Area {
                id: a.area_id.clone(),
                name: a.name.clone(),
                aliases: a.aliases.clone(),
            })
            .collect()
    }

    /// Changes when entities appear or go, or their names, aliases or areas change.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Rebuilds every exposed entity (after a resync or a registry change).
    fn rebuild(&mut self) {
        let fresh: BTreeMap<String, Entity> = self
            .states
            .values()
            .filter_map(|s| self.build(s).map(|e| (e.id.clone(), e)))
            .collect();
        if !same_names(&fresh, &self.exposed) {
            self.generation += 1;
        }
        self.exposed = fresh;
    }

    /// Rebuilds one entity after its state changed; true when it is exposed (or was).
    fn refresh(&mut self, id: &str) -> bool {
        let built = self.states.get(id).and_then(|s| self.build(s));
        match (built, self.exposed.get(id)) {
            (None, None) => false,
            (None, Some(_)) => {
                self.exposed.remove(id);
                self.generation += 1;
                true
            }
            (Some(new), old) => {
                if old.is_none_or(|old| !same_name(old, &new)) {
                    self.generation += 1;
                }
                self.exposed.insert(id.to_owned(), new);
                true
            }
        }
    }

    /// The registry entity for a state, if exposed and of a domain MIRAI knows.
    fn build(&self, s: &HaState) -> Option<Entity> {
        let (domain_name, object_id) = s.entity_id.split_once('.')?;
        let domain = Domain::from_name(domain_name)?;
        let reg = self.registry.get(&s.entity_id);
        if reg.is_some_and(|r| r.disabled_by.is_some()) {
            return None;
        }
        let device = reg
            .and_then(|r| r.device_id.as_ref())
            .and_then(|d| self.devices.get(d));
        let area_id = reg
            .and_then(|r| r.area_id.clone())
            .or_else(|| device.and_then(|d| d.area_id.clone()));
        let area = area_id.as_ref().and_then(|a| self.areas.get(a));
        let device_class = s
            .attributes
            .get("device_class")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| reg.and_then(|r| r.device_class.clone()))
            .or_else(|| reg.and_then(|r| r.original_device_class.clone()));
        let candidate = Candidate {
            entity_id: &s.entity_id,
            device_class: device_class.as_deref(),
            area: area.map(|a| (a.area_id.as_str(), a.name.as_str())),
            hidden: reg.is_some_and(|r| r.hidden_by.is_some() || r.entity_category.is_some()),
        };
        if !self.exposure.exposed(&candidate) {
            return None;
        }
        let name = s
            .attributes
            .get("friendly_name")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
            .map_or_else(|| object_id.replace('_', " "), str::to_owned);
        let mut attributes: BTreeMap<String, Value> = s
            .attributes
            .iter()
            .filter(|(k, _)| !SKIPPED_ATTRIBUTES.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(d) = device.and_then(|d| d.name_by_user.clone().or_else(|| d.name.clone())) {
            attributes.insert("device".into(), d.into());
        }
        Some(Entity {
            id: s.entity_id.clone(),
            name,
            aliases: reg
                .map(|r| r.aliases.iter().flatten().cloned().collect())
                .unwrap_or_default(),
            area: area_id.filter(|a| self.areas.contains_key(a)),
            domain,
            device_class,
            state: s.state.clone(),
            attributes,
            backend: BACKEND.into(),
        })
    }
}

fn same_name(a: &Entity, b: &Entity) -> bool {
    a.name == b.name && a.aliases == b.aliases && a.area == b.area
}

fn same_names(a: &BTreeMap<String, Entity>, b: &BTreeMap<String, Entity>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ia, ea), (ib, eb))| ia == ib && same_name(ea, eb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Expose;
    use serde_json::json;

    fn house() -> House {
        let mut h = House::new(Exposure::new(&Expose::default()));
        h.load_areas(json!([
            {"area_id": "kitchen", "name": "Kitchen", "aliases": ["кухня"], "floor_id": null},
            {"area_id": "bedroom", "name": "Bedroom", "aliases": []}
        ]))
        .unwrap();
        h.load_devices(json!([
            {"id": "d1", "area_id": "bedroom", "name": "Hue bulb", "name_by_user": null}
        ]))
        .unwrap();
        h.load_entity_registry(json!([
            {"entity_id": "light.kitchen", "area_id": "kitchen", "device_id": null},
            {"entity_id": "light.bed", "area_id": null, "device_id": "d1"},
            {"entity_id": "light.helper", "hidden_by": "user"},
            {"entity_id": "switch.off", "disabled_by": "user"}
        ]))
        .unwrap();
        h.load_states(json!([
            {"entity_id": "light.kitchen", "state": "off",
             "attributes": {"friendly_name": "Kitchen Light", "supported_features": 0}},
            {"entity_id": "light.bed", "state": "on",
             "attributes": {"friendly_name": "Bed Lamp", "brightness": 120}},
            {"entity_id": "light.helper", "state": "on", "attributes": {}},
            {"entity_id": "sensor.t", "state": "21.5",
             "attributes": {"device_class": "temperature", "unit_of_measurement": "°C",
                            "friendly_name": "Bedroom Temperature"}},
            {"entity_id": "sensor.power", "state": "12", "attributes": {"device_class": "power"}},
            {"entity_id": "input_boolean.x", "state": "on", "attributes": {}},
            {"entity_id": "weird", "state": "on", "attributes": {}}
        ]))
        .unwrap();
        h
    }

    #[test]
    fn states_and_registries_make_exposed_entities() {
        let h = house();
        let ids: Vec<&str> = h.entities().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["light.bed", "light.kitchen", "sensor.t"]);
        let k = h.entity("light.kitchen").unwrap();
        assert_eq!(
            (k.name.as_str(), k.area.as_deref()),
            ("Kitchen Light", Some("kitchen"))
        );
        assert_eq!(k.backend, BACKEND);
        let bed = h.entity("light.bed").unwrap();
        assert_eq!(bed.area.as_deref(), Some("bedroom"), "the device's area");
        assert_eq!(bed.attributes["device"], "Hue bulb");
        assert_eq!(bed.attributes["brightness"], 120);
        let t = h.entity("sensor.t").unwrap();
        assert_eq!(t.device_class.as_deref(), Some("temperature"));
        assert!(!t.attributes.contains_key("device_class"));
        assert_eq!(h.areas()[1].aliases, ["кухня"]);
        assert_eq!(h.counts(), (3, 7));
    }

    #[test]
    fn aliases_come_from_get_entries_and_survive_a_list() {
        let mut h = house();
        let before = h.generation();
        h.load_entity_registry(json!({
            "light.kitchen": {"entity_id": "light.kitchen", "area_id": "kitchen",
                              "aliases": ["Küchenlicht", null]},
            "light.gone": null
        }))
        .unwrap();
        assert_eq!(h.entity("light.kitchen").unwrap().aliases, ["Küchenlicht"]);
        assert!(h.generation() > before);
        h.load_entity_registry(json!([
            {"entity_id": "light.kitchen", "area_id": "kitchen"},
            {"entity_id": "light.bed", "device_id": "d1"}
        ]))
        .unwrap();
        assert_eq!(h.entity("light.kitchen").unwrap().aliases, ["Küchenlicht"]);
    }

    #[test]
    fn state_changes_update_without_a_new_generation() {
        let mut h = house();
        let g = h.generation();
        let changed = h.apply_state_changed(&json!({"entity_id": "light.kitchen",
            "old_state": {}, "new_state": {"entity_id": "light.kitchen", "state": "on",
            "attributes": {"friendly_name": "Kitchen Light"}}}));
        assert_eq!(changed.as_deref(), Some("light.kitchen"));
        assert_eq!(h.entity("light.kitchen").unwrap().state, "on");
        assert_eq!(h.generation(), g, "a state is not a name");
        let hidden = h.apply_state_changed(&json!({"entity_id": "input_boolean.x",
            "new_state": {"entity_id": "input_boolean.x", "state": "off"}}));
        assert_eq!(hidden, None);
    }

    #[test]
    fn new_renamed_and_removed_entities_bump_the_generation() {
        let mut h = house();
        let g = h.generation();
        h.apply_state_changed(&json!({"entity_id": "switch.fan", "old_state": null,
            "new_state": {"entity_id": "switch.fan", "state": "off"}}));
        assert_eq!(h.entity("switch.fan").unwrap().name, "fan");
        assert!(h.generation() > g);
        let g = h.generation();
        h.apply_state_changed(&json!({"entity_id": "switch.fan",
            "new_state": {"entity_id": "switch.fan", "state": "off",
                          "attributes": {"friendly_name": "Desk Fan"}}}));
        assert!(h.generation() > g);
        let g = h.generation();
        let gone = h.apply_state_changed(&json!({"entity_id": "switch.fan", "new_state": null}));
        assert_eq!(gone.as_deref(), Some("switch.fan"));
        assert!(h.entity("switch.fan").is_none() && h.generation() > g);
    }

    #[test]
    fn bad_data_is_an_error_or_ignored() {
        let mut h = house();
        assert!(h.load_states(json!({"not": "a list"})).is_err());
        assert!(h.load_areas(json!([{"name": "no id"}])).is_err());
        assert_eq!(h.apply_state_changed(&json!({"no": "id"})), None);
        assert_eq!(
            h.apply_state_changed(&json!({"entity_id": "light.x", "new_state": {"state": 3}})),
            None
        );
        assert_eq!(h.counts().0, 3, "what was known stays");
    }
}

//! The demo house file: its YAML shape, the checks serde cannot make (an id matches its
//! domain, ids are unique, areas are declared), and errors that name the file, line, column
//! and entity.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use super::error::{DemoError, parse_error, place};
use super::layout::{Layout, Pos};
use crate::devices::{Area, Domain, Entity};

/// The largest house file read; a bigger one is a mistake, not a house.
pub(super) const MAX_FILE_BYTES: u64 = 1 << 20;
/// The most areas one house may declare.
const MAX_AREAS: usize = 256;
/// The most entities one house may hold.
const MAX_ENTITIES: usize = 4096;

/// A checked house: areas and entities in file order.
#[derive(Debug)]
pub(super) struct House {
    pub(super) areas: Vec<Area>,
    pub(super) entities: Vec<Entity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HouseFile {
    #[serde(default, deserialize_with = "areas_in_order")]
    areas: Vec<(String, AreaSpec)>,
    #[serde(default)]
    entities: Vec<EntitySpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaSpec {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

/// An entity as written: [`Entity`] without `backend`, which the house sets.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntitySpec {
    id: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    area: Option<String>,
    domain: Domain,
    #[serde(default)]
    device_class: Option<String>,
    #[serde(deserialize_with = "scalar")]
    state: String,
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
}

/// Parses and checks `text`; `origin` names it in errors.
pub(super) fn parse(text: &str, origin: &str) -> Result<House, DemoError> {
    let de = serde_yaml::Deserializer::from_str(text);
    let file: HouseFile =
        serde_path_to_error::deserialize(de).map_err(|e| parse_error(text, origin, &e))?;
    let checker = Checker {
        origin,
        layout: Layout::read(text, file.areas.len(), file.entities.len()),
    };
    checker.check(file)
}

/// Errors found after parsing, placed with the file's layout.
struct Checker<'a> {
    origin: &'a str,
    layout: Layout,
}

impl Checker<'_> {
    fn check(&self, file: HouseFile) -> Result<House, DemoError> {
        if file.areas.len() > MAX_AREAS || file.entities.len() > MAX_ENTITIES {
            let message =
                format!("a house holds at most {MAX_AREAS} areas and {MAX_ENTITIES} entities");
            return Err(self.error(None, String::new(), message));
        }
        let mut area_ids = HashSet::new();
        for (i, (id, _)) in file.areas.iter().enumerate() {
            if !is_slug(id) {
                let message = "an area id is lower-case letters, digits and `_`".to_owned();
                return Err(self.error(self.layout.area(i), format!("area `{id}`"), message));
            }
            if !area_ids.insert(id.as_str()) {
                let message = "this area is declared twice".to_owned();
                return Err(self.error(self.layout.area(i), format!("area `{id}`"), message));
            }
        }
        let mut first_at: HashMap<&str, usize> = HashMap::new();
        for (i, spec) in file.entities.iter().enumerate() {
            self.check_entity(i, spec, &area_ids, &mut first_at)?;
        }
        Ok(House {
            areas: file.areas.into_iter().map(area_of).collect(),
            entities: file.entities.into_iter().map(entity_of).collect(),
        })
    }

    fn check_entity<'f>(
        &self,
        i: usize,
        spec: &'f EntitySpec,
        area_ids: &HashSet<&str>,
        first_at: &mut HashMap<&'f str, usize>,
    ) -> Result<(), DemoError> {
        let refuse = |key: &str, message: String| {
            let what = format!("entity `{}`", spec.id);
            Err(self.error(self.layout.entity_key(i, key), what, message))
        };
        if let Some(message) = id_problem(spec) {
            return refuse("id", message);
        }
        if let Some(&first) = first_at.get(spec.id.as_str()) {
            return refuse(
                "id",
                format!(
                    "this id is used twice (first by entity number {})",
                    first + 1
                ),
            );
        }
        first_at.insert(&spec.id, i);
        match &spec.area {
            Some(area) if !area_ids.contains(area.as_str()) => refuse(
                "area",
                format!("area `{area}` is not declared under `areas`"),
            ),
            _ => Ok(()),
        }
    }

    fn error(&self, at: Option<Pos>, what: String, message: String) -> DemoError {
        DemoError::Invalid {
            at: place(self.origin, at),
            what,
            message,
        }
    }
}

/// What is wrong with an entity's id on its own, if anything.
fn id_problem(spec: &EntitySpec) -> Option<String> {
    let domain = spec.domain.as_str();
    match spec.id.split_once('.') {
        Some((d, object)) if d == domain && is_slug(object) => None,
        Some((d, _)) if d != domain => Some(format!(
            "the id's domain `{d}` is not its domain `{domain}`"
        )),
        _ => Some(format!(
            "an id is `{domain}.object_id` (lower-case, digits, `_`)"
        )),
    }
}

/// Home Assistant's rule for object ids, kept for area ids too.
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn area_of((id, spec): (String, AreaSpec)) -> Area {
    Area {
        id,
        name: spec.name,
        aliases: spec.aliases,
    }
}

fn entity_of(spec: EntitySpec) -> Entity {
    Entity {
        id: spec.id,
        name: spec.name,
        aliases: spec.aliases,
        area: spec.area,
        domain: spec.domain,
        device_class: spec.device_class,
        state: spec.state,
        attributes: spec.attributes,
        backend: String::new(),
    }
}

/// A state written as `22.4` or `true` is still a state string.
fn scalar<'de, D: de::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        other => Err(de::Error::custom(format!(
            "a state is a string or a number, not {other}"
        ))),
    }
}

/// The `areas:` mapping in file order, duplicates kept so the checker can name them.
fn areas_in_order<'de, D>(d: D) -> Result<Vec<(String, AreaSpec)>, D::Error>
where
    D: de::Deserializer<'de>,
{
    struct InOrder;
    impl<'de> Visitor<'de> for InOrder {
        type Value = Vec<(String, AreaSpec)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a mapping from area id to its name and aliases")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut areas = Vec::new();
            while let Some(entry) = map.next_entry()? {
                areas.push(entry);
            }
            Ok(areas)
        }
    }
    d.deserialize_map(InOrder)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREAS: &str = "areas:\n  hall:\n    name: Hall\n";

    fn refused(text: &str) -> (String, String, String) {
        match parse(text, "my-house.yaml") {
            Err(DemoError::Invalid { at, what, message }) => (at, what, message),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_key_names_file_line_column_and_entity() {
        let text = format!(
            "{AREAS}entities:\n  - id: light.hall\n    name: Hall light\n    domain: light\n    state: 'off'\n    colour: red\n"
        );
        let (at, what, message) = refused(&text);
        assert_eq!(at, "my-house.yaml:9:5");
        assert_eq!(what, "entity `light.hall`");
        assert!(message.starts_with("unknown field `colour`"), "{message}");
    }

    #[test]
    fn a_backend_key_is_unknown_because_the_house_sets_it() {
        let text = "entities:\n  - id: lock.a\n    name: A\n    domain: lock\n    state: locked\n    backend: zwave\n";
        let (at, _, message) = refused(text);
        assert_eq!(at, "my-house.yaml:6:5");
        assert!(message.contains("backend"), "{message}");
    }

    #[test]
    fn a_duplicate_id_is_placed_at_its_second_use() {
        let one = "  - id: switch.a\n    name: A\n    domain: switch\n    state: 'off'\n";
        let (at, what, message) = refused(&format!("entities:\n{one}{one}"));
        assert_eq!(at, "my-house.yaml:6:5");
        assert_eq!(what, "entity `switch.a`");
        assert!(message.contains("used twice"), "{message}");
    }

    #[test]
    fn an_undeclared_area_is_placed_at_the_area_key() {
        let text = format!(
            "{AREAS}entities:\n  - id: fan.a\n    name: A\n    area: attic\n    domain: fan\n    state: 'off'\n"
        );
        let (at, what, message) = refused(&text);
        assert_eq!(at, "my-house.yaml:7:5");
        assert_eq!(what, "entity `fan.a`");
        assert!(message.contains("`attic` is not declared"), "{message}");
    }

    #[test]
    fn an_id_of_another_domain_is_refused_at_the_id() {
        let text =
            "entities:\n  - name: A\n    id: light.a\n    domain: switch\n    state: 'off'\n";
        let (at, what, message) = refused(text);
        assert_eq!(at, "my-house.yaml:3:5");
        assert_eq!(what, "entity `light.a`");
        assert!(
            message.contains("`light` is not its domain `switch`"),
            "{message}"
        );
        let (_, _, message) =
            refused("entities:\n  - {id: light, name: A, domain: light, state: 'off'}\n");
        assert!(message.contains("light.object_id"), "{message}");
    }

    #[test]
    fn an_area_declared_twice_is_refused() {
        let (at, what, _) = refused("areas:\n  hall: {name: Hall}\n  hall: {name: Hallway}\n");
        assert_eq!(
            (at.as_str(), what.as_str()),
            ("my-house.yaml:3:3", "area `hall`")
        );
    }

    #[test]
    fn numbers_are_states_and_flow_style_still_parses() {
        let house = parse(
            "areas: {hall: {name: Hall}}\nentities: [{id: sensor.t, name: T, area: hall, domain: sensor, state: 22.5}]\n",
            "x",
        )
        .expect("valid");
        assert_eq!(house.entities[0].state, "22.5");
        assert_eq!(house.areas[0].id, "hall");
    }

    #[test]
    fn errors_print_as_file_line_column_what_message() {
        let err = parse(
            "entities:\n  - id: lock.a\n    name: A\n    domain: lok\n    state: x\n",
            "h.yaml",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("h.yaml:4:13: entity `lock.a`: unknown variant `lok`"),
            "{text}"
        );
    }
}

//! A big synthetic house for tests and benches: 2,000 entities over 60 areas, named the way
//! Home Assistant installs name them ("Kitchen ceiling light", "Garage door sensor"), with
//! Russian aliases on some areas; answered from an index, like a back end with many entities.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use mirai::devices::{Area, Backend, DeviceError, Domain, Entity, Outcome, ServiceCall};

/// Entities in the big house.
pub const ENTITIES: usize = 2_000;

const ROOMS: &[(&str, &str)] = &[
    ("Kitchen", "кухня"),
    ("Living room", "гостиная"),
    ("Dining room", "столовая"),
    ("Master bedroom", "спальня"),
    ("Guest bedroom", "гостевая"),
    ("Nursery", "детская"),
    ("Bathroom", "ванная"),
    ("Hallway", "коридор"),
    ("Garage", "гараж"),
    ("Office", "кабинет"),
    ("Attic", "чердак"),
    ("Basement", "подвал"),
    ("Laundry", "прачечная"),
    ("Pantry", "кладовая"),
    ("Porch", "крыльцо"),
    ("Patio", "терраса"),
    ("Garden", "сад"),
    ("Driveway", "подъезд"),
    ("Gym", "спортзал"),
    ("Library", "библиотека"),
];
const FLOORS: &[&str] = &["", "Upstairs ", "Guest house "];
const KINDS: &[(&str, Domain, Option<&str>, &str)] = &[
    ("ceiling light", Domain::Light, None, "on"),
    ("lamp", Domain::Light, None, "off"),
    ("floor lamp", Domain::Light, None, "off"),
    ("LED strip", Domain::Light, None, "off"),
    ("spotlights", Domain::Light, None, "on"),
    ("wall switch", Domain::Switch, None, "off"),
    ("smart plug", Domain::Switch, Some("outlet"), "on"),
    ("temperature", Domain::Sensor, Some("temperature"), "21.5"),
    ("humidity", Domain::Sensor, Some("humidity"), "44"),
    ("motion", Domain::BinarySensor, Some("motion"), "off"),
    ("door sensor", Domain::BinarySensor, Some("door"), "off"),
    ("window sensor", Domain::BinarySensor, Some("window"), "off"),
    ("thermostat", Domain::Climate, None, "heat"),
    ("blinds", Domain::Cover, Some("blind"), "open"),
    ("ceiling fan", Domain::Fan, None, "off"),
    ("speaker", Domain::MediaPlayer, Some("speaker"), "idle"),
    ("illuminance", Domain::Sensor, Some("illuminance"), "120"),
];

/// A back end with many entities, one index lookup per entity, and a generation.
pub struct BigHouse {
    state: Mutex<State>,
    generation: AtomicU64,
}

struct State {
    entities: Vec<Entity>,
    by_id: HashMap<String, usize>,
    areas: Vec<Area>,
}

impl BigHouse {
    /// The house with [`ENTITIES`] entities over 60 areas.
    pub fn new() -> BigHouse {
        let areas: Vec<Area> = FLOORS
            .iter()
            .flat_map(|floor| ROOMS.iter().map(move |(room, ru)| (floor, room, ru)))
            .map(|(floor, room, ru)| Area {
                id: slug(&format!("{floor}{room}")),
                name: format!("{floor}{room}"),
                aliases: if floor.is_empty() {
                    vec![(*ru).to_owned()]
                } else {
                    vec![]
                },
            })
            .collect();
        let mut entities = Vec::with_capacity(ENTITIES);
        'fill: for copy in 1.. {
            for area in &areas {
                for (kind, domain, class, state) in KINDS {
                    if entities.len() == ENTITIES {
                        break 'fill;
                    }
                    let name = match copy {
                        1 => format!("{} {kind}", area.name),
                        n => format!("{} {kind} {n}", area.name),
                    };
                    entities.push(entity(&name, *domain, *class, state, &area.id));
                }
            }
        }
        let house = BigHouse {
            state: Mutex::new(State {
                entities: Vec::new(),
                by_id: HashMap::new(),
                areas,
            }),
            generation: AtomicU64::new(1),
        };
        for e in entities {
            house.add(e);
        }
        house
    }

    /// Adds an entity, as Home Assistant announcing a new device: the generation moves.
    pub fn add(&self, e: Entity) {
        let mut s = self.state.lock().unwrap();
        let at = s.entities.len();
        s.by_id.insert(e.id.clone(), at);
        s.entities.push(e);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// An entity of the big house's kind: `domain.slug_of_name`.
pub fn entity(name: &str, domain: Domain, class: Option<&str>, state: &str, area: &str) -> Entity {
    Entity {
        id: format!("{}.{}", domain.as_str(), slug(name)),
        name: name.to_owned(),
        aliases: vec![],
        area: Some(area.to_owned()),
        domain,
        device_class: class.map(str::to_owned),
        state: state.to_owned(),
        attributes: Default::default(),
        backend: String::new(),
    }
}

fn slug(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

impl Backend for BigHouse {
    fn name(&self) -> &str {
        "big_house"
    }
    fn entities(&self) -> Vec<Entity> {
        self.state.lock().unwrap().entities.clone()
    }
    fn areas(&self) -> Vec<Area> {
        self.state.lock().unwrap().areas.clone()
    }
    fn entity(&self, id: &str) -> Option<Entity> {
        let s = self.state.lock().unwrap();
        s.by_id.get(id).map(|&i| s.entities[i].clone())
    }
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        let mut s = self.state.lock().unwrap();
        let at = *s
            .by_id
            .get(&call.entity_id)
            .ok_or_else(|| DeviceError::UnknownEntity(call.entity_id.clone()))?;
        let e = &mut s.entities[at];
        let state = match call.service.as_str() {
            "turn_on" => "on",
            "turn_off" => "off",
            other => {
                return Ok(Outcome::Refused {
                    reason: format!("the big house does not {other}"),
                });
            }
        };
        e.state = state.to_owned();
        Ok(Outcome::Done {
            state: state.to_owned(),
        })
    }
}

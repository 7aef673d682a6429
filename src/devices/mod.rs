//! The device registry: every entity of the house, whoever drives it, behind one interface.
//!
//! An entity is what a person names ("the kitchen light"): an id in Home Assistant's form
//! (`light.kitchen`), a name, aliases in any language, an area, a domain, a state and
//! attributes. A back end (the demo house, Home Assistant, Z-Wave, GPIO relays, Zigbee2MQTT)
//! owns some entities and carries out service calls on them. Nothing above this module knows
//! which back end acts.

pub mod demo;
pub(crate) mod glob;
pub mod gpio;
pub mod home_assistant;
pub mod zigbee;
pub mod zigbee2mqtt;
pub mod zwave;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The kinds of entity, as Home Assistant names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// Lights, dimmable or not.
    Light,
    /// On/off switches and plugs.
    Switch,
    /// Numeric or text readings.
    Sensor,
    /// On/off readings: doors, motion, leaks.
    BinarySensor,
    /// Thermostats.
    Climate,
    /// Blinds, shutters, garage doors, gates.
    Cover,
    /// Door locks.
    Lock,
    /// Fans.
    Fan,
    /// Media players.
    MediaPlayer,
    /// Scenes.
    Scene,
    /// Alarm panels.
    AlarmControlPanel,
    /// Scripts (Home Assistant): run with `turn_on`.
    Script,
    /// Robot vacuums.
    Vacuum,
    /// Humidifiers and dehumidifiers.
    Humidifier,
    /// Water heaters and boilers.
    WaterHeater,
    /// To-do lists.
    Todo,
}

impl Domain {
    /// The domain's name in entity ids and service calls.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Light => "light",
            Domain::Switch => "switch",
            Domain::Sensor => "sensor",
            Domain::BinarySensor => "binary_sensor",
            Domain::Climate => "climate",
            Domain::Cover => "cover",
            Domain::Lock => "lock",
            Domain::Fan => "fan",
            Domain::MediaPlayer => "media_player",
            Domain::Scene => "scene",
            Domain::AlarmControlPanel => "alarm_control_panel",
            Domain::Script => "script",
            Domain::Vacuum => "vacuum",
            Domain::Humidifier => "humidifier",
            Domain::WaterHeater => "water_heater",
            Domain::Todo => "todo",
        }
    }

    /// Every domain MIRAI knows.
    pub const ALL: [Domain; 16] = [
        Domain::Light,
        Domain::Switch,
        Domain::Sensor,
        Domain::BinarySensor,
        Domain::Climate,
        Domain::Cover,
        Domain::Lock,
        Domain::Fan,
        Domain::MediaPlayer,
        Domain::Scene,
        Domain::AlarmControlPanel,
        Domain::Script,
        Domain::Vacuum,
        Domain::Humidifier,
        Domain::WaterHeater,
        Domain::Todo,
    ];

    /// The domain named `name` (`light`, `binary_sensor`…), if MIRAI knows it.
    pub fn from_name(name: &str) -> Option<Domain> {
        Domain::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

/// One thing in the house, as the registry knows it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// `domain.object_id`, e.g. `light.kitchen`.
    pub id: String,
    /// What people call it.
    pub name: String,
    /// Other names, in any language ("свет на кухне").
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The room or zone, e.g. "kitchen".
    #[serde(default)]
    pub area: Option<String>,
    /// Its kind.
    pub domain: Domain,
    /// Home Assistant's device class: `temperature`, `door`, `garage`, `motion`…
    #[serde(default)]
    pub device_class: Option<String>,
    /// Home Assistant's state string: `on`, `off`, `locked`, `open`, `21.5`, `heat`…
    pub state: String,
    /// Everything else: `brightness` (0–255), `temperature` (setpoint), `current_temperature`,
    /// `current_position` (0–100), `unit_of_measurement`…
    #[serde(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// The back end that owns it.
    #[serde(default)]
    pub backend: String,
}

/// A room or zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    /// Id used by entities: `kitchen`, `living_room`.
    pub id: String,
    /// Display name: "Kitchen".
    pub name: String,
    /// Other names, in any language ("кухня").
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A request to change an entity, in Home Assistant's terms: `light.turn_on` with
/// `{"brightness_pct": 40}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCall {
    /// The entity acted on.
    pub entity_id: String,
    /// The service without its domain: `turn_on`, `set_temperature`, `unlock`…
    pub service: String,
    /// Service data: `brightness_pct`, `temperature`, `position`, `hvac_mode`…
    #[serde(default)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl ServiceCall {
    /// A call without data.
    pub fn new(entity_id: impl Into<String>, service: impl Into<String>) -> Self {
        ServiceCall {
            entity_id: entity_id.into(),
            service: service.into(),
            data: serde_json::Map::new(),
        }
    }

    /// The same call with one more data field.
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.data.insert(key.to_owned(), value.into());
        self
    }

    /// The domain part of the entity id.
    pub fn domain(&self) -> &str {
        self.entity_id.split('.').next().unwrap_or("")
    }
}

/// What a back end did with a call. "The device said no" is a value, not an error.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Done; the entity's state afterwards.
    Done {
        /// The new state string.
        state: String,
    },
    /// The device or back end refused, with its reason.
    Refused {
        /// Why.
        reason: String,
    },
}

/// Why a call could not be made at all.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// No entity has that id.
    #[error("no device {0}")]
    UnknownEntity(String),
    /// The entity's domain has no such service.
    #[error("{entity} cannot {service}")]
    UnknownService {
        /// The entity.
        entity: String,
        /// The service asked for.
        service: String,
    },
    /// The service data is wrong (a brightness of 300%).
    #[error("{0}")]
    BadData(String),
    /// The back end could not be reached.
    #[error("{backend} is unavailable: {detail}")]
    Unavailable {
        /// Which back end.
        backend: String,
        /// What happened.
        detail: String,
    },
}

/// What a back end's change feed says: a counter that moves whenever its entities' states,
/// names or number change, and whether it reaches its devices now. Front ends that mirror
/// entities elsewhere (MQTT with Home Assistant discovery) wait on it and read the entities
/// again; a feed may skip counts, never a change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    /// Moves on every change.
    pub serial: u64,
    /// The back end reaches its devices (the link is up).
    pub available: bool,
}

/// A source of entities that can act on them.
pub trait Backend: Send + Sync {
    /// Short name: `demo`, `home_assistant`, `zwave`…
    fn name(&self) -> &str;
    /// Its entities as they are now.
    fn entities(&self) -> Vec<Entity>;
    /// The areas its entities are in.
    fn areas(&self) -> Vec<Area>;
    /// Carries out a call on one of its entities.
    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError>;
    /// Carries out a call and hands back the data the service answered with, for services
    /// that answer (Home Assistant's `return_response`); others answer nothing.
    fn call_with_response(
        &self,
        call: &ServiceCall,
    ) -> Result<(Outcome, Option<serde_json::Value>), DeviceError> {
        self.call(call).map(|outcome| (outcome, None))
    }
    /// One entity as it is now (back ends with many entities answer from an index).
    fn entity(&self, id: &str) -> Option<Entity> {
        self.entities().into_iter().find(|e| e.id == id)
    }
    /// A number that changes whenever entities appear or go, or their names, aliases or
    /// areas change (not when a state changes): whoever indexes names rebuilds on a change.
    fn generation(&self) -> u64 {
        0
    }
    /// A feed of its changes, for back ends whose state is worth mirroring (Z-Wave); `None`
    /// for those that have their own home (Home Assistant) or none.
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<Changes>> {
        None
    }
}

/// Every back end's entities, reached by entity id.
#[derive(Clone, Default)]
pub struct Registry {
    backends: Vec<Arc<dyn Backend>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds a back end.
    pub fn add(&mut self, backend: Arc<dyn Backend>) {
        self.backends.push(backend);
    }

    /// Every entity, sorted by id.
    pub fn entities(&self) -> Vec<Entity> {
        let mut all: Vec<Entity> = self
            .backends
            .iter()
            .flat_map(|b| {
                let name = b.name().to_owned();
                b.entities().into_iter().map(move |mut e| {
                    e.backend = name.clone();
                    e
                })
            })
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// Every area, by id (the first back end to name an id wins).
    pub fn areas(&self) -> Vec<Area> {
        let mut seen = std::collections::BTreeMap::new();
        for area in self.backends.iter().flat_map(|b| b.areas()) {
            seen.entry(area.id.clone()).or_insert(area);
        }
        seen.into_values().collect()
    }

    /// The entity with `id`.
    pub fn entity(&self, id: &str) -> Option<Entity> {
        self.backends.iter().find_map(|b| {
            b.entity(id).map(|mut e| {
                b.name().clone_into(&mut e.backend);
                e
            })
        })
    }

    /// Changes whenever any back end's entities, names, aliases or areas change.
    pub fn generation(&self) -> u64 {
        self.backends.iter().fold(0u64, |acc, b| {
            acc.wrapping_mul(31).wrapping_add(b.generation())
        })
    }

    /// The change feeds of the back ends that have one, by back end name.
    pub fn change_feeds(&self) -> Vec<(String, tokio::sync::watch::Receiver<Changes>)> {
        (self.backends.iter())
            .filter_map(|b| Some((b.name().to_owned(), b.changes()?)))
            .collect()
    }

    /// Carries out `call` on the back end that owns its entity.
    pub fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        self.call_with_response(call).map(|(outcome, _)| outcome)
    }

    /// The same, with the data the service answered with, if it answers.
    pub fn call_with_response(
        &self,
        call: &ServiceCall,
    ) -> Result<(Outcome, Option<serde_json::Value>), DeviceError> {
        for b in &self.backends {
            if b.entity(&call.entity_id).is_some() {
                return b.call_with_response(call);
            }
        }
        Err(DeviceError::UnknownEntity(call.entity_id.clone()))
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.backends.iter().map(|b| b.name()).collect();
        f.debug_struct("Registry")
            .field("backends", &names)
            .finish()
    }
}

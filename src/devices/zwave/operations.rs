//! What `mirai zwave …` and `/api/zwave/…` ask of the [`ZwaveBackend`], answered as the JSON
//! both print: the controller, the nodes, one node's state read now, and inclusion and
//! exclusion with each step handed to the caller as it happens. The same code answers in the
//! daemon and in a CLI that opened the stick itself, so both print the same thing.

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::backend::{ZwaveBackend, unavailable};
use super::controller::Zwave;
use super::entities::Switching;
use super::membership::{Exclusion, Inclusion};
use super::network::Node;
use super::reading::read_node;
use super::{ZwaveError, kept};
use crate::devices::{Backend, DeviceError, Domain, Entity, ServiceCall};

/// Steps an inclusion or exclusion may queue before the caller takes them.
const STEP_QUEUE: usize = 16;
/// How long past its own timeout an inclusion or exclusion may take to stop the chip's mode.
const STOP_MARGIN: Duration = Duration::from_secs(15);

/// How an inclusion or exclusion ended, once its steps are out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Node `id` joined or left.
    Node(u8),
    /// Nobody came within the time given.
    Timeout,
}

/// What a Set asks of a node: on (a dimmer at its last level), or a level 0–99 (0 is off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// On.
    On,
    /// 0 off, 1–99.
    Level(u8),
}

impl Level {
    /// `on`, `off` or a level 0–99, in any case.
    pub fn parse(text: &str) -> Result<Level, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "on" => Ok(Level::On),
            "off" => Ok(Level::Level(0)),
            n => match n.parse::<u8>() {
                Ok(l) if l <= 99 => Ok(Level::Level(l)),
                _ => Err(format!("expected on, off or a level 0–99, got {text:?}")),
            },
        }
    }

    /// The registry call that sets `entity` to this level (a level as `brightness_pct`).
    pub fn call(self, entity: &str) -> ServiceCall {
        match self {
            Level::On => ServiceCall::new(entity, "turn_on"),
            Level::Level(0) => ServiceCall::new(entity, "turn_off"),
            Level::Level(l) => ServiceCall::new(entity, "turn_on")
                .with("brightness_pct", f64::from(l) * 100.0 / 99.0),
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Level::On => f.write_str("on"),
            Level::Level(0) => f.write_str("off"),
            Level::Level(l) => write!(f, "{l}"),
        }
    }
}

/// The last line of an inclusion or exclusion that did not end with a node: `timeout` or
/// `failed` with the reason; `None` after a `done` step.
pub fn last_step(ended: &Result<Ended, DeviceError>, within: Duration) -> Option<Value> {
    match ended {
        Ok(Ended::Node(_)) => None,
        Ok(Ended::Timeout) => Some(json!({"step": "timeout", "seconds": within.as_secs()})),
        Err(err) => Some(json!({"step": "failed", "error": err.to_string()})),
    }
}

/// Step or end, from the driver's runtime to the caller's thread.
enum Event {
    Step(Value),
    End(Result<Ended, ZwaveError>),
}

/// Where a run's steps go.
type Steps = std_mpsc::SyncSender<Event>;

impl ZwaveBackend {
    /// The controller: port, link, home id, own node, library version, product ids, nodes.
    pub fn info(&self) -> Value {
        let inner = self.shared.lock();
        let n = &inner.network;
        let connected = inner.status.connected;
        let (manufacturer, product_type, product_id) = n.product;
        json!({
            "port": self.settings.zwave.port,
            "connected": connected,
            "error": inner.status.error,
            "memory_error": inner.status.memory_error,
            "home_id": (n.home_id != 0).then(|| format!("{:08X}", n.home_id)),
            "own_node": (n.own_node != 0).then_some(n.own_node),
            "version": connected.then(|| n.version.clone()),
            "manufacturer_id": connected.then_some(manufacturer),
            "product_type": connected.then_some(product_type),
            "product_id": connected.then_some(product_id),
            "nodes": inner.nodes.len(),
        })
    }

    /// The nodes: id, name, area, listening, device and command classes, entity ids.
    pub fn node_list(&self) -> Vec<Value> {
        let entities = self.entities();
        let inner = self.shared.lock();
        let own = inner.network.own_node;
        (inner.network.nodes.iter())
            .filter(|n| n.id != own)
            .map(|n| {
                let mine = of_node(&entities, n.id);
                json!({
                    "id": n.id,
                    "name": inner.nodes.name(n.id),
                    "area": mine.first().and_then(|e| e.area.clone()),
                    "listening": n.listening,
                    "device_class": {"basic": n.basic, "generic": n.generic, "specific": n.specific},
                    "command_classes": n.command_classes,
                    "entities": mine.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
                })
            })
            .collect()
    }

    /// Node `id` and its entities as they are now; `None` when the network has no such node.
    pub fn node(&self, id: u8) -> Option<Value> {
        self.known(id)?;
        let entities = of_node(&self.entities(), id);
        let name = self.shared.lock().nodes.name(id);
        Some(json!({"node": id, "name": name, "entities": entities}))
    }

    /// The entity a Set of node `id` goes through (`light.zwave_2`); `None` when it has none.
    pub fn switch_entity(&self, id: u8) -> Option<String> {
        Switching::of(&self.known(id)?)?;
        let entities = of_node(&self.entities(), id);
        let switch =
            (entities.into_iter()).find(|e| matches!(e.domain, Domain::Light | Domain::Switch))?;
        Some(switch.id)
    }

    /// Reads node `id`'s state from the node now (a Get per command class it has, and one per
    /// sensor type it lists) and returns it as [`ZwaveBackend::node`] does; a Get the node does
    /// not answer is logged and skipped.
    pub fn read(&self, id: u8) -> Result<Value, DeviceError> {
        let node = self.known(id).ok_or_else(|| no_such_node(id))?;
        let zwave = self.connected()?;
        let shared = self.shared.clone();
        self.block(async move {
            read_node(&zwave, &node, |report| shared.take(&report)).await;
        })?;
        self.node(id).ok_or_else(|| no_such_node(id))
    }

    /// Asks every listening node for its node information frame again (start-up asks only new
    /// or changed ones), keeps what they say, and returns the nodes as [`ZwaveBackend::node_list`].
    pub fn refresh(&self) -> Result<Vec<Value>, DeviceError> {
        let zwave = self.connected()?;
        let (own, nodes) = {
            let inner = self.shared.lock();
            (inner.network.own_node, inner.network.nodes.clone())
        };
        let refreshed = self.block(async move {
            let mut out = Vec::with_capacity(nodes.len());
            for mut node in nodes {
                if node.id != own && node.listening {
                    zwave.refresh(&mut node).await?;
                }
                out.push(node);
            }
            Ok::<_, ZwaveError>(out)
        })?;
        let refreshed = refreshed.map_err(|err| unavailable(&err.to_string()))?;
        self.shared.update(|i| {
            i.network.nodes = refreshed;
            let network = i.network.clone();
            i.nodes.set_network(&network);
        });
        let rows = kept::rows(&self.shared.lock().network);
        self.shared.keep("refresh", |m| m.save_zwave_nodes(&rows));
        Ok(self.node_list())
    }

    /// Includes a node: `on_step` gets each step as its JSON line; the new node becomes
    /// entities and is kept in the memory.
    pub fn include(
        &self,
        within: Duration,
        on_step: &mut dyn FnMut(&Value),
    ) -> Result<Ended, DeviceError> {
        let zwave = self.connected()?;
        let shared = self.shared.clone();
        self.membership(within, on_step, move |steps: Steps| async move {
            let (progress, mut rx) = mpsc::channel::<Inclusion>(STEP_QUEUE);
            let forward = async {
                while let Some(step) = rx.recv().await {
                    let _ = steps.try_send(Event::Step(step_line(step.to_json(), within)));
                }
            };
            let (joined, ()) = tokio::join!(zwave.include(within, progress), forward);
            let Some(node) = joined? else {
                return Ok(Ended::Timeout);
            };
            shared.update(|i| {
                i.network.nodes.retain(|n| n.id != node.id);
                i.network.nodes.push(node.clone());
                i.network.nodes.sort_by_key(|n| n.id);
                let network = i.network.clone();
                i.nodes.set_network(&network);
                i.status.nodes = i.nodes.len();
            });
            let home_id = shared.lock().network.home_id;
            shared.keep("inclusion", |m| {
                m.save_zwave_node(&kept::row(home_id, &node))
            });
            Ok(Ended::Node(node.id))
        })
    }

    /// Excludes a node: `on_step` gets each step; the node that left goes from the entities
    /// and from the memory.
    pub fn exclude(
        &self,
        within: Duration,
        on_step: &mut dyn FnMut(&Value),
    ) -> Result<Ended, DeviceError> {
        let zwave = self.connected()?;
        let shared = self.shared.clone();
        self.membership(within, on_step, move |steps: Steps| async move {
            let (progress, mut rx) = mpsc::channel::<Exclusion>(STEP_QUEUE);
            let forward = async {
                while let Some(step) = rx.recv().await {
                    let _ = steps.try_send(Event::Step(step_line(step.to_json(), within)));
                }
            };
            let (left, ()) = tokio::join!(zwave.exclude(within, progress), forward);
            let Some(id) = left? else {
                return Ok(Ended::Timeout);
            };
            shared.update(|i| {
                i.network.nodes.retain(|n| n.id != id);
                let network = i.network.clone();
                i.nodes.set_network(&network);
                i.status.nodes = i.nodes.len();
            });
            shared.keep("exclusion", |m| m.forget_zwave_node(id).map(|_| ()));
            Ok(Ended::Node(id))
        })
    }

    /// Runs `work` on the driver's runtime, handing its steps to `on_step` on this thread as
    /// they come, and returns how it ended.
    fn membership<F>(
        &self,
        within: Duration,
        on_step: &mut dyn FnMut(&Value),
        work: impl FnOnce(Steps) -> F + Send + 'static,
    ) -> Result<Ended, DeviceError>
    where
        F: Future<Output = Result<Ended, ZwaveError>> + Send + 'static,
    {
        // Bounded above the most steps one run makes (five and the end), so a send never
        // waits: the driver's thread must not block on a slow reader.
        let (events, rx) = std_mpsc::sync_channel(STEP_QUEUE);
        let steps = events.clone();
        self.runtime.spawn(async move {
            let ended = work(steps).await;
            let _ = events.try_send(Event::End(ended));
        });
        let limit = within + STOP_MARGIN;
        loop {
            match rx.recv_timeout(limit) {
                Ok(Event::Step(step)) => on_step(&step),
                Ok(Event::End(Ok(ended))) => return Ok(ended),
                Ok(Event::End(Err(err))) => return Err(unavailable(&err.to_string())),
                Err(_) => return Err(unavailable("the Z-Wave driver did not answer")),
            }
        }
    }

    /// Why node `id` is not there, naming those that are: "node 9 is not in the network
    /// (nodes: 2, 3, 4)".
    pub fn missing(&self, id: u8) -> String {
        let inner = self.shared.lock();
        let own = inner.network.own_node;
        let ids: Vec<String> = (inner.network.nodes.iter())
            .filter(|n| n.id != own)
            .map(|n| n.id.to_string())
            .collect();
        let ids = if ids.is_empty() {
            "none".into()
        } else {
            ids.join(", ")
        };
        format!("node {id} is not in the network (nodes: {ids})")
    }

    /// Node `id` of the network as last known, the controller left out.
    fn known(&self, id: u8) -> Option<Node> {
        let inner = self.shared.lock();
        let own = inner.network.own_node;
        inner.network.node(id).filter(|n| n.id != own).cloned()
    }

    /// The live handle, or why there is none.
    fn connected(&self) -> Result<Zwave, DeviceError> {
        let inner = self.shared.lock();
        inner.zwave.clone().ok_or_else(|| {
            let why = inner.status.error.clone();
            unavailable(&format!(
                "the stick is not connected: {}",
                why.unwrap_or_else(|| "still starting".into())
            ))
        })
    }
}

/// A step's JSON with the time it was given, so a reader can show what is left.
fn step_line(mut step: Value, within: Duration) -> Value {
    if step["step"] == "ready" {
        step["seconds"] = json!(within.as_secs());
    }
    step
}

/// "No such node" in the words the CLI and the API use.
pub fn no_such_node(id: u8) -> DeviceError {
    DeviceError::UnknownEntity(format!("Z-Wave node {id}"))
}

/// The entities of node `id`.
fn of_node(entities: &[Entity], id: u8) -> Vec<Entity> {
    entities
        .iter()
        .filter(|e| e.attributes.get("node_id").and_then(Value::as_u64) == Some(u64::from(id)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_become_calls() {
        assert_eq!(Level::parse("ON"), Ok(Level::On));
        assert_eq!(Level::parse("off"), Ok(Level::Level(0)));
        assert_eq!(Level::parse("40"), Ok(Level::Level(40)));
        assert!(Level::parse("100").unwrap_err().contains("level 0–99"));
        assert!(Level::parse("bright").is_err());
        assert_eq!(Level::Level(0).call("light.zwave_3").service, "turn_off");
        let dim = Level::Level(40).call("light.zwave_3");
        let pct = dim.data["brightness_pct"].as_f64().unwrap();
        assert_eq!((pct / 100.0 * 99.0).round(), 40.0);
    }
}

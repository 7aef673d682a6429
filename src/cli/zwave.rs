//! `mirai zwave …`: the Z-Wave stick from a shell: the controller, the nodes, switching and
//! reading one node, including a new one.
//!
//! These open the stick in this process (a current-thread runtime for the one command), so the
//! daemon must not hold it at the same time; going through the daemon's API when it runs is a
//! later step of issue #7.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::emit;
use crate::app::{self, App};
use crate::devices::Entity;
use crate::devices::zwave::entities::{Nodes, Plan, Switching};
use crate::devices::zwave::reading::read_node;
use crate::devices::zwave::{Inclusion, Network, Node, NodeReport, Zwave};

/// Progress steps an inclusion may queue before the printer takes them.
const PROGRESS_QUEUE: usize = 16;

#[derive(Debug, Subcommand)]
pub(super) enum ZwaveCommand {
    /// The controller: home id, its own node id, library version, product ids
    Info,
    /// The nodes: id, name, area, device classes, command classes, entities
    Nodes,
    /// Switch a node and read it back; VALUE is on, off or a level 0–99
    Set {
        /// Node id
        node: u8,
        /// on, off or a level 0–99
        #[arg(value_parser = level)]
        value: Level,
    },
    /// Read a node's state (switch, temperature, battery)
    Get {
        /// Node id
        node: u8,
    },
    /// Include a new node: the stick listens until a node's inclusion button is pressed
    Include {
        /// Seconds to listen
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
    },
}

/// What `set` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// On (a dimmer at its last level).
    On,
    /// 0 off, 1–99.
    Level(u8),
}

fn level(text: &str) -> Result<Level, String> {
    match text.to_ascii_lowercase().as_str() {
        "on" => Ok(Level::On),
        "off" => Ok(Level::Level(0)),
        n => match n.parse::<u8>() {
            Ok(l) if l <= 99 => Ok(Level::Level(l)),
            _ => Err(format!("expected on, off or a level 0–99, got {text:?}")),
        },
    }
}

/// Runs one `mirai zwave` command against the configured stick.
pub(super) fn run(app: &App, cmd: ZwaveCommand, json: bool) -> anyhow::Result<ExitCode> {
    let settings = app::zwave_settings(app.config()).context(
        "no zwave.port configured: set zwave.port in the config to the stick \
         (/dev/serial/by-id/…) or to tcp://host:port",
    )?;
    let port = settings.port.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut nodes = Nodes::new(app::zwave_labels(app.config()));
    runtime.block_on(async {
        let (stop, shutdown) = watch::channel(false);
        let (zwave, network, task) = Zwave::start(settings, shutdown)
            .await
            .with_context(|| format!("cannot reach the Z-Wave stick at {port}"))?;
        nodes.set_network(&network);
        let done = match cmd {
            ZwaveCommand::Info => info(&network, &port, json),
            ZwaveCommand::Nodes => list(&network, &nodes, json),
            ZwaveCommand::Set { node, value } => {
                set(&zwave, &network, &mut nodes, node, value, json).await
            }
            ZwaveCommand::Get { node } => {
                let node = known(&network, node)?;
                read(&zwave, node, &mut nodes).await;
                show(&nodes, node.id, json)
            }
            ZwaveCommand::Include { timeout } => include(&zwave, timeout, json).await,
        };
        let _ = stop.send(true);
        let _ = task.await;
        done
    })
}

fn info(network: &Network, port: &str, json: bool) -> anyhow::Result<ExitCode> {
    let (manufacturer, product_type, product_id) = network.product;
    let value = json!({
        "port": port,
        "home_id": format!("{:08X}", network.home_id),
        "own_node": network.own_node,
        "version": network.version,
        "manufacturer_id": manufacturer,
        "product_type": product_type,
        "product_id": product_id,
        "nodes": network.nodes.len() - 1,
    });
    emit(json, &value, || {
        format!(
            "port      {port}\nhome id   {:08X}\nown node  {}\nversion   {}\nproduct   {manufacturer:04X}:{product_type:04X}:{product_id:04X}\nnodes     {}\n",
            network.home_id,
            network.own_node,
            network.version,
            network.nodes.len() - 1
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

fn list(network: &Network, nodes: &Nodes, json: bool) -> anyhow::Result<ExitCode> {
    let entities = nodes.entities();
    let listed: Vec<Value> = network
        .nodes
        .iter()
        .filter(|n| n.id != network.own_node)
        .map(|n| {
            let mine = of_node(&entities, n.id);
            json!({
                "id": n.id,
                "name": nodes.name(n.id),
                "area": mine.first().and_then(|e| e.area.clone()),
                "listening": n.listening,
                "device_class": {"basic": n.basic, "generic": n.generic, "specific": n.specific},
                "command_classes": n.command_classes,
                "entities": mine.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    emit(json, &listed, || {
        if listed.is_empty() {
            return "no nodes: include one with `mirai zwave include`\n".into();
        }
        let line = |v: &Value| {
            let ccs: Vec<String> = v["command_classes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| format!("{:02X}", c.as_u64().unwrap_or(0)))
                .collect();
            format!(
                "{:>3}  {:<24} {:<12} {:<30} {}\n",
                v["id"],
                v["name"].as_str().unwrap_or(""),
                v["area"].as_str().unwrap_or("-"),
                v["entities"].as_array().map_or(0, Vec::len).to_string() + " entities",
                ccs.join(" ")
            )
        };
        listed.iter().map(line).collect()
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn set(
    zwave: &Zwave,
    network: &Network,
    nodes: &mut Nodes,
    id: u8,
    value: Level,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let node = known(network, id)?;
    let Some(switching) = Switching::of(node) else {
        bail!("node {id} cannot be switched: it has neither Binary nor Multilevel Switch");
    };
    let level = match value {
        Level::On => None,
        Level::Level(l) => Some(l),
    };
    let plan = Plan {
        node: id,
        switching,
        level,
    };
    zwave
        .set(id, switching.target(level))
        .await
        .with_context(|| format!("node {id} did not take the command"))?;
    let report = zwave
        .get(id, switching.query())
        .await
        .with_context(|| format!("node {id} took the command but did not report back"))?;
    let now = report_level(&report);
    nodes.apply(&NodeReport { node: id, report });
    show(nodes, id, json)?;
    match now {
        Some(l) if plan.met(l) => Ok(ExitCode::SUCCESS),
        other => bail!("node {id} did not reach {value:?}: it reports level {other:?}"),
    }
}

fn report_level(report: &crate::devices::zwave::command_class::Report) -> Option<u8> {
    use crate::devices::zwave::command_class::Report;
    match report {
        Report::BinarySwitch(l) | Report::MultilevelSwitch(l) | Report::Basic(l) => Some(l.current),
        _ => None,
    }
}

/// Reads the node's state into `nodes`; a Get that fails is logged and skipped.
async fn read(zwave: &Zwave, node: &Node, nodes: &mut Nodes) {
    read_node(zwave, node, |report| {
        nodes.apply(&report);
    })
    .await;
}

fn show(nodes: &Nodes, id: u8, json: bool) -> anyhow::Result<ExitCode> {
    let entities = of_node(&nodes.entities(), id);
    let value = json!({"node": id, "name": nodes.name(id), "entities": entities});
    emit(json, &value, || {
        if entities.is_empty() {
            return format!("node {id} ({}): nothing to read\n", nodes.name(id));
        }
        entities
            .iter()
            .map(|e| {
                let unit = e.attributes.get("unit_of_measurement");
                let unit = unit.and_then(Value::as_str).unwrap_or("");
                let level = e.attributes.get("level").map(|l| format!(" (level {l})"));
                let battery = e.attributes.get("battery_level");
                let battery = battery.map(|b| format!(", battery {b}%"));
                format!(
                    "{:<30} {:<24} {}{unit}{}{}\n",
                    e.id,
                    e.name,
                    e.state,
                    level.unwrap_or_default(),
                    battery.unwrap_or_default()
                )
            })
            .collect()
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn include(zwave: &Zwave, timeout: u64, json: bool) -> anyhow::Result<ExitCode> {
    let (progress, mut steps) = mpsc::channel(PROGRESS_QUEUE);
    let within = Duration::from_secs(timeout);
    let printer = async {
        while let Some(step) = steps.recv().await {
            print_step(&step, timeout, json);
        }
    };
    let (joined, ()) = tokio::join!(zwave.include(within, progress), printer);
    match joined.context("inclusion failed")? {
        Some(_) => Ok(ExitCode::SUCCESS),
        None => {
            if json {
                println!("{}", json!({"step": "timeout", "seconds": timeout}));
            }
            bail!("no node joined within {timeout} s")
        }
    }
}

fn print_step(step: &Inclusion, timeout: u64, json: bool) {
    let (value, text) = match step {
        Inclusion::Ready => (
            json!({"step": "ready", "seconds": timeout}),
            format!("listening for {timeout} s: press the inclusion button on the node"),
        ),
        Inclusion::NodeFound => (json!({"step": "node_found"}), "a node answered".into()),
        Inclusion::Adding(n) => (
            json!({"step": "adding", "node": n.id, "command_classes": n.command_classes}),
            format!("adding it as node {}", n.id),
        ),
        Inclusion::ProtocolDone => (json!({"step": "protocol_done"}), "network part done".into()),
        Inclusion::Done(id) => (
            json!({"step": "done", "node": id}),
            format!("node {id} included (not secure: S0/S2 inclusion is a later step)"),
        ),
    };
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

fn known(network: &Network, id: u8) -> anyhow::Result<&Node> {
    match network.node(id).filter(|n| n.id != network.own_node) {
        Some(node) => Ok(node),
        None => {
            let ids: Vec<String> = network
                .nodes
                .iter()
                .filter(|n| n.id != network.own_node)
                .map(|n| n.id.to_string())
                .collect();
            bail!(
                "node {id} is not in the network (nodes: {})",
                if ids.is_empty() {
                    "none".into()
                } else {
                    ids.join(", ")
                }
            )
        }
    }
}

fn of_node(entities: &[Entity], id: u8) -> Vec<Entity> {
    entities
        .iter()
        .filter(|e| e.attributes.get("node_id").and_then(Value::as_u64) == Some(u64::from(id)))
        .cloned()
        .collect()
}

//! `mirai zwave …`: the Z-Wave stick from a shell: the controller, the nodes, switching and
//! reading one node, including and excluding one.
//!
//! The dongle belongs to the daemon: when one runs ([`Remote::find`]) every command goes
//! through its API (`/api/zwave/…`); only when none runs does this process open the stick
//! itself, with the same back end, memory and action gate the daemon uses, so both print the
//! same thing.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use serde_json::{Value, json};

use super::emit;
use super::zwave_progress::{Mode, Progress};
use crate::agent::{Request, Source};
use crate::app::{self, App, Remote};
use crate::devices::Registry;
use crate::devices::zwave::operations::{Level, last_step};
use crate::devices::zwave::{BackendSettings, ZwaveBackend};

/// The user the audit log names for a Set from this shell.
const CLI_USER: &str = "cli";

#[derive(Debug, Subcommand)]
pub(super) enum ZwaveCommand {
    /// The controller: home id, its own node id, library version, product ids
    Info,
    /// The nodes: id, name, area, device classes, command classes, entities
    Nodes {
        /// Ask every listening node for its command classes again first
        #[arg(long)]
        refresh: bool,
    },
    /// Switch a node and read it back; VALUE is on, off or a level 0–99
    Set {
        /// Node id
        node: u8,
        /// on, off or a level 0–99
        #[arg(value_parser = Level::parse)]
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
    /// Exclude a node: the stick listens until a node's exclusion button is pressed
    Exclude {
        /// Seconds to listen
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
    },
}

/// Runs one `mirai zwave` command: through the daemon when it runs, else on the stick here.
pub(super) fn run(app: &App, cmd: ZwaveCommand, json: bool) -> anyhow::Result<ExitCode> {
    match Remote::find(app.config()) {
        Some(remote) => remotely(&remote, cmd, json),
        None => locally(app, cmd, json),
    }
}

fn remotely(remote: &Remote, cmd: ZwaveCommand, json: bool) -> anyhow::Result<ExitCode> {
    let hub = remote.base().to_owned();
    let via = |what: &str| format!("the hub at {hub} could not {what}");
    match cmd {
        ZwaveCommand::Info => info(&remote.get("/api/zwave").with_context(|| via("say"))?, json),
        ZwaveCommand::Nodes { refresh } => {
            let nodes = if refresh {
                remote.post("/api/zwave/refresh", json!({}))
            } else {
                remote.get("/api/zwave/nodes")
            };
            list(&nodes.with_context(|| via("list the nodes"))?, json)
        }
        ZwaveCommand::Get { node } => {
            let got = remote.get(&format!("/api/zwave/nodes/{node}"));
            show(&got.with_context(|| via("read the node"))?, json)
        }
        ZwaveCommand::Set { node, value } => {
            let path = format!("/api/zwave/nodes/{node}");
            let set = remote.post(&path, json!({"value": value.to_string()}));
            show(&set.with_context(|| via("switch the node"))?, json)
        }
        ZwaveCommand::Include { timeout } | ZwaveCommand::Exclude { timeout } => {
            let (mode, path) = match cmd {
                ZwaveCommand::Include { .. } => (Mode::Include, "/api/zwave/include"),
                _ => (Mode::Exclude, "/api/zwave/exclude"),
            };
            let within = Duration::from_secs(timeout);
            let mut progress = Progress::new(mode, within, json);
            let body = json!({"timeout_s": timeout});
            let streamed = remote.post_lines(path, body, within, &mut |l| progress.step(&l));
            streamed.with_context(|| via("run it"))?;
            progress.finish()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn locally(app: &App, cmd: ZwaveCommand, json: bool) -> anyhow::Result<ExitCode> {
    let settings = app::zwave_settings(app.config()).context(
        "no zwave.port configured: set zwave.port in the config to the stick \
         (/dev/serial/by-id/…) or to tcp://host:port",
    )?;
    let port = settings.port.clone();
    let zwave = match app.zwave()? {
        Some(zwave) => zwave,
        None => {
            let settings = BackendSettings {
                zwave: settings,
                labels: app::zwave_labels(app.config()),
            };
            let backend = ZwaveBackend::start_with(settings, Some(app.memory()?))
                .context("cannot start the Z-Wave driver's thread")?;
            Arc::new(backend)
        }
    };
    let limit = app.config().settings().zwave.ready_timeout;
    if !zwave.wait_started(limit) {
        let why = zwave.status().error;
        let why = why.unwrap_or_else(|| "no answer in time".into());
        bail!("cannot reach the Z-Wave stick at {port}: {why}");
    }
    // The first read of every node runs now; let it end, so that no answer is left unread on
    // the link when this process closes it.
    zwave.wait_ready(limit);
    let known = |id: u8| match zwave.node(id) {
        Some(_) => Ok(id),
        None => Err(anyhow::anyhow!(zwave.missing(id))),
    };
    match cmd {
        ZwaveCommand::Info => info(&zwave.info(), json),
        ZwaveCommand::Nodes { refresh: false } => list(&json!(zwave.node_list()), json),
        ZwaveCommand::Nodes { refresh: true } => list(&json!(zwave.refresh()?), json),
        ZwaveCommand::Get { node } => show(&zwave.read(known(node)?)?, json),
        ZwaveCommand::Set { node, value } => set(app, &zwave, known(node)?, value, json),
        ZwaveCommand::Include { timeout } => membership(&zwave, Mode::Include, timeout, json),
        ZwaveCommand::Exclude { timeout } => membership(&zwave, Mode::Exclude, timeout, json),
    }
}

/// A Set here: through an agent over this stick, so it passes the action gate and is audited.
fn set(
    app: &App,
    zwave: &Arc<ZwaveBackend>,
    id: u8,
    value: Level,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let Some(entity) = zwave.switch_entity(id) else {
        bail!("node {id} cannot be switched: it has neither Binary nor Multilevel Switch");
    };
    let mut registry = Registry::new();
    registry.add(zwave.clone());
    let agent = app.agent_over(registry, true)?;
    let session = format!("zwave-cli-{}", std::process::id());
    let asked = Request::new(
        format!("zwave set node {id} {value}"),
        Source::Cli,
        CLI_USER,
        &session,
    );
    let report = agent.act(&asked, &value.call(&entity));
    let node = zwave.node(id).unwrap_or_else(|| json!({"node": id}));
    show(&node, json)?;
    if report.outcome != "done" {
        bail!(
            "node {id} did not go {value}: {} ({})",
            report.detail,
            report.outcome
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn membership(
    zwave: &ZwaveBackend,
    mode: Mode,
    timeout: u64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let within = Duration::from_secs(timeout);
    let mut progress = Progress::new(mode, within, json);
    let ended = match mode {
        Mode::Include => zwave.include(within, &mut |s| progress.step(s)),
        Mode::Exclude => zwave.exclude(within, &mut |s| progress.step(s)),
    };
    if let Some(last) = last_step(&ended, within) {
        progress.step(&last);
    }
    progress.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn info(v: &Value, json: bool) -> anyhow::Result<ExitCode> {
    emit(json, v, || {
        let text = |key: &str| match &v[key] {
            Value::String(s) => s.clone(),
            Value::Null => "-".into(),
            other => other.to_string(),
        };
        let hex = |key: &str| v[key].as_u64().map_or("-".into(), |n| format!("{n:04X}"));
        let link = if v["connected"] == true {
            "connected".to_owned()
        } else {
            format!("not connected: {}", text("error"))
        };
        format!(
            "port      {}\nlink      {link}\nhome id   {}\nown node  {}\nversion   {}\nproduct   {}:{}:{}\nnodes     {}\n",
            text("port"),
            text("home_id"),
            text("own_node"),
            text("version"),
            hex("manufacturer_id"),
            hex("product_type"),
            hex("product_id"),
            text("nodes"),
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

fn list(nodes: &Value, json: bool) -> anyhow::Result<ExitCode> {
    let listed = nodes.as_array().cloned().unwrap_or_default();
    emit(json, &listed, || {
        if listed.is_empty() {
            return "no nodes: include one with `mirai zwave include`\n".into();
        }
        let line = |v: &Value| {
            let ccs: Vec<String> = (v["command_classes"].as_array().into_iter().flatten())
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

fn show(node: &Value, json: bool) -> anyhow::Result<ExitCode> {
    let entities = node["entities"].as_array().cloned().unwrap_or_default();
    let view = json!({"node": node["node"], "name": node["name"], "entities": entities});
    emit(json, &view, || {
        let name = node["name"].as_str().unwrap_or("");
        if entities.is_empty() {
            return format!("node {} ({name}): nothing to read\n", node["node"]);
        }
        entities
            .iter()
            .map(|e| {
                let a = &e["attributes"];
                let unit = a["unit_of_measurement"].as_str().unwrap_or("");
                let level = a.get("level").map(|l| format!(" (level {l})"));
                let battery = a.get("battery_level").map(|b| format!(", battery {b}%"));
                format!(
                    "{:<30} {:<24} {}{unit}{}{}\n",
                    e["id"].as_str().unwrap_or(""),
                    e["name"].as_str().unwrap_or(""),
                    e["state"].as_str().unwrap_or(""),
                    level.unwrap_or_default(),
                    battery.unwrap_or_default()
                )
            })
            .collect()
    })?;
    Ok(ExitCode::SUCCESS)
}

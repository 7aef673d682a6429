//! `mirai zigbee …`: the Zigbee stick from a shell: the network, the devices, opening the
//! network for joining, setting and reading one device, a backup of the network.
//!
//! The stick belongs to the daemon: when one runs ([`Remote::find`]) every command goes
//! through its API (`/api/zigbee/…`); only when none runs does this process open the stick
//! itself, with the same back end, memory and action gate the daemon uses.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use serde_json::{Value, json};

use super::emit;
use crate::agent::{Request, Source};
use crate::app::{self, App, Remote};
use crate::devices::Registry;
use crate::devices::zigbee::{BackendSettings, ZigbeeBackend};

/// The user the audit log names for a set from this shell.
const CLI_USER: &str = "cli";
/// How long this process waits for the stick to start when it opens it itself.
const START_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Subcommand)]
pub(super) enum ZigbeeCommand {
    /// The stick and the network: coordinator address, channel, PAN id, devices
    Info,
    /// The devices: IEEE address, name, area, model, entities
    Devices,
    /// Open the network for joining; shows a countdown and the devices that join
    PermitJoin {
        /// Seconds to stay open, 1–254 (zigbee.permit_join_s when absent)
        #[arg(value_parser = clap::value_parser!(u64).range(1..=254))]
        seconds: Option<u64>,
    },
    /// Set a device: state=on|off|toggle, brightness_pct=40, color_temp=370, xy_color=0.3,0.3…
    Set {
        /// IEEE address, the 8 hex digits of its entity ids, or its name
        device: String,
        /// KEY=VALUE words
        #[arg(required = true)]
        values: Vec<String>,
    },
    /// Read a device's state now
    Get {
        /// IEEE address, the 8 hex digits of its entity ids, or its name
        device: String,
    },
    /// Write the network's backup (channel, ids, key: keep it private) to PATH, mode 0600
    Backup {
        /// The file to write (on the hub, when the daemon runs)
        path: PathBuf,
    },
}

/// Runs one `mirai zigbee` command: through the daemon when it runs, else on the stick here.
pub(super) fn run(app: &App, cmd: ZigbeeCommand, json: bool) -> anyhow::Result<ExitCode> {
    match Remote::find(app.config()) {
        Some(remote) => remotely(&remote, cmd, json),
        None => locally(app, cmd, json),
    }
}

fn remotely(remote: &Remote, cmd: ZigbeeCommand, json: bool) -> anyhow::Result<ExitCode> {
    let hub = remote.base().to_owned();
    let via = |what: &str| format!("the hub at {hub} could not {what}");
    let path = |device: &str| format!("/api/zigbee/devices/{}", encode(device));
    match cmd {
        ZigbeeCommand::Info => info(
            &remote.get("/api/zigbee").with_context(|| via("say"))?,
            json,
        ),
        ZigbeeCommand::Devices => {
            let devices = remote.get("/api/zigbee/devices");
            list(&devices.with_context(|| via("list the devices"))?, json)
        }
        ZigbeeCommand::Get { device } => {
            let got = remote.get(&path(&device));
            show(&got.with_context(|| via("read the device"))?, json)
        }
        ZigbeeCommand::Set { device, values } => {
            let set = remote.post(&path(&device), json!({"values": values}));
            show(&set.with_context(|| via("set the device"))?, json)
        }
        ZigbeeCommand::PermitJoin { seconds } => {
            // The daemon's default when absent; the stream ends when it closes.
            let within = Duration::from_secs(seconds.unwrap_or(254));
            let mut progress = Progress::new(json);
            let body = json!({"seconds": seconds});
            let streamed = remote.post_lines("/api/zigbee/permit_join", body, within, &mut |l| {
                progress.step(&l);
            });
            streamed.with_context(|| via("open the network"))?;
            progress.finish()
        }
        ZigbeeCommand::Backup { path } => {
            let body = json!({"path": path.display().to_string()});
            let done = remote.post("/api/zigbee/backup", body);
            saved(&done.with_context(|| via("write the backup"))?, json)
        }
    }
}

fn locally(app: &App, cmd: ZigbeeCommand, json: bool) -> anyhow::Result<ExitCode> {
    let settings = app.zigbee_settings()?;
    let port = settings.port.clone();
    let zigbee = match app.zigbee()? {
        Some(zigbee) => zigbee,
        None => {
            let mut settings = BackendSettings::new(settings);
            settings.labels = app::zigbee_labels(app.config());
            let backend = ZigbeeBackend::start(settings, Some(app.memory()?))
                .context("cannot start the Zigbee driver's thread")?;
            Arc::new(backend)
        }
    };
    if !matches!(cmd, ZigbeeCommand::Devices) && !zigbee.wait_started(START_WAIT) {
        let why = zigbee.status().error;
        let why = why.unwrap_or_else(|| "no answer in time".into());
        bail!("cannot reach the Zigbee stick at {port}: {why}");
    }
    let find = |text: &str| zigbee.find(text).map_err(|no| anyhow::anyhow!(no));
    match cmd {
        ZigbeeCommand::Info => info(&zigbee.info(), json),
        ZigbeeCommand::Devices => list(&json!(zigbee.device_list()), json),
        ZigbeeCommand::Get { device } => show(&zigbee.read(find(&device)?)?, json),
        ZigbeeCommand::Set { device, values } => set(app, &zigbee, find(&device)?, &values, json),
        ZigbeeCommand::PermitJoin { seconds } => {
            let within = seconds.map_or(zigbee.permit_join_default(), Duration::from_secs);
            let mut progress = Progress::new(json);
            zigbee.permit_join_run(within, &mut |l| progress.step(l));
            progress.finish()
        }
        ZigbeeCommand::Backup { path } => saved(&zigbee.backup(path)?, json),
    }
}

/// A set here: through an agent over this stick, so it passes the action gate and is audited.
fn set(
    app: &App,
    zigbee: &Arc<ZigbeeBackend>,
    ieee: u64,
    values: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let call = zigbee
        .call_for(ieee, values)
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut registry = Registry::new();
    registry.add(zigbee.clone());
    let agent = app.agent_over(registry, true)?;
    let session = format!("zigbee-cli-{}", std::process::id());
    let words = values.join(" ");
    let asked = Request::new(
        format!("zigbee set {ieee:016x} {words}"),
        Source::Cli,
        CLI_USER,
        &session,
    );
    let report = agent.act(&asked, &call);
    let mut device = zigbee.device(ieee).unwrap_or_else(|| json!({}));
    device["action"] = json!(report);
    show(&device, json)?;
    if report.outcome != "done" {
        bail!(
            "{ieee:016x} did not take {words}: {} ({})",
            report.detail,
            report.outcome
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A path segment with the characters a URL path cannot carry escaped.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn info(v: &Value, json: bool) -> anyhow::Result<ExitCode> {
    emit(json, v, || {
        let text = |key: &str| match &v[key] {
            Value::String(s) => s.clone(),
            Value::Null => "-".into(),
            other => other.to_string(),
        };
        let link = if v["connected"] == true {
            "connected".to_owned()
        } else {
            format!("not connected: {}", text("error"))
        };
        format!(
            "port      {}\nlink      {link}\nieee      {}\nchannel   {}\npan id    {}\ndevices   {}\n",
            text("port"),
            text("ieee"),
            text("channel"),
            text("pan_id"),
            text("devices"),
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

fn list(devices: &Value, json: bool) -> anyhow::Result<ExitCode> {
    let listed = devices.as_array().cloned().unwrap_or_default();
    emit(json, &listed, || {
        if listed.is_empty() {
            return "no devices: open the network with `mirai zigbee permit-join`\n".into();
        }
        let line = |v: &Value| {
            format!(
                "{}  {:<24} {:<12} {:<24} {} entities{}\n",
                v["ieee"].as_str().unwrap_or(""),
                v["name"].as_str().unwrap_or(""),
                v["area"].as_str().unwrap_or("-"),
                v["model"].as_str().unwrap_or("-"),
                v["entities"].as_array().map_or(0, Vec::len),
                if v["interviewed"] == true {
                    ""
                } else {
                    " (setting up)"
                },
            )
        };
        listed.iter().map(line).collect()
    })?;
    Ok(ExitCode::SUCCESS)
}

fn show(device: &Value, json: bool) -> anyhow::Result<ExitCode> {
    let entities = device["entities"].as_array().cloned().unwrap_or_default();
    emit(json, device, || {
        let name = device["name"].as_str().unwrap_or("");
        let mut out = format!("{} ({name})\n", device["ieee"].as_str().unwrap_or(""));
        for e in &entities {
            let unit = e["attributes"]["unit_of_measurement"]
                .as_str()
                .unwrap_or("");
            out.push_str(&format!(
                "  {:<40} {}{unit}\n",
                e["id"].as_str().unwrap_or(""),
                e["state"].as_str().unwrap_or("")
            ));
        }
        out
    })?;
    Ok(ExitCode::SUCCESS)
}

fn saved(v: &Value, json: bool) -> anyhow::Result<ExitCode> {
    emit(json, v, || {
        format!(
            "backup written to {} (channel {}, PAN id {}); it holds the network key: keep it private\n",
            v["path"].as_str().unwrap_or(""),
            v["channel"],
            v["pan_id"].as_str().unwrap_or("")
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

/// How permit join shows its lines: with `--json` each as it comes; else one line per
/// device and a countdown line, redrawn in place in a terminal.
struct Progress {
    json: bool,
    joined: usize,
    failed: Option<String>,
}

impl Progress {
    fn new(json: bool) -> Progress {
        Progress {
            json,
            joined: 0,
            failed: None,
        }
    }

    fn step(&mut self, line: &Value) {
        if self.json {
            println!("{line}");
            return;
        }
        let device = &line["device"];
        let ieee = device["ieee"].as_str().unwrap_or("");
        match line["event"].as_str().unwrap_or("") {
            "open" => {
                print!("\ropen for joining: {:>3} s left ", line["seconds_left"]);
                let _ = std::io::stdout().flush();
            }
            "joined" => println!("\rjoined: {ieee}, setting it up…"),
            "ready" => {
                self.joined += 1;
                let entities = device["entities"].as_array().map_or(0, Vec::len);
                println!(
                    "\rready: {ieee} {} ({entities} entities)",
                    device["name"].as_str().unwrap_or("")
                );
            }
            "closed" => println!("\rclosed; {} device(s) joined        ", line["joined"]),
            "failed" => self.failed = line["error"].as_str().map(str::to_owned),
            _ => {}
        }
    }

    fn finish(self) -> anyhow::Result<ExitCode> {
        match self.failed {
            Some(why) => bail!("cannot open the Zigbee network: {why}"),
            None => Ok(ExitCode::SUCCESS),
        }
    }
}

//! `mirai zigbee2mqtt …`: the Zigbee2MQTT beside the hub from a shell: its devices and the
//! entities MIRAI made of them, and permit join.
//!
//! When a daemon runs ([`Remote::find`]) both go through its API (`/api/zigbee2mqtt/…`), so
//! one link serves both; otherwise this process connects for the moment with a client id of
//! its own (a shared id would throw the daemon's session off the broker).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use serde_json::{Value, json};

use super::emit;
use crate::app::{self, App, Remote};
use crate::devices::zigbee2mqtt::Zigbee2Mqtt;

/// How long this process waits for the broker and Zigbee2MQTT's retained messages.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Subcommand)]
pub(super) enum Z2mCommand {
    /// The devices Zigbee2MQTT lists, with MIRAI's entities for each
    Devices,
    /// Let new devices join for SECONDS (0 closes the network; Zigbee2MQTT's limit is 254)
    PermitJoin {
        /// Seconds, 0 to 254
        #[arg(default_value_t = 254, value_parser = clap::value_parser!(u32).range(0..=254))]
        seconds: u32,
    },
}

/// Runs one `mirai zigbee2mqtt` command: through the daemon when it runs, else here.
pub(super) fn run(app: &App, cmd: Z2mCommand, json: bool) -> anyhow::Result<ExitCode> {
    let answer = match Remote::find(app.config()) {
        Some(remote) => {
            let via = format!("the hub at {}", remote.base());
            match cmd {
                Z2mCommand::Devices => remote.get("/api/zigbee2mqtt/devices"),
                Z2mCommand::PermitJoin { seconds } => {
                    remote.post("/api/zigbee2mqtt/permit_join", json!({"time": seconds}))
                }
            }
            .with_context(|| format!("{via} could not ask Zigbee2MQTT"))?
        }
        None => locally(app, &cmd)?,
    };
    match cmd {
        Z2mCommand::Devices => devices(&answer, json),
        Z2mCommand::PermitJoin { seconds } => permitted(&answer, seconds, json),
    }
}

fn locally(app: &App, cmd: &Z2mCommand) -> anyhow::Result<Value> {
    let mut settings = app::z2m_settings(app.config())?;
    settings.client_id = format!("{}-cli-{}", settings.client_id, std::process::id());
    let z = Zigbee2Mqtt::start(settings).context("cannot start the Zigbee2MQTT link")?;
    let listed = z.wait_listed(CONNECT_WAIT);
    let status = z.status();
    if !status.connected {
        let why = status.error.unwrap_or_else(|| "no answer in time".into());
        bail!("cannot reach Zigbee2MQTT's broker: {why}");
    }
    match cmd {
        Z2mCommand::Devices if !listed => {
            bail!("Zigbee2MQTT published no device list (is it running, with this base topic?)")
        }
        Z2mCommand::Devices => Ok(z.device_list()),
        Z2mCommand::PermitJoin { seconds } => {
            let data = z.permit_join(*seconds)?;
            Ok(json!({"status": "ok", "data": data}))
        }
    }
}

fn devices(answer: &Value, json: bool) -> anyhow::Result<ExitCode> {
    emit(json, answer, || {
        let listed = answer["devices"].as_array().cloned().unwrap_or_default();
        if listed.is_empty() {
            return "no devices: let one join with `mirai zigbee2mqtt permit-join`\n".into();
        }
        let text = |v: &Value, k: &str| v[k].as_str().unwrap_or("-").to_owned();
        let line = |d: &Value| {
            let entities: Vec<&str> = (d["entities"].as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect();
            format!(
                "{:<24} {:<20} {:<14} {:<8} {}\n",
                text(d, "friendly_name"),
                text(d, "ieee_address"),
                text(d, "model"),
                if d["available"] == true {
                    "online"
                } else {
                    "offline"
                },
                if entities.is_empty() {
                    "-".into()
                } else {
                    entities.join(" ")
                }
            )
        };
        listed.iter().map(line).collect()
    })?;
    Ok(ExitCode::SUCCESS)
}

fn permitted(answer: &Value, seconds: u32, json: bool) -> anyhow::Result<ExitCode> {
    emit(json, answer, || {
        if seconds == 0 {
            "joining closed\n".into()
        } else {
            format!("devices may join for {seconds} s: put one in pairing mode now\n")
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

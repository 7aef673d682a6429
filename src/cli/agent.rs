//! `mirai ask`, `mirai terminal` and `mirai devices`: the agent and the house from a shell.
//!
//! When a daemon is running they go through its API ([`Remote`]), so that only the daemon
//! opens the hardware; `--local` (or no daemon) runs the agent in this process.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;

use super::emit;
use crate::agent::{Reply, Request, Source};
use crate::app::{AgentHub, AgentTerminal, App, Remote};
use crate::frontends::terminal::TerminalHost;
use crate::frontends::terminal::TerminalOptions;

/// The session `mirai ask` uses unless told otherwise, so that a "yes" in a second call
/// confirms what the first one asked.
const ASK_SESSION: &str = "cli";

#[derive(Debug, Args)]
pub(super) struct AskArgs {
    /// What to ask or tell
    #[arg(value_parser = words)]
    text: String,
    /// Conversation session
    #[arg(long, default_value = ASK_SESSION)]
    session: String,
    /// Who is asking [default: $USER, else "owner"]
    #[arg(long)]
    user: Option<String>,
    /// Use the simulated demo house
    #[arg(long)]
    demo: bool,
    /// Run in this process even when a daemon is running
    #[arg(long)]
    local: bool,
}

#[derive(Debug, Args)]
pub(super) struct TerminalArgs {
    /// Continue this session [default: a new one]
    #[arg(long)]
    session: Option<String>,
    /// Who is talking [default: $USER, else "owner"]
    #[arg(long)]
    user: Option<String>,
    /// Use the simulated demo house
    #[arg(long)]
    demo: bool,
    /// Run in this process even when a daemon is running
    #[arg(long)]
    local: bool,
    /// No colours (also NO_COLOR)
    #[arg(long)]
    no_color: bool,
}

#[derive(Debug, Args)]
pub(super) struct DevicesArgs {
    /// Use the simulated demo house
    #[arg(long)]
    demo: bool,
    /// Run in this process even when a daemon is running
    #[arg(long)]
    local: bool,
}

/// Refuses a request with nothing in it before anything starts.
fn words(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(
            "nothing to ask: give the words, e.g. mirai ask \"turn on the kitchen light\"".into(),
        );
    }
    Ok(text.to_owned())
}

/// The user of this shell.
pub(super) fn shell_user(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("USER").ok())
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "owner".into())
}

/// The running daemon, unless `local` asks for this process; says so when `--demo` is moot.
fn daemon(app: &App, local: bool, demo: bool) -> Option<Remote> {
    if local {
        return None;
    }
    let remote = Remote::find(app.config())?;
    if demo {
        eprintln!(
            "warning: --demo ignored: the running hub decides the devices (--local to use the demo house here)"
        );
    }
    Some(remote)
}

pub(super) fn ask(app: &App, args: AskArgs, json: bool) -> anyhow::Result<ExitCode> {
    let user = shell_user(args.user);
    let request = Request::new(args.text, Source::Cli, &user, &args.session);
    let reply = match daemon(app, args.local, args.demo) {
        Some(remote) => remote.ask(&request)?,
        None => {
            let agent = app.agent(args.demo)?;
            app.wait_for_devices()?;
            agent.handle(&request)
        }
    };
    emit(json, &reply.to_json(), || reply_text(&reply))?;
    Ok(ExitCode::SUCCESS)
}

/// A reply for people: the words, then what was done.
pub(super) fn reply_text(reply: &Reply) -> String {
    let mut out = format!("{}\n", reply.text);
    for a in &reply.actions {
        let mark = match a.outcome.as_str() {
            "done" => "✓",
            "pending_confirmation" => "?",
            _ => "✗",
        };
        out.push_str(&format!(
            "  {mark} {} {}: {}\n",
            a.call.entity_id, a.call.service, a.detail
        ));
    }
    if !reply.pending_confirmation.is_empty() {
        out.push_str("  (say yes to confirm, e.g. `mirai ask yes`)\n");
    }
    out
}

pub(super) fn terminal(app: &App, args: TerminalArgs) -> anyhow::Result<ExitCode> {
    if !app.config().settings().services.terminal.enabled {
        anyhow::bail!("the terminal is switched off (services.terminal.enabled: false)");
    }
    let host: Arc<dyn TerminalHost> = match daemon(app, args.local, args.demo) {
        Some(remote) => {
            eprintln!("connected to the running hub at {}", remote.base());
            Arc::new(remote)
        }
        None => {
            let agent = app.agent(args.demo)?;
            app.wait_for_devices()?;
            let hub = AgentHub::new(Arc::new(agent));
            hub.set_ready();
            Arc::new(AgentTerminal(Arc::new(hub)))
        }
    };
    let opts = TerminalOptions {
        user: shell_user(args.user),
        session: args.session,
        history_file: app
            .config()
            .data_dir()
            .join(&app.config().settings().services.terminal.history_file),
        color: !args.no_color,
    };
    crate::frontends::terminal::run(host, opts)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn devices(app: &App, args: DevicesArgs, json: bool) -> anyhow::Result<ExitCode> {
    // The daemon's API lists entities only, so a listing through it has no areas.
    let (areas, entities) = match daemon(app, args.local, args.demo) {
        Some(remote) => (Vec::new(), remote.devices()?),
        None => {
            let registry = app.registry(args.demo)?;
            app.wait_for_devices()?;
            (registry.areas(), registry.entities())
        }
    };
    #[derive(Serialize)]
    struct Listing<'a> {
        areas: Vec<crate::devices::Area>,
        entities: &'a [crate::devices::Entity],
    }
    let listing = Listing {
        areas,
        entities: &entities,
    };
    emit(json, &listing, || {
        if entities.is_empty() {
            return "no devices: configure a back end, or try --demo\n".into();
        }
        entities
            .iter()
            .map(|e| {
                let area = e.area.as_deref().unwrap_or("-");
                format!("{:<34} {:<24} {:<12} {}\n", e.id, e.name, area, e.state)
            })
            .collect()
    })?;
    Ok(ExitCode::SUCCESS)
}

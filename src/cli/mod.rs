//! The command line: flags and subcommands, what each prints, and exit codes.
//!
//! Exit codes: 0 success; 1 the command ran and failed (an unhealthy hub, an I/O error, a
//! database that cannot be opened); 2 the command line or the config is wrong.

mod agent;
mod board;
mod facts;
mod memory;
mod tasks;
mod zigbee;
mod zigbee2mqtt;
mod zwave;
mod zwave_progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::app::{self, App};
use crate::config::{Config, ConfigError, Env, LoadOptions};
use crate::telemetry::health;
use crate::telemetry::identity::Identity;
use crate::telemetry::version::BuildInfo;

/// Exit code for a command that ran and failed.
const EXIT_FAILURE: u8 = 1;
/// Exit code for a wrong command line or config.
const EXIT_USAGE: u8 = 2;

/// MIRAI, a home agent for Raspberry Pi-class hubs.
#[derive(Debug, Parser)]
#[command(
    name = "mirai",
    version,
    about = "MIRAI, a home agent for Raspberry Pi-class hubs",
    after_help = EXIT_HELP
)]
struct Cli {
    /// Config file [default: configs/mirai.yaml, else /etc/mirai/mirai.yaml, else built-in]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Runtime folder (database, logs, identity); overrides `data_dir` in the config
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Log level: error, warn, info, debug, trace, or `info,mirai::memory=debug`
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

const EXIT_HELP: &str = "The plan's spelling works too: `mirai --mode ask \"…\"` is `mirai ask \"…\"`.\n\
Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.";

/// Rewrites the plan's `--mode NAME` (or `--mode=NAME`), given before the subcommand, into
/// the subcommand `NAME`: `mirai --mode ask "вопрос"` runs `mirai ask "вопрос"`. An unknown
/// mode then fails as an unknown subcommand, listing the real ones.
fn plan_spelling(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const VALUED: [&str; 3] = ["--config", "--data-dir", "--log-level"];
    let mut args: Vec<std::ffi::OsString> = args.collect();
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_string_lossy().into_owned();
        if arg == "--mode" && i + 1 < args.len() {
            args.remove(i);
            let mode = args.remove(i);
            args.insert(1, mode);
            break;
        } else if let Some(mode) = arg.strip_prefix("--mode=") {
            let mode = mode.to_owned().into();
            args.remove(i);
            args.insert(1, mode);
            break;
        } else if VALUED.contains(&arg.as_str()) {
            i += 2;
        } else if arg.starts_with('-') {
            i += 1;
        } else {
            break; // the subcommand: anything after it is its own
        }
    }
    args
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the hub daemon: HTTP API and status page, MQTT voice commands
    Serve {
        /// Use the simulated demo house
        #[arg(long)]
        demo: bool,
        /// Remove this hub's device from Home Assistant (MQTT discovery) and exit
        #[arg(long)]
        unregister: bool,
    },
    /// Run the status page and HTTP API alone (no MQTT)
    Dashboard {
        /// Use the simulated demo house
        #[arg(long)]
        demo: bool,
    },
    /// Run the autonomous scheduler alone (with MQTT to speak its results; no HTTP API)
    Autonomous {
        /// Use the simulated demo house
        #[arg(long)]
        demo: bool,
    },
    /// The autonomous tasks: list, add, cancel, run-now, history
    #[command(subcommand)]
    Tasks(tasks::TasksCommand),
    /// Ask or tell MIRAI something and print the reply
    Ask(agent::AskArgs),
    /// An interactive session with MIRAI (line editing, history, /help)
    Terminal(agent::TerminalArgs),
    /// List the devices and their state
    Devices(agent::DevicesArgs),
    /// Print the version, build facts and (with --json) the hub's identity
    Version,
    /// Check that the hub can work: config, data folder, disk, database, API key, model endpoint
    Health {
        /// Also ask the fast model to "Say OK" (costs a few tokens)
        #[arg(long)]
        llm: bool,
    },
    /// Check or show the config
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Read and manage the memory database
    #[command(subcommand)]
    Memory(memory::MemoryCommand),
    /// The Z-Wave stick: info, nodes, set, get, include, exclude (through the daemon when it runs)
    #[command(
        subcommand,
        after_help = "These open the stick in this process: stop `mirai serve` first if it \
                      drives the stick. (Going through the running daemon's API is a later step.)"
    )]
    Zwave(zwave::ZwaveCommand),
    /// The Zigbee stick: info, devices, permit-join, set, get, backup (through the daemon when
    /// it runs)
    #[command(subcommand)]
    Zigbee(zigbee::ZigbeeCommand),
    /// The board: detected model, profile in use, GPIO pins and availability, serial paths
    Board(board::BoardArgs),
    /// Zigbee2MQTT beside the hub: its devices, permit join (through the daemon when it runs)
    #[command(subcommand)]
    Zigbee2mqtt(zigbee2mqtt::Z2mCommand),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the config; exit 2 with the key, line and column of the first problem
    Check {
        /// Also print the effective config (defaults, file and environment), secrets redacted
        #[arg(long)]
        print: bool,
    },
}

/// Parses the command line, runs it and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(plan_spelling(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mirai: error: {err:#}");
            let config_error = err
                .chain()
                .any(|c| c.downcast_ref::<ConfigError>().is_some());
            ExitCode::from(if config_error {
                EXIT_USAGE
            } else {
                EXIT_FAILURE
            })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let lvl = level(&cli).map(str::to_owned);
    let lvl = lvl.as_deref();
    let opts = LoadOptions {
        path: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
    };
    match cli.command {
        Command::Version => version(&cli, &opts),
        Command::Health { llm } => health(&cli, &opts, llm),
        Command::Config(ConfigCommand::Check { print }) => config_check(&cli, &opts, print),
        Command::Serve { demo, unregister } => {
            // The daemon logs at monitoring.logs.level unless --log-level says otherwise.
            let app = App::start(&opts, cli.log_level.as_deref())?;
            if unregister {
                crate::app::unregister(&app)?;
                println!("removed from Home Assistant");
            } else {
                crate::app::serve(&app, demo, crate::app::Mode::Hub)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Dashboard { demo } => {
            let app = App::start(&opts, cli.log_level.as_deref())?;
            crate::app::serve(&app, demo, crate::app::Mode::Dashboard)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Autonomous { demo } => {
            let app = App::start(&opts, cli.log_level.as_deref())?;
            crate::app::serve(&app, demo, crate::app::Mode::Autonomous)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tasks(cmd) => tasks::run(&App::start(&opts, lvl)?, cmd, cli.json),
        Command::Ask(args) => agent::ask(&App::start(&opts, lvl)?, args, cli.json),
        Command::Terminal(args) => agent::terminal(&App::start(&opts, lvl)?, args),
        Command::Devices(args) => agent::devices(&App::start(&opts, lvl)?, args, cli.json),
        Command::Memory(cmd) => {
            let app = App::start(&opts, lvl)?;
            memory::run(&app, cmd, cli.json)
        }
        Command::Zwave(cmd) => zwave::run(&App::start(&opts, lvl)?, cmd, cli.json),
        Command::Zigbee(cmd) => zigbee::run(&App::start(&opts, lvl)?, cmd, cli.json),
        Command::Board(args) => board::run(&App::start(&opts, lvl)?, args, cli.json),
        Command::Zigbee2mqtt(cmd) => zigbee2mqtt::run(&App::start(&opts, lvl)?, cmd, cli.json),
    }
}

/// The log level of a command run by a person: warnings and errors on stderr unless
/// `--log-level` says otherwise, so replies are not buried in log lines. (The daemon logs at
/// `monitoring.logs.level`.)
fn level(cli: &Cli) -> Option<&str> {
    Some(cli.log_level.as_deref().unwrap_or(INTERACTIVE_LOG_LEVEL))
}

/// See [`level`].
const INTERACTIVE_LOG_LEVEL: &str = "warn";

/// Prints `value` as JSON, or `text` for people.
fn emit<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{}", text());
    }
    Ok(())
}

fn version(cli: &Cli, opts: &LoadOptions) -> anyhow::Result<ExitCode> {
    let build = BuildInfo::current();
    if !cli.json {
        println!("{}", build.long_line());
        return Ok(ExitCode::SUCCESS);
    }
    let app = App::start(opts, level(cli))?;
    let stats = app.memory().and_then(|m| Ok(m.stats()?));
    let identity = Identity::new(app.config(), stats.ok());
    if let Err(e) = identity.write_to(app.config().data_dir()) {
        tracing::warn!(cause = %e, "cannot write the identity file");
    }
    emit(true, &identity, String::new)?;
    Ok(ExitCode::SUCCESS)
}

fn health(cli: &Cli, opts: &LoadOptions, say_ok: bool) -> anyhow::Result<ExitCode> {
    let loaded = App::start(opts, level(cli));
    let mut report = match &loaded {
        Ok(app) => health::run(Ok(app.config()), &app::memory_settings(app.config())),
        Err(e) => health::run(Err(format!("{e:#}")), &Default::default()),
    };
    if let Ok(app) = &loaded {
        match app.llm() {
            Ok(llm) => {
                let url = &app.config().settings().openai.base_url;
                health::check_llm(&mut report, &llm, url, say_ok);
            }
            Err(e) => report.push("llm", health::Status::Fail, format!("{e:#}")),
        }
        board::health_check(app, &mut report);
        let stats = app.memory().and_then(|m| Ok(m.stats()?)).ok();
        let _ = Identity::new(app.config(), stats).write_to(app.config().data_dir());
    }
    emit(cli.json, &report, || report.to_text())?;
    Ok(match report.status {
        health::Status::Fail => ExitCode::from(EXIT_FAILURE),
        _ => ExitCode::SUCCESS,
    })
}

fn config_check(cli: &Cli, opts: &LoadOptions, print: bool) -> anyhow::Result<ExitCode> {
    let config = Config::load(opts, &Env::process())?;
    #[derive(Serialize)]
    struct Checked<'a> {
        valid: bool,
        origin: String,
        overrides: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        effective: Option<&'a crate::config::Settings>,
        openai_key: Option<&'a crate::config::SecretSource>,
    }
    let checked = Checked {
        valid: true,
        origin: config.origin().to_string(),
        overrides: config.overrides(),
        effective: print.then(|| config.settings()),
        openai_key: config.openai_key().map(|k| &k.source),
    };
    emit(cli.json, &checked, || {
        let head = format!("config ok: {}\n", config.origin());
        if print {
            head + &config.to_redacted_yaml()
        } else {
            head
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

//! `mirai board`: what the machine says it is, the board profile in use and how it was
//! chosen, its pins as the config fills them in, whether GPIO can be opened here, and which
//! of the profile's serial paths exist.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use super::emit;
use crate::app::ButtonAction;
use crate::app::{self, App, GpioPlan};
use crate::board::{self, Board};
use crate::devices::gpio::{GpioError, RppalPins};
use crate::telemetry::health::{Report, Status};

/// `mirai board` flags.
#[derive(Debug, Args)]
pub(super) struct BoardArgs {
    /// Read the device-tree model from this file instead of /proc/device-tree/model
    #[arg(long, value_name = "PATH")]
    model_file: Option<PathBuf>,
}

/// Whether GPIO can be opened on this machine.
#[derive(Debug, Serialize)]
struct GpioState {
    available: bool,
    error: Option<String>,
    enabled: bool,
    plan: GpioPlan,
    relays: Vec<(u8, String)>,
}

/// One kind of stick's paths: the profile's patterns and those that exist.
#[derive(Debug, Serialize)]
struct SerialState {
    patterns: Vec<String>,
    present: Vec<PathBuf>,
    configured: Option<String>,
}

#[derive(Debug, Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    board: &'a Board,
    setting: &'a str,
    gpio: GpioState,
    zwave: SerialState,
    zigbee: SerialState,
}

/// Prints the board.
pub(super) fn run(app: &App, args: BoardArgs, json: bool) -> anyhow::Result<ExitCode> {
    let setting = &app.config().settings().board;
    let paths = args
        .model_file
        .map_or_else(board::default_model_paths, |p| vec![p]);
    let board = board::resolve(setting, &paths).with_context(|| format!("board: {setting}"))?;
    let opened = RppalPins::open();
    let cfg = app.config().settings();
    let plan = app::gpio_plan(&cfg.gpio, &board.profile);
    let relays = plan
        .relays
        .iter()
        .map(|r| (r.pin, r.name.clone()))
        .collect();
    let gpio = GpioState {
        available: opened.is_ok(),
        error: opened.err().map(|e| match e {
            GpioError::Unavailable(why) => why,
            other => other.to_string(),
        }),
        enabled: cfg.gpio.enabled,
        plan,
        relays,
    };
    let serial = |patterns: &[String], configured: Option<String>| SerialState {
        patterns: patterns.to_vec(),
        present: board::existing(patterns),
        configured,
    };
    let shown = Shown {
        board: &board,
        setting,
        gpio,
        zwave: serial(&board.profile.serial.zwave, cfg.zwave.port.clone()),
        zigbee: serial(&board.profile.serial.zigbee, None),
    };
    emit(json, &shown, || text(&shown))?;
    Ok(ExitCode::SUCCESS)
}

fn text(s: &Shown) -> String {
    let d = &s.board.detected;
    let mut out = match (&d.model, &d.source) {
        (Some(m), Some(src)) => format!("model:   {m} (from {})\n", src.display()),
        _ => "model:   none found (no device tree)\n".to_owned(),
    };
    let how = match s.board.choice {
        board::Choice::Detected => "detected",
        board::Choice::Unknown => "not recognised",
        board::Choice::Named | board::Choice::File => "from the config",
    };
    let p = &s.board.profile;
    out += &format!(
        "profile: {} ({how}; board: {}), target {}\n",
        p.name, s.setting, p.target
    );
    if let Some(note) = &s.board.note {
        out += &format!("note:    {note}\n");
    }
    let g = &s.gpio;
    out += &match &g.error {
        None => format!(
            "gpio:    available, {}\n",
            if g.enabled {
                "enabled"
            } else {
                "not enabled (gpio.enabled)"
            }
        ),
        Some(e) => format!("gpio:    unavailable: {e}\n"),
    };
    if let Some(led) = g.plan.led {
        out += &format!("  status LED: GPIO{}{}\n", led.pin, low(led.active_low));
    }
    if let Some(b) = &g.plan.button {
        out += &format!(
            "  button:     GPIO{}{}, {} ms debounce, {}\n",
            b.pin,
            low(b.active_low),
            b.debounce.as_millis(),
            match &b.action {
                ButtonAction::Ask(text) => format!("asks {text:?}"),
                ButtonAction::PushToTalk(site) => format!("push-to-talk (site {site})"),
            }
        );
    }
    for r in &g.plan.relays {
        out += &format!(
            "  relay:      GPIO{}{} {:?} (switch.gpio_{})\n",
            r.pin,
            low(r.active_low),
            r.name,
            r.pin
        );
    }
    for (name, serial) in [("zwave", &s.zwave), ("zigbee", &s.zigbee)] {
        let present: Vec<String> = serial
            .present
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let found = if present.is_empty() {
            "no stick found at the profile's paths".to_owned()
        } else {
            format!("found {}", present.join(", "))
        };
        out += &format!("{:<9}{found}\n", format!("{name}:"));
        if let Some(port) = &serial.configured {
            out += &format!("  port set in the config: {port}\n");
        }
    }
    out
}

fn low(active_low: bool) -> &'static str {
    if active_low { " (active low)" } else { "" }
}

/// Adds the GPIO check to `mirai health` when `gpio.enabled`: unavailable is a warning (the
/// hub works without it).
pub(super) fn health_check(app: &App, report: &mut Report) {
    if !app.config().settings().gpio.enabled {
        return;
    }
    match RppalPins::open() {
        Ok(_) => report.push("gpio", Status::Ok, "available"),
        Err(e) => report.push(
            "gpio",
            Status::Warn,
            format!("{e}; the hub works without it"),
        ),
    }
}

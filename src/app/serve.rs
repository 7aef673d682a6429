//! `mirai serve`: the hub daemon. It owns the front ends (HTTP, MQTT), tells systemd when it is
//! ready and that it is alive, and shuts down in order on SIGTERM or SIGINT.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::signal::unix::{SignalKind, signal};

use super::{AgentHub, App};
use crate::agent::{Upkeep, UpkeepSettings};
use crate::config::Config;
use crate::memory::{CHECKPOINT_EVERY, Checkpointer};
use crate::telemetry::systemd;

/// How long the front ends get to finish in-flight requests after the stop signal.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);
/// Async worker threads: a Pi has four cores and little memory; blocking work (SQLite, the
/// model client, tiny_http) runs on its own threads.
const WORKERS: usize = 2;
/// Threads for blocking calls (agent turns) at most.
const BLOCKING_THREADS: usize = 16;

/// Why the daemon stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// SIGTERM (systemd stop).
    Terminated,
    /// SIGINT (Ctrl-C).
    Interrupted,
}

/// Which services a run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every service the config enables (`mirai serve`).
    Hub,
    /// The status page and HTTP API alone (`mirai dashboard`).
    Dashboard,
    /// The scheduler alone, with MQTT to speak its results (`mirai autonomous`).
    Autonomous,
}

/// Runs the daemon until a signal; `demo` adds the demo house.
pub fn serve(app: &App, demo: bool, mode: Mode) -> anyhow::Result<Stopped> {
    if mode == Mode::Dashboard && !app.config().settings().services.dashboard.enabled {
        anyhow::bail!("the dashboard is switched off (services.dashboard.enabled: false)");
    }
    // The daemon alone drives the GPIO header; opened first so the relays join the registry.
    app.gpio()?;
    // Checkpoints run on their own thread, so no request pays for one.
    let agent = Arc::new(app.agent_with(demo, false)?);
    let _checkpoints = Checkpointer::start(&app.config().db_path(), CHECKPOINT_EVERY)?;
    // Embeddings and facts are made in the background, never inside a request.
    let _upkeep = Upkeep::start(agent.clone(), upkeep_settings(app.config()))
        .context("cannot start the memory upkeep thread")?;
    let tz =
        crate::autonomous::tasks::time_zone(&app.config().settings().services.autonomous.timezone)
            .context("services.autonomous.timezone")?;
    let hub = Arc::new(AgentHub::new(agent).with_time_zone(tz));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(app, hub, mode))
}

/// What the memory upkeep does, from `memory.recall`.
pub fn upkeep_settings(config: &Config) -> UpkeepSettings {
    let r = &config.settings().memory.recall;
    UpkeepSettings {
        embeddings: super::embedding_model(config).is_some(),
        batch_size: r.batch_size,
        interval: Duration::from_secs(r.interval_s),
        facts: r.facts,
        idle: Duration::from_secs(u64::from(r.idle_minutes) * 60),
    }
}

/// Removes this hub's device from Home Assistant (an empty retained discovery config).
pub fn unregister(app: &App) -> anyhow::Result<()> {
    let settings = super::services::mqtt_settings(app)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(crate::frontends::mqtt::unregister(&settings))
        .context("cannot remove the hub from Home Assistant")?;
    Ok(())
}

async fn run(app: &App, hub: Arc<AgentHub>, mode: Mode) -> anyhow::Result<Stopped> {
    let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let services = super::services::start(app, hub.clone(), mode).await?;
    hub.set_ready();
    notify("READY=1");
    tracing::info!(services = %services.names(), "mirai is ready");
    let watchdog = systemd::watchdog_interval().map(|every| {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                notify("WATCHDOG=1");
            }
        })
    });
    let stopped = tokio::select! {
        _ = term.recv() => Stopped::Terminated,
        _ = int.recv() => Stopped::Interrupted,
    };
    tracing::info!(signal = ?stopped, "stopping");
    notify("STOPPING=1");
    if let Some(w) = watchdog {
        w.abort();
    }
    services.stop(SHUTDOWN_DEADLINE).await;
    Ok(stopped)
}

fn notify(state: &str) {
    if let Err(e) = systemd::notify(state) {
        tracing::warn!(cause = %e, state, "cannot notify systemd");
    }
}

//! The daemon's services: started from the config, listed on the status page, stopped in
//! order with a deadline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::gpio::{ButtonAction, GpioParts, LED_POLL, press_action};
use super::{AgentHub, App, Mode};
use crate::autonomous::tasks::time_zone;
use crate::autonomous::{Outlets, Scheduler, SchedulerSettings, Upkeep};
use crate::devices::gpio::{run_button, run_led};
use crate::frontends::http::{self, HttpServer, HttpSettings};
use crate::frontends::mqtt::{self, MqttSettings, MqttState, Outbox};

/// The running services.
pub(super) struct Services {
    http: Option<HttpServer>,
    mqtt: Option<Mqtt>,
    scheduler: Option<Arc<Scheduler>>,
    gpio: Option<GpioTasks>,
}

/// The LED and button tasks and the switch that stops them.
struct GpioTasks {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// The MQTT task and the switch that stops it.
struct Mqtt {
    task: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
    url: String,
    state: Arc<MqttState>,
}

impl Services {
    /// Their names, for the log.
    pub(super) fn names(&self) -> String {
        let mut names = Vec::new();
        if let Some(h) = &self.http {
            names.push(format!("http on {}", h.addr()));
        }
        if let Some(m) = &self.mqtt {
            names.push(format!("mqtt to {}", m.url));
        }
        if self.scheduler.is_some() {
            names.push("autonomous".into());
        }
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    /// Stops each one, waiting at most `deadline` in all.
    pub(super) async fn stop(self, deadline: Duration) {
        if let Some(g) = self.gpio {
            // The LED goes dark as its task ends.
            let _ = g.stop.send(true);
            for task in g.tasks {
                let _ = tokio::time::timeout(deadline, task).await;
            }
        }
        // The scheduler next: the task in hand finishes and its result still goes out.: the task in hand finishes and its result still goes out.
        if let Some(s) = self.scheduler {
            let stopped = tokio::task::spawn_blocking(move || s.stop());
            if tokio::time::timeout(deadline, stopped).await.is_err() {
                tracing::warn!(
                    deadline_s = deadline.as_secs(),
                    "the scheduler did not stop in time"
                );
            }
        }
        if let Some(m) = self.mqtt {
            let _ = m.stop.send(true);
            if tokio::time::timeout(deadline, m.task).await.is_err() {
                tracing::warn!(deadline_s = deadline.as_secs(), "MQTT did not stop in time");
            }
        }
        if let Some(server) = self.http {
            // tiny_http joins its workers: a blocking wait, off the async workers.
            let stopped = tokio::task::spawn_blocking(move || server.stop());
            if tokio::time::timeout(deadline, stopped).await.is_err() {
                tracing::warn!(
                    deadline_s = deadline.as_secs(),
                    "the HTTP server did not stop in time"
                );
            }
        }
    }
}

/// Starts the services of `mode`: every one the config enables for the hub; the page and
/// API alone for `dashboard`; the scheduler (and MQTT, its voice) for `autonomous`.
pub(super) async fn start(app: &App, hub: Arc<AgentHub>, mode: Mode) -> anyhow::Result<Services> {
    let s = app.config().settings();
    let mut services = Services {
        http: None,
        mqtt: None,
        gpio: None,
        scheduler: None,
    };
    let with_mqtt = mode != Mode::Dashboard;
    if let Some(ha) = app.home_assistant()? {
        if let Some(events) = ha.events() {
            hub.set_events(events.clone());
        }
        hub.add_service(
            "home_assistant",
            Arc::new(move || {
                let st = ha.status();
                match (st.connected, st.synced) {
                    (true, true) => format!(
                        "connected to {}, {} of {} entities",
                        st.version, st.entities.0, st.entities.1
                    ),
                    (true, false) => format!("connected to {}, loading entities", st.version),
                    _ => format!(
                        "disconnected: {}",
                        st.error.unwrap_or_else(|| "connecting".into())
                    ),
                }
            }),
        );
    }
    if let Some(zw) = app.zwave()? {
        hub.set_zwave(zw.clone());
        let port = app.zwave_port().unwrap_or_default();
        hub.add_service("zwave", Arc::new(move || zwave_line(&zw.status(), &port)));
    }
    if let Some(z) = app.zigbee2mqtt()? {
        hub.set_zigbee2mqtt(z.clone());
        hub.add_service("zigbee2mqtt", Arc::new(move || z2m_line(&z.status())));
    }
    if let Some(zb) = app.zigbee()? {
        hub.set_zigbee(zb.clone());
        let port = app.zigbee_port().unwrap_or_default();
        hub.add_service("zigbee", Arc::new(move || zigbee_line(&zb.status(), &port)));
    }
    let mut outlets = Outlets {
        home_assistant: app.home_assistant()?,
        mqtt: None,
    };
    if with_mqtt && s.mqtt.enabled {
        let mqtt = start_mqtt(app, hub.clone())?;
        outlets.mqtt = Some(Outbox::new(
            &s.mqtt.hub_id,
            mqtt.state.clone(),
            s.mqtt.hermes,
        ));
        services.mqtt = Some(mqtt);
    }
    let mqtt_state = services.mqtt.as_ref().map(|m| m.state.clone());
    services.gpio = start_gpio(app, &hub, mqtt_state)?;
    if mode != Mode::Dashboard {
        let on = mode == Mode::Autonomous || s.services.autonomous.enabled;
        let scheduler = start_scheduler(app, hub.clone(), outlets, on)?;
        let seen = scheduler.clone();
        hub.add_service(
            "autonomous",
            Arc::new(move || {
                let st = seen.status();
                match (st.enabled, &st.waiting) {
                    (false, _) => "off (upkeep only)".into(),
                    (true, Some(why)) => format!("waiting: {why}"),
                    (true, None) => format!("on, {} tasks", st.tasks),
                }
            }),
        );
        services.scheduler = Some(scheduler);
    }
    if s.services.dashboard.enabled && mode != Mode::Autonomous {
        let addr = SocketAddr::new(s.services.dashboard.host, s.services.dashboard.port);
        let token = http::load_or_create_token(app.config().data_dir()).with_context(|| {
            format!(
                "cannot read or create the API token in {}",
                app.config().data_dir().display()
            )
        })?;
        let server = http::start(hub.clone(), HttpSettings::new(addr, token))?;
        let listening = server.addr();
        tracing::info!(addr = %listening, "HTTP API and status page");
        hub.add_service(
            "http",
            Arc::new(move || format!("listening on {listening}")),
        );
        services.http = Some(server);
    }
    Ok(services)
}

/// The Z-Wave line of the status page.
fn zwave_line(st: &crate::devices::zwave::LinkStatus, port: &str) -> String {
    match (st.connected, st.ready) {
        (true, true) => format!(
            "on {port}, home id {:08X}, {} nodes",
            st.home_id.unwrap_or(0),
            st.nodes
        ),
        (true, false) => format!("on {port}, reading {} nodes", st.nodes),
        _ => format!(
            "not connected to {port}: {}",
            st.error.clone().unwrap_or_else(|| "starting".into())
        ),
    }
}

/// The Zigbee2MQTT line of the status page.
fn z2m_line(st: &crate::devices::zigbee2mqtt::Status) -> String {
    let bad = match st.rejected {
        0 => String::new(),
        n => format!(", {n} bad messages"),
    };
    match (st.connected, st.bridge_online) {
        (true, true) => format!(
            "online, {} devices, {} updates{bad}",
            st.devices, st.applied
        ),
        (true, false) => format!("Zigbee2MQTT offline, {} devices known{bad}", st.devices),
        _ => format!(
            "disconnected: {}",
            st.error.clone().unwrap_or_else(|| "connecting".into())
        ),
    }
}

/// The Zigbee line of the status page.
fn zigbee_line(st: &crate::devices::zigbee::LinkStatus, port: &str) -> String {
    match (st.connected, &st.error) {
        (true, None) => format!(
            "on {port}, channel {}, PAN {:04X}, {} devices",
            st.channel.unwrap_or(0),
            st.pan_id.unwrap_or(0),
            st.devices
        ),
        (true, Some(why)) => format!("on {port}: {why}"),
        (false, why) => format!(
            "not connected to {port}: {}",
            why.clone().unwrap_or_else(|| "starting".into())
        ),
    }
}

/// Starts the status LED and the button when `gpio.enabled` and the header opened; adds the
/// GPIO line to the status page either way.
fn start_gpio(
    app: &App,
    hub: &Arc<AgentHub>,
    mqtt: Option<Arc<MqttState>>,
) -> anyhow::Result<Option<GpioTasks>> {
    let Some(parts) = app.gpio()? else {
        return Ok(None);
    };
    let line = gpio_line(parts);
    hub.add_service("gpio", Arc::new(move || line.clone()));
    let Ok(pins) = &parts.pins else {
        return Ok(None);
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    if let Some(led) = parts.plan.led {
        let seen = hub.clone();
        let state = Arc::new(move || seen.light());
        let (pins, wake) = (pins.clone(), hub.activity());
        let (pin, low) = (led.pin, led.active_low);
        let task = run_led(pins, pin, low, state, wake, LED_POLL, stopped.clone());
        tasks.push(tokio::spawn(task));
    }
    if let Some(b) = parts.plan.button.clone() {
        let on_press = press_action(hub.clone(), b.action.clone(), mqtt);
        let (pins, stopped) = (pins.clone(), stopped.clone());
        tasks.push(tokio::spawn(async move {
            let run = run_button(
                pins,
                b.pin,
                b.active_low,
                b.pull,
                b.debounce,
                on_press,
                stopped,
            );
            if let Err(e) = run.await {
                tracing::warn!(cause = %e, "the button cannot be used");
            }
        }));
    }
    Ok(Some(GpioTasks { tasks, stop }))
}

/// The GPIO line of the status page.
fn gpio_line(parts: &GpioParts) -> String {
    if let Err(why) = &parts.pins {
        return format!("unavailable: {why}");
    }
    let mut used = Vec::new();
    if let Some(led) = parts.plan.led {
        used.push(format!("LED on GPIO{}", led.pin));
    }
    if let Some(b) = &parts.plan.button {
        let does = match &b.action {
            ButtonAction::Ask(text) => format!("asks {text:?}"),
            ButtonAction::PushToTalk(_) => "push-to-talk".into(),
        };
        used.push(format!("button on GPIO{} ({does})", b.pin));
    }
    if !parts.plan.relays.is_empty() {
        used.push(format!("{} relays", parts.plan.relays.len()));
    }
    if used.is_empty() {
        "available, nothing wired".into()
    } else {
        used.join(", ")
    }
}

/// The scheduler with the config's time zone, budget and upkeep, switched on or off.
fn start_scheduler(
    app: &App,
    hub: Arc<AgentHub>,
    outlets: Outlets,
    on: bool,
) -> anyhow::Result<Arc<Scheduler>> {
    let a = &app.config().settings().services.autonomous;
    let tz = time_zone(&a.timezone).context("services.autonomous.timezone")?;
    let upkeep = (!a.upkeep.trim().is_empty()).then(|| Upkeep {
        cron: a.upkeep.trim().to_owned(),
        backup_dir: (a.keep_backups > 0).then(|| app.config().data_dir().join("backups")),
        keep_backups: a.keep_backups as usize,
        identity: Some((
            crate::telemetry::identity::Identity::new(app.config(), None),
            app.config().data_dir().to_owned(),
        )),
    });
    let settings = SchedulerSettings {
        interval: Duration::from_secs(u64::from(a.interval_minutes) * 60),
        daily_tokens: (a.daily_tokens > 0).then_some(a.daily_tokens),
        tz,
        upkeep,
    };
    let agent = hub.agent().clone();
    let scheduler = Arc::new(
        Scheduler::start(hub.clone(), agent, outlets, settings, on)
            .context("cannot start the scheduler's thread")?,
    );
    hub.set_scheduler(scheduler.clone());
    Ok(scheduler)
}

/// Joins the broker in the background: the hub works, and says so, while it is away.
fn start_mqtt(app: &App, hub: Arc<AgentHub>) -> anyhow::Result<Mqtt> {
    let cfg = &app.config().settings().mqtt;
    let settings = mqtt_settings(app)?;
    let state = Arc::new(MqttState::default());
    hub.set_mqtt(state.clone());
    let seen = state.clone();
    hub.add_service(
        "mqtt",
        Arc::new(move || {
            if seen.connected() {
                "connected".into()
            } else {
                "disconnected".into()
            }
        }),
    );
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        let _ = stopped.changed().await;
    };
    let handed = state.clone();
    let task = tokio::spawn(async move {
        match mqtt::run(hub, settings, handed, shutdown).await {
            Ok(ended) => tracing::info!(?ended, "MQTT stopped"),
            Err(e) => tracing::error!(cause = %e, "MQTT gave up; the hub goes on without it"),
        }
    });
    Ok(Mqtt {
        task,
        stop,
        url: cfg.url.clone(),
        state,
    })
}

/// The MQTT front end's settings from the config and its secret.
pub(super) fn mqtt_settings(app: &App) -> anyhow::Result<MqttSettings> {
    let cfg = &app.config().settings().mqtt;
    let mut settings = MqttSettings::from_url(&cfg.url, &cfg.hub_id)?;
    settings.username = cfg.username.clone().or(settings.username);
    if let Some(p) = app.config().mqtt_password() {
        settings.password = Some(p.value.expose().to_owned());
    }
    settings.keep_alive = cfg.keep_alive;
    settings.hermes = cfg.hermes;
    settings.discovery_prefix = cfg.discovery_prefix.clone();
    settings.partial_replies = cfg.partial_replies;
    settings.ca_file = cfg.ca_file.as_deref().map(|p| app.config().in_data_dir(p));
    settings.validate()?;
    Ok(settings)
}

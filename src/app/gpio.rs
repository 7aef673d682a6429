//! The GPIO parts of a run: what the `gpio` section and the board profile say to drive, the
//! header opened once (or why it could not be), the relays as a back end, and the LED and
//! button tasks the daemon starts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::{AgentHub, App};
use crate::agent::{Request, Source};
use crate::board::{Profile, Pull};
use crate::config::{self, PUSH_TO_TALK};
use crate::devices::gpio::{Pins, Relay, Relays, RppalPins};
use crate::frontends::hub::Hub;
use crate::frontends::mqtt::MqttState;

/// The debounce time when neither the config nor the profile gives one.
const DEBOUNCE: Duration = Duration::from_millis(30);
/// How late the LED may show a change nobody announces (an opened breaker).
pub(crate) const LED_POLL: Duration = Duration::from_secs(1);

/// What to drive, the config's keys filled in from the board profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpioPlan {
    /// The status LED's pin and whether on is low.
    pub led: Option<LedPlan>,
    /// The button.
    pub button: Option<ButtonPlan>,
    /// The relays.
    #[serde(skip)]
    pub relays: Vec<Relay>,
}

/// The status LED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LedPlan {
    /// BCM number.
    pub pin: u8,
    /// On is a low output.
    pub active_low: bool,
}

/// The button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ButtonPlan {
    /// BCM number.
    pub pin: u8,
    /// Pressed reads low.
    pub active_low: bool,
    /// Its pull resistor.
    #[serde(skip)]
    pub pull: Pull,
    /// Settling time.
    #[serde(rename = "debounce_ms", serialize_with = "millis")]
    pub debounce: Duration,
    /// What a press does.
    pub action: ButtonAction,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// What a button press does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonAction {
    /// Asks these words as a request from source `gpio`.
    Ask(String),
    /// Publishes Hermes `startListening` for this site.
    PushToTalk(String),
}

/// Fills the `gpio` section in from `profile`: pins left out are the profile's; a relay's
/// active-low flag is that of the profile's relay on the same pin.
pub fn plan(gpio: &config::Gpio, profile: &Profile) -> GpioPlan {
    let pins = profile.gpio.as_ref();
    let led_pins = pins.and_then(|p| p.status_led);
    let led = gpio.led.enabled.then_some(()).and_then(|()| {
        Some(LedPlan {
            pin: gpio.led.pin.or(led_pins.map(|l| l.pin))?,
            active_low: (gpio.led.active_low).unwrap_or(led_pins.is_some_and(|l| l.active_low)),
        })
    });
    let b = &gpio.button;
    let profile_button = pins.and_then(|p| p.button);
    let button = b.action.as_ref().and_then(|action| {
        let pin = b.pin.or(profile_button.map(|p| p.pin))?;
        let same = profile_button.filter(|p| p.pin == pin);
        let active_low = (b.active_low).unwrap_or(same.is_none_or(|p| p.active_low));
        let pull = same.map_or(if active_low { Pull::Up } else { Pull::Down }, |p| p.pull);
        let debounce = (b.debounce_ms.or(same.map(|p| p.debounce_ms)))
            .map_or(DEBOUNCE, |ms| Duration::from_millis(u64::from(ms)));
        let action = if action.trim() == PUSH_TO_TALK {
            ButtonAction::PushToTalk(b.site_id.clone())
        } else {
            ButtonAction::Ask(action.trim().to_owned())
        };
        Some(ButtonPlan {
            pin,
            active_low,
            pull,
            debounce,
            action,
        })
    });
    let relays = (gpio.relays.iter())
        .map(|r| {
            let suggested = pins.and_then(|p| p.relays.iter().find(|s| s.pin == r.pin));
            Relay {
                pin: r.pin,
                name: r.name.clone(),
                area: r.area.clone(),
                active_low: r
                    .active_low
                    .unwrap_or(suggested.is_some_and(|s| s.active_low)),
            }
        })
        .collect();
    GpioPlan {
        led,
        button,
        relays,
    }
}

/// GPIO of this run: the plan, and the header or why it could not be opened.
pub(crate) struct GpioParts {
    pub(crate) plan: GpioPlan,
    pub(crate) pins: Result<Arc<dyn Pins>, String>,
    pub(crate) relays: Arc<Relays>,
}

impl App {
    /// The GPIO parts when `gpio.enabled`, the header opened once per run (by the daemon
    /// alone); on a machine without GPIO they say why and the relays are unavailable.
    pub(crate) fn gpio(&self) -> anyhow::Result<Option<&GpioParts>> {
        if !self.config.settings().gpio.enabled {
            return Ok(None);
        }
        if let Some(parts) = self.gpio.get() {
            return Ok(Some(parts));
        }
        let plan = plan(&self.config.settings().gpio, &self.board()?.profile);
        let pins: Result<Arc<dyn Pins>, String> = match RppalPins::open() {
            Ok(p) => Ok(Arc::new(p)),
            Err(e) => {
                tracing::warn!(cause = %e, "GPIO is unavailable; the hub goes on without it");
                Err(e.to_string())
            }
        };
        let relays = match &pins {
            Ok(p) => Relays::new(p.clone(), plan.relays.clone()),
            Err(why) => Relays::unavailable(plan.relays.clone(), why.clone()),
        };
        let parts = GpioParts {
            plan,
            pins,
            relays: Arc::new(relays),
        };
        Ok(Some(self.gpio.get_or_init(|| parts)))
    }
}

/// What a button press does on `hub`: asks the words on a blocking thread (a press while the
/// last one is still being answered is dropped), or publishes `startListening` through the
/// MQTT front end.
pub fn press_action(
    hub: Arc<AgentHub>,
    action: ButtonAction,
    mqtt: Option<Arc<MqttState>>,
) -> Arc<dyn Fn() + Send + Sync> {
    let busy = Arc::new(AtomicBool::new(false));
    Arc::new(move || match &action {
        ButtonAction::Ask(text) => {
            if busy.swap(true, Ordering::SeqCst) {
                tracing::info!("button pressed while the last press is answered; dropped");
                return;
            }
            let (hub, busy, text) = (hub.clone(), busy.clone(), text.clone());
            tokio::task::spawn_blocking(move || {
                let reply = hub.respond(Request::new(text, Source::Gpio, "gpio", "gpio"));
                tracing::info!(reply = %reply.text, "button request answered");
                busy.store(false, Ordering::SeqCst);
            });
        }
        ButtonAction::PushToTalk(site) => match &mqtt {
            Some(m) => {
                if let Err(e) = m.start_listening(site) {
                    tracing::warn!(cause = %e, "push-to-talk not sent");
                }
            }
            None => tracing::warn!("push-to-talk needs MQTT (mqtt.enabled)"),
        },
    })
}

//! The status LED: steady when the hub is idle, blinking while it is thinking, blinking fast
//! when something is wrong. The task wakes when the hub's activity changes, at each blink
//! edge, and at a slow poll for health (a breaker opens without telling anyone); an idle hub
//! with a steady LED costs one wake-up per poll.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::Pins;

/// What the LED shows, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HubLight {
    /// A breaker is open or a service is down: fast blink.
    Error,
    /// A request is being answered, or the hub is starting: blink.
    Thinking,
    /// Nothing to do: steady on.
    Idle,
}

/// How the LED lights: steady, or on and off in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// On all the time.
    Steady,
    /// On for `on`, off for `off`, again and again.
    Blink {
        /// Time lit.
        on: Duration,
        /// Time dark.
        off: Duration,
    },
}

impl HubLight {
    /// The pattern of this state.
    pub fn pattern(self) -> Pattern {
        match self {
            HubLight::Idle => Pattern::Steady,
            HubLight::Thinking => Pattern::Blink {
                on: Duration::from_millis(500),
                off: Duration::from_millis(500),
            },
            HubLight::Error => Pattern::Blink {
                on: Duration::from_millis(100),
                off: Duration::from_millis(100),
            },
        }
    }
}

/// Plays the hub's state on the LED at `pin` until `shutdown` turns true (then the LED goes
/// dark). `state` tells the state now; `wake` changes whenever activity does; `poll` bounds
/// how late a change nobody announces is shown.
pub async fn run_led(
    pins: Arc<dyn Pins>,
    pin: u8,
    active_low: bool,
    state: Arc<dyn Fn() -> HubLight + Send + Sync>,
    mut wake: watch::Receiver<u64>,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let write = |lit: bool| {
        if let Err(e) = pins.set(pin, lit != active_low) {
            tracing::warn!(cause = %e, "cannot drive the status LED");
        }
    };
    let mut shown: Option<HubLight> = None;
    let mut lit = false;
    let mut next_edge: Option<Instant> = None;
    let mut wake_open = true;
    loop {
        let now = Instant::now();
        let light = state();
        let pattern = light.pattern();
        if shown != Some(light) {
            // A new state starts lit, so a change shows at once.
            shown = Some(light);
            lit = true;
            write(lit);
            next_edge = match pattern {
                Pattern::Steady => None,
                Pattern::Blink { on, .. } => Some(now + on),
            };
        } else if let (Some(edge), Pattern::Blink { on, off }) = (next_edge, pattern) {
            if edge <= now {
                lit = !lit;
                write(lit);
                next_edge = Some(now + if lit { on } else { off });
            }
        }
        let deadline = next_edge.map_or(now + poll, |edge| edge.min(now + poll));
        tokio::select! {
            _ = sleep_until(deadline) => {}
            changed = wake.changed(), if wake_open => wake_open = changed.is_ok(),
            _ = shutdown.changed() => {
                write(false);
                return;
            }
        }
    }
}

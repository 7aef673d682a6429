//! The button: edges from a bouncing contact become one press. After an edge the task waits
//! until the input has been quiet for the debounce time, then reads the settled level; a
//! change from released to pressed is a press. Releases do nothing.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::{EDGE_QUEUE, GpioError, Pins, Pull};

/// Watches the button at `pin` and calls `on_press` once per settled press, until `shutdown`
/// turns true. Fails only when the pin cannot be set up.
pub async fn run_button(
    pins: Arc<dyn Pins>,
    pin: u8,
    active_low: bool,
    pull: Pull,
    debounce: Duration,
    on_press: Arc<dyn Fn() + Send + Sync>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), GpioError> {
    let (tx, mut edges) = mpsc::channel(EDGE_QUEUE);
    pins.watch(pin, pull, tx)?;
    let is_pressed = |high: bool| high != active_low;
    let mut pressed = is_pressed(pins.read(pin)?);
    loop {
        tokio::select! {
            edge = edges.recv() => if edge.is_none() { return Ok(()) },
            _ = shutdown.changed() => return Ok(()),
        }
        // Settle: every further edge restarts the wait.
        loop {
            tokio::select! {
                _ = tokio::time::sleep(debounce) => break,
                edge = edges.recv() => if edge.is_none() { return Ok(()) },
                _ = shutdown.changed() => return Ok(()),
            }
        }
        let now = is_pressed(pins.read(pin)?);
        if now && !pressed {
            tracing::info!(pin, "button pressed");
            on_press();
        }
        pressed = now;
    }
}

//! GPIO on the board's header: a status LED that shows the hub's state, a button that asks or
//! starts listening, and relays that are switch entities like any other.
//!
//! The logic talks to [`Pins`], a small trait (set an output, read an input, watch edges).
//! [`RppalPins`] drives the real header through rppal; [`MemoryPins`] keeps levels in memory
//! for the tests, which drive time through tokio's paused clock. On a machine without GPIO,
//! [`RppalPins::open`] says why, the hub reports GPIO unavailable, and nothing else changes.
//!
//! # Layout
//!
//! - `hardware`: [`RppalPins`], the only code that touches the header.
//! - `memory`: [`MemoryPins`], levels and edges in memory, with the history of each output.
//! - `led`: the LED's blink patterns per hub state, and the task that plays them.
//! - `button`: debouncing edges into presses, and the task that acts on them.
//! - `relays`: [`Relays`], the back end whose switches drive output pins.

mod button;
mod hardware;
mod led;
mod memory;
mod relays;

pub use crate::board::Pull;
pub use button::run_button;
pub use hardware::RppalPins;
pub use led::{HubLight, Pattern, run_led};
pub use memory::MemoryPins;
pub use relays::{Relay, Relays};

/// Edges a watched input may queue before the button task takes them; more are dropped, as
/// a bouncing contact makes many and only the settled level matters.
pub const EDGE_QUEUE: usize = 32;

/// Why a pin could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpioError {
    /// This machine has no GPIO the hub can open (not a Raspberry Pi, or no access).
    #[error("GPIO is unavailable: {0}")]
    Unavailable(String),
    /// One pin could not be set up or used.
    #[error("GPIO pin {pin}: {message}")]
    Pin {
        /// BCM number.
        pin: u8,
        /// What went wrong.
        message: String,
    },
}

/// The header as the LED, button and relays use it. Levels are electrical (`true` is high);
/// active-low wiring is the caller's business.
pub trait Pins: Send + Sync {
    /// Makes `pin` an output (the first time) and drives it high or low.
    fn set(&self, pin: u8, high: bool) -> Result<(), GpioError>;
    /// Makes `pin` an input with `pull` and sends the level after each edge to `edges`.
    fn watch(
        &self,
        pin: u8,
        pull: Pull,
        edges: tokio::sync::mpsc::Sender<bool>,
    ) -> Result<(), GpioError>;
    /// Reads an input's level now.
    fn read(&self, pin: u8) -> Result<bool, GpioError>;
}

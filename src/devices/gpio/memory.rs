//! [`MemoryPins`]: a header in memory. Outputs remember every level written and when (on
//! tokio's clock, so a paused test clock orders them); inputs take levels from the test and
//! send edges the way the kernel does.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{GpioError, Pins, Pull};

/// Pins kept in memory, for tests and for trying the logic without a board.
#[derive(Debug, Default)]
pub struct MemoryPins {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    outputs: BTreeMap<u8, Vec<(Instant, bool)>>,
    inputs: BTreeMap<u8, (bool, Option<mpsc::Sender<bool>>)>,
}

impl MemoryPins {
    /// A header with every pin free.
    pub fn new() -> Self {
        MemoryPins::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The level an output was last driven to; `None` if never set.
    pub fn output(&self, pin: u8) -> Option<bool> {
        self.state().outputs.get(&pin)?.last().map(|(_, l)| *l)
    }

    /// Every level written to an output and when, oldest first.
    pub fn history(&self, pin: u8) -> Vec<(Instant, bool)> {
        self.state().outputs.get(&pin).cloned().unwrap_or_default()
    }

    /// Puts an input at `high`; a change sends an edge to its watcher.
    pub fn drive(&self, pin: u8, high: bool) {
        let mut state = self.state();
        let input = state.inputs.entry(pin).or_insert((high, None));
        let changed = input.0 != high;
        input.0 = high;
        if let (true, Some(tx)) = (changed, &input.1) {
            // A full queue drops the edge, as the real interrupt thread does.
            let _ = tx.try_send(high);
        }
    }
}

impl Pins for MemoryPins {
    fn set(&self, pin: u8, high: bool) -> Result<(), GpioError> {
        let mut state = self.state();
        if state.inputs.get(&pin).is_some_and(|i| i.1.is_some()) {
            return Err(GpioError::Pin {
                pin,
                message: "is an input".into(),
            });
        }
        let writes = state.outputs.entry(pin).or_default();
        writes.push((Instant::now(), high));
        Ok(())
    }

    fn watch(&self, pin: u8, pull: Pull, edges: mpsc::Sender<bool>) -> Result<(), GpioError> {
        let mut state = self.state();
        if state.outputs.contains_key(&pin) {
            return Err(GpioError::Pin {
                pin,
                message: "is an output".into(),
            });
        }
        // A floating input rests where its pull resistor holds it.
        let rest = pull != Pull::Down;
        let input = state.inputs.entry(pin).or_insert((rest, None));
        input.1 = Some(edges);
        Ok(())
    }

    fn read(&self, pin: u8) -> Result<bool, GpioError> {
        (self.state().inputs.get(&pin).map(|i| i.0)).ok_or(GpioError::Pin {
            pin,
            message: "is not an input".into(),
        })
    }
}

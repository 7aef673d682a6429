//! [`RppalPins`]: the real header through rppal (the GPIO character device). rppal finds the
//! SoC from the device-tree model itself, so on anything but a Raspberry Pi opening fails and
//! the hub reports GPIO unavailable.

use std::collections::HashMap;
use std::sync::Mutex;

use rppal::gpio::{Gpio, InputPin, Level, OutputPin, Trigger};
use tokio::sync::mpsc;

use super::{GpioError, Pins, Pull};

/// The Raspberry Pi's GPIO header.
pub struct RppalPins {
    gpio: Gpio,
    outputs: Mutex<HashMap<u8, OutputPin>>,
    inputs: Mutex<HashMap<u8, InputPin>>,
}

impl std::fmt::Debug for RppalPins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RppalPins").finish_non_exhaustive()
    }
}

impl RppalPins {
    /// Opens the header; fails with [`GpioError::Unavailable`] on a machine without one.
    pub fn open() -> Result<RppalPins, GpioError> {
        let gpio = Gpio::new().map_err(|e| GpioError::Unavailable(e.to_string()))?;
        Ok(RppalPins {
            gpio,
            outputs: Mutex::new(HashMap::new()),
            inputs: Mutex::new(HashMap::new()),
        })
    }

    fn pin_error(pin: u8, e: rppal::gpio::Error) -> GpioError {
        GpioError::Pin {
            pin,
            message: e.to_string(),
        }
    }
}

impl Pins for RppalPins {
    fn set(&self, pin: u8, high: bool) -> Result<(), GpioError> {
        let mut outputs = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        let out = match outputs.entry(pin) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let p = self.gpio.get(pin).map_err(|e| Self::pin_error(pin, e))?;
                e.insert(p.into_output())
            }
        };
        out.write(if high { Level::High } else { Level::Low });
        Ok(())
    }

    fn watch(&self, pin: u8, pull: Pull, edges: mpsc::Sender<bool>) -> Result<(), GpioError> {
        let p = self.gpio.get(pin).map_err(|e| Self::pin_error(pin, e))?;
        let mut input = match pull {
            Pull::Up => p.into_input_pullup(),
            Pull::Down => p.into_input_pulldown(),
            Pull::Off => p.into_input(),
        };
        // rppal calls back on its own interrupt thread; the queue is bounded, and a full one
        // drops the edge (the button task reads the settled level anyway).
        input
            .set_async_interrupt(Trigger::Both, None, move |event| {
                let _ = edges.try_send(event.trigger == Trigger::RisingEdge);
            })
            .map_err(|e| Self::pin_error(pin, e))?;
        let mut inputs = self.inputs.lock().unwrap_or_else(|p| p.into_inner());
        inputs.insert(pin, input);
        Ok(())
    }

    fn read(&self, pin: u8) -> Result<bool, GpioError> {
        let inputs = self.inputs.lock().unwrap_or_else(|p| p.into_inner());
        let input = inputs.get(&pin).ok_or(GpioError::Pin {
            pin,
            message: "is not an input".into(),
        })?;
        Ok(input.is_high())
    }
}

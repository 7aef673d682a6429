//! Switches and dimmers: how a node switches, what a call asks of it, and Home Assistant's
//! brightness from a Multilevel Switch level.

use serde_json::{Value as Json, json};

use super::super::command_class::id;
use super::super::controller::{Query, Target};
use super::super::network::Node;
use crate::devices::{DeviceError, ServiceCall};

/// Multilevel Switch "last non-zero level" and Binary Switch "on".
pub(super) const ON: u8 = 0xFF;

/// How a node switches, by its command classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switching {
    /// Multilevel Switch: levels 0–99.
    Dimmer,
    /// Binary Switch: on or off.
    Binary,
}

impl Switching {
    /// The switching a node supports, the dimmer first.
    pub fn of(node: &Node) -> Option<Switching> {
        if node.supports(id::MULTILEVEL_SWITCH) {
            Some(Switching::Dimmer)
        } else if node.supports(id::BINARY_SWITCH) {
            Some(Switching::Binary)
        } else {
            None
        }
    }

    /// The Get that reads the level back.
    pub fn query(self) -> Query {
        match self {
            Switching::Dimmer => Query::Level,
            Switching::Binary => Query::Switch,
        }
    }

    /// The Set for on, off or a level 0–99 (`None`: on at the last level).
    pub fn target(self, level: Option<u8>) -> Target {
        match (self, level) {
            (Switching::Dimmer, level) => Target::Level(level.unwrap_or(ON)),
            (Switching::Binary, level) => Target::Switch(level != Some(0)),
        }
    }
}

/// What a switching call asks of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The node.
    pub node: u8,
    /// How it switches.
    pub switching: Switching,
    /// The level asked for: 0 off, 1–99, `None` on at the last level.
    pub level: Option<u8>,
}

impl Plan {
    /// Whether a level the node reports is what was asked for.
    pub fn met(&self, level: u8) -> bool {
        match self.level {
            Some(0) => level == 0,
            Some(wanted) if self.switching == Switching::Dimmer => level == wanted,
            _ => level != 0,
        }
    }
}

/// A Multilevel Switch level 0–99 (FF: on) as Home Assistant's brightness 0–255.
pub(super) fn brightness(level: u8) -> Json {
    let level = if level > 99 { 99 } else { level };
    json!((u32::from(level) * 255 + 49) / 99)
}

/// `turn_on`'s level from `brightness_pct` (0–100) or `brightness` (0–255); `None`: on.
pub(super) fn requested_level(
    call: &ServiceCall,
    switching: Switching,
) -> Result<Option<u8>, DeviceError> {
    let number = |key: &str, max: f64| -> Result<Option<f64>, DeviceError> {
        match call.data.get(key) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if (0.0..=max).contains(&x) => Ok(Some(x / max)),
                _ => Err(DeviceError::BadData(format!(
                    "{key} must be a number from 0 to {max}, got {v}"
                ))),
            },
        }
    };
    let share = match number("brightness_pct", 100.0)? {
        Some(s) => Some(s),
        None => number("brightness", 255.0)?,
    };
    Ok(share.map(|s| {
        let level = (s * 99.0).round() as u8;
        match switching {
            Switching::Dimmer if s > 0.0 => level.max(1),
            Switching::Binary if s > 0.0 => ON,
            _ => 0,
        }
    }))
}

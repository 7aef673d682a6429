//! The board this run is on: chosen once from `board:` and the device-tree model, and the
//! serial paths it gives the sticks whose port the config leaves out.

use anyhow::Context as _;

use super::App;
use crate::board::{self, Board};
use crate::devices::{zigbee, zwave};

impl App {
    /// The board: `board:` of the config, detected from the device-tree model when `auto`.
    pub fn board(&self) -> anyhow::Result<&Board> {
        if let Some(b) = self.board.get() {
            return Ok(b);
        }
        let setting = &self.config.settings().board;
        let chosen = board::resolve(setting, &board::default_model_paths())
            .with_context(|| format!("board: {setting}"))?;
        if let Some(note) = &chosen.note {
            tracing::info!(profile = %chosen.profile.name, note = %note, "board");
        }
        Ok(self.board.get_or_init(|| chosen))
    }

    /// The Z-Wave stick: `zwave.port`, else the first of the board profile's Z-Wave paths
    /// that exists here.
    pub fn zwave_port(&self) -> anyhow::Result<String> {
        if let Some(port) = &self.config.settings().zwave.port {
            return Ok(port.clone());
        }
        let board = self.board()?;
        let found = board::existing(&board.profile.serial.zwave);
        let first = found.first().with_context(|| {
            format!(
                "zwave.port is not set and none of board {}'s Z-Wave paths exist ({}): set \
                 zwave.port to the stick (/dev/serial/by-id/…) or to tcp://host:port",
                board.profile.name,
                board.profile.serial.zwave.join(", ")
            )
        })?;
        Ok(first.display().to_string())
    }

    /// The Z-Wave driver's settings from the `zwave` section and the port found.
    pub fn zwave_settings(&self) -> anyhow::Result<zwave::ZwaveSettings> {
        let cfg = &self.config.settings().zwave;
        let mut settings = zwave::ZwaveSettings::new(self.zwave_port()?);
        settings.started_wait = cfg.started_wait;
        settings.node_info_timeout = cfg.node_info_timeout;
        settings.report_timeout = cfg.report_timeout;
        Ok(settings)
    }

    /// The Zigbee stick: `zigbee.port`, else the first of the board profile's Zigbee paths
    /// that exists here.
    pub fn zigbee_port(&self) -> anyhow::Result<String> {
        if let Some(port) = &self.config.settings().zigbee.port {
            return Ok(port.clone());
        }
        let board = self.board()?;
        let found = board::existing(&board.profile.serial.zigbee);
        let first = found.first().with_context(|| {
            format!(
                "zigbee.port is not set and none of board {}'s Zigbee paths exist ({}): set \
                 zigbee.port to the stick (/dev/serial/by-id/…) or to tcp://host:port",
                board.profile.name,
                board.profile.serial.zigbee.join(", ")
            )
        })?;
        Ok(first.display().to_string())
    }

    /// The Zigbee driver's settings from the `zigbee` section and the port found.
    pub fn zigbee_settings(&self) -> anyhow::Result<zigbee::ZigbeeSettings> {
        let cfg = &self.config.settings().zigbee;
        let mut settings = zigbee::ZigbeeSettings::new(self.zigbee_port()?);
        settings.reset = match cfg.reset {
            crate::config::ZigbeeReset::DtrRts => zigbee::ResetLine::DtrRts,
            crate::config::ZigbeeReset::None => zigbee::ResetLine::None,
        };
        settings.channel = cfg.channel;
        settings.pan_id = cfg.pan_id;
        settings.extended_pan_id = cfg.extended_pan_id_value();
        settings.permit_join = cfg.permit_join;
        Ok(settings)
    }
}

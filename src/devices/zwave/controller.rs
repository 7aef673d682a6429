//! [`Zwave`]: the handle the hub holds for one stick. It opens the port, starts the driver
//! task, runs start-up, and then acts on nodes (Set and Get through SendData), hands out the
//! reports nodes send ([`Reports`]); inclusion and exclusion are in `membership`.

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tracing::warn;

use super::application::{self, Received};
use super::command_class::{self, Report, command, id};
use super::driver::{Driver, Ended, next_matching};
use super::frame::{Frame, Kind};
use super::network::{Network, Node};
use super::{ZwaveError, ZwaveSettings, function, port, startup};

/// What a Set asks a node to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Basic Set: 0 off, 1–99 level, 255 on.
    Basic(u8),
    /// Binary Switch Set.
    Switch(bool),
    /// Multilevel Switch Set: 0–99, or 255 for the last non-zero level.
    Level(u8),
    /// Thermostat Mode Set: 0 off, 1 heat, 2 cool, 3 auto…
    Mode(u8),
    /// Thermostat Setpoint Set of a type (1 heating, 2 cooling) in a scale (0 °C, 1 °F).
    Setpoint {
        /// Setpoint type.
        setpoint_type: u8,
        /// The temperature.
        value: f64,
        /// Its unit.
        scale: u8,
    },
}

/// What a Get asks a node for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// Basic Get.
    Basic,
    /// Binary Switch Get.
    Switch,
    /// Multilevel Switch Get.
    Level,
    /// Multilevel Sensor Get of a type (01 air temperature…) and scale (0 °C, 1 °F).
    Sensor {
        /// Sensor type.
        sensor_type: u8,
        /// Scale within the type.
        scale: u8,
    },
    /// Multilevel Sensor Supported Get: which sensor types the node has.
    SensorTypes,
    /// Meter Get of a scale (electric: 0 kWh, 2 W).
    Meter(u8),
    /// Thermostat Mode Get.
    Mode,
    /// Thermostat Setpoint Get of a type (1 heating, 2 cooling).
    Setpoint(u8),
    /// Door Lock Operation Get.
    DoorLock,
    /// Battery Get.
    Battery,
}

/// The SendData callback's transmit status (INS13954).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    /// The node ACKed.
    Ok,
    /// The node did not ACK.
    NoAck,
    /// The chip could not transmit (busy medium, jamming).
    Fail,
    /// The network was busy.
    NotIdle,
    /// No route to the node.
    NoRoute,
    /// Another status byte.
    Other(u8),
}

impl TxStatus {
    fn from_byte(byte: u8) -> TxStatus {
        match byte {
            0 => TxStatus::Ok,
            1 => TxStatus::NoAck,
            2 => TxStatus::Fail,
            3 => TxStatus::NotIdle,
            4 => TxStatus::NoRoute,
            other => TxStatus::Other(other),
        }
    }
}

/// A report from a node, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeReport {
    /// The sending node.
    pub node: u8,
    /// What it reported.
    pub report: Report,
}

/// The hub's handle on one Z-Wave stick. Cloneable; every clone reaches the same task.
#[derive(Debug, Clone)]
pub struct Zwave {
    pub(super) driver: Driver,
    settings: ZwaveSettings,
}

impl Zwave {
    /// Opens `settings.port`, starts the driver task (which ends when `shutdown` turns true)
    /// and runs start-up.
    pub async fn start(
        settings: ZwaveSettings,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(Zwave, Network, JoinHandle<Ended>), ZwaveError> {
        Zwave::start_knowing(settings, &[], shutdown).await
    }

    /// As [`Zwave::start`], but a node already in `known` (from the memory) with the same
    /// device classes keeps its command classes without a RequestNodeInfo.
    pub async fn start_knowing(
        settings: ZwaveSettings,
        known: &[Node],
        shutdown: watch::Receiver<bool>,
    ) -> Result<(Zwave, Network, JoinHandle<Ended>), ZwaveError> {
        let link = port::open(&settings.port).await?;
        let (driver, task) = Driver::spawn(link, settings.timeouts, shutdown);
        let network = startup::start_up(&driver, &settings, known).await?;
        Ok((Zwave { driver, settings }, network, task))
    }

    /// Sends a Set; `Ok` once the node ACKed it.
    pub async fn set(&self, node: u8, target: Target) -> Result<(), ZwaveError> {
        let bad = |_| ZwaveError::Malformed {
            function: function::SEND_DATA,
        };
        let cc = match target {
            Target::Basic(v) => command::basic_set(v),
            Target::Switch(on) => command::binary_switch_set(on, None),
            Target::Level(level) => command::multilevel_switch_set(level, None).map_err(bad)?,
            Target::Mode(mode) => command::thermostat_mode_set(mode),
            Target::Setpoint {
                setpoint_type,
                value,
                scale,
            } => command::thermostat_setpoint_set(setpoint_type, value, scale).map_err(bad)?,
        };
        self.send(node, &cc).await
    }

    /// Sends a Get and waits for the node's matching report.
    pub async fn get(&self, node: u8, query: Query) -> Result<Report, ZwaveError> {
        let (cc, wanted) = match query {
            Query::Basic => (command::basic_get(), id::BASIC),
            Query::Switch => (command::binary_switch_get(), id::BINARY_SWITCH),
            Query::Level => (command::multilevel_switch_get(), id::MULTILEVEL_SWITCH),
            Query::Sensor { sensor_type, scale } => (
                command::sensor_multilevel_get(sensor_type, scale),
                id::SENSOR_MULTILEVEL,
            ),
            Query::SensorTypes => (
                command::sensor_multilevel_supported_get(),
                id::SENSOR_MULTILEVEL,
            ),
            Query::Meter(scale) => (command::meter_get(scale), id::METER),
            Query::Mode => (command::thermostat_mode_get(), id::THERMOSTAT_MODE),
            Query::Setpoint(t) => (command::thermostat_setpoint_get(t), id::THERMOSTAT_SETPOINT),
            Query::DoorLock => (command::door_lock_get(), id::DOOR_LOCK),
            Query::Battery => (command::battery_get(), id::BATTERY),
        };
        // Subscribed before sending: the report may beat the SendData callback.
        let mut frames = self.driver.subscribe();
        self.send(node, &cc).await?;
        let report = next_matching(&mut frames, self.settings.report_timeout, |frame| {
            let got = received(frame)?;
            (got.source == node && got.command.first() == Some(&wanted))
                .then(|| command_class::decode(&got.command).ok())
                .flatten()
                .filter(|report| answers(query, report))
        });
        report.await.ok_or(ZwaveError::NoReport { node })
    }

    /// Asks `node` for its node information frame again (RequestNodeInfo) and takes its
    /// command classes from the answer; a node that does not answer keeps what it had.
    pub async fn refresh(&self, node: &mut Node) -> Result<(), ZwaveError> {
        let before = std::mem::take(&mut node.command_classes);
        startup::request_node_info(&self.driver, &self.settings, node).await?;
        if node.command_classes.is_empty() {
            node.command_classes = before;
        }
        Ok(())
    }

    /// Reports nodes send from now on, solicited or not.
    pub fn reports(&self) -> Reports {
        Reports {
            frames: self.driver.subscribe(),
        }
    }

    async fn send(&self, node: u8, cc: &[u8]) -> Result<(), ZwaveError> {
        let reply = self.driver.call(function::send_data(node, cc)).await?;
        // Callback: `callbackId status [txReport]`.
        let status = reply.callback.as_deref().and_then(|cb| cb.get(1).copied());
        match TxStatus::from_byte(status.unwrap_or(0xFF)) {
            TxStatus::Ok => Ok(()),
            status => Err(ZwaveError::NotDelivered { node, status }),
        }
    }
}

/// The reports nodes send, decoded; see [`Zwave::reports`].
#[derive(Debug)]
pub struct Reports {
    frames: broadcast::Receiver<Frame>,
}

impl Reports {
    /// The next report; `None` once the driver is gone. Undecodable ones are logged and skipped.
    pub async fn next(&mut self) -> Option<NodeReport> {
        loop {
            let frame = match self.frames.recv().await {
                Ok(frame) => frame,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    warn!(missed, "fell behind on Z-Wave reports");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            let Some(got) = received(&frame) else {
                continue;
            };
            match command_class::decode(&got.command) {
                Ok(report) => {
                    return Some(NodeReport {
                        node: got.source,
                        report,
                    });
                }
                Err(err) => warn!(node = got.source, cause = %err, "undecoded Z-Wave report"),
            }
        }
    }
}

/// Whether `report` answers `query`: a node may send another sensor type or setpoint of the
/// same command class on its own meanwhile.
fn answers(query: Query, report: &Report) -> bool {
    match (query, report) {
        (Query::Sensor { sensor_type, .. }, Report::SensorMultilevel { sensor_type: t, .. }) => {
            sensor_type == *t
        }
        (Query::Sensor { .. }, _) | (Query::SensorTypes, Report::SensorMultilevel { .. }) => false,
        (Query::Setpoint(wanted), Report::ThermostatSetpoint { setpoint_type, .. }) => {
            wanted == *setpoint_type
        }
        _ => true,
    }
}

fn received(frame: &Frame) -> Option<Received> {
    match frame {
        Frame::Data {
            kind: Kind::Request,
            function,
            payload,
        } => application::received(*function, payload),
        _ => None,
    }
}

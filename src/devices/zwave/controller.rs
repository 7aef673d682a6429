//! [`Zwave`]: the handle the hub holds for one stick. It opens the port, starts the driver
//! task, runs start-up, and then acts on nodes (Set and Get through SendData), hands out the
//! reports nodes send ([`Reports`]) and includes new nodes with progress ([`Inclusion`]).

use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tracing::warn;

use super::application::{self, Received};
use super::command_class::{self, Report, command, id};
use super::driver::{Driver, Ended, next_matching};
use super::frame::{Frame, Kind};
use super::network::{Network, Node};
use super::{ZwaveError, ZwaveSettings, function, port, startup};

/// What a Set asks a node to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Basic Set: 0 off, 1–99 level, 255 on.
    Basic(u8),
    /// Binary Switch Set.
    Switch(bool),
    /// Multilevel Switch Set: 0–99, or 255 for the last non-zero level.
    Level(u8),
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

/// Progress of an inclusion, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inclusion {
    /// The controller listens for a node's inclusion request.
    Ready,
    /// A node answered.
    NodeFound,
    /// The node got its id; its info frame is in `node`.
    Adding(Node),
    /// The protocol part is done; MIRAI stops the inclusion mode.
    ProtocolDone,
    /// Included.
    Done(u8),
}

/// AddNodeToNetwork mode: any node, high power, network-wide (0x01 | 0x80 | 0x40).
const ADD_ANY: u8 = 0xC1;
/// AddNodeToNetwork mode: stop.
const ADD_STOP: u8 = 0x05;

/// The hub's handle on one Z-Wave stick. Cloneable; every clone reaches the same task.
#[derive(Debug, Clone)]
pub struct Zwave {
    driver: Driver,
    settings: ZwaveSettings,
}

impl Zwave {
    /// Opens `settings.port`, starts the driver task (which ends when `shutdown` turns true)
    /// and runs start-up.
    pub async fn start(
        settings: ZwaveSettings,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(Zwave, Network, JoinHandle<Ended>), ZwaveError> {
        let link = port::open(&settings.port).await?;
        let (driver, task) = Driver::spawn(link, settings.timeouts, shutdown);
        let network = startup::start_up(&driver, &settings).await?;
        Ok((Zwave { driver, settings }, network, task))
    }

    /// Sends a Set; `Ok` once the node ACKed it.
    pub async fn set(&self, node: u8, target: Target) -> Result<(), ZwaveError> {
        let cc = match target {
            Target::Basic(v) => command::basic_set(v),
            Target::Switch(on) => command::binary_switch_set(on, None),
            Target::Level(level) => {
                command::multilevel_switch_set(level, None).map_err(|_| ZwaveError::Malformed {
                    function: function::SEND_DATA,
                })?
            }
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
        });
        report.await.ok_or(ZwaveError::NoReport { node })
    }

    /// Reports nodes send from now on, solicited or not.
    pub fn reports(&self) -> Reports {
        Reports {
            frames: self.driver.subscribe(),
        }
    }

    /// Puts the controller in inclusion mode until a node joins or `within` passes; progress
    /// goes to `progress` as it happens. `Ok(None)`: nobody joined in time.
    pub async fn include(
        &self,
        within: Duration,
        progress: mpsc::Sender<Inclusion>,
    ) -> Result<Option<Node>, ZwaveError> {
        let mut frames = self.driver.subscribe();
        let ready = self.driver.call(function::add_node(ADD_ANY)).await?;
        let status = ready.callback.as_deref().and_then(|cb| cb.get(1).copied());
        if status != Some(1) {
            return Err(ZwaveError::InclusionFailed(status.unwrap_or(0)));
        }
        let _ = progress.send(Inclusion::Ready).await;
        let mut added = None;
        let joined = tokio::time::timeout(within, async {
            while let Some(payload) = next_matching(&mut frames, within, add_node_callback).await {
                match payload.get(1).copied() {
                    Some(2) => {
                        let _ = progress.send(Inclusion::NodeFound).await;
                    }
                    Some(3 | 4) => {
                        let node = added_node(&payload);
                        added.clone_from(&node);
                        if let Some(node) = node {
                            let _ = progress.send(Inclusion::Adding(node)).await;
                        }
                    }
                    Some(5) => return Ok(()),
                    Some(7) => return Err(ZwaveError::InclusionFailed(7)),
                    _ => {}
                }
            }
            Err(ZwaveError::Stopped)
        })
        .await;
        match joined {
            Ok(Ok(())) => {
                let _ = progress.send(Inclusion::ProtocolDone).await;
                self.stop_inclusion().await?;
                let id = added.as_ref().map_or(0, |n| n.id);
                let _ = progress.send(Inclusion::Done(id)).await;
                Ok(added)
            }
            Ok(Err(err)) => {
                self.stop_inclusion().await?;
                Err(err)
            }
            Err(_elapsed) => {
                self.stop_inclusion().await?;
                Ok(None)
            }
        }
    }

    async fn stop_inclusion(&self) -> Result<(), ZwaveError> {
        let done = self.driver.call(function::add_node(ADD_STOP)).await?;
        let status = done.callback.as_deref().and_then(|cb| cb.get(1).copied());
        if !matches!(status, Some(6 | 7)) {
            warn!(status = ?status, "unexpected AddNodeToNetwork stop status");
        }
        Ok(())
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

fn add_node_callback(frame: &Frame) -> Option<Vec<u8>> {
    match frame {
        Frame::Data {
            kind: Kind::Request,
            function: function::ADD_NODE_TO_NETWORK,
            payload,
        } => Some(payload.clone()),
        _ => None,
    }
}

/// AddingSlave / AddingController callback: `cb status node len basic generic specific cc…`.
fn added_node(payload: &[u8]) -> Option<Node> {
    let [_, _, id, len, rest @ ..] = payload else {
        return None;
    };
    let [basic, generic, specific, ccs @ ..] = rest.get(..usize::from(*len))? else {
        return None;
    };
    Some(Node {
        id: *id,
        basic: *basic,
        generic: *generic,
        specific: *specific,
        listening: false,
        command_classes: ccs.iter().copied().take_while(|cc| *cc != 0xEF).collect(),
    })
}

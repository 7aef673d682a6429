//! Who is in the network: inclusion (AddNodeToNetwork 0x4A) and exclusion
//! (RemoveNodeFromNetwork 0x4B), each a mode the controller holds until a node answers or the
//! host stops it, with its progress reported step by step.
//!
//! Both follow INS13954 "Z-Wave Host API Specification" and zwave-js
//! (`Controller.performExclusion`): the host sends the mode with a callback id, the chip calls
//! back Ready, then NodeFound, then Adding… / Removing… with the node's id, then ProtocolDone
//! (inclusion) or Done (exclusion); the host ends the mode with STOP (0x05), for exclusion
//! without a callback (callback id 0) once Done came. On a timeout or a failure the host sends
//! STOP with a callback and the chip answers Done or Failed.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tracing::warn;

use super::ZwaveError;
use super::controller::Zwave;
use super::driver::next_matching;
use super::frame::{Frame, Kind};
use super::function;
use super::network::Node;

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

/// Progress of an exclusion, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// The controller listens for a node's exclusion request.
    Ready,
    /// A node answered.
    NodeFound,
    /// The node with this id is leaving.
    Removing(u8),
    /// It left the network.
    Done(u8),
}

/// Mode byte: any node, high power, network-wide (0x01 | 0x80 | 0x40); the same for both.
const MODE_ANY: u8 = 0xC1;
/// Mode byte: stop.
const MODE_STOP: u8 = 0x05;
/// How much longer than the mode's own timeout one wait for a callback lasts: the outer
/// timeout must be what ends a quiet wait, so that `None` from a wait means the driver is gone.
const OUTLAST: Duration = Duration::from_secs(1);
/// Callback status: the chip listens.
const STATUS_READY: u8 = 1;
/// Callback status: a node answered.
const STATUS_NODE_FOUND: u8 = 2;
/// Callback status: adding / removing an end node.
const STATUS_SLAVE: u8 = 3;
/// Callback status: adding / removing a controller.
const STATUS_CONTROLLER: u8 = 4;
/// Callback status: AddNode's protocol part is done.
const STATUS_PROTOCOL_DONE: u8 = 5;
/// Callback status: done.
const STATUS_DONE: u8 = 6;
/// Callback status: failed.
const STATUS_FAILED: u8 = 7;

impl Zwave {
    /// Puts the controller in inclusion mode until a node joins or `within` passes; progress
    /// goes to `progress` as it happens. `Ok(None)`: nobody joined in time.
    pub async fn include(
        &self,
        within: Duration,
        progress: mpsc::Sender<Inclusion>,
    ) -> Result<Option<Node>, ZwaveError> {
        let mut frames = self.driver.subscribe();
        let ready = self.driver.call(function::add_node(MODE_ANY)).await?;
        let status = ready.callback.as_deref().and_then(|cb| cb.get(1).copied());
        if status != Some(STATUS_READY) {
            return Err(ZwaveError::InclusionFailed(status.unwrap_or(0)));
        }
        let _ = progress.send(Inclusion::Ready).await;
        let mut added = None;
        let joined = tokio::time::timeout(within, async {
            let matching = |f: &Frame| callback_of(f, function::ADD_NODE_TO_NETWORK);
            while let Some(payload) = next_matching(&mut frames, within + OUTLAST, matching).await {
                match payload.get(1).copied() {
                    Some(STATUS_NODE_FOUND) => {
                        let _ = progress.send(Inclusion::NodeFound).await;
                    }
                    Some(STATUS_SLAVE | STATUS_CONTROLLER) => {
                        let node = added_node(&payload);
                        added.clone_from(&node);
                        if let Some(node) = node {
                            let _ = progress.send(Inclusion::Adding(node)).await;
                        }
                    }
                    Some(STATUS_PROTOCOL_DONE) => return Ok(()),
                    Some(STATUS_FAILED) => return Err(ZwaveError::InclusionFailed(STATUS_FAILED)),
                    _ => {}
                }
            }
            Err(ZwaveError::Stopped)
        })
        .await;
        let stopped = self.stop(function::ADD_NODE_TO_NETWORK).await;
        match joined {
            Ok(Ok(())) => {
                stopped?;
                let _ = progress.send(Inclusion::ProtocolDone).await;
                let id = added.as_ref().map_or(0, |n| n.id);
                let _ = progress.send(Inclusion::Done(id)).await;
                Ok(added)
            }
            Ok(Err(err)) => Err(err),
            Err(_elapsed) => stopped.map(|()| None),
        }
    }

    /// Puts the controller in exclusion mode until a node leaves or `within` passes; progress
    /// goes to `progress`. `Ok(Some(id))`: node `id` left; `Ok(None)`: nobody left in time.
    pub async fn exclude(
        &self,
        within: Duration,
        progress: mpsc::Sender<Exclusion>,
    ) -> Result<Option<u8>, ZwaveError> {
        let mut frames = self.driver.subscribe();
        let ready = self.driver.call(function::remove_node(MODE_ANY)).await?;
        let status = ready.callback.as_deref().and_then(|cb| cb.get(1).copied());
        if status != Some(STATUS_READY) {
            return Err(ZwaveError::ExclusionFailed(status.unwrap_or(0)));
        }
        let _ = progress.send(Exclusion::Ready).await;
        let mut leaving = None;
        let left = tokio::time::timeout(within, async {
            let matching = |f: &Frame| callback_of(f, function::REMOVE_NODE_FROM_NETWORK);
            while let Some(payload) = next_matching(&mut frames, within + OUTLAST, matching).await {
                let node = payload.get(2).copied().filter(|id| *id != 0);
                match payload.get(1).copied() {
                    Some(STATUS_NODE_FOUND) => {
                        let _ = progress.send(Exclusion::NodeFound).await;
                    }
                    Some(STATUS_SLAVE | STATUS_CONTROLLER) => {
                        leaving = node;
                        if let Some(id) = node {
                            let _ = progress.send(Exclusion::Removing(id)).await;
                        }
                    }
                    Some(STATUS_DONE) => return Ok(leaving.or(node)),
                    Some(STATUS_FAILED) => return Err(ZwaveError::ExclusionFailed(STATUS_FAILED)),
                    _ => {}
                }
            }
            Err(ZwaveError::Stopped)
        })
        .await;
        match left {
            Ok(Ok(id)) => {
                // Done already ended the mode on the chip: STOP without a callback (zwave-js).
                self.driver
                    .call(function::remove_node_stop_quietly())
                    .await?;
                let id = id.unwrap_or(0);
                let _ = progress.send(Exclusion::Done(id)).await;
                Ok(Some(id))
            }
            Ok(Err(err)) => {
                self.stop(function::REMOVE_NODE_FROM_NETWORK).await?;
                Err(err)
            }
            Err(_elapsed) => {
                self.stop(function::REMOVE_NODE_FROM_NETWORK).await?;
                Ok(None)
            }
        }
    }

    /// STOP with a callback; the chip answers Done or Failed (both end the mode).
    async fn stop(&self, function_id: u8) -> Result<(), ZwaveError> {
        let command = if function_id == function::ADD_NODE_TO_NETWORK {
            function::add_node(MODE_STOP)
        } else {
            function::remove_node(MODE_STOP)
        };
        let done = self.driver.call(command).await?;
        let status = done.callback.as_deref().and_then(|cb| cb.get(1).copied());
        if !matches!(status, Some(STATUS_DONE | STATUS_FAILED)) {
            warn!(status = ?status, function = function_id, "unexpected status after STOP");
        }
        Ok(())
    }
}

impl Inclusion {
    /// The step as one JSON line of `mirai zwave include --json` and `/api/zwave/include`.
    pub fn to_json(&self) -> Value {
        match self {
            Inclusion::Ready => json!({"step": "ready"}),
            Inclusion::NodeFound => json!({"step": "node_found"}),
            Inclusion::Adding(n) => {
                json!({"step": "adding", "node": n.id, "command_classes": n.command_classes})
            }
            Inclusion::ProtocolDone => json!({"step": "protocol_done"}),
            Inclusion::Done(id) => json!({"step": "done", "node": id}),
        }
    }
}

impl Exclusion {
    /// The step as one JSON line of `mirai zwave exclude --json` and `/api/zwave/exclude`.
    pub fn to_json(&self) -> Value {
        match self {
            Exclusion::Ready => json!({"step": "ready"}),
            Exclusion::NodeFound => json!({"step": "node_found"}),
            Exclusion::Removing(id) => json!({"step": "removing", "node": id}),
            Exclusion::Done(id) => json!({"step": "done", "node": id}),
        }
    }
}

/// The payload of a callback request of `function_id` (callback id first, then the status).
fn callback_of(frame: &Frame, function_id: u8) -> Option<Vec<u8>> {
    match frame {
        Frame::Data {
            kind: Kind::Request,
            function,
            payload,
        } if *function == function_id => Some(payload.clone()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::zwave::{data_frame, hex};

    #[test]
    fn callbacks_are_told_apart_by_function() {
        // 01 07 00 4B · 0C cb · 03 RemovingSlave · 03 node · checksum (INS13954 layout)
        let removing = data_frame(
            Kind::Request,
            function::REMOVE_NODE_FROM_NETWORK,
            "0c 03 03",
        );
        assert_eq!(
            callback_of(&removing, function::REMOVE_NODE_FROM_NETWORK),
            Some(hex("0c 03 03"))
        );
        assert_eq!(callback_of(&removing, function::ADD_NODE_TO_NETWORK), None);
    }

    #[test]
    fn an_adding_callback_carries_the_node_and_its_classes() {
        // cb 01 · 03 AddingSlave · 05 node · 05 len · 04 10 01 classes · 25 EF 20
        let node = added_node(&hex("01 03 05 06 04 10 01 25 ef 20")).unwrap();
        assert_eq!(
            (node.id, node.generic, node.command_classes),
            (5, 0x10, vec![0x25])
        );
        assert_eq!(added_node(&hex("01 03 05 09 04")), None);
    }

    #[test]
    fn steps_become_json_lines() {
        assert_eq!(Exclusion::Removing(3).to_json()["step"], "removing");
        assert_eq!(Exclusion::Done(3).to_json()["node"], 3);
        assert_eq!(Inclusion::Done(5).to_json()["step"], "done");
    }
}

//! The start-up sequence (issue #7; zwave-js `Driver.initializeControllerAndNodes`): soft
//! reset and SerialApiStarted, the controller's identity, its node list, each node's device
//! classes and, for listening nodes, its node information frame.

use tracing::{info, warn};

use super::driver::{Driver, next_matching};
use super::frame::{Frame, Kind};
use super::function::{self, request};
use super::network::{self, Network, Node, NodeInfo};
use super::serial_api::Reply;
use super::{ZwaveError, ZwaveSettings};
use crate::devices::zwave::application::APPLICATION_UPDATE;

/// Runs the sequence and returns what it learned. A node in `known` (what the memory kept)
/// whose device classes did not change keeps its command classes without a RequestNodeInfo.
pub(crate) async fn start_up(
    driver: &Driver,
    settings: &ZwaveSettings,
    known: &[Node],
) -> Result<Network, ZwaveError> {
    soft_reset(driver, settings).await?;
    let caps = response(driver, function::GET_SERIAL_API_CAPABILITIES, vec![]).await?;
    let product = network::product(&caps)?;
    let version =
        network::version(&response(driver, function::GET_CONTROLLER_VERSION, vec![]).await?)?;
    let (home_id, own_node) =
        network::memory_id(&response(driver, function::MEMORY_GET_ID, vec![]).await?)?;
    let ids =
        network::node_ids(&response(driver, function::GET_SERIAL_API_INIT_DATA, vec![]).await?)?;
    let controller_capabilities = *response(driver, function::GET_CONTROLLER_CAPABILITIES, vec![])
        .await?
        .first()
        .ok_or(ZwaveError::Malformed {
            function: function::GET_CONTROLLER_CAPABILITIES,
        })?;
    let mut nodes = Vec::with_capacity(ids.len());
    for id in ids {
        let info = response(driver, function::GET_NODE_PROTOCOL_INFO, vec![id]).await?;
        let Some(mut node) = network::protocol_info(id, &info)? else {
            warn!(node = id, "node in the node list has no protocol info");
            continue;
        };
        let kept = known.iter().find(|k| same_device(k, &node));
        match kept {
            Some(k) => node.command_classes.clone_from(&k.command_classes),
            None if id != own_node && node.listening => {
                request_node_info(driver, settings, &mut node).await?;
            }
            None => {}
        }
        nodes.push(node);
    }
    info!(home_id = format!("{home_id:08X}"), own_node, %version, nodes = nodes.len(), "Z-Wave network up");
    Ok(Network {
        home_id,
        own_node,
        version,
        product,
        controller_capabilities,
        nodes,
    })
}

/// Whether `kept` is the node start-up just read, with the same classes and a node info frame.
fn same_device(kept: &Node, read: &Node) -> bool {
    kept.id == read.id
        && (kept.basic, kept.generic, kept.specific) == (read.basic, read.generic, read.specific)
        && !kept.command_classes.is_empty()
}

/// The response payload of a call that has one.
pub(crate) async fn response(
    driver: &Driver,
    function: u8,
    payload: Vec<u8>,
) -> Result<Vec<u8>, ZwaveError> {
    let Reply { response, .. } = driver.call(request(function, payload)).await?;
    response.ok_or(ZwaveError::Malformed { function })
}

async fn soft_reset(driver: &Driver, settings: &ZwaveSettings) -> Result<(), ZwaveError> {
    let mut frames = driver.subscribe();
    driver.call(function::soft_reset()).await?;
    let started = next_matching(&mut frames, settings.started_wait, |frame| {
        matches!(
            frame,
            Frame::Data {
                kind: Kind::Request,
                function: function::SERIAL_API_STARTED,
                ..
            }
        )
        .then_some(())
    })
    .await;
    if started.is_none() {
        // 500-series sticks and some bridges never send it: carry on after the bounded wait.
        warn!(
            waited_ms = settings.started_wait.as_millis() as u64,
            "no SerialApiStarted after soft reset"
        );
    }
    Ok(())
}

/// RequestNodeInfo, then the ApplicationUpdate that carries the answer. A node that does not
/// answer keeps an empty command class list: it may be asleep or gone, which is not fatal.
pub(crate) async fn request_node_info(
    driver: &Driver,
    settings: &ZwaveSettings,
    node: &mut Node,
) -> Result<(), ZwaveError> {
    let mut frames = driver.subscribe();
    let accepted = response(driver, function::REQUEST_NODE_INFO, vec![node.id]).await?;
    if accepted.first() != Some(&1) {
        warn!(node = node.id, "controller refused RequestNodeInfo");
        return Ok(());
    }
    let id = node.id;
    let info = next_matching(
        &mut frames,
        settings.node_info_timeout,
        |frame| match frame {
            Frame::Data {
                kind: Kind::Request,
                function: APPLICATION_UPDATE,
                payload,
            } => match network::node_info(payload)? {
                NodeInfo::Received {
                    node,
                    command_classes,
                    ..
                } if node == id => Some(Some(command_classes)),
                NodeInfo::Failed => Some(None),
                NodeInfo::Received { .. } => None,
            },
            _ => None,
        },
    )
    .await;
    match info {
        Some(Some(command_classes)) => node.command_classes = command_classes,
        Some(None) | None => warn!(node = id, "no node information frame"),
    }
    Ok(())
}

//! The nodes the memory keeps between runs ([`ZwaveNodeRow`]), as start-up's [`Node`]s and
//! back: what the back end shows before the stick answers, and what start-up need not ask again;
//! and the sensor types each node listed or reported, which its sensor entities need.

use super::command_class::Report;
use super::controller::NodeReport;
use super::network::{Network, Node};
use crate::memory::{Memory, MemoryError, ZwaveNodeRow};

/// The memory's rows for the nodes of `network` (the controller left out).
pub(crate) fn rows(network: &Network) -> Vec<ZwaveNodeRow> {
    (network.nodes.iter())
        .filter(|n| n.id != network.own_node)
        .map(|n| row(network.home_id, n))
        .collect()
}

/// One node as the memory keeps it.
pub(crate) fn row(home_id: u32, n: &Node) -> ZwaveNodeRow {
    ZwaveNodeRow {
        home_id,
        id: n.id,
        classes: [n.basic, n.generic, n.specific],
        listening: n.listening,
        command_classes: n.command_classes.clone(),
    }
}

/// What the memory keeps, as a network with no controller yet (own node 0, no version):
/// enough for the entities; start-up fills in the rest.
pub(crate) fn load(memory: &Memory) -> Result<Network, MemoryError> {
    let rows = memory.zwave_nodes()?;
    let home_id = rows.first().map_or(0, |r| r.home_id);
    let nodes = rows
        .into_iter()
        .map(|r| Node {
            id: r.id,
            basic: r.classes[0],
            generic: r.classes[1],
            specific: r.classes[2],
            listening: r.listening,
            command_classes: r.command_classes,
        })
        .collect();
    Ok(Network {
        home_id,
        nodes,
        ..empty()
    })
}

/// The sensor types kept for each node, as the reports that list them: taken in, they make a
/// kept sensor's entities before it answers.
pub(crate) fn sensor_reports(memory: &Memory) -> Result<Vec<NodeReport>, MemoryError> {
    let kept = memory.zwave_sensor_types()?;
    Ok(kept
        .into_iter()
        .map(|(node, types)| NodeReport {
            node,
            report: Report::SensorTypes { types },
        })
        .collect())
}

/// No nodes kept.
pub(crate) fn empty() -> Network {
    Network {
        home_id: 0,
        own_node: 0,
        version: String::new(),
        product: (0, 0, 0),
        controller_capabilities: 0,
        nodes: Vec::new(),
    }
}

//! Reading a node's whole state: one Get per command class it has, and the Gets the answers
//! call for (each sensor type a Multilevel Sensor lists). Used by the back end's start-up
//! and by a read asked for (`mirai zwave get`, `GET /api/zwave/nodes/{id}`).

use std::collections::VecDeque;

use tracing::warn;

use super::controller::{NodeReport, Zwave};
use super::entities::{follow_ups, queries};
use super::network::Node;

/// The most Gets one node's read may take: a sensor listing every type it could has 40-odd.
const MAX_GETS: usize = 64;

/// Reads `node`, handing each report to `got` as it comes; a Get that fails is logged and
/// skipped.
pub async fn read_node(zwave: &Zwave, node: &Node, mut got: impl FnMut(NodeReport)) {
    let mut todo: VecDeque<_> = queries(node).into();
    let mut sent = 0;
    while let Some(query) = todo.pop_front() {
        sent += 1;
        if sent > MAX_GETS {
            warn!(
                node = node.id,
                "too many Gets for one node; the rest is not read"
            );
            return;
        }
        match zwave.get(node.id, query).await {
            Ok(report) => {
                todo.extend(follow_ups(query, Some(&report)));
                got(NodeReport {
                    node: node.id,
                    report,
                });
            }
            Err(err) => {
                todo.extend(follow_ups(query, None));
                warn!(node = node.id, query = ?query, cause = %err, "cannot read a Z-Wave node");
            }
        }
    }
}

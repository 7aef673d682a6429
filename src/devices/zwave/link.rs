//! The back end's driver thread: start the stick, read every listening node once, follow the
//! reports nodes send; when the link ends or a start fails, wait (1 s, doubling up to a minute)
//! and start again. What start-up learns is kept in the memory.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::{info, warn};

use super::backend::{LinkStatus, Shared};
use super::controller::Zwave;
use super::network::Network;
use super::reading::read_node;
use super::{Ended, ZwaveSettings, kept};

/// The first pause before starting the stick again; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest pause between starts.
const RETRY_MAX: Duration = Duration::from_secs(60);

/// The driver thread's loop: start, read, follow; on failure wait and start again.
pub(super) async fn run(
    shared: Arc<Shared>,
    settings: ZwaveSettings,
    mut stop: watch::Receiver<bool>,
) {
    let mut pause = RETRY_FIRST;
    loop {
        let known = shared.lock().network.nodes.clone();
        match Zwave::start_knowing(settings.clone(), &known, stop.clone()).await {
            Ok((zwave, network, task)) => {
                pause = RETRY_FIRST;
                shared.keep("start-up", |m| m.save_zwave_nodes(&kept::rows(&network)));
                info!(
                    home_id = network.home_id,
                    nodes = network.nodes.len(),
                    "Z-Wave up"
                );
                let ended = follow(&shared, zwave, &network, task).await;
                shared.update(|i| {
                    i.zwave = None;
                    i.status.connected = false;
                    i.status.ready = false;
                    i.status.error = Some(format!("the link ended: {ended:?}"));
                });
                if matches!(ended, Ended::Shutdown) {
                    return;
                }
                warn!(ended = ?ended, "Z-Wave link ended");
            }
            Err(err) => {
                warn!(cause = %err, port = %settings.port, "cannot start the Z-Wave stick");
                shared.update(|i| i.status.error = Some(err.to_string()));
            }
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(RETRY_MAX);
    }
}

/// Reads every listening node once, then takes in reports until the driver task ends.
async fn follow(
    shared: &Shared,
    zwave: Zwave,
    network: &Network,
    mut task: tokio::task::JoinHandle<Ended>,
) -> Ended {
    let mut reports = zwave.reports();
    shared.update(|i| {
        i.nodes.set_network(network);
        i.network = network.clone();
        i.zwave = Some(zwave.clone());
        i.status = LinkStatus {
            connected: true,
            ready: false,
            error: None,
            home_id: Some(network.home_id),
            nodes: i.nodes.len(),
            memory_error: i.status.memory_error.take(),
        };
    });
    let read = async {
        for node in network.nodes.iter().filter(|n| n.id != network.own_node) {
            if !node.listening {
                continue; // a sleeping node answers when it wakes; its reports will come
            }
            read_node(&zwave, node, |report| shared.take(&report)).await;
        }
    };
    tokio::select! {
        () = read => shared.update(|i| i.status.ready = true),
        ended = &mut task => return ended.unwrap_or(Ended::Closed),
    }
    loop {
        tokio::select! {
            report = reports.next() => match report {
                Some(report) => shared.take(&report),
                None => return task.await.unwrap_or(Ended::Closed),
            },
            ended = &mut task => return ended.unwrap_or(Ended::Closed),
        }
    }
}

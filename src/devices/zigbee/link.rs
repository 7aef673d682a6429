//! The back end's driver thread: start the stick, follow the network's events, set up devices
//! that join; when the link ends or a start fails, wait (1 s, doubling up to a minute) and
//! start again.
//!
//! A device that joins is interviewed by the coordinator; then `setup` reads Basic
//! (manufacturer, model, power source) and carries out the reporting plan (bindings,
//! Configure Reporting, reads, IAS enrollment). What devices send is taken in and answered
//! (Default Response, Zone Enroll Response). A device that leaves takes its entities with it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::backend::{Known, Shared, ZONE_ID, delivery};
use super::device::{Device, Endpoint};
use super::interview::{self, Interview};
use super::zcl::clusters::{attr, id};
use super::zcl::reporting::{self, Step};
use super::zcl::{Frame, reporting::read};
use super::{Ended, Event, Zigbee, ZigbeeSettings};

/// The first pause before starting the stick again; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest pause between starts.
const RETRY_MAX: Duration = Duration::from_secs(60);
/// Basic's power source values (ZCL 3.2.2.2.8): 0x01 mains, 0x03 battery.
const MAINS: u8 = 0x01;
const BATTERY: u8 = 0x03;

/// The driver thread's loop: start, follow; on failure wait and start again.
pub(super) async fn run(
    shared: Arc<Shared>,
    settings: ZigbeeSettings,
    mut stop: watch::Receiver<bool>,
) {
    let mut pause = RETRY_FIRST;
    loop {
        match Zigbee::start(settings.clone(), stop.clone()).await {
            Ok((zigbee, network, task)) => {
                pause = RETRY_FIRST;
                info!(
                    channel = network.params.channel,
                    pan_id = network.params.pan_id,
                    formed = network.formed,
                    "Zigbee up"
                );
                shared.update(|i| {
                    i.zigbee = Some(zigbee.clone());
                    i.status.connected = true;
                    i.status.error = None;
                    i.status.ieee = Some(network.ieee);
                    i.status.channel = Some(network.params.channel);
                    i.status.pan_id = Some(network.params.pan_id);
                });
                let ended = follow(&shared, &zigbee, task).await;
                shared.update(|i| {
                    i.zigbee = None;
                    i.interviewing.clear();
                    i.status.connected = false;
                    i.status.error = Some(format!("the link ended: {ended:?}"));
                });
                if matches!(ended, Ended::Shutdown) {
                    return;
                }
                warn!(ended = ?ended, "Zigbee link ended");
            }
            Err(err) => {
                warn!(cause = %err, port = %settings.port, "cannot start the Zigbee stick");
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

/// Takes in the network's events until the driver task ends.
async fn follow(shared: &Arc<Shared>, zigbee: &Zigbee, mut task: JoinHandle<Ended>) -> Ended {
    let mut events = zigbee.events();
    loop {
        tokio::select! {
            ended = &mut task => return ended.unwrap_or(Ended::Closed),
            event = events.recv() => match event {
                Ok(event) => handle(shared, zigbee, event),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    warn!(missed, "the Zigbee back end fell behind on events");
                }
                Err(broadcast::error::RecvError::Closed) => {
                    return task.await.unwrap_or(Ended::Closed);
                }
            },
        }
    }
}

fn handle(shared: &Arc<Shared>, zigbee: &Zigbee, event: Event) {
    match event {
        Event::Joined { nwk, ieee } => {
            info!(nwk, ieee = %format!("{ieee:016x}"), "a Zigbee device joined");
            shared.update(|i| {
                heard(i, ieee, nwk);
                // The coordinator interviews it.
                i.interviewing.insert(ieee);
            });
            shared.save(ieee);
        }
        Event::Announced { nwk, ieee } => {
            let ask = shared.update(|i| {
                heard(i, ieee, nwk);
                let done = i.devices.get(&ieee).is_some_and(|k| k.interviewed);
                !done && i.interviewing.insert(ieee)
            });
            shared.keep("an announcement", |m| {
                m.zigbee_seen(ieee, nwk)
                    .map(drop)
                    .map_err(|e| e.to_string())
            });
            if ask {
                let (shared, zigbee) = (shared.clone(), zigbee.clone());
                tokio::spawn(async move {
                    match zigbee.interview(nwk, ieee).await {
                        Ok(found) => interviewed(&shared, &zigbee, found),
                        Err(err) => failed(&shared, nwk, ieee, &err.to_string()),
                    }
                });
            }
        }
        Event::Interviewed(found) => interviewed(shared, zigbee, found),
        Event::InterviewFailed { nwk, ieee, error } => failed(shared, nwk, ieee, &error),
        Event::Message(message) => {
            let replies = shared.receive(&message);
            if !replies.is_empty() {
                let zigbee = zigbee.clone();
                let (nwk, ep, cluster) = (message.src_nwk, message.src_ep, message.cluster);
                tokio::spawn(async move {
                    for reply in replies {
                        send(&zigbee, nwk, ep, cluster, &reply).await;
                    }
                });
            }
        }
        Event::Left { nwk, ieee } => {
            info!(nwk, ieee = %format!("{ieee:016x}"), "a Zigbee device left");
            shared.update(|i| {
                i.interviewing.remove(&ieee);
                if i.devices.remove(&ieee).is_some() {
                    i.generation += 1;
                }
            });
            shared.keep("a leave", |m| {
                m.forget_zigbee_device(ieee)
                    .map(drop)
                    .map_err(|e| e.to_string())
            });
        }
        Event::ChipReset => shared.update(|i| {
            i.status.error = Some("the stick restarted; resuming the network".into());
        }),
        Event::Recovered => shared.update(|i| i.status.error = None),
        Event::State(_) => {}
    }
}

/// Device `ieee` was heard at `nwk`: known from now on, its address as heard.
fn heard(i: &mut super::backend::Inner, ieee: u64, nwk: u16) {
    let known = i.devices.entry(ieee).or_insert_with(|| Known {
        device: Device::new(ieee, nwk),
        heard: true,
        interviewed: false,
    });
    known.device.nwk = nwk;
    known.heard = true;
    i.generation += 1;
}

fn failed(shared: &Shared, nwk: u16, ieee: u64, error: &str) {
    warn!(nwk, ieee = %format!("{ieee:016x}"), cause = error, "Zigbee interview failed");
    shared.update(|i| i.interviewing.remove(&ieee));
}

/// The interview's endpoints on the device; then its set-up, on a task of its own.
fn interviewed(shared: &Arc<Shared>, zigbee: &Zigbee, found: Interview) {
    let (ieee, nwk) = (found.ieee, found.nwk);
    let endpoints: Vec<Endpoint> = found.endpoints.iter().map(endpoint).collect();
    shared.update(|i| {
        let known = i.devices.entry(ieee).or_insert_with(|| Known {
            device: Device::new(ieee, nwk),
            heard: true,
            interviewed: false,
        });
        known.device.nwk = nwk;
        known.device.endpoints.clone_from(&endpoints);
        if known.device.power_source.is_none() {
            let mains = found.power == interview::PowerSource::Mains;
            known.device.power_source = Some(if mains { MAINS } else { BATTERY });
        }
        i.generation += 1;
    });
    shared.save(ieee);
    let (shared, zigbee) = (shared.clone(), zigbee.clone());
    tokio::spawn(async move {
        set_up(&shared, &zigbee, nwk, ieee, &endpoints).await;
        shared.update(|i| {
            i.interviewing.remove(&ieee);
            if let Some(k) = i.devices.get_mut(&ieee) {
                k.interviewed = true;
            }
        });
        shared.save(ieee);
        info!(ieee = %format!("{ieee:016x}"), "Zigbee device set up");
    });
}

/// The interview's endpoint as the device keeps it.
fn endpoint(e: &interview::Endpoint) -> Endpoint {
    Endpoint {
        id: e.id,
        profile: e.profile,
        device_id: e.device_id,
        in_clusters: e.in_clusters.clone(),
        out_clusters: e.out_clusters.clone(),
    }
}

/// Reads Basic, then carries out the reporting plan of every endpoint. A step the device
/// refuses or does not get is logged; the others go on.
async fn set_up(shared: &Shared, zigbee: &Zigbee, nwk: u16, ieee: u64, endpoints: &[Endpoint]) {
    let basic = (endpoints.iter().find(|e| e.serves(id::BASIC))).or(endpoints.first());
    if let Some(ep) = basic {
        let ask = read(vec![attr::MANUFACTURER, attr::MODEL, attr::POWER_SOURCE]);
        let frame = ask.with_tsn(shared.tsn());
        send(zigbee, nwk, ep.id, id::BASIC, &frame).await;
    }
    for ep in endpoints {
        for step in reporting::plan(ep.id, &ep.in_clusters, zigbee.ieee(), ZONE_ID) {
            match step {
                Step::Bind { endpoint, cluster } => {
                    match zigbee.bind(nwk, ieee, endpoint, cluster).await {
                        Ok(0) => {}
                        Ok(status) => {
                            warn!(
                                nwk,
                                endpoint, cluster, status, "a Zigbee device refused a binding"
                            );
                        }
                        Err(err) => {
                            warn!(nwk, endpoint, cluster, cause = %err, "cannot bind a Zigbee device");
                        }
                    }
                }
                Step::Send {
                    endpoint,
                    cluster,
                    frame,
                } => {
                    let frame = frame.with_tsn(shared.tsn());
                    send(zigbee, nwk, endpoint, cluster, &frame).await;
                }
            }
        }
    }
}

/// Sends `frame` to `nwk` / `ep` / `cluster`; a frame not delivered is logged.
async fn send(zigbee: &Zigbee, nwk: u16, ep: u8, cluster: u16, frame: &Frame) {
    match zigbee.send_zcl(nwk, ep, cluster, &frame.encode()).await {
        Ok(0) => {}
        Ok(status) => warn!(
            nwk,
            ep,
            cluster,
            status,
            why = delivery(status),
            "a ZCL frame did not reach a Zigbee device"
        ),
        Err(err) => warn!(nwk, ep, cluster, cause = %err, "cannot send a ZCL frame"),
    }
}

//! A service call on a Zigbee light or switch: the ZCL commands the call asks for, each
//! delivered or not (AF_DATA_CONFIRM), then a Read Attributes of what they changed, and the
//! state the device answered with. A device that says no (a Default Response with a failure
//! status, a command not delivered, no answer in time) is a refusal with its reason.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use super::{Shared, ZigbeeBackend, delivery, said, unavailable};
use crate::devices::zigbee::entities::{self, Request};
use crate::devices::zigbee::zcl::clusters::id;
use crate::devices::zigbee::zcl::reporting::{read, state_attributes};
use crate::devices::zigbee::zcl::{Frame, Global};
use crate::devices::zigbee::{Event, Zigbee, ZigbeeError};
use crate::devices::{Backend, DeviceError, Outcome, ServiceCall};

/// What the commands came to, before the entity is read again.
pub(super) enum Answer {
    /// The device answered the reads.
    Read,
    /// It refused, or the commands did not reach it.
    No(String),
}

impl ZigbeeBackend {
    /// Carries out `call`: plans it against the device, sends, reads back, and judges.
    pub(super) fn act(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        let (requests, nwk, name) = {
            let inner = self.shared.lock();
            let unknown = || DeviceError::UnknownEntity(call.entity_id.clone());
            let known = inner.owner(&call.entity_id).ok_or_else(unknown)?;
            let label = inner.label(known.device.ieee);
            let requests = entities::plan(&known.device, &label, call)?;
            let name = entities::name(&known.device, &label);
            (requests, known.device.nwk, name)
        };
        let zigbee = self.zigbee()?;
        let shared = self.shared.clone();
        let wait = self.settings.answer_timeout;
        let who = name.clone();
        let answer = self.block(async move {
            send_and_read(&shared, &zigbee, nwk, &requests, &who, wait).await
        })?;
        let answer = answer.map_err(|e| unavailable(&e.to_string()))?;
        if let Answer::No(reason) = answer {
            return Ok(Outcome::Refused { reason });
        }
        let now = self.entity(&call.entity_id);
        let state = now.as_ref().map_or("unknown", |e| e.state.as_str());
        Ok(match wanted(call) {
            Some(want) if want != state => Outcome::Refused {
                reason: format!(
                    "{name} did not {}: it reports {state}",
                    call.service.replace('_', " ")
                ),
            },
            _ => Outcome::Done {
                state: state.to_owned(),
            },
        })
    }
}

/// The state a call should leave: `off` for `turn_off` or a zero brightness, `on` for
/// `turn_on`, anything for `toggle`.
fn wanted(call: &ServiceCall) -> Option<&'static str> {
    let zero = ["brightness", "brightness_pct"]
        .iter()
        .any(|k| call.data.get(*k).and_then(|v| v.as_f64()) == Some(0.0));
    match call.service.as_str() {
        "turn_off" => Some("off"),
        "turn_on" if zero => Some("off"),
        "turn_on" => Some("on"),
        _ => None,
    }
}

/// Sends `requests` to `nwk`, then reads back the clusters they touched (On/Off always) and
/// waits up to `wait` for the answers.
async fn send_and_read(
    shared: &Arc<Shared>,
    zigbee: &Zigbee,
    nwk: u16,
    requests: &[Request],
    name: &str,
    wait: Duration,
) -> Result<Answer, ZigbeeError> {
    let mut events = zigbee.events();
    let mut commands = Vec::new();
    for r in requests {
        let tsn = shared.tsn();
        commands.push(tsn);
        let bytes = r.frame.clone().with_tsn(tsn).encode();
        let status = zigbee.send_zcl(nwk, r.endpoint, r.cluster, &bytes).await?;
        if status != 0 {
            return Ok(not_delivered(name, status));
        }
    }
    let Some(endpoint) = requests.first().map(|r| r.endpoint) else {
        return Ok(Answer::Read);
    };
    let mut clusters = vec![(endpoint, id::ON_OFF)];
    for r in requests {
        if !clusters.contains(&(r.endpoint, r.cluster)) {
            clusters.push((r.endpoint, r.cluster));
        }
    }
    read_back(
        shared,
        zigbee,
        &mut events,
        nwk,
        &clusters,
        &commands,
        name,
        wait,
    )
    .await
}

/// A command or a read the network did not deliver.
fn not_delivered(name: &str, status: u8) -> Answer {
    Answer::No(format!(
        "{name} did not get the command: {} (status 0x{status:02X})",
        delivery(status)
    ))
}

/// Reads the state attributes of `clusters` (endpoint, cluster) of device `nwk` and waits up
/// to `wait` for every answer, taking each in; a failing Default Response to one of
/// `commands` (TSNs) is the device saying no. `events` was subscribed before the commands.
#[allow(clippy::too_many_arguments)]
pub(super) async fn read_back(
    shared: &Arc<Shared>,
    zigbee: &Zigbee,
    events: &mut broadcast::Receiver<Event>,
    nwk: u16,
    clusters: &[(u8, u16)],
    commands: &[u8],
    name: &str,
    wait: Duration,
) -> Result<Answer, ZigbeeError> {
    let mut reads = Vec::new();
    for &(endpoint, cluster) in clusters {
        let attributes = state_attributes(cluster);
        if attributes.is_empty() {
            continue;
        }
        let tsn = shared.tsn();
        let frame = read(attributes).with_tsn(tsn).encode();
        let status = zigbee.send_zcl(nwk, endpoint, cluster, &frame).await?;
        if status != 0 {
            return Ok(not_delivered(name, status));
        }
        reads.push(tsn);
    }
    let deadline = tokio::time::Instant::now() + wait;
    while !reads.is_empty() {
        let event = match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => {
                let secs = wait.as_secs_f32();
                return Ok(Answer::No(format!(
                    "{name} did not report its state back within {secs} s"
                )));
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(broadcast::error::RecvError::Closed)) => return Err(ZigbeeError::Stopped),
            Ok(Ok(event)) => event,
        };
        let Event::Message(message) = event else {
            continue;
        };
        if message.src_nwk != nwk {
            continue;
        }
        let Ok(frame) = Frame::parse(&message.payload) else {
            continue;
        };
        let tsn = frame.header.tsn;
        match Global::parse(&frame) {
            Ok(Some(Global::DefaultResponse { status, .. }))
                if commands.contains(&tsn) && status.0 != 0 =>
            {
                return Ok(Answer::No(format!(
                    "{name} refused the command: {}",
                    said(status.0)
                )));
            }
            Ok(Some(Global::ReadResponse(_))) if reads.contains(&tsn) => {
                // The follow loop takes it in too, and answers it; the state is the same.
                shared.take_only(&message, &frame);
                reads.retain(|t| *t != tsn);
            }
            _ => {}
        }
    }
    Ok(Answer::Read)
}

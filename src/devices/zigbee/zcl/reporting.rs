//! What to set up on a device that joined, so that it tells the hub when something changes:
//! for each server cluster MIRAI reads, a binding to the coordinator and a Configure
//! Reporting frame, then a read of the same attributes for the state now; for an IAS zone,
//! the enrollment.
//!
//! Intervals follow Zigbee2MQTT's defaults (zigbee-herdsman-converters src/lib/reporting.ts:
//! on/off 0 s / 1 h, level 1 s / 1 h / 1, color temperature 0 s / 1 h / 1, occupancy 0 s / 1 h,
//! battery 1 h / 62000 s), except the changes of temperature and humidity: 0.10 °C and 0.5 %
//! here (Zigbee2MQTT: 1 °C, 1 %) so that a room's slow drift shows, and a battery change
//! of 1 (half a percent) rather than any change.

use super::clusters::{attr, id};
use super::global::{Global, ReportingRecord};
use super::header::{Frame, FrameType, Header};
use super::ias::{ZoneCommand, enroll_response, write_cie_address};
use super::types::id as ty;

/// One hour, seconds.
const HOUR: u16 = 3600;
/// The longest maximum interval Zigbee2MQTT uses (about 17 hours; 0xFFFF would stop reports).
const MAX: u16 = 62000;

/// One thing to do for a device's endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Bind the endpoint's `cluster` to the coordinator (ZDO Bind), so reports come to the hub.
    Bind {
        /// The device's endpoint.
        endpoint: u8,
        /// The cluster.
        cluster: u16,
    },
    /// Send `frame` to `cluster` on the endpoint.
    Send {
        /// The device's endpoint.
        endpoint: u8,
        /// The cluster.
        cluster: u16,
        /// The ZCL frame (TSN 0: the link sets it).
        frame: Frame,
    },
}

/// A record with the change given in the attribute's own units.
fn record(attribute: u16, type_id: u8, min: u16, max: u16, change: u64) -> ReportingRecord {
    ReportingRecord {
        attribute,
        type_id,
        min,
        max,
        change,
    }
}

/// The reporting records for one server cluster; empty for a cluster MIRAI does not follow.
pub fn records(cluster: u16) -> Vec<ReportingRecord> {
    match cluster {
        id::ON_OFF => vec![record(attr::ON_OFF, ty::BOOL, 0, HOUR, 0)],
        id::LEVEL => vec![record(attr::CURRENT_LEVEL, ty::U8, 1, HOUR, 1)],
        id::COLOR => vec![record(attr::COLOR_TEMPERATURE, ty::U16, 0, HOUR, 1)],
        id::TEMPERATURE => vec![record(attr::MEASURED_VALUE, ty::I16, 10, HOUR, 10)],
        id::HUMIDITY => vec![record(attr::MEASURED_VALUE, ty::U16, 10, HOUR, 50)],
        id::OCCUPANCY => vec![record(attr::OCCUPANCY, ty::BITMAP8, 0, HOUR, 0)],
        id::POWER_CONFIGURATION => vec![
            record(attr::BATTERY_PERCENT, ty::U8, HOUR, MAX, 1),
            record(attr::BATTERY_VOLTAGE, ty::U8, HOUR, MAX, 1),
        ],
        _ => Vec::new(),
    }
}

/// The attributes to read for a server cluster's state now.
pub fn state_attributes(cluster: u16) -> Vec<u16> {
    match cluster {
        id::COLOR => vec![
            attr::CURRENT_X,
            attr::CURRENT_Y,
            attr::COLOR_TEMPERATURE,
            attr::COLOR_MODE,
        ],
        id::IAS_ZONE => vec![attr::ZONE_STATE, attr::ZONE_TYPE, attr::ZONE_STATUS],
        other => records(other).iter().map(|r| r.attribute).collect(),
    }
}

/// A Read Attributes frame for `attributes`.
pub fn read(attributes: Vec<u16>) -> Frame {
    frame(&Global::Read(attributes))
}

/// A Read or Configure Reporting frame: they hold only numbers, which always encode.
fn frame(global: &Global) -> Frame {
    Frame {
        header: Header::to_server(FrameType::Global, global.id()),
        payload: global.payload().unwrap_or_default(),
    }
}

/// The steps for endpoint `endpoint` with server clusters `in_clusters`: per followed
/// cluster a bind, a Configure Reporting and a read; for an IAS zone the enrollment with the
/// coordinator's IEEE address `coordinator` and zone id `zone_id`.
pub fn plan(endpoint: u8, in_clusters: &[u16], coordinator: u64, zone_id: u8) -> Vec<Step> {
    let mut steps = Vec::new();
    for &cluster in in_clusters {
        let records = records(cluster);
        if records.is_empty() {
            continue;
        }
        steps.push(Step::Bind { endpoint, cluster });
        let send = |frame| Step::Send {
            endpoint,
            cluster,
            frame,
        };
        steps.push(send(frame(&Global::ConfigureReporting(records))));
        steps.push(send(read(state_attributes(cluster))));
    }
    if in_clusters.contains(&id::IAS_ZONE) {
        steps.extend(enrollment(endpoint, coordinator, zone_id));
    }
    steps
}

/// IAS enrollment: write the CIE address, then an unsolicited Zone Enroll Response (the
/// "auto-enroll-response" way of ZCL 8.2.2.2.3, for zones that never ask), then read the
/// zone's state, type and status. A zone that does ask is answered by [`answer`].
pub fn enrollment(endpoint: u8, coordinator: u64, zone_id: u8) -> Vec<Step> {
    let cluster = id::IAS_ZONE;
    [
        write_cie_address(coordinator),
        enroll_response(zone_id),
        read(state_attributes(cluster)),
    ]
    .into_iter()
    .map(|frame| Step::Send {
        endpoint,
        cluster,
        frame,
    })
    .collect()
}

/// What the hub answers to a zone's command: a Zone Enroll Response with `zone_id` to an
/// Enroll Request (same TSN); nothing to a status change (its Default Response is
/// [`super::global::default_response`]'s business).
pub fn answer(command: &ZoneCommand, tsn: u8, zone_id: u8) -> Option<Frame> {
    match command {
        ZoneCommand::EnrollRequest { .. } => Some(enroll_response(zone_id).with_tsn(tsn)),
        ZoneCommand::StatusChange { .. } => None,
    }
}

//! A joined Zigbee device as the hub keeps it: its addresses, what the interview found
//! (endpoints and their clusters, Basic's manufacturer, model and power source) and what it
//! last reported, per endpoint. Serializable, so the memory can keep it as JSON between runs.
//!
//! [`Device::receive`] takes in a ZCL frame the device sent and says what changed and what
//! the hub must answer (a Default Response, a Zone Enroll Response).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::zcl::global::{Global, Status, default_response};
use super::zcl::ias::ZoneCommand;
use super::zcl::{
    AttributeResult, Frame, FrameType, Reading, Value, ZclError, clusters, reporting,
};

/// One endpoint from the device's Simple Descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The endpoint number (1–240).
    pub id: u8,
    /// The application profile: 0x0104 Home Automation, 0xC05E Light Link.
    pub profile: u16,
    /// The profile's device id: 0x0100 on/off light, 0x010A plug, 0x0402 IAS zone…
    pub device_id: u16,
    /// Server clusters: what the endpoint is (and what MIRAI reads and drives).
    pub in_clusters: Vec<u16>,
    /// Client clusters: what the endpoint sends to others (a remote's On/Off).
    pub out_clusters: Vec<u16>,
}

impl Endpoint {
    /// Whether the endpoint has `cluster` as a server.
    pub fn serves(&self, cluster: u16) -> bool {
        self.in_clusters.contains(&cluster)
    }
}

/// What one endpoint last reported; `None` until it has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// On/Off.
    pub on: Option<bool>,
    /// Level, 0–254.
    pub level: Option<u8>,
    /// Color x, /65536.
    pub color_x: Option<u16>,
    /// Color y, /65536.
    pub color_y: Option<u16>,
    /// Color temperature, mireds.
    pub color_temperature: Option<u16>,
    /// Color mode: 0 hue/saturation, 1 xy, 2 temperature.
    pub color_mode: Option<u8>,
    /// Temperature, °C.
    pub temperature: Option<f32>,
    /// Relative humidity, %.
    pub humidity: Option<f32>,
    /// Occupancy.
    pub occupied: Option<bool>,
    /// IAS zone type.
    pub zone_type: Option<u16>,
    /// IAS zone status bits.
    pub zone_status: Option<u16>,
    /// Enrolled with the hub as CIE.
    pub zone_enrolled: Option<bool>,
    /// Battery remaining, %.
    pub battery_percent: Option<f32>,
    /// Battery voltage, V.
    pub battery_voltage: Option<f32>,
}

/// A joined device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// The IEEE (MAC) address: the device's identity for life.
    pub ieee: u64,
    /// The network address, which may change when it rejoins.
    pub nwk: u16,
    /// Basic's manufacturer name.
    #[serde(default)]
    pub manufacturer: Option<String>,
    /// Basic's model identifier.
    #[serde(default)]
    pub model: Option<String>,
    /// Basic's power source (0x01 mains, 0x03 battery…).
    #[serde(default)]
    pub power_source: Option<u8>,
    /// The endpoints, in the order the device listed them.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    /// What each endpoint last reported, by endpoint number.
    #[serde(default)]
    pub readings: BTreeMap<u8, State>,
}

/// What a frame from the device did.
#[derive(Debug, Default, PartialEq)]
pub struct Received {
    /// A reading changed.
    pub changed: bool,
    /// Frames the hub sends back, to the same endpoint and cluster.
    pub replies: Vec<Frame>,
    /// Attributes whose values could not be read; the frame's others were taken in.
    pub problems: Vec<ZclError>,
}

impl Device {
    /// A device known by its addresses only, before its interview.
    pub fn new(ieee: u64, nwk: u16) -> Device {
        Device {
            ieee,
            nwk,
            manufacturer: None,
            model: None,
            power_source: None,
            endpoints: Vec::new(),
            readings: BTreeMap::new(),
        }
    }

    /// The endpoint numbered `id`.
    pub fn endpoint(&self, id: u8) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// What endpoint `id` last reported.
    pub fn state(&self, id: u8) -> Option<&State> {
        self.readings.get(&id)
    }

    /// Takes in one reading from endpoint `endpoint`; whether anything changed.
    pub fn apply(&mut self, endpoint: u8, reading: Reading) -> bool {
        match reading {
            Reading::Manufacturer(m) => return set(&mut self.manufacturer, Some(m)),
            Reading::Model(m) => return set(&mut self.model, Some(m)),
            Reading::PowerSource(p) => return set(&mut self.power_source, Some(p)),
            Reading::CieAddress(_) => return false,
            _ => {}
        }
        let s = self.readings.entry(endpoint).or_default();
        match reading {
            Reading::BatteryVoltage(v) => set(&mut s.battery_voltage, v),
            Reading::BatteryPercent(v) => set(&mut s.battery_percent, v.map(|p| p.min(100.0))),
            Reading::On(on) => set(&mut s.on, Some(on)),
            Reading::Level(l) => set(&mut s.level, Some(l)),
            Reading::ColorX(x) => set(&mut s.color_x, Some(x)),
            Reading::ColorY(y) => set(&mut s.color_y, Some(y)),
            Reading::ColorTemperature(m) => set(&mut s.color_temperature, Some(m)),
            Reading::ColorMode(m) => set(&mut s.color_mode, Some(m)),
            Reading::Temperature(t) => set(&mut s.temperature, t),
            Reading::Humidity(h) => set(&mut s.humidity, h),
            Reading::Occupied(o) => set(&mut s.occupied, Some(o)),
            Reading::ZoneEnrolled(e) => set(&mut s.zone_enrolled, Some(e)),
            Reading::ZoneType(t) => set(&mut s.zone_type, Some(t)),
            Reading::ZoneStatus(z) => set(&mut s.zone_status, Some(z)),
            Reading::Manufacturer(_)
            | Reading::Model(_)
            | Reading::PowerSource(_)
            | Reading::CieAddress(_) => false,
        }
    }

    /// Takes in a ZCL frame the device sent from `endpoint`'s `cluster`: reports, read
    /// responses and IAS zone commands update its readings. The answer to an IAS Enroll
    /// Request carries `zone_id`. An error means the frame as a whole could not be read.
    pub fn receive(
        &mut self,
        endpoint: u8,
        cluster: u16,
        frame: &Frame,
        zone_id: u8,
    ) -> Result<Received, ZclError> {
        let mut out = Received::default();
        let mut status = Status::SUCCESS;
        let take = |device: &mut Device, attribute: u16, value: &Value, out: &mut Received| {
            match Reading::decode(cluster, attribute, value) {
                Ok(Some(r)) => out.changed |= device.apply(endpoint, r),
                Ok(None) => {}
                Err(e) => out.problems.push(e),
            }
        };
        match Global::parse(frame)? {
            Some(Global::Report(records)) => {
                records
                    .iter()
                    .for_each(|(a, v)| take(self, *a, v, &mut out));
            }
            Some(Global::ReadResponse(records)) => {
                for (a, result) in &records {
                    if let AttributeResult::Value(v) = result {
                        take(self, *a, v, &mut out);
                    }
                }
            }
            Some(_) => {}
            None if frame.header.frame_type == FrameType::Global => {
                status = Status::UNSUP_GENERAL_COMMAND;
            }
            None if cluster == clusters::id::IAS_ZONE => match ZoneCommand::parse(frame)? {
                Some(ZoneCommand::StatusChange { status, .. }) => {
                    out.changed |= self.apply(endpoint, Reading::ZoneStatus(status.0));
                }
                Some(command @ ZoneCommand::EnrollRequest { zone_type, .. }) => {
                    out.changed |= self.apply(endpoint, Reading::ZoneType(zone_type));
                    out.replies
                        .extend(reporting::answer(&command, frame.header.tsn, zone_id));
                }
                None => status = Status::UNSUP_CLUSTER_COMMAND,
            },
            None => status = Status::UNSUP_CLUSTER_COMMAND,
        }
        // An Enroll Request is answered by its own response, not a Default Response.
        if out.replies.is_empty() {
            out.replies.extend(default_response(&frame.header, status));
        }
        Ok(out)
    }
}

/// Puts `value` in `slot`; whether it differed.
fn set<T: PartialEq>(slot: &mut T, value: T) -> bool {
    let changed = *slot != value;
    *slot = value;
    changed
}

#[cfg(test)]
mod tests;

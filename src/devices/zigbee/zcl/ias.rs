//! IAS Zone (cluster 0x0500, ZCL chapter 8): alarm sensors. A zone reports its alarms as
//! commands to its CIE (here, the coordinator), once enrolled: the hub writes its own IEEE
//! address into the zone's CIE address, the zone asks to enroll (Zone Enroll Request), the
//! hub answers with a zone id (Zone Enroll Response), and from then on the zone sends Zone
//! Status Change Notifications.

use super::global::Global;
use super::header::{Direction, Frame, FrameType, Header};
use super::{Value, ZclError, clusters::attr};

/// Zone types (ZCL table 8-5), the ones MIRAI names.
pub mod zone_type {
    /// Standard CIE (a panel, not a sensor).
    pub const STANDARD_CIE: u16 = 0x0000;
    /// Motion sensor.
    pub const MOTION: u16 = 0x000D;
    /// Contact switch (door or window).
    pub const CONTACT: u16 = 0x0015;
    /// Door/window handle.
    pub const DOOR_HANDLE: u16 = 0x0016;
    /// Fire (smoke) sensor.
    pub const FIRE: u16 = 0x0028;
    /// Water leak sensor.
    pub const WATER: u16 = 0x002A;
    /// Carbon monoxide sensor.
    pub const CARBON_MONOXIDE: u16 = 0x002B;
    /// Personal emergency device.
    pub const EMERGENCY: u16 = 0x002C;
    /// Vibration or movement sensor.
    pub const VIBRATION: u16 = 0x002D;
    /// Glass break sensor.
    pub const GLASS_BREAK: u16 = 0x0226;
}

/// The zone status bits (ZCL table 8-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ZoneStatus(pub u16);

impl ZoneStatus {
    /// Bit 0: the zone's main alarm (open, wet, motion…).
    pub fn alarm1(self) -> bool {
        self.0 & 0x0001 != 0
    }
    /// Bit 1: a second alarm, by zone type.
    pub fn alarm2(self) -> bool {
        self.0 & 0x0002 != 0
    }
    /// Bit 2: the case was opened.
    pub fn tamper(self) -> bool {
        self.0 & 0x0004 != 0
    }
    /// Bit 3: the battery is low.
    pub fn battery_low(self) -> bool {
        self.0 & 0x0008 != 0
    }
    /// Bit 6: the zone has a fault.
    pub fn trouble(self) -> bool {
        self.0 & 0x0040 != 0
    }
}

/// A command an IAS zone sends to its CIE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneCommand {
    /// 0x00 Zone Status Change Notification.
    StatusChange {
        /// The new status.
        status: ZoneStatus,
        /// Extended status (reserved, zero).
        extended: u8,
        /// The zone id the CIE gave (absent from older zones).
        zone_id: Option<u8>,
        /// Quarter-seconds the zone waited before sending (absent from older zones).
        delay: Option<u16>,
    },
    /// 0x01 Zone Enroll Request.
    EnrollRequest {
        /// The zone type.
        zone_type: u16,
        /// The maker's code.
        manufacturer: u16,
    },
}

impl ZoneCommand {
    /// The zone command in `frame` (a cluster-specific frame from an IAS Zone server);
    /// `None` for another command id.
    pub fn parse(frame: &Frame) -> Result<Option<ZoneCommand>, ZclError> {
        let h = &frame.header;
        if h.frame_type != FrameType::Cluster || h.direction != Direction::ToClient {
            return Ok(None);
        }
        let mut r = frame.payload_reader();
        let command = match h.command {
            0x00 => {
                let status = ZoneStatus(r.u16("zone status")?);
                let extended = r.u8("extended status")?;
                let zone_id = if r.is_empty() {
                    None
                } else {
                    Some(r.u8("zone id")?)
                };
                let delay = if r.is_empty() {
                    None
                } else {
                    Some(r.u16("delay")?)
                };
                ZoneCommand::StatusChange {
                    status,
                    extended,
                    zone_id,
                    delay,
                }
            }
            0x01 => ZoneCommand::EnrollRequest {
                zone_type: r.u16("zone type")?,
                manufacturer: r.u16("manufacturer code")?,
            },
            _ => return Ok(None),
        };
        r.finish("zone command")?;
        Ok(Some(command))
    }

    /// The command as a frame from the zone (for tests and peers that play a device).
    pub fn frame(&self) -> Frame {
        let (id, mut payload) = match *self {
            ZoneCommand::StatusChange {
                status, extended, ..
            } => (
                0x00,
                [status.0.to_le_bytes().as_slice(), &[extended]].concat(),
            ),
            ZoneCommand::EnrollRequest {
                zone_type,
                manufacturer,
            } => (
                0x01,
                [zone_type.to_le_bytes(), manufacturer.to_le_bytes()].concat(),
            ),
        };
        if let ZoneCommand::StatusChange {
            zone_id: Some(z),
            delay,
            ..
        } = *self
        {
            payload.push(z);
            if let Some(d) = delay {
                payload.extend_from_slice(&d.to_le_bytes());
            }
        }
        Frame {
            header: Header {
                direction: Direction::ToClient,
                disable_default_response: false,
                ..Header::to_server(FrameType::Cluster, id)
            },
            payload,
        }
    }
}

/// The host's 0x00 Zone Enroll Response: success, with the zone id the zone will use.
pub fn enroll_response(zone_id: u8) -> Frame {
    Frame {
        header: Header::to_server(FrameType::Cluster, 0x00),
        payload: vec![0x00, zone_id],
    }
}

/// Write Attributes of the CIE address: where the zone sends its alarms (`coordinator`'s
/// IEEE address).
pub fn write_cie_address(coordinator: u64) -> Frame {
    let mut payload = attr::CIE_ADDRESS.to_le_bytes().to_vec();
    payload.push(Value::Eui64(coordinator).type_id());
    payload.extend_from_slice(&coordinator.to_le_bytes());
    Frame {
        header: Header::to_server(FrameType::Global, Global::Write(Vec::new()).id()),
        payload,
    }
}

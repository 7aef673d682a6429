//! The global commands every cluster shares (ZCL 2.5): Read Attributes 0x00 and its response
//! 0x01, Write Attributes 0x02 and its response 0x04, Configure Reporting 0x06 and its
//! response 0x07, Report Attributes 0x0A, Default Response 0x0B. Each parses from a frame's
//! payload and encodes back into one.

use super::extent::is_known;
use super::header::{Direction, Frame, FrameType, Header};
use super::types::{is_analog, read_typed};
use super::{Reader, Value, ZclError, put_uint};

/// A ZCL status: 0x00 success; anything else is the device saying no, a value to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u8);

impl Status {
    /// The command or attribute was handled.
    pub const SUCCESS: Status = Status(0x00);
    /// The command failed for a reason the device does not say.
    pub const FAILURE: Status = Status(0x01);
    /// The frame was malformed.
    pub const MALFORMED_COMMAND: Status = Status(0x80);
    /// The cluster has no such command.
    pub const UNSUP_CLUSTER_COMMAND: Status = Status(0x81);
    /// The device has no such global command.
    pub const UNSUP_GENERAL_COMMAND: Status = Status(0x82);
    /// The cluster has no such attribute.
    pub const UNSUPPORTED_ATTRIBUTE: Status = Status(0x86);
    /// The value is out of range.
    pub const INVALID_VALUE: Status = Status(0x87);
    /// The attribute cannot be written.
    pub const READ_ONLY: Status = Status(0x88);
    /// The attribute cannot be reported.
    pub const UNREPORTABLE_ATTRIBUTE: Status = Status(0x8C);
    /// The value's type is not the attribute's.
    pub const INVALID_DATA_TYPE: Status = Status(0x8D);

    /// The status's name in the specification, or its number.
    pub fn name(self) -> String {
        let name = match self.0 {
            0x00 => "SUCCESS",
            0x01 => "FAILURE",
            0x7E => "NOT_AUTHORIZED",
            0x80 => "MALFORMED_COMMAND",
            0x81 => "UNSUP_CLUSTER_COMMAND",
            0x82 => "UNSUP_GENERAL_COMMAND",
            0x83 => "UNSUP_MANUF_CLUSTER_COMMAND",
            0x84 => "UNSUP_MANUF_GENERAL_COMMAND",
            0x85 => "INVALID_FIELD",
            0x86 => "UNSUPPORTED_ATTRIBUTE",
            0x87 => "INVALID_VALUE",
            0x88 => "READ_ONLY",
            0x89 => "INSUFFICIENT_SPACE",
            0x8B => "NOT_FOUND",
            0x8C => "UNREPORTABLE_ATTRIBUTE",
            0x8D => "INVALID_DATA_TYPE",
            0x94 => "TIMEOUT",
            0xC3 => "UNSUPPORTED_CLUSTER",
            other => return format!("status 0x{other:02X}"),
        };
        format!("{name} (0x{:02X})", self.0)
    }
}

/// One attribute of a Read Attributes Response: its value, or the status that says why not
/// (an attribute the device lacks is `Status(UNSUPPORTED_ATTRIBUTE)`, a value like any other).
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeResult {
    /// The attribute's value.
    Value(Value),
    /// The device's reason for not giving it.
    Status(Status),
}

/// One record of Configure Reporting: the device reports `attribute` at most every `min`
/// seconds, at least every `max` seconds, and when it moves by `change` (analog types only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportingRecord {
    /// The attribute.
    pub attribute: u16,
    /// Its data type.
    pub type_id: u8,
    /// Minimum interval, seconds.
    pub min: u16,
    /// Maximum interval, seconds (0xFFFF: stop reporting).
    pub max: u16,
    /// Reportable change in the attribute's own units and width (ignored for discrete types).
    pub change: u64,
}

/// A global command.
#[derive(Debug, Clone, PartialEq)]
pub enum Global {
    /// 0x00: read these attributes.
    Read(Vec<u16>),
    /// 0x01: each attribute asked for, with its value or status.
    ReadResponse(Vec<(u16, AttributeResult)>),
    /// 0x02: write these values.
    Write(Vec<(u16, Value)>),
    /// 0x04: the failed attributes with their status, or one `SUCCESS` with no attribute.
    WriteResponse(Vec<(Status, Option<u16>)>),
    /// 0x06: set up reports (records of direction 0, "the device reports").
    ConfigureReporting(Vec<ReportingRecord>),
    /// 0x07: the attributes that failed with their status, or one `SUCCESS`.
    ConfigureReportingResponse(Vec<(Status, Option<u16>)>),
    /// 0x0A: attribute values the device reports.
    Report(Vec<(u16, Value)>),
    /// 0x0B: the outcome of a command that has no answer of its own.
    DefaultResponse {
        /// The command answered.
        command: u8,
        /// Its outcome.
        status: Status,
    },
}

/// The width of an analog type's reportable change.
fn change_width(type_id: u8) -> usize {
    match type_id {
        0x20..=0x27 => usize::from(type_id - 0x1F),
        0x28..=0x2F => usize::from(type_id - 0x27),
        0x38 => 2,
        0x3A => 8,
        _ => 4,
    }
}

impl Global {
    /// The command id.
    pub fn id(&self) -> u8 {
        match self {
            Global::Read(_) => 0x00,
            Global::ReadResponse(_) => 0x01,
            Global::Write(_) => 0x02,
            Global::WriteResponse(_) => 0x04,
            Global::ConfigureReporting(_) => 0x06,
            Global::ConfigureReportingResponse(_) => 0x07,
            Global::Report(_) => 0x0A,
            Global::DefaultResponse { .. } => 0x0B,
        }
    }

    /// The global command in `frame`; `None` for a cluster-specific frame or a global command
    /// MIRAI does not read (discover attributes…). Manufacturer-specific frames parse alike.
    pub fn parse(frame: &Frame) -> Result<Option<Global>, ZclError> {
        if frame.header.frame_type != FrameType::Global {
            return Ok(None);
        }
        let mut r = frame.payload_reader();
        let r = &mut r;
        let global = match frame.header.command {
            0x00 => Global::Read(records(r, |r| r.u16("attribute id"))?),
            0x01 => Global::ReadResponse(records(r, read_record)?),
            0x02 => Global::Write(records(r, |r| {
                Ok((r.u16("attribute id")?, read_typed(r)?))
            })?),
            0x04 => Global::WriteResponse(statuses(r, false)?),
            0x06 => Global::ConfigureReporting(records(r, reporting_record)?),
            0x07 => Global::ConfigureReportingResponse(statuses(r, true)?),
            0x0A => Global::Report(records(r, |r| {
                Ok((r.u16("attribute id")?, read_typed(r)?))
            })?),
            0x0B => {
                let g = Global::DefaultResponse {
                    command: r.u8("answered command id")?,
                    status: Status(r.u8("status")?),
                };
                r.finish("default response")?;
                g
            }
            _ => return Ok(None),
        };
        Ok(Some(global))
    }

    /// The command's payload bytes.
    pub fn payload(&self) -> Result<Vec<u8>, ZclError> {
        let mut out = Vec::new();
        match self {
            Global::Read(ids) => ids
                .iter()
                .for_each(|a| out.extend_from_slice(&a.to_le_bytes())),
            Global::ReadResponse(records) => {
                for (attribute, result) in records {
                    out.extend_from_slice(&attribute.to_le_bytes());
                    match result {
                        AttributeResult::Value(v) => {
                            out.extend_from_slice(&[0, v.type_id()]);
                            v.write(&mut out)?;
                        }
                        AttributeResult::Status(s) => out.push(s.0),
                    }
                }
            }
            Global::Write(records) | Global::Report(records) => {
                for (attribute, value) in records {
                    out.extend_from_slice(&attribute.to_le_bytes());
                    out.push(value.type_id());
                    value.write(&mut out)?;
                }
            }
            Global::WriteResponse(records) => status_bytes(&mut out, records, false),
            Global::ConfigureReporting(records) => {
                for rec in records {
                    out.push(0);
                    out.extend_from_slice(&rec.attribute.to_le_bytes());
                    out.push(rec.type_id);
                    out.extend_from_slice(&rec.min.to_le_bytes());
                    out.extend_from_slice(&rec.max.to_le_bytes());
                    if is_analog(rec.type_id) {
                        put_uint(&mut out, rec.change, change_width(rec.type_id));
                    }
                }
            }
            Global::ConfigureReportingResponse(records) => status_bytes(&mut out, records, true),
            Global::DefaultResponse { command, status } => {
                out.extend_from_slice(&[*command, status.0])
            }
        }
        Ok(out)
    }

    /// The command as a frame going `direction`, with TSN 0.
    pub fn frame(&self, direction: Direction) -> Result<Frame, ZclError> {
        Ok(Frame {
            header: Header {
                direction,
                ..Header::to_server(FrameType::Global, self.id())
            },
            payload: self.payload()?,
        })
    }
}

/// The Default Response `received` calls for, with `status`: none when the sender disabled
/// it or the frame is itself a response (ZCL 2.5.12.2: read, write, configure reporting,
/// discover and default responses are never answered). A report is answered this way. The
/// answer goes back the other way, with the same TSN and manufacturer code.
pub fn default_response(received: &Header, status: Status) -> Option<Frame> {
    let is_response = received.frame_type == FrameType::Global
        && matches!(
            received.command,
            0x01 | 0x04 | 0x07 | 0x09 | 0x0B | 0x0D | 0x0F | 0x12
        );
    if received.disable_default_response || is_response {
        return None;
    }
    Some(Frame {
        header: Header {
            frame_type: FrameType::Global,
            manufacturer: received.manufacturer,
            direction: received.direction.reverse(),
            disable_default_response: true,
            tsn: received.tsn,
            command: 0x0B,
        },
        payload: vec![received.command, status.0],
    })
}

/// Reads records with `one` until the payload ends; a record cut short is an error.
fn records<T>(
    r: &mut Reader<'_>,
    mut one: impl FnMut(&mut Reader<'_>) -> Result<T, ZclError>,
) -> Result<Vec<T>, ZclError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(one(r)?);
    }
    Ok(out)
}

/// One Read Attributes Response record: attribute, status, and a typed value on success.
fn read_record(r: &mut Reader<'_>) -> Result<(u16, AttributeResult), ZclError> {
    let attribute = r.u16("attribute id")?;
    let status = Status(r.u8("status")?);
    let result = if status == Status::SUCCESS {
        AttributeResult::Value(read_typed(r)?)
    } else {
        AttributeResult::Status(status)
    };
    Ok((attribute, result))
}

/// One Configure Reporting record; only direction 0 (the device reports) is read.
fn reporting_record(r: &mut Reader<'_>) -> Result<ReportingRecord, ZclError> {
    let at = r.position();
    let direction = r.u8("direction")?;
    if direction != 0 {
        return Err(ZclError::Invalid {
            what: "reporting direction",
            at,
            detail: format!("{direction}: only 0 (the device reports) is read"),
        });
    }
    let attribute = r.u16("attribute id")?;
    let type_at = r.position();
    let type_id = r.u8("data type")?;
    if !is_known(type_id) {
        return Err(ZclError::UnknownType {
            type_id,
            at: type_at,
        });
    }
    let min = r.u16("minimum interval")?;
    let max = r.u16("maximum interval")?;
    let change = if is_analog(type_id) {
        r.uint(change_width(type_id), "reportable change")?
    } else {
        0
    };
    Ok(ReportingRecord {
        attribute,
        type_id,
        min,
        max,
        change,
    })
}

/// The records of a Write (0x04) or Configure Reporting (0x07) response: one status byte
/// alone when all succeeded, else (status, [direction,] attribute) per record.
fn statuses(
    r: &mut Reader<'_>,
    with_direction: bool,
) -> Result<Vec<(Status, Option<u16>)>, ZclError> {
    if r.remaining() == 1 {
        return Ok(vec![(Status(r.u8("status")?), None)]);
    }
    if r.is_empty() {
        return Err(ZclError::Truncated {
            what: "status",
            at: r.position(),
            needed: 1,
        });
    }
    records(r, |r| {
        let status = Status(r.u8("status")?);
        if with_direction {
            r.u8("direction")?;
        }
        Ok((status, Some(r.u16("attribute id")?)))
    })
}

/// Writes the records of a Write or Configure Reporting response.
fn status_bytes(out: &mut Vec<u8>, records: &[(Status, Option<u16>)], with_direction: bool) {
    for (status, attribute) in records {
        out.push(status.0);
        if let Some(a) = attribute {
            if with_direction {
                out.push(0);
            }
            out.extend_from_slice(&a.to_le_bytes());
        }
    }
}

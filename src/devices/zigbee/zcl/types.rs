//! ZCL data types (ZCL 2.6.2, table 2-10) and their values.
//!
//! Numbers are little-endian of a fixed width; strings carry a length prefix (one byte, two
//! for the long kinds; all ones means "invalid", read as empty). Arrays, structures, sets
//! and bags are walked element by element to find their end (see `extent`) and kept as raw
//! bytes: MIRAI reads none of them, but a report may carry one before an attribute it does
//! read. A type id MIRAI does not know is an error: its length is unknown.

use super::extent::skip;
use super::{Reader, ZclError, put_uint};

/// Type ids MIRAI names in its own frames.
pub mod id {
    /// Boolean.
    pub const BOOL: u8 = 0x10;
    /// 8-bit bitmap.
    pub const BITMAP8: u8 = 0x18;
    /// 16-bit bitmap.
    pub const BITMAP16: u8 = 0x19;
    /// Unsigned 8-bit integer.
    pub const U8: u8 = 0x20;
    /// Unsigned 16-bit integer.
    pub const U16: u8 = 0x21;
    /// Signed 16-bit integer.
    pub const I16: u8 = 0x29;
    /// 8-bit enumeration.
    pub const ENUM8: u8 = 0x30;
    /// 16-bit enumeration.
    pub const ENUM16: u8 = 0x31;
    /// Character string with a one-byte length.
    pub const CHAR_STRING: u8 = 0x42;
    /// IEEE address.
    pub const EUI64: u8 = 0xF0;
}

/// One attribute value, with enough of its type to write it back.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// 0x00: no data.
    NoData,
    /// 0x08–0x0F: general data of 1–8 bytes.
    Data {
        /// The bits.
        bits: u64,
        /// Width in bytes.
        width: u8,
    },
    /// 0x10: a boolean; `None` is 0xFF, "invalid".
    Bool(Option<bool>),
    /// 0x18–0x1F: a bitmap of 1–8 bytes.
    Bitmap {
        /// The bits.
        bits: u64,
        /// Width in bytes.
        width: u8,
    },
    /// 0x20–0x27: an unsigned integer of 1–8 bytes.
    Unsigned {
        /// The number.
        value: u64,
        /// Width in bytes.
        width: u8,
    },
    /// 0x28–0x2F: a signed integer of 1–8 bytes.
    Signed {
        /// The number.
        value: i64,
        /// Width in bytes.
        width: u8,
    },
    /// 0x30 / 0x31: an enumeration of 1 or 2 bytes.
    Enum {
        /// The number.
        value: u16,
        /// Width in bytes.
        width: u8,
    },
    /// 0x38: half precision; read exactly, written rounded toward zero.
    Semi(f32),
    /// 0x39: single precision.
    Single(f32),
    /// 0x3A: double precision.
    Double(f64),
    /// 0x41: an octet string.
    OctetString(Vec<u8>),
    /// 0x42: a character string (bytes that are not UTF-8 become U+FFFD).
    CharString(String),
    /// 0x43: an octet string with a two-byte length.
    LongOctetString(Vec<u8>),
    /// 0x44: a character string with a two-byte length.
    LongCharString(String),
    /// 0xF0: an IEEE address.
    Eui64(u64),
    /// Any other known type (time, date, cluster id, key, array, structure, set, bag): its
    /// bytes as they came.
    Raw {
        /// The type id.
        type_id: u8,
        /// The value's bytes.
        bytes: Vec<u8>,
    },
}

/// Whether reports of this type carry a "reportable change" (ZCL 2.6.2: analog types).
pub fn is_analog(type_id: u8) -> bool {
    matches!(type_id, 0x20..=0x2F | 0x38..=0x3A | 0xE0..=0xE2)
}

/// Half precision bits to a float (IEEE 754 binary16).
fn half_to_f32(h: u16) -> f32 {
    let exp = i32::from((h >> 10) & 0x1F);
    let mant = f32::from(h & 0x3FF);
    let v = match exp {
        0 => mant * 2f32.powi(-24),
        31 if mant == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        _ => (1.0 + mant / 1024.0) * 2f32.powi(exp - 15),
    };
    if h & 0x8000 != 0 { -v } else { v }
}

/// A float to half precision bits, rounded toward zero.
fn f32_to_half(f: f32) -> u16 {
    let bits = f.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xFF) as i32;
    let mant = bits & 0x7F_FFFF;
    if exp == 0xFF {
        return sign | 0x7C00 | if mant != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 31 {
        sign | 0x7C00
    } else if e <= 0 {
        if e < -10 {
            sign
        } else {
            sign | ((mant | 0x80_0000) >> (14 - e)) as u16
        }
    } else {
        sign | ((e as u16) << 10) | (mant >> 13) as u16
    }
}

/// A type's name for messages: "uint16 (0x21)".
pub fn type_name(type_id: u8) -> String {
    let name = match type_id {
        0x00 => "no data".to_owned(),
        0x08..=0x0F => format!("data{}", (type_id - 0x07) * 8),
        0x10 => "bool".to_owned(),
        0x18..=0x1F => format!("bitmap{}", (type_id - 0x17) * 8),
        0x20..=0x27 => format!("uint{}", (type_id - 0x1F) * 8),
        0x28..=0x2F => format!("int{}", (type_id - 0x27) * 8),
        0x30 => "enum8".to_owned(),
        0x31 => "enum16".to_owned(),
        0x38 => "semi float".to_owned(),
        0x39 => "single float".to_owned(),
        0x3A => "double float".to_owned(),
        0x41 => "octet string".to_owned(),
        0x42 => "char string".to_owned(),
        0x43 => "long octet string".to_owned(),
        0x44 => "long char string".to_owned(),
        0x48 => "array".to_owned(),
        0x4C => "struct".to_owned(),
        0x50 => "set".to_owned(),
        0x51 => "bag".to_owned(),
        0xF0 => "EUI64".to_owned(),
        _ => "type".to_owned(),
    };
    format!("{name} (0x{type_id:02X})")
}

impl Value {
    /// An unsigned 8-bit value.
    pub fn u8(value: u8) -> Value {
        Value::Unsigned {
            value: value.into(),
            width: 1,
        }
    }

    /// An unsigned 16-bit value.
    pub fn u16(value: u16) -> Value {
        Value::Unsigned {
            value: value.into(),
            width: 2,
        }
    }

    /// A signed 16-bit value.
    pub fn i16(value: i16) -> Value {
        Value::Signed {
            value: value.into(),
            width: 2,
        }
    }

    /// Its type id.
    pub fn type_id(&self) -> u8 {
        match self {
            Value::NoData => 0x00,
            Value::Data { width, .. } => 0x07 + width,
            Value::Bool(_) => id::BOOL,
            Value::Bitmap { width, .. } => 0x17 + width,
            Value::Unsigned { width, .. } => 0x1F + width,
            Value::Signed { width, .. } => 0x27 + width,
            Value::Enum { width, .. } => 0x2F + width,
            Value::Semi(_) => 0x38,
            Value::Single(_) => 0x39,
            Value::Double(_) => 0x3A,
            Value::OctetString(_) => 0x41,
            Value::CharString(_) => id::CHAR_STRING,
            Value::LongOctetString(_) => 0x43,
            Value::LongCharString(_) => 0x44,
            Value::Eui64(_) => id::EUI64,
            Value::Raw { type_id, .. } => *type_id,
        }
    }

    /// The value as an unsigned number, for the integer, enumeration, bitmap, data and
    /// boolean kinds.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Unsigned { value, .. } => Some(value),
            Value::Enum { value, .. } => Some(value.into()),
            Value::Bitmap { bits, .. } | Value::Data { bits, .. } => Some(bits),
            Value::Bool(Some(b)) => Some(b.into()),
            _ => None,
        }
    }

    /// The value as a signed number, for the signed kinds and unsigned ones that fit.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Signed { value, .. } => Some(value),
            _ => self.as_u64().and_then(|v| i64::try_from(v).ok()),
        }
    }

    /// The text of a character string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::CharString(s) | Value::LongCharString(s) => Some(s),
            _ => None,
        }
    }

    /// Reads a value of type `type_id` (which stood at byte `type_at`) from `r`.
    pub(crate) fn read(type_id: u8, type_at: usize, r: &mut Reader<'_>) -> Result<Value, ZclError> {
        let what = "attribute value";
        let width = |base: u8| usize::from(type_id - base);
        Ok(match type_id {
            0x00 => Value::NoData,
            0x08..=0x0F => Value::Data {
                bits: r.uint(width(0x07), what)?,
                width: type_id - 0x07,
            },
            0x10 => Value::Bool(match r.u8(what)? {
                0xFF => None,
                b => Some(b != 0),
            }),
            0x18..=0x1F => Value::Bitmap {
                bits: r.uint(width(0x17), what)?,
                width: type_id - 0x17,
            },
            0x20..=0x27 => Value::Unsigned {
                value: r.uint(width(0x1F), what)?,
                width: type_id - 0x1F,
            },
            0x28..=0x2F => {
                let w = width(0x27);
                let raw = r.uint(w, what)?;
                let shift = 64 - 8 * w as u32;
                Value::Signed {
                    value: ((raw << shift) as i64) >> shift,
                    width: type_id - 0x27,
                }
            }
            0x30 | 0x31 => Value::Enum {
                value: r.uint(width(0x2F), what)? as u16,
                width: type_id - 0x2F,
            },
            0x38 => Value::Semi(half_to_f32(r.u16(what)?)),
            0x39 => Value::Single(f32::from_bits(r.uint(4, what)? as u32)),
            0x3A => Value::Double(f64::from_bits(r.uint(8, what)?)),
            0x41 => Value::OctetString(string(r, 1)?.to_vec()),
            0x42 => Value::CharString(String::from_utf8_lossy(string(r, 1)?).into_owned()),
            0x43 => Value::LongOctetString(string(r, 2)?.to_vec()),
            0x44 => Value::LongCharString(String::from_utf8_lossy(string(r, 2)?).into_owned()),
            0xF0 => Value::Eui64(r.uint(8, what)?),
            _ => {
                let start = r.clone();
                skip(type_id, type_at, r, 0)?;
                let len = r.position() - start.position();
                Value::Raw {
                    type_id,
                    bytes: start.clone().take(len, what)?.to_vec(),
                }
            }
        })
    }

    /// Appends the value's bytes (without its type id).
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), ZclError> {
        match self {
            Value::NoData => {}
            Value::Data { bits, width } | Value::Bitmap { bits, width } => {
                put_uint(out, *bits, usize::from(*width));
            }
            Value::Bool(b) => out.push(b.map_or(0xFF, u8::from)),
            Value::Unsigned { value, width } => put_uint(out, *value, usize::from(*width)),
            Value::Signed { value, width } => put_uint(out, *value as u64, usize::from(*width)),
            Value::Enum { value, width } => put_uint(out, (*value).into(), usize::from(*width)),
            Value::Semi(f) => out.extend_from_slice(&f32_to_half(*f).to_le_bytes()),
            Value::Single(f) => out.extend_from_slice(&f.to_le_bytes()),
            Value::Double(f) => out.extend_from_slice(&f.to_le_bytes()),
            Value::OctetString(b) => put_string(out, b, 1, "octet string")?,
            Value::CharString(s) => put_string(out, s.as_bytes(), 1, "char string")?,
            Value::LongOctetString(b) => put_string(out, b, 2, "long octet string")?,
            Value::LongCharString(s) => put_string(out, s.as_bytes(), 2, "long char string")?,
            Value::Eui64(ieee) => out.extend_from_slice(&ieee.to_le_bytes()),
            Value::Raw { bytes, .. } => out.extend_from_slice(bytes),
        }
        Ok(())
    }
}

/// The bytes of a string with a `prefix`-byte length; all ones is "invalid", read as empty.
fn string<'a>(r: &mut Reader<'a>, prefix: usize) -> Result<&'a [u8], ZclError> {
    let len = r.uint(prefix, "string length")?;
    if len == (1u64 << (8 * prefix)) - 1 {
        return Ok(&[]);
    }
    r.take(len as usize, "string")
}

/// Appends `bytes` with a `prefix`-byte length, which cannot be all ones.
fn put_string(
    out: &mut Vec<u8>,
    bytes: &[u8],
    prefix: usize,
    what: &'static str,
) -> Result<(), ZclError> {
    let max = (1usize << (8 * prefix)) - 2;
    if bytes.len() > max {
        return Err(ZclError::TooLong {
            what,
            len: bytes.len(),
            max,
        });
    }
    put_uint(out, bytes.len() as u64, prefix);
    out.extend_from_slice(bytes);
    Ok(())
}

/// Reads a type id and a value of that type.
pub(crate) fn read_typed(r: &mut Reader<'_>) -> Result<Value, ZclError> {
    let at = r.position();
    let type_id = r.u8("data type")?;
    Value::read(type_id, at, r)
}

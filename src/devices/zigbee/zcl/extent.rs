//! How far a value reaches: the widths of the fixed-size types MIRAI keeps as raw bytes, and a
//! walk over arrays, structures, sets and bags (ZCL 2.6.2) that finds their end without
//! keeping their elements, to a bounded depth.

use super::types::Value;
use super::{Reader, ZclError};

/// How deep arrays and structures may nest before a frame is refused (the fuzz test feeds
/// nests as deep as a frame is long; real devices use one level).
pub const MAX_DEPTH: usize = 4;

/// The width of the fixed-size types kept as [`Value::Raw`].
pub(crate) fn raw_width(type_id: u8) -> Option<usize> {
    match type_id {
        0xE8 | 0xE9 => Some(2),
        0xE0..=0xE2 | 0xEA => Some(4),
        0xF1 => Some(16),
        _ => None,
    }
}

/// Whether [`Value::read`] reads this type itself rather than walking it with `skip`.
pub(crate) fn is_plain(type_id: u8) -> bool {
    matches!(type_id, 0x00 | 0x08..=0x10 | 0x18..=0x31 | 0x38..=0x3A | 0x41..=0x44 | 0xF0)
}

/// Whether MIRAI knows the type, and so its length.
pub(crate) fn is_known(type_id: u8) -> bool {
    is_plain(type_id)
        || raw_width(type_id).is_some()
        || matches!(type_id, 0x48 | 0x4C | 0x50 | 0x51)
}

/// Steps over one value of type `type_id` without keeping it, to find where it ends.
pub(crate) fn skip(
    type_id: u8,
    type_at: usize,
    r: &mut Reader<'_>,
    depth: usize,
) -> Result<(), ZclError> {
    if let Some(w) = raw_width(type_id) {
        r.take(w, "attribute value")?;
        return Ok(());
    }
    match type_id {
        0x48 | 0x50 | 0x51 | 0x4C if depth >= MAX_DEPTH => Err(ZclError::Invalid {
            what: "attribute value",
            at: type_at,
            detail: format!("arrays and structures nested deeper than {MAX_DEPTH}"),
        }),
        // Array, set, bag: element type, count (0xFFFF: invalid, none), elements.
        0x48 | 0x50 | 0x51 => {
            let element_at = r.position();
            let element = r.u8("element type")?;
            let count = r.u16("element count")?;
            for _ in 0..if count == 0xFFFF { 0 } else { count } {
                skip(element, element_at, r, depth + 1)?;
            }
            Ok(())
        }
        // Structure: count, then (type, value) per member.
        0x4C => {
            let count = r.u16("member count")?;
            for _ in 0..if count == 0xFFFF { 0 } else { count } {
                let at = r.position();
                let member = r.u8("member type")?;
                skip(member, at, r, depth + 1)?;
            }
            Ok(())
        }
        _ if is_plain(type_id) => Value::read(type_id, type_at, r).map(drop),
        _ => Err(ZclError::UnknownType {
            type_id,
            at: type_at,
        }),
    }
}

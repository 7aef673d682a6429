//! The Monitor and Test (MT) protocol of TI Z-Stack: framing, the receive buffer, and the
//! commands MIRAI sends and the answers and indications it reads (TI SWRA198 "Z-Stack Monitor
//! and Test API"; layouts checked against zigpy-znp `zigpy_znp/commands/` and zigbee-herdsman
//! `src/adapter/z-stack/znp/definition.ts`).
//!
//! - [`frame`]: `FE LEN CMD0 CMD1 DATA FCS`, pure decode and encode.
//! - [`receiver`]: bytes in, frames out; partial-frame timeout, flood cap.
//! - [`commands`]: the requests, as frames, with their ids and NV item ids.
//! - [`parse`]: SRSP payloads and AREQ indications as typed values.

pub mod commands;
pub mod frame;
pub mod parse;
pub mod receiver;

/// SYS: reset, ping, version, NV items.
pub const SYS: u8 = 0x01;
/// AF: endpoints and application data.
pub const AF: u8 = 0x04;
/// ZDO: network management, descriptors, binding, joins and leaves.
pub const ZDO: u8 = 0x05;
/// UTIL: device info.
pub const UTIL: u8 = 0x07;
/// APP_CNF: base device behaviour commissioning (Z-Stack 3).
pub const APP_CNF: u8 = 0x0F;

/// Why bytes from the chip do not fit the layout they claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {len} bytes are too few (at least {wanted})")]
pub struct Malformed {
    /// The message.
    pub what: &'static str,
    /// Its length.
    pub len: usize,
    /// How many bytes the next field needed.
    pub wanted: usize,
}

/// A cursor over a payload, little-endian as MT is.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Reads `bytes`, naming them `what` in errors.
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader {
            bytes,
            pos: 0,
            what,
        }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.pos + n;
        let Some(slice) = self.bytes.get(self.pos..end) else {
            return Err(Malformed {
                what: self.what,
                len: self.bytes.len(),
                wanted: end,
            });
        };
        self.pos = end;
        Ok(slice)
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    /// A little-endian u16.
    pub(crate) fn u16(&mut self) -> Result<u16, Malformed> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// A little-endian u32.
    pub(crate) fn u32(&mut self) -> Result<u32, Malformed> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian u64 (an IEEE address).
    pub(crate) fn u64(&mut self) -> Result<u64, Malformed> {
        let mut le = [0u8; 8];
        le.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(le))
    }

    /// A count byte and that many u16s (a cluster list).
    pub(crate) fn u16_list(&mut self) -> Result<Vec<u16>, Malformed> {
        let count = self.u8()?;
        (0..count).map(|_| self.u16()).collect()
    }
}

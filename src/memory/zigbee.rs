//! The Zigbee devices that joined, kept so that after a restart the hub shows them before they
//! are heard again (a sleepy sensor may stay quiet for an hour), and does not interview again
//! a device whose interview finished. A device's network address may change when it rejoins:
//! the row follows its announcements.
//!
//! Rows are read strictly: an IEEE address that is not 16 hex digits, a network address
//! outside 16 bits or endpoints that are not the JSON this module wrote are an error naming
//! the row and the column, never a device with made-up clusters.

use rusqlite::params;

use super::{Memory, MemoryError, write};
use crate::devices::zigbee::device::Endpoint;

/// One device as kept in the memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZigbeeDeviceRow {
    /// The IEEE address: the device's identity for life.
    pub ieee: u64,
    /// The network address last heard.
    pub nwk: u16,
    /// Basic's manufacturer name, once read.
    pub manufacturer: Option<String>,
    /// Basic's model identifier, once read.
    pub model: Option<String>,
    /// Basic's power source, once read.
    pub power_source: Option<u8>,
    /// The endpoints the interview found.
    pub endpoints: Vec<Endpoint>,
    /// When the device was last heard, ms since the epoch.
    pub last_seen: i64,
    /// The interview and the reporting set-up finished.
    pub interviewed: bool,
}

/// What one stored row holds before it is checked.
type RawRow = (
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
    i64,
    i64,
);

impl Memory {
    /// Every stored device, by IEEE address; an unreadable row is an error naming it.
    pub fn zigbee_devices(&self) -> Result<Vec<ZigbeeDeviceRow>, MemoryError> {
        let mut stmt = self.conn.prepare(
            "SELECT ieee, nwk, manufacturer, model, power_source, endpoints, last_seen,
                 interviewed
             FROM zigbee_devices ORDER BY ieee",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let raw: RawRow = row.map_err(|e| {
                MemoryError::InvalidInput(format!("a stored Zigbee device row is unreadable: {e}"))
            })?;
            out.push(checked(raw)?);
        }
        Ok(out)
    }

    /// Stores `device`, replacing what was kept under its IEEE address.
    pub fn save_zigbee_device(&mut self, device: &ZigbeeDeviceRow) -> Result<(), MemoryError> {
        let endpoints = serde_json::to_string(&device.endpoints)
            .map_err(|e| MemoryError::InvalidInput(format!("Zigbee endpoints: {e}")))?;
        write(&mut self.conn, |tx| {
            tx.execute(
                "INSERT INTO zigbee_devices (ieee, nwk, manufacturer, model, power_source,
                     endpoints, last_seen, interviewed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (ieee) DO UPDATE SET nwk = excluded.nwk,
                     manufacturer = excluded.manufacturer, model = excluded.model,
                     power_source = excluded.power_source, endpoints = excluded.endpoints,
                     last_seen = excluded.last_seen, interviewed = excluded.interviewed",
                params![
                    ieee_text(device.ieee),
                    device.nwk,
                    device.manufacturer,
                    device.model,
                    device.power_source,
                    endpoints,
                    device.last_seen,
                    device.interviewed
                ],
            )?;
            Ok(())
        })
    }

    /// Notes that device `ieee` was heard at `nwk` now (an announcement, a rejoin); whether
    /// it is kept at all.
    pub fn zigbee_seen(&mut self, ieee: u64, nwk: u16) -> Result<bool, MemoryError> {
        let now = crate::clock::now_ms();
        write(&mut self.conn, |tx| {
            Ok(tx.execute(
                "UPDATE zigbee_devices SET nwk = ?2, last_seen = ?3 WHERE ieee = ?1",
                params![ieee_text(ieee), nwk, now],
            )? > 0)
        })
    }

    /// Forgets device `ieee` (it left the network); whether it was kept.
    pub fn forget_zigbee_device(&mut self, ieee: u64) -> Result<bool, MemoryError> {
        write(&mut self.conn, |tx| {
            Ok(tx.execute(
                "DELETE FROM zigbee_devices WHERE ieee = ?1",
                params![ieee_text(ieee)],
            )? > 0)
        })
    }
}

/// The IEEE address as the row's key: 16 lowercase hex digits.
fn ieee_text(ieee: u64) -> String {
    format!("{ieee:016x}")
}

/// A raw row as a device, or an error naming the row and what is wrong with it.
fn checked(raw: RawRow) -> Result<ZigbeeDeviceRow, MemoryError> {
    let (ieee, nwk, manufacturer, model, power, endpoints, last_seen, interviewed) = raw;
    let bad = |what: String| {
        MemoryError::InvalidInput(format!("stored Zigbee device row {ieee:?}: {what}"))
    };
    let address = (ieee.len() == 16)
        .then(|| u64::from_str_radix(&ieee, 16).ok())
        .flatten()
        .ok_or_else(|| bad("the IEEE address is not 16 hex digits".into()))?;
    let nwk =
        u16::try_from(nwk).map_err(|_| bad(format!("network address {nwk} is not 16-bit")))?;
    let power_source = power
        .map(|p| u8::try_from(p).map_err(|_| bad(format!("power source {p} is not a byte"))))
        .transpose()?;
    let endpoints = serde_json::from_str(&endpoints)
        .map_err(|e| bad(format!("the endpoints are not a list of endpoints: {e}")))?;
    Ok(ZigbeeDeviceRow {
        ieee: address,
        nwk,
        manufacturer,
        model,
        power_source,
        endpoints,
        last_seen,
        interviewed: interviewed != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Settings;

    fn row(ieee: u64, nwk: u16) -> ZigbeeDeviceRow {
        ZigbeeDeviceRow {
            ieee,
            nwk,
            manufacturer: Some("IKEA of Sweden".into()),
            model: None,
            power_source: Some(1),
            endpoints: vec![Endpoint {
                id: 1,
                profile: 0x0104,
                device_id: 0x0100,
                in_clusters: vec![0x0000, 0x0006],
                out_clusters: vec![],
            }],
            last_seen: 5,
            interviewed: true,
        }
    }

    #[test]
    fn devices_are_kept_follow_their_address_and_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
        assert!(m.zigbee_devices().unwrap().is_empty());
        let bulb = row(0x0017_8801_0203_0405, 0x1A2B);
        m.save_zigbee_device(&bulb).unwrap();
        m.save_zigbee_device(&row(0xFFFF_0000_0000_0001, 7))
            .unwrap();
        assert_eq!(m.zigbee_devices().unwrap()[0], bulb);
        assert!(m.zigbee_seen(bulb.ieee, 0x2222).unwrap());
        assert!(!m.zigbee_seen(0x42, 1).unwrap());
        let kept = m.zigbee_devices().unwrap();
        assert_eq!((kept[0].nwk, kept.len()), (0x2222, 2));
        assert!(kept[0].last_seen > bulb.last_seen);
        assert!(m.forget_zigbee_device(bulb.ieee).unwrap());
        assert!(!m.forget_zigbee_device(bulb.ieee).unwrap());
        assert_eq!(m.zigbee_devices().unwrap().len(), 1);
    }

    #[test]
    fn a_foreign_row_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let mut m = Memory::open(&path, &Settings::default()).unwrap();
        m.save_zigbee_device(&row(0x0017_8801_0203_0405, 1))
            .unwrap();
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute("UPDATE zigbee_devices SET endpoints = '[{\"id\": 1}]'", [])
            .unwrap();
        let err = m.zigbee_devices().unwrap_err().to_string();
        assert!(
            err.contains("0017880102030405") && err.contains("not a list of endpoints"),
            "{err}"
        );
        raw.execute(
            "UPDATE zigbee_devices SET endpoints = '[]', ieee = 'zz17880102030405'",
            [],
        )
        .unwrap();
        let err = m.zigbee_devices().unwrap_err().to_string();
        assert!(err.contains("not 16 hex digits"), "{err}");
    }
}

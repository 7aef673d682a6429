//! The Z-Wave nodes start-up learned (device classes, command classes, listening), kept so
//! that after a restart the hub shows its nodes before the stick answers, or when it is gone,
//! and asks a node for its information frame only when it is new or has changed. Beside them,
//! the Multilevel Sensor types each node listed or reported: a sensor's entities are one per
//! type, and a sleeping sensor may not answer for hours after a restart.
//!
//! Rows are read strictly: a row another program or a damaged file left behind (an id outside
//! 1–232, a class that is not a byte, command classes that are not hex pairs) is an error that
//! names the row and the column, never a node with made-up classes.

use rusqlite::params;

use super::{Memory, MemoryError, write};

/// One node as kept in the memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZwaveNodeRow {
    /// The network it belongs to.
    pub home_id: u32,
    /// Node id, 1–232.
    pub id: u8,
    /// Basic, generic and specific device class.
    pub classes: [u8; 3],
    /// Always listening (mains powered).
    pub listening: bool,
    /// Supported command classes, in the node's order.
    pub command_classes: Vec<u8>,
}

/// What one stored row holds before it is checked.
type RawRow = (i64, i64, i64, i64, i64, i64, String);

impl Memory {
    /// Every stored node, by id; an unreadable row is an error naming it.
    pub fn zwave_nodes(&self) -> Result<Vec<ZwaveNodeRow>, MemoryError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, home_id, basic, generic, specific, listening, command_classes
             FROM zwave_nodes ORDER BY id",
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
            ))
        })?;
        let mut nodes = Vec::new();
        for row in rows {
            let raw: RawRow = row.map_err(|e| {
                MemoryError::InvalidInput(format!("a stored Z-Wave node row is unreadable: {e}"))
            })?;
            nodes.push(checked(raw)?);
        }
        Ok(nodes)
    }

    /// Replaces every stored node with `nodes` (what start-up just found), in one commit; the
    /// sensor types of nodes no longer there go with them.
    pub fn save_zwave_nodes(&mut self, nodes: &[ZwaveNodeRow]) -> Result<(), MemoryError> {
        let now = crate::clock::now_ms();
        write(&mut self.conn, |tx| {
            tx.execute("DELETE FROM zwave_nodes", [])?;
            for n in nodes {
                insert(tx, n, now)?;
            }
            tx.execute(
                "DELETE FROM zwave_sensor_types WHERE id NOT IN (SELECT id FROM zwave_nodes)",
                [],
            )?;
            Ok(())
        })
    }

    /// The Multilevel Sensor types kept for each node, by node id; an unreadable row is an
    /// error naming it.
    pub fn zwave_sensor_types(&self) -> Result<Vec<(u8, Vec<u8>)>, MemoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, types FROM zwave_sensor_types ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, types) = row.map_err(|e| {
                MemoryError::InvalidInput(format!("a stored Z-Wave sensor row is unreadable: {e}"))
            })?;
            let bad = |what: &str| {
                MemoryError::InvalidInput(format!(
                    "stored Z-Wave sensor types of node {id}: {what}"
                ))
            };
            let node = (u8::try_from(id).ok())
                .filter(|n| (1..=232).contains(n))
                .ok_or_else(|| bad("the id is not within 1..=232"))?;
            let types = from_hex_pairs(&types)
                .ok_or_else(|| bad(&format!("{types:?} are not hex pairs")))?;
            out.push((node, types));
        }
        Ok(out)
    }

    /// Keeps the Multilevel Sensor types node `id` listed or reported, replacing what was kept.
    pub fn save_zwave_sensor_types(&mut self, id: u8, types: &[u8]) -> Result<(), MemoryError> {
        let now = crate::clock::now_ms();
        write(&mut self.conn, |tx| {
            tx.execute(
                "INSERT INTO zwave_sensor_types (id, types, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET types = excluded.types,
                     updated_at = excluded.updated_at",
                params![id, hex_pairs(types), now],
            )?;
            Ok(())
        })
    }

    /// Stores one node (a new one after inclusion), replacing what was kept under its id.
    pub fn save_zwave_node(&mut self, node: &ZwaveNodeRow) -> Result<(), MemoryError> {
        let now = crate::clock::now_ms();
        write(&mut self.conn, |tx| insert(tx, node, now))
    }

    /// Forgets node `id` and its sensor types (it left the network); whether it was kept.
    pub fn forget_zwave_node(&mut self, id: u8) -> Result<bool, MemoryError> {
        write(&mut self.conn, |tx| {
            tx.execute("DELETE FROM zwave_sensor_types WHERE id = ?1", params![id])?;
            Ok(tx.execute("DELETE FROM zwave_nodes WHERE id = ?1", params![id])? > 0)
        })
    }
}

fn insert(tx: &rusqlite::Transaction<'_>, n: &ZwaveNodeRow, now: i64) -> Result<(), MemoryError> {
    let [basic, generic, specific] = n.classes;
    tx.execute(
        "INSERT INTO zwave_nodes
             (id, home_id, basic, generic, specific, listening, command_classes, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET home_id = excluded.home_id, basic = excluded.basic,
             generic = excluded.generic, specific = excluded.specific,
             listening = excluded.listening, command_classes = excluded.command_classes,
             updated_at = excluded.updated_at",
        params![
            n.id,
            n.home_id,
            basic,
            generic,
            specific,
            n.listening,
            hex_pairs(&n.command_classes),
            now
        ],
    )?;
    Ok(())
}

/// `[0x25, 0x86]` → `"25 86"`.
fn hex_pairs(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    pairs.join(" ")
}

/// `"25 86"` → `[0x25, 0x86]`; `None` unless every word is two hex digits.
fn from_hex_pairs(text: &str) -> Option<Vec<u8>> {
    text.split_whitespace()
        .map(|pair| {
            u8::from_str_radix(pair, 16)
                .ok()
                .filter(|_| pair.len() == 2)
        })
        .collect()
}

/// A raw row as a node, or an error naming the row and what is wrong with it.
fn checked(raw: RawRow) -> Result<ZwaveNodeRow, MemoryError> {
    let (id, home_id, basic, generic, specific, listening, ccs) = raw;
    let bad = |what: String| {
        MemoryError::InvalidInput(format!("stored Z-Wave node row with id {id}: {what}"))
    };
    let node_id = u8::try_from(id)
        .ok()
        .filter(|n| (1..=232).contains(n))
        .ok_or_else(|| bad("the id is not within 1..=232".into()))?;
    let home_id =
        u32::try_from(home_id).map_err(|_| bad(format!("home id {home_id} is not 32-bit")))?;
    let byte = |column: &str, v: i64| {
        u8::try_from(v).map_err(|_| bad(format!("{column} {v} is not a byte")))
    };
    let classes = [
        byte("basic device class", basic)?,
        byte("generic device class", generic)?,
        byte("specific device class", specific)?,
    ];
    let command_classes = from_hex_pairs(&ccs)
        .ok_or_else(|| bad(format!("command classes {ccs:?} are not hex pairs")))?;
    Ok(ZwaveNodeRow {
        home_id,
        id: node_id,
        classes,
        listening: listening != 0,
        command_classes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Settings;

    fn row(id: u8, ccs: &[u8]) -> ZwaveNodeRow {
        ZwaveNodeRow {
            home_id: 0xC0FF_EE07,
            id,
            classes: [4, 0x10, 1],
            listening: true,
            command_classes: ccs.to_vec(),
        }
    }

    #[test]
    fn nodes_are_replaced_kept_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
        assert!(m.zwave_nodes().unwrap().is_empty());
        m.save_zwave_nodes(&[row(2, &[0x25, 0x86]), row(3, &[])])
            .unwrap();
        m.save_zwave_nodes(&[row(3, &[0x26]), row(4, &[0x31])])
            .unwrap();
        m.save_zwave_node(&row(5, &[0x25])).unwrap();
        let ids: Vec<u8> = m.zwave_nodes().unwrap().iter().map(|n| n.id).collect();
        assert_eq!(ids, [3, 4, 5]);
        assert_eq!(m.zwave_nodes().unwrap()[0], row(3, &[0x26]));
        assert!(m.forget_zwave_node(4).unwrap());
        assert!(!m.forget_zwave_node(4).unwrap());
        assert_eq!(m.zwave_nodes().unwrap().len(), 2);
    }

    #[test]
    fn sensor_types_are_kept_replaced_and_go_with_their_node() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
        m.save_zwave_nodes(&[row(4, &[0x31]), row(5, &[0x31])])
            .unwrap();
        m.save_zwave_sensor_types(4, &[0x01]).unwrap();
        m.save_zwave_sensor_types(4, &[0x01, 0x05]).unwrap();
        m.save_zwave_sensor_types(5, &[0x03]).unwrap();
        let kept = m.zwave_sensor_types().unwrap();
        assert_eq!(kept, [(4, vec![0x01, 0x05]), (5, vec![0x03])]);
        m.forget_zwave_node(5).unwrap();
        assert_eq!(m.zwave_sensor_types().unwrap().len(), 1);
        // Start-up found node 4 gone: its types go too.
        m.save_zwave_nodes(&[row(2, &[0x25])]).unwrap();
        assert!(m.zwave_sensor_types().unwrap().is_empty());
    }

    #[test]
    fn a_foreign_row_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let mut m = Memory::open(&path, &Settings::default()).unwrap();
        m.save_zwave_node(&row(2, &[0x25])).unwrap();
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute("UPDATE zwave_nodes SET command_classes = 'zz 1'", [])
            .unwrap();
        let err = m.zwave_nodes().unwrap_err().to_string();
        assert!(
            err.contains("row with id 2") && err.contains("not hex pairs"),
            "{err}"
        );
        raw.execute(
            "UPDATE zwave_nodes SET command_classes = '25', generic = 300",
            [],
        )
        .unwrap();
        let err = m.zwave_nodes().unwrap_err().to_string();
        assert!(
            err.contains("generic device class 300 is not a byte"),
            "{err}"
        );
        m.save_zwave_sensor_types(2, &[0x01]).unwrap();
        raw.execute("UPDATE zwave_sensor_types SET types = '1 05'", [])
            .unwrap();
        let err = m.zwave_sensor_types().unwrap_err().to_string();
        assert!(
            err.contains("sensor types of node 2") && err.contains("not hex pairs"),
            "{err}"
        );
    }
}

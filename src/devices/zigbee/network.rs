//! The network's identity: channel, PAN id, extended PAN id and network key. A new network
//! takes the configured values or random ones (fastrand); the chip keeps them in NV, and
//! [`Backup`] writes them to a JSON file (mode 0600: it holds the network key) that a new
//! stick can be formed from, so devices stay joined across a stick swap.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ZigbeeError;
use super::mt::parse::Version;

/// The identity a network forms with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkParams {
    /// 11–26.
    pub channel: u8,
    /// The 16-bit PAN id (0x0001–0xFFFE).
    pub pan_id: u16,
    /// The 64-bit extended PAN id.
    pub extended_pan_id: u64,
    /// The network key, as sent to the chip.
    pub network_key: [u8; 16],
}

impl NetworkParams {
    /// `channel`, the given ids or random ones, and a random key.
    pub fn random(channel: u8, pan_id: Option<u16>, extended_pan_id: Option<u64>) -> Self {
        let mut network_key = [0u8; 16];
        network_key.iter_mut().for_each(|b| *b = fastrand::u8(..));
        NetworkParams {
            channel,
            // 0x0000 and 0xFFFF are not valid PAN ids; above 0x3FFF some stacks misbehave.
            pan_id: pan_id.unwrap_or_else(|| fastrand::u16(0x0001..0x3FFF)),
            extended_pan_id: extended_pan_id.unwrap_or_else(|| fastrand::u64(1..u64::MAX)),
            network_key,
        }
    }

    /// The channel as CHANLIST's bit mask.
    pub fn channel_mask(&self) -> u32 {
        1 << self.channel
    }
}

/// The lowest channel in a CHANLIST mask, if any in 11–26.
pub fn channel_of(mask: u32) -> Option<u8> {
    (11..=26u8).find(|c| mask & (1 << c) != 0)
}

/// What the running network is, as start-up found or made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    /// The coordinator's IEEE address.
    pub ieee: u64,
    /// Channel, ids and key.
    pub params: NetworkParams,
    /// Z-Stack's version.
    pub version: Version,
    /// Whether start-up formed this network now (false: resumed the stored one).
    pub formed: bool,
}

/// The backup file's layout: what a stick needs to carry the network on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// The file's format, 1.
    pub format: u32,
    /// 11–26.
    pub channel: u8,
    /// PAN id, 4 hex digits.
    pub pan_id: String,
    /// Extended PAN id, 16 hex digits, most significant first.
    pub extended_pan_id: String,
    /// The network key, 32 hex digits in the chip's byte order.
    pub network_key: String,
    /// The coordinator's IEEE address, 16 hex digits; restored so devices find their
    /// trust centre again.
    pub coordinator_ieee: String,
    /// The outgoing NWK frame counter when the chip let it be read (ZCD_NV_NWKKEY), for the
    /// record: a restore does not write it back yet (the new stick counts from where forming
    /// leaves it).
    pub frame_counter: Option<u32>,
}

/// The format [`Backup::format`] holds.
const BACKUP_FORMAT: u32 = 1;

impl Backup {
    /// The backup of the network `p` run by coordinator `ieee`, with its frame counter if known.
    pub fn new(ieee: u64, p: &NetworkParams, frame_counter: Option<u32>) -> Backup {
        Backup {
            format: BACKUP_FORMAT,
            channel: p.channel,
            pan_id: format!("{:04x}", p.pan_id),
            extended_pan_id: format!("{:016x}", p.extended_pan_id),
            network_key: p.network_key.iter().map(|b| format!("{b:02x}")).collect(),
            coordinator_ieee: format!("{ieee:016x}"),
            frame_counter,
        }
    }

    /// The network identity and coordinator IEEE address this backup holds, checked.
    pub fn params(&self) -> Result<(NetworkParams, u64), String> {
        if self.format != BACKUP_FORMAT {
            return Err(format!("format {} is not {BACKUP_FORMAT}", self.format));
        }
        if !(11..=26).contains(&self.channel) {
            return Err(format!("channel {} is not within 11..=26", self.channel));
        }
        let pan_id = hex_u64(&self.pan_id, 4, "pan_id")? as u16;
        let extended_pan_id = hex_u64(&self.extended_pan_id, 16, "extended_pan_id")?;
        let ieee = hex_u64(&self.coordinator_ieee, 16, "coordinator_ieee")?;
        let key = &self.network_key;
        if key.len() != 32 || !key.is_ascii() {
            return Err("network_key: expected 32 hex digits".into());
        }
        let mut network_key = [0u8; 16];
        for (i, b) in network_key.iter_mut().enumerate() {
            *b = u8::from_str_radix(&key[2 * i..2 * i + 2], 16)
                .map_err(|_| "network_key: expected 32 hex digits".to_string())?;
        }
        let params = NetworkParams {
            channel: self.channel,
            pan_id,
            extended_pan_id,
            network_key,
        };
        Ok((params, ieee))
    }

    /// Writes the file with mode 0600 (through a temporary file, renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), ZigbeeError> {
        use std::os::unix::fs::OpenOptionsExt;
        let failed = |e: std::io::Error| backup_error(path, e.to_string());
        let text =
            serde_json::to_string_pretty(self).map_err(|e| backup_error(path, e.to_string()))?;
        let tmp = path.with_extension("tmp");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(failed)?;
        file.write_all(text.as_bytes()).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        std::fs::rename(&tmp, path).map_err(failed)
    }

    /// Reads and checks a backup file.
    pub fn load(path: &Path) -> Result<Backup, ZigbeeError> {
        let text = std::fs::read_to_string(path).map_err(|e| backup_error(path, e.to_string()))?;
        let backup: Backup =
            serde_json::from_str(&text).map_err(|e| backup_error(path, e.to_string()))?;
        backup.params().map_err(|e| backup_error(path, e))?;
        Ok(backup)
    }
}

fn backup_error(path: &Path, reason: String) -> ZigbeeError {
    ZigbeeError::Backup {
        path: path.display().to_string(),
        reason,
    }
}

fn hex_u64(text: &str, digits: usize, what: &str) -> Result<u64, String> {
    let ok = text.len() == digits && text.bytes().all(|b| b.is_ascii_hexdigit());
    let parsed = ok.then(|| u64::from_str_radix(text, 16).ok()).flatten();
    parsed.ok_or_else(|| format!("{what}: expected {digits} hex digits, got {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> NetworkInfo {
        NetworkInfo {
            ieee: 0x00124B0001020304,
            params: NetworkParams {
                channel: 15,
                pan_id: 0x1A62,
                extended_pan_id: 0xDDDDDDDDDDDDDDDD,
                network_key: [1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 13],
            },
            version: Version {
                transport: 2,
                product: 1,
                release: (2, 7, 1),
                revision: Some(20220219),
            },
            formed: true,
        }
    }

    #[test]
    fn random_params_keep_what_is_given_and_vary_the_rest() {
        let a = NetworkParams::random(20, Some(0x1234), None);
        let b = NetworkParams::random(20, Some(0x1234), None);
        assert_eq!((a.channel, a.pan_id), (20, 0x1234));
        assert_ne!(a.network_key, b.network_key);
        assert_ne!(a.extended_pan_id, b.extended_pan_id);
        assert_eq!(a.channel_mask(), 0x0010_0000);
        assert_eq!(channel_of(0x0010_0000), Some(20));
        assert_eq!(channel_of(0x07FF), None);
        let r = NetworkParams::random(11, None, None);
        assert!((1..0x3FFF).contains(&r.pan_id));
    }

    #[test]
    fn a_backup_round_trips_through_a_0600_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zigbee-backup.json");
        let backup = Backup::new(info().ieee, &info().params, Some(42));
        backup.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let loaded = Backup::load(&path).unwrap();
        assert_eq!(loaded, backup);
        let (params, ieee) = loaded.params().unwrap();
        assert_eq!((params, ieee), (info().params, 0x00124B0001020304));
        assert_eq!(backup.pan_id, "1a62");
    }

    #[test]
    fn a_broken_backup_says_which_field_and_where() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        let mut backup = Backup::new(info().ieee, &info().params, None);
        backup.network_key.pop();
        std::fs::write(&path, serde_json::to_string(&backup).unwrap()).unwrap();
        let err = Backup::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("network_key") && err.contains("b.json"),
            "{err}"
        );
        std::fs::write(&path, "{\"format\": 1, \"colour\": 3}").unwrap();
        let err = Backup::load(&path).unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
    }
}

//! The `zigbee` section: the TI Z-Stack stick MIRAI drives as the Zigbee coordinator, and the
//! network it forms when the stick holds none.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;

/// The Zigbee coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Zigbee {
    /// Drive the stick.
    pub enabled: bool,
    /// A device path (`/dev/serial/by-id/…`) or `tcp://host:port`.
    pub port: Option<String>,
    /// What to do with DTR/RTS when the port opens.
    pub reset: ZigbeeReset,
    /// The channel a new network forms on.
    #[serde(deserialize_with = "bounds::int::<_, _, 11, 26>")]
    pub channel: u8,
    /// The PAN id a new network takes; random when absent.
    #[serde(deserialize_with = "pan_id")]
    pub pan_id: Option<u16>,
    /// The extended PAN id a new network takes, 16 hex digits; random when absent.
    pub extended_pan_id: Option<String>,
    /// How long `permit join` opens the network when not told.
    #[serde(
        rename = "permit_join_s",
        deserialize_with = "bounds::secs::<_, 1, 254>",
        serialize_with = "bounds::ser_secs"
    )]
    pub permit_join: Duration,
}

impl Default for Zigbee {
    fn default() -> Self {
        Zigbee {
            enabled: false,
            port: None,
            reset: ZigbeeReset::DtrRts,
            channel: 15,
            pan_id: None,
            extended_pan_id: None,
            permit_join: Duration::from_secs(254),
        }
    }
}

impl Zigbee {
    /// The extended PAN id as a number (`check` made sure it parses).
    pub fn extended_pan_id_value(&self) -> Option<u64> {
        let text = self.extended_pan_id.as_deref()?;
        u64::from_str_radix(text, 16).ok()
    }
}

/// DTR/RTS handling at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZigbeeReset {
    /// DTR released, RTS pulsed: CC2652 / CC1352 sticks restart into Z-Stack.
    DtrRts,
    /// Leave the lines alone.
    None,
}

/// `null` or a PAN id in 0x0001..=0xFFFE (0xFFFF means "any" to the stack).
fn pan_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    use serde::de::Error;
    let expected = "null or an integer 1..=65534 (0x0001..=0xfffe)";
    let value = Option::<u64>::deserialize(d).map_err(|_| D::Error::custom(expected))?;
    match value {
        None => Ok(None),
        Some(v @ 1..=0xFFFE) => Ok(Some(v as u16)),
        Some(v) => Err(D::Error::custom(format!("{v} is not {expected}"))),
    }
}

/// `zigbee.port` and `zigbee.extended_pan_id`.
pub(super) fn check(z: &Zigbee) -> Result<(), (&'static str, String)> {
    if let Some(port) = z.port.as_deref() {
        super::zwave::check_port(port).map_err(|m| ("zigbee.port", m))?;
    }
    if let Some(ext) = z.extended_pan_id.as_deref() {
        let hex = ext.len() == 16 && ext.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex || ext.bytes().all(|b| b == b'0') || ext.bytes().all(|b| b == b'f' || b == b'F') {
            return Err((
                "zigbee.extended_pan_id",
                format!("expected 16 hex digits, not all 0 or all F, got {ext:?}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::config::{Config, Env, Origin, ZigbeeReset};

    fn load(text: &str) -> Result<Config, String> {
        let origin = Origin::File(PathBuf::from("mirai.yaml"));
        Config::from_text(text, origin, None, &Env::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_a_full_section() {
        let config = load("zigbee: {}\n").unwrap();
        let z = &config.settings().zigbee;
        assert_eq!(
            (z.channel, z.pan_id, z.reset),
            (15, None, ZigbeeReset::DtrRts)
        );
        assert_eq!(z.permit_join.as_secs(), 254);
        let text = "zigbee:\n  enabled: true\n  port: tcp://127.0.0.1:6638\n  reset: none\n  \
                    channel: 25\n  pan_id: 0x1a62\n  extended_pan_id: dddddddddddddddd\n  \
                    permit_join_s: 60\n";
        let config = load(text).unwrap();
        let z = &config.settings().zigbee;
        assert_eq!(
            (z.channel, z.pan_id, z.reset),
            (25, Some(0x1A62), ZigbeeReset::None)
        );
        assert_eq!(z.extended_pan_id_value(), Some(0xDDDD_DDDD_DDDD_DDDD));
        assert_eq!(z.permit_join.as_secs(), 60);
    }

    #[test]
    fn bad_values_and_unknown_keys_name_the_key_and_its_place() {
        let e = load("zigbee:\n  channel: 27\n").unwrap_err();
        assert!(e.starts_with("mirai.yaml:2:"), "{e}");
        assert!(e.contains("11..=26"), "{e}");
        let e = load("zigbee:\n  chanel: 20\n").unwrap_err();
        assert!(e.contains("chanel"), "{e}");
        let e = load("zigbee:\n  extended_pan_id: 12\n").unwrap_err();
        assert!(e.contains("zigbee.extended_pan_id"), "{e}");
        let e = load("zigbee:\n  port: tcp://stick\n").unwrap_err();
        assert!(e.contains("zigbee.port: expected tcp://"), "{e}");
        let e = load("zigbee:\n  reset: rts_only\n").unwrap_err();
        assert!(e.starts_with("mirai.yaml:2:"), "{e}");
        let e = load("zigbee:\n  pan_id: 0xFFFF\n").unwrap_err();
        assert!(e.starts_with("mirai.yaml:2:"), "{e}");
    }
}

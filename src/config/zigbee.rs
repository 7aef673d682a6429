//! The `zigbee` section: the TI Z-Stack stick MIRAI drives as the Zigbee coordinator, and the
//! network it forms when the stick holds none.

use std::collections::BTreeMap;
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
    /// Names, areas and kinds of devices, by IEEE address (16 hex digits, `0x` optional).
    pub devices: BTreeMap<String, ZigbeeDevice>,
}

/// What people call one device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZigbeeDevice {
    /// Its name ("Kitchen light"); the manufacturer and model when absent.
    pub name: Option<String>,
    /// Other names, in any language.
    pub aliases: Vec<String>,
    /// The area id (`kitchen`).
    pub area: Option<String>,
    /// What an On/Off endpoint drives: `light` or `switch` (by its clusters when absent).
    pub kind: Option<super::ZwaveKind>,
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
            devices: BTreeMap::new(),
        }
    }
}

impl Zigbee {
    /// The devices' labels by IEEE address (`check` made sure every key parses).
    pub fn device_ieees(&self) -> impl Iterator<Item = (u64, &ZigbeeDevice)> {
        (self.devices.iter()).filter_map(|(k, d)| Some((ieee(k)?, d)))
    }

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

/// An IEEE address written as 16 hex digits, `0x` optional.
fn ieee(text: &str) -> Option<u64> {
    let hex = text.strip_prefix("0x").unwrap_or(text);
    let ok = hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| u64::from_str_radix(hex, 16).ok()).flatten()
}

/// `zigbee.port`, `zigbee.extended_pan_id` and `zigbee.devices`.
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
    for (key, device) in &z.devices {
        if ieee(key).is_none() {
            return Err((
                "zigbee.devices",
                format!(
                    "{key:?} is not an IEEE address: expected 16 hex digits, e.g. \"0x00178801020304ab\""
                ),
            ));
        }
        let blank = |s: &Option<String>| s.as_deref().is_some_and(|s| s.trim().is_empty());
        if blank(&device.name) || blank(&device.area) {
            return Err((
                "zigbee.devices",
                format!("{key}: name and area must not be empty"),
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
        let e = load("zigbee:\n  devices:\n    \"0x12\": {name: Lamp}\n").unwrap_err();
        assert!(
            e.contains("zigbee.devices") && e.contains("\"0x12\" is not an IEEE"),
            "{e}"
        );
        let e = load("zigbee:\n  devices:\n    \"0017880102030405\": {nam: Lamp}\n").unwrap_err();
        assert!(e.contains("nam"), "{e}");
    }

    #[test]
    fn devices_are_named_by_ieee_address() {
        let text = "zigbee:\n  devices:\n    \"0x0017880102030405\": {name: Kitchen light, \
                    area: kitchen, kind: light}\n    00158D000001AABB: {name: Hall sensor}\n";
        let config = load(text).unwrap();
        let labels: Vec<(u64, String)> = (config.settings().zigbee.device_ieees())
            .map(|(ieee, d)| (ieee, d.name.clone().unwrap()))
            .collect();
        assert_eq!(
            labels,
            [
                (0x0015_8D00_0001_AABB, "Hall sensor".to_owned()),
                (0x0017_8801_0203_0405, "Kitchen light".to_owned())
            ]
        );
    }
}

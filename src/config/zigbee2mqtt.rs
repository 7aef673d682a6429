//! The `zigbee2mqtt` section: a Zigbee2MQTT that already runs beside the hub, reached through
//! its MQTT topics. By default on the same broker as the `mqtt` section.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;
use super::secret::Forbidden;

/// The Zigbee2MQTT back end.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Zigbee2mqtt {
    /// Take Zigbee2MQTT's devices into the registry (`mirai serve`, and the in-process agent).
    pub enabled: bool,
    /// Zigbee2MQTT's `base_topic`.
    pub base_topic: String,
    /// `mqtt://host:port` of Zigbee2MQTT's broker; the `mqtt` section's broker when absent.
    pub url: Option<String>,
    /// The broker user; with no `url`, the `mqtt` section's user.
    pub username: Option<String>,
    /// A file holding the password, read when `ZIGBEE2MQTT_PASSWORD` is unset; with no `url`,
    /// the `mqtt` section's password.
    pub password_file: Option<PathBuf>,
    /// The MQTT client id; `mirai-<hub_id>-z2m` when absent.
    pub client_id: Option<String>,
    /// How long a service call waits for the device's new state.
    #[serde(
        rename = "reply_timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 60>",
        serialize_with = "bounds::ser_secs"
    )]
    pub reply_timeout: Duration,
    /// How long a one-shot command (`mirai ask`) waits for the device list.
    #[serde(
        rename = "ready_timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 600>",
        serialize_with = "bounds::ser_secs"
    )]
    pub ready_timeout: Duration,
    #[serde(skip_serializing)]
    #[doc(hidden)]
    pub password: Option<Forbidden>,
}

impl Default for Zigbee2mqtt {
    fn default() -> Self {
        Zigbee2mqtt {
            enabled: false,
            base_topic: "zigbee2mqtt".into(),
            url: None,
            username: None,
            password_file: None,
            client_id: None,
            reply_timeout: Duration::from_secs(5),
            ready_timeout: Duration::from_secs(10),
            password: None,
        }
    }
}

/// The keys of the section that must make sense together: a topic that can be subscribed to,
/// a broker URL, a client id.
pub(super) fn check(z: &Zigbee2mqtt) -> Result<(), (&'static str, String)> {
    let base = &z.base_topic;
    if base.is_empty()
        || base.starts_with('/')
        || base.ends_with('/')
        || base.contains(['+', '#', '\0'])
    {
        return Err((
            "zigbee2mqtt.base_topic",
            format!(
                "{base:?} cannot start MQTT topics: not empty, no '+', '#' or '/' at either end"
            ),
        ));
    }
    if let Some(url) = &z.url {
        if !(url.starts_with("mqtt://") || url.starts_with("mqtts://")) {
            return Err((
                "zigbee2mqtt.url",
                format!("expected mqtt://host:port, got {url:?}"),
            ));
        }
    }
    if let Some(id) = &z.client_id {
        if id.is_empty() || id.len() > 64 || id.contains(['/', '+', '#', '\0']) {
            return Err((
                "zigbee2mqtt.client_id",
                format!("{id:?}: 1 to 64 characters, no '/', '+' or '#'"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_named() {
        let ok = Zigbee2mqtt::default();
        assert!(check(&ok).is_ok());
        for base in ["", "/z2m", "z2m/", "z2m/#", "a+b"] {
            let z = Zigbee2mqtt {
                base_topic: base.into(),
                ..Zigbee2mqtt::default()
            };
            assert_eq!(check(&z).unwrap_err().0, "zigbee2mqtt.base_topic", "{base}");
        }
        let z = Zigbee2mqtt {
            url: Some("http://pi".into()),
            ..Zigbee2mqtt::default()
        };
        assert_eq!(check(&z).unwrap_err().0, "zigbee2mqtt.url");
        let z = Zigbee2mqtt {
            client_id: Some(String::new()),
            ..Zigbee2mqtt::default()
        };
        assert_eq!(check(&z).unwrap_err().0, "zigbee2mqtt.client_id");
    }
}

//! Where the broker is and who we are on it: [`MqttSettings`] and its `mqtt://` URL parser.
//! `mqtt://` is plain TCP; `mqtts://` is TLS (rustls with ring), checked against a home CA file
//! or the public web roots.

use std::time::Duration;

use super::MqttError;

/// The port a `mqtt://` URL without one means.
const DEFAULT_PORT: u16 = 1883;
/// The MQTT-over-TLS port when an `mqtts://` URL names none.
const DEFAULT_TLS_PORT: u16 = 8883;
/// How often we ping an idle broker; the broker declares us gone (and sends the will) after
/// one and a half times this.
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(30);
/// The longest hub id we accept; it goes into every topic and the client id.
const MAX_HUB_ID_LEN: usize = 64;

/// How to reach the broker and which topics are ours.
#[derive(Clone, PartialEq, Eq)]
pub struct MqttSettings {
    /// The broker's host name or address.
    pub host: String,
    /// The broker's TCP port.
    pub port: u16,
    /// The MQTT client id: `mirai-<hub_id>`, stable so the broker keeps our session.
    pub client_id: String,
    /// This hub's id: the `<hub_id>` in `mirai/<hub_id>/…`.
    pub hub_id: String,
    /// The broker user, if it wants one.
    pub username: Option<String>,
    /// The broker password; never logged (see the `Debug` impl).
    pub password: Option<String>,
    /// The MQTT keep-alive interval.
    pub keep_alive: Duration,
    /// Also serve Rhasspy's Hermes topics.
    pub hermes: bool,
    /// Home Assistant's discovery prefix; `None` turns discovery off.
    pub discovery_prefix: Option<String>,
    /// Also publish a model's reply sentence by sentence on `mirai/<hub_id>/reply/partial`.
    pub partial_replies: bool,
    /// TLS (`mqtts://`), checked against `ca_file` or the public web roots.
    pub tls: bool,
    /// A PEM file with the CA that signed the broker's certificate (a home CA).
    pub ca_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("hub_id", &self.hub_id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("keep_alive", &self.keep_alive)
            .field("hermes", &self.hermes)
            .field("discovery_prefix", &self.discovery_prefix)
            .finish()
    }
}

impl MqttSettings {
    /// Settings for `mqtt://[user[:password]@]host[:port]` as hub `hub_id`, Hermes off,
    /// Home Assistant discovery under `homeassistant/`.
    pub fn from_url(url: &str, hub_id: &str) -> Result<MqttSettings, MqttError> {
        let bad = |message: &str| MqttError::Url {
            url: redact_url(url),
            message: message.to_owned(),
        };
        let (rest, tls) = match url.split_once("://") {
            Some(("mqtt" | "tcp", rest)) => (rest, false),
            Some(("mqtts" | "ssl" | "tls", rest)) => (rest, true),
            Some((scheme, _)) => return Err(bad(&format!("unknown scheme {scheme:?}"))),
            None => return Err(bad("expected mqtt://host[:port]")),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(bad("a broker URL has no path or query"));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let default_port = if tls { DEFAULT_TLS_PORT } else { DEFAULT_PORT };
        let (host, port) = split_host_port(hostport, default_port).map_err(|m| bad(&m))?;
        let (username, password) = match userinfo.map(|u| u.split_once(':').unwrap_or((u, ""))) {
            Some(("", _)) => return Err(bad("empty user name")),
            Some((user, pass)) => (Some(user.to_owned()), Some(pass.to_owned())),
            None => (None, None),
        };
        let settings = MqttSettings {
            host,
            port,
            client_id: format!("mirai-{hub_id}"),
            hub_id: hub_id.to_owned(),
            username,
            password: password.filter(|p| !p.is_empty()),
            keep_alive: DEFAULT_KEEP_ALIVE,
            hermes: false,
            discovery_prefix: Some(super::discovery::DEFAULT_PREFIX.to_owned()),
            partial_replies: false,
            tls,
            ca_file: None,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what the topics and the connection need; `run` calls it before connecting.
    pub fn validate(&self) -> Result<(), MqttError> {
        let id = &self.hub_id;
        if id.is_empty() || id.len() > MAX_HUB_ID_LEN || id.contains(['/', '+', '#', '\0']) {
            return Err(MqttError::HubId(id.clone()));
        }
        if self.host.is_empty() || self.client_id.is_empty() {
            return Err(MqttError::Url {
                url: format!("{}:{}", self.host, self.port),
                message: "empty host or client id".to_owned(),
            });
        }
        if self.keep_alive < Duration::from_secs(1) {
            // rumqttc refuses keep-alives under a second with a panic; say it as an error.
            return Err(MqttError::KeepAlive(self.keep_alive));
        }
        if let Some(prefix) = &self.discovery_prefix {
            let bad = |c| matches!(c, '+' | '#' | '\0');
            if prefix.is_empty() || prefix.ends_with('/') || prefix.contains(bad) {
                return Err(MqttError::DiscoveryPrefix(prefix.clone()));
            }
        }
        Ok(())
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(s: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("unclosed [")?;
        (host, after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err("no host".to_owned());
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("bad port {p:?}"))?,
        None => default_port,
    };
    Ok((host.to_owned(), port))
}

/// The URL with any password replaced, for error messages.
fn redact_url(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, rest)), Some((_, host))) if rest.contains('@') => {
            format!("{scheme}://<credentials>@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port() {
        let s = MqttSettings::from_url("mqtt://broker.lan:1884", "kitchen").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("broker.lan", 1884));
        assert_eq!(s.client_id, "mirai-kitchen");
        assert_eq!((s.username, s.password, s.hermes), (None, None, false));
    }

    #[test]
    fn default_port_trailing_slash_and_ipv6() {
        let s = MqttSettings::from_url("mqtt://localhost/", "h").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("localhost", 1883));
        let s = MqttSettings::from_url("mqtt://[::1]:1999", "h").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("::1", 1999));
    }

    #[test]
    fn credentials_are_parsed_and_never_shown() {
        let s = MqttSettings::from_url("mqtt://rhasspy:s3cret@pi:1883", "h").unwrap();
        assert_eq!(s.username.as_deref(), Some("rhasspy"));
        assert_eq!(s.password.as_deref(), Some("s3cret"));
        assert!(!format!("{s:?}").contains("s3cret"));
        let err = MqttSettings::from_url("mqtt://u:s3cret@pi:x", "h").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn mqtts_means_tls_on_8883_by_default() {
        let s = MqttSettings::from_url("mqtts://pi", "h").unwrap();
        assert!(s.tls);
        assert_eq!(s.port, 8883);
    }

    #[test]
    fn bad_urls_and_hub_ids() {
        for url in [
            "pi:1883",
            "http://pi",
            "mqtt://",
            "mqtt://pi:99999",
            "mqtt://pi/x",
        ] {
            assert!(MqttSettings::from_url(url, "h").is_err(), "{url}");
        }
        for id in ["", "a/b", "a+", "#", &"x".repeat(65)] {
            let err = MqttSettings::from_url("mqtt://pi", id).unwrap_err();
            assert!(matches!(err, MqttError::HubId(_)), "{id}: {err}");
        }
        let mut s = MqttSettings::from_url("mqtt://pi", "h").unwrap();
        assert_eq!(s.discovery_prefix.as_deref(), Some("homeassistant"));
        for prefix in ["", "ha/", "ha/+", "#"] {
            s.discovery_prefix = Some(prefix.to_owned());
            let err = s.validate().unwrap_err();
            assert!(
                matches!(err, MqttError::DiscoveryPrefix(_)),
                "{prefix}: {err}"
            );
        }
    }
}

//! What the back end needs from the config, and the addresses it derives from the URL.

use std::sync::Arc;
use std::time::Duration;

use super::HaError;
use super::exposure::Exposure;
use super::tls;
use crate::config::Secret;

/// What the back end needs from the config.
pub struct Settings {
    /// `http(s)://host:port`, without a trailing slash.
    pub(super) url: String,
    pub(super) token: Secret,
    pub(super) verify_tls: bool,
    pub(super) ca_file: Option<std::path::PathBuf>,
    pub(super) timeout: Duration,
    pub(super) readback: Duration,
    pub(super) events: bool,
    pub(super) exposure: Exposure,
    /// TLS for the WebSocket when the URL is https.
    pub(super) tls: Option<Arc<rustls::ClientConfig>>,
}

impl Settings {
    /// The settings of the config's `home_assistant` section with its token.
    pub fn new(
        cfg: &crate::config::HomeAssistant,
        token: Secret,
        ca_file: Option<std::path::PathBuf>,
    ) -> Result<Settings, HaError> {
        let url = cfg.url.trim_end_matches('/').to_owned();
        let mut s = Settings {
            url,
            token,
            verify_tls: cfg.verify_tls,
            ca_file,
            timeout: cfg.timeout,
            readback: cfg.readback,
            events: cfg.events,
            exposure: Exposure::new(&cfg.expose),
            tls: None,
        };
        if s.url.starts_with("https://") {
            s.tls = Some(Arc::new(tls::client_config(
                s.ca_file.as_deref(),
                s.verify_tls,
            )?));
        }
        Ok(s)
    }

    fn authority(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }

    /// The host alone (for TLS).
    pub(super) fn host(&self) -> &str {
        let a = self.authority();
        if let Some(v6) = a.strip_prefix('[') {
            return v6.split(']').next().unwrap_or(v6);
        }
        a.rsplit_once(':').map_or(a, |(h, _)| h)
    }

    /// `host:port`, the port from the scheme when not given.
    pub(super) fn host_port(&self) -> String {
        let a = self.authority();
        let has_port = a
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !a.ends_with(']');
        if has_port {
            a.to_owned()
        } else if self.tls.is_some() {
            format!("{a}:443")
        } else {
            format!("{a}:80")
        }
    }

    /// `ws(s)://host:port/api/websocket`.
    pub(super) fn ws_url(&self) -> String {
        let scheme = if self.tls.is_some() { "wss" } else { "ws" };
        format!("{scheme}://{}/api/websocket", self.authority())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> Settings {
        let cfg = crate::config::HomeAssistant {
            url: url.into(),
            ..Default::default()
        };
        Settings::new(&cfg, Secret::new("t".to_owned()), None).unwrap()
    }

    #[test]
    fn urls_give_the_socket_and_the_websocket() {
        let s = settings("http://127.0.0.1:8123/");
        assert_eq!(s.host_port(), "127.0.0.1:8123");
        assert_eq!(s.ws_url(), "ws://127.0.0.1:8123/api/websocket");
        let s = settings("https://ha.example");
        assert_eq!(
            (s.host(), s.host_port().as_str()),
            ("ha.example", "ha.example:443")
        );
        assert_eq!(s.ws_url(), "wss://ha.example/api/websocket");
        let s = settings("http://[::1]:8123");
        assert_eq!((s.host(), s.host_port().as_str()), ("::1", "[::1]:8123"));
        let s = settings("http://homeassistant.local");
        assert_eq!(s.host_port(), "homeassistant.local:80");
    }
}

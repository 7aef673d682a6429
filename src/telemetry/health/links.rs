//! The checks of what the hub links to: the MQTT broker and Home Assistant. Unreachable is a
//! warning (the hub works without them and keeps trying); a refused secret is a failure.

use std::time::Duration;

use super::{Report, Status, describe};
use crate::config::Config;

/// Whether Home Assistant answers and takes the token: a missing or rejected token fails
/// (only a person can fix it), an unreachable Home Assistant is a warning.
pub(super) fn check_home_assistant(report: &mut Report, config: &Config) {
    use crate::devices::home_assistant::{self, HaError, Settings};
    let cfg = &config.settings().home_assistant;
    if !cfg.enabled {
        return;
    }
    let Some(token) = config.ha_token() else {
        return report.push(
            "home_assistant",
            Status::Fail,
            "no token: set HA_TOKEN or home_assistant.token_file (a long-lived access token)",
        );
    };
    let ca = cfg.ca_file.as_deref().map(|p| config.in_data_dir(p));
    let checked = Settings::new(cfg, token.value.clone(), ca).and_then(home_assistant::check);
    match checked {
        Ok(()) => report.push(
            "home_assistant",
            Status::Ok,
            format!(
                "{} answers and takes the token ({})",
                cfg.url,
                describe(&token.source)
            ),
        ),
        Err(e @ (HaError::TokenRejected | HaError::Config(_))) => {
            report.push("home_assistant", Status::Fail, e.to_string())
        }
        Err(e) => report.push(
            "home_assistant",
            Status::Warn,
            format!("{e}; MIRAI keeps trying, the rest works"),
        ),
    }
}

/// How long the broker check waits for a TCP connection.
const BROKER_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the MQTT broker accepts connections (a warning when not: the hub works without it
/// and the daemon keeps trying).
pub(super) fn check_broker(report: &mut Report, config: &Config) {
    let mqtt = &config.settings().mqtt;
    if !mqtt.enabled {
        return;
    }
    let Some(addr) = broker_addr(&mqtt.url) else {
        return report.push(
            "mqtt",
            Status::Warn,
            format!("cannot read a host and port from {}", mqtt.url),
        );
    };
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&addr.as_str())
        .ok()
        .and_then(|mut addrs| addrs.next())
        .map(|sa| std::net::TcpStream::connect_timeout(&sa, BROKER_CHECK_TIMEOUT));
    match reachable {
        Some(Ok(_)) => report.push(
            "mqtt",
            Status::Ok,
            format!("broker at {addr} accepts connections"),
        ),
        Some(Err(e)) => report.push(
            "mqtt",
            Status::Warn,
            format!("broker at {addr}: {e}; voice commands over MQTT wait for it, the rest works"),
        ),
        None => report.push(
            "mqtt",
            Status::Warn,
            format!("cannot resolve the broker {addr}"),
        ),
    }
}

/// `host:port` of an `mqtt://[user[:pass]@]host[:port]` URL (1883 by default).
pub(super) fn broker_addr(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("mqtt://")
        .or_else(|| url.strip_prefix("mqtts://"))?;
    let host_port = rest.rsplit('@').next()?.split('/').next()?;
    if host_port.is_empty() {
        return None;
    }
    Some(if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:1883")
    })
}

//! The second stage of validation: rules that tie keys together, checked after parsing, each
//! failure naming the key to blame.

use super::models::Role;
use super::openai::Openai;
use super::settings::Settings;

/// The second stage: rules that tie keys together. Returns the key to blame and why.
pub(super) fn validate(s: &Settings) -> Result<(), (&'static str, String)> {
    let backoff = &s.openai.defaults.backoff;
    if backoff.base > backoff.max {
        return Err((
            "openai.defaults.backoff.base_ms",
            format!(
                "must not exceed openai.defaults.backoff.max_ms ({} > {})",
                backoff.base.as_millis(),
                backoff.max.as_millis()
            ),
        ));
    }
    let url = &s.openai.base_url;
    if !is_http_url(url) {
        return Err((
            "openai.base_url",
            format!("expected an http:// or https:// URL, got {url:?}"),
        ));
    }
    if let Err(bad) = check_log_filter(&s.monitoring.logs.level) {
        return Err((
            "monitoring.logs.level",
            format!(
                "{bad:?} is not a level: expected error, warn, info, debug, trace, off, \
                 or per module like `info,mirai::memory=debug`"
            ),
        ));
    }
    check_llm(&s.openai)?;
    let url = &s.mqtt.url;
    if !(url.starts_with("mqtt://") || url.starts_with("mqtts://")) {
        return Err((
            "mqtt.url",
            format!("expected mqtt://host:port, got {url:?}"),
        ));
    }
    let id_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if s.mqtt.hub_id.is_empty() || !s.mqtt.hub_id.chars().all(id_ok) {
        return Err((
            "mqtt.hub_id",
            format!(
                "expected letters, digits, - or _ (it is part of MQTT topics), got {:?}",
                s.mqtt.hub_id
            ),
        ));
    }
    check_home_assistant(s)?;
    check_autonomous(&s.services.autonomous)?;
    super::zwave::check(&s.zwave)?;
    super::zigbee2mqtt::check(&s.zigbee2mqtt)?;
    super::zigbee::check(&s.zigbee)?;
    super::gpio::check(&s.board, &s.gpio)?;
    if s.name.trim().is_empty() {
        return Err(("name", "must not be empty".into()));
    }
    if s.data_dir.as_os_str().is_empty() {
        return Err(("data_dir", "must not be empty".into()));
    }
    Ok(())
}

/// The model client's keys: fallbacks stay within their kind, the local server is a URL.
fn check_llm(o: &Openai) -> Result<(), (&'static str, String)> {
    const KEYS: [&str; 4] = [
        "openai.fallbacks.main",
        "openai.fallbacks.heavy",
        "openai.fallbacks.fast",
        "openai.fallbacks.embed",
    ];
    for (role, key) in Role::ALL.into_iter().zip(KEYS) {
        for &to in o.fallbacks.of(role) {
            if to == role {
                return Err((key, format!("{} cannot fall back to itself", role.as_str())));
            }
            if (to == Role::Embed) != (role == Role::Embed) {
                return Err((
                    key,
                    format!(
                        "{} cannot fall back to {}: one makes embeddings, the other chats",
                        role.as_str(),
                        to.as_str()
                    ),
                ));
            }
        }
    }
    if let Some(local) = &o.local {
        if !is_http_url(&local.base_url) {
            return Err((
                "openai.local.base_url",
                format!(
                    "expected an http:// or https:// URL, got {:?}",
                    local.base_url
                ),
            ));
        }
    }
    Ok(())
}

/// Home Assistant's URL, and globs that can match something.
fn check_home_assistant(s: &Settings) -> Result<(), (&'static str, String)> {
    let ha = &s.home_assistant;
    if !is_http_url(&ha.url) {
        return Err((
            "home_assistant.url",
            format!("expected http://host:8123 or https://…, got {:?}", ha.url),
        ));
    }
    let globs = [
        ("home_assistant.expose.include", &ha.expose.include),
        ("home_assistant.expose.exclude", &ha.expose.exclude),
    ];
    for (key, list) in globs {
        if let Some(bad) = list
            .iter()
            .find(|g| g.trim().is_empty() || g.chars().count() > 200)
        {
            return Err((
                key,
                format!(
                    "{bad:?} is not an entity id glob (1 to 200 characters, * and ? as wildcards)"
                ),
            ));
        }
    }
    Ok(())
}

/// The scheduler's time zone must be known here and its upkeep schedule must parse.
fn check_autonomous(a: &super::settings::Autonomous) -> Result<(), (&'static str, String)> {
    if !a.timezone.is_empty() {
        if let Err(e) = jiff::tz::TimeZone::get(&a.timezone) {
            return Err((
                "services.autonomous.timezone",
                format!(
                    "{:?} is not a time zone this system knows (an IANA name like Europe/Berlin): {e}",
                    a.timezone
                ),
            ));
        }
    }
    if !a.upkeep.trim().is_empty() {
        if let Err(e) = crate::autonomous::cron::Cron::parse(&a.upkeep) {
            return Err(("services.autonomous.upkeep", e.to_string()));
        }
    }
    Ok(())
}

fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    rest.is_some_and(|host| !host.is_empty() && !host.starts_with('/'))
}

/// A log filter is levels and `module=level` pairs separated by commas; returns the bad part.
pub fn check_log_filter(filter: &str) -> Result<(), String> {
    const LEVELS: [&str; 6] = ["error", "warn", "info", "debug", "trace", "off"];
    for part in filter.split(',').map(str::trim) {
        let level = match part.split_once('=') {
            Some((module, level)) if !module.trim().is_empty() => level.trim(),
            Some(_) => return Err(part.to_owned()),
            None => part,
        };
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(part.to_owned());
        }
    }
    Ok(())
}

//! Secrets: read from the environment or a file, never from the YAML, never printed.

use std::fmt;
use std::path::Path;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use super::ConfigError;

/// A secret value. `Debug` and `Display` print `[redacted]`; only [`Secret::expose`] gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret MIRAI made or was handed (a test's token).
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that sends it (an HTTP header, a login).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a secret came from, for `config check` and `health` (never the value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "name")]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A `*_file` key.
    File(String),
}

/// A secret and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedSecret {
    /// The value.
    pub value: Secret,
    /// Its origin.
    pub source: SecretSource,
}

/// Reads a secret from the variable `var`, else from `file`; `None` when neither is set.
pub(super) fn load(
    var: &str,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<LoadedSecret>, ConfigError> {
    if let Some(v) = env(var).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(LoadedSecret {
            value: Secret(v.trim().to_owned()),
            source: SecretSource::Env(var.to_owned()),
        }));
    }
    let Some(path) = file else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
        path: path.to_owned(),
        source,
    })?;
    let value = text.trim();
    if value.is_empty() {
        return Err(ConfigError::SecretFile {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is empty"),
        });
    }
    Ok(Some(LoadedSecret {
        value: Secret(value.to_owned()),
        source: SecretSource::File(path.display().to_string()),
    }))
}

/// A key that must not be in the YAML because it would hold a secret; reading it is an error
/// that says where the secret belongs instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden;

impl<'de> Deserialize<'de> for Forbidden {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Err(D::Error::custom(
            "secrets are not read from the config file: set them in the environment \
             (OPENAI_API_KEY, MQTT_PASSWORD, HA_TOKEN) or point the matching *_file key at a file that \
             holds them",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret("sk-live-1234567890abcdef".into());
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "sk-live-1234567890abcdef");
    }

    #[test]
    fn env_wins_over_file_and_file_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "  from-file-secret\n").unwrap();
        let none = |_: &str| None;
        let got = load("OPENAI_API_KEY", Some(&file), &none).unwrap().unwrap();
        assert_eq!(got.value.expose(), "from-file-secret");
        let env = |_: &str| Some("from-env-secret".to_owned());
        let got = load("OPENAI_API_KEY", Some(&file), &env).unwrap().unwrap();
        assert_eq!(got.source, SecretSource::Env("OPENAI_API_KEY".into()));
    }

    #[test]
    fn missing_or_empty_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        let none = |_: &str| None;
        let err = load("K", Some(&file), &none).unwrap_err().to_string();
        assert!(err.contains(&file.display().to_string()), "{err}");
        std::fs::write(&file, "\n").unwrap();
        let err = load("K", Some(&file), &none).unwrap_err();
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.contains("empty"), "{err}: {cause}");
        assert!(load("K", None, &none).unwrap().is_none());
    }
}

//! Reading the YAML text: parse errors with key path, line and column; `MIRAI_…` environment
//! overrides; and finding where a key sits in the file for errors found after parsing.

use serde_yaml::{Mapping, Value};

use super::ConfigError;
use super::settings::Settings;

/// Prefix of environment variables that override config keys.
const ENV_PREFIX: &str = "MIRAI_";
/// Separator between key path segments in an override's name.
const ENV_SEPARATOR: &str = "__";

/// One `MIRAI_SECTION__KEY=value` override.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Override {
    pub(super) var: String,
    pub(super) path: Vec<String>,
    value: Value,
}

/// The overrides among `vars`: names that start with `MIRAI_` and contain `__`
/// (`MIRAI_SERVICES__DASHBOARD__PORT=8080` sets `services.dashboard.port`). Values are read
/// as YAML scalars, so `8080` is a number and `true` a boolean.
pub(super) fn overrides(vars: &[(String, String)]) -> Vec<Override> {
    let mut found: Vec<Override> = vars
        .iter()
        .filter_map(|(name, raw)| {
            let rest = name.strip_prefix(ENV_PREFIX)?;
            if !rest.contains(ENV_SEPARATOR) {
                return None;
            }
            let path = rest.split(ENV_SEPARATOR).map(str::to_lowercase).collect();
            let value = serde_yaml::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone()));
            Some(Override {
                var: name.clone(),
                path,
                value,
            })
        })
        .collect();
    found.sort_by(|a, b| a.var.cmp(&b.var));
    found
}

/// Parses `text` (named `origin` in errors) and applies `overrides` on top.
pub(super) fn parse(
    text: &str,
    origin: &str,
    overrides: &[Override],
) -> Result<Settings, ConfigError> {
    let settings = from_yaml(serde_yaml::Deserializer::from_str(text), |err| {
        located(origin, err)
    })?;
    if overrides.is_empty() {
        return Ok(settings);
    }
    let mut tree: Value = serde_yaml::from_str(text).map_err(|e| located(origin, &e))?;
    if tree.is_null() {
        tree = Value::Mapping(Mapping::new());
    }
    for o in overrides {
        apply(&mut tree, o).map_err(|message| ConfigError::Invalid {
            at: format!("environment variable {}", o.var),
            key: o.path.join("."),
            message,
        })?;
    }
    // Back to text and through the same deserializer as the file: deserializing `Settings`
    // from a `Value` as well would compile a second copy of every config type's parser.
    // Positions in this text mean nothing to the user, so errors name the variable instead.
    let text = serde_yaml::to_string(&tree).map_err(|e| ConfigError::Invalid {
        at: "environment overrides".into(),
        key: String::new(),
        message: message_of(&e),
    })?;
    from_yaml(serde_yaml::Deserializer::from_str(&text), |err| {
        let at = blame(overrides, err.path().to_string().as_str());
        ConfigError::Invalid {
            at,
            key: err.path().to_string(),
            message: message_of(err.inner()),
        }
    })
}

type PathError = serde_path_to_error::Error<serde_yaml::Error>;

fn from_yaml<'de, D>(
    de: D,
    on_error: impl Fn(&PathError) -> ConfigError,
) -> Result<Settings, ConfigError>
where
    D: serde::Deserializer<'de, Error = serde_yaml::Error>,
{
    serde_path_to_error::deserialize(de).map_err(|e| on_error(&e))
}

/// Which override a failing key path came from.
fn blame(overrides: &[Override], key: &str) -> String {
    overrides
        .iter()
        .rev()
        .find(|o| {
            let p = o.path.join(".");
            key == p || key.starts_with(&format!("{p}.")) || p.starts_with(&format!("{key}."))
        })
        .map(|o| format!("environment variable {}", o.var))
        .unwrap_or_else(|| "environment overrides".into())
}

fn apply(tree: &mut Value, o: &Override) -> Result<(), String> {
    let mut node = tree;
    for (i, seg) in o.path.iter().enumerate() {
        let Value::Mapping(map) = node else {
            return Err(format!("{} is not a section", o.path[..i].join(".")));
        };
        let key = Value::String(seg.clone());
        if i + 1 == o.path.len() {
            map.insert(key, o.value.clone());
            return Ok(());
        }
        node = map
            .entry(key)
            .or_insert_with(|| Value::Mapping(Mapping::new()));
    }
    Ok(())
}

fn located(origin: &str, err: &dyn LocatedError) -> ConfigError {
    let at = match err.position() {
        Some((line, col)) => format!("{origin}:{line}:{col}"),
        None => origin.to_owned(),
    };
    ConfigError::Invalid {
        at,
        key: err.key(),
        message: err.message(),
    }
}

/// What an error of either parse stage can tell about itself.
trait LocatedError {
    fn position(&self) -> Option<(usize, usize)>;
    fn key(&self) -> String;
    fn message(&self) -> String;
}

impl LocatedError for PathError {
    fn position(&self) -> Option<(usize, usize)> {
        self.inner().position()
    }
    fn key(&self) -> String {
        let p = self.path().to_string();
        if p == "." { String::new() } else { p }
    }
    fn message(&self) -> String {
        message_of(self.inner())
    }
}

impl LocatedError for serde_yaml::Error {
    fn position(&self) -> Option<(usize, usize)> {
        self.location().map(|l| (l.line(), l.column()))
    }
    fn key(&self) -> String {
        String::new()
    }
    fn message(&self) -> String {
        message_of(self)
    }
}

/// serde_yaml's message without the location and key path it appends and prepends (we print
/// both ourselves, in the `file:line:col: key: message` form editors understand). The demo
/// house file reports its errors the same way.
pub(crate) fn message_of(err: &serde_yaml::Error) -> String {
    let mut text = err.to_string();
    if let Some(loc) = err.location() {
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(stripped) = text.strip_suffix(&suffix) {
            text = stripped.to_owned();
        }
    }
    match text.split_once(": ") {
        Some((head, tail)) if is_key_path(head) => tail.to_owned(),
        _ => text,
    }
}

fn is_key_path(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
}

/// Line and column (1-based) of the key at `path` (`openai.defaults.max_retries`) in a
/// block-style YAML text; `None` when it is not written there (a default, or flow style).
pub(super) fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let want: Vec<&str> = path.split('.').collect();
    let mut stack: Vec<(usize, &str)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') || body.starts_with('-') {
            continue;
        }
        let indent = line.len() - body.len();
        let Some((key, _)) = body.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
        while stack.last().is_some_and(|&(i, _)| i >= indent) {
            stack.pop();
        }
        stack.push((indent, key));
        if stack.len() == want.len() && stack.iter().map(|s| s.1).eq(want.iter().copied()) {
            return Some((n + 1, indent + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_nested_keys_and_skips_comments_and_siblings() {
        let text = "# top\nopenai:\n  models:\n    main:\n      name: x\n  defaults:\n    # c\n    max_retries: 3\nmemory:\n  max_retries: 9\n";
        assert_eq!(locate(text, "openai.defaults.max_retries"), Some((8, 5)));
        assert_eq!(locate(text, "openai.models.main.name"), Some((5, 7)));
        assert_eq!(locate(text, "memory.max_retries"), Some((10, 3)));
        assert_eq!(locate(text, "openai.base_url"), None);
    }

    #[test]
    fn overrides_need_the_prefix_and_a_separator_and_read_yaml_scalars() {
        let vars = [
            ("MIRAI_SERVICES__DASHBOARD__PORT", "8081"),
            ("MIRAI_BENCH_ROWS", "5"),
            ("HOME", "/root"),
            ("MIRAI_OPENAI__MODELS__MAIN__NAME", "gpt-x"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let o = overrides(&vars);
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].path, ["openai", "models", "main", "name"]);
        assert_eq!(o[1].path, ["services", "dashboard", "port"]);
        assert_eq!(o[1].value, Value::Number(8081.into()));
    }

    #[test]
    fn message_loses_location_and_key_prefix() {
        let err = serde_yaml::from_str::<Settings>("memory:\n  bogus: 1\n").unwrap_err();
        let msg = message_of(&err);
        assert!(msg.starts_with("unknown field `bogus`"), "{msg}");
        assert!(!msg.contains("line"), "{msg}");
    }
}

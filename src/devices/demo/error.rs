//! Why a demo house file was refused, and how serde's errors become that: placed by
//! serde_yaml, and naming the entity when the error is inside one.

use std::path::PathBuf;

use super::layout::Pos;

/// Why a demo house file was refused.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The file could not be read.
    #[error("cannot read demo house {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not a valid house.
    #[error("{at}: {}{message}", if what.is_empty() { String::new() } else { format!("{what}: ") })]
    Invalid {
        /// `file:line:column`, or the file alone when the place is unknown.
        at: String,
        /// What is wrong: ``entity `light.kitchen` ``, ``area `attic` ``, or a key path.
        what: String,
        /// How.
        message: String,
    },
}

/// `file:line:column`, or the file alone when the place is unknown.
pub(super) fn place(origin: &str, at: Option<Pos>) -> String {
    match at {
        Some((line, column)) => format!("{origin}:{line}:{column}"),
        None => origin.to_owned(),
    }
}

type PathError = serde_path_to_error::Error<serde_yaml::Error>;

/// A serde error, placed by serde_yaml and naming the entity when it is inside one.
pub(super) fn parse_error(text: &str, origin: &str, err: &PathError) -> DemoError {
    let at = err.inner().location().map(|l| (l.line(), l.column()));
    let path = err.path().to_string();
    let what = entity_named_by(text, &path)
        .map(|id| format!("entity `{id}`"))
        .unwrap_or_else(|| if path == "." { String::new() } else { path });
    DemoError::Invalid {
        at: place(origin, at),
        what,
        message: crate::config::yaml_message(err.inner()),
    }
}

/// The id of the entity a key path (`entities[3].colour`) points into, if the text says it.
fn entity_named_by(text: &str, path: &str) -> Option<String> {
    let index: usize = path
        .strip_prefix("entities[")?
        .split(']')
        .next()?
        .parse()
        .ok()?;
    let tree: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    Some(
        tree.get("entities")?
            .get(index)?
            .get("id")?
            .as_str()?
            .to_owned(),
    )
}

//! Board profiles and detection: which Raspberry Pi (or other Linux machine) the hub runs on,
//! and what that means for serial paths and GPIO pins.
//!
//! The profiles of `boards/*.yaml` are built into the binary, so an installed hub needs no
//! `boards/` folder; `board:` in the config picks one by name, names a YAML file of the same
//! shape (a user's own board), or says `auto`. Detection reads the device-tree model, the same
//! file rppal's `DeviceInfo` reads, and matches it against each profile's `model`; a machine
//! nobody knows gets the generic Linux profile, with a note saying so.
//!
//! # Layout
//!
//! - `profile`: the YAML shape of a profile and its checks.
//! - `serial`: which of a profile's serial paths (globs allowed) exist on this machine.

mod profile;
mod serial;

use std::path::{Path, PathBuf};

pub use profile::{
    ButtonPins, GpioPins, LedPins, MAX_HEADER_PIN, Profile, Pull, RelayPins, SerialPaths,
};
pub use serial::existing;

/// The files that hold the device-tree model, tried in order. The first is a link to the
/// second on Raspberry Pi OS; both end with a NUL byte.
pub const MODEL_PATHS: [&str; 2] = [
    "/proc/device-tree/model",
    "/sys/firmware/devicetree/base/model",
];
/// What `board:` says to detect the board.
pub const AUTO: &str = "auto";
/// The profile of a machine no other profile matches.
pub const GENERIC: &str = "generic-linux";
/// The largest model file read; real ones are under 64 bytes.
const MAX_MODEL_BYTES: u64 = 512;

/// The profiles built into the binary, by name.
const BUILTIN: [(&str, &str); 5] = [
    ("rpi3b", include_str!("../../boards/rpi3b.yaml")),
    ("rpi4b", include_str!("../../boards/rpi4b.yaml")),
    ("rpi5", include_str!("../../boards/rpi5.yaml")),
    ("rpi-zero2w", include_str!("../../boards/rpi-zero2w.yaml")),
    (GENERIC, include_str!("../../boards/generic-linux.yaml")),
];

/// Why a board could not be chosen.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    /// `board:` names no built-in profile and no file.
    #[error("unknown board {name:?}: expected auto, one of {}, or a path to a profile file", names().join(", "))]
    Unknown {
        /// What it said.
        name: String,
    },
    /// A profile file could not be read.
    #[error("cannot read board profile {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A profile file is not a valid profile.
    #[error("board profile {origin}: {message}")]
    Invalid {
        /// The file, with line and column when known.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// The names of the built-in profiles.
pub fn names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// The built-in profile `name`.
pub fn builtin(name: &str) -> Option<Profile> {
    let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    // A unit test parses every embedded profile, so a broken one never ships.
    Some(Profile::parse(text, name).expect("the built-in board profiles are valid"))
}

/// What the machine says it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Detected {
    /// The device-tree model ("Raspberry Pi 4 Model B Rev 1.4"), NUL and spaces trimmed.
    pub model: Option<String>,
    /// The file it was read from.
    pub source: Option<PathBuf>,
}

/// Reads the model from the first of `paths` that holds one.
pub fn detect(paths: &[PathBuf]) -> Detected {
    use std::io::Read;
    for path in paths {
        let mut bytes = Vec::new();
        let read =
            std::fs::File::open(path).and_then(|f| f.take(MAX_MODEL_BYTES).read_to_end(&mut bytes));
        if read.is_err() {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let model = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        if !model.is_empty() {
            return Detected {
                model: Some(model.to_owned()),
                source: Some(path.clone()),
            };
        }
    }
    Detected::default()
}

/// The built-in profile whose `model` starts `model` (the longest such, so "Raspberry Pi 3
/// Model B Plus" is still a 3 B), if any.
pub fn profile_for_model(model: &str) -> Option<Profile> {
    BUILTIN
        .iter()
        .filter_map(|(name, _)| builtin(name))
        .filter(|p| p.model.as_deref().is_some_and(|m| model.starts_with(m)))
        .max_by_key(|p| p.model.as_ref().map_or(0, String::len))
}

/// How the profile in use was chosen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// `board: auto` and the model matched a profile.
    Detected,
    /// `board: auto` and nothing matched: the generic profile.
    Unknown,
    /// `board: NAME`, a built-in profile.
    Named,
    /// `board: PATH`, a user's profile file.
    File,
}

/// The board this hub runs on: what was detected and the profile in use.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Board {
    /// What the machine says it is (read even when the config names the board).
    pub detected: Detected,
    /// How the profile was chosen.
    pub choice: Choice,
    /// A sentence for people when the choice needs one (an unknown model).
    pub note: Option<String>,
    /// The profile in use.
    pub profile: Profile,
}

/// Chooses the board as `setting` (the config's `board:`) says, reading the model from
/// `model_paths`.
pub fn resolve(setting: &str, model_paths: &[PathBuf]) -> Result<Board, BoardError> {
    let detected = detect(model_paths);
    let (choice, profile) = if setting == AUTO {
        match detected.model.as_deref().and_then(profile_for_model) {
            Some(p) => (Choice::Detected, p),
            None => (Choice::Unknown, generic()),
        }
    } else if let Some(p) = builtin(setting) {
        (Choice::Named, p)
    } else if looks_like_path(setting) {
        (Choice::File, from_file(Path::new(setting))?)
    } else {
        return Err(BoardError::Unknown {
            name: setting.to_owned(),
        });
    };
    let note = (choice == Choice::Unknown).then(|| match &detected.model {
        Some(m) => {
            format!("no profile for {m:?}: using {GENERIC} (no GPIO); set board: to choose one")
        }
        None => format!("no device-tree model found: using {GENERIC} (no GPIO)"),
    });
    Ok(Board {
        detected,
        choice,
        note,
        profile,
    })
}

/// The default model files.
pub fn default_model_paths() -> Vec<PathBuf> {
    MODEL_PATHS.iter().map(PathBuf::from).collect()
}

/// Whether `board:` names a file rather than a profile.
pub fn looks_like_path(setting: &str) -> bool {
    setting.contains('/') || setting.ends_with(".yaml") || setting.ends_with(".yml")
}

/// A user's profile file.
pub fn from_file(path: &Path) -> Result<Profile, BoardError> {
    let text = std::fs::read_to_string(path).map_err(|source| BoardError::Read {
        path: path.to_owned(),
        source,
    })?;
    Profile::parse(&text, &path.display().to_string())
}

fn generic() -> Profile {
    builtin(GENERIC).expect("the generic profile is built in")
}

#[cfg(test)]
mod tests;

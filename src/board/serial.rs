//! Which of a profile's serial paths exist here. A path may end its file name with globs
//! (`/dev/serial/by-id/usb-0658_0200*`): the name a stick gets under `/dev/serial/by-id`
//! carries its serial number, which no profile can know.

use std::path::{Path, PathBuf};

use crate::devices::glob;

/// The existing files each of `patterns` names, in the patterns' order, each once.
pub fn existing(patterns: &[String]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        for path in matches(Path::new(pattern)) {
            if !found.contains(&path) {
                found.push(path);
            }
        }
    }
    found
}

/// The files `pattern` names: itself if it has no wildcard, else the matching names in its
/// folder, sorted.
fn matches(pattern: &Path) -> Vec<PathBuf> {
    let name = pattern.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains(['*', '?']) {
        return if pattern.exists() {
            vec![pattern.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let Some(dir) = pattern.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| glob::matches(name, n))
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

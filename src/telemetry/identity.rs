//! The hub's description of itself: who it is, what it can do, what it remembers.
//!
//! Written to `<data_dir>/mirai_identity.json` (atomically: a temp file, then rename) and shown
//! by `mirai version --json`, so a person or another program can see what this hub is.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::version::BuildInfo;
use crate::config::Config;
use crate::memory::Stats;

/// File name of the identity in the data folder.
pub const FILE_NAME: &str = "mirai_identity.json";

/// What this hub is.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// The agent's name from config.
    pub name: String,
    /// The description from config.
    pub description: String,
    /// Crate version.
    pub version: &'static str,
    /// Release codename.
    pub codename: &'static str,
    /// What this binary can do with this config.
    pub capabilities: Vec<&'static str>,
    /// What the memory holds; absent when the database could not be read.
    pub stats: Option<Stats>,
    /// How this binary was built.
    pub build: BuildInfo,
    /// When this description was made, RFC 3339 UTC.
    pub generated_at: String,
}

impl Identity {
    /// Describes this binary under `config`, with memory `stats` when known.
    pub fn new(config: &Config, stats: Option<Stats>) -> Self {
        let build = BuildInfo::current();
        let s = config.settings();
        Identity {
            name: s.name.clone(),
            description: s.description.clone(),
            version: build.version,
            codename: build.codename,
            capabilities: capabilities(config),
            stats,
            build,
            generated_at: crate::clock::rfc3339_ms(crate::clock::now_ms()),
        }
    }

    /// Writes the identity into `data_dir`, replacing the old one atomically.
    pub fn write_to(&self, data_dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(FILE_NAME);
        let tmp = data_dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        serde_json::to_writer_pretty(&mut file, self)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// Capabilities compiled in and switched on.
fn capabilities(config: &Config) -> Vec<&'static str> {
    let mut caps = vec![
        "memory.conversations",
        "memory.preferences",
        "memory.tasks",
        "memory.knowledge_search",
        "memory.backup",
        "health",
    ];
    if config.settings().memory.long_term.enabled {
        caps.push("memory.retention");
    }
    caps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Env, Origin};

    #[test]
    fn written_file_reads_back_with_name_version_and_stats() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = Config::from_text(
            "name: Hoshi\n",
            Origin::Defaults,
            Some(tmp.path()),
            &Env::default(),
        )
        .unwrap();
        let id = Identity::new(&cfg, None);
        let path = id.write_to(tmp.path()).unwrap();
        let back: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(back["name"], "Hoshi");
        assert_eq!(back["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(back["codename"], super::super::version::CODENAME);
        assert!(
            back["capabilities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "memory.knowledge_search")
        );
        assert!(back["stats"].is_null());
        let leftovers = std::fs::read_dir(tmp.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temp file is left behind");
    }
}

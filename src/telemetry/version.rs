//! What this binary is: version, codename and the facts recorded when it was built.

use serde::Serialize;

/// The release's name, shown beside the version.
pub const CODENAME: &str = "Hanami";

/// Build facts, from `build.rs`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BuildInfo {
    /// Crate version.
    pub version: &'static str,
    /// Release codename.
    pub codename: &'static str,
    /// Short git commit, `-dirty` when built from uncommitted changes, or `unknown`.
    pub git_commit: &'static str,
    /// Target triple.
    pub target: &'static str,
    /// Cargo profile (`debug` or `release`).
    pub profile: &'static str,
    /// Enabled cargo features.
    pub features: Vec<&'static str>,
    /// Build time, RFC 3339 UTC (`SOURCE_DATE_EPOCH` when set, for reproducible builds).
    pub build_date: String,
}

impl BuildInfo {
    /// The facts of this binary.
    pub fn current() -> Self {
        let features = env!("MIRAI_FEATURES");
        BuildInfo {
            version: env!("CARGO_PKG_VERSION"),
            codename: CODENAME,
            git_commit: env!("MIRAI_GIT_COMMIT"),
            target: env!("MIRAI_TARGET"),
            profile: env!("MIRAI_PROFILE"),
            features: features.split(',').filter(|f| !f.is_empty()).collect(),
            build_date: crate::clock::rfc3339_s(env!("MIRAI_BUILD_EPOCH").parse().unwrap_or(0)),
        }
    }

    /// `mirai 0.1.0 "Hanami" (abc123 x86_64-unknown-linux-gnu release, built …)`.
    pub fn long_line(&self) -> String {
        let features = if self.features.is_empty() {
            String::new()
        } else {
            format!(", features {}", self.features.join(","))
        };
        format!(
            "mirai {} \"{}\"\ncommit {}\ntarget {} ({}){features}\nbuilt {}",
            self.version,
            self.codename,
            self.git_commit,
            self.target,
            self.profile,
            self.build_date
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_filled_in() {
        let b = BuildInfo::current();
        assert_eq!(b.version, env!("CARGO_PKG_VERSION"));
        assert!(b.target.contains("linux"), "{}", b.target);
        assert!(b.profile == "debug" || b.profile == "release");
        assert!(
            b.build_date.ends_with('Z') && b.build_date.len() == 20,
            "{}",
            b.build_date
        );
        assert!(b.long_line().contains(b.git_commit));
    }
}

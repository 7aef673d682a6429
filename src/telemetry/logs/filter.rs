//! The filter: `Targets` directives such as `info,mirai::memory=debug`, checked one at a
//! time so an error names the directive that is wrong.

use std::str::FromStr;

use tracing_subscriber::filter::Targets;

use super::LogError;

/// Parses `Targets` directives, trimming spaces and naming the directive that fails.
pub(super) fn parse_filter(filter: &str) -> Result<Targets, LogError> {
    let bad = |reason: String| LogError::Filter {
        filter: filter.to_owned(),
        reason,
    };
    let directives: Vec<&str> = filter.split(',').map(str::trim).collect();
    for directive in &directives {
        if directive.is_empty() {
            return Err(bad(
                "empty directive (stray comma or empty filter)".to_owned()
            ));
        }
        Targets::from_str(directive).map_err(|e| bad(format!("in {directive:?}: {e}")))?;
    }
    Targets::from_str(&directives.join(",")).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::logs::{LogSettings, build};

    #[test]
    fn bad_filters_say_what_is_wrong() {
        for (filter, needle) in [
            ("info,mirai=loud", "mirai=loud"),
            ("info,", "empty"),
            ("", "empty"),
        ] {
            let settings = LogSettings {
                filter: filter.into(),
                ..LogSettings::default()
            };
            match build(&settings, &[]) {
                Err(e @ LogError::Filter { .. }) => assert!(e.to_string().contains(needle), "{e}"),
                other => panic!("{filter:?}: {other:?}"),
            }
        }
    }
}

//! Sinks: one fmt layer per output, JSON or text, and the rule for colouring text.
//!
//! Text is never coloured: tracing-subscriber is built without its `ansi` feature (binary
//! size), so [`colour_wanted`] only records the rule for when it is turned on.

use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::{Layer, Registry};

use super::LogFormat;

/// Whether text on stderr should be coloured: a terminal, and `NO_COLOR` unset or empty
/// (<https://no-color.org>). Not applied yet: see the module docs.
pub(super) fn colour_wanted(stderr_is_tty: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_tty && no_color.is_none_or(|v| v.is_empty())
}

/// The `ansi` feature of tracing-subscriber is off; asking it for colour panics in
/// debug builds, so colour is only ever requested when this is flipped with the feature.
pub(super) const ANSI_COMPILED_IN: bool = false;

/// A layer of either format, boxed so the stderr and file layers share one `Vec`.
pub(super) type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// One fmt layer over one sink. Internal errors are not logged: the fallback is
/// `eprintln!`, which panics when stderr itself is what failed.
pub(super) fn sink<W>(format: LogFormat, ansi: bool, writer: W) -> BoxedLayer
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let layer = fmt::layer().log_internal_errors(false).with_writer(writer);
    match format {
        LogFormat::Json => layer
            .json()
            .flatten_event(false)
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
        LogFormat::Text => layer.with_ansi(ansi).boxed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some("".into())));
        assert!(!colour_wanted(true, Some("1".into())));
        assert!(!colour_wanted(false, None));
    }
}

//! Logs: the one `tracing` subscriber of the process, its sinks and its filter.
//!
//! [`init`] installs it once; [`build`] and [`build_with_writer`] make the same thing
//! without installing it, for tests (`tracing::dispatcher::with_default`). Events go to
//! stderr and/or a size-rotated file (see `rotate`); every byte on the way out passes
//! through the redactor (see `redact`), so registered secrets and secret-shaped values
//! never reach either.
//!
//! # JSON line shape
//!
//! One object per line, in the shape of tracing-subscriber's JSON formatter
//! (`flatten_event(false)`, current span and span list on), written by `sink`; `span` and
//! `spans` are absent outside any span:
//!
//! ```text
//! {"timestamp":"2025-01-02T03:04:05.678901Z","level":"INFO",
//!  "fields":{"message":"sent","node":7,"api_key":"[REDACTED]"},
//!  "target":"mirai::devices::zwave",
//!  "span":{"node":7,"name":"send"},
//!  "spans":[{"name":"request","id":"ab12"},{"node":7,"name":"send"}]}
//! ```
//!
//! `timestamp` is RFC 3339 in UTC; `level` is `TRACE`…`ERROR`; `span` is the innermost
//! span and `spans` all open spans, outermost first, each with its fields and `name`.
//!
//! # Text
//!
//! `2025-01-02T03:04:05.678901Z  INFO request{id="ab12"}:send{node=7}: mirai::devices: sent node=7`.
//! Never coloured: see `sink`.
//!
//! # Layout
//!
//! - `sink`: the layer that makes each event one line and writes it to every output.
//! - `line`: fields as JSON or text, the level and the timestamp.
//! - `filter`: the `Targets` filter string, checked one directive at a time.

mod filter;
mod line;
mod sink;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use tracing::Dispatch;
use tracing_subscriber::Registry;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use super::redact::{RedactingMakeWriter, Redactor};
use super::rotate::RotatingFile;
use filter::parse_filter;
use sink::{LineLayer, Output, output};

/// Default size at which the log file rotates: 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Default number of rotated files kept beside the live one.
pub const DEFAULT_MAX_FILES: u32 = 5;

pub use crate::config::LogFormat;

/// Where logs go, how they look and which are kept (the validated config section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// `info`, or `Targets` directives such as `info,mirai::memory=debug`.
    pub filter: String,
    /// JSON or text lines.
    pub format: LogFormat,
    /// Log file, rotated by size; `None` for no file.
    pub file: Option<PathBuf>,
    /// Size past which the file rotates.
    pub max_bytes: u64,
    /// Rotated files kept (`mirai.log.1` … `mirai.log.N`); 0 truncates instead.
    pub max_files: u32,
    /// Whether to write to stderr too.
    pub stderr: bool,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            filter: "info".to_owned(),
            format: LogFormat::Json,
            file: None,
            max_bytes: DEFAULT_MAX_BYTES,
            max_files: DEFAULT_MAX_FILES,
            stderr: true,
        }
    }
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The filter string does not parse; `reason` names the bad directive.
    #[error("bad log filter {filter:?}: {reason}")]
    Filter {
        /// The filter as given.
        filter: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The log file (or its folder) could not be created or opened.
    #[error("cannot open log file {}", path.display())]
    File {
        /// The file that was asked for.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// [`init`] ran before: a process has one global subscriber.
    #[error("logging is already set up in this process")]
    AlreadyInstalled,
}

/// Keeps the log file flushed: hold it until `main` returns.
#[must_use = "dropping the guard flushes the log file; hold it until exit"]
#[derive(Debug)]
pub struct LogGuard {
    file: Option<Arc<RotatingFile>>,
}

impl LogGuard {
    /// Log records lost to file write errors so far.
    pub fn dropped_lines(&self) -> u64 {
        self.file.as_ref().map_or(0, |f| f.dropped())
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            file.sync();
        }
    }
}

/// Installs the process-wide subscriber; `secrets` are redacted from every line.
pub fn init(settings: &LogSettings, secrets: &[String]) -> Result<LogGuard, LogError> {
    let (dispatch, guard) = build(settings, secrets)?;
    tracing::dispatcher::set_global_default(dispatch).map_err(|_| LogError::AlreadyInstalled)?;
    Ok(guard)
}

/// The subscriber [`init`] would install, not installed.
pub fn build(settings: &LogSettings, secrets: &[String]) -> Result<(Dispatch, LogGuard), LogError> {
    assemble(settings, secrets, io::stderr as fn() -> io::Stderr)
}

/// Like [`build`], with `writer` standing in for stderr (used when `settings.stderr`).
pub fn build_with_writer<W>(
    settings: &LogSettings,
    secrets: &[String],
    writer: W,
) -> Result<(Dispatch, LogGuard), LogError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    assemble(settings, secrets, writer)
}

fn assemble<W>(
    settings: &LogSettings,
    secrets: &[String],
    stderr: W,
) -> Result<(Dispatch, LogGuard), LogError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let targets = parse_filter(&settings.filter)?;
    let redactor = Arc::new(Redactor::new(secrets));
    let mut outputs: Vec<Box<dyn Output>> = Vec::new();
    if settings.stderr {
        outputs.push(output(RedactingMakeWriter::new(stderr, redactor.clone())));
    }
    let file = match &settings.file {
        Some(path) => Some(Arc::new(
            RotatingFile::open(path, settings.max_bytes, settings.max_files).map_err(|source| {
                LogError::File {
                    path: path.clone(),
                    source,
                }
            })?,
        )),
        None => None,
    };
    if let Some(file) = &file {
        outputs.push(output(RedactingMakeWriter::new(file.clone(), redactor)));
    }
    let layer = LineLayer::new(settings.format, outputs);
    let subscriber = Registry::default().with(layer).with(targets);
    Ok((Dispatch::new(subscriber), LogGuard { file }))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::Value;
    use tracing::{debug, error, info, info_span};

    use super::*;

    const SECRET: &str = "mirai-test-secret-0042";

    /// A stderr stand-in that keeps what it is given.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Capture {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    /// Carries the secret in a field, as a config or HTTP error might.
    #[derive(Debug)]
    #[allow(dead_code)] // read only through Debug
    struct CallError {
        url: String,
        header: String,
    }

    fn emit_secrets(secret: &str) {
        // `peer` is no secret-sounding key: only registration can catch it.
        let span = info_span!("call", peer = %secret, attempt = 1);
        let _entered = span.enter();
        info!(api_key = %secret, "calling with {}", secret);
        let err = CallError {
            url: "https://api.example/v1".into(),
            header: format!("x-key {secret}"),
        };
        error!(error = ?err, "call failed");
        info!(key = "sk-proj-0123456789abcdefXYZ", "unregistered key");
    }

    fn settings(format: LogFormat) -> LogSettings {
        LogSettings {
            format,
            ..LogSettings::default()
        }
    }

    fn capture(settings: &LogSettings, secrets: &[String], f: impl FnOnce()) -> String {
        let out = Capture::default();
        let (dispatch, _guard) = build_with_writer(settings, secrets, out.clone()).unwrap();
        tracing::dispatcher::with_default(&dispatch, f);
        out.text()
    }

    fn json_lines(text: &str) -> Vec<Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    #[test]
    fn json_lines_have_the_documented_shape_and_no_secret() {
        let out = capture(&settings(LogFormat::Json), &[SECRET.into()], || {
            emit_secrets(SECRET)
        });
        assert!(!out.contains(SECRET), "{out}");
        assert!(!out.contains("sk-proj"), "{out}");
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 3, "{out}");
        for line in &lines {
            assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
            assert!(
                line["target"]
                    .as_str()
                    .unwrap()
                    .starts_with("mirai::telemetry")
            );
            assert!(line["fields"]["message"].is_string());
            assert_eq!(line["span"]["name"], "call");
            assert_eq!(line["span"]["peer"], "[REDACTED]");
            assert_eq!(line["spans"][0]["attempt"], 1);
        }
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["fields"]["message"], "calling with [REDACTED]");
        assert_eq!(lines[0]["fields"]["api_key"], "[REDACTED]");
        assert_eq!(lines[1]["level"], "ERROR");
        assert!(
            lines[1]["fields"]["error"]
                .as_str()
                .unwrap()
                .contains("x-key [REDACTED]")
        );
        assert_eq!(lines[2]["fields"]["key"], "[REDACTED]");
    }

    #[test]
    fn without_registration_the_secret_would_show() {
        // Proves the test above exercises registration: the message, the Debug value and
        // the span field (twice per line) leak without it; `api_key=` is caught by name.
        let out = capture(&settings(LogFormat::Json), &[], || emit_secrets(SECRET));
        assert_eq!(out.matches(SECRET).count(), 2 + 3 * 2, "{out}");
        assert!(out.contains(r#""api_key":"[REDACTED]""#), "{out}");
    }

    #[test]
    fn file_sink_gets_the_same_redacted_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log/mirai.log");
        let settings = LogSettings {
            file: Some(path.clone()),
            stderr: false,
            ..settings(LogFormat::Json)
        };
        let (dispatch, guard) = build(&settings, &[SECRET.into()]).unwrap();
        tracing::dispatcher::with_default(&dispatch, || emit_secrets(SECRET));
        assert_eq!(guard.dropped_lines(), 0);
        drop(guard);
        let out = std::fs::read_to_string(&path).unwrap();
        assert!(!out.contains(SECRET), "{out}");
        assert_eq!(json_lines(&out).len(), 3);
    }

    #[test]
    fn text_format_is_plain_and_redacted() {
        let out = capture(&settings(LogFormat::Text), &[SECRET.into()], || {
            emit_secrets(SECRET)
        });
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(!out.contains('\x1b'), "{out:?}");
        assert!(!out.contains(SECRET), "{out}");
        assert!(
            out.contains(" INFO ") && out.contains("api_key=[REDACTED]"),
            "{out}"
        );
    }

    #[test]
    fn filter_directives_select_targets_and_levels() {
        let settings = LogSettings {
            filter: "warn, mirai::telemetry=debug".into(),
            ..settings(LogFormat::Json)
        };
        let out = capture(&settings, &[], || {
            debug!("kept");
            tracing::trace!("too low");
            tracing::info!(target: "other", "not ours");
            tracing::warn!(target: "other", "warned");
        });
        let messages: Vec<Value> = json_lines(&out)
            .iter()
            .map(|l| l["fields"]["message"].clone())
            .collect();
        assert_eq!(messages, ["kept", "warned"]);
    }

    #[test]
    fn init_installs_once_per_process() {
        // "off" with no sink: the global default stays inert for the other tests, whose
        // scoped dispatchers take precedence anyway.
        let quiet = LogSettings {
            filter: "off".into(),
            stderr: false,
            ..LogSettings::default()
        };
        let _guard = init(&quiet, &[]).unwrap();
        assert!(matches!(init(&quiet, &[]), Err(LogError::AlreadyInstalled)));
    }

    #[test]
    fn unopenable_file_is_a_file_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("plain-file");
        std::fs::write(&blocker, "").unwrap();
        let settings = LogSettings {
            file: Some(blocker.join("mirai.log")),
            ..LogSettings::default()
        };
        match build(&settings, &[]) {
            Err(LogError::File { path, .. }) => assert_eq!(path, blocker.join("mirai.log")),
            other => panic!("{other:?}"),
        }
    }
}

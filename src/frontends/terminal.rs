//! `mirai terminal`: a read-eval-print loop for people on the hub, over SSH or a console.
//!
//! This module owns the public face of the terminal: the [`TerminalHost`] the agent
//! implements, the [`TerminalOptions`], the [`TerminalIo`] it talks through, and [`run`].
//! The loop itself lives in `session`; reading lines (with rustyline on a terminal, plain
//! lines from a pipe) in `reader`; requests on worker threads in `worker`; Ctrl-C as a
//! message in `interrupt`; multi-line input in `input`; slash commands in `command`; what a
//! reply looks like in `render`.

mod command;
mod input;
mod interrupt;
mod reader;
mod render;
mod session;
mod worker;

use std::io::{BufRead, IsTerminal as _, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::agent::{Reply, Request};

/// What the terminal needs from the agent. Every call is made from the terminal's threads;
/// `respond` runs on a worker thread of its own and may be abandoned when the person presses
/// Ctrl-C (its late reply is then discarded).
pub trait TerminalHost: Send + Sync {
    /// Answers one request (blocking; may take seconds when a model is involved).
    fn respond(&self, request: Request) -> Reply;
    /// The last `limit` messages of `session`, oldest first, as (role, text).
    fn history(&self, session: &str, limit: usize) -> Vec<(String, String)>;
    /// Stores the preference `key` = `value` for `user`.
    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String>;
    /// Removes the preference `key` of `user`; whether there was one.
    fn forget(&self, user: &str, key: &str) -> Result<bool, String>;
    /// All preferences of `user`, as (key, value).
    fn prefs(&self, user: &str) -> Vec<(String, String)>;
    /// How the hub is doing, as (part, state): ("model", "reachable"), ("memory", "1234 messages").
    fn status(&self) -> Vec<(String, String)>;
}

/// How one terminal session starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalOptions {
    /// Who is typing; preferences and confirmations are theirs.
    pub user: String,
    /// The conversation to continue, or `None` for a new one.
    pub session: Option<String>,
    /// Where line-editing history is kept (a file in the data folder).
    pub history_file: PathBuf,
    /// Colour is allowed (it is still off when stdout is not a terminal or `NO_COLOR` is set).
    pub color: bool,
}

/// Where the terminal reads lines and writes text.
pub struct TerminalIo {
    source: LineSource,
    output: Box<dyn Write>,
    /// Colour and signals belong to the process's own terminal only.
    process: bool,
    stdout_is_tty: bool,
}

/// Where lines come from.
enum LineSource {
    /// The process's standard input is a terminal: edit lines with rustyline.
    Editor,
    /// Plain lines: a pipe, a file, or a test's buffer.
    Lines(Box<dyn BufRead>),
}

impl TerminalIo {
    /// The process's standard input and output: line editing and colour when both are
    /// terminals, plain lines and plain text otherwise; Ctrl-C cancels a running request.
    pub fn process() -> Self {
        let stdin_is_tty = std::io::stdin().is_terminal();
        let stdout_is_tty = std::io::stdout().is_terminal();
        let source = if stdin_is_tty && stdout_is_tty {
            LineSource::Editor
        } else {
            LineSource::Lines(Box::new(std::io::stdin().lock()))
        };
        TerminalIo {
            source,
            output: Box::new(std::io::stdout()),
            process: true,
            stdout_is_tty,
        }
    }

    /// Plain lines from `input` and plain text to `output`, with no colour and no signal
    /// handling: for embedding and tests.
    pub fn streams(input: impl BufRead + 'static, output: impl Write + 'static) -> Self {
        TerminalIo {
            source: LineSource::Lines(Box::new(input)),
            output: Box::new(output),
            process: false,
            stdout_is_tty: false,
        }
    }

    /// Colour only on a terminal, when the options allow it and `NO_COLOR` is unset or empty.
    fn color(&self, opts: &TerminalOptions) -> bool {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        self.process && self.stdout_is_tty && opts.color && !no_color
    }
}

/// Runs the terminal on the process's standard input and output until `/quit` or Ctrl-D.
pub fn run(host: Arc<dyn TerminalHost>, opts: TerminalOptions) -> anyhow::Result<()> {
    run_with(host, opts, TerminalIo::process())
}

/// Runs the terminal on `io` until `/quit`, Ctrl-D or the end of the input.
pub fn run_with(
    host: Arc<dyn TerminalHost>,
    opts: TerminalOptions,
    io: TerminalIo,
) -> anyhow::Result<()> {
    let color = io.color(&opts);
    session::Session::start(host, opts, io, color)?.run()
}

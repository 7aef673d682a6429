//! Reading lines: rustyline with a history file on a terminal, plain lines from anything
//! else. Owns what Ctrl-C at the prompt does to the line being typed.

use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rustyline::history::FileHistory;
use rustyline::{
    Cmd, ConditionalEventHandler, Config, Editor, Event, EventContext, EventHandler, KeyEvent,
    RepeatCount,
};

/// How many lines the history file keeps.
const HISTORY_LEN: usize = 1000;
/// The longest line read from a pipe, in bytes; the rest of a longer line is skipped.
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024;

/// What one read gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read {
    /// A line, without its newline.
    Line(String),
    /// Ctrl-C at the prompt.
    CtrlC(CtrlC),
    /// A piped line longer than [`MAX_LINE_BYTES`], skipped.
    TooLong,
    /// Ctrl-D, or the end of the input.
    Eof,
}

/// What Ctrl-C at the prompt did to the line being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CtrlC {
    /// The line was empty.
    OnEmpty,
    /// The line is kept; a second Ctrl-C will clear it.
    Kept,
    /// The line was cleared.
    Cleared,
}

/// Where lines come from.
pub(crate) enum LineReader {
    /// A person at a terminal.
    Editor(Box<LineEditor>),
    /// A pipe, a file or a buffer.
    Plain(Box<dyn BufRead>),
}

/// rustyline and what the terminal keeps around it.
pub(crate) struct LineEditor {
    editor: Editor<(), FileHistory>,
    history_file: PathBuf,
    /// The line and cursor at the last Ctrl-C, put there by [`StashLine`].
    stash: Arc<Mutex<(String, usize)>>,
    /// The line to show again at the next prompt, split at the cursor.
    kept: Option<(String, usize)>,
}

impl LineReader {
    /// A line editor whose history lives in `history_file`.
    pub(crate) fn editor(history_file: &Path) -> rustyline::Result<LineReader> {
        let config = Config::builder()
            .max_history_size(HISTORY_LEN)?
            .history_ignore_dups(true)?
            // A line typed with a leading space stays out of the file, as in bash.
            .history_ignore_space(true)
            .auto_add_history(false)
            .build();
        let mut editor = Editor::with_config(config)?;
        let stash = Arc::new(Mutex::new((String::new(), 0)));
        let handler = StashLine(Arc::clone(&stash));
        editor.bind_sequence(
            KeyEvent::ctrl('C'),
            EventHandler::Conditional(Box::new(handler)),
        );
        open_private(history_file);
        if let Err(e) = editor.load_history(history_file) {
            tracing::warn!(cause = %e, path = %history_file.display(), "cannot read the terminal history");
        }
        Ok(LineReader::Editor(Box::new(LineEditor {
            editor,
            history_file: history_file.to_owned(),
            stash,
            kept: None,
        })))
    }

    /// Reads one line after showing `prompt` (a pipe gets no prompt).
    pub(crate) fn read(&mut self, prompt: &str) -> io::Result<Read> {
        match self {
            LineReader::Editor(e) => e.read(prompt),
            LineReader::Plain(input) => read_plain(input.as_mut()),
        }
    }

    /// Adds a typed line to the history and the history file.
    pub(crate) fn remember(&mut self, line: &str) {
        if let LineReader::Editor(e) = self {
            e.remember(line);
        }
    }

    /// Whether a person is typing (so the prompt and greeting make sense).
    pub(crate) fn is_interactive(&self) -> bool {
        matches!(self, LineReader::Editor(_))
    }
}

impl LineEditor {
    fn read(&mut self, prompt: &str) -> io::Result<Read> {
        let kept = self.kept.take();
        let line = match &kept {
            Some((line, pos)) => {
                let (left, right) = line.split_at(*pos);
                self.editor.readline_with_initial(prompt, (left, right))
            }
            None => self.editor.readline(prompt),
        };
        match line {
            Ok(line) => Ok(Read::Line(line)),
            Err(rustyline::error::ReadlineError::Eof) => Ok(Read::Eof),
            Err(rustyline::error::ReadlineError::Interrupted) => Ok(Read::CtrlC(self.ctrl_c(kept))),
            Err(rustyline::error::ReadlineError::Io(e)) => Err(e),
            Err(e) => Err(io::Error::other(e)),
        }
    }

    /// The first Ctrl-C on a typed line keeps it (a slip of the finger costs nothing);
    /// a second one on the same line clears it.
    fn ctrl_c(&mut self, kept_before: Option<(String, usize)>) -> CtrlC {
        let stash = std::mem::take(&mut *self.stash.lock().unwrap_or_else(PoisonError::into_inner));
        if stash.0.is_empty() {
            CtrlC::OnEmpty
        } else if kept_before.is_some() {
            CtrlC::Cleared
        } else {
            self.kept = Some(stash);
            CtrlC::Kept
        }
    }

    fn remember(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        match self.editor.add_history_entry(line) {
            // Appending line by line keeps the history even if the session is killed.
            Ok(true) => {
                if let Err(e) = self.editor.append_history(&self.history_file) {
                    tracing::warn!(cause = %e, "cannot save the terminal history");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(cause = %e, "cannot add to the terminal history"),
        }
    }
}

/// Ctrl-C at the prompt: notes the line and cursor, then interrupts as usual.
struct StashLine(Arc<Mutex<(String, usize)>>);

impl ConditionalEventHandler for StashLine {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        let mut stash = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *stash = (ctx.line().to_owned(), ctx.pos());
        Some(Cmd::Interrupt)
    }
}

/// Creates the history file readable by its owner only: it holds what people asked.
fn open_private(path: &Path) {
    use std::os::unix::fs::OpenOptionsExt as _;
    let opened = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path);
    if let Err(e) = opened {
        tracing::warn!(cause = %e, path = %path.display(), "cannot create the terminal history");
    }
}

/// One line from a pipe; a line past [`MAX_LINE_BYTES`] is skipped to its end.
fn read_plain(input: &mut dyn BufRead) -> io::Result<Read> {
    let mut buf = Vec::new();
    let limit = MAX_LINE_BYTES as u64 + 1;
    let n = io::Read::take(&mut *input, limit).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(Read::Eof);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    } else if n as u64 == limit {
        skip_line(input)?;
        return Ok(Read::TooLong);
    }
    Ok(Read::Line(String::from_utf8_lossy(&buf).into_owned()))
}

/// Drops bytes up to and including the next newline, a buffer at a time.
fn skip_line(input: &mut dyn BufRead) -> io::Result<()> {
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let len = chunk.len();
                input.consume(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<Read> {
        let mut input: &[u8] = bytes;
        let mut out = Vec::new();
        loop {
            let read = read_plain(&mut input).unwrap();
            out.push(read.clone());
            if read == Read::Eof {
                return out;
            }
        }
    }

    fn line(s: &str) -> Read {
        Read::Line(s.into())
    }

    #[test]
    fn plain_lines_lose_their_line_ends() {
        assert_eq!(
            lines(b"a\nb\r\n\nlast"),
            [line("a"), line("b"), line(""), line("last"), Read::Eof]
        );
        assert_eq!(lines(b""), [Read::Eof]);
    }

    #[test]
    fn a_line_too_long_is_skipped_whole() {
        let mut bytes = vec![b'x'; MAX_LINE_BYTES + 10];
        bytes.extend_from_slice(b"\nnext\n");
        assert_eq!(lines(&bytes), [Read::TooLong, line("next"), Read::Eof]);
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read() {
        let mut bytes = vec![b'x'; MAX_LINE_BYTES];
        bytes.push(b'\n');
        assert_eq!(lines(&bytes)[0], Read::Line("x".repeat(MAX_LINE_BYTES)));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(lines(b"caf\xe9\n")[0], line("caf\u{fffd}"));
    }
}

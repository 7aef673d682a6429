//! The loop of one terminal session: read a line, assemble a request, run a slash command
//! or ask the agent, show what came back. Owns the current user, session id and output.

use std::io::{self, Write};
use std::sync::Arc;

use anyhow::Context as _;

use super::command::{self, Command, HELP, SessionChange};
use super::input::{Assembled, Assembler, MAX_REQUEST_BYTES};
use super::interrupt::{Interrupts, WhenIdle};
use super::reader::{CtrlC, LineReader, MAX_LINE_BYTES, Read};
use super::render::{self, Palette};
use super::worker::{MAX_WORKERS, Outcome, Workers};
use super::{LineSource, TerminalHost, TerminalIo, TerminalOptions};
use crate::agent::{Request, Source};

/// The prompt for a new request.
const PROMPT: &str = "mirai> ";
/// The prompt while a request continues over several lines.
const CONTINUE: &str = "  ...> ";

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

/// One person's session at the terminal.
pub(crate) struct Session {
    host: Arc<dyn TerminalHost>,
    user: String,
    session: String,
    reader: LineReader,
    out: Box<dyn Write>,
    palette: Palette,
    workers: Workers,
    assembler: Assembler,
    /// Held for its drop, which puts the previous SIGINT handler back.
    _interrupts: Option<Interrupts>,
}

impl Session {
    /// Sets up the reader, the workers and (on the process's terminal) the Ctrl-C handler.
    pub(crate) fn start(
        host: Arc<dyn TerminalHost>,
        opts: TerminalOptions,
        io: TerminalIo,
        color: bool,
    ) -> anyhow::Result<Session> {
        let reader = match io.source {
            LineSource::Editor => LineReader::editor(&opts.history_file)
                .context("cannot set up line editing on this terminal")?,
            LineSource::Lines(input) => LineReader::Plain(input),
        };
        let workers = Workers::new(Arc::clone(&host));
        let interrupts = if io.process {
            let idle = if reader.is_interactive() {
                WhenIdle::Ignore
            } else {
                WhenIdle::Exit
            };
            let installed = Interrupts::install(workers.sender(), workers.busy_flag(), idle);
            Some(installed.context("cannot handle Ctrl-C")?)
        } else {
            None
        };
        Ok(Session {
            host,
            user: opts.user,
            session: opts.session.unwrap_or_else(new_session_id),
            reader,
            out: io.output,
            palette: Palette::new(color),
            workers,
            assembler: Assembler::default(),
            _interrupts: interrupts,
        })
    }

    /// Runs until `/quit`, Ctrl-D or the end of the input.
    pub(crate) fn run(mut self) -> anyhow::Result<()> {
        if self.reader.is_interactive() {
            let hello = render::greeting(self.palette, &self.user, &self.session);
            self.write(&hello)?;
        }
        loop {
            let prompt = if self.assembler.is_pending() {
                CONTINUE
            } else {
                PROMPT
            };
            let flow = match self.reader.read(prompt).context("cannot read input")? {
                Read::Eof => Flow::Quit,
                Read::CtrlC(what) => self.on_ctrl_c(what)?,
                Read::TooLong => self.notice(&format!(
                    "(line longer than {MAX_LINE_BYTES} bytes ignored)"
                ))?,
                Read::Line(line) => {
                    self.reader.remember(&line);
                    self.on_line(&line)?
                }
            };
            if flow == Flow::Quit {
                return Ok(());
            }
        }
    }

    fn on_ctrl_c(&mut self, what: CtrlC) -> io::Result<Flow> {
        match what {
            CtrlC::OnEmpty if self.assembler.is_pending() => {
                self.assembler.discard();
                self.notice("(multi-line request discarded)")
            }
            CtrlC::OnEmpty => self.notice("(Ctrl-D or /quit to leave)"),
            CtrlC::Kept => self.notice("(Ctrl-C again clears the line)"),
            CtrlC::Cleared => Ok(Flow::Continue),
        }
    }

    fn on_line(&mut self, line: &str) -> io::Result<Flow> {
        let text = match self.assembler.push(line) {
            Assembled::Pending => return Ok(Flow::Continue),
            Assembled::TooLong => {
                let notice = format!("(request longer than {MAX_REQUEST_BYTES} bytes discarded)");
                return self.notice(&notice);
            }
            Assembled::Done(text) => text,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Flow::Continue);
        }
        // Only a one-line entry is a command: a block that starts with `/` is words.
        let parsed = if trimmed.contains('\n') {
            None
        } else {
            command::parse(trimmed)
        };
        match parsed {
            Some(Ok(cmd)) => self.on_command(cmd),
            Some(Err(e)) => {
                let text = format!("{}\n", self.palette.bad(&e.0));
                self.write(&text).map(|()| Flow::Continue)
            }
            None => self.ask(trimmed.to_owned()).map(|()| Flow::Continue),
        }
    }

    fn on_command(&mut self, cmd: Command) -> io::Result<Flow> {
        let p = self.palette;
        let (host, user) = (Arc::clone(&self.host), self.user.clone());
        let text = match cmd {
            Command::Help => format!("{HELP}\n"),
            Command::History(n) => render::history(p, &host.history(&self.session, n)),
            Command::Remember { key, value } => match host.remember(&user, &key, &value) {
                Ok(()) => format!("{}\n", p.good(&format!("remembered {key} = {value}"))),
                Err(e) => format!("{}\n", p.bad(&format!("cannot remember {key}: {e}"))),
            },
            Command::Forget(key) => match host.forget(&user, &key) {
                Ok(true) => format!("{}\n", p.good(&format!("forgot {key}"))),
                Ok(false) => format!("no preference named {key}\n"),
                Err(e) => format!("{}\n", p.bad(&format!("cannot forget {key}: {e}"))),
            },
            Command::Prefs => render::pairs(p, &host.prefs(&user), " = ", "(no preferences)"),
            Command::Session(change) => self.change_session(change),
            Command::Status => render::pairs(p, &host.status(), "  ", "(no status)"),
            Command::Quit => return Ok(Flow::Quit),
        };
        self.write(&text).map(|()| Flow::Continue)
    }

    fn change_session(&mut self, change: SessionChange) -> String {
        let verb = match change {
            SessionChange::Show => "session",
            SessionChange::New => {
                self.session = new_session_id();
                "new session"
            }
            SessionChange::Switch(id) => {
                self.session = id;
                "switched to session"
            }
        };
        format!("{verb} {}\n", self.palette.bold(&self.session))
    }

    fn ask(&mut self, text: String) -> io::Result<()> {
        let p = self.palette;
        let request = Request::new(text, Source::Terminal, &self.user, &self.session);
        let shown = match self.workers.ask(request) {
            Outcome::Replied(reply) => render::reply(p, &reply),
            // The terminal echoed `^C` on the request's line; start a fresh one.
            Outcome::Cancelled if self.reader.is_interactive() => {
                format!("\n{}\n", p.dim("cancelled"))
            }
            Outcome::Cancelled => format!("{}\n", p.dim("cancelled")),
            Outcome::Busy => format!(
                "{}\n",
                p.bad(&format!(
                    "{MAX_WORKERS} cancelled requests are still finishing; try again in a moment"
                ))
            ),
            Outcome::Failed(e) => format!("{}\n", p.bad(&format!("error: {e}"))),
        };
        self.write(&shown)
    }

    fn notice(&mut self, text: &str) -> io::Result<Flow> {
        let line = format!("{}\n", self.palette.dim(text));
        self.write(&line).map(|()| Flow::Continue)
    }

    fn write(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}

/// A new session id, 16 hex digits like the ones the memory makes.
fn new_session_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::agent::Reply;
    use crate::frontends::terminal::run_with;
    use crate::llm::wire::Usage;

    /// Echoes, and keeps what it was asked and told.
    #[derive(Default)]
    struct Host {
        asked: Mutex<Vec<Request>>,
        prefs: Mutex<BTreeMap<String, String>>,
    }

    impl TerminalHost for Host {
        fn respond(&self, request: Request) -> Reply {
            self.asked.lock().unwrap().push(request.clone());
            Reply {
                text: format!("echo: {}", request.text),
                actions: vec![],
                blocked: None,
                pending_confirmation: vec![],
                usage: Usage::default(),
                session: request.session,
                via: "test".into(),
            }
        }
        fn history(&self, session: &str, limit: usize) -> Vec<(String, String)> {
            vec![("user".into(), format!("{session} {limit}"))]
        }
        fn remember(&self, _: &str, key: &str, value: &str) -> Result<(), String> {
            self.prefs.lock().unwrap().insert(key.into(), value.into());
            Ok(())
        }
        fn forget(&self, _: &str, key: &str) -> Result<bool, String> {
            Ok(self.prefs.lock().unwrap().remove(key).is_some())
        }
        fn prefs(&self, _: &str) -> Vec<(String, String)> {
            self.prefs.lock().unwrap().clone().into_iter().collect()
        }
        fn status(&self) -> Vec<(String, String)> {
            vec![("model".into(), "reachable".into())]
        }
    }

    /// A `Write` the test can read after the session is gone.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Runs a session over `input`; what it printed, and the host.
    fn session(input: &str) -> (String, Arc<Host>) {
        let host = Arc::new(Host::default());
        let out = Shared::default();
        let io = TerminalIo::streams(io::Cursor::new(input.to_owned()), out.clone());
        let opts = TerminalOptions {
            user: "ana".into(),
            session: Some("s1".into()),
            history_file: "unused".into(),
            color: true,
        };
        run_with(Arc::clone(&host) as Arc<dyn TerminalHost>, opts, io).unwrap();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        (text, host)
    }

    #[test]
    fn requests_are_answered_plainly_for_the_user_and_session() {
        let (out, host) = session("hello\n\n   \nturn on\n");
        assert_eq!(out, "echo: hello\necho: turn on\n");
        let asked = host.asked.lock().unwrap();
        assert_eq!(asked.len(), 2, "blank lines are not requests");
        assert_eq!(
            (asked[0].user.as_str(), asked[0].session.as_str()),
            ("ana", "s1")
        );
        assert_eq!(asked[0].source, Source::Terminal);
    }

    #[test]
    fn multi_line_requests_arrive_whole() {
        let (out, _) = session("one \\\ntwo\n\"\"\"\n/help\nthree\n\"\"\"\n");
        assert_eq!(out, "echo: one \ntwo\necho: /help\nthree\n");
    }

    #[test]
    fn preferences_round_trip() {
        let (out, _) = session(
            "/remember lang en\n/remember tz=UTC\n/prefs\n/forget lang\n/forget lang\n/prefs\n",
        );
        let want = "remembered lang = en\nremembered tz = UTC\nlang = en\ntz   = UTC\n\
                    forgot lang\nno preference named lang\ntz = UTC\n";
        assert_eq!(out, want);
    }

    #[test]
    fn session_new_and_switch_change_where_requests_go() {
        let (out, host) =
            session("/session\n/session new\nfirst\n/session other\nsecond\n/history 3\n");
        let asked = host.asked.lock().unwrap();
        let new_id = &asked[0].session;
        assert_eq!(new_id.len(), 16);
        assert_ne!(new_id, "s1");
        assert_eq!(asked[1].session, "other");
        assert!(
            out.starts_with(&format!("session s1\nnew session {new_id}\n")),
            "{out}"
        );
        assert!(out.ends_with("user: other 3\n"), "{out}");
    }

    #[test]
    fn help_status_unknown_and_quit() {
        let (out, host) = session("/help\n/status\n/nope\n/quit\nnever asked\n");
        assert!(out.starts_with(HELP), "{out}");
        assert!(out.contains("model  reachable\n"), "{out}");
        assert!(out.contains("unknown command /nope"), "{out}");
        assert!(host.asked.lock().unwrap().is_empty());
    }

    #[test]
    fn streams_never_get_colour() {
        let (out, _) = session("hi\n/prefs\n/remember a b\n/bad\n");
        assert!(!out.contains('\x1b'), "{out:?}");
    }
}

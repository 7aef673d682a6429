//! `mirai terminal` as a person meets it: the `terminal_echo` example (the real terminal code
//! over a stand-in agent) runs in a child process on a pseudo-terminal, and the tests type
//! into it and read the screen. Every wait is for text to appear, bounded by [`DEADLINE`].

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The longest any expected text may take to appear.
const DEADLINE: Duration = Duration::from_secs(10);
const PROMPT: &str = "mirai> ";
const CTRL_C: &str = "\x03";
const CTRL_D: &str = "\x04";
const UP: &str = "\x1b[A";

/// The example binary: `tests/run` builds it (`cargo build --examples`) before the tests, into
/// `<target>/debug/examples/` beside the tests' own `deps/`; `MIRAI_TERMINAL_EXAMPLE` names
/// it instead when the tests run from another target folder (under coverage).
fn example() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = match std::env::var_os("MIRAI_TERMINAL_EXAMPLE") {
            Some(p) => PathBuf::from(p),
            None => {
                let exe = std::env::current_exe().unwrap();
                let profile = exe.parent().and_then(Path::parent).unwrap();
                profile.join("examples").join("terminal_echo")
            }
        };
        assert!(
            path.exists(),
            "{} is missing: run the tests with tests/run, which builds the examples first \
             (or `cargo build --examples`)",
            path.display()
        );
        path
    })
}

/// The example on a pseudo-terminal, as its controlling terminal.
struct Pty {
    master: File,
    child: Child,
    /// Everything the child wrote, as raw bytes.
    raw: Vec<u8>,
    /// How far into the plain text (escapes removed) earlier expectations have read.
    cursor: usize,
}

impl Pty {
    fn spawn(data_dir: &Path) -> Pty {
        let (master, slave) = open_pty();
        let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().unwrap());
        let mut cmd = Command::new(example());
        cmd.arg(data_dir)
            .arg("ana")
            .env("TERM", "xterm")
            .env_remove("NO_COLOR")
            .stdin(io(&slave))
            .stdout(io(&slave))
            .stderr(io(&slave));
        // SAFETY: only async-signal-safe calls between fork and exec: a new session whose
        // controlling terminal is the pty, so Ctrl-C typed into it raises SIGINT in the child.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("the example starts");
        // The parent's copy must close, or the master never sees the child hang up.
        drop(slave);
        Pty {
            master: File::from(master),
            child,
            raw: Vec::new(),
            cursor: 0,
        }
    }

    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
    }

    /// Reads until `text` appears past the cursor; returns the plain text up to its end.
    fn expect(&mut self, text: &str) -> String {
        let until = Instant::now() + DEADLINE;
        loop {
            let plain = strip_escapes(&self.raw);
            if let Some(at) = plain[self.cursor..].find(text) {
                let end = self.cursor + at + text.len();
                let seen = plain[self.cursor..end].to_owned();
                self.cursor = end;
                return seen;
            }
            if !self.read_some(until) {
                panic!(
                    "{text:?} did not appear; the screen after the cursor:\n{}",
                    &plain[self.cursor..]
                );
            }
        }
    }

    /// Waits for the child to hang up the terminal, then for its exit status.
    fn exit_status(mut self) -> ExitStatus {
        let until = Instant::now() + DEADLINE;
        while self.read_some(until) {}
        assert!(Instant::now() < until, "the child did not exit");
        self.child.wait().unwrap()
    }

    /// Reads what is there (waiting up to `until`); false on timeout or hang-up.
    fn read_some(&mut self, until: Instant) -> bool {
        let left = until.saturating_duration_since(Instant::now());
        let mut poll = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut poll, 1, ms) } <= 0 {
            return false;
        }
        let mut buf = [0u8; 4096];
        match self.master.read(&mut buf) {
            // Linux answers EIO once the child's side is closed.
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
        }
    }

    /// The session id shown between `prefix` and `end`.
    fn session_between(&mut self, prefix: &str, end: &str) -> String {
        self.expect(prefix);
        let rest = self.expect(end);
        let id: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        assert_eq!(id.len(), 16, "no session id in {rest:?}");
        id
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // A failed test must not leave a child behind (the slow request lasts 30 s).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn open_pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: out-pointers to two ints; no name buffer; default termios (cooked, ISIG on).
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two fresh descriptors that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// The text a person would read: escape sequences and carriage returns removed.
fn strip_escapes(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                // CSI: parameters, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    for c in chars.by_ref() {
                        if c == '\x07' || c == '\\' {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' | '\x07' => {}
            c => out.push(c),
        }
    }
    out
}

#[test]
fn a_request_is_answered_and_history_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut pty = Pty::spawn(dir.path());
    pty.expect("/help lists the commands");
    pty.expect(PROMPT);
    pty.send("turn on the light\r");
    pty.expect("echo: turn on the light (session ");
    let shown = pty.expect("light.kitchen turn_on: on");
    assert!(shown.contains('✓'), "{shown}");
    assert!(
        String::from_utf8_lossy(&pty.raw).contains("\x1b[32m✓"),
        "a done action is green on a terminal"
    );
    pty.expect(PROMPT);
    pty.send(CTRL_D);
    assert!(pty.exit_status().success(), "Ctrl-D exits 0");

    let mut again = Pty::spawn(dir.path());
    again.expect(PROMPT);
    again.send(UP);
    again.expect("turn on the light");
    again.send("\r");
    again.expect("echo: turn on the light (session ");
    again.expect(PROMPT);
    again.send("/quit\r");
    assert!(again.exit_status().success(), "/quit exits 0");
}

#[test]
fn ctrl_c_cancels_a_slow_request_and_the_session_lives_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut pty = Pty::spawn(dir.path());
    pty.expect(PROMPT);
    pty.send("slow please\r");
    pty.expect("(slow request started)");
    pty.send(CTRL_C);
    pty.expect("cancelled");
    pty.expect(PROMPT);
    pty.send("after\r");
    let seen = pty.expect("echo: after (session ");
    assert!(
        !seen.contains("echo: slow"),
        "the late reply is dropped: {seen}"
    );
}

#[test]
fn ctrl_c_at_the_prompt_hints_keeps_then_clears_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut pty = Pty::spawn(dir.path());
    pty.expect(PROMPT);
    pty.send(CTRL_C);
    pty.expect("(Ctrl-D or /quit to leave)");
    pty.expect(PROMPT);
    pty.send("abc");
    pty.expect("abc");
    pty.send(CTRL_C);
    pty.expect("(Ctrl-C again clears the line)");
    // The prompt comes back with the line on it: type on.
    pty.expect("mirai> abc");
    pty.send("d\r");
    pty.expect("echo: abcd (session ");
    pty.expect(PROMPT);
    pty.send("xyz");
    pty.expect("xyz");
    pty.send(CTRL_C);
    pty.expect("mirai> xyz");
    pty.send(CTRL_C);
    pty.expect(PROMPT);
    pty.send("q\r");
    pty.expect("echo: q (session ");
}

#[test]
fn slash_commands_prefs_history_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let mut pty = Pty::spawn(dir.path());
    let first = pty.session_between("in session ", ". ");
    pty.expect(PROMPT);
    pty.send("/remember lang en\r");
    pty.expect("remembered lang = en");
    pty.send("/remember tz=UTC\r");
    pty.expect("remembered tz = UTC");
    pty.send("/prefs\r");
    pty.expect("lang = en");
    pty.expect("tz   = UTC");
    pty.send("hello\r");
    pty.expect(&format!("echo: hello (session {first})"));
    pty.send("/history\r");
    pty.expect("user: hello");
    pty.expect("assistant: echo: hello");
    pty.send("/bogus\r");
    pty.expect("unknown command /bogus; the commands are /help /history");
    pty.send("/session new\r");
    pty.expect("new session ");
    pty.send("ping\r");
    let second = pty.session_between("echo: ping (session ", ")");
    assert_ne!(first, second, "/session new starts another session");
    pty.expect(PROMPT);
    pty.send(CTRL_D);
    assert!(pty.exit_status().success());
}

/// Runs the example with `script` on a pipe; its standard output and exit status.
fn run_piped(dir: &Path, script: &str) -> (String, ExitStatus) {
    let mut child = Command::new(example())
        .arg(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Dropping stdin after the write is the end of the input.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let Ok(output) = rx.recv_timeout(DEADLINE) else {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        panic!("the piped terminal did not finish");
    };
    let output = output.unwrap();
    (String::from_utf8(output.stdout).unwrap(), output.status)
}

#[test]
fn piped_input_gets_plain_output_and_a_clean_exit() {
    let dir = tempfile::tempdir().unwrap();
    let script = "turn on the kitchen light\n/remember lang en\n/prefs\n\
                  \"\"\"\nline one\nline two\n\"\"\"\n";
    let (text, status) = run_piped(dir.path(), script);
    assert!(status.success(), "{text}");
    assert!(
        !text.contains('\x1b'),
        "escape bytes in piped output: {text:?}"
    );
    assert!(!text.contains(PROMPT), "no prompt for a script: {text}");
    assert!(
        text.starts_with("echo: turn on the kitchen light (session "),
        "{text}"
    );
    assert!(text.contains("  ✓ light.kitchen turn_on: on\n"), "{text}");
    assert!(text.contains("remembered lang = en\nlang = en\n"), "{text}");
    assert!(
        text.contains("echo: line one\nline two (session "),
        "{text}"
    );
}

/// Sends each line `from` yields to a channel, so a test can wait for one with a deadline.
fn lines_of(from: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead as _;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(from).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits for a line containing `text`; the lines before it are skipped.
fn wait_for(lines: &std::sync::mpsc::Receiver<String>, text: &str) -> String {
    let until = Instant::now() + DEADLINE;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return line,
            Ok(_) => {}
            Err(e) => panic!("{text:?} did not appear: {e}"),
        }
    }
}

#[test]
fn sigint_on_a_pipe_cancels_a_request_and_ends_an_idle_session() {
    use std::os::unix::process::ExitStatusExt as _;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(example())
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    let err = lines_of(child.stderr.take().unwrap());
    let pid = child.id() as libc::pid_t;
    stdin.write_all(b"slow please\n").unwrap();
    wait_for(&err, "(slow request started)");
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(wait_for(&out, "cancelled"), "cancelled");
    stdin.write_all(b"after\n").unwrap();
    wait_for(&out, "echo: after (session ");
    // Waiting for input, a script's Ctrl-C ends it like any other filter.
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait()));
    let status = rx.recv_timeout(DEADLINE).expect("the child exits").unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
}

//! Slash commands: what `/help`, `/history`, `/remember`… mean, parsed from a line. Pure:
//! running them is the session's job.

/// How many messages `/history` shows without a number.
pub(crate) const DEFAULT_HISTORY: usize = 20;
/// The most messages `/history N` shows, so a typo cannot flood an SSH session.
pub(crate) const MAX_HISTORY: usize = 500;
/// The longest session id `/session ID` accepts.
const MAX_SESSION_ID: usize = 64;

/// The commands, one per line, as `/help` prints them.
pub(crate) const HELP: &str = "\
/help                  this list
/history [n]           the last n messages of this session (default 20)
/remember KEY VALUE    remember a preference (also KEY=VALUE)
/forget KEY            forget a preference
/prefs                 your preferences
/session [new|ID]      show the session, start a new one, or switch to ID
/status                how the hub is doing
/quit                  leave (or Ctrl-D)
Anything else is a request. End a line with \\ to continue it, or put \"\"\" on a line
before and after a block. Ctrl-C cancels a running request.";

/// The command names, for the message about an unknown one.
const NAMES: &str = "/help /history /remember /forget /prefs /session /status /quit";

/// A slash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// `/help`.
    Help,
    /// `/history [n]`.
    History(usize),
    /// `/remember KEY VALUE`.
    Remember {
        /// The preference's name.
        key: String,
        /// Its value.
        value: String,
    },
    /// `/forget KEY`.
    Forget(String),
    /// `/prefs`.
    Prefs,
    /// `/session`, `/session new`, `/session ID`.
    Session(SessionChange),
    /// `/status`.
    Status,
    /// `/quit` or `/exit`.
    Quit,
}

/// What `/session` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionChange {
    /// Show the current one.
    Show,
    /// Start a new one.
    New,
    /// Continue the one with this id.
    Switch(String),
}

/// Why a slash line is not a command; the text is what to tell the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandError(pub(crate) String);

/// Parses `line` if it is a slash command (`None` when it is a request).
pub(crate) fn parse(line: &str) -> Option<Result<Command, CommandError>> {
    let rest = line.trim().strip_prefix('/')?;
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (rest, ""),
    };
    Some(match name {
        "help" | "?" => Ok(Command::Help),
        "history" => history(args),
        "remember" => remember(args),
        "forget" => forget(args),
        "prefs" => Ok(Command::Prefs),
        "session" => session(args),
        "status" => Ok(Command::Status),
        "quit" | "exit" => Ok(Command::Quit),
        _ => Err(CommandError(format!(
            "unknown command /{name}; the commands are {NAMES} (/help says more)"
        ))),
    })
}

fn usage(text: &str) -> CommandError {
    CommandError(format!("usage: {text}"))
}

fn history(args: &str) -> Result<Command, CommandError> {
    if args.is_empty() {
        return Ok(Command::History(DEFAULT_HISTORY));
    }
    match args.parse::<usize>() {
        Ok(n) if n > 0 => Ok(Command::History(n.min(MAX_HISTORY))),
        _ => Err(usage("/history [n], n a whole number above 0")),
    }
}

fn remember(args: &str) -> Result<Command, CommandError> {
    let split = match args.split_once(char::is_whitespace) {
        // KEY=VALUE wins when the first word holds the `=`: `/remember lang=en`.
        Some((key, _)) if key.contains('=') => args.split_once('='),
        Some(pair) => Some(pair),
        None => args.split_once('='),
    };
    let Some((key, value)) = split.map(|(k, v)| (k.trim(), v.trim())) else {
        return Err(usage("/remember KEY VALUE or /remember KEY=VALUE"));
    };
    if key.is_empty() || value.is_empty() {
        return Err(usage("/remember KEY VALUE or /remember KEY=VALUE"));
    }
    Ok(Command::Remember {
        key: key.to_owned(),
        value: value.to_owned(),
    })
}

fn forget(args: &str) -> Result<Command, CommandError> {
    if args.is_empty() || args.contains(char::is_whitespace) {
        return Err(usage("/forget KEY"));
    }
    Ok(Command::Forget(args.to_owned()))
}

fn session(args: &str) -> Result<Command, CommandError> {
    match args {
        "" => Ok(Command::Session(SessionChange::Show)),
        "new" => Ok(Command::Session(SessionChange::New)),
        id if id.len() <= MAX_SESSION_ID && !id.contains(char::is_whitespace) => {
            Ok(Command::Session(SessionChange::Switch(id.to_owned())))
        }
        _ => Err(usage(
            "/session [new|ID], ID one word of at most 64 characters",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        parse(line).expect("a command").expect("valid")
    }

    fn err(line: &str) -> String {
        parse(line).expect("a command").expect_err("invalid").0
    }

    #[test]
    fn requests_are_not_commands() {
        assert_eq!(parse("turn on the light"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn simple_commands() {
        assert_eq!(ok("/help"), Command::Help);
        assert_eq!(ok("  /prefs  "), Command::Prefs);
        assert_eq!(ok("/status"), Command::Status);
        assert_eq!(ok("/quit"), Command::Quit);
        assert_eq!(ok("/exit"), Command::Quit);
    }

    #[test]
    fn history_takes_a_bounded_count() {
        assert_eq!(ok("/history"), Command::History(DEFAULT_HISTORY));
        assert_eq!(ok("/history 5"), Command::History(5));
        assert_eq!(ok("/history 999999"), Command::History(MAX_HISTORY));
        assert!(err("/history 0").starts_with("usage"));
        assert!(err("/history lots").starts_with("usage"));
    }

    #[test]
    fn remember_takes_key_value_or_key_equals_value() {
        let want = |k: &str, v: &str| Command::Remember {
            key: k.into(),
            value: v.into(),
        };
        assert_eq!(ok("/remember lang en"), want("lang", "en"));
        assert_eq!(ok("/remember lang=en"), want("lang", "en"));
        assert_eq!(
            ok("/remember greeting good  morning"),
            want("greeting", "good  morning")
        );
        assert_eq!(ok("/remember note=a = b"), want("note", "a = b"));
        assert_eq!(ok("/remember formula x=1"), want("formula", "x=1"));
        assert!(err("/remember").starts_with("usage"));
        assert!(err("/remember lang").starts_with("usage"));
        assert!(err("/remember =en").starts_with("usage"));
    }

    #[test]
    fn forget_takes_one_key() {
        assert_eq!(ok("/forget lang"), Command::Forget("lang".into()));
        assert!(err("/forget").starts_with("usage"));
        assert!(err("/forget a b").starts_with("usage"));
    }

    #[test]
    fn session_shows_starts_or_switches() {
        assert_eq!(ok("/session"), Command::Session(SessionChange::Show));
        assert_eq!(ok("/session new"), Command::Session(SessionChange::New));
        assert_eq!(
            ok("/session abc123"),
            Command::Session(SessionChange::Switch("abc123".into()))
        );
        assert!(err(&format!("/session {}", "x".repeat(65))).starts_with("usage"));
        assert!(err("/session a b").starts_with("usage"));
    }

    #[test]
    fn an_unknown_command_lists_the_known_ones() {
        let text = err("/frobnicate now");
        assert!(text.contains("/frobnicate"), "{text}");
        for name in [
            "/help",
            "/history",
            "/remember",
            "/forget",
            "/prefs",
            "/session",
            "/status",
            "/quit",
        ] {
            assert!(text.contains(name), "{text} lacks {name}");
        }
    }
}

//! `mirai terminal` against a stand-in agent that echoes: for trying the terminal by hand and
//! for `tests/terminal.rs`, which drives it through a pseudo-terminal.
//!
//! ```text
//! cargo run --example terminal_echo -- DATA_DIR [USER [SESSION]]
//! ```
//!
//! The stand-in answers "echo: TEXT (session ID)". A request saying "slow" blocks for
//! [`SLOW`] (long enough that only Ctrl-C brings the prompt back) and says on stderr when it
//! starts; "light" reports a done action, "unlock" one awaiting confirmation, "weapon" is
//! blocked. History and preferences live in memory, so `/history` shows what was asked.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mirai::agent::{ActionReport, Reply, Request};
use mirai::devices::ServiceCall;
use mirai::frontends::terminal::{self, TerminalHost, TerminalOptions};
use mirai::llm::wire::Usage;

/// How long a "slow" request takes: far past any test's deadline.
const SLOW: Duration = Duration::from_secs(30);
/// The most messages the stand-in keeps.
const MAX_MESSAGES: usize = 1000;

/// What the stand-in has been told.
#[derive(Default)]
struct Echo {
    /// (session, role, text), oldest first.
    messages: Mutex<Vec<(String, String, String)>>,
    /// (user, key) → value.
    prefs: Mutex<BTreeMap<(String, String), String>>,
}

impl Echo {
    fn record(&self, session: &str, role: &str, text: &str) {
        let mut messages = self.messages.lock().unwrap();
        if messages.len() == MAX_MESSAGES {
            messages.remove(0);
        }
        messages.push((session.to_owned(), role.to_owned(), text.to_owned()));
    }
}

fn action(entity: &str, service: &str, outcome: &str, detail: &str) -> ActionReport {
    ActionReport {
        call: ServiceCall::new(entity, service),
        outcome: outcome.into(),
        detail: detail.into(),
        response: None,
    }
}

impl TerminalHost for Echo {
    fn respond(&self, request: Request) -> Reply {
        self.record(&request.session, "user", &request.text);
        if request.text.contains("slow") {
            eprintln!("(slow request started)");
            // Stands in for a model that takes its time; the terminal abandons this thread
            // when Ctrl-C comes, and the process exits without waiting for it.
            std::thread::sleep(SLOW);
        }
        let text = format!("echo: {} (session {})", request.text, request.session);
        let mut reply = Reply {
            text: text.clone(),
            actions: vec![],
            blocked: None,
            pending_confirmation: vec![],
            usage: Usage::default(),
            session: request.session.clone(),
            via: "echo".into(),
        };
        if request.text.contains("light") {
            reply
                .actions
                .push(action("light.kitchen", "turn_on", "done", "on"));
        }
        if request.text.contains("unlock") {
            let call = ServiceCall::new("lock.front_door", "unlock");
            reply.pending_confirmation.push(call);
        }
        if request.text.contains("weapon") {
            reply.blocked = Some("weapons".into());
        }
        self.record(&request.session, "assistant", &text);
        reply
    }

    fn history(&self, session: &str, limit: usize) -> Vec<(String, String)> {
        let messages = self.messages.lock().unwrap();
        let mine: Vec<_> = messages.iter().filter(|m| m.0 == session).collect();
        let skip = mine.len().saturating_sub(limit);
        mine[skip..]
            .iter()
            .map(|(_, role, text)| (role.clone(), text.clone()))
            .collect()
    }

    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String> {
        let mut prefs = self.prefs.lock().unwrap();
        prefs.insert((user.to_owned(), key.to_owned()), value.to_owned());
        Ok(())
    }

    fn forget(&self, user: &str, key: &str) -> Result<bool, String> {
        let mut prefs = self.prefs.lock().unwrap();
        Ok(prefs.remove(&(user.to_owned(), key.to_owned())).is_some())
    }

    fn prefs(&self, user: &str) -> Vec<(String, String)> {
        let prefs = self.prefs.lock().unwrap();
        prefs
            .iter()
            .filter(|((u, _), _)| u == user)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect()
    }

    fn status(&self) -> Vec<(String, String)> {
        let count = self.messages.lock().unwrap().len();
        vec![
            ("model".into(), "echo (no model)".into()),
            ("memory".into(), format!("{count} messages")),
        ]
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let data_dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let opts = TerminalOptions {
        user: args.next().unwrap_or_else(|| "tester".into()),
        session: args.next(),
        history_file: data_dir.join("terminal_history"),
        color: true,
    };
    terminal::run(Arc::new(Echo::default()), opts)
}

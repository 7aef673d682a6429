//! `mirai terminal` without a running daemon: the terminal over an in-process hub, the same
//! [`Hub`] the daemon's front ends are given.

use std::sync::Arc;

use super::AgentHub;
use crate::agent::{Reply, Request};
use crate::frontends::hub::Hub;
use crate::frontends::terminal::TerminalHost;

/// The in-process hub behind `mirai terminal`.
pub struct AgentTerminal(pub Arc<AgentHub>);

impl TerminalHost for AgentTerminal {
    fn respond(&self, request: Request) -> Reply {
        self.0.respond(request)
    }

    fn history(&self, session: &str, limit: usize) -> Vec<(String, String)> {
        let mut messages = self.0.session(session).unwrap_or_default();
        let skip = messages.len().saturating_sub(limit);
        messages.drain(..skip);
        messages
    }

    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String> {
        self.0.remember(user, key, value)
    }

    fn forget(&self, user: &str, key: &str) -> Result<bool, String> {
        self.0.forget(user, key)
    }

    fn prefs(&self, user: &str) -> Vec<(String, String)> {
        self.0.prefs(user)
    }

    fn status(&self) -> Vec<(String, String)> {
        let status = self.0.status();
        let model = match (
            status["model"]["reachable"].as_bool(),
            status["model"]["breaker"].as_str(),
        ) {
            (Some(true), _) => "available".to_owned(),
            (_, Some(breaker)) if breaker != "closed" => format!("unavailable: {breaker}"),
            _ => "not configured (no key, no local server)".to_owned(),
        };
        let m = &status["memory"];
        let memory = format!(
            "{} messages, {} knowledge entries, {} preferences",
            m["messages"], m["knowledge"], m["preferences"]
        );
        vec![
            ("model".into(), model),
            ("memory".into(), memory),
            (
                "devices".into(),
                format!("{} entities", self.0.devices().len()),
            ),
        ]
    }
}

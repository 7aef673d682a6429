//! The terminal's view of the agent: requests, and the slash commands' memory and status.

use std::sync::Arc;

use crate::agent::{Agent, Reply, Request};
use crate::frontends::terminal::TerminalHost;
use crate::memory::Memory;

/// The agent behind `mirai terminal`.
pub struct AgentTerminal(pub Arc<Agent>);

impl AgentTerminal {
    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.0.memory().lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TerminalHost for AgentTerminal {
    fn respond(&self, request: Request) -> Reply {
        self.0.handle(&request)
    }

    fn history(&self, session: &str, limit: usize) -> Vec<(String, String)> {
        let messages = self
            .memory()
            .get_session_history(session, Some(limit))
            .unwrap_or_default();
        messages
            .into_iter()
            .map(|m| (m.role.as_str().to_owned(), m.content))
            .collect()
    }

    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String> {
        self.memory()
            .save_preference(user, key, value)
            .map_err(|e| e.to_string())
    }

    fn forget(&self, user: &str, key: &str) -> Result<bool, String> {
        self.memory()
            .delete_preference(user, key)
            .map_err(|e| e.to_string())
    }

    fn prefs(&self, user: &str) -> Vec<(String, String)> {
        self.memory()
            .get_preferences(user)
            .unwrap_or_default()
            .into_iter()
            .collect()
    }

    fn status(&self) -> Vec<(String, String)> {
        let stats = self.memory().stats().ok();
        let memory = stats.map_or("unavailable".into(), |s| {
            format!(
                "{} messages, {} knowledge entries, {} preferences",
                s.messages, s.knowledge, s.preferences
            )
        });
        let breakers = self.0.llm().breakers();
        let open: Vec<&str> = breakers
            .iter()
            .filter(|(_, state)| !matches!(state, crate::llm::breaker::BreakerState::Closed { .. }))
            .map(|(name, _)| name.as_str())
            .collect();
        let model = if open.is_empty() {
            "available".to_owned()
        } else {
            format!("unavailable: {}", open.join(", "))
        };
        vec![
            ("model".into(), model),
            ("memory".into(), memory),
            (
                "devices".into(),
                format!("{} entities", self.0.registry().entities().len()),
            ),
        ]
    }
}

//! The daemon's services: started from the config, listed on the status page, stopped in
//! order with a deadline.

use std::sync::Arc;
use std::time::Duration;

use super::{AgentHub, App};

/// The running services.
pub(super) struct Services {
    names: Vec<&'static str>,
}

impl Services {
    /// Their names, for the log.
    pub(super) fn names(&self) -> String {
        if self.names.is_empty() {
            "none".into()
        } else {
            self.names.join(", ")
        }
    }

    /// Stops each one, waiting at most `deadline` in all.
    pub(super) async fn stop(self, deadline: Duration) {
        let _ = deadline;
    }
}

/// Starts every service the config enables.
pub(super) async fn start(app: &App, hub: Arc<AgentHub>) -> anyhow::Result<Services> {
    let _ = (app, hub);
    Ok(Services { names: Vec::new() })
}

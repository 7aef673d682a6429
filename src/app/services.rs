//! The daemon's services: started from the config, listed on the status page, stopped in
//! order with a deadline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::{AgentHub, App};
use crate::frontends::http::{self, HttpServer, HttpSettings};

/// The running services.
pub(super) struct Services {
    http: Option<HttpServer>,
}

impl Services {
    /// Their names, for the log.
    pub(super) fn names(&self) -> String {
        let mut names = Vec::new();
        if let Some(h) = &self.http {
            names.push(format!("http on {}", h.addr()));
        }
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    /// Stops each one, waiting at most `deadline` in all.
    pub(super) async fn stop(self, deadline: Duration) {
        if let Some(server) = self.http {
            // tiny_http joins its workers: a blocking wait, off the async workers.
            let stopped = tokio::task::spawn_blocking(move || server.stop());
            if tokio::time::timeout(deadline, stopped).await.is_err() {
                tracing::warn!(
                    deadline_s = deadline.as_secs(),
                    "the HTTP server did not stop in time"
                );
            }
        }
    }
}

/// Starts every service the config enables.
pub(super) async fn start(app: &App, hub: Arc<AgentHub>) -> anyhow::Result<Services> {
    let s = app.config().settings();
    let mut services = Services { http: None };
    if s.services.dashboard.enabled {
        let addr = SocketAddr::new(s.services.dashboard.host, s.services.dashboard.port);
        let token = http::load_or_create_token(app.config().data_dir()).with_context(|| {
            format!(
                "cannot read or create the API token in {}",
                app.config().data_dir().display()
            )
        })?;
        let server = http::start(hub.clone(), HttpSettings::new(addr, token))?;
        let listening = server.addr();
        tracing::info!(addr = %listening, "HTTP API and status page");
        hub.add_service(
            "http",
            Arc::new(move || format!("listening on {listening}")),
        );
        services.http = Some(server);
    }
    Ok(services)
}

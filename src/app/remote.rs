//! A client of a running daemon: `mirai ask`, `terminal` and `devices` go through its HTTP API
//! when it answers, so that only the daemon opens the hardware and the memory's writers.
//!
//! [`Remote::find`] decides: the token file in the data folder and a ready `/readyz` mean a
//! daemon is there. Everything else is one blocking ureq exchange per call, on the caller's
//! thread (the CLI's, or the terminal's workers), never an async worker.

use std::time::Duration;

use serde_json::{Value, json};
use ureq::Agent;

use crate::agent::{Reply, Request};
use crate::autonomous::tasks::TaskCall;
use crate::config::Config;
use crate::devices::Entity;
use crate::frontends::terminal::TerminalHost;

/// The daemon's token file in the data folder (written by `frontends::http::token`).
const TOKEN_FILE: &str = "http_token";
/// How long the readiness probe may take: a daemon on this machine answers in milliseconds,
/// and `mirai ask` without one must not feel slower.
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);
/// How long connecting to a daemon that answered the probe may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one exchange may take in all: an ask may wait for a model's retries and fallback.
const CALL_TIMEOUT: Duration = Duration::from_secs(180);
/// How much longer than it was asked to listen an inclusion's stream may take to end.
const STREAM_MARGIN: Duration = Duration::from_secs(30);

/// Why a call to the daemon failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoteError {
    /// The daemon could not be reached, or stopped answering.
    #[error("the hub did not answer: {0}")]
    Unreachable(String),
    /// The daemon answered with an error (`{"error": …}`).
    #[error("the hub said {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The daemon's words.
        message: String,
    },
    /// The answer was not the JSON expected.
    #[error("the hub's answer makes no sense: {0}")]
    BadAnswer(String),
}

/// A running daemon, reached over its HTTP API with its bearer token.
pub(crate) struct Remote {
    base: String,
    token: String,
    http: Agent,
}

// The token is a secret: keep it out of every `{:?}`.
impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// The daemon of `config`'s data folder, if one is running and ready.
    pub(crate) fn find(config: &Config) -> Option<Remote> {
        let dashboard = &config.settings().services.dashboard;
        if !dashboard.enabled {
            return None;
        }
        let token = std::fs::read_to_string(config.data_dir().join(TOKEN_FILE)).ok()?;
        let token = token.trim().to_owned();
        // A daemon listening on every address is reached on loopback.
        let host = if dashboard.host.is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            dashboard.host
        };
        let base = format!("http://{}", std::net::SocketAddr::new(host, dashboard.port));
        let probe: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(PROBE_TIMEOUT))
            .build()
            .into();
        let ready = probe.get(format!("{base}/readyz")).call().ok()?;
        if token.is_empty() || ready.status() != 200 {
            return None;
        }
        let http = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(CALL_TIMEOUT))
            .build()
            .into();
        Some(Remote { base, token, http })
    }

    /// Where the daemon listens (`http://127.0.0.1:8080`).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Asks the daemon (`POST /api/ask`).
    pub(crate) fn ask(&self, request: &Request) -> Result<Reply, RemoteError> {
        let body = json!({"text": request.text, "user": request.user,
            "session_id": request.session, "site_id": request.site, "lang": request.lang,
            "source": request.source});
        let answer = self.call("POST", "/api/ask", Some(body))?;
        Reply::from_json(answer).map_err(|e| RemoteError::BadAnswer(e.to_string()))
    }

    /// The daemon's devices and their state (`GET /api/devices`).
    pub(crate) fn devices(&self) -> Result<Vec<Entity>, RemoteError> {
        let answer = self.call("GET", "/api/devices", None)?;
        serde_json::from_value(answer).map_err(|e| RemoteError::BadAnswer(e.to_string()))
    }

    /// The last `limit` messages of `session` as (role, text); empty for an unknown session.
    pub(crate) fn history(
        &self,
        session: &str,
        limit: usize,
    ) -> Result<Vec<(String, String)>, RemoteError> {
        let path = format!("/api/sessions/{}", segment(session));
        let answer = match self.call("GET", &path, None) {
            Err(RemoteError::Refused { status: 404, .. }) => return Ok(Vec::new()),
            other => other?,
        };
        let messages = answer["messages"].as_array().cloned().unwrap_or_default();
        let skip = messages.len().saturating_sub(limit);
        Ok(messages
            .iter()
            .skip(skip)
            .map(|m| (text_of(&m["role"]), text_of(&m["text"])))
            .collect())
    }

    /// All preferences of `user` as (key, value).
    pub(crate) fn prefs(&self, user: &str) -> Result<Vec<(String, String)>, RemoteError> {
        let answer = self.call("GET", &format!("/api/prefs/{}", segment(user)), None)?;
        let map = answer.as_object().cloned().unwrap_or_default();
        Ok(map.into_iter().map(|(k, v)| (k, text_of(&v))).collect())
    }

    /// Stores the preference `key` = `value` for `user`.
    pub(crate) fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), RemoteError> {
        let path = format!("/api/prefs/{}/{}", segment(user), segment(key));
        self.call("PUT", &path, Some(json!({ "value": value })))?;
        Ok(())
    }

    /// Removes the preference `key` of `user`; whether there was one.
    pub(crate) fn forget(&self, user: &str, key: &str) -> Result<bool, RemoteError> {
        let path = format!("/api/prefs/{}/{}", segment(user), segment(key));
        let answer = self.call("DELETE", &path, None)?;
        Ok(answer["removed"].as_bool().unwrap_or(false))
    }

    /// The daemon's full status (`GET /api/status` with the token).
    pub(crate) fn status(&self) -> Result<Value, RemoteError> {
        self.call("GET", "/api/status", None)
    }

    /// A task call on the daemon (`/api/tasks…`): the same JSON the hub answers.
    pub(crate) fn tasks(&self, call: &TaskCall) -> Result<Value, RemoteError> {
        match call {
            TaskCall::List => self.call("GET", "/api/tasks", None),
            TaskCall::Add(task, _) => {
                let body = serde_json::to_value(task)
                    .map_err(|e| RemoteError::BadAnswer(e.to_string()))?;
                self.call("POST", "/api/tasks", Some(body))
            }
            TaskCall::Cancel(id) => self.call("DELETE", &format!("/api/tasks/{id}"), None),
            TaskCall::RunNow(id) => self.call("POST", &format!("/api/tasks/{id}/run"), None),
            TaskCall::History(task, limit) => {
                let path = match task {
                    Some(id) => format!("/api/tasks/{id}/history?limit={limit}"),
                    None => format!("/api/tasks/history?limit={limit}"),
                };
                self.call("GET", &path, None)
            }
        }
    }

    /// `GET path` on the daemon's API: the answer's JSON.
    pub(crate) fn get(&self, path: &str) -> Result<Value, RemoteError> {
        self.call("GET", path, None)
    }

    /// `POST path` with `body` on the daemon's API: the answer's JSON.
    pub(crate) fn post(&self, path: &str, body: Value) -> Result<Value, RemoteError> {
        self.call("POST", path, Some(body))
    }

    /// `POST path` with `body`, whose answer is JSON lines while something happens (an
    /// inclusion): each line goes to `on_line` as it arrives. `within` is how long the daemon
    /// was asked to take; the exchange may take that and a margin.
    pub(crate) fn post_lines(
        &self,
        path: &str,
        body: Value,
        within: Duration,
        on_line: &mut dyn FnMut(Value),
    ) -> Result<(), RemoteError> {
        use std::io::BufRead as _;
        let url = format!("{}{path}", self.base);
        let sent = (self.http.post(&url).config())
            .timeout_global(Some(within + STREAM_MARGIN))
            .build()
            .header("Authorization", &format!("Bearer {}", self.token))
            .content_type("application/json")
            .send(body.to_string());
        let mut response = sent.map_err(|e| RemoteError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            let text = response.body_mut().read_to_string().unwrap_or_default();
            let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message = value["error"]
                .as_str()
                .unwrap_or("no reason given")
                .to_owned();
            return Err(RemoteError::Refused { status, message });
        }
        let reader = std::io::BufReader::new(response.body_mut().as_reader());
        for line in reader.lines() {
            let line = line.map_err(|e| RemoteError::Unreachable(e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let value =
                serde_json::from_str(&line).map_err(|e| RemoteError::BadAnswer(e.to_string()))?;
            on_line(value);
        }
        Ok(())
    }

    /// One exchange: the answer's JSON (`null` for an empty body), or why not.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, RemoteError> {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let sent = match (method, body) {
            ("GET", _) => self.http.get(&url).header("Authorization", &auth).call(),
            ("DELETE", _) => self.http.delete(&url).header("Authorization", &auth).call(),
            (method, body) => {
                let body = body.unwrap_or(Value::Null).to_string();
                let builder = if method == "PUT" {
                    self.http.put(&url)
                } else {
                    self.http.post(&url)
                };
                builder
                    .header("Authorization", &auth)
                    .content_type("application/json")
                    .send(body)
            }
        };
        let mut response = sent.map_err(|e| RemoteError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| RemoteError::Unreachable(e.to_string()))?;
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| RemoteError::BadAnswer(e.to_string()))?
        };
        if !(200..300).contains(&status) {
            let message = value["error"]
                .as_str()
                .unwrap_or("no reason given")
                .to_owned();
            return Err(RemoteError::Refused { status, message });
        }
        Ok(value)
    }
}

/// A JSON value as text: strings as they are, anything else as JSON.
fn text_of(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// `name` percent-encoded for one path segment (a user, a key or a session may hold spaces).
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl TerminalHost for Remote {
    fn respond(&self, request: Request) -> Reply {
        self.ask(&request).unwrap_or_else(|err| Reply {
            text: err.to_string(),
            actions: Vec::new(),
            blocked: None,
            pending_confirmation: Vec::new(),
            usage: Default::default(),
            session: request.session,
            via: "offline".into(),
        })
    }

    fn history(&self, session: &str, limit: usize) -> Vec<(String, String)> {
        Remote::history(self, session, limit).unwrap_or_default()
    }

    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String> {
        Remote::remember(self, user, key, value).map_err(|e| e.to_string())
    }

    fn forget(&self, user: &str, key: &str) -> Result<bool, String> {
        Remote::forget(self, user, key).map_err(|e| e.to_string())
    }

    fn prefs(&self, user: &str) -> Vec<(String, String)> {
        Remote::prefs(self, user).unwrap_or_default()
    }

    fn status(&self) -> Vec<(String, String)> {
        match Remote::status(self) {
            Ok(status) => status_lines(&status),
            Err(err) => vec![("hub".into(), err.to_string())],
        }
    }
}

/// The daemon's status as the terminal's `/status` lines.
fn status_lines(status: &Value) -> Vec<(String, String)> {
    let hub = format!(
        "running at the daemon, version {}, up {} s",
        text_of(&status["version"]),
        status["uptime_secs"].as_u64().unwrap_or(0)
    );
    let model = if status["model"]["reachable"].as_bool() == Some(true) {
        "available".to_owned()
    } else {
        format!(
            "unavailable (breaker {})",
            text_of(&status["model"]["breaker"])
        )
    };
    let services: Vec<String> = status["services"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|s| format!("{}: {}", text_of(&s["name"]), text_of(&s["state"])))
                .collect()
        })
        .unwrap_or_default();
    let devices = status["devices"].as_array().map_or(0, Vec::len);
    vec![
        ("hub".into(), hub),
        ("model".into(), model),
        ("services".into(), services.join(", ")),
        ("devices".into(), format!("{devices} entities")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_for_one_path_segment() {
        assert_eq!(segment("ana"), "ana");
        assert_eq!(segment("coffee strength"), "coffee%20strength");
        assert_eq!(segment("a/b"), "a%2Fb");
        assert_eq!(segment("а"), "%D0%B0");
    }

    #[test]
    fn the_status_becomes_a_few_lines() {
        let status = json!({"version": "0.1.0", "uptime_secs": 5,
            "model": {"reachable": false, "breaker": "closed"},
            "services": [{"name": "http", "state": "listening"}],
            "devices": [{}, {}]});
        let lines = status_lines(&status);
        assert_eq!(lines[1].1, "unavailable (breaker closed)");
        assert_eq!(lines[2].1, "http: listening");
        assert_eq!(lines[3].1, "2 entities");
    }
}

//! `POST /api/ask`: the JSON a client sends, the [`Request`] it becomes, the limit on how many
//! asks the hub answers at once, and the reply's JSON (the shape of `mirai ask --json`).

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;

use crate::agent::{Request, Source};

/// Asks answered at once; more get a 503 rather than a queue, so that a flood cannot hold every
/// worker while the model thinks. Below [`WORKERS`](super::WORKERS) on purpose.
pub(crate) const MAX_ASKS_IN_FLIGHT: usize = 2;
/// The longest text, in characters: longer is not something a person said.
pub(crate) const MAX_TEXT_CHARS: usize = 2000;
/// Who asks when the client does not say.
const DEFAULT_USER: &str = "http";

/// What a client sends to `/api/ask`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AskBody {
    text: Option<String>,
    session_id: Option<String>,
    user: Option<String>,
    site_id: Option<String>,
    lang: Option<String>,
    /// The front end behind the call: `cli` or `terminal` when `mirai ask` or `mirai terminal`
    /// relay through the daemon; `http` otherwise.
    source: Option<Source>,
}

/// Why an ask's body is not a request.
#[derive(Debug, thiserror::Error, PartialEq)]
pub(crate) enum AskError {
    /// Not JSON, or not the expected object.
    #[error("bad JSON: {0}")]
    BadJson(String),
    /// No `text`, or only white space.
    #[error("missing text")]
    MissingText,
    /// `text` is over [`MAX_TEXT_CHARS`].
    #[error("text too long: {chars} characters, at most {MAX_TEXT_CHARS}")]
    TextTooLong {
        /// How long it was.
        chars: usize,
    },
}

/// The [`Request`] an ask's body stands for; a new session when it names none.
pub(crate) fn parse(body: &[u8]) -> Result<Request, AskError> {
    let ask: AskBody =
        serde_json::from_slice(body).map_err(|err| AskError::BadJson(err.to_string()))?;
    let text = ask.text.filter(|t| !t.trim().is_empty());
    let text = text.ok_or(AskError::MissingText)?;
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(AskError::TextTooLong { chars });
    }
    let user = ask.user.filter(|u| !u.trim().is_empty());
    let session = ask.session_id.filter(|s| !s.trim().is_empty());
    let source = match ask.source {
        Some(s @ (Source::Cli | Source::Terminal)) => s,
        _ => Source::Http,
    };
    let mut request = Request::new(
        text,
        source,
        user.as_deref().unwrap_or(DEFAULT_USER),
        &session.unwrap_or_else(new_session_id),
    );
    request.site = ask.site_id;
    request.lang = ask.lang;
    Ok(request)
}

/// A new session id, 16 hex digits like the ones the memory makes.
fn new_session_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// Counts asks in flight and turns away those over the limit.
pub(crate) struct AskGate {
    in_flight: AtomicUsize,
    limit: usize,
}

/// One ask's place; it is given back on drop.
pub(crate) struct AskPermit<'a>(&'a AskGate);

impl AskGate {
    /// A gate letting `limit` asks through at once.
    pub(crate) fn new(limit: usize) -> Self {
        AskGate {
            in_flight: AtomicUsize::new(0),
            limit,
        }
    }

    /// A place, or `None` when `limit` asks are already in flight.
    pub(crate) fn try_enter(&self) -> Option<AskPermit<'_>> {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .ok()
            .map(|_| AskPermit(self))
    }
}

impl Drop for AskPermit<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_full_ask_becomes_a_request() {
        let body = br#"{"text":"lights on","session_id":"s1","user":"alice","site_id":"kitchen"}"#;
        let request = parse(body).unwrap();
        assert_eq!(request.text, "lights on");
        assert_eq!(request.source, Source::Http);
        assert_eq!(
            (request.user.as_str(), request.session.as_str()),
            ("alice", "s1")
        );
        assert_eq!(request.site.as_deref(), Some("kitchen"));
    }

    #[test]
    fn a_bare_ask_gets_a_user_and_a_new_session() {
        let request = parse(br#"{"text":"hi"}"#).unwrap();
        assert_eq!(request.user, DEFAULT_USER);
        assert_eq!(request.session.len(), 16);
    }

    #[test]
    fn bad_asks_say_what_is_wrong() {
        assert!(matches!(parse(b"{"), Err(AskError::BadJson(_))));
        assert!(matches!(parse(b""), Err(AskError::BadJson(_))));
        let unknown = parse(br#"{"text":"hi","txet":1}"#).unwrap_err().to_string();
        assert!(unknown.contains("txet"), "{unknown}");
        assert_eq!(parse(br#"{"user":"a"}"#), Err(AskError::MissingText));
        assert_eq!(parse(br#"{"text":"  "}"#), Err(AskError::MissingText));
        let long = json!({"text": "x".repeat(MAX_TEXT_CHARS + 1)}).to_string();
        assert!(matches!(
            parse(long.as_bytes()),
            Err(AskError::TextTooLong { .. })
        ));
    }

    #[test]
    fn the_gate_lets_limit_through_and_takes_them_back() {
        let gate = AskGate::new(2);
        let a = gate.try_enter().unwrap();
        let _b = gate.try_enter().unwrap();
        assert!(gate.try_enter().is_none());
        drop(a);
        assert!(gate.try_enter().is_some());
    }
}

//! Home Assistant's WebSocket API as data: the messages MIRAI sends and the ones it reads,
//! without a socket. Facts from Home Assistant's developer docs ("WebSocket API"): the server
//! speaks first (`auth_required`), the client answers `auth` with its token, then every
//! command carries an `id` that must grow within the connection; results and events echo it.

use serde::Deserialize;
use serde_json::{Value, json};

/// A message from Home Assistant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    /// Send the token now.
    AuthRequired,
    /// The token was accepted.
    AuthOk {
        /// Home Assistant's version.
        version: String,
    },
    /// The token was refused.
    AuthInvalid {
        /// Home Assistant's words.
        message: String,
    },
    /// The answer to command `id`.
    Result {
        /// The command's id.
        id: u64,
        /// The result, or Home Assistant's error.
        outcome: Result<Value, Failure>,
    },
    /// An event of subscription `id`.
    Event {
        /// The subscribing command's id.
        id: u64,
        /// `state_changed`, `area_registry_updated`…
        event_type: String,
        /// The event's data.
        data: Value,
    },
    /// The answer to ping `id`.
    Pong {
        /// The ping's id.
        id: u64,
    },
}

/// Home Assistant's error for a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `not_found`, `unauthorized`, `invalid_format`, `home_assistant_error`…
    pub(crate) code: String,
    /// Its words.
    pub(crate) message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Why a frame is not a message MIRAI understands.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum WireError {
    /// Not JSON, or not an object with a type.
    #[error("not a Home Assistant message: {0}")]
    Malformed(String),
    /// A type MIRAI does not expect.
    #[error("unexpected message type {0:?}")]
    Unexpected(String),
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    error: Option<RawError>,
    #[serde(default)]
    event: Option<RawEvent>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    ha_version: Option<String>,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    data: Value,
}

/// Reads one text frame.
pub(crate) fn parse(text: &str) -> Result<Incoming, WireError> {
    let raw: Raw = serde_json::from_str(text).map_err(|e| WireError::Malformed(e.to_string()))?;
    let id = || {
        raw.id
            .ok_or_else(|| WireError::Malformed(format!("a {} without an id", raw.kind)))
    };
    Ok(match raw.kind.as_str() {
        "auth_required" => Incoming::AuthRequired,
        "auth_ok" => Incoming::AuthOk {
            version: raw.ha_version.clone().unwrap_or_default(),
        },
        "auth_invalid" => Incoming::AuthInvalid {
            message: raw.message.clone().unwrap_or_default(),
        },
        "result" => {
            let id = id()?;
            let outcome = if raw.success == Some(true) {
                Ok(raw.result)
            } else {
                let e = raw.error.unwrap_or(RawError {
                    code: "unknown_error".into(),
                    message: "Home Assistant gave no reason".into(),
                });
                Err(Failure {
                    code: e.code,
                    message: e.message,
                })
            };
            Incoming::Result { id, outcome }
        }
        "event" => {
            let id = id()?;
            let event = raw
                .event
                .ok_or_else(|| WireError::Malformed("an event without its event".into()))?;
            Incoming::Event {
                id,
                event_type: event.event_type,
                data: event.data,
            }
        }
        "pong" => Incoming::Pong { id: id()? },
        other => return Err(WireError::Unexpected(other.to_owned())),
    })
}

/// The `auth` message.
pub(crate) fn auth(token: &str) -> String {
    json!({"type": "auth", "access_token": token}).to_string()
}

/// Command `kind` with id `id` and the fields of `extra` (an object, or null).
pub(crate) fn command(id: u64, kind: &str, extra: Value) -> String {
    let mut message = json!({"id": id, "type": kind});
    if let (Value::Object(fields), Some(out)) = (extra, message.as_object_mut()) {
        out.extend(fields);
    }
    message.to_string()
}

/// Gives each command of one connection an id larger than the last, as Home Assistant
/// requires (it refuses a reused or smaller id with `id_reuse`).
#[derive(Debug, Default)]
pub(crate) struct Ids {
    last: u64,
}

impl Ids {
    /// The next id.
    pub(crate) fn next(&mut self) -> u64 {
        self.last += 1;
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_messages() {
        // As the docs show them.
        assert_eq!(
            parse(r#"{"type": "auth_required", "ha_version": "2025.4.4"}"#),
            Ok(Incoming::AuthRequired)
        );
        assert_eq!(
            parse(r#"{"type": "auth_ok", "ha_version": "2025.4.4"}"#),
            Ok(Incoming::AuthOk {
                version: "2025.4.4".into()
            })
        );
        assert_eq!(
            parse(r#"{"type": "auth_invalid", "message": "Invalid access token or password"}"#),
            Ok(Incoming::AuthInvalid {
                message: "Invalid access token or password".into()
            })
        );
        let auth: Value = serde_json::from_str(&auth("abc")).unwrap();
        assert_eq!(auth, json!({"type": "auth", "access_token": "abc"}));
    }

    #[test]
    fn results_carry_their_id_and_errors_their_code() {
        let ok = parse(r#"{"id": 4, "type": "result", "success": true, "result": [1]}"#);
        assert_eq!(
            ok,
            Ok(Incoming::Result {
                id: 4,
                outcome: Ok(json!([1]))
            })
        );
        let err = parse(
            r#"{"id": 5, "type": "result", "success": false,
                "error": {"code": "not_found", "message": "Service light.explode not found."}}"#,
        )
        .unwrap();
        let Incoming::Result {
            id: 5,
            outcome: Err(f),
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(f.code, "not_found");
        assert_eq!(
            f.to_string(),
            "Service light.explode not found. (not_found)"
        );
        let bare = parse(r#"{"id": 6, "type": "result", "success": false}"#).unwrap();
        assert!(
            matches!(bare, Incoming::Result { outcome: Err(f), .. } if f.code == "unknown_error")
        );
    }

    #[test]
    fn events_and_pongs() {
        let text = r#"{"id": 2, "type": "event", "event": {"event_type": "state_changed",
            "data": {"entity_id": "light.kitchen", "new_state": {"state": "on"}},
            "origin": "LOCAL", "time_fired": "2025-04-01T10:00:00+00:00"}}"#;
        let Incoming::Event {
            id,
            event_type,
            data,
        } = parse(text).unwrap()
        else {
            panic!()
        };
        assert_eq!((id, event_type.as_str()), (2, "state_changed"));
        assert_eq!(data["new_state"]["state"], "on");
        assert_eq!(
            parse(r#"{"id": 9, "type": "pong"}"#),
            Ok(Incoming::Pong { id: 9 })
        );
    }

    #[test]
    fn bad_frames_are_errors_not_panics() {
        for bad in [
            "",
            "{",
            "[]",
            "{}",
            r#"{"type": "result"}"#,
            r#"{"type": "event", "id": 1}"#,
            r#"{"type": "pong"}"#,
            r#"{"type": 7}"#,
        ] {
            assert!(
                matches!(parse(bad), Err(WireError::Malformed(_))),
                "{bad}: {:?}",
                parse(bad)
            );
        }
        assert_eq!(
            parse(r#"{"type": "surprise"}"#),
            Err(WireError::Unexpected("surprise".into()))
        );
    }

    #[test]
    fn commands_merge_their_fields_and_ids_grow() {
        let mut ids = Ids::default();
        let (a, b) = (ids.next(), ids.next());
        assert!(b > a && a >= 1);
        let c: Value = serde_json::from_str(&command(
            a,
            "subscribe_events",
            json!({"event_type": "state_changed"}),
        ))
        .unwrap();
        assert_eq!(
            c,
            json!({"id": a, "type": "subscribe_events", "event_type": "state_changed"})
        );
        let p: Value = serde_json::from_str(&command(b, "ping", Value::Null)).unwrap();
        assert_eq!(p, json!({"id": b, "type": "ping"}));
    }
}

//! Rhasspy's Hermes protocol as pure functions: `hermes/asr/textCaptured` and
//! `hermes/intent/<name>` payloads become questions answered on `endSession` or `tts/say`; and
//! [`RecentSessions`], which keeps one utterance from being answered twice.
//!
//! Field names follow the Rhasspy reference (`text`, `input`, `sessionId`, `siteId`,
//! `intent.intentName`); anything else in the payloads is ignored.

use std::collections::VecDeque;

use serde::Deserialize;

use super::dedupe::Key;
use super::message::{Answer, DEFAULT_SITE, Inbound, Rejected, checked_text, request_for};
use super::topics::Route;

/// How many recent dialogue sessions we remember having answered. Rhasspy publishes both the
/// transcription and the recognised intent for one utterance, a few hundred milliseconds apart;
/// a handful covers every satellite talking at once.
pub(crate) const RECENT_SESSIONS: usize = 32;

/// The fields we read from `textCaptured` and intent messages.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HermesJson {
    /// `textCaptured`: the transcription.
    text: Option<String>,
    /// Intents: the text the intent was recognised from.
    input: Option<String>,
    session_id: Option<String>,
    site_id: Option<String>,
    /// Intents: the request id of the recognition, if the NLU gave one.
    id: Option<String>,
}

/// Where the speech recognizer is told to start listening.
pub(crate) const START_LISTENING: &str = "hermes/asr/startListening";

/// The `startListening` message for `site_id`, in the shape of the Rhasspy reference
/// (`hermes/asr/startListening`: `siteId`, `sessionId`, `stopOnSilence`, `sendAudioCaptured`):
/// the recognizer listens until silence and publishes `textCaptured`, which the hub answers.
pub(crate) fn start_listening(site_id: &str) -> (&'static str, Vec<u8>) {
    let payload = serde_json::json!({
        "siteId": site_id, "sessionId": null, "stopOnSilence": true, "sendAudioCaptured": false,
    });
    (START_LISTENING, payload.to_string().into_bytes())
}

/// Reads a Hermes message that arrived on a `route` topic.
pub(crate) fn parse(route: Route, payload: &[u8]) -> Result<Inbound, Rejected> {
    let reject = |reason: String, answer| Rejected { reason, answer };
    let msg: HermesJson = serde_json::from_slice(payload)
        .map_err(|e| reject(format!("bad Hermes JSON: {e}"), None))?;
    let session_id = msg.session_id.filter(|s| !s.is_empty());
    let site = msg.site_id.filter(|s| !s.is_empty());
    let answer = match &session_id {
        Some(id) => Answer::HermesEnd {
            session_id: id.clone(),
        },
        None => Answer::HermesSay {
            site: site.clone().unwrap_or_else(|| DEFAULT_SITE.to_owned()),
        },
    };
    let words = match route {
        Route::HermesIntent => msg.input.as_deref(),
        _ => msg.text.as_deref(),
    };
    // Nothing heard is routine for a microphone: end the session quietly, say nothing.
    let words = checked_text(words).map_err(|r| match &answer {
        Answer::HermesEnd { .. } => reject(r.to_owned(), Some(answer.clone())),
        _ => reject(r.to_owned(), None),
    })?;
    // In a session, [`RecentSessions`] already answers once; outside one, an intent's id
    // tells a redelivery from the same words said again.
    let key = (msg.id.as_deref()).map(|id| Key::request(&["hermes", id, words]));
    Ok(Inbound {
        request: request_for(words, site, None),
        answer,
        key,
        sent_ms: None,
    })
}

/// The dialogue sessions answered lately, oldest first, at most [`RECENT_SESSIONS`].
#[derive(Debug, Default)]
pub(crate) struct RecentSessions {
    ids: VecDeque<String>,
}

impl RecentSessions {
    /// True the first time `answer`'s session is seen (and remembers it); false for a repeat.
    /// Answers outside a session are always new.
    pub(crate) fn first(&mut self, answer: &Answer) -> bool {
        let Answer::HermesEnd { session_id } = answer else {
            return true;
        };
        if self.ids.contains(session_id) {
            return false;
        }
        if self.ids.len() == RECENT_SESSIONS {
            self.ids.pop_front();
        }
        self.ids.push_back(session_id.clone());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_captured_in_a_session_ends_it() {
        // Shape from the Rhasspy reference: hermes/asr/textCaptured.
        let payload = br#"{"text": "what time is it", "likelihood": 0.9, "seconds": 1.2,
                           "siteId": "kitchen", "sessionId": "abc-1", "wakewordId": "porcupine"}"#;
        let got = parse(Route::HermesText, payload).unwrap();
        assert_eq!(got.request.text, "what time is it");
        assert_eq!(got.request.site.as_deref(), Some("kitchen"));
        assert_eq!(got.request.session, "mqtt-kitchen");
        assert_eq!(
            got.answer,
            Answer::HermesEnd {
                session_id: "abc-1".into()
            }
        );
    }

    #[test]
    fn intent_uses_input_and_says_outside_a_session() {
        let payload = br#"{"input": "turn on the lamp", "intent": {"intentName": "LampOn",
                           "confidenceScore": 1.0}, "siteId": "hall", "slots": []}"#;
        let got = parse(Route::HermesIntent, payload).unwrap();
        assert_eq!(got.key, None);
        let with_id = br#"{"input": "turn on the lamp", "id": "nlu-1", "siteId": "hall"}"#;
        assert!(parse(Route::HermesIntent, with_id).unwrap().key.is_some());
        assert_eq!(got.request.text, "turn on the lamp");
        assert_eq!(
            got.answer,
            Answer::HermesSay {
                site: "hall".into()
            }
        );
    }

    #[test]
    fn nothing_heard_ends_the_session_silently() {
        let err = parse(Route::HermesText, br#"{"text": "", "sessionId": "s"}"#).unwrap_err();
        assert_eq!(err.reason, "empty text");
        assert_eq!(
            err.answer,
            Some(Answer::HermesEnd {
                session_id: "s".into()
            })
        );
        let err = parse(Route::HermesText, br#"{"text": " "}"#).unwrap_err();
        assert_eq!(err.answer, None);
        assert!(
            parse(Route::HermesIntent, b"\xff")
                .unwrap_err()
                .reason
                .contains("JSON")
        );
    }

    #[test]
    fn a_session_is_answered_once_and_memory_is_bounded() {
        let mut recent = RecentSessions::default();
        let s = |i: usize| Answer::HermesEnd {
            session_id: format!("s{i}"),
        };
        assert!(recent.first(&s(0)));
        assert!(!recent.first(&s(0)));
        assert!(recent.first(&Answer::HermesSay { site: "x".into() }));
        for i in 1..=RECENT_SESSIONS {
            assert!(recent.first(&s(i)));
        }
        assert_eq!(recent.ids.len(), RECENT_SESSIONS);
        assert!(recent.first(&s(0)), "the oldest was forgotten");
    }
}

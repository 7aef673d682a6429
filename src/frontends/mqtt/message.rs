//! The plain `mirai/<hub_id>/ask` protocol as pure functions over bytes: a payload becomes a
//! [`Request`] plus where its answer goes, or a [`Rejected`] saying why not; a [`Reply`]
//! becomes the bytes to publish; and [`too_old`], the age check of a question that says when
//! it was sent. No I/O and no clock, so every malformed case is a unit test.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::dedupe::Key;
use super::topics::{HERMES_END_SESSION, HERMES_SAY, Topics};
use crate::agent::{Reply, Request, Source};

/// The longest question we pass to the hub, in bytes; longer is a mistake or abuse.
pub(crate) const MAX_TEXT_BYTES: usize = 2_000;
/// The longest `reply_to` topic we publish on.
pub(crate) const MAX_TOPIC_LEN: usize = 256;
/// The longest session, user, site or language we accept.
const MAX_FIELD_LEN: usize = 128;
/// Who asks when the message does not say.
const DEFAULT_USER: &str = "voice";
/// The site when the message does not say (also Rhasspy's default site id).
pub(crate) const DEFAULT_SITE: &str = "default";
/// The oldest question (by its `ts`) still acted on. MQTT 3.1.1 messages do not expire: a
/// persistent session replays what was asked while the daemon was down, and "turn off the
/// oven" ten minutes late may no longer be wanted.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(5 * 60);

/// Where and in which shape an answer goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// JSON on a `mirai/…/reply` or `reply_to` topic, echoing the question's id.
    Plain {
        topic: String,
        id: Option<Value>,
        site: Option<String>,
    },
    /// Rhasspy: end the dialogue session, speaking the text.
    HermesEnd { session_id: String },
    /// Rhasspy: speak on a site, outside any session.
    HermesSay { site: String },
}

/// A question to put to the hub, and where its answer goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Inbound {
    pub(crate) request: Request,
    pub(crate) answer: Answer,
    /// What identifies it if delivered again: its id, if it carries one.
    pub(crate) key: Option<Key>,
    /// When it was sent (`ts`, Unix milliseconds), if it says.
    pub(crate) sent_ms: Option<u64>,
}

/// A message we will not pass to the hub, and where to say so (if anywhere).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rejected {
    pub(crate) reason: String,
    pub(crate) answer: Option<Answer>,
}

/// The JSON form of a question; plain text is `{"text": …}`.
#[derive(Debug, Default, Deserialize)]
struct AskJson {
    id: Option<Value>,
    text: Option<String>,
    session_id: Option<String>,
    user: Option<String>,
    site_id: Option<String>,
    lang: Option<String>,
    reply_to: Option<String>,
    ts: Option<u64>,
}

/// Reads a message from `mirai/<hub_id>/ask`: plain UTF-8 text, or a JSON object.
pub(crate) fn parse_ask(payload: &[u8], topics: &Topics) -> Result<Inbound, Rejected> {
    let reject = |reason: &str, answer: Answer| Rejected {
        reason: reason.to_owned(),
        answer: Some(answer),
    };
    let ask = decode(payload).map_err(|r| reject(&r, plain(topics.reply(), None, None)))?;
    let (id, site) = (ask.id.clone(), ask.site_id.clone());
    let reply_to = ask.reply_to.as_deref().unwrap_or(topics.reply());
    if !topics.is_valid_reply_to(reply_to) {
        let answer = plain(topics.reply(), id, site);
        return Err(reject("reply_to is not a topic we may publish on", answer));
    }
    let answer = plain(reply_to, id, site);
    let words = checked_text(ask.text.as_deref()).map_err(|r| reject(r, answer.clone()))?;
    let fields = [&ask.session_id, &ask.user, &ask.site_id, &ask.lang];
    if (fields.iter()).any(|f| f.as_ref().is_some_and(|f| f.len() > MAX_FIELD_LEN)) {
        return Err(reject("session_id, user, site_id or lang too long", answer));
    }
    let key = (ask.id.as_ref()).map(|id| Key::request(&[&id.to_string(), words, reply_to]));
    let mut request = request_for(words, ask.site_id, ask.session_id);
    request.user = ask.user.unwrap_or_else(|| DEFAULT_USER.to_owned());
    request.lang = ask.lang;
    Ok(Inbound {
        request,
        answer,
        key,
        sent_ms: ask.ts,
    })
}

/// Why a question sent at `sent_ms` is too old to act on at `now_ms` (both Unix
/// milliseconds), if it is. A `ts` ahead of our clock is taken as now: clocks drift.
pub(crate) fn too_old(sent_ms: Option<u64>, now_ms: u64) -> Option<String> {
    let age_ms = now_ms.saturating_sub(sent_ms?);
    let max_ms = u64::try_from(MAX_AGE.as_millis()).unwrap_or(u64::MAX);
    (age_ms > max_ms).then(|| format!("this request is {} s old; not acted on", age_ms / 1000))
}

/// The question's fields: a JSON object if it looks like one, else the whole text.
fn decode(payload: &[u8]) -> Result<AskJson, String> {
    let text = std::str::from_utf8(payload).map_err(|_| "payload is not UTF-8".to_owned())?;
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| format!("bad JSON: {e}"));
    }
    Ok(AskJson {
        text: Some(text.to_owned()),
        ..AskJson::default()
    })
}

/// A JSON answer on `topic`.
fn plain(topic: &str, id: Option<Value>, site: Option<String>) -> Answer {
    Answer::Plain {
        topic: topic.to_owned(),
        id,
        site,
    }
}

/// The trimmed words, or why they cannot be asked.
pub(crate) fn checked_text(text: Option<&str>) -> Result<&str, &'static str> {
    match text.map(str::trim) {
        None => Err("no text"),
        Some("") => Err("empty text"),
        Some(t) if t.len() > MAX_TEXT_BYTES => Err("text too long"),
        Some(t) => Ok(t),
    }
}

/// A voice request from `site`, in `session` or the site's default `mqtt-<site>` session.
pub(crate) fn request_for(text: &str, site: Option<String>, session: Option<String>) -> Request {
    let session =
        session.unwrap_or_else(|| format!("mqtt-{}", site.as_deref().unwrap_or(DEFAULT_SITE)));
    let mut request = Request::new(text, Source::Voice, DEFAULT_USER, &session);
    request.site = site;
    request
}

impl Answer {
    /// The topic and payload that carry `reply`.
    pub(crate) fn render(&self, reply: &Reply) -> (String, Vec<u8>) {
        match self {
            Answer::Plain { topic, id, site } => {
                let body = json!({
                    "id": id, "text": reply.text, "actions": reply.to_json()["actions"],
                    "session_id": reply.session, "site_id": site,
                });
                (topic.clone(), body.to_string().into_bytes())
            }
            _ => self.speak(&reply.text),
        }
    }

    /// True if a repeated question gets this answer again: a plain reply, not Rhasspy's
    /// speech, which would say it twice.
    pub(crate) fn repeatable(&self) -> bool {
        matches!(self, Answer::Plain { .. })
    }

    /// The topic and payload that say why a question was not answered: `{"id", "error"}` on a
    /// plain reply topic, spoken words for Rhasspy.
    pub(crate) fn render_error(&self, error: &str, spoken: &str) -> (String, Vec<u8>) {
        match self {
            Answer::Plain { topic, id, .. } => {
                let body = json!({"id": id, "error": error});
                (topic.clone(), body.to_string().into_bytes())
            }
            _ => self.speak(spoken),
        }
    }

    fn speak(&self, text: &str) -> (String, Vec<u8>) {
        let (topic, body) = match self {
            Answer::HermesEnd { session_id } => (
                HERMES_END_SESSION,
                json!({"sessionId": session_id, "text": text}),
            ),
            Answer::HermesSay { site } => (HERMES_SAY, json!({"text": text, "siteId": site})),
            Answer::Plain { topic, .. } => {
                return (
                    topic.clone(),
                    json!({"text": text}).to_string().into_bytes(),
                );
            }
        };
        (topic.to_owned(), body.to_string().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Topics {
        Topics::new("kitchen", false)
    }

    #[test]
    fn plain_text_gets_the_defaults() {
        let got = parse_ask(b"  turn on the lights \n", &topics()).unwrap();
        assert_eq!(got.request.text, "turn on the lights");
        assert_eq!(got.request.source, Source::Voice);
        assert_eq!(
            (got.request.user.as_str(), got.request.session.as_str()),
            ("voice", "mqtt-default")
        );
        let Answer::Plain { topic, id, .. } = got.answer else {
            panic!()
        };
        assert_eq!((topic.as_str(), id), ("mirai/kitchen/reply", None));
    }

    #[test]
    fn json_fields_are_used() {
        let payload = br#"{"id": 7, "text": "hi", "site_id": "hall", "user": "ann", "lang": "en",
                           "reply_to": "phone/ann"}"#;
        let got = parse_ask(payload, &topics()).unwrap();
        let r = &got.request;
        assert_eq!((r.user.as_str(), r.session.as_str()), ("ann", "mqtt-hall"));
        assert_eq!(
            (r.site.as_deref(), r.lang.as_deref()),
            (Some("hall"), Some("en"))
        );
        let want = Answer::Plain {
            topic: "phone/ann".into(),
            id: Some(json!(7)),
            site: Some("hall".into()),
        };
        assert_eq!(got.answer, want);
        let got = parse_ask(br#"{"text":"x","session_id":"s1"}"#, &topics()).unwrap();
        assert_eq!(got.request.session, "s1");
    }

    #[test]
    fn bad_payloads_are_rejected_with_a_place_to_say_so() {
        let cases: [(&[u8], &str); 6] = [
            (b"\xff\xfe", "not UTF-8"),
            (b"", "empty text"),
            (b"   ", "empty text"),
            (br#"{"id": 1}"#, "no text"),
            (b"{not json", "bad JSON"),
            (br#"{"text": "x", "reply_to": "a/#"}"#, "reply_to"),
        ];
        for (payload, why) in cases {
            let err = parse_ask(payload, &topics()).unwrap_err();
            assert!(err.reason.contains(why), "{payload:?}: {}", err.reason);
            assert!(err.answer.is_some());
        }
        let long = "a".repeat(MAX_TEXT_BYTES + 1);
        assert_eq!(
            parse_ask(long.as_bytes(), &topics()).unwrap_err().reason,
            "text too long"
        );
    }

    #[test]
    fn an_id_makes_a_key_of_id_words_and_reply_topic() {
        let key = |p: &[u8]| parse_ask(p, &topics()).unwrap().key;
        assert_eq!(key(b"plain words"), None);
        assert_eq!(key(br#"{"text": "hi"}"#), None);
        let one = key(br#"{"id": 1, "text": "hi"}"#);
        assert!(one.is_some());
        assert_eq!(key(br#"{"id": 1, "text": " hi ", "user": "x"}"#), one);
        assert_ne!(key(br#"{"id": "1", "text": "hi"}"#), one);
        assert_ne!(key(br#"{"id": 1, "text": "bye"}"#), one);
        assert_ne!(key(br#"{"id": 1, "text": "hi", "reply_to": "a/b"}"#), one);
    }

    #[test]
    fn ts_is_read_and_an_old_question_is_refused() {
        let got = parse_ask(br#"{"text": "hi", "ts": 1700000000000}"#, &topics()).unwrap();
        assert_eq!(got.sent_ms, Some(1_700_000_000_000));
        let bad = parse_ask(br#"{"text": "hi", "ts": "yesterday"}"#, &topics()).unwrap_err();
        assert!(bad.reason.contains("bad JSON"), "{}", bad.reason);
        let max = u64::try_from(MAX_AGE.as_millis()).unwrap();
        let sent = 1_700_000_000_000;
        assert_eq!(too_old(None, sent), None);
        assert_eq!(too_old(Some(sent), sent + max), None);
        assert_eq!(
            too_old(Some(sent + 5_000), sent),
            None,
            "ahead of our clock"
        );
        assert_eq!(
            too_old(Some(sent), sent + max + 1),
            Some("this request is 300 s old; not acted on".to_owned())
        );
        assert_eq!(
            too_old(Some(sent), sent + 3_600_000).unwrap(),
            "this request is 3600 s old; not acted on"
        );
    }

    #[test]
    fn a_rejection_keeps_the_id_and_reply_to() {
        let err = parse_ask(br#"{"id": "q1", "reply_to": "app/1"}"#, &topics()).unwrap_err();
        let (topic, body) = err.answer.unwrap().render_error(&err.reason, "");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(topic, "app/1");
        assert_eq!(body, json!({"id": "q1", "error": "no text"}));
    }

    #[test]
    fn hermes_answers_are_spoken() {
        let end = Answer::HermesEnd {
            session_id: "s9".into(),
        };
        let (topic, body) = end.render_error("busy", "I am busy");
        assert_eq!(topic, HERMES_END_SESSION);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body, json!({"sessionId": "s9", "text": "I am busy"}));
        let (topic, body) = Answer::HermesSay {
            site: "hall".into(),
        }
        .speak("hello");
        assert_eq!(topic, HERMES_SAY);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body, json!({"text": "hello", "siteId": "hall"}));
    }
}

//! Streamed replies from the stand-in server: text as it arrives, tool calls assembled,
//! stalls and breaks after the first token never retried, and no secret in the logs.

mod support {
    pub mod client;
    pub mod openai;
}

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mirai::llm::{LlmError, Role};
use mirai::telemetry::logs::{LogSettings, build_with_writer};
use support::client::{Harness, KEY, ask};
use support::openai::{OpenAiServer, Reply};

fn stream(h: &Harness, role: Role) -> (Result<mirai::llm::Answer, LlmError>, Vec<String>) {
    let mut pieces = Vec::new();
    let result = h
        .llm
        .chat_stream(role, &ask("hi"), &mut |t| pieces.push(t.to_owned()));
    (result, pieces)
}

#[test]
fn text_reaches_the_caller_piece_by_piece() {
    let server = OpenAiServer::start();
    server.push(Reply::stream_text(&["Hel", "lo, ", "кухня"]));
    let h = Harness::new(&server.base_url(), "");
    let (answer, pieces) = stream(&h, Role::Main);
    let answer = answer.unwrap();
    assert_eq!(pieces, ["Hel", "lo, ", "кухня"]);
    assert_eq!(answer.response.text.as_deref(), Some("Hello, кухня"));
    assert_eq!(answer.response.finish_reason.as_deref(), Some("stop"));
    assert!(
        answer.response.usage.total_tokens > 0,
        "the usage chunk was read"
    );
    let sent = &server.requests()[0].body;
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert_eq!(h.llm.usage_today().unwrap().calls, 1);
}

#[test]
fn streamed_tool_calls_are_assembled() {
    let server = OpenAiServer::start();
    server.push(Reply::stream_tool_calls(&[
        ("call_a", "turn_on", r#"{"entity":"light.kitchen"}"#),
        (
            "call_b",
            "set_temperature",
            r#"{"entity":"climate.hall","value":21.5}"#,
        ),
    ]));
    let h = Harness::new(&server.base_url(), "");
    let (answer, pieces) = stream(&h, Role::Main);
    let calls = answer.unwrap().response.tool_calls;
    assert!(pieces.is_empty());
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "call_a");
    assert_eq!(
        calls[1].function.arguments,
        r#"{"entity":"climate.hall","value":21.5}"#
    );
}

#[test]
fn a_stream_that_stalls_after_its_first_token_is_cut_and_not_retried() {
    let server = OpenAiServer::start();
    server
        .push(Reply::stream_text(&["The kettle", " is on"]).pause_after(2, Duration::from_secs(5)));
    let h = Harness::new(&server.base_url(), "    stream_idle_timeout_s: 1\n");
    let (result, pieces) = stream(&h, Role::Main);
    let e = result.unwrap_err();
    assert!(matches!(e, LlmError::Stalled { .. }), "{e:?}");
    assert!(e.to_string().contains("stalled"), "{e}");
    assert_eq!(pieces, ["The kettle"]);
    assert_eq!(
        server.hits(),
        1,
        "no retry and no fallback once the user has heard a word"
    );
}

#[test]
fn a_stream_that_breaks_after_its_first_token_is_not_retried() {
    let server = OpenAiServer::start();
    server.push(Reply::stream_text(&["Hel", "lo"]).reset_after(2));
    let h = Harness::new(&server.base_url(), "");
    let (result, pieces) = stream(&h, Role::Main);
    assert!(
        matches!(result, Err(LlmError::StreamBroken { .. })),
        "{result:?}"
    );
    assert_eq!(pieces, ["Hel"]);
    assert_eq!(server.hits(), 1);
}

#[test]
fn failures_before_the_first_token_are_retried() {
    let server = OpenAiServer::start();
    server.push(Reply::status(503));
    server.push(Reply::stream_text(&["never heard"]).reset_after(1));
    server.push(Reply::stream_text(&["Hello"]));
    let h = Harness::new(&server.base_url(), "");
    let (answer, pieces) = stream(&h, Role::Main);
    assert_eq!(answer.unwrap().attempts, 3);
    assert_eq!(pieces, ["Hello"]);
}

/// A `Write` into a shared buffer, to read the log lines back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_key_never_reaches_a_log_line_even_when_the_server_echoes_it() {
    let server = OpenAiServer::start();
    let echo = format!("Incorrect API key provided: {KEY}");
    server.push(Reply::error(500, "server_error", "echo", &echo));
    server.push(Reply::error(500, "server_error", "echo", &echo));
    let h = Harness::new(&server.base_url(), "");
    let captured = Captured::default();
    let sink = captured.clone();
    let settings = LogSettings {
        filter: "debug".into(),
        ..LogSettings::default()
    };
    let (dispatch, guard) =
        build_with_writer(&settings, &[KEY.to_owned()], move || sink.clone()).unwrap();
    tracing::dispatcher::with_default(&dispatch, || {
        h.llm.chat(Role::Main, &ask("hi")).unwrap();
    });
    drop(guard);
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("retrying"),
        "the retries were logged:\n{text}"
    );
    assert!(text.contains("[REDACTED]"), "{text}");
    assert!(!text.contains(KEY), "the key leaked:\n{text}");
    assert!(
        !text.contains("0123456789abcdefghijklmnop"),
        "part of the key leaked:\n{text}"
    );
}

//! `mirai health` and the model: the endpoint check, and `--llm`'s "Say OK" round trip.

use super::Hub;
use super::openai::{OpenAiServer, Reply};

const KEY: &str = "sk-health-0123456789abcdefghij";

fn health(hub: &Hub, server: &OpenAiServer, args: &[&str]) -> super::Run {
    let mut all = vec!["health", "--json"];
    all.extend_from_slice(args);
    let out = hub
        .cmd(&all)
        .env("OPENAI_API_KEY", KEY)
        .env("OPENAI_BASE_URL", server.base_url())
        .output()
        .unwrap();
    super::Run(out)
}

fn check<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check: {v}"))
}

#[test]
fn a_reachable_endpoint_is_ok_and_costs_no_tokens() {
    let hub = Hub::scratch();
    let server = OpenAiServer::start();
    server.push(Reply::models(&["gpt-4o", "gpt-4o-mini"]));
    let v = health(&hub, &server, &[]).expect(0).json();
    assert_eq!(check(&v, "llm")["status"], "ok", "{v}");
    assert!(
        check(&v, "llm")["detail"]
            .as_str()
            .unwrap()
            .contains("2 models"),
        "{v}"
    );
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/models");
}

#[test]
fn an_unreachable_endpoint_is_a_warning_and_a_rejected_key_a_failure() {
    let hub = Hub::scratch();
    let server = OpenAiServer::start();
    server.push(Reply::status(503));
    let v = health(&hub, &server, &[]).expect(0).json();
    assert_eq!(check(&v, "llm")["status"], "warn", "{v}");
    server.push(Reply::error(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided",
    ));
    let run = health(&hub, &server, &[]).expect(1);
    let v = run.json();
    assert_eq!(check(&v, "llm")["status"], "fail", "{v}");
    assert!(!run.stdout().contains(KEY));
}

#[test]
fn llm_flag_asks_the_fast_model_to_say_ok_and_records_the_tokens() {
    let hub = Hub::scratch();
    let server = OpenAiServer::start();
    server.push(Reply::models(&["gpt-4o-mini"]));
    server.push(Reply::chat_text("OK"));
    let v = health(&hub, &server, &["--llm"]).expect(0).json();
    assert_eq!(check(&v, "llm_reply")["status"], "ok", "{v}");
    let chat = &server.requests()[1];
    assert_eq!(chat.body["model"], "gpt-4o-mini");
    assert!(
        chat.body["messages"].to_string().contains("Say OK"),
        "{}",
        chat.body
    );
    let db = rusqlite::Connection::open(hub.data().join("mirai.db")).unwrap();
    let calls: i64 = db
        .query_row("SELECT sum(calls) FROM llm_usage", [], |r| r.get(0))
        .unwrap();
    assert_eq!(calls, 1, "the tokens of the check are in the budget ledger");
}

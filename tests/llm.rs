//! The model client against a stand-in OpenAI server on 127.0.0.1: the real wire format,
//! real sockets, and every fault a home connection produces.

mod support {
    pub mod client;
    pub mod openai;
}

use std::time::Duration;

use mirai::llm::breaker::BreakerState;
use mirai::llm::wire::Tool;
use mirai::llm::{LlmError, Role};
use serde_json::json;
use support::client::{Harness, KEY, ask};
use support::openai::{MODEL, OpenAiServer, Reply};

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

#[test]
fn a_chat_sends_the_profile_and_the_key_and_parses_tool_calls() {
    let server = OpenAiServer::start();
    server.push(Reply::chat_tool_calls(vec![
        ("call_1", "turn_on", r#"{"entity":"light.kitchen"}"#),
        ("call_2", "turn_off", r#"{"entity":"light.hall"}"#),
    ]));
    let h = Harness::new(&server.base_url(), "");
    let tool = Tool::function("turn_on", "Turn a device on", json!({"type": "object"}));
    let req = ask("lights").with_tools(vec![tool]);
    let answer = h.llm.chat(Role::Main, &req).unwrap();
    let calls = &answer.response.tool_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].function.name, "turn_off");
    assert_eq!(calls[0].function.arguments, r#"{"entity":"light.kitchen"}"#);
    assert_eq!(
        (answer.role, answer.endpoint, answer.attempts),
        (Role::Main, "cloud", 1)
    );

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(
        sent.header("idempotency-key")
            .unwrap()
            .starts_with("mirai-")
    );
    assert_eq!(sent.body["model"], "gpt-4o");
    assert_eq!(sent.body["temperature"], json!(0.7));
    assert_eq!(sent.body["max_tokens"], 1024);
    assert_eq!(sent.body["tools"][0]["function"]["name"], "turn_on");
}

#[test]
fn usage_is_recorded_with_its_cost() {
    let server = OpenAiServer::start();
    let h = Harness::new(&server.base_url(), "");
    let answer = h.llm.chat(Role::Main, &ask("hi")).unwrap();
    let u = answer.response.usage;
    assert!(u.prompt_tokens > 0 && u.total_tokens == u.prompt_tokens + u.completion_tokens);
    // The server answers as gpt-4o-2024-08-06, priced as gpt-4o: $2.50 / $10 per million.
    assert_eq!(answer.response.model, MODEL);
    let want = (u.prompt_tokens as f64 * 2.5 + u.completion_tokens as f64 * 10.0) / 1e6;
    assert!(
        (answer.cost_usd - want).abs() < 1e-12,
        "{} vs {want}",
        answer.cost_usd
    );
    let today = h.llm.usage_today().unwrap();
    assert_eq!(today.calls, 1);
    assert_eq!(today.tokens, u.total_tokens);
    assert!(today.by_model.contains_key(MODEL));
}

#[test]
fn server_errors_are_retried_with_exponential_backoff_and_one_idempotency_key() {
    let server = OpenAiServer::start();
    for status in [500, 503, 502] {
        server.push(Reply::status(status));
    }
    let h = Harness::new(&server.base_url(), "");
    let answer = h.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert_eq!(answer.attempts, 4);
    assert_eq!(h.waits(), [ms(200), ms(400), ms(800)]);
    let keys: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 4);
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    // A second logical call gets a new key.
    h.llm.chat(Role::Main, &ask("again")).unwrap();
    assert_ne!(
        server.requests()[4].header("idempotency-key").unwrap(),
        keys[0]
    );
}

#[test]
fn retries_stop_at_max_retries_and_then_the_fallback_role_answers() {
    let server = OpenAiServer::start();
    for _ in 0..3 {
        server.push(Reply::status(503));
    }
    let h = Harness::new(&server.base_url(), "    max_retries: 2\n");
    let answer = h.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert_eq!(
        answer.role,
        Role::Fast,
        "main failed three times, so fast answered"
    );
    let models: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.body["model"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(models, ["gpt-4o", "gpt-4o", "gpt-4o", "gpt-4o-mini"]);
}

#[test]
fn rate_limits_honour_retry_after_in_every_form() {
    let server = OpenAiServer::start();
    server.push(
        Reply::error(429, "requests", "rate_limit_exceeded", "slow down")
            .header("retry-after-ms", "1500"),
    );
    server.push(
        Reply::error(429, "requests", "rate_limit_exceeded", "slow down")
            .header("retry-after", "3"),
    );
    let h = Harness::new(&server.base_url(), "");
    h.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert_eq!(h.waits(), [ms(1500), ms(3000)]);
}

#[test]
fn a_retry_after_beyond_the_cap_fails_fast_and_says_how_long() {
    let server = OpenAiServer::start();
    server.push(
        Reply::error(429, "requests", "rate_limit_exceeded", "slow down")
            .header("retry-after", "600"),
    );
    let h = Harness::new(
        &server.base_url(),
        "    retry_after_cap_s: 60\n  fallbacks: {main: []}\n",
    );
    let err = h.llm.chat(Role::Main, &ask("hi")).unwrap_err();
    assert!(
        matches!(err, LlmError::RateLimited { wait: Some(w), .. } if w == Duration::from_secs(600)),
        "{err:?}"
    );
    assert!(err.to_string().contains("600s"), "{err}");
    assert_eq!(server.hits(), 1);
    assert!(h.waits().is_empty());
}

#[test]
fn client_errors_are_never_retried() {
    let server = OpenAiServer::start();
    server.push(Reply::error(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided",
    ));
    server.push(Reply::error(
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota",
    ));
    server.push(Reply::error(
        400,
        "invalid_request_error",
        "bad",
        "messages is required",
    ));
    let h = Harness::new(&server.base_url(), "  fallbacks: {main: []}\n");
    let e = h.llm.chat(Role::Main, &ask("hi")).unwrap_err();
    assert!(
        matches!(e, LlmError::KeyRejected { status: 401, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("OPENAI_API_KEY"), "{e}");
    let e = h.llm.chat(Role::Main, &ask("hi")).unwrap_err();
    assert!(matches!(e, LlmError::QuotaExhausted { .. }), "{e:?}");
    let e = h.llm.chat(Role::Main, &ask("hi")).unwrap_err();
    assert!(matches!(e, LlmError::Api { status: 400, .. }), "{e:?}");
    assert!(e.to_string().contains("messages is required"), "{e}");
    assert_eq!(server.hits(), 3, "one request each");
    assert!(h.waits().is_empty());
}

#[test]
fn x_should_retry_overrides_the_status() {
    let server = OpenAiServer::start();
    server.push(Reply::status(500).header("x-should-retry", "false"));
    server.push(Reply::status(400).header("x-should-retry", "true"));
    let h = Harness::new(&server.base_url(), "  fallbacks: {main: []}\n");
    assert!(h.llm.chat(Role::Main, &ask("hi")).is_err());
    assert_eq!(
        server.hits(),
        1,
        "500 with x-should-retry: false is not retried"
    );
    h.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert_eq!(server.hits(), 3, "400 with x-should-retry: true is retried");
}

#[test]
fn broken_and_malformed_bodies() {
    let server = OpenAiServer::start();
    server.push(Reply::reset_mid_body());
    server.push(Reply::truncated_json());
    server.push(Reply::close_without_response());
    let h = Harness::new(&server.base_url(), "");
    let answer = h.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert_eq!(
        answer.attempts, 4,
        "reset, truncated and closed are all retried"
    );

    server.push(Reply::malformed_json());
    let h = Harness::new(&server.base_url(), "  fallbacks: {main: []}\n");
    let e = h.llm.chat(Role::Main, &ask("hi")).unwrap_err();
    assert!(matches!(e, LlmError::BadResponse { .. }), "{e:?}");
    assert_eq!(
        server.hits(),
        5,
        "a 200 that makes no sense is not asked again"
    );
}

#[test]
fn a_slow_server_times_out_and_is_retried() {
    let server = OpenAiServer::start();
    server.push(Reply::chat_text("late").delay(Duration::from_millis(2500)));
    let h = Harness::new(&server.base_url(), "    timeout_s: 1\n    max_retries: 1\n");
    let answer = h.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert_eq!(answer.attempts, 2);
    assert_eq!(answer.response.text.as_deref(), Some("ok"));
}

#[test]
fn the_breaker_opens_fails_fast_then_probes_and_closes() {
    let server = OpenAiServer::start();
    server.set_default(Reply::status(503));
    let yaml = "    max_retries: 0\n  fallbacks: {main: []}\ncircuit_breaker:\n  failure_threshold: 2\n  timeout_s: 60\n  half_open_interval_s: 30\n";
    let h = Harness::new(&server.base_url(), yaml);
    for _ in 0..2 {
        assert!(matches!(
            h.llm.chat(Role::Main, &ask("hi")),
            Err(LlmError::Api { status: 503, .. })
        ));
    }
    let state = &h.llm.breakers()[0];
    assert_eq!(state.0, "cloud /chat/completions");
    assert!(matches!(state.1, BreakerState::Open { .. }), "{state:?}");
    let e = h.llm.chat(Role::Main, &ask("hi")).unwrap_err();
    assert!(matches!(e, LlmError::Unavailable { .. }), "{e:?}");
    assert!(e.to_string().contains("unavailable since"), "{e}");
    assert_eq!(
        server.hits(),
        2,
        "an open breaker does not touch the network"
    );

    h.advance(Duration::from_secs(61));
    assert!(
        h.llm.chat(Role::Main, &ask("hi")).is_err(),
        "the probe fails"
    );
    assert!(matches!(
        h.llm.breakers()[0].1,
        BreakerState::HalfOpen { .. }
    ));
    assert!(matches!(
        h.llm.chat(Role::Main, &ask("hi")),
        Err(LlmError::Unavailable { .. })
    ));
    assert_eq!(server.hits(), 3);

    server.set_default(Reply::chat_text("back"));
    h.advance(Duration::from_secs(31));
    h.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert!(matches!(
        h.llm.breakers()[0].1,
        BreakerState::Closed { failures: 0 }
    ));
}

#[test]
fn a_missing_model_falls_back_to_the_next_role() {
    let server = OpenAiServer::start();
    server.push(Reply::error(
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `gpt-4.1` does not exist",
    ));
    let h = Harness::new(&server.base_url(), "");
    let answer = h.llm.chat(Role::Heavy, &ask("plan")).unwrap();
    assert_eq!(answer.role, Role::Main);
    let models: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.body["model"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(models, ["gpt-4.1", "gpt-4o"]);
}

#[test]
fn the_local_server_answers_when_the_cloud_is_down_or_there_is_no_key() {
    let cloud = OpenAiServer::start();
    cloud.set_default(Reply::close_without_response());
    let local = OpenAiServer::start();
    local.push(Reply::chat_text("from the shelf"));
    let yaml = format!(
        "    max_retries: 0\n  local:\n    base_url: {}\n    models: {{main: llama3.2, fast: llama3.2:1b}}\n",
        local.base_url()
    );
    let h = Harness::new(&cloud.base_url(), &yaml);
    let answer = h.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert_eq!(answer.endpoint, "local");
    assert_eq!(local.requests()[0].body["model"], "llama3.2");
    assert!(
        local.requests()[0].header("authorization").is_none(),
        "the cloud key stays with the cloud"
    );

    let offline = Harness::with_env(&cloud.base_url(), &yaml, &[]);
    let before = cloud.hits();
    let answer = offline.llm.chat(Role::Main, &ask("hi")).unwrap();
    assert_eq!(answer.endpoint, "local");
    assert_eq!(
        cloud.hits(),
        before,
        "without a key the cloud is not called"
    );
}

#[test]
fn no_key_and_no_local_server_says_what_to_set() {
    let server = OpenAiServer::start();
    let h = Harness::with_env(&server.base_url(), "", &[]);
    let e = h.llm.chat(Role::Main, &ask("hi")).unwrap_err();
    assert!(matches!(e, LlmError::KeyMissing));
    assert!(e.to_string().contains("OPENAI_API_KEY"));
    assert_eq!(server.hits(), 0);
}

#[test]
fn the_daily_token_budget_refuses_before_calling() {
    let server = OpenAiServer::start();
    let h = Harness::new(&server.base_url(), "  budget:\n    daily_tokens: 20\n");
    h.llm.chat(Role::Main, &ask("one")).unwrap();
    let used = h.llm.usage_today().unwrap().tokens;
    assert!(used > 0 && used < 20, "{used}");
    h.llm.chat(Role::Main, &ask("two")).unwrap();
    let e = h.llm.chat(Role::Main, &ask("three")).unwrap_err();
    assert!(matches!(e, LlmError::Budget(_)), "{e:?}");
    assert!(e.to_string().contains("daily_tokens"), "{e}");
    assert_eq!(
        server.hits(),
        2,
        "the refused call never reached the server"
    );
    // A new UTC day starts a new budget.
    h.advance(Duration::from_secs(86_400));
    h.llm.chat(Role::Main, &ask("tomorrow")).unwrap();
}

#[test]
fn embeddings_ask_for_the_configured_dimensions() {
    let server = OpenAiServer::start();
    server.push(Reply::embeddings(vec![vec![0.5, -0.25], vec![1.0, 0.0]]));
    let h = Harness::new(&server.base_url(), "");
    let e = h.llm.embed(&["kitchen".into(), "hall".into()]).unwrap();
    assert_eq!(e.vectors, [vec![0.5, -0.25], vec![1.0, 0.0]]);
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1/embeddings");
    assert_eq!(sent.body["model"], "text-embedding-3-small");
    assert_eq!(sent.body["dimensions"], 256);
    assert_eq!(sent.body["input"], json!(["kitchen", "hall"]));
}

#[test]
fn models_lists_ids_and_needs_a_key() {
    let server = OpenAiServer::start();
    server.push(Reply::models(&["gpt-4o", "gpt-4o-mini"]));
    let h = Harness::new(&server.base_url(), "");
    assert_eq!(
        h.llm.models(Duration::from_secs(5)).unwrap(),
        ["gpt-4o", "gpt-4o-mini"]
    );
    assert_eq!(server.requests()[0].path, "/v1/models");
    let keyless = Harness::with_env(&server.base_url(), "", &[]);
    assert!(matches!(
        keyless.llm.models(Duration::from_secs(5)),
        Err(LlmError::KeyMissing)
    ));
}

#[test]
fn organization_and_project_headers_are_sent_when_configured() {
    let server = OpenAiServer::start();
    let h = Harness::new(
        &server.base_url(),
        "  organization: org-home\n  project: proj-hub\n",
    );
    h.llm.chat(Role::Fast, &ask("hi")).unwrap();
    let sent = &server.requests()[0];
    assert_eq!(sent.header("openai-organization"), Some("org-home"));
    assert_eq!(sent.header("openai-project"), Some("proj-hub"));
    let plain = Harness::new(&server.base_url(), "");
    plain.llm.chat(Role::Fast, &ask("hi")).unwrap();
    assert!(server.requests()[1].header("openai-organization").is_none());
}

#[test]
fn the_daily_cost_cap_refuses_once_spent() {
    let server = OpenAiServer::start();
    // gpt-4o at $2.50/$10 per million: one reply of the stand-in costs about $0.000035.
    let h = Harness::new(
        &server.base_url(),
        "  budget:\n    daily_cost_usd: 0.00005\n",
    );
    h.llm.chat(Role::Main, &ask("one")).unwrap();
    h.llm.chat(Role::Main, &ask("two")).unwrap();
    let e = h.llm.chat(Role::Main, &ask("three")).unwrap_err();
    assert!(matches!(e, LlmError::Budget(_)), "{e:?}");
    assert!(e.to_string().contains("daily_cost_usd"), "{e}");
    assert_eq!(server.hits(), 2);
}

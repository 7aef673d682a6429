//! Model client overhead: what MIRAI's client adds to a call beyond the server's own time.
//!
//! Both sides run against the same stand-in OpenAI server on 127.0.0.1 answering at once:
//! a bare client (a prepared HTTP/1.1 request on a kept-alive `TcpStream`, reading the
//! response by its Content-Length) gives the floor — loopback plus the server — and MIRAI's
//! `Llm::chat` gives the real path: routing, budget check, breaker, retry bookkeeping, JSON
//! body, ureq, parsing, usage recorded. The difference is the client's overhead.
//! `cargo bench --bench llm`.

#[path = "support/measure.rs"]
mod measure;
#[path = "../tests/support/openai.rs"]
mod openai;

use std::sync::Arc;
use std::time::Duration;

use measure::{bare_chat, ms, pct, row, time};
use mirai::config::{Config, Env, Origin};
use mirai::llm::budget::MemoryLedger;
use mirai::llm::wire::{ChatMessage, ChatRequest};
use mirai::llm::{Environment, Llm, Role};
use openai::{OpenAiServer, Reply};

const WARMUP: usize = 200;
const CALLS: usize = 5_000;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("llm benchmark: run it with `cargo bench --bench llm`");
        return;
    }
    let server = OpenAiServer::start();
    server.set_default(Reply::chat_text("The kitchen light is off."));
    let floor = bare_chat(server.addr(), "turn off the kitchen light", WARMUP, CALLS);
    let ours = mirai_client(&server);
    println!("| measure | p50 | p99 | target |");
    println!("|---|---|---|---|");
    row("bare HTTP client, same server (floor)", &floor, "—");
    row("mirai Llm::chat, whole call", &ours, "—");
    let (p50, p99) = (
        pct(&ours, 50) - pct(&floor, 50),
        pct(&ours, 99) - pct(&floor, 99),
    );
    println!(
        "| client overhead (difference) | {:.3} ms | {:.3} ms | p50 ≤ 0.3 ms, p99 ≤ 1 ms |",
        ms(p50),
        ms(p99)
    );
}

fn mirai_client(server: &OpenAiServer) -> Vec<Duration> {
    let env = Env::from_pairs([
        ("OPENAI_API_KEY", "sk-bench-0123456789abcdefghij".to_owned()),
        ("OPENAI_BASE_URL", server.base_url()),
    ]);
    let config = Config::from_text("", Origin::Defaults, None, &env).unwrap();
    let llm = Llm::new(&config, Arc::new(MemoryLedger::new()), Environment::real());
    let request = ChatRequest::new(vec![
        ChatMessage::system("You are MIRAI, a home assistant."),
        ChatMessage::user("turn off the kitchen light"),
    ]);
    time(WARMUP, CALLS, |_| {
        let answer = llm.chat(Role::Main, &request).unwrap();
        assert!(answer.response.text.is_some());
    })
}

//! Model client overhead: what MIRAI's client adds to a call beyond the server's own time.
//!
//! Both sides run against the same stand-in OpenAI server on 127.0.0.1 answering at once:
//! a bare client (a prepared HTTP/1.1 request on a kept-alive `TcpStream`, reading the
//! response by its Content-Length) gives the floor — loopback plus the server — and MIRAI's
//! `Llm::chat` gives the real path: routing, budget check, breaker, retry bookkeeping, JSON
//! body, ureq, parsing, usage recorded. The difference is the client's overhead.
//! `cargo bench --bench llm`.

#[path = "../tests/support/openai.rs"]
mod openai;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    let floor = bare_client(&server);
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
    time(|| {
        let answer = llm.chat(Role::Main, &request).unwrap();
        assert!(answer.response.text.is_some());
    })
}

fn bare_client(server: &OpenAiServer) -> Vec<Duration> {
    let body =
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"turn off the kitchen light"}]}"#;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        server.addr(),
        body.len()
    );
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    time(|| {
        writer.write_all(request.as_bytes()).unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut buf = vec![0; length];
        reader.read_exact(&mut buf).unwrap();
    })
}

fn time(mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..WARMUP {
        f();
    }
    let mut samples: Vec<Duration> = (0..CALLS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples
}

fn pct(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn row(name: &str, samples: &[Duration], target: &str) {
    println!(
        "| {name} | {:.3} ms | {:.3} ms | {target} |",
        ms(pct(samples, 50)),
        ms(pct(samples, 99))
    );
}

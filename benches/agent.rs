//! Agent overhead: what a turn costs beyond the model's own time, with a big memory.
//!
//! The memory file holds 1,000,000 messages (`MIRAI_BENCH_MESSAGES` scales it down). Two
//! paths are timed through `Agent::handle`: a local-intent command (no model at all) and a
//! model turn against the stand-in OpenAI server on 127.0.0.1 answering at once. The model's
//! own time is measured the same way as in the llm bench: a bare client sending a prepared
//! request on a kept-alive socket to the same server; a model turn here makes one call.
//! `cargo bench --bench agent`.

#[path = "support/measure.rs"]
mod measure;
#[path = "../tests/support/openai.rs"]
mod openai;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use measure::{bare_chat, ms, pct, row, time};
use mirai::agent::{Agent, Request, Source};
use mirai::config::{Config, Env, Origin};
use mirai::devices::demo::DemoHouse;
use mirai::devices::{Area, Backend, DeviceError, Entity, Outcome, Registry, ServiceCall};
use mirai::llm::budget::MemoryLedger;
use mirai::llm::{Environment, Llm};
use mirai::memory::{CHECKPOINT_EVERY, Checkpointer, Memory, NewMessage, Role, Settings};
use openai::{OpenAiServer, Reply};

const SESSIONS: usize = 1_000;
const FILL_BATCH: usize = 10_000;
const TURNS: usize = 2_000;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("agent benchmark: run it with `cargo bench --bench agent`");
        return;
    }
    let total: usize = std::env::var("MIRAI_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirai.db");
    fill(&db, total);
    let server = OpenAiServer::start();
    server.set_default(Reply::chat_text("It will be sunny and mild."));
    let house = Arc::new(Stamped {
        inner: DemoHouse::builtin(),
        last_call: Mutex::new(None),
    });
    let agent = agent(&db, &server, house.clone());
    let _checkpoints = Checkpointer::start(&db, CHECKPOINT_EVERY).unwrap();

    let mut to_device = Vec::with_capacity(TURNS + TURNS / 10);
    let local = time(TURNS / 10, TURNS, |i| {
        let text = if i % 2 == 0 {
            "turn off the kitchen light"
        } else {
            "turn on the kitchen light"
        };
        let start = Instant::now();
        let reply = agent.handle(&Request::new(text, Source::Cli, "bench", "session-7"));
        assert_eq!(reply.via, "local_intent");
        let at = house
            .last_call
            .lock()
            .unwrap()
            .take()
            .expect("the light was called");
        to_device.push(at - start);
    });
    // The warm-up turns come first; keep the counted ones.
    to_device.drain(..to_device.len() - TURNS);
    to_device.sort();
    let model = time(TURNS / 10, TURNS, |_| {
        let reply = agent.handle(&Request::new(
            "what will the weather be like?",
            Source::Cli,
            "bench",
            "session-7",
        ));
        assert_eq!(reply.via, "model", "{}", reply.text);
    });
    let floor = bare_chat(
        server.addr(),
        "what will the weather be like?",
        TURNS / 10,
        TURNS,
    );
    println!("messages stored: {total}\n");
    println!("| measure | p50 | p99 | target |\n|---|---|---|---|");
    row(
        "local-intent command: request → device command",
        &to_device,
        "p99 ≤ 1 ms",
    );
    row("local-intent command: whole turn, reply saved", &local, "—");
    row(
        "model turn, whole (stand-in model answers at once)",
        &model,
        "—",
    );
    row(
        "the model call alone (bare client, same server)",
        &floor,
        "—",
    );
    let over = |p| ms(pct(&model, p)) - ms(pct(&floor, p));
    println!(
        "| agent overhead beyond the model's time | {:.3} ms | {:.3} ms | p99 ≤ 5 ms |",
        over(50),
        over(99)
    );
}

fn fill(db: &std::path::Path, total: usize) {
    let mut memory = Memory::open(db, &Settings::default()).unwrap();
    let sessions: Vec<String> = (0..SESSIONS).map(|i| format!("session-{i}")).collect();
    for s in &sessions {
        memory.ensure_session(s, "bench", "bench").unwrap();
    }
    let texts: Vec<String> = (0..FILL_BATCH)
        .map(|i| format!("message {i} about the lights and the weather"))
        .collect();
    let now = mirai::clock::now_ms();
    for batch in 0..total.div_ceil(FILL_BATCH) {
        let n = FILL_BATCH.min(total - batch * FILL_BATCH);
        let rows: Vec<NewMessage<'_>> = (0..n)
            .map(|i| NewMessage {
                session: &sessions[(batch * FILL_BATCH + i) % SESSIONS],
                role: if i % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                },
                content: &texts[i],
                created_at: Some(now - ((total - batch * FILL_BATCH - i) as i64) * 10),
            })
            .collect();
        memory.save_messages(&rows).unwrap();
    }
}

/// The demo house, noting when each device command reaches it.
struct Stamped {
    inner: DemoHouse,
    last_call: Mutex<Option<Instant>>,
}

impl Backend for Stamped {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn entities(&self) -> Vec<Entity> {
        self.inner.entities()
    }
    fn areas(&self) -> Vec<Area> {
        self.inner.areas()
    }
    fn call(&self, call: &ServiceCall) -> Result<Outcome, DeviceError> {
        *self.last_call.lock().unwrap() = Some(Instant::now());
        self.inner.call(call)
    }
}

fn agent(db: &std::path::Path, server: &OpenAiServer, house: Arc<Stamped>) -> Agent {
    let env = Env::from_pairs([
        ("OPENAI_API_KEY", "sk-bench-0123456789abcdefghij".to_owned()),
        ("OPENAI_BASE_URL", server.base_url()),
    ]);
    let config = Config::from_text("", Origin::Defaults, None, &env).unwrap();
    let memory = Memory::open(db, &Settings::default()).unwrap();
    // As the daemon runs it: checkpoints on their own thread, none inside a request.
    memory.set_auto_checkpoint(0).unwrap();
    let llm = Llm::new(&config, Arc::new(MemoryLedger::new()), Environment::real());
    let mut registry = Registry::new();
    registry.add(house);
    Agent::new(&config, memory, llm, registry).unwrap()
}

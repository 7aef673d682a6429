//! Entity retrieval in a big house: 2,000 synthetic entities over 60 areas (the tests' big
//! house). Timed: building the index and the intents parser (what a generation change
//! costs), ranking the entities for many request texts, and the size of a device command's
//! prompt as the agent sends it to the stand-in model on 127.0.0.1.
//! `cargo bench --bench retrieval`.

#[path = "../tests/support/house.rs"]
mod house;
#[path = "support/measure.rs"]
#[allow(dead_code)]
mod measure;
#[path = "../tests/support/openai.rs"]
mod openai;

use std::sync::Arc;

use house::{BigHouse, ENTITIES};
use measure::{ms, pct, row, time};
use mirai::agent::intents::Intents;
use mirai::agent::retrieval::{EntityIndex, MAX_RELEVANT};
use mirai::agent::{Agent, Request, Source};
use mirai::config::{Config, Env, Origin};
use mirai::devices::{Backend, Registry};
use mirai::llm::budget::MemoryLedger;
use mirai::llm::{Environment, Llm};
use mirai::memory::{Memory, Settings};
use openai::{OpenAiServer, Reply};

const ROUNDS: usize = 20;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("retrieval benchmark: run it with `cargo bench --bench retrieval`");
        return;
    }
    let house = Arc::new(BigHouse::new());
    let (entities, areas) = (house.entities(), house.areas());
    let index_build = time(2, ROUNDS, |_| {
        std::hint::black_box(EntityIndex::new(&entities, &areas));
    });
    let intents_build = time(2, ROUNDS, |_| {
        std::hint::black_box(Intents::new(&entities, &areas));
    });
    let index = EntityIndex::new(&entities, &areas);
    let texts = requests(&entities, &areas);
    let rank = time(texts.len(), texts.len() * 10, |i| {
        std::hint::black_box(index.relevant(&texts[i % texts.len()], MAX_RELEVANT));
    });
    println!(
        "{ENTITIES} entities, {} areas, {} request texts\n",
        areas.len(),
        texts.len()
    );
    println!("| measure | p50 | p99 | target |\n|---|---|---|---|");
    row(
        "rank the entities for a request (top 12)",
        &rank,
        "p99 ≤ 2 ms",
    );
    row("build the entity index", &index_build, "—");
    row("build the intents parser", &intents_build, "—");
    prompt(house);
}

/// Request texts as people say them: names, areas in both languages, kinds, and none.
fn requests(entities: &[mirai::devices::Entity], areas: &[mirai::devices::Area]) -> Vec<String> {
    let mut texts = Vec::new();
    for (i, e) in entities.iter().enumerate().step_by(7) {
        texts.push(match i % 3 {
            0 => format!("turn on the {}", e.name.to_lowercase()),
            1 => format!("could you dim the {} a little, it's too bright", e.name),
            _ => format!("is the {} on?", e.name),
        });
    }
    for a in areas {
        texts.push(format!("what's on in the {}?", a.name));
        texts.push(format!("make the {} cosy for the evening", a.name));
        if let Some(ru) = a.aliases.first() {
            texts.push(format!("выключи свет: {ru}, пожалуйста"));
        }
    }
    texts.extend(
        [
            "what will the weather be like tomorrow?",
            "tell me a joke",
            "turn off all the lights",
        ]
        .map(str::to_owned),
    );
    texts
}

/// The bodies the agent sends the stand-in model for device commands, in bytes.
fn prompt(house: Arc<BigHouse>) {
    let server = OpenAiServer::start();
    server.set_default(Reply::chat_text("Done."));
    let env = Env::from_pairs([
        ("OPENAI_API_KEY", "sk-bench-0123456789abcdefghij".to_owned()),
        ("OPENAI_BASE_URL", server.base_url()),
    ]);
    let config = Config::from_text("", Origin::Defaults, None, &env).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::open(&dir.path().join("mirai.db"), &Settings::default()).unwrap();
    let llm = Llm::new(&config, Arc::new(MemoryLedger::new()), Environment::real());
    let mut registry = Registry::new();
    registry.add(house);
    let agent = Agent::new(&config, memory, llm, registry).unwrap();
    let commands = [
        "turn the upstairs kitchen LED strip to a warm sunset glow",
        "set the guest bedroom thermostat to something cosy",
        "open the living room blinds halfway and switch off the floor lamp there",
        "включи в гостиной торшер и сделай уютно",
        "turn off every light upstairs except the hallway",
    ];
    println!(
        "\n| device command (fresh session) | request bytes | ≈ tokens (bytes/4) |\n|---|---|---|"
    );
    let mut turn = Vec::new();
    for (n, text) in commands.iter().enumerate() {
        let session = format!("prompt-{n}");
        let started = std::time::Instant::now();
        let reply = agent.handle(&Request::new(*text, Source::Cli, "bench", &session));
        turn.push(started.elapsed());
        assert_eq!(reply.via, "model", "{text}: {}", reply.text);
        let sent = server.requests();
        let bytes = serde_json::to_string(&sent.last().unwrap().body)
            .unwrap()
            .len();
        println!("| {text} | {bytes} | {} |", bytes.div_ceil(4));
    }
    turn.sort();
    println!(
        "\nmodel turn, whole, in the big house: max {:.3} ms",
        ms(pct(&turn, 100))
    );
}

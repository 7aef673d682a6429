//! Retrieval memory end to end: a real SQLite file, the agent, and the stand-in OpenAI
//! server on 127.0.0.1 answering embeddings from the text (a hashed bag of concepts, see
//! `support/embed.rs`) and the fast model's fact changes as scripted per conversation.

mod support {
    pub mod embed;
    pub mod openai;
}

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mirai::agent::{Agent, Request, Source, Upkeep, UpkeepSettings};
use mirai::config::{Config, Env, Origin};
use mirai::devices::Registry;
use mirai::llm::budget::MemoryLedger;
use mirai::llm::{Environment, Llm};
use mirai::memory::{Kind, Memory, RecallQuery, Role};
use serde_json::{Value, json};
use support::embed;
use support::openai::{OpenAiServer, Recorded, Reply};

const DIMS: usize = 256;

/// How the server answers: embeddings from the text (or a failure), chat by script.
#[derive(Clone, Default)]
struct Script {
    embeddings_down: Arc<Mutex<bool>>,
    /// (words the request contains, the fast model's answer)
    facts: Arc<Mutex<Vec<(String, String)>>>,
}

fn server() -> (OpenAiServer, Script) {
    let server = OpenAiServer::start();
    let script = Script::default();
    let s = script.clone();
    server.set_responder(move |r: &Recorded| {
        if r.path.ends_with("/embeddings") {
            if *s.embeddings_down.lock().unwrap() {
                return Some(Reply::status(503));
            }
            let dims = r.body["dimensions"].as_u64().unwrap_or(1536) as usize;
            let vectors = r.body["input"]
                .as_array()?
                .iter()
                .map(|t| embed::embed(t.as_str().unwrap_or_default(), dims))
                .collect();
            return Some(Reply::embeddings(vectors));
        }
        let text = r.body.to_string();
        if text.contains("fact_changes") {
            let facts = s.facts.lock().unwrap();
            let answer = facts.iter().find(|(key, _)| text.contains(key.as_str()));
            return Some(Reply::chat_text(
                answer.map_or(r#"{"changes":[]}"#, |a| &a.1),
            ));
        }
        None
    });
    (server, script)
}

fn config(server: &OpenAiServer, yaml: &str) -> Config {
    let vars = vec![
        ("OPENAI_BASE_URL".to_owned(), server.base_url()),
        (
            "OPENAI_API_KEY".to_owned(),
            "sk-recall-test-0123456789abcdef".to_owned(),
        ),
    ];
    let text = format!("openai:\n  defaults:\n    max_retries: 0\n{yaml}");
    Config::from_text(&text, Origin::Defaults, None, &Env::from_pairs(vars)).unwrap()
}

fn agent(config: &Config, db: &std::path::Path) -> Agent {
    let memory = Memory::open(db, &mirai::app::memory_settings(config)).unwrap();
    let llm = Llm::new(config, Arc::new(MemoryLedger::new()), Environment::real());
    Agent::new(config, memory, llm, Registry::new()).unwrap()
}

fn upkeep(batch_size: usize) -> UpkeepSettings {
    UpkeepSettings {
        embeddings: true,
        batch_size,
        interval: Duration::from_millis(20),
        facts: true,
        idle: Duration::from_secs(60),
    }
}

fn memory<T>(agent: &Agent, f: impl FnOnce(&mut Memory) -> T) -> T {
    f(&mut agent.memory().lock().unwrap())
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (n(a) * n(b))
}

fn embeddings_requests(server: &OpenAiServer) -> Vec<Value> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/embeddings"))
        .map(|r| r.body)
        .collect()
}

const HOUSE: &[&str] = &[
    "The car is parked in the garage",
    "The spare key hangs behind the blue pot on the porch",
    "Bins go out on Tuesday evening",
    "The boiler service is due in March",
    "The router restarts itself at 4 in the morning",
];

#[test]
fn embeddings_are_stored_as_int8_with_their_model_and_dimension_and_round_trip() {
    let (server, _) = server();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirai.db");
    let agent = agent(&config(&server, ""), &db);
    let id = memory(&agent, |m| m.add_knowledge("car", HOUSE[0], "test", None)).unwrap();
    let round = agent.upkeep_round(&upkeep(32));
    assert_eq!(round.embedded, 1, "{round:?}");
    let sent = embeddings_requests(&server);
    assert_eq!(
        sent[0]["dimensions"], DIMS,
        "the configured default dimensions"
    );
    assert_eq!(sent[0]["model"], "text-embedding-3-small");
    let stored = memory(&agent, |m| m.stored_embedding(Kind::Knowledge, id))
        .unwrap()
        .unwrap();
    assert_eq!(stored.model, "text-embedding-3-small");
    assert_eq!(stored.dims as usize, DIMS);
    assert_eq!(stored.vector.values.len(), DIMS);
    let original = embed::embed(&format!("car: {}", HOUSE[0]), DIMS);
    let back = stored.vector.to_f32();
    assert!(
        cosine(&back, &original) > 0.99,
        "{}",
        cosine(&back, &original)
    );
    // One byte per dimension on disk, read back by a separate connection.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (bytes, dims): (i64, i64) = conn
        .query_row("SELECT length(vector), dims FROM embeddings", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((bytes, dims), (DIMS as i64, DIMS as i64));
    // Changing the text drops the stale vector with it.
    conn.execute(
        "UPDATE knowledge SET content = 'The car is at the station'",
        [],
    )
    .unwrap();
    let none = memory(&agent, |m| m.stored_embedding(Kind::Knowledge, id)).unwrap();
    assert!(none.is_none());
}

#[test]
fn hybrid_search_finds_a_paraphrase_that_words_alone_miss() {
    let (server, _) = server();
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(&config(&server, ""), &dir.path().join("mirai.db"));
    let ids: Vec<i64> = HOUSE
        .iter()
        .map(|t| memory(&agent, |m| m.add_knowledge("", t, "test", None)).unwrap())
        .collect();
    agent.upkeep_round(&upkeep(32));
    let question = "automobile parking spot?";
    let words_only = memory(&agent, |m| {
        m.recall(&RecallQuery {
            text: question,
            limit: 3,
            ..RecallQuery::default()
        })
    })
    .unwrap();
    assert!(words_only.iter().all(|r| r.id != ids[0]), "{words_only:?}");
    let vector = embed::embed(question, DIMS);
    let hybrid = memory(&agent, |m| {
        m.recall(&RecallQuery {
            text: question,
            limit: 3,
            vector: Some(&vector),
            ..RecallQuery::default()
        })
    })
    .unwrap();
    assert_eq!(hybrid[0].id, ids[0], "{hybrid:?}");
    assert_eq!(hybrid[0].text, HOUSE[0]);
}

#[test]
fn a_new_embed_model_re_embeds_in_batches_and_words_find_items_meanwhile() {
    let (server, script) = server();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirai.db");
    let first = agent(&config(&server, ""), &db);
    for t in HOUSE {
        memory(&first, |m| m.add_knowledge("", t, "test", None)).unwrap();
    }
    first.upkeep_round(&upkeep(32));
    drop(first);

    let yaml = "  models:\n    embed:\n      name: text-embedding-3-large\n";
    let second = agent(&config(&server, yaml), &db);
    let counts = memory(&second, |m| m.embedding_counts()).unwrap();
    assert_eq!((counts.current, counts.stale), (0, HOUSE.len() as u64));
    assert_eq!(
        memory(&second, |m| m.indexed_vectors()).unwrap(),
        0,
        "old vectors unused"
    );
    // The embed model is down: nothing is re-embedded, and words still find the items.
    *script.embeddings_down.lock().unwrap() = true;
    let round = second.upkeep_round(&upkeep(2));
    assert!(round.failed && round.embedded == 0, "{round:?}");
    let hits = memory(&second, |m| {
        m.recall(&RecallQuery {
            text: "when is the boiler service",
            limit: 1,
            vector: Some(&embed::embed("boiler", DIMS)),
            ..RecallQuery::default()
        })
    })
    .unwrap();
    assert_eq!(hits[0].text, HOUSE[3]);

    *script.embeddings_down.lock().unwrap() = false;
    let before = embeddings_requests(&server).len();
    let round = second.upkeep_round(&upkeep(2));
    assert_eq!(round.embedded, HOUSE.len(), "{round:?}");
    let batches = &embeddings_requests(&server)[before..];
    assert_eq!(batches.len(), 3, "5 items in batches of 2");
    assert!(batches.iter().all(
        |b| b["model"] == "text-embedding-3-large" && b["input"].as_array().unwrap().len() <= 2
    ));
    let counts = memory(&second, |m| m.embedding_counts()).unwrap();
    assert_eq!((counts.current, counts.stale, counts.waiting), (5, 0, 0));
    assert_eq!(memory(&second, |m| m.indexed_vectors()).unwrap(), 5);
}

#[test]
fn the_daemons_upkeep_thread_embeds_new_items_without_being_asked() {
    let (server, _) = server();
    let dir = tempfile::tempdir().unwrap();
    let agent = Arc::new(agent(&config(&server, ""), &dir.path().join("mirai.db")));
    let upkeep = Upkeep::start(agent.clone(), upkeep(32)).unwrap();
    for t in HOUSE {
        memory(&agent, |m| m.add_knowledge("", t, "test", None)).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while memory(&agent, |m| m.indexed_vectors()).unwrap() < HOUSE.len() {
        assert!(Instant::now() < deadline, "not embedded in 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(upkeep);
}

/// Saves a conversation that ended two minutes ago.
fn conversation(agent: &Agent, session: &str, user: &str, lines: &[(Role, &str)]) {
    let start = mirai::clock::now_ms() - 120_000;
    memory(agent, |m| {
        m.ensure_session(session, user, "test").unwrap();
        for (i, (role, text)) in lines.iter().enumerate() {
            m.save_message_at(session, *role, text, start + i as i64)
                .unwrap();
        }
    });
}

#[test]
fn facts_are_reconciled_add_update_delete_keep_and_distilled_once() {
    let (server, script) = server();
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(&config(&server, ""), &dir.path().join("mirai.db"));
    let warm = memory(&agent, |m| {
        m.add_fact("ana", "Ana likes the bedroom at 20 degrees")
    })
    .unwrap();
    let cat = memory(&agent, |m| m.add_fact("ana", "Ana has a cat named Tom")).unwrap();
    let work = memory(&agent, |m| {
        m.add_fact("ana", "Ana works from home on Fridays")
    })
    .unwrap();
    let bobs = memory(&agent, |m| m.add_fact("bob", "Bob has a cat named Rex")).unwrap();
    conversation(
        &agent,
        "s1",
        "ana",
        &[
            (
                Role::User,
                "Set the bedroom to 19 degrees, I like it cooler now",
            ),
            (Role::Assistant, "Done, the bedroom is at 19 degrees."),
            (
                Role::User,
                "Our cat Tom went to live with my mother. I still work from home on Fridays. My daughter is Aiko.",
            ),
        ],
    );
    let answer = json!({"changes": [
        {"op": "add", "id": null, "text": "Ana's daughter is Aiko"},
        {"op": "update", "id": warm, "text": "Ana likes the bedroom at 19 degrees"},
        {"op": "delete", "id": cat, "text": null},
        {"op": "keep", "id": work, "text": null},
        {"op": "delete", "id": bobs, "text": null},
    ]});
    script
        .facts
        .lock()
        .unwrap()
        .push(("daughter is Aiko".into(), answer.to_string()));
    let round = agent.upkeep_round(&upkeep(32));
    assert_eq!(round.distilled, 1, "{round:?}");
    let facts: Vec<(i64, String)> = memory(&agent, |m| m.facts("ana"))
        .unwrap()
        .into_iter()
        .map(|f| (f.id, f.text))
        .collect();
    assert_eq!(facts.len(), 3, "{facts:?}");
    assert_eq!(
        facts[0],
        (warm, "Ana likes the bedroom at 19 degrees".into())
    );
    assert_eq!(facts[1], (work, "Ana works from home on Fridays".into()));
    assert_eq!(facts[2].1, "Ana's daughter is Aiko");
    assert_eq!(
        memory(&agent, |m| m.facts("bob")).unwrap().len(),
        1,
        "another user's fact is safe"
    );
    // The fast model was asked with the schema and shown the stored facts like the talk.
    let asked: Vec<Value> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .map(|r| r.body)
        .collect();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0]["response_format"]["json_schema"]["name"],
        "fact_changes"
    );
    assert_eq!(asked[0]["model"], "gpt-4o-mini", "the fast model");
    let input = asked[0]["messages"][1]["content"].as_str().unwrap();
    for id in [warm, cat, work] {
        assert!(input.contains(&format!("\"id\":{id}")), "{input}");
    }
    assert!(
        !input.contains("Rex"),
        "only ana's facts are shown: {input}"
    );
    // Distilled once: another round asks nothing.
    agent.upkeep_round(&upkeep(32));
    let chats = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count();
    assert_eq!(chats, 1);
}

#[test]
fn a_model_turn_gets_the_users_facts_by_meaning_and_by_words_when_offline() {
    let (server, script) = server();
    server.set_default(Reply::chat_text("Your daughter is Aiko."));
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(&config(&server, ""), &dir.path().join("mirai.db"));
    memory(&agent, |m| m.add_fact("ana", "Ana's daughter is Aiko")).unwrap();
    memory(&agent, |m| m.add_fact("bob", "Bob's daughter is Mei")).unwrap();
    memory(&agent, |m| {
        m.add_fact("ana", "Ana drinks coffee without sugar")
    })
    .unwrap();
    agent.upkeep_round(&UpkeepSettings {
        facts: false,
        ..upkeep(32)
    });
    let context = |agent: &Agent, text: &str| -> String {
        let before = server.requests().len();
        agent.handle(&Request::new(text, Source::Cli, "ana", "s9"));
        let sent = server.requests();
        let chat = sent[before..]
            .iter()
            .rev()
            .find(|r| r.path.ends_with("/chat/completions"))
            .expect("a model turn");
        chat.body["messages"].to_string()
    };
    // A paraphrase: no word of the fact, found by meaning.
    let seen = context(&agent, "my kid?");
    assert!(seen.contains("Ana's daughter is Aiko"), "{seen}");
    assert!(!seen.contains("Mei"), "another user's fact: {seen}");
    // Offline embeddings: the words alone still find it.
    *script.embeddings_down.lock().unwrap() = true;
    let seen = context(&agent, "what is my daughter called?");
    assert!(seen.contains("Ana's daughter is Aiko"), "{seen}");
}

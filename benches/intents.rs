//! Local intent parsing speed: every corpus line (commands and not-commands) parsed
//! against the demo house, printed as a markdown table of p50 / p99 per parse.
//!
//! `cargo bench --bench intents`; `MIRAI_BENCH_ROUNDS=200` scales the rounds down
//! (default 2,000). Std only: timings are wall clock per call.

use std::hint::black_box;
use std::time::{Duration, Instant};

use mirai::agent::intents::Intents;
use mirai::devices::{Area, Entity};
use serde::Deserialize;

const HOUSE: &str = include_str!("../tests/corpus/house.json");
const COMMANDS: &str = include_str!("../tests/corpus/commands.tsv");
const NOT_COMMANDS: &str = include_str!("../tests/corpus/not_commands.txt");
const DEFAULT_ROUNDS: usize = 2_000;

#[derive(Deserialize)]
struct House {
    areas: Vec<Area>,
    entities: Vec<Entity>,
}

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap_or(l))
        .collect()
}

/// p50, p99 and max of the samples, in microseconds.
fn percentiles(mut samples: Vec<Duration>) -> (String, String, String) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    (us(at(0.50)), us(at(0.99)), us(samples[samples.len() - 1]))
}

/// Times `rounds` parses of every line, one sample per parse.
fn measure(intents: &Intents, texts: &[&str], rounds: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(texts.len() * rounds);
    for _ in 0..rounds {
        for text in texts {
            let start = Instant::now();
            black_box(intents.parse(black_box(text)));
            samples.push(start.elapsed());
        }
    }
    samples
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: the figures mean
    // nothing under a debug build and a busy test run, so only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("intents benchmark: run it with `cargo bench --bench intents`");
        return;
    }
    let rounds = std::env::var("MIRAI_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS);
    let house: House = serde_json::from_str(HOUSE).expect("tests/corpus/house.json");
    let start = Instant::now();
    let intents = Intents::new(&house.entities, &house.areas);
    let build = start.elapsed();
    println!("| corpus | lines | parses | p50 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    for (name, text) in [("commands", COMMANDS), ("not commands", NOT_COMMANDS)] {
        let texts = lines(text);
        let samples = measure(&intents, &texts, rounds);
        let (p50, p99, max) = percentiles(samples);
        let parses = texts.len() * rounds;
        println!(
            "| {name} | {} | {parses} | {p50} | {p99} | {max} |",
            texts.len()
        );
    }
    println!(
        "\nbuilding the parser for {} entities: {:.1} µs",
        house.entities.len(),
        build.as_secs_f64() * 1e6
    );
    // The safety word gate on a 200-character harmless request full of look-alike words.
    let gate = mirai::agent::safety::WordGate::new(&mirai::agent::safety::WordSettings::default())
        .expect("the built-in phrases compile");
    let sentence = "Could you please dim the living room lights to forty percent, \
                    close the blinds in the study, set the thermostat to twenty one degrees \
                    and remind me to crack an egg for the pancakes at the hackathon tomorrow?";
    let mut samples = Vec::with_capacity(rounds * 20);
    for _ in 0..rounds * 20 {
        let t = Instant::now();
        std::hint::black_box(gate.check(std::hint::black_box(sentence)));
        samples.push(t.elapsed());
    }
    let (p50, p99, max) = percentiles(samples);
    println!(
        "\nsafety word gate, one {}-character request: p50 {p50}, p99 {p99}, max {max}",
        sentence.chars().count()
    );
}

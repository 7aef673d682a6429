//! Local intents against the demo house: the command corpus (≥ 90 % exact), the
//! not-a-command corpus (no action at all), and the spoken replies in both languages.
//!
//! The house is `corpus/house.json`, written from the shared spec rather than taken from
//! the demo back end, so this test pins the parser to the spec.

use std::collections::BTreeMap;

use mirai::agent::intents::{Intent, Intents, Lang, answer, describe_act};
use mirai::devices::{Area, Entity, ServiceCall};
use serde::Deserialize;
use serde_json::Value;

const HOUSE: &str = include_str!("corpus/house.json");
const COMMANDS: &str = include_str!("corpus/commands.tsv");
const NOT_COMMANDS: &str = include_str!("corpus/not_commands.txt");
/// The share of commands that must parse exactly as expected.
const MIN_ACCURACY: f64 = 0.90;

/// The demo house of the shared spec, as the registry would list it.
#[derive(Deserialize)]
struct House {
    areas: Vec<Area>,
    entities: Vec<Entity>,
}

fn house() -> House {
    serde_json::from_str(HOUSE).expect("tests/corpus/house.json")
}

fn areas() -> Vec<Area> {
    house().areas
}

fn entities() -> Vec<Entity> {
    house().entities
}

fn intents() -> Intents {
    Intents::new(&entities(), &areas())
}

/// `light.kitchen:turn_on{brightness_pct=40}`: data keys in order, strings unquoted.
fn call_text(call: &ServiceCall) -> String {
    let data: Vec<String> = call
        .data
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    let data = if data.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", data.join(","))
    };
    format!("{}:{}{data}", call.entity_id, call.service)
}

/// The intent in the corpus's notation.
fn notation(intent: &Option<Intent>) -> String {
    match intent {
        None => "none".into(),
        Some(Intent::Act { calls, .. }) => {
            calls.iter().map(call_text).collect::<Vec<_>>().join(";")
        }
        Some(Intent::Query { entity_ids, .. }) => format!("query:{}", entity_ids.join(",")),
        Some(Intent::WhatsOn { area, .. }) => {
            format!("whats_on:{}", area.as_deref().unwrap_or("house"))
        }
    }
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

#[test]
fn the_command_corpus_parses_exactly() {
    let parser = intents();
    let (mut total, mut right, mut per_lang) = (0, 0, BTreeMap::new());
    let mut failures = Vec::new();
    for line in lines(COMMANDS) {
        let (text, expected) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("no tab: {line}"));
        let intent = parser.parse(text);
        let got = notation(&intent);
        let lang = if text
            .chars()
            .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap()))
        {
            "ru"
        } else {
            "en"
        };
        let entry = per_lang.entry(lang).or_insert((0, 0));
        total += 1;
        entry.0 += 1;
        if got == expected {
            right += 1;
            entry.1 += 1;
        } else {
            failures.push(format!(
                "  {text:?}\n    expected {expected}\n    got      {got}"
            ));
        }
    }
    let accuracy = right as f64 / total as f64;
    println!(
        "commands: {right}/{total} exact ({:.1} %); by language {per_lang:?} (total, exact)",
        accuracy * 100.0
    );
    for f in &failures {
        println!("{f}");
    }
    assert!(total >= 110, "the corpus has {total} lines");
    assert!(accuracy >= MIN_ACCURACY, "accuracy {accuracy:.3}");
}

#[test]
fn no_action_on_sentences_that_are_not_commands() {
    let parser = intents();
    let (mut total, mut acts, mut other) = (0, Vec::new(), Vec::new());
    for text in lines(NOT_COMMANDS) {
        total += 1;
        match parser.parse(text) {
            Some(intent @ Intent::Act { .. }) => {
                acts.push(format!("{text:?} → {}", notation(&Some(intent))))
            }
            Some(intent) => other.push(format!("{text:?} → {}", notation(&Some(intent)))),
            None => {}
        }
    }
    println!(
        "not commands: {total} sentences, {} actions, {} questions answered locally",
        acts.len(),
        other.len()
    );
    for line in acts.iter().chain(&other) {
        println!("  {line}");
    }
    assert!(total >= 60, "the corpus has {total} lines");
    assert!(acts.is_empty(), "actions on non-commands: {acts:#?}");
}

/// The state after a call, as a back end would leave it.
fn after(calls: &[ServiceCall]) -> Vec<Entity> {
    let mut house = entities();
    for call in calls {
        let e = house.iter_mut().find(|e| e.id == call.entity_id).unwrap();
        e.state = match call.service.as_str() {
            "turn_on" => "on",
            "turn_off" => "off",
            "lock" => "locked",
            "unlock" => "unlocked",
            "open_cover" => "open",
            "close_cover" => "closed",
            _ => continue,
        }
        .into();
    }
    house
}

fn reply(text: &str) -> String {
    let intent = intents()
        .parse(text)
        .unwrap_or_else(|| panic!("no intent for {text:?}"));
    let house = match &intent {
        Intent::Act { calls, .. } => after(calls),
        _ => entities(),
    };
    answer(&intent, &house, &areas())
}

/// Each pair: a request, and the reply once the demo house has carried it out.
fn check(pairs: &[(&str, &str)]) {
    for (text, expected) in pairs {
        assert_eq!(&reply(text), expected, "{text:?}");
    }
}

#[test]
fn english_replies() {
    check(&[
        (
            "turn off the kitchen light",
            "Turned off the kitchen light.",
        ),
        (
            "set the kitchen light to 40%",
            "Set the kitchen light to 40%.",
        ),
        (
            "turn off the kitchen and hallway lights",
            "Turned off the kitchen light and the hallway light.",
        ),
        ("set the thermostat to 22", "Set the thermostat to 22 °C."),
        ("set the thermostat to cool", "Set the thermostat to cool."),
        (
            "what's the temperature in the kitchen?",
            "It's 22.4 °C in the kitchen.",
        ),
        ("what's the temperature outside", "It's 3.5 °C outside."),
        ("what's the humidity", "Humidity in the living room is 45%."),
        ("is the front door locked?", "The front door is locked."),
        ("is the garage door open?", "The garage door is closed."),
        (
            "is there motion in the hallway?",
            "No motion in the hallway.",
        ),
    ]);
}

#[test]
fn russian_replies_inflect_and_agree() {
    check(&[
        ("выключи свет на кухне", "Выключила свет на кухне."),
        ("включи лампу в гостиной", "Включила лампу в гостиной."),
        (
            "поставь отопление на 22 градуса",
            "Поставила термостат на 22 °C.",
        ),
        (
            "переключи термостат на охлаждение",
            "Перевела термостат в режим «охлаждение».",
        ),
        (
            "открой жалюзи на 30 процентов",
            "Открыла жалюзи в гостиной на 30%.",
        ),
        ("поставь на охрану", "Поставила сигнализацию на охрану."),
        ("какая температура на кухне?", "На кухне 22,4 °C."),
        ("открыт ли гараж?", "Гаражные ворота закрыты."),
        ("заперта ли входная дверь?", "Замок входной двери заперт."),
        ("включен ли телевизор?", "Телевизор выключен."),
        ("открыты ли шторы?", "Жалюзи в гостиной открыты."),
        ("есть движение в коридоре?", "В коридоре движения нет."),
    ]);
}

#[test]
fn whats_on_lists_what_is_on() {
    assert_eq!(
        reply("what's on?"),
        "The living room lamp and the thermostat are on."
    );
    assert_eq!(
        reply("what's on in the kitchen?"),
        "Nothing is on in the kitchen."
    );
    assert_eq!(
        reply("что включено?"),
        "Включено: лампа в гостиной и термостат."
    );
    assert_eq!(
        reply("что включено на кухне?"),
        "На кухне ничего не включено."
    );
}

#[test]
fn a_device_that_did_not_follow_is_reported() {
    let calls = vec![ServiceCall::new("light.kitchen", "turn_on")];
    let text = describe_act(&calls, &entities(), Lang::En);
    assert_eq!(
        text,
        "Turned on the kitchen light. The kitchen light is off now."
    );
}

//! Questions about the house: "what's the temperature in the kitchen", "is the front door
//! locked", "что включено на кухне". They change nothing, so several matching entities are
//! an answer (every one is read), not an ambiguity; but every word must be understood.

use super::Question;
use super::catalog::{Catalog, Mention};
use super::lexicon::{filler, kind, question_word};
use super::text::Token;
use crate::devices::{Domain, Entity};

/// The most entities one question reads.
pub(crate) const MAX_QUERY_ENTITIES: usize = 8;

/// What a question asks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Asked {
    /// A question about these entities (indices into the catalog).
    Query(Question, Vec<usize>),
    /// What is on, in an area (by id) or the whole house.
    WhatsOn(Option<String>),
}

/// What is measured or asked, from a word.
fn topic(token: &Token) -> Option<Question> {
    let w = token.word.as_str();
    let q = match token.stem.as_str() {
        "temperature"
        | "warm"
        | "hot"
        | "cold"
        | "degree"
        | "температур"
        | "градус"
        | "тепл"
        | "холодн"
        | "жарк" => Question::Temperature,
        "humidity" | "humid" | "влажност" => Question::Humidity,
        "motion" | "movement" | "движен" => Question::Motion,
        "status" | "state" | "статус" | "состоян" => Question::State,
        _ if matches!(w, "on" | "off" | "горит") => Question::OnOff,
        _ if w.starts_with("включен") || w.starts_with("выключен") => {
            Question::OnOff
        }
        _ if matches!(w, "open" | "opened" | "closed" | "shut") => Question::Open,
        _ if w.starts_with("открыт") || w.starts_with("закрыт") => Question::Open,
        _ if matches!(w, "locked" | "unlocked") => Question::Locked,
        _ if w.starts_with("заперт") || w.starts_with("отперт") => Question::Locked,
        _ => return None,
    };
    Some(q)
}

/// Whether the question module understands `token` (beyond house names and fillers).
pub(crate) fn knows(token: &Token) -> bool {
    topic(token).is_some()
        || question_word(&token.word)
        || matches!(
            token.word.as_str(),
            "there" | "something" | "currently" | "ли"
        )
}

/// The question `tokens` ask, if it is one about this house.
pub(crate) fn question(catalog: &Catalog, tokens: &[Token], question_mark: bool) -> Option<Asked> {
    let opener = tokens.iter().find(|t| !filler(&t.word));
    let asking = question_mark
        || opener.is_some_and(|t| question_word(&t.word))
        || tokens.iter().any(|t| t.word == "ли");
    let topic = tokens.iter().find_map(topic)?;
    let measured = matches!(
        topic,
        Question::Temperature | Question::Humidity | Question::Motion
    );
    if !asking && !measured {
        return None;
    }
    let named = catalog.entities_in(tokens);
    let area = single_area(catalog, tokens)?;
    let what = tokens.iter().any(|t| {
        matches!(
            t.word.as_str(),
            "what" | "whats" | "что" | "anything" | "something"
        )
    });
    if topic == Question::OnOff && what && named.is_empty() {
        return Some(Asked::WhatsOn(
            area.map(|a| catalog.places[a.index].area.id.clone()),
        ));
    }
    let found = read(catalog, tokens, &named, area, topic);
    if found.is_empty() && topic == Question::Open {
        let locks = read(catalog, tokens, &named, area, Question::Locked);
        return (!locks.is_empty()).then_some(Asked::Query(Question::Locked, locks));
    }
    (!found.is_empty()).then_some(Asked::Query(topic, found))
}

/// The one area named, `Some(None)` for none, `None` for several.
fn single_area(catalog: &Catalog, tokens: &[Token]) -> Option<Option<Mention>> {
    let areas = catalog.areas_in(tokens);
    match areas.as_slice() {
        [] => Some(None),
        [one] => Some(Some(*one)),
        _ => None,
    }
}

/// Whether `entity` can answer `topic`.
fn answers(topic: Question, entity: &Entity) -> bool {
    let class = entity.device_class.as_deref();
    match topic {
        Question::Temperature => {
            (entity.domain == Domain::Sensor && class == Some("temperature"))
                || entity.domain == Domain::Climate
        }
        Question::Humidity => entity.domain == Domain::Sensor && class == Some("humidity"),
        Question::Motion => {
            entity.domain == Domain::BinarySensor
                && matches!(class, Some("motion" | "occupancy" | "presence"))
        }
        Question::OnOff => matches!(
            entity.domain,
            Domain::Light | Domain::Switch | Domain::Fan | Domain::MediaPlayer | Domain::Climate
        ),
        Question::Open => {
            entity.domain == Domain::Cover
                || (entity.domain == Domain::BinarySensor
                    && matches!(class, Some("door" | "window" | "garage_door" | "opening")))
        }
        Question::Locked => entity.domain == Domain::Lock,
        Question::State => true,
    }
}

/// The entities that answer: the best named ones, else those of the named kind in the
/// named area; a room's temperature is its sensor's, or its thermostat's if it has none.
fn read(
    catalog: &Catalog,
    tokens: &[Token],
    named: &[Mention],
    area: Option<Mention>,
    topic: Question,
) -> Vec<usize> {
    let entity = |i: usize| &catalog.targets[i].entity;
    let area_id = area.map(|a| catalog.places[a.index].area.id.clone());
    let in_area = |i: usize| area_id.is_none() || entity(i).area == area_id;
    let usable: Vec<&Mention> = named
        .iter()
        .filter(|m| answers(topic, entity(m.index)))
        .filter(|m| in_area(m.index) || area.is_some_and(|a| a.used & !m.used == 0))
        .collect();
    if let Some(best) = usable.iter().map(|m| m.strength()).max() {
        let top = usable.iter().filter(|m| m.strength() == best);
        return top.map(|m| m.index).take(MAX_QUERY_ENTITIES).collect();
    }
    let kinds: Vec<_> = tokens.iter().filter_map(|t| kind(&t.stem)).collect();
    let of_kind = |i: usize| kinds.is_empty() || kinds.iter().any(|k| k.domain == entity(i).domain);
    let mut found: Vec<usize> = (0..catalog.targets.len())
        .filter(|&i| answers(topic, entity(i)) && of_kind(i) && in_area(i))
        .collect();
    if topic == Question::Temperature {
        found = sensors_first(catalog, found);
    }
    let specific = area.is_some() || !kinds.is_empty() || found.len() == 1;
    let broad = matches!(
        topic,
        Question::Temperature | Question::Humidity | Question::Motion
    );
    if !specific && !broad {
        return Vec::new();
    }
    found.truncate(MAX_QUERY_ENTITIES);
    found
}

/// A room's temperature is its sensor's; a thermostat answers only for a room without one.
fn sensors_first(catalog: &Catalog, found: Vec<usize>) -> Vec<usize> {
    let entity = |i: usize| &catalog.targets[i].entity;
    let sensed = |i: usize| {
        found
            .iter()
            .any(|&s| entity(s).domain == Domain::Sensor && entity(s).area == entity(i).area)
    };
    found
        .iter()
        .copied()
        .filter(|&i| entity(i).domain == Domain::Sensor || !sensed(i))
        .collect()
}

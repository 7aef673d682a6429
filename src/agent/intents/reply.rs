//! The spoken reply to a local intent, in the request's language: what was done
//! ("Turned off the kitchen light." / "Выключила свет на кухне."), or the answer to a
//! question ("It's 22.4 °C in the kitchen." / "На кухне 22,4 °C.").
//!
//! All phrasing lives here; it reads the entities as they are after the calls, and says so
//! when a device did not end up where it was asked to be.

use serde_json::Value as Json;

use super::russian::{self, Gender};
use super::{Intent, Lang, Question};
use crate::devices::{Area, Domain, Entity, ServiceCall};

/// The reply to `intent`, given the entities (after the calls, for an act) and areas.
pub fn answer(intent: &Intent, entities: &[Entity], areas: &[Area]) -> String {
    match intent {
        Intent::Act { calls, lang } => describe_act(calls, entities, *lang),
        Intent::Query {
            question,
            entity_ids,
            lang,
        } => {
            let found: Vec<&Entity> = entity_ids
                .iter()
                .filter_map(|id| entities.iter().find(|e| &e.id == id))
                .collect();
            let lines: Vec<String> = found
                .iter()
                .map(|e| state_line(*question, e, areas, *lang))
                .collect();
            lines.join(" ")
        }
        Intent::WhatsOn { area, lang } => whats_on(area.as_deref(), entities, areas, *lang),
    }
}

/// What was done, one sentence per run of identical calls, with a note for any device
/// whose state afterwards is not the one asked for.
pub fn describe_act(calls: &[ServiceCall], entities: &[Entity], lang: Lang) -> String {
    let find = |id: &str| entities.iter().find(|e| e.id == id);
    let mut sentences = Vec::new();
    let mut i = 0;
    while i < calls.len() {
        let same = calls[i..]
            .iter()
            .take_while(|c| c.service == calls[i].service && c.data == calls[i].data)
            .count();
        let names: Vec<String> = calls[i..i + same]
            .iter()
            .map(|c| find(&c.entity_id).map_or_else(|| c.entity_id.clone(), |e| object(e, lang)))
            .collect();
        let unit = find(&calls[i].entity_id).map_or("", unit);
        sentences.push(done(&calls[i], &list(&names, lang), unit, lang));
        i += same;
    }
    for call in calls {
        if let Some(note) = find(&call.entity_id).and_then(|e| mismatch(call, e, lang)) {
            sentences.push(note);
        }
    }
    sentences.join(" ")
}

/// The entity as the object of a verb: "the kitchen light", "свет на кухне".
fn object(entity: &Entity, lang: Lang) -> String {
    match lang {
        Lang::En => english(entity),
        Lang::Ru => russian::accusative(&russian::name(entity)),
    }
}

/// "the kitchen light"; a lock's "lock" is dropped ("the front door").
fn english(entity: &Entity) -> String {
    let name = entity.name.as_str();
    let name = match entity.domain {
        Domain::Lock => name.strip_suffix(" lock").unwrap_or(name),
        _ => name,
    };
    let mut chars = name.chars();
    let first = chars
        .next()
        .map(|c| c.to_lowercase().to_string())
        .unwrap_or_default();
    format!("the {first}{}", chars.as_str())
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// "a, b and c" / "a, b и c".
fn list(items: &[String], lang: Lang) -> String {
    let and = if lang == Lang::En { " and " } else { " и " };
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}{and}{last}", rest.join(", ")),
    }
}

fn unit(entity: &Entity) -> &str {
    entity
        .attributes
        .get("unit_of_measurement")
        .and_then(Json::as_str)
        .unwrap_or("")
}

/// A number as said in `lang`: "22.4" / "22,4".
fn spoken(n: &str, lang: Lang) -> String {
    match lang {
        Lang::En => n.to_owned(),
        Lang::Ru => n.replace('.', ","),
    }
}

fn data(call: &ServiceCall, key: &str, lang: Lang) -> String {
    call.data.get(key).map_or_else(String::new, |v| match v {
        Json::String(s) => s.clone(),
        other => spoken(&other.to_string(), lang),
    })
}

/// The sentence for one kind of call on `what`: a template per service, with `{what}`,
/// `{unit}` and the call's data fields (`{brightness_pct}`) filled in.
fn done(call: &ServiceCall, what: &str, unit: &str, lang: Lang) -> String {
    let (en, ru) = template(call);
    let mut text = if lang == Lang::En { en } else { ru }
        .replace("{what}", what)
        .replace("{unit}", unit)
        .replace("{service}", &call.service);
    for key in call.data.keys() {
        let value = data(call, key, lang);
        let value = match (key.as_str(), lang) {
            ("hvac_mode", Lang::Ru) => russian::hvac_mode(&value).to_owned(),
            _ => value,
        };
        text = text.replace(&format!("{{{key}}}"), &value);
    }
    format!("{}.", capitalize(text.trim_end()))
}

/// The English and Russian templates for a call.
fn template(call: &ServiceCall) -> (&'static str, &'static str) {
    let dimmed = call.data.contains_key("brightness_pct");
    match (call.service.as_str(), call.domain()) {
        ("turn_on", "light") if dimmed => (
            "Set {what} to {brightness_pct}%",
            "Включила {what} на {brightness_pct}%",
        ),
        ("turn_on", "scene") => ("Activated {what}", "Включила {what}"),
        ("turn_on", _) => ("Turned on {what}", "Включила {what}"),
        ("turn_off", _) => ("Turned off {what}", "Выключила {what}"),
        ("toggle", _) => ("Toggled {what}", "Переключила {what}"),
        ("set_temperature", _) => (
            "Set {what} to {temperature} {unit}",
            "Поставила {what} на {temperature} {unit}",
        ),
        ("set_hvac_mode", _) => (
            "Set {what} to {hvac_mode}",
            "Перевела {what} в режим «{hvac_mode}»",
        ),
        ("open_cover", _) => ("Opened {what}", "Открыла {what}"),
        ("close_cover", _) => ("Closed {what}", "Закрыла {what}"),
        ("stop_cover", _) => ("Stopped {what}", "Остановила {what}"),
        ("set_cover_position", _) => ("Set {what} to {position}%", "Открыла {what} на {position}%"),
        ("lock", _) => ("Locked {what}", "Заперла {what}"),
        ("unlock", _) => ("Unlocked {what}", "Отперла {what}"),
        ("alarm_arm_away", _) => ("Armed {what}", "Поставила {what} на охрану"),
        ("alarm_arm_home", _) => (
            "Armed {what} in home mode",
            "Поставила {what} на охрану в режиме «дома»",
        ),
        ("alarm_disarm", _) => ("Disarmed {what}", "Сняла {what} с охраны"),
        _ => ("Done: {service} on {what}", "Готово: {service}, {what}"),
    }
}

/// A note when the device's state after the call is not the one asked for.
fn mismatch(call: &ServiceCall, entity: &Entity, lang: Lang) -> Option<String> {
    let expected: &[&str] = match (call.service.as_str(), entity.domain) {
        ("turn_on", Domain::Light | Domain::Switch | Domain::Fan) => &["on"],
        ("turn_off", Domain::Light | Domain::Switch | Domain::Fan | Domain::MediaPlayer) => {
            &["off"]
        }
        ("lock", _) => &["locked", "locking"],
        ("unlock", _) => &["unlocked", "unlocking", "open"],
        ("open_cover", _) => &["open", "opening"],
        ("close_cover", _) => &["closed", "closing"],
        _ => return None,
    };
    if expected.contains(&entity.state.as_str()) {
        return None;
    }
    Some(match lang {
        Lang::En => format!("{} is {} now.", capitalize(&english(entity)), entity.state),
        Lang::Ru => format!(
            "{}: сейчас {}.",
            capitalize(&russian::name(entity)),
            entity.state
        ),
    })
}

fn area_of<'a>(entity: &Entity, areas: &'a [Area]) -> Option<&'a Area> {
    areas.iter().find(|a| Some(&a.id) == entity.area.as_ref())
}

/// "in the kitchen", "outside" / "на кухне".
fn place(area: &Area, lang: Lang) -> String {
    match lang {
        Lang::Ru => russian::locative(area),
        Lang::En => match area.name.to_lowercase().as_str() {
            n @ ("outside" | "outdoors" | "upstairs" | "downstairs") => n.to_owned(),
            n => format!("in the {n}"),
        },
    }
}

/// One sentence about `entity` answering `question`.
fn state_line(question: Question, entity: &Entity, areas: &[Area], lang: Lang) -> String {
    let area = area_of(entity, areas);
    match question {
        Question::Temperature | Question::Humidity => reading(question, entity, area, lang),
        Question::Motion => {
            let here = area.map(|a| place(a, lang)).unwrap_or_default();
            let moving = entity.state == "on";
            match (lang, moving) {
                (Lang::En, true) => format!("There is motion {here}."),
                (Lang::En, false) => format!("No motion {here}."),
                (Lang::Ru, true) => capitalize(&format!("{here} есть движение.")),
                (Lang::Ru, false) => capitalize(&format!("{here} движения нет.")),
            }
        }
        _ => status(entity, lang),
    }
}

/// "It's 22.4 °C in the kitchen." / "Влажность в гостиной 45%."
fn reading(question: Question, entity: &Entity, area: Option<&Area>, lang: Lang) -> String {
    let value = match entity.domain {
        Domain::Climate => entity
            .attributes
            .get("current_temperature")
            .map(Json::to_string),
        _ => Some(entity.state.clone()),
    };
    let value = spoken(&value.unwrap_or_else(|| "?".into()), lang);
    let unit = unit(entity);
    let amount = if unit == "%" {
        format!("{value}%")
    } else {
        format!("{value} {unit}")
    };
    let amount = amount.trim_end();
    let here = area.map(|a| place(a, lang));
    match (question, lang, here) {
        (Question::Temperature, Lang::En, Some(h)) => format!("It's {amount} {h}."),
        (Question::Temperature, Lang::Ru, Some(h)) => capitalize(&format!("{h} {amount}.")),
        (Question::Humidity, Lang::En, Some(h)) => format!("Humidity {h} is {amount}."),
        (Question::Humidity, Lang::Ru, Some(h)) => format!("Влажность {h} {amount}."),
        (_, Lang::En, _) => format!("{} is {amount}.", capitalize(&english(entity))),
        (_, Lang::Ru, _) => format!("{}: {amount}.", capitalize(&russian::name(entity))),
    }
}

/// "The front door is locked." / "Замок входной двери заперт."
fn status(entity: &Entity, lang: Lang) -> String {
    let state = entity.state.as_str();
    let word = match (entity.domain, state) {
        (Domain::BinarySensor, "on") => "open",
        (Domain::BinarySensor, "off") => "closed",
        (Domain::Climate, s) if s != "off" => "on",
        (_, s) => s,
    };
    match lang {
        Lang::En => format!(
            "{} is {}.",
            capitalize(&english(entity)),
            word.replace('_', " ")
        ),
        Lang::Ru => {
            let name = russian::name(entity);
            let said = russian_state(word, russian::gender(&name));
            format!("{} {said}.", capitalize(&name))
        }
    }
}

fn russian_state(state: &str, gender: Gender) -> String {
    let stem = match state {
        "on" | "playing" => "включен",
        "off" | "idle" => "выключен",
        "open" => "открыт",
        "closed" => "закрыт",
        "locked" => "заперт",
        "unlocked" => "отперт",
        "disarmed" => "снят с охраны",
        s if s.starts_with("armed") => "на охране",
        other => return format!("— {other}"),
    };
    match stem {
        "снят с охраны" => format!("{} с охраны", russian::agree("снят", gender)),
        "на охране" => stem.to_owned(),
        _ => russian::agree(stem, gender),
    }
}

/// "The living room lamp and the thermostat are on." / "Включены: лампа в гостиной."
fn whats_on(area: Option<&str>, entities: &[Entity], areas: &[Area], lang: Lang) -> String {
    let on: Vec<String> = entities
        .iter()
        .filter(|e| area.is_none() || e.area.as_deref() == area)
        .filter(|e| active(e))
        .map(|e| match lang {
            Lang::En => english(e),
            Lang::Ru => russian::name(e),
        })
        .collect();
    let here = area
        .and_then(|id| areas.iter().find(|a| a.id == id))
        .map(|a| place(a, lang));
    match (lang, on.len(), here) {
        (Lang::En, 0, Some(h)) => format!("Nothing is on {h}."),
        (Lang::En, 0, None) => "Nothing is on.".to_owned(),
        (Lang::En, n, h) => {
            let verb = if n == 1 { "is" } else { "are" };
            let h = h.map(|h| format!(" {h}")).unwrap_or_default();
            format!("{} {verb} on{h}.", capitalize(&list(&on, lang)))
        }
        (Lang::Ru, 0, Some(h)) => capitalize(&format!("{h} ничего не включено.")),
        (Lang::Ru, 0, None) => "Ничего не включено.".to_owned(),
        (Lang::Ru, _, Some(h)) => format!("{} включено: {}.", capitalize(&h), list(&on, lang)),
        (Lang::Ru, _, None) => format!("Включено: {}.", list(&on, lang)),
    }
}

/// Whether an entity counts as "on" for "what's on".
fn active(entity: &Entity) -> bool {
    match entity.domain {
        Domain::Light | Domain::Switch | Domain::Fan => entity.state == "on",
        Domain::MediaPlayer => matches!(entity.state.as_str(), "on" | "playing" | "paused"),
        Domain::Climate => !matches!(entity.state.as_str(), "off" | "unavailable"),
        _ => false,
    }
}

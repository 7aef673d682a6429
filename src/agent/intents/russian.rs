//! Russian word forms for replies: a device's Russian name, its accusative ("выключила
//! лампу в гостиной"), an area's locative ("на кухне"), and participles that agree with the
//! name's gender ("дверь заперта", "свет выключен").
//!
//! Rules of thumb over endings, enough for the names people give devices and rooms; a name
//! without a Russian alias is quoted as it is.

use crate::devices::{Area, Entity};

/// Areas said with "на" rather than "в" ("на кухне", "на улице").
const NA_STEMS: &[&str] = &[
    "кухн",
    "улиц",
    "балкон",
    "террас",
    "веранд",
    "чердак",
    "дач",
    "лестниц",
    "крыльц",
];

/// Prepositions that end the part of a name that changes case ("лампа | в гостиной").
fn preposition(word: &str) -> bool {
    matches!(word, "в" | "во" | "на" | "у" | "с" | "со" | "для" | "из")
}

/// Grammatical gender (or plural) of a name, for agreeing participles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gender {
    /// "свет", "замок".
    Masculine,
    /// "лампа", "дверь".
    Feminine,
    /// "кино", "отопление".
    Neuter,
    /// "шторы", "ворота".
    Plural,
}

fn cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

/// The entity's Russian name: its longest Russian alias, else its name in quotes.
pub(crate) fn name(entity: &Entity) -> String {
    russian_alias(&entity.aliases).unwrap_or_else(|| format!("«{}»", entity.name))
}

fn russian_alias(aliases: &[String]) -> Option<String> {
    let mut best: Option<&String> = None;
    for alias in aliases.iter().filter(|a| cyrillic(a)) {
        if best.is_none_or(|b| alias.chars().count() > b.chars().count()) {
            best = Some(alias);
        }
    }
    best.map(|a| a.to_lowercase())
}

/// The accusative of a name: the words before its first preposition change.
pub(crate) fn accusative(name: &str) -> String {
    let mut changing = true;
    let words: Vec<String> = name
        .split(' ')
        .map(|w| {
            changing &= !preposition(w);
            if changing {
                accusative_word(w)
            } else {
                w.to_owned()
            }
        })
        .collect();
    words.join(" ")
}

fn accusative_word(word: &str) -> String {
    let swap = |from: &str, to: &str| format!("{}{to}", &word[..word.len() - from.len()]);
    if word.ends_with("ая") {
        swap("ая", "ую")
    } else if word.ends_with("яя") {
        swap("яя", "юю")
    } else if word.chars().count() > 2 && word.ends_with('а') {
        swap("а", "у")
    } else if word.chars().count() > 2 && word.ends_with('я') {
        swap("я", "ю")
    } else {
        word.to_owned()
    }
}

/// The gender of a name, from its first word.
pub(crate) fn gender(name: &str) -> Gender {
    let first = name.trim_start_matches('«').split(' ').next().unwrap_or("");
    let ends = |e: &[&str]| e.iter().any(|s| first.ends_with(s));
    if !cyrillic(first) {
        return Gender::Neuter;
    }
    if ends(&["ние", "тие", "ье"]) {
        Gender::Neuter
    } else if ends(&["ый", "ий", "ой"]) {
        Gender::Masculine
    } else if ends(&["ая", "яя", "а", "я", "ь"]) {
        Gender::Feminine
    } else if ends(&["ые", "ие", "ы", "и"]) {
        Gender::Plural
    } else if ends(&["ое", "ее", "о", "е"]) {
        Gender::Neuter
    } else {
        Gender::Masculine
    }
}

/// A short participle agreeing with `gender`: "выключен" → "выключена".
pub(crate) fn agree(stem: &str, gender: Gender) -> String {
    let ending = match gender {
        Gender::Masculine => "",
        Gender::Feminine => "а",
        Gender::Neuter => "о",
        Gender::Plural => "ы",
    };
    format!("{stem}{ending}")
}

/// "на кухне", "в спальне"; an area without a Russian alias is quoted.
pub(crate) fn locative(area: &Area) -> String {
    let Some(alias) = area
        .aliases
        .iter()
        .find(|a| cyrillic(a))
        .map(|a| a.to_lowercase())
    else {
        return format!("в зоне «{}»", area.name);
    };
    let first = alias.split(' ').next().unwrap_or("");
    let prep = if NA_STEMS.iter().any(|s| first.starts_with(s)) {
        "на"
    } else {
        "в"
    };
    let words: Vec<String> = alias.split(' ').map(locative_word).collect();
    format!("{prep} {}", words.join(" "))
}

fn locative_word(word: &str) -> String {
    let swap = |from: &str, to: &str| format!("{}{to}", &word[..word.len() - from.len()]);
    let last = word.chars().last().unwrap_or(' ');
    match () {
        _ if word.ends_with("ия") => swap("ия", "ии"),
        _ if word.ends_with("ая") => swap("ая", "ой"),
        _ if word.ends_with("яя") => swap("яя", "ей"),
        _ if word.ends_with('а') || word.ends_with('я') => swap(&last.to_string(), "е"),
        _ if word.ends_with('ь') => swap("ь", "и"),
        _ if word.ends_with('й') => swap("й", "е"),
        _ if "оеиуыюэ".contains(last) => word.to_owned(),
        _ => format!("{word}е"),
    }
}

/// Home Assistant's thermostat modes in Russian.
pub(crate) fn hvac_mode(mode: &str) -> &str {
    match mode {
        "heat" => "обогрев",
        "cool" => "охлаждение",
        "auto" => "авто",
        "off" => "выключен",
        "heat_cool" => "обогрев и охлаждение",
        "dry" => "осушение",
        "fan_only" => "вентиляция",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(alias: &str) -> Area {
        Area {
            id: "x".into(),
            name: "X".into(),
            aliases: vec![alias.into()],
        }
    }

    #[test]
    fn accusative_changes_the_head_only() {
        assert_eq!(accusative("лампа в гостиной"), "лампу в гостиной");
        assert_eq!(accusative("входная дверь"), "входную дверь");
        assert_eq!(accusative("сигнализация"), "сигнализацию");
        assert_eq!(accusative("свет на кухне"), "свет на кухне");
        assert_eq!(accusative("шторы"), "шторы");
    }

    #[test]
    fn locative_picks_the_preposition_and_ending() {
        assert_eq!(locative(&area("кухня")), "на кухне");
        assert_eq!(locative(&area("гостиная")), "в гостиной");
        assert_eq!(locative(&area("спальня")), "в спальне");
        assert_eq!(locative(&area("коридор")), "в коридоре");
        assert_eq!(locative(&area("улица")), "на улице");
        assert_eq!(locative(&area("гараж")), "в гараже");
    }

    #[test]
    fn participles_agree() {
        assert_eq!(agree("выключен", gender("свет на кухне")), "выключен");
        assert_eq!(agree("заперт", gender("входная дверь")), "заперта");
        assert_eq!(agree("закрыт", gender("гаражные ворота")), "закрыты");
        assert_eq!(agree("выключен", gender("отопление")), "выключено");
        assert_eq!(agree("закрыт", gender("«Front door sensor»")), "закрыто");
    }
}

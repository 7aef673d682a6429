//! The fixed words around commands in English and Russian: kinds of device, fillers,
//! quantifiers, question words, thermostat modes, and the words that make a sentence
//! something other than a plain command ("if", "tomorrow", "не"). Verbs are in `verbs`.
//!
//! House-specific words (names, areas, aliases) are not here: they come from the registry.

use crate::devices::Domain;

/// A kind of device named by a common noun ("lamp", "шторы"), with the device classes it
/// covers (empty: any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind {
    /// The domain.
    pub(crate) domain: Domain,
    /// Device classes within the domain; empty means all.
    pub(crate) classes: &'static [&'static str],
}

const WINDOW_COVERS: &[&str] = &["blind", "curtain", "shade", "shutter", "awning"];

/// The kind of device a stem names.
pub(crate) fn kind(stem: &str) -> Option<Kind> {
    let (domain, classes): (Domain, &'static [&'static str]) = match stem {
        "light" | "lamp" | "lighting" | "свет" | "ламп" | "освещен" | "люстр" | "лампочк" => {
            (Domain::Light, &[])
        }
        "blind" | "shade" | "curtain" | "shutter" | "штор" | "жалюз" | "занавеск" => {
            (Domain::Cover, WINDOW_COVERS)
        }
        "thermostat"
        | "heating"
        | "heater"
        | "термостат"
        | "отоплен"
        | "обогреватель"
        | "батаре" => (Domain::Climate, &[]),
        "fan" | "вентилятор" => (Domain::Fan, &[]),
        "plug" | "socket" | "outlet" | "розетк" => (Domain::Switch, &[]),
        "tv" | "television" | "телевизор" | "телик" => (Domain::MediaPlayer, &[]),
        "lock" | "замок" | "замк" => (Domain::Lock, &[]),
        "alarm" | "сигнализац" => (Domain::AlarmControlPanel, &[]),
        "scene" | "сцен" => (Domain::Scene, &[]),
        _ => return None,
    };
    Some(Kind { domain, classes })
}

const FILLERS: &[&str] = &[
    "the",
    "a",
    "an",
    "please",
    "pls",
    "plz",
    "could",
    "can",
    "would",
    "will",
    "you",
    "u",
    "me",
    "for",
    "just",
    "now",
    "right",
    "kindly",
    "to",
    "it",
    "its",
    "in",
    "at",
    "of",
    "my",
    "our",
    "hey",
    "ok",
    "okay",
    "mirai",
    "i",
    "want",
    "like",
    "id",
    "do",
    "go",
    "ahead",
    "also",
    "bit",
    "little",
    "thanks",
    "thank",
    "there",
    "into",
    "with",
    "mode",
    "be",
    "position",
    "level",
    "room",
    "пожалуйста",
    "можешь",
    "можете",
    "можно",
    "мне",
    "а",
    "ну",
    "давай",
    "давайте",
    "ка",
    "в",
    "во",
    "на",
    "у",
    "с",
    "со",
    "к",
    "сейчас",
    "быстро",
    "тут",
    "здесь",
    "нам",
    "ты",
    "вы",
    "это",
    "же",
    "плиз",
    "мирай",
    "эй",
    "до",
    "режим",
    "режиме",
    "спасибо",
    "теперь",
    "чуть",
    "немного",
    "побольше",
    "поменьше",
    "уровень",
    "позицию",
    "положение",
    "дома",
    ",",
];

/// Words that carry no meaning in a command: articles, prepositions, politeness.
pub(crate) fn filler(word: &str) -> bool {
    FILLERS.contains(&word)
}

const BLOCKERS: &[&str] = &[
    "if",
    "when",
    "whenever",
    "unless",
    "until",
    "after",
    "before",
    "tomorrow",
    "tonight",
    "later",
    "then",
    "day",
    "days",
    "morning",
    "evening",
    "minute",
    "minutes",
    "hour",
    "hours",
    "second",
    "seconds",
    "am",
    "pm",
    "oclock",
    "dont",
    "not",
    "never",
    "remember",
    "remind",
    "why",
    "should",
    "cant",
    "wont",
    "didnt",
    "doesnt",
    "isnt",
    "was",
    "were",
    "did",
    "yesterday",
    "who",
    "where",
    "timer",
    "если",
    "когда",
    "как",
    "потом",
    "затем",
    "после",
    "перед",
    "завтра",
    "вечером",
    "утром",
    "ночью",
    "через",
    "минут",
    "минуту",
    "минуты",
    "час",
    "часа",
    "часов",
    "секунд",
    "утра",
    "вечера",
    "не",
    "нельзя",
    "никогда",
    "запомни",
    "напомни",
    "помнишь",
    "почему",
    "зачем",
    "вчера",
    "был",
    "была",
    "было",
    "чтобы",
    "каждый",
    "каждое",
    "каждую",
    "будильник",
    "таймер",
    "пока",
];

/// Words that make a sentence conditional, scheduled, negated, remembered or otherwise more
/// than a plain command: the model handles those.
pub(crate) fn blocker(word: &str) -> bool {
    BLOCKERS.contains(&word)
}

const QUANTIFIERS: &[&str] = &[
    "all",
    "every",
    "everywhere",
    "все",
    "весь",
    "всю",
    "всем",
    "везде",
    "всех",
];

/// "all", "every", "весь", "все": every device of the named kind.
pub(crate) fn quantifier(word: &str) -> bool {
    QUANTIFIERS.contains(&word)
}

const QUESTION_WORDS: &[&str] = &[
    "what",
    "whats",
    "how",
    "which",
    "tell",
    "is",
    "are",
    "any",
    "anything",
    "какая",
    "какой",
    "какое",
    "сколько",
    "скажи",
    "что",
    "ли",
    "есть",
];

/// Words that open a question.
pub(crate) fn question_word(word: &str) -> bool {
    QUESTION_WORDS.contains(&word)
}

/// Thermostat modes, as Home Assistant names them.
pub(crate) fn hvac_mode(word: &str) -> Option<&'static str> {
    match word {
        "heat" | "обогрев" | "нагрев" => Some("heat"),
        "cool" | "охлаждение" | "охлаждения" | "охлаждать" => {
            Some("cool")
        }
        "auto" | "automatic" | "авто" | "автоматический" | "автомат" => {
            Some("auto")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_modes() {
        assert_eq!(kind("ламп").map(|k| k.domain), Some(Domain::Light));
        assert_eq!(kind("штор").map(|k| k.domain), Some(Domain::Cover));
        assert_eq!(kind("kitchen"), None);
        assert_eq!(hvac_mode("охлаждение"), Some("cool"));
    }

    #[test]
    fn word_classes_do_not_overlap() {
        for w in ["if", "не", "tomorrow", "через"] {
            assert!(
                blocker(w) && !filler(w) && super::super::verbs::cue(w).is_none(),
                "{w}"
            );
        }
        for w in ["all", "весь"] {
            assert!(quantifier(w) && !filler(w));
        }
    }
}

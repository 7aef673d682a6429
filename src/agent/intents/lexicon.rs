//! The fixed words of home commands in English and Russian: verbs and their particles,
//! words for kinds of device, quantifiers, question words, and the words that make a
//! sentence something other than a plain command ("if", "tomorrow", "не").
//!
//! House-specific words (names, areas, aliases) are not here: they come from the registry.

use crate::devices::Domain;

/// What a command asks to be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Turn on, switch on, включи.
    TurnOn,
    /// Turn off, выключи.
    TurnOff,
    /// Toggle, переключи.
    Toggle,
    /// Open (covers), unlock (locks).
    Open,
    /// Close (covers), lock (locks).
    Close,
    /// Stop a moving cover.
    Stop,
    /// Lock.
    Lock,
    /// Unlock.
    Unlock,
    /// Set to a value or mode: set, поставь, сделай.
    Set,
    /// Turn up, прибавь: brighter, warmer, or open, by kind.
    Up,
    /// Turn down, убавь.
    Down,
    /// Brighter (lights only).
    Brighten,
    /// Dimmer (lights only).
    Dim,
    /// Warmer (thermostats only).
    Warmer,
    /// Cooler (thermostats only).
    Cooler,
    /// Activate a scene.
    Activate,
    /// Arm the alarm, away.
    ArmAway,
    /// Arm the alarm, at home.
    ArmHome,
    /// Disarm the alarm.
    Disarm,
    /// A brightness to set ("яркость 40"), lights only.
    SetBrightness,
    /// A temperature to set ("temperature to 22"), thermostats only.
    SetTemperature,
}

/// What a command is about when the verb alone does not say: "brightness", "температуру".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aspect {
    /// Light level.
    Brightness,
    /// Thermostat setpoint.
    Temperature,
}

/// The part a fixed word plays in a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cue {
    /// A verb that says the action alone.
    Verb(Action),
    /// "turn", "switch", "power", "put": the particle after it says the action.
    Phrasal,
    /// "shut": close, or off with "off" / "down".
    Shut,
    /// "on", "off", "up", "down".
    Particle(Action),
    /// "warmer", "ярче": refines "make" / "сделай", or stands for the verb.
    Modifier(Action),
    /// "brightness", "температуру": turns "up" into brighter or warmer, "set" into a level.
    Aspect(Aspect),
}

/// The cue `word` gives, if any. English verbs count only at the start of a clause; the
/// caller checks that.
pub(crate) fn cue(word: &str) -> Option<Cue> {
    use Action::*;
    let verb = match word {
        "turn" | "switch" | "power" | "put" => return Some(Cue::Phrasal),
        "shut" => return Some(Cue::Shut),
        "on" => return Some(Cue::Particle(TurnOn)),
        "off" => return Some(Cue::Particle(TurnOff)),
        "up" => return Some(Cue::Particle(Up)),
        "down" => return Some(Cue::Particle(Down)),
        "warmer" | "hotter" | "теплее" | "потеплее" => {
            return Some(Cue::Modifier(Warmer));
        }
        "cooler" | "colder" | "холоднее" | "похолоднее" | "прохладнее" =>
        {
            return Some(Cue::Modifier(Cooler));
        }
        "brighter" | "ярче" | "поярче" => return Some(Cue::Modifier(Brighten)),
        "dimmer" | "darker" | "темнее" | "потемнее" | "тусклее" => {
            return Some(Cue::Modifier(Dim));
        }
        "brightness" | "яркость" | "яркости" => {
            return Some(Cue::Aspect(Aspect::Brightness));
        }
        "temperature" | "температуру" | "температура" | "температуры" =>
        {
            return Some(Cue::Aspect(Aspect::Temperature));
        }
        "включи" | "включить" | "включите" | "включай" | "включайте" | "включишь" | "вруби"
        | "врубить" | "врубите" | "зажги" | "зажгите" | "зажечь" => {
            TurnOn
        }
        "выключи" | "выключить" | "выключите" | "выключай" | "выключишь" | "отключи"
        | "отключить" | "отключите" | "погаси" | "погасить" | "погасите" | "выруби"
        | "вырубить" | "вырубите" | "потуши" | "потушить" => TurnOff,
        "toggle" | "flip" | "переключи" | "переключить" | "переключите" => {
            Toggle
        }
        "open" | "открой" | "открыть" | "откройте" | "открывай" => {
            Open
        }
        "close" | "закрой" | "закрыть" | "закройте" | "закрывай" => {
            Close
        }
        "stop" | "останови" | "остановить" | "остановите" | "стоп" => {
            Stop
        }
        "lock" | "запри" | "запереть" | "заприте" | "заблокируй" | "заблокировать" => {
            Lock
        }
        "unlock" | "отопри" | "отпереть" | "отоприте" | "разблокируй" | "разблокировать" => {
            Unlock
        }
        "set"
        | "make"
        | "поставь"
        | "поставить"
        | "поставьте"
        | "установи"
        | "установить"
        | "установите"
        | "сделай"
        | "сделать"
        | "сделайте"
        | "выстави"
        | "выставь"
        | "переведи" => Set,
        "raise" | "increase" | "прибавь" | "прибавить" | "прибавьте" | "увеличь" | "увеличить"
        | "повысь" | "подними" | "поднять" | "поднимите" => Up,
        "lower" | "decrease" | "reduce" | "убавь" | "убавить" | "убавьте" | "уменьши"
        | "уменьшить" | "понизь" | "опусти" | "опустить" | "опустите" => {
            Down
        }
        "brighten" => Brighten,
        "dim" | "приглуши" | "приглушить" => Dim,
        "activate"
        | "start"
        | "run"
        | "активируй"
        | "активировать"
        | "запусти"
        | "запустить"
        | "запустите" => Activate,
        "arm" => ArmAway,
        "disarm" => Disarm,
        "сними" | "снять" | "снимите" => Disarm,
        _ => return None,
    };
    Some(Cue::Verb(verb))
}

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

/// Words that carry no meaning in a command: articles, prepositions, politeness.
pub(crate) fn filler(word: &str) -> bool {
    matches!(
        word,
        "the"
            | "a"
            | "an"
            | "please"
            | "pls"
            | "plz"
            | "could"
            | "can"
            | "would"
            | "will"
            | "you"
            | "u"
            | "me"
            | "for"
            | "just"
            | "now"
            | "right"
            | "kindly"
            | "to"
            | "it"
            | "its"
            | "in"
            | "at"
            | "of"
            | "my"
            | "our"
            | "hey"
            | "ok"
            | "okay"
            | "mirai"
            | "i"
            | "want"
            | "like"
            | "id"
            | "do"
            | "go"
            | "ahead"
            | "also"
            | "bit"
            | "little"
            | "thanks"
            | "thank"
            | "there"
            | "into"
            | "with"
            | "mode"
            | "be"
            | "position"
            | "level"
            | "room"
            | "пожалуйста"
            | "можешь"
            | "можете"
            | "можно"
            | "мне"
            | "а"
            | "ну"
            | "давай"
            | "давайте"
            | "ка"
            | "в"
            | "во"
            | "на"
            | "у"
            | "с"
            | "со"
            | "к"
            | "сейчас"
            | "быстро"
            | "тут"
            | "здесь"
            | "нам"
            | "ты"
            | "вы"
            | "это"
            | "же"
            | "плиз"
            | "мирай"
            | "эй"
            | "до"
            | "режим"
            | "режиме"
            | "спасибо"
            | "чуть"
            | "немного"
            | "побольше"
            | "поменьше"
            | "уровень"
            | "позицию"
            | "положение"
            | "дома"
    )
}

/// Words that make a sentence conditional, scheduled, negated, remembered or otherwise more
/// than a plain command: the model handles those.
pub(crate) fn blocker(word: &str) -> bool {
    matches!(
        word,
        "if" | "when"
            | "whenever"
            | "unless"
            | "until"
            | "after"
            | "before"
            | "tomorrow"
            | "tonight"
            | "later"
            | "then"
            | "day"
            | "days"
            | "morning"
            | "evening"
            | "minute"
            | "minutes"
            | "hour"
            | "hours"
            | "second"
            | "seconds"
            | "am"
            | "pm"
            | "oclock"
            | "dont"
            | "not"
            | "never"
            | "remember"
            | "remind"
            | "why"
            | "should"
            | "cant"
            | "wont"
            | "didnt"
            | "doesnt"
            | "isnt"
            | "was"
            | "were"
            | "did"
            | "yesterday"
            | "who"
            | "where"
            | "timer"
            | "если"
            | "когда"
            | "как"
            | "потом"
            | "затем"
            | "после"
            | "перед"
            | "завтра"
            | "вечером"
            | "утром"
            | "ночью"
            | "через"
            | "минут"
            | "минуту"
            | "минуты"
            | "час"
            | "часа"
            | "часов"
            | "секунд"
            | "утра"
            | "вечера"
            | "не"
            | "нельзя"
            | "никогда"
            | "запомни"
            | "напомни"
            | "помнишь"
            | "почему"
            | "зачем"
            | "вчера"
            | "был"
            | "была"
            | "было"
            | "чтобы"
            | "каждый"
            | "каждое"
            | "каждую"
            | "будильник"
            | "таймер"
            | "пока"
    )
}

/// "all", "every", "весь", "все": every device of the named kind.
pub(crate) fn quantifier(word: &str) -> bool {
    matches!(
        word,
        "all" | "every" | "everywhere" | "все" | "весь" | "всю" | "всем" | "везде" | "всех"
    )
}

/// Words that open a question.
pub(crate) fn question_word(word: &str) -> bool {
    matches!(
        word,
        "what"
            | "whats"
            | "how"
            | "which"
            | "tell"
            | "is"
            | "are"
            | "any"
            | "anything"
            | "какая"
            | "какой"
            | "какое"
            | "сколько"
            | "скажи"
            | "что"
            | "ли"
            | "есть"
    )
}

/// Thermostat modes, as Home Assistant names them.
pub(crate) fn hvac_mode(word: &str) -> Option<&'static str> {
    match word {
        "heat" | "heating" | "обогрев" | "нагрев" => Some("heat"),
        "cool" | "cooling" | "охлаждение" | "охлаждения" | "охлаждать" => {
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
    fn russian_verb_forms_share_an_action() {
        for w in ["включи", "включить", "включите", "вруби"] {
            assert_eq!(cue(w), Some(Cue::Verb(Action::TurnOn)), "{w}");
        }
        for w in ["выключи", "отключи", "погаси"] {
            assert_eq!(cue(w), Some(Cue::Verb(Action::TurnOff)), "{w}");
        }
        assert_eq!(cue("включено"), None, "a participle is not a command");
        assert_eq!(cue("закрыт"), None);
    }

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
            assert!(blocker(w) && !filler(w) && cue(w).is_none(), "{w}");
        }
        for w in ["all", "весь"] {
            assert!(quantifier(w) && !filler(w));
        }
    }
}

//! Verbs of home commands in English and Russian, the particles that complete them
//! ("turn … off") and the words that refine them ("warmer", "яркость").

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

/// Verbs that say their action alone, every form a person uses.
const VERBS: &[(Action, &[&str])] = &[
    (
        Action::TurnOn,
        &[
            "включи",
            "включить",
            "включите",
            "включай",
            "включайте",
            "включишь",
            "вруби",
            "врубить",
            "врубите",
            "зажги",
            "зажгите",
            "зажечь",
        ],
    ),
    (
        Action::TurnOff,
        &[
            "kill",
            "выключи",
            "выключить",
            "выключите",
            "выключай",
            "выключишь",
            "отключи",
            "отключить",
            "отключите",
            "погаси",
            "погасить",
            "погасите",
            "выруби",
            "вырубить",
            "вырубите",
            "потуши",
            "потушить",
        ],
    ),
    (
        Action::Toggle,
        &["toggle", "flip", "переключи", "переключить", "переключите"],
    ),
    (
        Action::Open,
        &["open", "открой", "открыть", "откройте", "открывай"],
    ),
    (
        Action::Close,
        &["close", "закрой", "закрыть", "закройте", "закрывай"],
    ),
    (
        Action::Stop,
        &["stop", "останови", "остановить", "остановите", "стоп"],
    ),
    (
        Action::Lock,
        &[
            "lock",
            "запри",
            "запереть",
            "заприте",
            "заблокируй",
            "заблокировать",
        ],
    ),
    (
        Action::Unlock,
        &[
            "unlock",
            "отопри",
            "отпереть",
            "отоприте",
            "разблокируй",
            "разблокировать",
        ],
    ),
    (
        Action::Set,
        &[
            "set",
            "make",
            "поставь",
            "поставить",
            "поставьте",
            "установи",
            "установить",
            "установите",
            "сделай",
            "сделать",
            "сделайте",
            "выстави",
            "выставь",
            "переведи",
        ],
    ),
    (
        Action::Up,
        &[
            "raise",
            "increase",
            "прибавь",
            "прибавить",
            "прибавьте",
            "увеличь",
            "увеличить",
            "повысь",
            "подними",
            "поднять",
            "поднимите",
        ],
    ),
    (
        Action::Down,
        &[
            "lower",
            "decrease",
            "reduce",
            "убавь",
            "убавить",
            "убавьте",
            "уменьши",
            "уменьшить",
            "понизь",
            "опусти",
            "опустить",
            "опустите",
        ],
    ),
    (Action::Brighten, &["brighten"]),
    (Action::Dim, &["dim", "приглуши", "приглушить"]),
    (
        Action::Activate,
        &[
            "activate",
            "start",
            "run",
            "активируй",
            "активировать",
            "запусти",
            "запустить",
            "запустите",
        ],
    ),
    (Action::ArmAway, &["arm"]),
    (Action::Disarm, &["disarm", "сними", "снять", "снимите"]),
];

/// The cue `word` gives, if any. English verbs count only at the start of a clause; the
/// caller checks that.
pub(crate) fn cue(word: &str) -> Option<Cue> {
    use Action::*;
    let cue = match word {
        "turn" | "switch" | "power" | "put" => Cue::Phrasal,
        "shut" => Cue::Shut,
        "on" => Cue::Particle(TurnOn),
        "off" => Cue::Particle(TurnOff),
        "up" => Cue::Particle(Up),
        "down" => Cue::Particle(Down),
        "warmer" | "hotter" | "теплее" | "потеплее" => Cue::Modifier(Warmer),
        "cooler" | "colder" | "холоднее" | "похолоднее" | "прохладнее" => {
            Cue::Modifier(Cooler)
        }
        "brighter" | "ярче" | "поярче" => Cue::Modifier(Brighten),
        "dimmer" | "darker" | "темнее" | "потемнее" | "тусклее" => {
            Cue::Modifier(Dim)
        }
        "brightness" | "яркость" | "яркости" => Cue::Aspect(Aspect::Brightness),
        "temperature" | "температуру" | "температура" | "температуры" => {
            Cue::Aspect(Aspect::Temperature)
        }
        _ => {
            let (action, _) = VERBS.iter().find(|(_, forms)| forms.contains(&word))?;
            Cue::Verb(*action)
        }
    };
    Some(cue)
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
}

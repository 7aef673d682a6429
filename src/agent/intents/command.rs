//! Commands: a request split into clauses ("turn off the kitchen light and the tv"), the
//! action, targets and value of each, and the service calls they make.
//!
//! A clause acts only when it has an action, targets that can take it, and the value the
//! action needs. Two equally good targets are ambiguity, not a choice: the request then
//! goes to the model.

use std::ops::Range;

use super::catalog::{Catalog, Mention};
use super::lexicon::{Kind, filler, hvac_mode, kind, quantifier};
use super::numbers::{Unit, Value, values};
use super::service::call;
use super::text::Token;
use super::verbs::{Action, Aspect, Cue, cue};
use crate::devices::{Domain, ServiceCall};

/// The calls `tokens` ask for, or `None` when any clause is not a confident command.
pub(crate) fn command(catalog: &Catalog, tokens: &[Token]) -> Option<Vec<ServiceCall>> {
    let clauses = clauses(catalog, tokens);
    let sentence_kinds = kinds(tokens);
    let sentence_values = values(tokens);
    let mut action = None;
    let mut calls: Vec<ServiceCall> = Vec::new();
    for range in clauses {
        let clause = &tokens[range];
        if clause.iter().all(|t| filler(&t.word)) {
            continue;
        }
        action = verb(clause).or(action);
        let mut values = values(clause);
        if values.is_empty() && needs_value(action?) && sentence_values.len() == 1 {
            values = sentence_values.clone();
        }
        if values.len() > 1 {
            return None;
        }
        let said = Said {
            action: action?,
            value: values.first().copied(),
            mode: clause.iter().find_map(|t| hvac_mode(&t.word)),
        };
        for index in targets(catalog, clause, &said, &sentence_kinds)? {
            let entity = &catalog.targets[index].entity;
            let call = call(said.action, entity, said.value, said.mode)?;
            if !calls.contains(&call) {
                calls.push(call);
            }
        }
    }
    (!calls.is_empty()).then_some(calls)
}

/// The clauses of a request as token ranges; a clause that names nothing ("включите,")
/// joins the next ("пожалуйста, свет на кухне").
fn clauses(catalog: &Catalog, tokens: &[Token]) -> Vec<Range<usize>> {
    let names = |r: &Range<usize>| {
        tokens[r.clone()]
            .iter()
            .any(|t| catalog.knows(t) || kind(&t.stem).is_some() || quantifier(&t.word))
    };
    let mut found = Vec::new();
    let (mut start, mut carry) = (0, None);
    for end in (0..=tokens.len()).filter(|&i| i == tokens.len() || separator(&tokens[i].word)) {
        let range = carry.take().unwrap_or(start)..end;
        start = end + 1;
        if names(&range) {
            found.push(range);
        } else {
            carry = Some(range.start);
        }
    }
    found.extend(carry.map(|s| s..tokens.len()));
    found
}

/// Whether any clause has a verb: a request that does is a command or nothing, never a
/// question.
pub(crate) fn commanding(tokens: &[Token]) -> bool {
    tokens
        .split(|t| separator(&t.word))
        .any(|c| head(c).is_some())
}

/// Words that split a request into clauses.
pub(crate) fn separator(word: &str) -> bool {
    matches!(word, "and" | "и" | ",")
}

fn needs_value(action: Action) -> bool {
    matches!(
        action,
        Action::Set | Action::SetBrightness | Action::SetTemperature
    )
}

/// What a clause says besides its targets.
struct Said<'a> {
    action: Action,
    value: Option<Value>,
    mode: Option<&'a str>,
}

/// The action of a clause. English verbs count only at its start ("is the door open?" is
/// not "open the door"); Russian verbs anywhere, as Russian word order is free.
fn verb(clause: &[Token]) -> Option<Action> {
    let (mut particle, mut modifier, mut aspect) = (None, None, None);
    let head = head(clause);
    for (i, token) in clause.iter().enumerate() {
        match cue(&token.word) {
            Some(Cue::Particle(a)) if head.is_some_and(|(_, at)| i > at) && particle.is_none() => {
                particle = Some(a)
            }
            Some(Cue::Modifier(a)) => modifier = Some(a),
            Some(Cue::Aspect(a)) => aspect = Some(a),
            _ => {}
        }
    }
    let base = match (head.map(|(c, _)| c), particle) {
        (Some(Cue::Verb(a)), _) => Some(a),
        (Some(Cue::Phrasal), p) => p,
        (Some(Cue::Shut), Some(Action::TurnOff | Action::Down)) => Some(Action::TurnOff),
        (Some(Cue::Shut), _) => Some(Action::Close),
        _ => None,
    };
    refine(base, modifier, aspect, clause)
}

/// The clause's verb and where it is: an English one only after fillers alone.
fn head(clause: &[Token]) -> Option<(Cue, usize)> {
    let mut at_start = true;
    for (i, token) in clause.iter().enumerate() {
        let english = token.word.is_ascii();
        if let Some(c @ (Cue::Verb(_) | Cue::Phrasal | Cue::Shut)) = cue(&token.word) {
            if at_start || !english {
                return Some((c, i));
            }
        }
        at_start &= filler(&token.word);
    }
    None
}

/// "make it warmer", "прибавь яркость", "поставь на охрану": the words after the verb
/// decide what it means.
fn refine(
    base: Option<Action>,
    modifier: Option<Action>,
    aspect: Option<Aspect>,
    clause: &[Token],
) -> Option<Action> {
    use Action::*;
    let guard = clause.iter().any(|t| t.stem == "охран");
    let stay = clause.iter().any(|t| t.word == "stay")
        || clause
            .windows(2)
            .any(|w| w[0].word == "home" && w[1].word == "mode");
    match (base, modifier, aspect) {
        (None | Some(Set | Up | Down), Some(m), _) => Some(m),
        (Some(Up), None, Some(Aspect::Brightness)) => Some(Brighten),
        (Some(Down), None, Some(Aspect::Brightness)) => Some(Dim),
        (None | Some(Set), None, Some(Aspect::Brightness)) => Some(SetBrightness),
        (Some(Up), None, Some(Aspect::Temperature)) => Some(Warmer),
        (Some(Down), None, Some(Aspect::Temperature)) => Some(Cooler),
        (None | Some(Set), None, Some(Aspect::Temperature)) => Some(SetTemperature),
        (Some(Set), None, None) if guard => Some(ArmAway),
        (Some(ArmAway), None, None) if stay => Some(ArmHome),
        (Some(Disarm), ..) if !guard && clause.iter().any(|t| t.word.starts_with("сним")) => {
            None
        }
        (base, ..) => base,
    }
}

/// The kinds of device the tokens name.
fn kinds(tokens: &[Token]) -> Vec<Kind> {
    tokens.iter().filter_map(|t| kind(&t.stem)).collect()
}

fn fits(kind: &Kind, domain: Domain, class: Option<&str>) -> bool {
    kind.domain == domain
        && (kind.classes.is_empty() || class.is_some_and(|c| kind.classes.contains(&c)))
}

/// The entities a clause acts on: named outright, or by kind (and area), or, for a
/// setpoint, the one thermostat. `None` when there is none or no single best one.
fn targets(
    catalog: &Catalog,
    clause: &[Token],
    said: &Said,
    sentence_kinds: &[Kind],
) -> Option<Vec<usize>> {
    let can = |i: usize| {
        call(
            said.action,
            &catalog.targets[i].entity,
            said.value,
            said.mode,
        )
        .is_some()
    };
    let areas = catalog.areas_in(clause);
    if areas.len() > 1 {
        return None;
    }
    let area = areas.first();
    let all = clause.iter().any(|t| quantifier(&t.word));
    let named: Vec<Mention> = catalog
        .entities_in(clause)
        .into_iter()
        .filter(|m| can(m.index))
        .collect();
    let mut kinds = kinds(clause);
    if kinds.is_empty() && named.is_empty() && area.is_some() {
        kinds = sentence_kinds.to_vec();
    }
    let every_of_kind = all && !kinds.is_empty();
    kinds.extend(implied(said).filter(|_| kinds.is_empty()));
    if !every_of_kind && !named.is_empty() {
        return by_name(catalog, &named, area).map(|i| vec![i]);
    }
    let area_id = area.map(|a| catalog.places[a.index].area.id.as_str());
    let found = by_kind(catalog, &kinds, area_id, can);
    match found.len() {
        0 => None,
        1 => Some(found),
        _ => all.then_some(found),
    }
}

/// Every entity of one of `kinds`, in `area` if one is said, that `can` act.
fn by_kind(
    catalog: &Catalog,
    kinds: &[Kind],
    area: Option<&str>,
    can: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let wanted = |e: &crate::devices::Entity| {
        kinds
            .iter()
            .any(|k| fits(k, e.domain, e.device_class.as_deref()))
            && area.is_none_or(|id| e.area.as_deref() == Some(id))
    };
    (0..catalog.targets.len())
        .filter(|&i| wanted(&catalog.targets[i].entity) && can(i))
        .collect()
}

/// The kind an action implies when none is named: "make it warmer" is the thermostat,
/// "яркость 40" a light.
fn implied(said: &Said) -> Option<Kind> {
    let degrees = said.value.is_some_and(|v| v.unit == Unit::Degrees);
    let domain = match said.action {
        Action::SetBrightness | Action::Brighten | Action::Dim => Domain::Light,
        Action::Warmer | Action::Cooler | Action::SetTemperature => Domain::Climate,
        _ if degrees || said.mode.is_some() => Domain::Climate,
        _ => return None,
    };
    Some(Kind {
        domain,
        classes: &[],
    })
}

/// The one entity named best; with an area said, it must be there or the area be part of
/// its name ("the garage" names the garage door).
fn by_name(catalog: &Catalog, named: &[Mention], area: Option<&Mention>) -> Option<usize> {
    let best = named.iter().map(Mention::strength).max()?;
    let top: Vec<&Mention> = named.iter().filter(|m| m.strength() == best).collect();
    let fits_area = |m: &&Mention| {
        area.is_none_or(|a| {
            let place = &catalog.places[a.index].area.id;
            catalog.targets[m.index].entity.area.as_ref() == Some(place) || a.used & !m.used == 0
        })
    };
    let placed: Vec<&Mention> = top.into_iter().filter(fits_area).collect();
    match placed.as_slice() {
        [one] => Some(one.index),
        _ => None,
    }
}

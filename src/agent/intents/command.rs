//! Commands: a request split into clauses ("turn off the kitchen light and the tv"), the
//! action, targets and value of each, and the service calls they make.
//!
//! A clause acts only when it has an action, targets that can take it, and the value the
//! action needs. Two equally good targets are ambiguity, not a choice: the request then
//! goes to the model.

use super::catalog::{Catalog, Mention};
use super::lexicon::{Action, Aspect, Cue, Kind, cue, filler, hvac_mode, kind, quantifier};
use super::numbers::{Value, values};
use super::service::call;
use super::text::Token;
use crate::devices::{Domain, ServiceCall};

/// The calls `tokens` ask for, or `None` when any clause is not a confident command.
pub(crate) fn command(catalog: &Catalog, tokens: &[Token]) -> Option<Vec<ServiceCall>> {
    let clauses: Vec<&[Token]> = tokens.split(|t| separator(&t.word)).collect();
    let sentence_kinds = kinds(tokens);
    let sentence_values = values(tokens);
    let mut action = None;
    let mut calls: Vec<ServiceCall> = Vec::new();
    for clause in clauses {
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
    let mut head: Option<Cue> = None;
    let (mut particle, mut modifier, mut aspect) = (None, None, None);
    let mut at_start = true;
    for token in clause {
        let english = token.word.is_ascii();
        match cue(&token.word) {
            Some(c @ (Cue::Verb(_) | Cue::Phrasal | Cue::Shut))
                if head.is_none() && (at_start || !english) =>
            {
                head = Some(c);
            }
            Some(Cue::Particle(a)) if head.is_some() && particle.is_none() => particle = Some(a),
            Some(Cue::Modifier(a)) => modifier = Some(a),
            Some(Cue::Aspect(a)) => aspect = Some(a),
            _ => {}
        }
        at_start &= filler(&token.word);
    }
    let base = match (head, particle) {
        (Some(Cue::Verb(a)), _) => Some(a),
        (Some(Cue::Phrasal), p) => p,
        (Some(Cue::Shut), Some(Action::TurnOff | Action::Down)) => Some(Action::TurnOff),
        (Some(Cue::Shut), _) => Some(Action::Close),
        _ => None,
    };
    refine(base, modifier, aspect, clause)
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
    let mut kinds = kinds(clause);
    let named: Vec<Mention> = catalog
        .entities_in(clause)
        .into_iter()
        .filter(|m| can(m.index))
        .collect();
    if kinds.is_empty() && named.is_empty() && area.is_some() {
        kinds = sentence_kinds.to_vec();
    }
    let every_of_kind = all && !kinds.is_empty();
    if !every_of_kind && !named.is_empty() {
        return by_name(catalog, &named, area).map(|i| vec![i]);
    }
    let area_id = area.map(|a| catalog.places[a.index].area.id.as_str());
    let in_area =
        |i: &usize| area_id.is_none_or(|id| catalog.targets[*i].entity.area.as_deref() == Some(id));
    let of_kind = |i: &usize| {
        let e = &catalog.targets[*i].entity;
        kinds
            .iter()
            .any(|k| fits(k, e.domain, e.device_class.as_deref()))
    };
    let found: Vec<usize> = if kinds.is_empty() && climate_only(said) {
        let thermostat = |i: &usize| catalog.targets[*i].entity.domain == Domain::Climate;
        (0..catalog.targets.len())
            .filter(|i| can(*i) && thermostat(i) && in_area(i))
            .collect()
    } else {
        (0..catalog.targets.len())
            .filter(|i| can(*i) && of_kind(i) && in_area(i))
            .collect()
    };
    match found.len() {
        0 => None,
        1 => Some(found),
        _ => all.then_some(found),
    }
}

/// Actions that only a thermostat takes, so "make it warmer" needs no device named.
fn climate_only(said: &Said) -> bool {
    let degrees = said
        .value
        .is_some_and(|v| v.unit == super::numbers::Unit::Degrees);
    degrees
        || said.mode.is_some()
        || matches!(
            said.action,
            Action::Warmer | Action::Cooler | Action::SetTemperature
        )
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

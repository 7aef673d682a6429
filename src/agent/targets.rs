//! What the model's tool arguments point at: `find_devices`' words and filters run over the
//! entity index, and `call_service`'s targets in MIRAI's form (`entity_id`) or Home
//! Assistant's (`domain`, `target: {entity_id: "x" | ["x", "y"]}`).

use serde_json::Value;

use super::retrieval::EntityIndex;
use crate::devices::{Domain, Entity, ServiceCall};

/// `find_devices`' arguments; empty means "any".
#[derive(Debug, Default)]
pub(crate) struct Filter<'a> {
    pub(crate) query: &'a str,
    pub(crate) area: &'a str,
    pub(crate) domain: &'a str,
    pub(crate) state: &'a str,
}

/// What a search found.
#[derive(Debug)]
pub(crate) struct Found {
    /// The entities, as they are now.
    pub(crate) entities: Vec<Entity>,
    /// More matched than were returned.
    pub(crate) more: bool,
}

/// The entities matching `filter`, ranked by its words when it has any, at most `cap`;
/// states are read through `lookup` (one entity at a time) and only when filtered on.
pub(crate) fn find(
    index: &EntityIndex,
    filter: &Filter<'_>,
    lookup: impl Fn(&str) -> Option<Entity>,
    cap: usize,
) -> Found {
    let domain = parse_domain(filter.domain);
    let areas = (!filter.area.is_empty()).then(|| index.areas_named(filter.area));
    let candidates: Vec<u32> = if filter.query.trim().is_empty() {
        (0..index.len() as u32).collect()
    } else {
        index.rank(filter.query).into_iter().map(|r| r.0).collect()
    };
    let mut found = Found {
        entities: Vec::new(),
        more: false,
    };
    for n in candidates {
        let (id, d, area) = index.get(n);
        if domain.as_ref().is_some_and(|w| w.as_ref() != Some(&d))
            || areas
                .as_ref()
                .is_some_and(|a| !area.is_some_and(|x| a.contains(&x)))
        {
            continue;
        }
        let Some(entity) = lookup(id) else { continue };
        if !filter.state.is_empty() && !entity.state.eq_ignore_ascii_case(filter.state.trim()) {
            continue;
        }
        if found.entities.len() == cap {
            found.more = true;
            break;
        }
        found.entities.push(entity);
    }
    found
}

/// The domain a `domain` argument names: `Some(None)` when it names none (nothing matches),
/// `None` when the argument is empty.
fn parse_domain(text: &str) -> Option<Option<Domain>> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return None;
    }
    let stem = super::intents::text::stem(&text);
    Some(
        serde_json::from_value(Value::String(text))
            .ok()
            .or_else(|| super::intents::lexicon::kind(&stem).map(|k| k.domain)),
    )
}

/// The calls a `call_service` asks for, one per target entity.
pub(crate) fn calls(args: &Value) -> Result<Vec<ServiceCall>, String> {
    let text = |key: &str| args.get(key).and_then(Value::as_str).unwrap_or("").trim();
    let (domain, service) = match text("service").split_once('.') {
        Some((d, s)) => (d, s),
        None => (text("domain"), text("service")),
    };
    if service.is_empty() {
        return Err("service is missing".into());
    }
    let data = match args.get("data") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err("data must be an object".into()),
    };
    let mut ids = Vec::new();
    ids_in(args.get("entity_id"), &mut ids)?;
    ids_in(
        args.get("target").and_then(|t| t.get("entity_id")),
        &mut ids,
    )?;
    if ids.is_empty() {
        return Err("no entity_id: give entity_id or target.entity_id".into());
    }
    ids.into_iter()
        .map(|id| {
            let call = ServiceCall {
                entity_id: id,
                service: service.to_owned(),
                data: data.clone(),
            };
            let generic = domain.is_empty() || domain == "homeassistant";
            if !generic && call.domain() != domain {
                return Err(format!("{} is not in domain {domain}", call.entity_id));
            }
            Ok(call)
        })
        .collect()
}

fn ids_in(value: Option<&Value>, ids: &mut Vec<String>) -> Result<(), String> {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(id)) => ids.push(id.trim().to_owned()),
        Some(Value::Array(all)) => {
            for v in all {
                let id = v.as_str().ok_or("entity_id must be a string or strings")?;
                ids.push(id.trim().to_owned());
            }
        }
        Some(_) => return Err("entity_id must be a string or strings".into()),
    }
    ids.dedup();
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_forms_of_a_call_give_one_call_per_target() {
        let ours = calls(&json!({"entity_id": "light.a", "service": "turn_on",
                                 "data": {"brightness_pct": 40}}))
        .unwrap();
        assert_eq!(ours.len(), 1);
        assert_eq!(ours[0].data["brightness_pct"], 40);
        let ha = calls(&json!({"domain": "light", "service": "turn_off",
                               "target": {"entity_id": ["light.a", "light.b"]}}))
        .unwrap();
        let ids: Vec<&str> = ha.iter().map(|c| c.entity_id.as_str()).collect();
        assert_eq!(ids, ["light.a", "light.b"]);
        assert_eq!(ha[1].service, "turn_off");
        let dotted = calls(&json!({"service": "lock.unlock", "target": {"entity_id": "lock.f"}}));
        assert_eq!(dotted.unwrap()[0].service, "unlock");
    }

    #[test]
    fn a_call_without_targets_or_in_the_wrong_domain_is_refused() {
        assert!(calls(&json!({"service": "turn_on"})).is_err());
        assert!(calls(&json!({"entity_id": "light.a"})).is_err());
        let wrong = calls(&json!({"domain": "lock", "service": "unlock", "entity_id": "light.a"}));
        assert!(wrong.unwrap_err().contains("light.a"));
        assert!(calls(&json!({"entity_id": 5, "service": "turn_on"})).is_err());
        let generic = calls(&json!({"domain": "homeassistant", "service": "turn_on",
                                    "entity_id": "light.a"}));
        assert_eq!(generic.unwrap()[0].entity_id, "light.a");
    }
}

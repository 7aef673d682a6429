//! Entity retrieval: which of the house's entities a request is about, ranked, without
//! reading every entity per request.
//!
//! [`EntityIndex`] is built once per registry generation from the entities' ids, names and
//! aliases (any language), their areas' names and aliases, and their domains and device
//! classes, all as stems (the intents' folding and stemmer, so "кухне" finds "Кухня"). A
//! request word counts once per entity, by the strongest way it meets it: a word of its name
//! or an alias, then a word of its area, then a domain or device-class word. Rarer words
//! count more. States are not indexed: they change without a new generation.

use std::collections::{HashMap, HashSet};

use super::intents::lexicon;
use super::intents::text::{Token, normalize};
use crate::devices::{Area, Domain, Entity};

/// Entities handed to the model with a request at most.
pub const MAX_RELEVANT: usize = 12;
/// A ranked entity scoring below this share of the best one is left out: once a name is
/// matched, "another light somewhere" is noise.
const MIN_SHARE_OF_BEST: f32 = 0.25;

/// How a request word meets an entity, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Kind,
    Area,
    Name,
}

impl Field {
    /// The base of a word's score; rarity adds up to as much again, so one name word always
    /// outweighs an area word plus a kind word, and an area word a kind word.
    fn base(self) -> f32 {
        match self {
            Field::Kind => 1.0,
            Field::Area => 3.0,
            Field::Name => 9.0,
        }
    }
}

/// One entity as the index knows it: no state, no attributes.
#[derive(Debug, Clone)]
struct Indexed {
    id: String,
    domain: Domain,
    area: Option<usize>,
    /// The stems of each of its names (name, aliases, object id).
    names: Vec<Vec<String>>,
}

/// The house's names, ready to rank entities against a request.
#[derive(Debug, Clone, Default)]
pub struct EntityIndex {
    entities: Vec<Indexed>,
    areas: Vec<Area>,
    /// Stem → entities with that word in a name, alias or id.
    names: HashMap<String, Vec<u32>>,
    /// Stem → areas with that word in a name, alias or id.
    area_words: HashMap<String, Vec<usize>>,
    /// Area → its entities.
    members: Vec<Vec<u32>>,
    /// Stem of a domain or device-class word → entities of that kind.
    kinds: HashMap<String, Vec<u32>>,
    by_domain: HashMap<Domain, Vec<u32>>,
}

impl EntityIndex {
    /// The index of `entities` in `areas`.
    pub fn new(entities: &[Entity], areas: &[Area]) -> Self {
        let mut index = EntityIndex {
            areas: areas.to_vec(),
            members: vec![Vec::new(); areas.len()],
            ..EntityIndex::default()
        };
        for (i, area) in areas.iter().enumerate() {
            let names = std::iter::once(area.name.as_str())
                .chain(area.aliases.iter().map(String::as_str))
                .chain(std::iter::once(area.id.as_str()));
            for stem in names.flat_map(stems).collect::<HashSet<_>>() {
                index.area_words.entry(stem).or_default().push(i);
            }
        }
        let area_of: HashMap<&str, usize> = areas
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i))
            .collect();
        for (n, e) in entities.iter().enumerate() {
            index.add(n as u32, e, &area_of);
        }
        index
    }

    fn add(&mut self, n: u32, e: &Entity, area_of: &HashMap<&str, usize>) {
        let object_id = e.id.split_once('.').map_or(e.id.as_str(), |(_, o)| o);
        let names: Vec<Vec<String>> = std::iter::once(e.name.as_str())
            .chain(e.aliases.iter().map(String::as_str))
            .chain(std::iter::once(object_id))
            .map(stems)
            .filter(|s| !s.is_empty())
            .collect();
        for stem in names.iter().flatten().collect::<HashSet<_>>() {
            self.names.entry(stem.clone()).or_default().push(n);
        }
        let kind_words = std::iter::once(e.domain.as_str()).chain(e.device_class.as_deref());
        for stem in kind_words.flat_map(stems).collect::<HashSet<_>>() {
            self.kinds.entry(stem).or_default().push(n);
        }
        self.by_domain.entry(e.domain).or_default().push(n);
        let area = e.area.as_deref().and_then(|a| area_of.get(a).copied());
        if let Some(a) = area {
            self.members[a].push(n);
        }
        self.entities.push(Indexed {
            id: e.id.clone(),
            domain: e.domain,
            area,
            names,
        });
    }

    /// How many entities it holds.
    pub(crate) fn len(&self) -> usize {
        self.entities.len()
    }

    /// The areas, as they were when it was built.
    pub(crate) fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// The ids of the `k` entities most relevant to `text`, best first; none when no word
    /// of it names, places or kinds anything.
    pub fn relevant(&self, text: &str, k: usize) -> Vec<&str> {
        let mut ranked = self.scores(text);
        // Only the best k are wanted: select them, then sort those few (a word like "light"
        // can touch hundreds of entities).
        if k > 0 && ranked.len() > k {
            ranked.select_nth_unstable_by(k - 1, |a, b| self.order(a, b));
            ranked.truncate(k);
        }
        ranked.sort_by(|a, b| self.order(a, b));
        let best = ranked.first().map_or(0.0, |r| r.1);
        ranked
            .into_iter()
            .take_while(|r| r.1 >= best * MIN_SHARE_OF_BEST)
            .take(k)
            .map(|(n, _)| self.entities[n as usize].id.as_str())
            .collect()
    }

    /// Every entity some word of `text` meets, with its score, best first (ties by id).
    pub(crate) fn rank(&self, text: &str) -> Vec<(u32, f32)> {
        let mut ranked = self.scores(text);
        ranked.sort_by(|a, b| self.order(a, b));
        ranked
    }

    /// Higher scores first, then ids in order.
    fn order(&self, a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
        b.1.total_cmp(&a.1).then_with(|| {
            self.entities[a.0 as usize]
                .id
                .cmp(&self.entities[b.0 as usize].id)
        })
    }

    /// Every entity some word of `text` meets, with its score, unordered.
    fn scores(&self, text: &str) -> Vec<(u32, f32)> {
        let words = request_stems(text);
        let mut score = vec![0.0f32; self.entities.len()];
        let mut met_by = vec![usize::MAX; self.entities.len()];
        let mut touched = Vec::new();
        let total = self.entities.len().max(1) as f32;
        for (w, stem) in words.iter().enumerate() {
            for (field, hits) in self.meetings(stem) {
                let fresh: Vec<u32> = hits
                    .into_iter()
                    .filter(|&n| met_by[n as usize] != w)
                    .collect();
                // Rarity in (0, 1]: a word only a few entities have tells more.
                let rarity = (1.0 + total / fresh.len().max(1) as f32).ln() / (1.0 + total).ln();
                for n in fresh {
                    let n_ = n as usize;
                    if score[n_] == 0.0 {
                        touched.push(n);
                    }
                    met_by[n_] = w;
                    score[n_] += field.base() * (1.0 + rarity);
                }
            }
        }
        let said: HashSet<&str> = words.iter().map(String::as_str).collect();
        touched
            .into_iter()
            .map(|n| (n, score[n as usize] + self.whole_name_bonus(n, &said)))
            .collect()
    }

    /// The entities one stem meets, strongest field first.
    fn meetings(&self, stem: &str) -> [(Field, Vec<u32>); 3] {
        let names = self.names.get(stem).cloned().unwrap_or_default();
        let areas: Vec<u32> = self
            .area_words
            .get(stem)
            .into_iter()
            .flatten()
            .flat_map(|&a| self.members[a].iter().copied())
            .collect();
        let mut kinds = self.kinds.get(stem).cloned().unwrap_or_default();
        if let Some(kind) = lexicon::kind(stem) {
            kinds.extend(self.by_domain.get(&kind.domain).into_iter().flatten());
        }
        [
            (Field::Name, names),
            (Field::Area, areas),
            (Field::Kind, kinds),
        ]
    }

    /// One point when every word of one of its names was said ("kitchen light" over
    /// "kitchen light strip").
    fn whole_name_bonus(&self, n: u32, said: &HashSet<&str>) -> f32 {
        let whole = self.entities[n as usize]
            .names
            .iter()
            .any(|name| name.iter().all(|s| said.contains(s.as_str())));
        if whole { 1.0 } else { 0.0 }
    }

    /// The areas `text` names (by id, name or alias words), best first.
    pub(crate) fn areas_named(&self, text: &str) -> Vec<usize> {
        if let Some(i) = self.areas.iter().position(|a| a.id == text) {
            return vec![i];
        }
        let mut count = vec![0usize; self.areas.len()];
        for stem in request_stems(text) {
            for &a in self.area_words.get(&stem).into_iter().flatten() {
                count[a] += 1;
            }
        }
        let best = count.iter().copied().max().unwrap_or(0);
        (0..self.areas.len())
            .filter(|&a| best > 0 && count[a] == best)
            .collect()
    }

    /// The ids of every entity, in index order, with its domain and area.
    pub(crate) fn all(&self) -> impl Iterator<Item = (&str, Domain, Option<usize>)> {
        self.entities
            .iter()
            .map(|e| (e.id.as_str(), e.domain, e.area))
    }

    /// The id, domain and area of the `n`th entity.
    pub(crate) fn get(&self, n: u32) -> (&str, Domain, Option<usize>) {
        let e = &self.entities[n as usize];
        (e.id.as_str(), e.domain, e.area)
    }

    /// The ids of the entities in the area with id `area` (anywhere when `None`) whose
    /// domain is `wanted`, in index order.
    pub(crate) fn ids_in(&self, area: Option<&str>, wanted: impl Fn(Domain) -> bool) -> Vec<&str> {
        let place = area.map(|id| self.areas.iter().position(|a| a.id == id));
        self.all()
            .filter(|(_, d, a)| wanted(*d) && place.is_none_or(|p| p.is_some() && *a == p))
            .map(|(id, _, _)| id)
            .collect()
    }
}

/// The stems of a name's words, stopwords left out.
fn stems(text: &str) -> Vec<String> {
    normalize(text)
        .split_whitespace()
        .filter(|w| *w != "," && !stopword(w))
        .map(|w| Token::new(w).stem)
        .collect()
}

/// The distinct stems of a request's words, fillers left out.
fn request_stems(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    stems(text)
        .into_iter()
        .filter(|s| !lexicon::filler(s) && seen.insert(s.clone()))
        .collect()
}

/// Words that never tell one entity from another.
fn stopword(word: &str) -> bool {
    matches!(
        word,
        "the"
            | "a"
            | "an"
            | "in"
            | "of"
            | "at"
            | "on"
            | "off"
            | "to"
            | "is"
            | "and"
            | "в"
            | "во"
            | "на"
            | "у"
            | "и"
            | "с"
            | "по"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(id: &str, name: &str, aliases: &[&str], area: Option<&str>) -> Entity {
        let domain = match id.split('.').next() {
            Some("light") => Domain::Light,
            Some("lock") => Domain::Lock,
            Some("climate") => Domain::Climate,
            _ => Domain::Sensor,
        };
        Entity {
            id: id.into(),
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            area: area.map(str::to_owned),
            domain,
            device_class: (domain == Domain::Sensor).then(|| "temperature".to_owned()),
            state: "off".into(),
            attributes: Default::default(),
            backend: "test".into(),
        }
    }

    fn area(id: &str, name: &str, aliases: &[&str]) -> Area {
        Area {
            id: id.into(),
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn index() -> EntityIndex {
        EntityIndex::new(
            &[
                entity("light.ceiling", "Ceiling", &["люстра"], Some("kitchen")),
                entity("light.reading", "Reading lamp", &[], Some("bedroom")),
                entity("lock.front", "Front door", &["входная дверь"], Some("hall")),
                entity("sensor.thermo", "Thermometer", &[], Some("kitchen")),
                entity("climate.main", "Heating", &["отопление"], None),
            ],
            &[
                area("kitchen", "Kitchen", &["кухня"]),
                area("bedroom", "Bedroom", &["спальня"]),
                area("hall", "Hall", &[]),
            ],
        )
    }

    #[test]
    fn names_rank_above_areas_above_kinds() {
        let i = index();
        // "reading" names one light, "kitchen" places two entities, "light" kinds two.
        let text = "turn on the reading light in the kitchen";
        let ranked: Vec<&str> = i.rank(text).iter().map(|r| i.get(r.0).0).collect();
        assert_eq!(ranked, ["light.reading", "light.ceiling", "sensor.thermo"]);
        // Far below the best, the thermometer is left out.
        assert_eq!(i.relevant(text, 12), ["light.reading", "light.ceiling"]);
        assert_eq!(
            i.relevant("the lights", 12),
            ["light.ceiling", "light.reading"]
        );
    }

    #[test]
    fn aliases_and_areas_in_russian_match_in_any_form() {
        let i = index();
        assert_eq!(i.relevant("включи люстру", 12)[0], "light.ceiling");
        assert_eq!(i.relevant("закрой входную дверь", 12)[0], "lock.front");
        assert_eq!(i.relevant("прибавь отопление", 12), ["climate.main"]);
        let kitchen = i.relevant("что на кухне", 12);
        assert_eq!(kitchen, ["light.ceiling", "sensor.thermo"]);
        assert_eq!(i.areas_named("кухня"), [0]);
        assert_eq!(i.areas_named("kitchen"), [0]);
    }

    #[test]
    fn ids_and_device_classes_are_words_too() {
        let i = index();
        assert_eq!(i.relevant("thermo", 12)[0], "sensor.thermo");
        assert_eq!(i.relevant("what is the temperature", 12), ["sensor.thermo"]);
    }

    #[test]
    fn nothing_named_gives_nothing() {
        let i = index();
        assert!(
            i.relevant("what will the weather be like tomorrow", 12)
                .is_empty()
        );
        assert!(i.relevant("", 12).is_empty());
        assert!(EntityIndex::default().relevant("kitchen", 12).is_empty());
    }

    #[test]
    fn the_top_k_is_bounded() {
        let entities: Vec<Entity> = (0..100)
            .map(|n| entity(&format!("light.l{n}"), &format!("Lamp {n}"), &[], None))
            .collect();
        let i = EntityIndex::new(&entities, &[]);
        assert_eq!(i.relevant("lamp", 12).len(), 12);
        assert_eq!(i.relevant("lamp 42", 12)[0], "light.l42");
        assert_eq!(i.ids_in(None, |_| true).len(), 100);
        assert!(i.ids_in(Some("attic"), |_| true).is_empty());
    }
}

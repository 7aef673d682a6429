//! The house as the parser sees it: every entity and area with its names and aliases as
//! stemmed words, and the search for them in a request.
//!
//! A name is mentioned when each of its words is in the request, in any order ("the light
//! in the kitchen" mentions "Kitchen light"); words are compared by stem and forgive one
//! typo on long words. Built once per registry change.

use std::collections::HashSet;

use super::lexicon::filler;
use super::numbers::is_number_word;
use super::text::{Likeness, Token, likeness, normalize};
use super::verbs::cue;
use crate::devices::{Area, Entity};

/// A word the parser already knows (a number, a verb, a filler) is never a typo of a
/// name: "halfway" is not "hallway".
fn typo_of_name(token: &Token, word: &Token) -> Likeness {
    match likeness(token, word) {
        Likeness::Typo
            if is_number_word(token) || cue(&token.word).is_some() || filler(&token.word) =>
        {
            Likeness::Different
        }
        other => other,
    }
}

/// Words dropped from names: they are not what tells one device from another.
fn name_stopword(word: &str) -> bool {
    matches!(
        word,
        "the" | "a" | "an" | "in" | "of" | "at" | "on" | "в" | "во" | "на" | "у"
    )
}

/// Words a name may have that people leave out ("front door" for "Front door sensor").
fn optional_word(stem: &str) -> bool {
    matches!(stem, "sensor" | "датчик")
}

/// One entity and the ways to name it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The entity as it was when the catalog was built.
    pub(crate) entity: Entity,
    /// Its name and aliases as words.
    names: Vec<Vec<Token>>,
}

/// One area and the ways to name it.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    /// The area.
    pub(crate) area: Area,
    names: Vec<Vec<Token>>,
}

/// Where a name was found in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mention {
    /// Index into the catalog's targets or places.
    pub(crate) index: usize,
    /// Words of the name found.
    pub(crate) words: usize,
    /// Of those, found without a typo.
    pub(crate) exact: usize,
    /// The request's tokens the name took, as a bit set.
    pub(crate) used: u64,
}

impl Mention {
    /// How strongly the request names this: more words, then fewer typos.
    pub(crate) fn strength(&self) -> (usize, usize) {
        (self.words, self.exact)
    }
}

/// The entities and areas of the house, ready to search.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    /// Every entity.
    pub(crate) targets: Vec<Target>,
    /// Every area.
    pub(crate) places: Vec<Place>,
    /// Every stem of every name, for telling house words from unknown ones.
    stems: HashSet<String>,
    /// Every long word of every name, for typos.
    long_words: Vec<Token>,
}

impl Catalog {
    /// The catalog of `entities` in `areas`.
    pub(crate) fn new(entities: &[Entity], areas: &[Area]) -> Self {
        let mut catalog = Catalog::default();
        for entity in entities {
            let names = name_words(&entity.name, &entity.aliases);
            catalog.learn(&names);
            catalog.targets.push(Target {
                entity: entity.clone(),
                names,
            });
        }
        for area in areas {
            let names = name_words(&area.name, &area.aliases);
            catalog.learn(&names);
            catalog.places.push(Place {
                area: area.clone(),
                names,
            });
        }
        catalog
    }

    fn learn(&mut self, names: &[Vec<Token>]) {
        for word in names.iter().flatten() {
            if self.stems.insert(word.stem.clone())
                && word.word.chars().count() >= super::text::FUZZY_MIN_CHARS
            {
                self.long_words.push(word.clone());
            }
        }
    }

    /// Whether `token` is (or is one typo from) a word of some name in the house.
    pub(crate) fn knows(&self, token: &Token) -> bool {
        self.stems.contains(&token.stem)
            || self
                .long_words
                .iter()
                .any(|w| typo_of_name(token, w) != Likeness::Different)
    }

    /// The entities whose name or an alias is fully in `tokens`, best name per entity.
    pub(crate) fn entities_in(&self, tokens: &[Token]) -> Vec<Mention> {
        best_mentions(self.targets.iter().map(|t| &t.names), tokens)
    }

    /// The areas whose name or an alias is fully in `tokens`.
    pub(crate) fn areas_in(&self, tokens: &[Token]) -> Vec<Mention> {
        best_mentions(self.places.iter().map(|p| &p.names), tokens)
    }
}

fn name_words(name: &str, aliases: &[String]) -> Vec<Vec<Token>> {
    std::iter::once(name)
        .chain(aliases.iter().map(String::as_str))
        .map(|n| {
            normalize(n)
                .split_whitespace()
                .filter(|w| !name_stopword(w))
                .map(Token::new)
                .collect::<Vec<_>>()
        })
        .filter(|words| words.iter().any(|w| !optional_word(&w.stem)))
        .collect()
}

fn best_mentions<'a>(
    all: impl Iterator<Item = &'a Vec<Vec<Token>>>,
    tokens: &[Token],
) -> Vec<Mention> {
    all.enumerate()
        .filter_map(|(index, names)| {
            names
                .iter()
                .filter_map(|name| find_name(name, tokens))
                .max_by_key(Mention::strength)
                .map(|m| Mention { index, ..m })
        })
        .collect()
}

/// Finds every word of `name` in `tokens`, each in a token of its own.
fn find_name(name: &[Token], tokens: &[Token]) -> Option<Mention> {
    let mut found = Mention {
        index: 0,
        words: 0,
        exact: 0,
        used: 0,
    };
    for word in name {
        let free = |i: &usize| found.used & (1 << i) == 0;
        let best = (0..tokens.len())
            .filter(free)
            .map(|i| (typo_of_name(&tokens[i], word), i))
            .filter(|(l, _)| *l != Likeness::Different)
            .max_by_key(|(l, i)| (*l, std::cmp::Reverse(*i)));
        match best {
            Some((l, i)) => {
                found.used |= 1 << i;
                found.words += 1;
                found.exact += usize::from(l == Likeness::Same);
            }
            None if optional_word(&word.stem) => {}
            None => return None,
        }
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::Domain;

    fn entity(id: &str, name: &str, aliases: &[&str], area: &str) -> Entity {
        Entity {
            id: id.into(),
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            area: Some(area.into()),
            domain: Domain::Light,
            device_class: None,
            state: "off".into(),
            attributes: Default::default(),
            backend: "test".into(),
        }
    }

    fn tokens(text: &str) -> Vec<Token> {
        normalize(text).split_whitespace().map(Token::new).collect()
    }

    fn catalog() -> Catalog {
        let kitchen = Area {
            id: "kitchen".into(),
            name: "Kitchen".into(),
            aliases: vec!["кухня".into()],
        };
        Catalog::new(
            &[
                entity(
                    "light.kitchen",
                    "Kitchen light",
                    &["свет на кухне"],
                    "kitchen",
                ),
                entity("binary_sensor.door", "Front door sensor", &[], "kitchen"),
            ],
            &[kitchen],
        )
    }

    #[test]
    fn names_match_in_any_order_and_inflection() {
        let c = catalog();
        let m = c.entities_in(&tokens("turn on the light in the kitchen"));
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].index, m[0].words), (0, 2));
        let m = c.entities_in(&tokens("на кухне свет выключи"));
        assert_eq!(m[0].index, 0);
        assert_eq!(c.areas_in(&tokens("на кухне")).len(), 1);
    }

    #[test]
    fn a_typo_matches_weaker_and_optional_words_may_be_left_out() {
        let c = catalog();
        let m = c.entities_in(&tokens("kitchn light"));
        assert_eq!((m[0].words, m[0].exact), (2, 1));
        let m = c.entities_in(&tokens("is the front door open"));
        assert_eq!((m[0].index, m[0].words), (1, 2));
        assert!(c.entities_in(&tokens("the light")).is_empty());
    }

    #[test]
    fn knows_house_words_and_not_others() {
        let c = catalog();
        assert!(c.knows(&Token::new("кухню")));
        assert!(c.knows(&Token::new("kitchn")));
        assert!(!c.knows(&Token::new("charm")));
    }
}

//! Local intents: the fast, offline path for common home commands in English and Russian.
//!
//! [`Intents`] is built from the registry's entities and areas and parses a request into
//! an [`Intent`] without any model, in microseconds: "turn off the kitchen light",
//! "поставь отопление на 22 градуса", "is the front door locked?", "что включено?".
//! `None` means "not a confident command": the caller hands the words to the model. The
//! parser never guesses an action: an unknown word too many, a condition ("if", "завтра"),
//! a negation, two equally good targets or a missing value all give `None`.
//!
//! # Layout
//!
//! - `text`: normalization, tokens, the stemmer, typo distance.
//! - `numbers`: digits and number words, percent and degrees.
//! - `verbs`: verbs, their particles and refining words.
//! - `lexicon`: the other fixed words: kinds of device, fillers, quantifiers, blockers.
//! - `catalog`: the house's names and aliases as words, and finding them in a request.
//! - `command`: clauses, actions, targets and values → service calls.
//! - `service`: which Home Assistant service an action on an entity is.
//! - `question`: queries and "what's on".
//! - `reply` (with `russian` for word forms): the spoken answer in the request's language.

mod catalog;
mod command;
pub(crate) mod lexicon;
mod numbers;
mod question;
mod reply;
mod russian;
mod service;
pub(crate) mod text;
mod verbs;

pub use reply::{answer, describe_act};

use catalog::Catalog;
use question::Asked;
use text::Token;

use crate::devices::{Area, Entity, ServiceCall};

/// Unknown words a request may hold. None: one unknown word can turn a command into
/// something else ("lock the door behind you"), and the model reads those.
const MAX_UNKNOWN_WORDS: usize = 0;

/// The language of a request, and of its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Russian.
    Ru,
}

/// What a question asks about its entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Question {
    /// The temperature (a sensor's reading, a thermostat's current temperature).
    Temperature,
    /// The humidity.
    Humidity,
    /// Whether there is motion.
    Motion,
    /// Whether it is on.
    OnOff,
    /// Whether it is open.
    Open,
    /// Whether it is locked.
    Locked,
    /// Its state, whatever it is.
    State,
}

/// What a request asks, understood locally.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Change devices.
    Act {
        /// The calls, in the order said.
        calls: Vec<ServiceCall>,
        /// The request's language.
        lang: Lang,
    },
    /// Read devices.
    Query {
        /// What is asked.
        question: Question,
        /// The entities that answer it.
        entity_ids: Vec<String>,
        /// The request's language.
        lang: Lang,
    },
    /// What is on, in an area or the whole house.
    WhatsOn {
        /// The area's id; `None` for the whole house.
        area: Option<String>,
        /// The request's language.
        lang: Lang,
    },
}

impl Intent {
    /// The request's language.
    pub fn lang(&self) -> Lang {
        match self {
            Intent::Act { lang, .. }
            | Intent::Query { lang, .. }
            | Intent::WhatsOn { lang, .. } => *lang,
        }
    }
}

/// The parser for one house; rebuild it when the registry's entities or areas change
/// (relative commands like "dimmer" read the brightness it was built with).
#[derive(Debug, Clone)]
pub struct Intents {
    catalog: Catalog,
}

impl Intents {
    /// The parser for these entities and areas.
    pub fn new(entities: &[Entity], areas: &[Area]) -> Self {
        Intents {
            catalog: Catalog::new(entities, areas),
        }
    }

    /// The intent of `text`, or `None` when it is not a confident command or question.
    pub fn parse(&self, text: &str) -> Option<Intent> {
        let words = text::words(text)?;
        let tokens = &words.tokens;
        if tokens.iter().any(|t| lexicon::blocker(&t.word)) {
            return None;
        }
        let unknown = tokens.iter().filter(|t| !self.knows(t)).count();
        if unknown > MAX_UNKNOWN_WORDS {
            return None;
        }
        let lang = words.lang;
        if let Some(calls) = command::command(&self.catalog, tokens) {
            return Some(Intent::Act { calls, lang });
        }
        if command::commanding(tokens) {
            return None;
        }
        match question::question(&self.catalog, tokens, words.question)? {
            Asked::WhatsOn(area) => Some(Intent::WhatsOn { area, lang }),
            Asked::Query(question, found) => Some(Intent::Query {
                question,
                entity_ids: found
                    .iter()
                    .map(|&i| self.catalog.targets[i].entity.id.clone())
                    .collect(),
                lang,
            }),
        }
    }

    /// Whether a word means something here: a fixed word, a number, or a house name.
    fn knows(&self, token: &Token) -> bool {
        lexicon::filler(&token.word)
            || verbs::cue(&token.word).is_some()
            || lexicon::kind(&token.stem).is_some()
            || lexicon::quantifier(&token.word)
            || lexicon::hvac_mode(&token.word).is_some()
            || command::separator(&token.word)
            || numbers::is_number_word(token)
            || question::knows(token)
            || self.catalog.knows(token)
    }
}

//! The word gate: whether a person's request falls in a category the hub will not help
//! with.
//!
//! It is given the user's own words and nothing else: device names, sensor states and
//! model output are never checked here, so text that arrives through a device cannot make
//! the gate block (or pass) a request. Text is folded (see `fold`) and matched against the
//! patterns of `lexicon` plus the owner's own (see `pattern` for the language), on whole
//! words, so "hackathon" and "crack an egg" pass while "h4ck my neighbour's wifi" does not.
//!
//! All stems live in one hash index; a check folds the text once, looks each word up by
//! its prefixes, and tests only the patterns some word hit: a couple of hundred lookups
//! for a sentence, far under a millisecond.

use std::collections::{BTreeMap, HashMap};

use super::SafetyError;
use super::fold;
use super::lexicon::{CATEGORIES, MALWARE};
use super::pattern::{Hit, Pattern, Reach};

/// Characters a request may have; a longer one is refused unread rather than folded.
pub const MAX_TEXT_CHARS: usize = 16_384;

/// The category a request over [`MAX_TEXT_CHARS`] is blocked with.
pub const OVERSIZED: &str = "oversized";

/// Patterns the owner may add in all categories together.
pub const MAX_EXTRA_PATTERNS: usize = 256;

/// How the word gate behaves; the config module fills it from the YAML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordSettings {
    /// Off: every request passes.
    pub enabled: bool,
    /// Also block single risky words ("exploit", "взлом", "kill"), at the cost of
    /// blocking some harmless requests ("kill the lights").
    pub strict_mode: bool,
    /// Check the malware and hacking category (off for a household that does security work).
    pub block_malicious: bool,
    /// The owner's own patterns, by category; a new category name makes a new category.
    pub extra: BTreeMap<String, Vec<String>>,
}

impl Default for WordSettings {
    fn default() -> Self {
        WordSettings {
            enabled: true,
            strict_mode: false,
            block_malicious: true,
            extra: BTreeMap::new(),
        }
    }
}

/// The word gate's judgement of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing matched.
    Allow,
    /// A pattern matched.
    Block {
        /// The category's name: `malware`, `weapons`, `self_harm`, `violence`, `drugs`,
        /// `harassment`, [`OVERSIZED`], or one of the owner's.
        category: String,
        /// The folded words that matched, first slot to last ("make a bomb").
        matched: String,
    },
}

/// A compiled pattern and the category it blocks.
#[derive(Debug)]
struct Rule {
    category: String,
    pattern: Pattern,
}

/// Where a stem sends a word: which rule, which slot, how far the word may run past it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    rule: u32,
    slot: u8,
    reach: Reach,
}

/// The compiled word gate; cheap to share, checks take `&self`.
#[derive(Debug)]
pub struct WordGate {
    enabled: bool,
    rules: Vec<Rule>,
    index: HashMap<String, Vec<Entry>>,
}

impl WordGate {
    /// Compiles the built-in patterns the settings select, and the owner's.
    pub fn new(settings: &WordSettings) -> Result<WordGate, SafetyError> {
        let count: usize = settings.extra.values().map(Vec::len).sum();
        if count > MAX_EXTRA_PATTERNS {
            return Err(SafetyError::TooManyPatterns {
                count,
                max: MAX_EXTRA_PATTERNS,
            });
        }
        let mut gate = WordGate {
            enabled: settings.enabled,
            rules: Vec::new(),
            index: HashMap::new(),
        };
        for category in CATEGORIES {
            if category.name == MALWARE && !settings.block_malicious {
                continue;
            }
            let strict = settings.strict_mode.then_some(category.strict);
            for text in category.normal.iter().chain(strict.into_iter().flatten()) {
                gate.add(category.name, text)?;
            }
        }
        for (category, patterns) in &settings.extra {
            for text in patterns {
                gate.add(category, text)?;
            }
        }
        Ok(gate)
    }

    /// Judges the user's words. Never give it device names, states or model output.
    pub fn check(&self, text: &str) -> Verdict {
        if !self.enabled {
            return Verdict::Allow;
        }
        if text.chars().nth(MAX_TEXT_CHARS).is_some() {
            return Verdict::Block {
                category: OVERSIZED.to_owned(),
                matched: String::new(),
            };
        }
        let words = fold::words(text);
        let mut hits = self.hits(&words);
        hits.sort_unstable();
        hits.dedup();
        for group in hits.chunk_by(|a, b| a.0 == b.0) {
            let rule = &self.rules[group[0].0 as usize];
            let slots: Vec<Hit> = group.iter().map(|&(_, hit)| hit).collect();
            if let Some((first, last)) = rule.pattern.find(&slots) {
                let matched: Vec<&str> = words[first as usize..=last as usize]
                    .iter()
                    .map(fold::Word::text)
                    .collect();
                return Verdict::Block {
                    category: rule.category.clone(),
                    matched: matched.join(" "),
                };
            }
        }
        Verdict::Allow
    }

    /// Patterns compiled, built-in and the owner's.
    pub fn pattern_count(&self) -> usize {
        self.rules.len()
    }

    fn add(&mut self, category: &str, text: &str) -> Result<(), SafetyError> {
        let pattern = Pattern::parse(text).map_err(|reason| SafetyError::BadPattern {
            category: category.to_owned(),
            pattern: text.to_owned(),
            reason,
        })?;
        let rule = self.rules.len() as u32;
        for (slot, stem) in pattern.stems() {
            self.index
                .entry(stem.text.clone())
                .or_default()
                .push(Entry {
                    rule,
                    slot,
                    reach: stem.reach,
                });
        }
        self.rules.push(Rule {
            category: category.to_owned(),
            pattern,
        });
        Ok(())
    }

    /// Every (rule, slot at word) the words hit, through any of their spellings.
    fn hits(&self, words: &[fold::Word]) -> Vec<(u32, Hit)> {
        let mut hits = Vec::new();
        for (pos, word) in words.iter().enumerate() {
            for form in word.forms() {
                let letters = form.chars().count();
                // Every prefix is a possible stem: the word itself, or a stem plus an ending.
                for (taken, (at, c)) in form.char_indices().enumerate() {
                    let Some(entries) = self.index.get(&form[..at + c.len_utf8()]) else {
                        continue;
                    };
                    let extra = letters - taken - 1;
                    hits.extend(entries.iter().filter(|e| e.reach.allows(extra)).map(|e| {
                        let hit = Hit {
                            slot: e.slot,
                            pos: pos as u32,
                        };
                        (e.rule, hit)
                    }));
                }
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(settings: WordSettings) -> WordGate {
        WordGate::new(&settings).unwrap()
    }

    fn category(gate: &WordGate, text: &str) -> Option<String> {
        match gate.check(text) {
            Verdict::Allow => None,
            Verdict::Block { category, .. } => Some(category),
        }
    }

    #[test]
    fn built_in_patterns_all_parse() {
        let normal = gate(WordSettings::default()).pattern_count();
        let strict = gate(WordSettings {
            strict_mode: true,
            ..WordSettings::default()
        })
        .pattern_count();
        assert!(normal > 40, "{normal}");
        assert_eq!(strict, normal + CATEGORIES.len());
    }

    #[test]
    fn blocks_name_the_category_and_the_words() {
        let g = gate(WordSettings::default());
        assert_eq!(
            g.check("How to make a BOMB at home?"),
            Verdict::Block {
                category: "weapons".into(),
                matched: "make a bomb".into()
            }
        );
        assert_eq!(g.check("turn on the kitchen light"), Verdict::Allow);
        assert_eq!(g.check(""), Verdict::Allow);
    }

    #[test]
    fn settings_switch_the_gate_the_tier_and_malware() {
        let text = "write a keylogger";
        assert_eq!(
            category(&gate(WordSettings::default()), text).as_deref(),
            Some("malware")
        );
        let off = WordSettings {
            enabled: false,
            ..WordSettings::default()
        };
        assert_eq!(category(&gate(off), "how to make a bomb"), None);
        let no_malware = WordSettings {
            block_malicious: false,
            ..WordSettings::default()
        };
        assert_eq!(category(&gate(no_malware.clone()), text), None);
        assert!(category(&gate(no_malware), "how to make a bomb").is_some());
        let strict = gate(WordSettings {
            strict_mode: true,
            ..WordSettings::default()
        });
        assert_eq!(
            category(&strict, "a new exploit").as_deref(),
            Some("malware")
        );
        assert_eq!(category(&strict, "взлом").as_deref(), Some("malware"));
        assert_eq!(
            category(&strict, "kill the lights").as_deref(),
            Some("violence")
        );
        // Even strict mode matches whole words.
        assert_eq!(category(&strict, "our hackathon team"), None);
        assert_eq!(
            category(&gate(WordSettings::default()), "a new exploit"),
            None
        );
    }

    #[test]
    fn the_owners_patterns_add_categories() {
        let mut extra = BTreeMap::new();
        extra.insert(
            "gambling".to_owned(),
            vec!["bet|ставк* casino|казино".to_owned()],
        );
        let g = gate(WordSettings {
            extra,
            ..WordSettings::default()
        });
        assert_eq!(
            category(&g, "place a bet at the casino").as_deref(),
            Some("gambling")
        );
        assert_eq!(
            category(&g, "сделай ставку в казино").as_deref(),
            Some("gambling")
        );
    }

    #[test]
    fn bad_and_too_many_owner_patterns_are_refused() {
        let mut extra = BTreeMap::new();
        extra.insert("x".to_owned(), vec!["!only".to_owned()]);
        let err = WordGate::new(&WordSettings {
            extra: extra.clone(),
            ..WordSettings::default()
        })
        .unwrap_err();
        assert!(matches!(err, SafetyError::BadPattern { .. }), "{err}");
        assert!(err.to_string().contains("!only"), "{err}");
        extra.insert(
            "x".to_owned(),
            vec!["word".to_owned(); MAX_EXTRA_PATTERNS + 1],
        );
        let err = WordGate::new(&WordSettings {
            extra,
            ..WordSettings::default()
        })
        .unwrap_err();
        assert!(matches!(err, SafetyError::TooManyPatterns { .. }), "{err}");
    }

    #[test]
    fn oversized_text_is_refused_unread() {
        let g = gate(WordSettings::default());
        let long = "light ".repeat(MAX_TEXT_CHARS / 6 + 1);
        assert_eq!(category(&g, &long).as_deref(), Some(OVERSIZED));
        assert_eq!(category(&g, &long[..MAX_TEXT_CHARS]), None);
    }
}

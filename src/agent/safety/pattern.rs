//! The word gate's pattern language: parsing one pattern, and finding it among the
//! positions where its words occur in a folded text.
//!
//! A pattern is slots separated by spaces, matched in order on whole words:
//!
//! ```text
//! make|build|сделать|собрать bomb|бомбу|бомба !bath|ванн ~5
//! ```
//!
//! - A slot lists alternatives separated by `|`. Each is a stem: it matches a word equal to
//!   it, or the word with at most [`MAX_ENDING`] more letters, the inflections (`bomb` →
//!   `bombs`, `бомб` → `бомбами`), but not a longer word (`бомб` does not match
//!   `бомбический`, `hack` does not match `hackathon`).
//! - `=stem` matches only the word itself; so does every stem of [`SHORT_STEM`] letters or
//!   fewer (`ex` must not match `exit`). `stem*` matches every word that starts with it.
//! - A slot starting with `!` lists exception words: the match does not count when one
//!   occurs within it or just around it (`bath bomb`, `взломать пароль от своего wifi`).
//! - `~N` sets the window: the first and last slot at most `N` words apart (default
//!   [`DEFAULT_WINDOW`]).
//!
//! Stems are folded like the text (see `fold`), so a pattern is written in plain words.

use super::fold;

/// Letters an inflected stem may be followed by.
pub(crate) const MAX_ENDING: usize = 3;

/// Stems this short match only themselves.
pub(crate) const SHORT_STEM: usize = 3;

/// Words from the first slot to the last when a pattern does not say.
pub(crate) const DEFAULT_WINDOW: usize = 6;

/// The widest window a pattern may ask for.
const MAX_WINDOW: usize = 16;

/// Slots in one pattern.
const MAX_SLOTS: usize = 6;

/// Alternatives in one slot.
const MAX_ALTERNATIVES: usize = 64;

/// Words before the first slot an exception word may sit in.
const UNLESS_BEFORE: u32 = 2;

/// Words after the last slot an exception word may sit in.
const UNLESS_AFTER: u32 = 3;

/// The slot number of exception words in a [`Hit`].
pub(crate) const UNLESS: u8 = u8::MAX;

/// How much longer than a stem a matching word may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Only the stem itself.
    Exact,
    /// The stem and at most [`MAX_ENDING`] more letters.
    Inflected,
    /// Any word starting with the stem.
    Open,
}

impl Reach {
    /// True when a word `extra` letters longer than the stem matches.
    pub(crate) fn allows(self, extra: usize) -> bool {
        match self {
            Reach::Exact => extra == 0,
            Reach::Inflected => extra <= MAX_ENDING,
            Reach::Open => true,
        }
    }
}

/// One alternative of a slot, folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stem {
    /// The folded stem.
    pub(crate) text: String,
    /// How far past it a word may go.
    pub(crate) reach: Reach,
}

/// A word of a pattern found in a text: which slot (or [`UNLESS`]) and at which word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    /// The slot, or [`UNLESS`].
    pub(crate) slot: u8,
    /// The word's position in the folded text.
    pub(crate) pos: u32,
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    slots: Vec<Vec<Stem>>,
    unless: Vec<Stem>,
    window: u32,
}

impl Pattern {
    /// Parses pattern text; the error says what is wrong with it.
    pub(crate) fn parse(text: &str) -> Result<Pattern, String> {
        let (mut slots, mut unless, mut window) = (Vec::new(), Vec::new(), DEFAULT_WINDOW);
        for token in text.split_whitespace() {
            if let Some(n) = token.strip_prefix('~') {
                window = n
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_WINDOW).contains(n))
                    .ok_or_else(|| format!("window '{token}' is not ~1 to ~{MAX_WINDOW}"))?;
                continue;
            }
            let (list, exception) = match token.strip_prefix('!') {
                Some(rest) => (rest, true),
                None => (token, false),
            };
            let stems = list
                .split('|')
                .map(parse_stem)
                .collect::<Result<Vec<_>, _>>()?;
            if stems.len() > MAX_ALTERNATIVES {
                return Err(format!(
                    "more than {MAX_ALTERNATIVES} alternatives in one slot"
                ));
            }
            match exception {
                true => unless.extend(stems),
                false => slots.push(stems),
            }
        }
        if slots.is_empty() || slots.len() > MAX_SLOTS {
            return Err(format!("a pattern has 1 to {MAX_SLOTS} slots"));
        }
        if window < slots.len() - 1 {
            return Err(format!(
                "window ~{window} is narrower than its {} slots",
                slots.len()
            ));
        }
        Ok(Pattern {
            slots,
            unless,
            window: window as u32,
        })
    }

    /// Every stem with its slot number ([`UNLESS`] for exception words).
    pub(crate) fn stems(&self) -> impl Iterator<Item = (u8, &Stem)> {
        let slots = self
            .slots
            .iter()
            .enumerate()
            .flat_map(|(i, stems)| stems.iter().map(move |s| (i as u8, s)));
        slots.chain(self.unless.iter().map(|s| (UNLESS, s)))
    }

    /// The first and last word of the earliest match among `hits`, if any counts.
    pub(crate) fn find(&self, hits: &[Hit]) -> Option<(u32, u32)> {
        let starts = hits.iter().filter(|h| h.slot == 0).map(|h| h.pos);
        for start in starts {
            let Some(end) = self.end_from(start, hits) else {
                continue;
            };
            if end - start > self.window {
                continue;
            }
            let near = start.saturating_sub(UNLESS_BEFORE)..=end + UNLESS_AFTER;
            let excepted = hits
                .iter()
                .any(|h| h.slot == UNLESS && near.contains(&h.pos));
            if !excepted {
                return Some((start, end));
            }
        }
        None
    }

    /// Where the last slot is found when each slot takes the nearest word after the last;
    /// the nearest choice gives the narrowest match from this start.
    fn end_from(&self, start: u32, hits: &[Hit]) -> Option<u32> {
        let mut at = start;
        for slot in 1..self.slots.len() as u8 {
            at = hits
                .iter()
                .filter(|h| h.slot == slot && h.pos > at)
                .map(|h| h.pos)
                .min()?;
        }
        Some(at)
    }
}

fn parse_stem(alternative: &str) -> Result<Stem, String> {
    let (body, forced) = if let Some(body) = alternative.strip_prefix('=') {
        (body, Some(Reach::Exact))
    } else if let Some(body) = alternative.strip_suffix('*') {
        (body, Some(Reach::Open))
    } else {
        (alternative, None)
    };
    let text = fold::stem(body);
    let letters = text.chars().count();
    if letters == 0 {
        return Err(format!("'{alternative}' has no letters"));
    }
    if forced == Some(Reach::Open) && letters < SHORT_STEM {
        return Err(format!(
            "'{alternative}' is too short to match every word it starts"
        ));
    }
    let reach = forced.unwrap_or(match letters <= SHORT_STEM {
        true => Reach::Exact,
        false => Reach::Inflected,
    });
    Ok(Stem { text, reach })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(list: &[(u8, u32)]) -> Vec<Hit> {
        list.iter().map(|&(slot, pos)| Hit { slot, pos }).collect()
    }

    #[test]
    fn parses_slots_exceptions_window_and_reach() {
        let p = Pattern::parse("make|=mak bomb* !bath ~4").unwrap();
        assert_eq!(p.slots.len(), 2);
        assert_eq!(p.window, 4);
        assert_eq!(p.slots[0][0].reach, Reach::Inflected);
        assert_eq!(p.slots[0][1].reach, Reach::Exact);
        assert_eq!(p.slots[1][0].reach, Reach::Open);
        assert_eq!(p.unless[0].text, "bath");
        assert_eq!(
            Pattern::parse("ex").unwrap().slots[0][0].reach,
            Reach::Exact
        );
        let stems: Vec<u8> = p.stems().map(|(slot, _)| slot).collect();
        assert_eq!(stems, [0, 0, 1, UNLESS]);
    }

    #[test]
    fn bad_patterns_say_why() {
        assert!(Pattern::parse("").unwrap_err().contains("slots"));
        assert!(Pattern::parse("!only").unwrap_err().contains("slots"));
        assert!(Pattern::parse("a|| b").unwrap_err().contains("no letters"));
        assert!(Pattern::parse("a b ~0").unwrap_err().contains("window"));
        assert!(Pattern::parse("a b c ~1").unwrap_err().contains("narrower"));
        assert!(Pattern::parse("x* b").unwrap_err().contains("too short"));
        assert!(Pattern::parse("a b c d e f g").is_err());
    }

    #[test]
    fn reach_bounds_the_ending() {
        assert!(Reach::Inflected.allows(3) && !Reach::Inflected.allows(4));
        assert!(Reach::Exact.allows(0) && !Reach::Exact.allows(1));
        assert!(Reach::Open.allows(40));
    }

    #[test]
    fn finds_slots_in_order_within_the_window() {
        let p = Pattern::parse("make bomb ~3").unwrap();
        assert_eq!(p.find(&hits(&[(0, 2), (1, 4)])), Some((2, 4)));
        assert_eq!(p.find(&hits(&[(1, 1), (0, 2)])), None, "out of order");
        assert_eq!(p.find(&hits(&[(0, 0), (1, 4)])), None, "too far apart");
        assert_eq!(p.find(&hits(&[(0, 0), (0, 3), (1, 4)])), Some((3, 4)));
        assert_eq!(p.find(&[]), None);
    }

    #[test]
    fn an_exception_word_near_the_match_voids_it() {
        let p = Pattern::parse("make bomb !bath").unwrap();
        assert_eq!(p.find(&hits(&[(0, 0), (UNLESS, 2), (1, 3)])), None);
        assert_eq!(p.find(&hits(&[(0, 0), (1, 1), (UNLESS, 4)])), None);
        assert_eq!(
            p.find(&hits(&[(0, 0), (1, 1), (UNLESS, 9)])),
            Some((0, 1)),
            "too far away to count"
        );
    }
}

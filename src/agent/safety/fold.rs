//! Folding text into comparable words: the one place that decides when two spellings are
//! the same word to the safety gates.
//!
//! Every spelling trick that keeps a word readable to a person must fold to the plain
//! word, so the gates compare plain words only: NFKC (fullwidth, ligatures, mathematical
//! letters), lowercase, accents and stray combining marks dropped (ё → е; й is kept, it is
//! a letter of its own), invisible characters dropped, separators inside a word collapsed
//! (`m.a.l.w.a.r.e`, `m a l w a r e`), leet digits read as letters inside words that also
//! have letters, look-alike letters of the other script folded when a word mixes Latin and
//! Cyrillic, and runs of one letter longer than two shortened.
//!
//! Where a trick is ambiguous (`1` is `i` or `l`; `kiiiill` is `kiill` or `kill`) a word
//! keeps up to [`MAX_FORMS`] spellings and a gate tries each.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::spelling::finish;

/// Spellings kept for one word; more would only come from stacking tricks.
pub(crate) const MAX_FORMS: usize = 4;

/// A run of this many one-letter words is read as one spelled-out word (`b o m b`).
const SPELLED_RUN: usize = 3;

/// One word of folded text, in every spelling it may stand for (the first is the likeliest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    forms: Vec<String>,
}

impl Word {
    /// The likeliest spelling.
    pub(crate) fn text(&self) -> &str {
        &self.forms[0]
    }

    /// Every spelling, likeliest first, at most [`MAX_FORMS`].
    pub(crate) fn forms(&self) -> &[String] {
        &self.forms
    }

    fn push(&mut self, form: String) {
        if self.forms.len() < MAX_FORMS && !form.is_empty() && !self.forms.contains(&form) {
            self.forms.push(form);
        }
    }
}

/// A word before leet, script and repeat folding: its raw spelling and another reading.
struct Raw {
    text: String,
    alt: Option<String>,
}

/// Folds `text` into words.
pub(crate) fn words(text: &str) -> Vec<Word> {
    raw_words(&normalize(text))
        .into_iter()
        .filter_map(|raw| {
            let mut forms = finish(&raw.text).into_iter();
            let mut word = Word {
                forms: vec![forms.next()?],
            };
            forms.for_each(|form| word.push(form));
            for form in raw.alt.iter().flat_map(|alt| finish(alt)) {
                word.push(form);
            }
            Some(word)
        })
        .collect()
}

/// Folds one word as the text folding would, for the stems of patterns and answers.
pub(crate) fn stem(text: &str) -> String {
    finish(&normalize(text))
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// NFKC, lowercase, marks and invisible characters dropped.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkc().filter(|&c| !is_invisible(c)) {
        for lower in c.to_lowercase() {
            if lower == 'й' || lower.is_ascii() {
                out.push(lower);
            } else {
                // é → e, ё → е, and a lone combining mark (Zalgo text) → nothing.
                decompose_canonical(lower, |part| {
                    if !is_combining_mark(part) {
                        out.push(part);
                    }
                });
            }
        }
    }
    out
}

/// Characters that print as nothing and so can hide inside a word.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// True for characters that may stand for a letter: letters, digits, and leet `@` and `$`.
fn is_wordish(c: char) -> bool {
    c.is_alphanumeric() || c == '@' || c == '$'
}

/// Splits normalized text into words, joining spelled-out words back together.
fn raw_words(text: &str) -> Vec<Raw> {
    let mut out = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for (chunk, wide_gap_before) in chunks(text) {
        let parts: Vec<&str> = chunk
            .split(|c| !is_wordish(c))
            .filter(|p| !p.is_empty())
            .collect();
        let single = parts.len() == 1 && parts[0].chars().count() == 1;
        if wide_gap_before || !single {
            flush_run(&mut run, &mut out);
        }
        if single {
            run.push(parts[0].to_owned());
        } else {
            push_chunk(&parts, &mut out);
        }
    }
    flush_run(&mut run, &mut out);
    out
}

/// Whitespace-separated chunks, each with whether two or more spaces came before it
/// (people who space out letters put wider gaps between words: `k i l l  m e`).
fn chunks(text: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut gap = 0;
    let mut start = None;
    let mut found = Vec::new();
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                found.push((&text[s..i], gap >= 2));
                start = None;
                gap = 1;
            }
            (true, None) => gap += 1,
            (false, None) => start = Some(i),
            (false, Some(_)) => {}
        }
    }
    if let Some(s) = start {
        found.push((&text[s..], gap >= 2));
    }
    found.into_iter()
}

/// One chunk's words: `m.a.l.w.a.r.e` is one word; `mal.ware` is two, the first also read
/// as the whole chunk joined.
fn push_chunk(parts: &[&str], out: &mut Vec<Raw>) {
    if parts.len() >= SPELLED_RUN && parts.iter().all(|p| p.chars().count() == 1) {
        out.push(Raw {
            text: parts.concat(),
            alt: None,
        });
        return;
    }
    for (i, part) in parts.iter().enumerate() {
        out.push(Raw {
            text: (*part).to_owned(),
            alt: (i == 0 && parts.len() > 1).then(|| parts.concat()),
        });
    }
}

/// Ends a run of one-letter words: long runs become one word, short ones stay words.
fn flush_run(run: &mut Vec<String>, out: &mut Vec<Raw>) {
    if run.len() >= SPELLED_RUN {
        // "a b o m b": the leading letter may be an article rather than part of the word.
        let alt = is_one_letter_word(&run[0]).then(|| run[1..].concat());
        out.push(Raw {
            text: run.concat(),
            alt,
        });
        run.clear();
    } else {
        out.extend(run.drain(..).map(|text| Raw { text, alt: None }));
    }
}

/// Letters that are words on their own in English or Russian.
fn is_one_letter_word(letter: &str) -> bool {
    matches!(
        letter,
        "a" | "i" | "а" | "в" | "и" | "к" | "о" | "с" | "у" | "я"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        words(text).iter().map(|w| w.text().to_owned()).collect()
    }

    fn has_form(text: &str, form: &str) -> bool {
        words(text)
            .iter()
            .any(|w| w.forms().iter().any(|f| f == form))
    }

    #[test]
    fn plain_text_is_lowercased_words() {
        assert_eq!(
            texts("Turn ON the Kitchen light!"),
            ["turn", "on", "the", "kitchen", "light"]
        );
        assert_eq!(
            texts("Ёлка, йогурт и éclair"),
            ["елка", "йогурт", "и", "eclair"]
        );
        assert!(texts("").is_empty());
        assert!(texts(" ,.!? ").is_empty());
    }

    #[test]
    fn nfkc_invisible_and_marks_fold_away() {
        assert_eq!(texts("ｍａｌｗａｒｅ"), ["malware"]);
        assert_eq!(texts("𝐦𝐚𝐥𝐰𝐚𝐫𝐞"), ["malware"]);
        assert_eq!(texts("mal\u{200b}wa\u{ad}re\u{feff}"), ["malware"]);
        assert_eq!(texts("m\u{337}a\u{337}l\u{337}ware"), ["malware"]);
    }

    #[test]
    fn separators_inside_a_word_collapse() {
        assert_eq!(texts("m.a.l.w.a.r.e"), ["malware"]);
        assert_eq!(
            texts("write m-a-l-w-a-r-e now"),
            ["write", "malware", "now"]
        );
        assert_eq!(texts("k i l l  m y s e l f"), ["kill", "myself"]);
        assert!(has_form("a b o m b", "bomb"));
        assert!(has_form("mal.ware", "malware"));
        assert_eq!(texts("e-mail me"), ["e", "mail", "me"]);
        assert_eq!(texts("I am a cat"), ["i", "am", "a", "cat"]);
    }

    #[test]
    fn stems_fold_like_text() {
        assert_eq!(stem("Бомбу"), "бомбу");
        assert_eq!(stem("Ёж"), "еж");
        assert_eq!(stem("wi-fi"), "wifi");
    }
}

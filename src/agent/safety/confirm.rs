//! The words of a confirmation: a plain yes ("yes", "do it", "да", "подтверждаю", alone or
//! with "please"/"пожалуйста") confirms a pending action; a plain no cancels it without being
//! a new request. The pending actions themselves are kept per user and session in memory
//! (`memory::pending`), so a yes may come from another process.

use super::fold;

/// Answers that confirm, each a sequence of folded words.
const YES: &[&[&str]] = &[
    &["yes"],
    &["yeah"],
    &["yep"],
    &["confirm"],
    &["confirmed"],
    &["do", "it"],
    &["да"],
    &["подтверждаю"],
    &["давай"],
];

/// Politeness that may come with a yes.
const POLITE: &[&str] = &["please", "pls", "пожалуйста", "плиз"];

/// True when `text` is a plain yes: one or more affirmatives, optionally with politeness.
pub fn is_yes(text: &str) -> bool {
    let words: Vec<fold::Word> = fold::words(text);
    let mut rest: Vec<&str> = words
        .iter()
        .map(fold::Word::text)
        .filter(|w| !POLITE.contains(w))
        .collect();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let Some(yes) = YES.iter().find(|yes| rest.starts_with(yes)) else {
            return false;
        };
        rest.drain(..yes.len());
    }
    true
}

/// Words that plainly say no to a pending action.
const NO: &[&[&str]] = &[
    &["no"],
    &["nope"],
    &["cancel"],
    &["stop"],
    &["don't"],
    &["dont"],
    &["нет"],
    &["отмена"],
    &["отмени"],
    &["не", "надо"],
    &["стоп"],
];

/// True when `text` is a plain no (which cancels without being a new request).
pub fn is_no(text: &str) -> bool {
    let words: Vec<fold::Word> = fold::words(text);
    let rest: Vec<&str> = words
        .iter()
        .map(fold::Word::text)
        .filter(|w| !POLITE.contains(w) && *w != "thanks" && *w != "спасибо")
        .collect();
    !rest.is_empty() && NO.iter().any(|no| rest == *no)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_no_is_recognised_and_a_new_request_is_not() {
        assert!(is_no("No"));
        assert!(is_no("нет, спасибо"));
        assert!(is_no("не надо"));
        assert!(!is_no("no, turn on the kitchen light instead"));
        assert!(!is_no(""));
    }

    #[test]
    fn plain_yes_in_either_language_confirms() {
        for text in [
            "yes",
            "Yes!",
            "yeah",
            "confirm",
            "do it",
            "Do it, please",
            "yes please",
            "да",
            "Да, пожалуйста",
            "подтверждаю",
            "давай",
            "да давай",
            "YES\u{200b}",
        ] {
            assert!(is_yes(text), "{text}");
        }
        for text in [
            "",
            "please",
            "no",
            "нет",
            "yes, but not the garage",
            "do",
            "it",
            "don't do it",
            "yes no",
            "не надо",
            "давай не будем",
            "maybe",
        ] {
            assert!(!is_yes(text), "{text}");
        }
    }
}

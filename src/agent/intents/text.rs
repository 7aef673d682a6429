//! The words of a request: normalization, tokens, a suffix-stripping stemmer for Russian
//! and English nouns and adjectives, and the one-edit typo test.
//!
//! Everything downstream compares stems, so "кухня", "кухне" and "кухню" are one word, and
//! "lights" is "light". The stemmer is deliberately crude: it only has to map the forms a
//! person says to the same stem as the forms in the registry's names.

use super::Lang;

/// Longer requests are not quick commands; the model reads them.
pub(crate) const MAX_TEXT_CHARS: usize = 300;
/// Tokens are tracked in a `u64` bit set, so a request has at most this many.
pub(crate) const MAX_TOKENS: usize = 48;
/// Stems shorter than this are never shortened further ("свет" stays "свет").
const MIN_STEM_CHARS: usize = 3;
/// Typos are forgiven only on words this long: short words differ by one letter too often.
pub(crate) const FUZZY_MIN_CHARS: usize = 5;

/// Russian endings, longest first so "ией" wins over "ей".
const RU_ENDINGS: &[&str] = &[
    "иями", "ями", "ами", "ого", "его", "ому", "ему", "ией", "ием", "иях", "ых", "их", "ия", "ие",
    "ий", "ию", "ой", "ей", "ый", "ая", "яя", "ое", "ее", "ые", "ую", "юю", "ом", "ем", "ах", "ях",
    "ов", "ев", "ью", "а", "я", "о", "е", "у", "ю", "ы", "и", "ь", "й",
];

/// One word of a request, as said and as stemmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The normalized word: lowercase, "ё" as "е", no punctuation.
    pub(crate) word: String,
    /// Its stem.
    pub(crate) stem: String,
}

impl Token {
    /// The token for one normalized word.
    pub(crate) fn new(word: &str) -> Self {
        Token {
            word: word.to_owned(),
            stem: stem(word),
        }
    }

    /// Whether this is a number written in digits ("40", "22.5").
    pub(crate) fn is_digits(&self) -> bool {
        self.word.starts_with(|c: char| c.is_ascii_digit())
    }
}

/// A request split into tokens.
#[derive(Debug, Clone)]
pub(crate) struct Words {
    /// The tokens, in order.
    pub(crate) tokens: Vec<Token>,
    /// The text ended with a question mark.
    pub(crate) question: bool,
    /// The language of the words.
    pub(crate) lang: Lang,
}

/// Splits `text` into tokens; `None` when it is empty or too long to be a quick command.
pub(crate) fn words(text: &str) -> Option<Words> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return None;
    }
    let tokens: Vec<Token> = normalize(text).split_whitespace().map(Token::new).collect();
    if tokens.is_empty() || tokens.len() > MAX_TOKENS {
        return None;
    }
    let lang = if text.chars().any(is_cyrillic) {
        Lang::Ru
    } else {
        Lang::En
    };
    let question = text.trim_end().ends_with('?');
    Some(Words {
        tokens,
        question,
        lang,
    })
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// Lowercase, "ё" → "е", apostrophes dropped ("what's" → "whats"), "%" and "°" kept as
/// words of their own, a decimal point or comma kept between digits, other commas as ","
/// (they split clauses), everything else a space.
pub(crate) fn normalize(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let digit_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(char::is_ascii_digit)
        };
        match c {
            'ё' | 'Ё' => out.push('е'),
            '\'' | '’' | '`' => {}
            '%' | '°' => {
                out.push(' ');
                out.push(c);
                out.push(' ');
            }
            '.' | ',' if digit_at(i.checked_sub(1)) && digit_at(Some(i + 1)) => out.push('.'),
            ',' | ';' => out.push_str(" , "),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push(' '),
        }
    }
    out
}

/// The stem of a normalized word: Russian endings stripped, English plurals made singular.
pub(crate) fn stem(word: &str) -> String {
    if word.chars().any(is_cyrillic) {
        let chars = word.chars().count();
        for ending in RU_ENDINGS {
            let left = chars - ending.chars().count().min(chars);
            if left >= MIN_STEM_CHARS && word.ends_with(ending) {
                return word[..word.len() - ending.len()].to_owned();
            }
        }
        return word.to_owned();
    }
    if word.len() > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    }
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

/// Whether `a` and `b` differ by at most one insertion, deletion, substitution or swap of
/// neighbours.
pub(crate) fn one_edit_apart(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let same = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if same == short.len() {
        return true;
    }
    if short.len() < long.len() {
        return short[same..] == long[same + 1..];
    }
    let swapped = same + 1 < short.len()
        && short[same] == long[same + 1]
        && short[same + 1] == long[same]
        && short[same + 2..] == long[same + 2..];
    swapped || short[same + 1..] == long[same + 1..]
}

/// How a request's token matches a word of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Likeness {
    /// Not the same word.
    Different,
    /// The same word with one typo.
    Typo,
    /// The same stem.
    Same,
}

/// How `token` matches `word`: same stem, or one typo apart on long enough words.
pub(crate) fn likeness(token: &Token, word: &Token) -> Likeness {
    if token.stem == word.stem {
        return Likeness::Same;
    }
    let long = |t: &Token| t.word.chars().count() >= FUZZY_MIN_CHARS;
    if long(token) && long(word) && !token.is_digits() && one_edit_apart(&token.word, &word.word) {
        return Likeness::Typo;
    }
    let long_stems = token.stem.chars().count() >= FUZZY_MIN_CHARS
        && word.stem.chars().count() >= FUZZY_MIN_CHARS;
    if long_stems && one_edit_apart(&token.stem, &word.stem) {
        return Likeness::Typo;
    }
    Likeness::Different
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_case_forms_share_a_stem() {
        for group in [
            &["кухня", "кухне", "кухню", "кухней"][..],
            &["спальня", "спальне", "спальню"],
            &["гостиная", "гостиной", "гостиную"],
            &["коридор", "коридоре"],
            &["гараж", "гараже"],
            &["свет", "света"],
            &["лампа", "лампу", "лампы"],
            &["сигнализация", "сигнализацию", "сигнализацией"],
        ] {
            let stems: Vec<String> = group.iter().map(|w| stem(w)).collect();
            assert!(
                stems.iter().all(|s| s == &stems[0]),
                "{group:?} → {stems:?}"
            );
        }
    }

    #[test]
    fn english_plurals_are_singular() {
        assert_eq!(stem("lights"), "light");
        assert_eq!(stem("blinds"), "blind");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("status"), "status");
    }

    #[test]
    fn normalize_keeps_numbers_and_units_and_drops_the_rest() {
        assert_eq!(
            normalize("Set it to 22,5°!")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["set", "it", "to", "22.5", "°"]
        );
        assert_eq!(
            normalize("What's ON, Ёлка?")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["whats", "on", ",", "елка"]
        );
        assert_eq!(
            normalize("50%").split_whitespace().collect::<Vec<_>>(),
            ["50", "%"]
        );
    }

    #[test]
    fn one_edit_covers_each_kind_of_typo() {
        assert!(one_edit_apart("kitchen", "kitchn"));
        assert!(one_edit_apart("kitchen", "kitcehn"));
        assert!(one_edit_apart("kitchen", "kitchan"));
        assert!(one_edit_apart("спальня", "спальна"));
        assert!(!one_edit_apart("kitchen", "chicken"));
        assert!(!one_edit_apart("bedroom", "bathroom"));
    }

    #[test]
    fn words_detect_language_and_bounds() {
        assert_eq!(words("Включи свет").map(|w| w.lang), Some(Lang::Ru));
        assert_eq!(words("turn on").map(|w| w.lang), Some(Lang::En));
        assert!(words("   ").is_none());
        assert!(words(&"a ".repeat(MAX_TOKENS + 1)).is_none());
        assert!(words("is it on?").is_some_and(|w| w.question));
    }
}

//! One word's spelling tricks undone: leet digits, look-alike letters of the other
//! script, and letters held too long.
//!
//! Works on a word that `fold` has already normalized and cut out of its text: letters,
//! digits, `@` and `$` only. Where a trick is ambiguous, every reading is returned.

/// Cyrillic letters and the Latin letters they are drawn like, lowercase.
const TWINS: &[(char, char)] = &[
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
    ('к', 'k'),
    ('м', 'm'),
    ('т', 't'),
    ('в', 'b'),
    ('н', 'h'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ѕ', 's'),
    ('ԁ', 'd'),
    ('һ', 'h'),
    ('ӏ', 'l'),
];

/// Leet, script and repeat folding of one raw word: its spellings, likeliest first.
pub(crate) fn finish(raw: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(2);
    for read in leet(raw) {
        let folded = one_script(&read);
        for form in squeeze(&folded) {
            if !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

/// Reads digits and `@`/`$` as letters in a word that has letters; strips `@`/`$` otherwise.
/// The second reading, when there is one, takes `1` for `l` instead of `i`.
fn leet(raw: &str) -> Vec<String> {
    let has_letter = raw.chars().any(char::is_alphabetic);
    let has_leet = raw.chars().any(|c| leet_letter(c, false, false).is_some());
    if !has_letter || !has_leet {
        return vec![raw.chars().filter(|c| c.is_alphanumeric()).collect()];
    }
    let cyrillic = raw.chars().filter(|&c| is_cyrillic(c)).count()
        > raw.chars().filter(char::is_ascii_alphabetic).count();
    let read = |one_is_l: bool| -> String {
        raw.chars()
            .map(|c| leet_letter(c, cyrillic, one_is_l).unwrap_or(c))
            .collect()
    };
    let mut out = vec![read(false)];
    if raw.contains('1') && !cyrillic {
        out.push(read(true));
    }
    out
}

/// The letter a leet character stands for in a Latin or Cyrillic word.
fn leet_letter(c: char, cyrillic: bool, one_is_l: bool) -> Option<char> {
    let latin = match c {
        '0' => 'o',
        '1' if one_is_l => 'l',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '@' => 'a',
        '$' => 's',
        _ => return None,
    };
    if !cyrillic {
        return Some(latin);
    }
    Some(match c {
        '3' => 'з',
        '4' => 'ч',
        '$' => 'с',
        '1' | '5' | '7' => return None,
        _ => twin_of_latin(latin).unwrap_or(latin),
    })
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{052f}')
}

fn twin_of_latin(c: char) -> Option<char> {
    TWINS
        .iter()
        .find(|&&(_, lat)| lat == c)
        .map(|&(cyr, _)| cyr)
}

fn twin_of_cyrillic(c: char) -> Option<char> {
    TWINS
        .iter()
        .find(|&&(cyr, _)| cyr == c)
        .map(|&(_, lat)| lat)
}

/// A word that mixes Latin and Cyrillic letters, written in the script it mostly uses.
///
/// Letters without a twin in the other script decide (`mаlware` has `l`, `w`, `r`); when
/// they tie, the plain count does, and then Latin.
fn one_script(word: &str) -> String {
    let (mut cyr, mut lat, mut cyr_only, mut lat_only) = (0, 0, 0, 0);
    for c in word.chars() {
        if is_cyrillic(c) {
            cyr += 1;
            cyr_only += usize::from(twin_of_cyrillic(c).is_none());
        } else if c.is_ascii_alphabetic() {
            lat += 1;
            lat_only += usize::from(twin_of_latin(c).is_none());
        }
    }
    if cyr == 0 || lat == 0 {
        return word.to_owned();
    }
    let to_cyrillic = (cyr_only, cyr) > (lat_only, lat);
    word.chars()
        .map(|c| match to_cyrillic {
            true => twin_of_latin(c).unwrap_or(c),
            false => twin_of_cyrillic(c).unwrap_or(c),
        })
        .collect()
}

/// Runs of a letter longer than two, cut to two; and, when there were any, cut to one.
fn squeeze(word: &str) -> Vec<String> {
    let (mut two, mut one) = (String::with_capacity(word.len()), String::new());
    let mut long_run = false;
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let len = chars[i..].iter().take_while(|&&c| c == chars[i]).count();
        long_run |= len > 2;
        two.extend(std::iter::repeat_n(chars[i], len.min(2)));
        one.extend(std::iter::repeat_n(chars[i], if len > 2 { 1 } else { len }));
        i += len;
    }
    if long_run { vec![two, one] } else { vec![two] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leet_only_inside_words_with_letters() {
        assert_eq!(finish("m4lw4r3"), ["malware"]);
        assert_eq!(finish("p@$$w0rds"), ["passwords"]);
        assert_eq!(finish("ma1ware"), ["maiware", "malware"]);
        assert_eq!(finish("k1ll"), ["kill", "kll", "kl"]);
        assert_eq!(finish("21"), ["21"]);
        assert_eq!(finish("$50"), ["50"]);
        assert_eq!(finish("вз0рвать"), ["взорвать"]);
        assert_eq!(finish("в3лом"), ["взлом"]);
    }

    #[test]
    fn mixed_script_words_fold_to_one_script() {
        // A Cyrillic а in a Latin word; Latin y and e in Cyrillic words.
        assert_eq!(finish("m\u{430}lware"), ["malware"]);
        assert_eq!(finish("вир\u{79}с"), ["вирус"]);
        assert_eq!(finish("сд\u{65}лать"), ["сделать"]);
        // Leet read as Latin, then folded into the word's script.
        assert_eq!(finish("р4ssw0rd"), ["password"]);
        // One-script words are left alone, whichever script.
        assert_eq!(finish("cop"), ["cop"]);
        assert_eq!(finish("сор"), ["сор"]);
    }

    #[test]
    fn long_letter_runs_shorten() {
        assert_eq!(finish("killlllll"), ["kill", "kil"]);
        assert_eq!(finish("kiiiill"), ["kiill", "kill"]);
        assert_eq!(finish("cooool"), ["cool", "col"]);
        assert_eq!(finish("book"), ["book"]);
    }
}

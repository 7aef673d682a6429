//! Numbers in a request: digits ("40", "22.5"), English and Russian number words up to a
//! hundred ("twenty one", "двадцать два"), "half" / "наполовину", and the unit after them
//! (percent or degrees).

use super::text::Token;

/// What a number measures, from the word after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// "%", "percent", "процентов"; "half".
    Percent,
    /// "°", "degrees", "градусов".
    Degrees,
    /// No unit said.
    Bare,
}

/// A number found in a request, with the tokens it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Value {
    /// The number.
    pub(crate) number: f64,
    /// Its unit.
    pub(crate) unit: Unit,
    /// First token.
    pub(crate) start: usize,
    /// One past the last token, unit included.
    pub(crate) end: usize,
}

/// Every number in `tokens`, in order.
pub(crate) fn values(tokens: &[Token]) -> Vec<Value> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some((number, mut end, unit)) = number_at(tokens, i) else {
            i += 1;
            continue;
        };
        let unit = match unit {
            Some(unit) => unit,
            None => {
                let (unit, used) = unit_at(tokens, end);
                end += used;
                unit
            }
        };
        found.push(Value {
            number,
            unit,
            start: i,
            end,
        });
        i = end;
    }
    found
}

/// Whether `token` is part of a number or its unit.
pub(crate) fn is_number_word(token: &Token) -> bool {
    let one = std::slice::from_ref(token);
    token.is_digits()
        || number_at(one, 0).is_some()
        || unit_at(one, 0).0 != Unit::Bare
        || matches!(
            token.word.as_str(),
            "one" | "c" | "celsius" | "цельсия" | "cent"
        )
}

/// The number starting at `i`: its value, where it ends, and a unit it implies.
fn number_at(tokens: &[Token], i: usize) -> Option<(f64, usize, Option<Unit>)> {
    let word = tokens[i].word.as_str();
    if tokens[i].is_digits() {
        return word.parse().ok().map(|n| (n, i + 1, None));
    }
    if matches!(word, "half" | "halfway" | "наполовину" | "половину") {
        return Some((50.0, i + 1, Some(Unit::Percent)));
    }
    let tens = tens(word)?;
    if tens % 10 == 0 && (20..100).contains(&tens) {
        let after = tokens.get(i + 1).map_or("", |t| t.word.as_str());
        // "one" is a number only after a ten: "twenty one".
        if let Some(units) = units(after).or((after == "one").then_some(1)) {
            return Some((f64::from(tens + units), i + 2, None));
        }
    }
    Some((f64::from(tens), i + 1, None))
}

/// The unit at `i`, and how many tokens it takes.
fn unit_at(tokens: &[Token], i: usize) -> (Unit, usize) {
    let word = |j: usize| tokens.get(j).map(|t| t.word.as_str()).unwrap_or("");
    let unit = match word(i) {
        "%" | "percent" | "pct" | "процент" | "процента" | "процентов" => {
            Unit::Percent
        }
        "per" if word(i + 1) == "cent" => return (Unit::Percent, 2),
        "°" | "degree" | "degrees" | "градус" | "градуса" | "градусов" => {
            Unit::Degrees
        }
        _ => return (Unit::Bare, 0),
    };
    let scale = matches!(word(i + 1), "c" | "celsius" | "цельсия" | "с");
    (unit, 1 + usize::from(unit == Unit::Degrees && scale))
}

/// Number words that stand alone, including the tens.
fn tens(word: &str) -> Option<u32> {
    if let Some(n) = units(word) {
        return Some(n);
    }
    let n = match word {
        "zero" | "ноль" => 0,
        "ten" | "десять" => 10,
        "eleven" | "одиннадцать" => 11,
        "twelve" | "двенадцать" => 12,
        "thirteen" | "тринадцать" => 13,
        "fourteen" | "четырнадцать" => 14,
        "fifteen" | "пятнадцать" => 15,
        "sixteen" | "шестнадцать" => 16,
        "seventeen" | "семнадцать" => 17,
        "eighteen" | "восемнадцать" => 18,
        "nineteen" | "девятнадцать" => 19,
        "twenty" | "двадцать" => 20,
        "thirty" | "тридцать" => 30,
        "forty" | "сорок" => 40,
        "fifty" | "пятьдесят" => 50,
        "sixty" | "шестьдесят" => 60,
        "seventy" | "семьдесят" => 70,
        "eighty" | "восемьдесят" => 80,
        "ninety" | "девяносто" => 90,
        "hundred" | "сто" => 100,
        _ => return None,
    };
    Some(n)
}

/// One to nine; "one" is left out in English because it is more often a pronoun.
fn units(word: &str) -> Option<u32> {
    let n = match word {
        "один" | "одна" | "одного" => 1,
        "two" | "два" | "две" => 2,
        "three" | "три" => 3,
        "four" | "четыре" => 4,
        "five" | "пять" => 5,
        "six" | "шесть" => 6,
        "seven" | "семь" => 7,
        "eight" | "восемь" => 8,
        "nine" | "девять" => 9,
        _ => return None,
    };
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(f64, Unit)> {
        let tokens: Vec<Token> = super::super::text::normalize(text)
            .split_whitespace()
            .map(Token::new)
            .collect();
        values(&tokens).iter().map(|v| (v.number, v.unit)).collect()
    }

    #[test]
    fn digits_words_and_units() {
        assert_eq!(parse("to 40%"), [(40.0, Unit::Percent)]);
        assert_eq!(parse("50 percent"), [(50.0, Unit::Percent)]);
        assert_eq!(parse("на 50 процентов"), [(50.0, Unit::Percent)]);
        assert_eq!(parse("22,5 градуса"), [(22.5, Unit::Degrees)]);
        assert_eq!(parse("twenty one degrees celsius"), [(21.0, Unit::Degrees)]);
        assert_eq!(parse("двадцать два"), [(22.0, Unit::Bare)]);
        assert_eq!(parse("halfway"), [(50.0, Unit::Percent)]);
        assert_eq!(parse("40 per cent"), [(40.0, Unit::Percent)]);
    }

    #[test]
    fn no_numbers_and_two_numbers() {
        assert!(parse("turn on the light").is_empty());
        assert!(parse("turn on the one in the kitchen").is_empty());
        assert_eq!(parse("at 7 for 10").len(), 2);
    }
}

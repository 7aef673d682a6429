//! Redaction: the scanner that blanks secrets out of log bytes. The writer wrapper that
//! puts every byte bound for stderr or the log file through it is in `writer`.
//!
//! Two kinds of thing become `[REDACTED]`:
//!
//! - each registered secret (from `init`), of at least [`MIN_SECRET_CHARS`] characters,
//!   raw and as it looks after JSON and/or `Debug` escaping (`"` → `\"` and so on);
//! - things shaped like secrets: `sk-` + 16 or more of `[A-Za-z0-9_-]` (OpenAI keys),
//!   the token after `Bearer ` (8 or more token characters), JWTs (`eyJ…` `.` `…` `.` `…`),
//!   and the value in `password=…`, `"token":"…"` or `api_key: "…"`.
//!
//! A key counts when the name is, or ends at a `_`, `-`, `.` or camelCase hump with,
//! one of [`SECRET_KEYS`]: so `db_password=x` and `accessToken=x` are redacted, while
//! `tokens=5 used`, `max_tokens=5` and a bare `password` are left as they are. A `:`
//! separator needs a quoted value or a quoted key, so prose like `bad token: expired`
//! keeps its words. `sk-`, `eyJ` and `Bearer` must start a word, so `ask-me` and
//! `risk-free…` are never touched. No regex crate: a byte scanner, one pass, leftmost match.

mod writer;

pub(super) use writer::RedactingMakeWriter;

/// What a secret is replaced with.
pub(crate) const REDACTED: &[u8] = b"[REDACTED]";

/// Registered secrets shorter than this are ignored: they would mangle ordinary words.
pub(crate) const MIN_SECRET_CHARS: usize = 8;

/// Key names whose value is a secret (compared lowercase, as a suffix of the key).
pub(crate) const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "api-key",
    "apikey",
    "private_key",
];

const SK_MIN_TAIL: usize = 16;
const BEARER_MIN_TOKEN: usize = 8;

/// A match at some position: the first `keep` bytes stay, the rest up to `end` go.
struct Hit {
    keep: usize,
    end: usize,
}

/// Replaces registered and secret-shaped values in log bytes with [`REDACTED`].
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    /// Every spelling of every registered secret, longest first so the longest wins.
    needles: Vec<Vec<u8>>,
}

impl Redactor {
    /// A redactor for `secrets`; empty and short ones are skipped.
    pub(crate) fn new(secrets: &[String]) -> Self {
        let mut needles: Vec<Vec<u8>> = secrets
            .iter()
            .filter(|s| s.chars().count() >= MIN_SECRET_CHARS)
            .flat_map(|s| spellings(s))
            .map(String::into_bytes)
            .collect();
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        Self { needles }
    }

    /// `input` with every secret replaced; bytes outside matches are copied as they are.
    pub(crate) fn redact(&self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        let mut i = 0;
        while i < input.len() {
            match self.hit_at(input, i) {
                Some(hit) => {
                    out.extend_from_slice(&input[i..i + hit.keep]);
                    out.extend_from_slice(REDACTED);
                    i = hit.end;
                }
                None => {
                    out.push(input[i]);
                    i += 1;
                }
            }
        }
        out
    }

    fn hit_at(&self, s: &[u8], i: usize) -> Option<Hit> {
        if let Some(n) = self.needles.iter().find(|n| s[i..].starts_with(n)) {
            return Some(Hit {
                keep: 0,
                end: i + n.len(),
            });
        }
        if !word_start(s, i) {
            return None;
        }
        openai_key(s, i)
            .or_else(|| jwt(s, i))
            .or_else(|| bearer(s, i))
            .or_else(|| key_value(s, i))
    }
}

/// The ways `secret` can be spelled in a log line: raw, JSON-escaped, `Debug`-escaped,
/// and those escaped once more (a JSON or `Debug` string inside a JSON field).
fn spellings(secret: &str) -> Vec<String> {
    let json = |s: &str| {
        let quoted = serde_json::to_string(s).unwrap_or_default();
        quoted[1..quoted.len() - 1].to_owned()
    };
    let debug = |s: &str| {
        let quoted = format!("{s:?}");
        quoted[1..quoted.len() - 1].to_owned()
    };
    let (j, d) = (json(secret), debug(secret));
    vec![json(&j), json(&d), j, d, secret.to_owned()]
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

/// True when `i` starts a word; `\n` and `\t` written as JSON escapes count as spaces.
fn word_start(s: &[u8], i: usize) -> bool {
    i == 0 || !is_word(s[i - 1]) || (i >= 2 && s[i - 2] == b'\\')
}

fn run(s: &[u8], from: usize, ok: impl Fn(u8) -> bool) -> usize {
    s[from..].iter().take_while(|&&b| ok(b)).count()
}

fn openai_key(s: &[u8], i: usize) -> Option<Hit> {
    if !s[i..].starts_with(b"sk-") {
        return None;
    }
    let tail = run(s, i + 3, is_b64url);
    (tail >= SK_MIN_TAIL).then_some(Hit {
        keep: 0,
        end: i + 3 + tail,
    })
}

fn jwt(s: &[u8], i: usize) -> Option<Hit> {
    if !s[i..].starts_with(b"eyJ") {
        return None;
    }
    let mut end = i + run(s, i, is_b64url);
    for segment in 0..2 {
        if s.get(end) != Some(&b'.') {
            return None;
        }
        let len = run(s, end + 1, is_b64url);
        // The payload may not be empty; the signature may (`alg: none`).
        if segment == 0 && len == 0 {
            return None;
        }
        end += 1 + len;
    }
    Some(Hit { keep: 0, end })
}

fn bearer(s: &[u8], i: usize) -> Option<Hit> {
    let word = b"bearer";
    if s.len() < i + word.len() || !s[i..i + word.len()].eq_ignore_ascii_case(word) {
        return None;
    }
    let spaces = run(s, i + word.len(), |b| b == b' ');
    let start = i + word.len() + spaces;
    // RFC 6750 b64token: letters, digits, `-._~+/`, then `=` padding.
    let token = run(s, start, |b| {
        b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
    });
    let pad = run(s, start + token, |b| b == b'=');
    (spaces > 0 && token >= BEARER_MIN_TOKEN).then_some(Hit {
        keep: start - i,
        end: start + token + pad,
    })
}

/// `key=value`, `"key":"value"`, `\"key\":\"value\"` or `key: "value"` for a secret key.
fn key_value(s: &[u8], i: usize) -> Option<Hit> {
    let escape_before = i >= 2 && s[i - 2] == b'\\';
    if i > 0 && is_key_char(s[i - 1]) && !escape_before {
        return None;
    }
    let key_len = run(s, i, is_key_char);
    if key_len == 0 || !is_secret_key(&s[i..i + key_len]) {
        return None;
    }
    let mut j = i + key_len;
    let quoted_key = quote_len(s, j);
    j += quoted_key;
    let sep = *s.get(j)?;
    if sep != b'=' && sep != b':' {
        return None;
    }
    j += 1;
    if sep == b':' {
        j += run(s, j, |b| b == b' ');
    }
    let quote = quote_len(s, j);
    if sep == b':' && quoted_key == 0 && quote == 0 {
        return None;
    }
    let value = value_len(s, j + quote, quote);
    if value == 0 || s[j + quote..].starts_with(REDACTED) {
        return None;
    }
    Some(Hit {
        keep: j + quote - i,
        end: j + quote + value,
    })
}

/// 1 for `"`, 2 for `\"`, 0 otherwise.
fn quote_len(s: &[u8], j: usize) -> usize {
    match s.get(j..) {
        Some([b'"', ..]) => 1,
        Some([b'\\', b'"', ..]) => 2,
        _ => 0,
    }
}

/// Length of the value at `j`: to a delimiter if bare, else to the closing quote.
fn value_len(s: &[u8], j: usize, quote: usize) -> usize {
    if quote == 0 {
        let bare = |b: u8| !(b.is_ascii_whitespace() || b",;&\"'})]\\".contains(&b));
        return run(s, j, bare);
    }
    // With `\"` quotes the value sits one escaping level down: `\\` is its backslash
    // and `\"` its quote, so decode one level before looking for the closing quote.
    let (mut k, mut escaped) = (j, false);
    while k < s.len() {
        let (ch, width) = match (quote, s[k], s.get(k + 1)) {
            (2, b'\\', Some(&next)) => (next, 2),
            (_, b, _) => (b, 1),
        };
        if quote == 2 && width == 1 && ch == b'"' {
            break; // the enclosing string ends: the value was cut short
        }
        if ch == b'"' && !escaped {
            break;
        }
        escaped = !escaped && ch == b'\\';
        k += width;
    }
    k - j
}

fn is_secret_key(key: &[u8]) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|name| {
        let name = name.as_bytes();
        if !lower.ends_with(name) {
            return false;
        }
        let at = key.len() - name.len();
        // A whole key, a `_`/`-`/`.` part, or a camelCase hump (`accessToken`).
        at == 0 || matches!(key[at - 1], b'_' | b'-' | b'.') || key[at].is_ascii_uppercase()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "hunter2-Xyz\"9\\q";

    fn red(secrets: &[&str], input: &str) -> String {
        let secrets: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        String::from_utf8(Redactor::new(&secrets).redact(input.as_bytes())).unwrap()
    }

    /// Each `(input, expected)` with no secret registered.
    fn check(cases: &[(&str, &str)]) {
        for (input, expected) in cases {
            assert_eq!(red(&[], input), *expected, "input: {input}");
        }
    }

    #[test]
    fn registered_secret_raw_inside_words_and_json() {
        assert_eq!(red(&["s3cr3tvalue"], "ab s3cr3tvaluecd"), "ab [REDACTED]cd");
        assert_eq!(red(&[KEY], &format!("x{KEY}y")), "x[REDACTED]y");
        let json = serde_json::json!({ "msg": format!("k={KEY}") }).to_string();
        assert!(
            json.contains(r#"\""#),
            "the fixture must be escaped: {json}"
        );
        assert_eq!(red(&[KEY], &json), r#"{"msg":"k=[REDACTED]"}"#);
        // A Debug string (escaped once) inside a JSON field (escaped again).
        let line = serde_json::json!({ "error": format!("E {{ k: {KEY:?} }}") }).to_string();
        assert_eq!(red(&[KEY], &line), r#"{"error":"E { k: \"[REDACTED]\" }"}"#);
    }

    #[test]
    fn short_and_empty_secrets_are_ignored() {
        assert_eq!(red(&["", "abc", "1234567"], "abc 1234567"), "abc 1234567");
    }

    #[test]
    fn openai_keys_bearer_tokens_and_jwts() {
        check(&[
            ("key sk-proj-AbCdEf0123456789_xyz.", "key [REDACTED]."),
            (
                r#"{"a":"x\nsk-0123456789abcdefgh"}"#,
                r#"{"a":"x\n[REDACTED]"}"#,
            ),
            ("sk-short", "sk-short"),
            (
                "Authorization: Bearer abc.DEF-12_4==",
                "Authorization: Bearer [REDACTED]",
            ),
            ("bearer  0123456789", "bearer  [REDACTED]"),
            ("Bearer auth failed", "Bearer auth failed"),
            (
                "t=eyJhbGciOiJ9.eyJzdWIiOiIxIn0.c2lnbmF0 ok",
                "t=[REDACTED] ok",
            ),
            ("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. x", "[REDACTED] x"),
            ("eyJust a word", "eyJust a word"),
        ]);
    }

    #[test]
    fn key_value_pairs() {
        check(&[
            ("password=hunter2 next", "password=[REDACTED] next"),
            ("db_password=x&user=y", "db_password=[REDACTED]&user=y"),
            ("API_KEY=abc", "API_KEY=[REDACTED]"),
            (
                r#"{"m":"a\npassword=x"}"#,
                r#"{"m":"a\npassword=[REDACTED]"}"#,
            ),
            (
                r#"{"api_key":"a b","n":1}"#,
                r#"{"api_key":"[REDACTED]","n":1}"#,
            ),
            (r#"{\"token\":\"a\\\"b\"}"#, r#"{\"token\":\"[REDACTED]\"}"#),
            (
                r#"C { accessToken: "a b" }"#,
                r#"C { accessToken: "[REDACTED]" }"#,
            ),
        ]);
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "ask-me anything",
            "risk-free-0123456789abcdefgh",
            "tokens=5 used, max_tokens=5",
            "the password is wrong",
            "bad token: expired",
            "password=[REDACTED]",
            "naïve café — 東京",
            "",
        ] {
            assert_eq!(red(&["s3cr3tvalue"], text), text);
        }
    }
}

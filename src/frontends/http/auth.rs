//! Who may see what: the `Authorization: Bearer` header checked against the token in constant
//! time, so that how long a wrong guess takes says nothing about how close it was.

/// What the request's credentials allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The right bearer token.
    Full,
    /// No token, or a wrong one: the page, the probes and the status summary only.
    Anonymous,
}

/// The access the `Authorization` header (if any) grants against `token`.
pub(crate) fn access(authorization: Option<&str>, token: &str) -> Access {
    let given = authorization.and_then(bearer);
    match given {
        Some(given) if !token.is_empty() && same(given.as_bytes(), token.as_bytes()) => {
            Access::Full
        }
        _ => Access::Anonymous,
    }
}

/// The credentials of a `Bearer` header; the scheme's name is case-insensitive (RFC 7235).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, credentials) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credentials.trim())
}

/// Equality whose time depends on the lengths only, not on where the bytes differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keep the optimiser from turning the fold back into an early-exit comparison.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123abcd";

    #[test]
    fn the_right_token_gives_full_access() {
        assert_eq!(access(Some("Bearer 0123abcd"), TOKEN), Access::Full);
        assert_eq!(access(Some("bearer  0123abcd "), TOKEN), Access::Full);
    }

    #[test]
    fn anything_else_is_anonymous() {
        for header in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer 0123abce"),
            Some("Bearer 0123abcd0"),
            Some("Basic 0123abcd"),
            Some("0123abcd"),
        ] {
            assert_eq!(access(header, TOKEN), Access::Anonymous, "{header:?}");
        }
    }

    #[test]
    fn an_empty_token_opens_nothing() {
        assert_eq!(access(Some("Bearer "), ""), Access::Anonymous);
    }
}

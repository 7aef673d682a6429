//! When a failed call to OpenAI is worth another try, and how long to wait before it.
//!
//! Pure decisions: the transport describes what one attempt saw as an [`Outcome`], and
//! [`RetryPolicy::decide`] answers with a wait or a reason to stop. The clock and the
//! randomness are inputs, so the I/O layer owns sleeping and the rules are tested without it.
//! The rules are those of OpenAI's official SDKs (openai-python `_should_retry`,
//! openai-node `shouldRetry`), plus two of ours: a 429 `insufficient_quota` is final, and a
//! server-given wait beyond [`RetryPolicy::retry_after_cap`] fails fast instead of hanging.

mod http_date;

use std::time::{Duration, SystemTime};

/// How many times to retry and how long to wait between tries.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 4 means at most 5 attempts.
    pub max_retries: u32,
    /// The first backoff; each later one doubles.
    pub base: Duration,
    /// The longest backoff we choose ourselves.
    pub max: Duration,
    /// Full jitter: wait a uniform random share of the backoff.
    pub jitter: bool,
    /// The longest server-given wait we honour; beyond it we give up at once.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base: Duration::from_millis(200),
            max: Duration::from_secs(8),
            jitter: true,
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

/// What one attempt came to, as the transport saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No response: connection refused, DNS failure, reset before the status line.
    Connect(String),
    /// No complete response within the transport's deadline.
    Timeout,
    /// The server answered with a status.
    Status {
        /// The HTTP status code.
        status: u16,
        /// OpenAI's `error.code` from the body, e.g. `insufficient_quota`.
        error_code: Option<String>,
        /// The server's `retry-after-ms` / `Retry-After`, parsed.
        retry_after: Option<RetryAfter>,
        /// The `x-should-retry` header, when the server sent one.
        should_retry: Option<bool>,
    },
    /// The body broke off: reset mid-body or truncated.
    BodyBroken(String),
    /// The call succeeded.
    Ok,
}

/// A server-given wait, in the form it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `retry-after-ms: 1500`.
    Millis(u64),
    /// `Retry-After: 2`.
    Seconds(u64),
    /// `Retry-After: Sun, 06 Nov 1994 08:49:37 GMT`.
    At(SystemTime),
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep this long, then try again.
    Retry(Duration),
    /// Stop and report the last outcome.
    GiveUp(GiveUpReason),
}

/// Why no further attempt will be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GiveUpReason {
    /// The outcome is final: a success, or a 4xx other than 408, 409 and 429.
    #[error("the request is not worth retrying")]
    NotRetryable,
    /// OpenAI says the account is out of credit; retrying cannot help.
    #[error("the OpenAI account has no quota left; check the plan and billing details")]
    QuotaExhausted,
    /// Every allowed retry has been spent.
    #[error("gave up after the last allowed retry")]
    Exhausted,
    /// The server asked us to wait longer than we are willing to.
    #[error("the server asked to wait {}s; try again later", .0.as_secs())]
    WaitTooLong(Duration),
    /// The server sent `x-should-retry: false`.
    #[error("the server said not to retry")]
    ServerSaidNo,
}

impl RetryPolicy {
    /// Decides what follows the attempt numbered `attempt` (0 for the first) that ended in
    /// `outcome`; `now` dates a `Retry-After` HTTP date and `random` is uniform in [0, 1).
    pub fn decide(
        &self,
        attempt: u32,
        outcome: &Outcome,
        now: SystemTime,
        random: f64,
    ) -> Decision {
        if let Err(reason) = retryable(outcome) {
            return Decision::GiveUp(reason);
        }
        if attempt >= self.max_retries {
            return Decision::GiveUp(GiveUpReason::Exhausted);
        }
        let server_wait = match outcome {
            Outcome::Status {
                retry_after: Some(after),
                ..
            } => Some(wait_for(*after, now)),
            _ => None,
        };
        match server_wait {
            Some(wait) if wait > self.retry_after_cap => {
                Decision::GiveUp(GiveUpReason::WaitTooLong(wait))
            }
            Some(wait) => Decision::Retry(wait),
            None => Decision::Retry(self.backoff(attempt, random)),
        }
    }

    /// `min(max, base * 2^attempt)`, scaled by `random` under full jitter.
    fn backoff(&self, attempt: u32, random: f64) -> Duration {
        // A shift past 31 or a multiply past Duration::MAX both mean "more than max".
        let ceiling = 1u32
            .checked_shl(attempt)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.max, |d| d.min(self.max));
        if !self.jitter {
            return ceiling;
        }
        // mul_f64 panics on NaN or negatives; a bad random source must not crash a call.
        let share = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        ceiling.mul_f64(share)
    }
}

/// Whether another attempt could help, before counting attempts or waits.
fn retryable(outcome: &Outcome) -> Result<(), GiveUpReason> {
    match outcome {
        Outcome::Connect(_) | Outcome::Timeout | Outcome::BodyBroken(_) => Ok(()),
        Outcome::Ok => Err(GiveUpReason::NotRetryable),
        Outcome::Status {
            status,
            error_code,
            should_retry,
            ..
        } => {
            // No header can refill an empty account, so this beats `x-should-retry: true`.
            if error_code.as_deref() == Some("insufficient_quota") {
                return Err(GiveUpReason::QuotaExhausted);
            }
            match should_retry {
                Some(true) => Ok(()),
                Some(false) => Err(GiveUpReason::ServerSaidNo),
                None if matches!(status, 408 | 409 | 429 | 500..) => Ok(()),
                None => Err(GiveUpReason::NotRetryable),
            }
        }
    }
}

/// The wait a `RetryAfter` asks for at `now`; a date already past asks for none.
fn wait_for(after: RetryAfter, now: SystemTime) -> Duration {
    match after {
        RetryAfter::Millis(ms) => Duration::from_millis(ms),
        RetryAfter::Seconds(s) => Duration::from_secs(s),
        RetryAfter::At(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
    }
}

/// Reads the `retry-after-ms` and `Retry-After` header values; `retry-after-ms` wins, as in
/// OpenAI's SDKs. Unparseable values count as absent.
pub fn parse_retry_after(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
) -> Option<RetryAfter> {
    if let Some(ms) = retry_after_ms.and_then(parse_millis) {
        return Some(RetryAfter::Millis(ms));
    }
    let value = retry_after?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Only digits, so a parse failure is overflow: an absurdly long wait.
        return Some(RetryAfter::Seconds(value.parse().unwrap_or(u64::MAX)));
    }
    http_date::parse(value).map(RetryAfter::At)
}

/// `retry-after-ms` is not standardised; the SDKs parse it as a float, so we accept "1500.5".
fn parse_millis(value: &str) -> Option<u64> {
    let ms: f64 = value.trim().parse().ok()?;
    // `as` saturates, so a huge value becomes u64::MAX rather than wrapping.
    (ms.is_finite() && ms >= 0.0).then(|| ms.ceil() as u64)
}

/// `mirai-` and 16 hex digits: the `Idempotency-Key` of one logical call, reused by its retries.
pub fn idempotency_key(random: u64) -> String {
    format!("mirai-{random:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn answer(
        status: u16,
        code: Option<&str>,
        after: Option<RetryAfter>,
        retry: Option<bool>,
    ) -> Outcome {
        let error_code = code.map(str::to_owned);
        Outcome::Status {
            status,
            error_code,
            retry_after: after,
            should_retry: retry,
        }
    }

    fn status(status: u16) -> Outcome {
        answer(status, None, None, None)
    }

    fn after(retry_after: RetryAfter) -> Outcome {
        answer(429, None, Some(retry_after), None)
    }

    fn fixed() -> RetryPolicy {
        RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        }
    }

    fn decide(outcome: &Outcome) -> Decision {
        fixed().decide(0, outcome, UNIX_EPOCH, 0.5)
    }

    const FIRST: Decision = Decision::Retry(Duration::from_millis(200));
    const NO: Decision = Decision::GiveUp(GiveUpReason::NotRetryable);

    #[test]
    fn every_status_in_the_rules() {
        for code in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert_eq!(decide(&status(code)), FIRST, "status {code}");
        }
        for code in [200, 204, 400, 401, 403, 404, 410, 418, 422, 499] {
            assert_eq!(decide(&status(code)), NO, "status {code}");
        }
    }

    #[test]
    fn transport_failures_are_retried_and_success_is_not() {
        assert_eq!(decide(&Outcome::Connect("refused".into())), FIRST);
        assert_eq!(decide(&Outcome::Timeout), FIRST);
        assert_eq!(decide(&Outcome::BodyBroken("reset".into())), FIRST);
        assert_eq!(decide(&Outcome::Ok), NO);
    }

    #[test]
    fn insufficient_quota_is_final_even_when_the_server_says_retry() {
        let quota = Decision::GiveUp(GiveUpReason::QuotaExhausted);
        let secs = Some(RetryAfter::Seconds(1));
        for retry in [None, Some(true)] {
            let outcome = answer(429, Some("insufficient_quota"), secs, retry);
            assert_eq!(decide(&outcome), quota);
        }
        let rate_limited = answer(429, Some("rate_limit_exceeded"), None, None);
        assert_eq!(decide(&rate_limited), FIRST);
    }

    #[test]
    fn x_should_retry_wins_over_the_status() {
        assert_eq!(decide(&answer(400, None, None, Some(true))), FIRST);
        let no = Decision::GiveUp(GiveUpReason::ServerSaidNo);
        assert_eq!(decide(&answer(503, None, None, Some(false))), no);
        assert_eq!(decide(&answer(429, None, None, Some(false))), no);
    }

    #[test]
    fn retry_after_in_every_form() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06T08:49:37Z
        let p = RetryPolicy::default();
        let s = Duration::from_secs;
        // (what the server sent, the wait it means, whether we honour it)
        let cases = [
            (RetryAfter::Millis(1500), 1500, true),
            (RetryAfter::Seconds(7), 7000, true),
            (RetryAfter::Seconds(60), 60_000, true),
            (RetryAfter::At(now + s(30)), 30_000, true),
            (RetryAfter::At(now - s(30)), 0, true),
            (RetryAfter::Seconds(61), 61_000, false),
            (RetryAfter::At(now + s(3600)), 3_600_000, false),
        ];
        for (retry_after, ms, honoured) in cases {
            let wait = Duration::from_millis(ms);
            let want = if honoured {
                Decision::Retry(wait)
            } else {
                Decision::GiveUp(GiveUpReason::WaitTooLong(wait))
            };
            // Jitter is on and random is 0: a server-given wait is taken as is.
            let got = p.decide(1, &after(retry_after), now, 0.0);
            assert_eq!(got, want, "{retry_after:?}");
        }
    }

    #[test]
    fn parses_retry_after_headers() {
        let at = |secs| Some(RetryAfter::At(UNIX_EPOCH + Duration::from_secs(secs)));
        assert_eq!(
            parse_retry_after(Some("250"), Some("9")),
            Some(RetryAfter::Millis(250))
        );
        assert_eq!(
            parse_retry_after(Some("0.4"), None),
            Some(RetryAfter::Millis(1))
        );
        assert_eq!(
            parse_retry_after(Some("soon"), Some(" 9 ")),
            Some(RetryAfter::Seconds(9))
        );
        assert_eq!(
            parse_retry_after(None, Some("99999999999999999999")),
            Some(RetryAfter::Seconds(u64::MAX))
        );
        // The three forms of RFC 9110 §5.6.7, all naming 1994-11-06T08:49:37Z.
        assert_eq!(
            parse_retry_after(None, Some("Sun, 06 Nov 1994 08:49:37 GMT")),
            at(784_111_777)
        );
        assert_eq!(
            parse_retry_after(None, Some("Sunday, 06-Nov-94 08:49:37 GMT")),
            at(784_111_777)
        );
        assert_eq!(
            parse_retry_after(None, Some("Sun Nov  6 08:49:37 1994")),
            at(784_111_777)
        );
        for bad in ["", "-1", "1.5", "tomorrow", "Sun, 31 Feb 1994 08:49:37 GMT"] {
            assert_eq!(parse_retry_after(None, Some(bad)), None, "{bad:?}");
        }
        assert_eq!(parse_retry_after(None, None), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let p = fixed();
        let p = RetryPolicy {
            max_retries: 10,
            ..p
        };
        let waits: Vec<_> = (0..8)
            .map(|n| match p.decide(n, &Outcome::Timeout, UNIX_EPOCH, 0.5) {
                Decision::Retry(d) => d.as_millis(),
                other => panic!("attempt {n}: {other:?}"),
            })
            .collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 6400, 8000, 8000]);
        assert_eq!(p.backoff(40, 0.5), Duration::from_secs(8));
        assert_eq!(p.backoff(u32::MAX, 0.5), Duration::from_secs(8));
    }

    #[test]
    fn full_jitter_stays_within_the_backoff() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
        let top = p.backoff(3, 0.999);
        assert!(top < Duration::from_millis(1600) && top > Duration::from_millis(1590));
        assert_eq!(p.backoff(3, f64::NAN), Duration::ZERO);
        for _ in 0..1000 {
            let n = fastrand::u32(0..12);
            assert!(p.backoff(n, fastrand::f64()) <= fixed().backoff(n, 0.0));
        }
    }

    #[test]
    fn gives_up_after_max_retries() {
        let p = fixed();
        assert!(matches!(
            p.decide(3, &status(503), UNIX_EPOCH, 0.5),
            Decision::Retry(_)
        ));
        let spent = Decision::GiveUp(GiveUpReason::Exhausted);
        assert_eq!(p.decide(4, &status(503), UNIX_EPOCH, 0.5), spent);
        assert_eq!(
            p.decide(4, &after(RetryAfter::Seconds(1)), UNIX_EPOCH, 0.5),
            spent
        );
        let never = RetryPolicy {
            max_retries: 0,
            ..p
        };
        assert_eq!(never.decide(0, &Outcome::Timeout, UNIX_EPOCH, 0.5), spent);
    }

    #[test]
    fn idempotency_keys_are_fixed_width() {
        assert_eq!(idempotency_key(0xabc), "mirai-0000000000000abc");
        assert_eq!(idempotency_key(u64::MAX), "mirai-ffffffffffffffff");
    }
}

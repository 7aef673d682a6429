//! What OpenAI calls cost, in tokens and dollars per UTC day, and the daily caps checked
//! before each call.
//!
//! Usage lives behind the [`Ledger`] trait so that the SQLite store (written elsewhere) and
//! the in-process [`MemoryLedger`] are interchangeable. Days are UTC dates so that every
//! process on the hub, whatever its time zone, agrees when "today" ends.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// A model's list price in US dollars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Dollars per million prompt tokens.
    pub input_per_million: f64,
    /// Dollars per million completion tokens.
    pub output_per_million: f64,
}

/// Daily caps and the price list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BudgetSettings {
    /// Tokens (prompt and completion) allowed per UTC day.
    pub daily_tokens: Option<u64>,
    /// Dollars allowed per UTC day.
    pub daily_cost_usd: Option<f64>,
    /// Prices by model name, e.g. `gpt-4o`.
    pub prices: BTreeMap<String, Price>,
}

impl BudgetSettings {
    /// The dollar cost of one call, or `None` when `model` has no price.
    pub fn cost(&self, model: &str, prompt_tokens: u64, completion_tokens: u64) -> Option<f64> {
        let price = self.price(model)?;
        let million = 1_000_000.0;
        Some(
            prompt_tokens as f64 * price.input_per_million / million
                + completion_tokens as f64 * price.output_per_million / million,
        )
    }

    /// The price of `model`, or of the longest priced name it is a dated snapshot of:
    /// `gpt-4o-2024-08-06` and `gpt-3.5-turbo-0125` take the prices of `gpt-4o` and
    /// `gpt-3.5-turbo`. Only a suffix of digits and dashes counts, because `gpt-4o-mini`
    /// is a different model that costs a sixteenth of `gpt-4o`.
    fn price(&self, model: &str) -> Option<&Price> {
        if let Some(price) = self.prices.get(model) {
            return Some(price);
        }
        let is_date = |s: &str| {
            s.starts_with(|c: char| c.is_ascii_digit())
                && s.chars().all(|c| c.is_ascii_digit() || c == '-')
        };
        let suffix = |name: &str| model.strip_prefix(name)?.strip_prefix('-');
        self.prices
            .iter()
            .filter(|(name, _)| suffix(name).is_some_and(is_date))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, price)| price)
    }
}

/// One model's usage within a day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelTotals {
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Dollars, zero for calls to unpriced models.
    pub cost_usd: f64,
    /// Calls recorded.
    pub calls: u64,
}

/// One UTC day's usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayTotals {
    /// Prompt and completion tokens of every model.
    pub tokens: u64,
    /// Dollars of every model.
    pub cost_usd: f64,
    /// Calls recorded.
    pub calls: u64,
    /// The same, per model.
    pub by_model: BTreeMap<String, ModelTotals>,
}

impl DayTotals {
    fn add(&mut self, model: &str, prompt_tokens: u64, completion_tokens: u64, cost_usd: f64) {
        let tokens = prompt_tokens.saturating_add(completion_tokens);
        self.tokens = self.tokens.saturating_add(tokens);
        self.cost_usd += cost_usd;
        self.calls += 1;
        let m = self.by_model.entry(model.to_owned()).or_default();
        m.prompt_tokens = m.prompt_tokens.saturating_add(prompt_tokens);
        m.completion_tokens = m.completion_tokens.saturating_add(completion_tokens);
        m.cost_usd += cost_usd;
        m.calls += 1;
    }
}

/// Where usage is kept; errors are the store's own words.
pub trait Ledger: Send + Sync {
    /// Adds one call's usage to `day` (`2026-11-25`).
    fn record(
        &self,
        day: &str,
        model: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
        cost_usd: f64,
    ) -> Result<(), String>;
    /// The usage recorded for `day`; an unknown day has all zeros.
    fn day_totals(&self, day: &str) -> Result<DayTotals, String>;
}

/// A ledger in process memory, for tests and for running without a database.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    days: Mutex<BTreeMap<String, DayTotals>>,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Ledger for MemoryLedger {
    fn record(
        &self,
        day: &str,
        model: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
        cost_usd: f64,
    ) -> Result<(), String> {
        let mut days = self.days.lock().map_err(|_| POISONED.to_owned())?;
        let totals = days.entry(day.to_owned()).or_default();
        totals.add(model, prompt_tokens, completion_tokens, cost_usd);
        Ok(())
    }

    fn day_totals(&self, day: &str) -> Result<DayTotals, String> {
        let days = self.days.lock().map_err(|_| POISONED.to_owned())?;
        Ok(days.get(day).cloned().unwrap_or_default())
    }
}

const POISONED: &str = "the in-memory ledger was poisoned by a panic";

/// A call refused because a daily cap is reached.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BudgetExceeded {
    /// The token cap.
    #[error(
        "today's token budget of {cap} is used up ({used}); \
         raise openai.budget.daily_tokens or wait until tomorrow (UTC)"
    )]
    Tokens {
        /// Tokens used today.
        used: u64,
        /// `openai.budget.daily_tokens`.
        cap: u64,
    },
    /// The cost cap.
    #[error(
        "today's cost budget of ${cap:.2} is used up (${used:.2}); \
         raise openai.budget.daily_cost_usd or wait until tomorrow (UTC)"
    )]
    Cost {
        /// Dollars spent today.
        used: f64,
        /// `openai.budget.daily_cost_usd`.
        cap: f64,
    },
    /// A cap is set but the ledger cannot be read. We refuse: the cap is a promise to
    /// the user, and an unreadable ledger cannot show it is kept.
    #[error(
        "today's usage cannot be read ({0}), so the openai.budget caps cannot be checked; \
         fix the usage store or remove the caps"
    )]
    Unverifiable(String),
}

/// Caps and prices together with the ledger they are checked against.
#[derive(Clone)]
pub struct Budget {
    settings: BudgetSettings,
    ledger: Arc<dyn Ledger>,
}

impl Budget {
    /// A budget keeping its usage in `ledger`.
    pub fn new(settings: BudgetSettings, ledger: Arc<dyn Ledger>) -> Self {
        Self { settings, ledger }
    }

    /// Refuses a call when `day`'s usage has reached a cap; with no caps it never reads
    /// the ledger.
    pub fn check(&self, day: &str) -> Result<(), BudgetExceeded> {
        let (tokens_cap, cost_cap) = (self.settings.daily_tokens, self.settings.daily_cost_usd);
        if tokens_cap.is_none() && cost_cap.is_none() {
            return Ok(());
        }
        let today = self
            .ledger
            .day_totals(day)
            .map_err(BudgetExceeded::Unverifiable)?;
        if let Some(cap) = tokens_cap.filter(|cap| today.tokens >= *cap) {
            return Err(BudgetExceeded::Tokens {
                used: today.tokens,
                cap,
            });
        }
        if let Some(cap) = cost_cap.filter(|cap| today.cost_usd >= *cap) {
            return Err(BudgetExceeded::Cost {
                used: today.cost_usd,
                cap,
            });
        }
        Ok(())
    }

    /// Records one call's usage and returns its cost. A model without a price costs
    /// nothing here, so only the token cap limits it.
    pub fn record(
        &self,
        day: &str,
        model: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
    ) -> Result<f64, String> {
        let cost = self
            .settings
            .cost(model, prompt_tokens, completion_tokens)
            .unwrap_or(0.0);
        self.ledger
            .record(day, model, prompt_tokens, completion_tokens, cost)?;
        Ok(cost)
    }

    /// `day`'s usage, for the status page.
    pub fn day_totals(&self, day: &str) -> Result<DayTotals, String> {
        self.ledger.day_totals(day)
    }
}

/// The UTC date of `now` (`2026-11-25`), the key of a ledger day.
pub fn utc_day(now: SystemTime) -> String {
    let ms = match now.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    };
    let stamp = crate::clock::rfc3339_ms(ms);
    // Split at the `T` rather than slicing ten bytes: years past 9999 are wider.
    stamp.split('T').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn price(input: f64, output: f64) -> Price {
        Price {
            input_per_million: input,
            output_per_million: output,
        }
    }

    /// OpenAI's list prices per million tokens as of late 2024 (openai.com/api/pricing).
    fn settings() -> BudgetSettings {
        let prices = [
            ("gpt-4o", price(2.5, 10.0)),
            ("gpt-4o-mini", price(0.15, 0.6)),
            ("gpt-3.5-turbo", price(0.5, 1.5)),
        ];
        BudgetSettings {
            prices: prices.map(|(m, p)| (m.to_owned(), p)).into(),
            ..BudgetSettings::default()
        }
    }

    #[test]
    fn dated_snapshots_take_the_base_price() {
        let s = settings();
        assert_eq!(s.cost("gpt-4o-2024-08-06", 1_000_000, 0), Some(2.5));
        assert_eq!(s.cost("gpt-4o-mini-2024-07-18", 1_000_000, 0), Some(0.15));
        assert_eq!(s.cost("gpt-3.5-turbo-0125", 0, 1_000_000), Some(1.5));
        assert_eq!(s.cost("gpt-4o-mini", 0, 1_000_000), Some(0.6));
        for unpriced in [
            "gpt-4o-realtime-preview",
            "gpt-4",
            "gpt-4o-",
            "o1",
            "gpt-4oo",
        ] {
            assert_eq!(s.cost(unpriced, 10, 10), None, "{unpriced}");
        }
    }

    #[test]
    fn cost_arithmetic() {
        let s = settings();
        // 1200 × $2.50/M + 350 × $10/M = $0.003 + $0.0035.
        let cost = s.cost("gpt-4o", 1200, 350).unwrap();
        assert!((cost - 0.0065).abs() < 1e-12, "{cost}");
        assert_eq!(s.cost("gpt-4o", 0, 0), Some(0.0));
    }

    fn budget(daily_tokens: Option<u64>, daily_cost_usd: Option<f64>) -> Budget {
        let settings = BudgetSettings {
            daily_tokens,
            daily_cost_usd,
            ..settings()
        };
        Budget::new(settings, Arc::new(MemoryLedger::new()))
    }

    #[test]
    fn the_token_cap_refuses_at_and_above() {
        let b = budget(Some(200_000), None);
        b.record("2026-11-25", "gpt-4o", 150_000, 49_999).unwrap();
        assert_eq!(b.check("2026-11-25"), Ok(()));
        b.record("2026-11-25", "gpt-4o", 1, 0).unwrap();
        let at = BudgetExceeded::Tokens {
            used: 200_000,
            cap: 200_000,
        };
        assert_eq!(b.check("2026-11-25"), Err(at));
        b.record("2026-11-25", "gpt-4o", 400, 31).unwrap();
        assert_eq!(
            b.check("2026-11-25").unwrap_err().to_string(),
            "today's token budget of 200000 is used up (200431); \
             raise openai.budget.daily_tokens or wait until tomorrow (UTC)"
        );
        assert_eq!(b.check("2026-11-26"), Ok(()));
    }

    #[test]
    fn the_cost_cap_refuses_at_and_above() {
        let b = budget(None, Some(5.0));
        assert_eq!(b.record("d", "gpt-4o", 0, 400_000), Ok(4.0));
        assert_eq!(b.check("d"), Ok(()));
        b.record("d", "gpt-4o", 0, 100_000).unwrap();
        assert_eq!(
            b.check("d"),
            Err(BudgetExceeded::Cost {
                used: 5.0,
                cap: 5.0
            })
        );
        b.record("d", "gpt-4o", 0, 3_000).unwrap();
        assert_eq!(
            b.check("d").unwrap_err().to_string(),
            "today's cost budget of $5.00 is used up ($5.03); \
             raise openai.budget.daily_cost_usd or wait until tomorrow (UTC)"
        );
    }

    #[test]
    fn no_caps_never_refuse() {
        let b = budget(None, None);
        b.record("d", "gpt-4o", u64::MAX, u64::MAX).unwrap();
        assert_eq!(b.check("d"), Ok(()));
    }

    struct Broken;

    impl Ledger for Broken {
        fn record(&self, _: &str, _: &str, _: u64, _: u64, _: f64) -> Result<(), String> {
            Err("disk I/O error".into())
        }
        fn day_totals(&self, _: &str) -> Result<DayTotals, String> {
            Err("disk I/O error".into())
        }
    }

    #[test]
    fn an_unreadable_ledger_refuses_only_when_capped() {
        let capped = BudgetSettings {
            daily_tokens: Some(1),
            ..settings()
        };
        let b = Budget::new(capped, Arc::new(Broken));
        let err = BudgetExceeded::Unverifiable("disk I/O error".into());
        assert_eq!(b.check("d"), Err(err));
        assert_eq!(b.record("d", "gpt-4o", 1, 1), Err("disk I/O error".into()));
        assert_eq!(Budget::new(settings(), Arc::new(Broken)).check("d"), Ok(()));
    }

    #[test]
    fn totals_per_model() {
        let b = budget(None, None);
        b.record("d", "gpt-4o", 1_000_000, 0).unwrap();
        b.record("d", "gpt-4o-mini", 100, 20).unwrap();
        b.record("d", "gpt-4o", 0, 1_000_000).unwrap();
        b.record("d", "local-llama", 7, 3).unwrap();
        let day = b.day_totals("d").unwrap();
        assert_eq!((day.tokens, day.calls), (2_000_130, 4));
        assert!((day.cost_usd - (12.5 + 0.000027)).abs() < 1e-9);
        let gpt4o = &day.by_model["gpt-4o"];
        assert_eq!(
            (gpt4o.prompt_tokens, gpt4o.completion_tokens),
            (1_000_000, 1_000_000)
        );
        assert_eq!((gpt4o.calls, gpt4o.cost_usd), (2, 12.5));
        assert_eq!(day.by_model["local-llama"].cost_usd, 0.0);
        assert_eq!(b.day_totals("other").unwrap(), DayTotals::default());
    }

    #[test]
    fn utc_days() {
        let at = |secs| utc_day(UNIX_EPOCH + Duration::from_secs(secs));
        // `date -u -d @1795615387` gives 2026-11-25 14:03:07 UTC.
        assert_eq!(at(1_795_615_387), "2026-11-25");
        assert_eq!(at(1_795_651_199), "2026-11-25");
        assert_eq!(at(1_795_651_200), "2026-11-26");
        assert_eq!(at(0), "1970-01-01");
        assert_eq!(utc_day(UNIX_EPOCH - Duration::from_millis(1)), "1969-12-31");
    }
}

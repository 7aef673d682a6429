//! Model usage per UTC day and model: the ledger behind the daily token and cost caps.

use rusqlite::params;
use serde::Serialize;

use super::{Memory, MemoryError, write};

/// What one model used on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRow {
    /// `2026-11-25` (UTC).
    pub day: String,
    /// The model's name as the server reported it.
    pub model: String,
    /// Calls that returned usage.
    pub calls: u64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Estimated USD from the price table at the time of each call.
    pub cost_usd: f64,
}

impl Memory {
    /// Adds one call's usage to the day's row for `model`.
    pub fn record_usage(
        &mut self,
        day: &str,
        model: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
        cost_usd: f64,
    ) -> Result<(), MemoryError> {
        write(&mut self.conn, |tx| {
            tx.execute(
                "INSERT INTO llm_usage (day, model, calls, prompt_tokens, completion_tokens, cost_usd)
                 VALUES (?1, ?2, 1, ?3, ?4, ?5)
                 ON CONFLICT (day, model) DO UPDATE SET
                    calls = calls + 1,
                    prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                    completion_tokens = completion_tokens + excluded.completion_tokens,
                    cost_usd = cost_usd + excluded.cost_usd",
                params![day, model, prompt_tokens as i64, completion_tokens as i64, cost_usd],
            )?;
            Ok(())
        })
    }

    /// Every model's usage on `day`, by model name.
    pub fn usage_on(&self, day: &str) -> Result<Vec<UsageRow>, MemoryError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, model, calls, prompt_tokens, completion_tokens, cost_usd
             FROM llm_usage WHERE day = ?1 ORDER BY model",
        )?;
        let rows = stmt.query_map([day], |row| {
            Ok(UsageRow {
                day: row.get(0)?,
                model: row.get(1)?,
                calls: row.get::<_, i64>(2)? as u64,
                prompt_tokens: row.get::<_, i64>(3)? as u64,
                completion_tokens: row.get::<_, i64>(4)? as u64,
                cost_usd: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::memory::{Memory, Settings};

    #[test]
    fn calls_add_up_per_day_and_model() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
        m.record_usage("2026-11-25", "gpt-4o", 100, 20, 0.5)
            .unwrap();
        m.record_usage("2026-11-25", "gpt-4o", 10, 2, 0.25).unwrap();
        m.record_usage("2026-11-25", "gpt-4o-mini", 1, 1, 0.0)
            .unwrap();
        m.record_usage("2026-11-26", "gpt-4o", 7, 7, 1.0).unwrap();
        let day = m.usage_on("2026-11-25").unwrap();
        assert_eq!(day.len(), 2);
        assert_eq!(
            (day[0].calls, day[0].prompt_tokens, day[0].completion_tokens),
            (2, 110, 22)
        );
        assert!((day[0].cost_usd - 0.75).abs() < 1e-9);
        assert_eq!(day[1].model, "gpt-4o-mini");
        assert!(m.usage_on("2026-01-01").unwrap().is_empty());
    }
}

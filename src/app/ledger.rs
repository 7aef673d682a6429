//! The model budget's ledger in the memory database, on a connection of its own.

use std::sync::Mutex;

use crate::llm::budget::{DayTotals, Ledger, ModelTotals};
use crate::memory::Memory;

/// The budget's ledger in the memory database, on a connection of its own.
pub(super) struct UsageLedger(pub(super) Mutex<Memory>);

impl Ledger for UsageLedger {
    fn record(
        &self,
        day: &str,
        model: &str,
        prompt: u64,
        completion: u64,
        cost: f64,
    ) -> Result<(), String> {
        let mut memory = self
            .0
            .lock()
            .map_err(|_| "the ledger lock is poisoned".to_owned())?;
        memory
            .record_usage(day, model, prompt, completion, cost)
            .map_err(|e| e.to_string())
    }

    fn day_totals(&self, day: &str) -> Result<DayTotals, String> {
        let memory = self
            .0
            .lock()
            .map_err(|_| "the ledger lock is poisoned".to_owned())?;
        let rows = memory.usage_on(day).map_err(|e| e.to_string())?;
        let mut totals = DayTotals::default();
        for r in rows {
            totals.tokens += r.prompt_tokens + r.completion_tokens;
            totals.cost_usd += r.cost_usd;
            totals.calls += r.calls;
            let model = ModelTotals {
                prompt_tokens: r.prompt_tokens,
                completion_tokens: r.completion_tokens,
                cost_usd: r.cost_usd,
                calls: r.calls,
            };
            totals.by_model.insert(r.model, model);
        }
        Ok(totals)
    }
}

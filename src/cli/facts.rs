//! `mirai memory facts USER`: what the house believes about a person, and a person's way to
//! correct or forget any of it.

use clap::Args;

use super::emit;
use crate::clock::rfc3339_ms;
use crate::memory::Memory;

#[derive(Debug, Args)]
pub(super) struct FactsArgs {
    /// User name
    user: String,
    /// Add a fact in the person's own words
    #[arg(long, value_name = "TEXT")]
    add: Option<String>,
    /// Correct a fact: its id and the true text
    #[arg(long, num_args = 2, value_names = ["ID", "TEXT"])]
    set: Option<Vec<String>>,
    /// Forget a fact for good (repeatable)
    #[arg(long, value_name = "ID")]
    forget: Vec<i64>,
}

/// Applies the changes asked for, then shows the user's facts.
pub(super) fn run(memory: &mut Memory, args: FactsArgs, json: bool) -> anyhow::Result<()> {
    if let Some(text) = &args.add {
        memory.add_fact(&args.user, text)?;
    }
    if let Some([id, text]) = args.set.as_deref() {
        let id: i64 = id
            .parse()
            .map_err(|_| anyhow::anyhow!("--set {id:?}: a fact id is a number"))?;
        owned(memory, id, &args.user)?;
        memory.set_fact(id, text)?;
    }
    for &id in &args.forget {
        owned(memory, id, &args.user)?;
        memory.forget_fact(id)?;
    }
    let facts = memory.facts(&args.user)?;
    emit(json, &facts, || {
        if facts.is_empty() {
            return format!("no facts about {}\n", args.user);
        }
        facts
            .iter()
            .map(|f| format!("#{}  {}  {}\n", f.id, rfc3339_ms(f.updated_at), f.text))
            .collect()
    })
}

/// Refuses to change another person's fact by a mistyped id.
fn owned(memory: &Memory, id: i64, user: &str) -> anyhow::Result<()> {
    let fact = memory.fact(id)?;
    if fact.user != user {
        anyhow::bail!("fact {id} is about {}, not {user}", fact.user);
    }
    Ok(())
}

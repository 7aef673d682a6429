//! Memory upkeep in the background of the daemon: embedding what lacks a vector of the
//! current embed model (new items, and old ones after the model or its dimensions changed),
//! and distilling finished conversations into facts.
//!
//! The work runs on a thread of its own and takes the memory lock only to read a batch and
//! to store its result, never while a model is being asked: a request never waits for it.
//! When a model cannot be reached the thread backs off; search meanwhile finds the waiting
//! items by their words alone.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Agent;
use crate::memory::MAX_DISTIL_MESSAGES;

/// Embedding batches in one round before the thread looks at facts and the stop signal.
const BATCHES_PER_ROUND: usize = 8;
/// Conversations distilled in one round.
const DISTILS_PER_ROUND: usize = 4;
/// The longest pause after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// What the upkeep does and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpkeepSettings {
    /// Embed items in the background.
    pub embeddings: bool,
    /// Items per request to the embed model.
    pub batch_size: usize,
    /// Pause between rounds when there is nothing to do.
    pub interval: Duration,
    /// Distil finished conversations into facts.
    pub facts: bool,
    /// A conversation is finished after this long without a message.
    pub idle: Duration,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Items embedded.
    pub embedded: usize,
    /// Conversations distilled.
    pub distilled: usize,
    /// More work is waiting right now.
    pub more: bool,
    /// A model or the memory failed.
    pub failed: bool,
}

/// The upkeep thread; it stops when dropped.
pub struct Upkeep {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Upkeep {
    /// Starts the upkeep of `agent`'s memory.
    pub fn start(agent: Arc<Agent>, settings: UpkeepSettings) -> std::io::Result<Upkeep> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mirai-upkeep".into())
            .spawn(move || {
                let mut failures = 0u32;
                let mut wait = Duration::ZERO;
                loop {
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    let round = agent.upkeep_round(&settings);
                    failures = if round.failed { failures + 1 } else { 0 };
                    wait = if failures > 0 {
                        (settings.interval * 2u32.pow(failures.min(6))).min(MAX_BACKOFF)
                    } else if round.more {
                        Duration::ZERO
                    } else {
                        settings.interval
                    };
                }
            })?;
        Ok(Upkeep {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Upkeep {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Agent {
    /// One round of upkeep: a few batches of embeddings, then a few finished conversations.
    pub fn upkeep_round(&self, settings: &UpkeepSettings) -> Round {
        let mut round = Round::default();
        if settings.embeddings {
            for _ in 0..BATCHES_PER_ROUND {
                match self.embed_batch(settings.batch_size) {
                    Ok(0) => break,
                    Ok(n) => round.embedded += n,
                    Err(e) => {
                        tracing::warn!(cause = %e, "cannot embed memory; trying again later");
                        round.failed = true;
                        break;
                    }
                }
                round.more = true;
            }
        }
        if settings.facts && !round.failed {
            let idle_before = crate::clock::now_ms() - settings.idle.as_millis() as i64;
            let talks = self
                .with_memory(|m| m.undistilled(idle_before, DISTILS_PER_ROUND))
                .unwrap_or_default();
            for talk in &talks {
                match self.distil(talk) {
                    Ok(_) => round.distilled += 1,
                    Err(e) => {
                        tracing::warn!(cause = %e, session = %talk.session,
                            "cannot distil facts; trying again later");
                        round.failed = true;
                        break;
                    }
                }
            }
            round.more |= talks.len() == DISTILS_PER_ROUND
                || talks
                    .iter()
                    .any(|t| t.messages.len() == MAX_DISTIL_MESSAGES);
        }
        round
    }

    /// Embeds one batch of items lacking a current vector; returns how many were stored.
    fn embed_batch(&self, size: usize) -> Result<usize, String> {
        let (model, items) = self
            .with_memory(|m| Ok((m.embedding_model().cloned(), m.unembedded(size)?)))
            .map_err(|e| e.to_string())?;
        let Some(model) = model else { return Ok(0) };
        if items.is_empty() {
            return Ok(0);
        }
        let texts: Vec<String> = items.iter().map(|i| i.text.clone()).collect();
        let embeddings = self.llm.embed(&texts).map_err(|e| e.to_string())?;
        self.with_memory(|m| m.store_embeddings(&model, &items, &embeddings.vectors))
            .map_err(|e| e.to_string())
    }
}

//! Hybrid search over everything remembered: FTS5 BM25 and vector similarity, fused by
//! reciprocal rank fusion, filtered by user and kind.
//!
//! Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009) scores an item
//! `Σ 1 / (k + rank)` over the rankings it appears in, with `k = 60`: it needs no
//! calibration between BM25 scores and cosines, and an item both rankings like rises to the
//! top. Without a query vector (no embed model, the model unreachable, nothing embedded yet)
//! the words alone rank, so search works offline.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::knowledge::fts_query;
use super::vectors::{Key, Quantized, VectorIndex, quantize};
use super::{Memory, MemoryError};

/// The `k` of reciprocal rank fusion.
const RRF_K: f64 = 60.0;
/// Each ranking contributes this many candidates per result asked for.
const CANDIDATES_PER_RESULT: usize = 4;
/// At least this many candidates per ranking.
const MIN_CANDIDATES: usize = 20;
/// An index of at least this many vectors is scanned on another thread while FTS5 runs.
const CONCURRENT_SCAN_ROWS: usize = 4_096;
/// Vector candidates less similar than this share of the best one are left out: a scan ranks
/// every item, and an unrelated one must not gain fused score just for being ranked.
const MIN_SHARE_OF_BEST: f32 = 0.5;

text_enum! {
    /// What sort of remembered item a search result is.
    Kind, "memory kind" {
        /// A piece of knowledge (shared by the house).
        Knowledge = "knowledge",
        /// A message of a conversation.
        Message = "message",
        /// A finished task and its result.
        Task = "task",
        /// A durable fact or preference about a user.
        Fact = "fact",
    }
}

impl Kind {
    /// Every kind, in the order results of equal score are listed.
    pub const ALL: [Kind; 4] = [Kind::Fact, Kind::Knowledge, Kind::Task, Kind::Message];
}

/// What to look for.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecallQuery<'a> {
    /// The words.
    pub text: &'a str,
    /// Only this user's items and the house's (all users' when `None`).
    pub user: Option<&'a str>,
    /// Only these kinds (all when empty).
    pub kinds: &'a [Kind],
    /// Results wanted.
    pub limit: usize,
    /// The query's embedding from the current embed model, when it could be had.
    pub vector: Option<&'a [f32]>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recalled {
    /// What sort of item.
    pub kind: Kind,
    /// Its row id in its own table.
    pub id: i64,
    /// Its text.
    pub text: String,
    /// Fused score; higher is better.
    pub score: f64,
    /// Unix milliseconds (a fact's last change).
    pub at: i64,
}

impl Memory {
    /// The `limit` best items for a query, best first: words and meaning fused.
    pub fn recall(&mut self, query: &RecallQuery<'_>) -> Result<Vec<Recalled>, MemoryError> {
        let kinds: &[Kind] = if query.kinds.is_empty() {
            &Kind::ALL
        } else {
            query.kinds
        };
        let wanted = (query.limit * CANDIDATES_PER_RESULT).max(MIN_CANDIDATES);
        let q = query.vector.and_then(quantize);
        // Brought up to date first (it needs the connection); then only read.
        let indexed = q.is_some() && self.vector_index()?.is_some();
        let index = if indexed { self.index.as_ref() } else { None };
        let by_meaning = |index: &VectorIndex, q: &Quantized| -> Vec<Key> {
            let hits = index.search(q, query.user, kinds, wanted);
            let floor = hits.first().map_or(0.0, |h| h.1 * MIN_SHARE_OF_BEST);
            hits.into_iter()
                .take_while(|(_, score)| *score > 0.0 && *score >= floor)
                .map(|(key, _)| key)
                .collect()
        };
        let (words, meaning) = match index.zip(q.as_ref()) {
            // A large index is scanned on other threads while this one asks FTS5 (the
            // connection stays on its own thread): the search takes the longer of the two,
            // not their sum.
            Some((index, q)) if index.len() >= CONCURRENT_SCAN_ROWS => {
                std::thread::scope(|scope| {
                    let meaning = scope.spawn(|| by_meaning(index, q));
                    let words = self.fts_ranking(query.text, query.user, kinds, wanted);
                    (words, meaning.join().unwrap_or_default())
                })
            }
            Some((index, q)) => (
                self.fts_ranking(query.text, query.user, kinds, wanted),
                by_meaning(index, q),
            ),
            None => (
                self.fts_ranking(query.text, query.user, kinds, wanted),
                Vec::new(),
            ),
        };
        let words = words?;
        let mut fused: HashMap<Key, f64> = HashMap::new();
        for ranking in [&words, &meaning] {
            for (rank, key) in ranking.iter().enumerate() {
                *fused.entry(*key).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
            }
        }
        let mut order: Vec<(Key, f64)> = fused.into_iter().collect();
        let kind_order = |k: Kind| Kind::ALL.iter().position(|x| *x == k);
        order.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| kind_order(a.0.kind).cmp(&kind_order(b.0.kind)))
                .then_with(|| b.0.item.cmp(&a.0.item))
        });
        let mut out = Vec::with_capacity(query.limit);
        for (key, score) in order {
            if out.len() == query.limit {
                break;
            }
            // An item another connection deleted may linger in the index: skip it.
            if let Some((text, at)) = self.item_text(key)? {
                out.push(Recalled {
                    kind: key.kind,
                    id: key.item,
                    text,
                    score,
                    at,
                });
            }
        }
        Ok(out)
    }

    /// Items whose words match, best BM25 first across the kinds asked for.
    fn fts_ranking(
        &self,
        text: &str,
        user: Option<&str>,
        kinds: &[Kind],
        limit: usize,
    ) -> Result<Vec<Key>, MemoryError> {
        // One-letter words ("I", "a") prefix-match half the vocabulary: noise, not signal.
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 1)
            .collect();
        let Some(fts) = fts_query(&words.join(" ")) else {
            return Ok(Vec::new());
        };
        let mut hits: Vec<(f64, Key)> = Vec::new();
        for &kind in kinds {
            let mut stmt = self.conn.prepare_cached(fts_sql(kind))?;
            let rows = stmt.query_map(params![fts, user, limit as i64], |row| {
                Ok((row.get::<_, f64>(1)?, row.get::<_, i64>(0)?))
            })?;
            for row in rows {
                let (bm25, item) = row?;
                hits.push((bm25, Key { kind, item }));
            }
        }
        // bm25() is lower for better matches.
        hits.sort_by(|a, b| a.0.total_cmp(&b.0));
        hits.truncate(limit);
        Ok(hits.into_iter().map(|(_, key)| key).collect())
    }

    /// An item's text and time, `None` when it is gone.
    fn item_text(&self, key: Key) -> Result<Option<(String, i64)>, MemoryError> {
        let sql = match key.kind {
            Kind::Knowledge => {
                "SELECT CASE WHEN topic = '' THEN content ELSE topic || ': ' || content END,
                        updated_at FROM knowledge WHERE id = ?1"
            }
            Kind::Message => "SELECT content, created_at FROM messages WHERE id = ?1",
            Kind::Task => {
                "SELECT description || coalesce(' — ' || result, ''), updated_at
                 FROM tasks_history WHERE id = ?1"
            }
            Kind::Fact => "SELECT text, updated_at FROM facts WHERE id = ?1",
        };
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row([key.item], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?)
    }
}

/// The FTS query of one kind: `?1` the match, `?2` the user (NULL: anyone), `?3` the limit.
fn fts_sql(kind: Kind) -> &'static str {
    match kind {
        // Knowledge belongs to the whole house; `?2` is read only to keep one signature.
        Kind::Knowledge => {
            "SELECT rowid, bm25(knowledge_fts, 2.0, 1.0) FROM knowledge_fts
             WHERE knowledge_fts MATCH ?1 AND (?2 IS NULL OR 1)
             ORDER BY bm25(knowledge_fts, 2.0, 1.0) LIMIT ?3"
        }
        Kind::Fact => {
            "SELECT f.id, bm25(facts_fts) FROM facts_fts JOIN facts f ON f.id = facts_fts.rowid
             WHERE facts_fts MATCH ?1 AND (?2 IS NULL OR f.user = ?2)
             ORDER BY bm25(facts_fts) LIMIT ?3"
        }
        Kind::Message => {
            "SELECT m.id, bm25(messages_fts) FROM messages_fts
             JOIN messages m ON m.id = messages_fts.rowid
             JOIN sessions s ON s.id = m.session_id
             WHERE messages_fts MATCH ?1 AND m.role IN ('user', 'assistant')
               AND (?2 IS NULL OR s.user = ?2)
             ORDER BY bm25(messages_fts) LIMIT ?3"
        }
        Kind::Task => {
            "SELECT t.id, bm25(tasks_fts) FROM tasks_fts
             JOIN tasks_history t ON t.id = tasks_fts.rowid
             LEFT JOIN sessions s ON s.id = t.session_id
             WHERE tasks_fts MATCH ?1 AND t.status = 'done'
               AND (?2 IS NULL OR s.user = ?2)
             ORDER BY bm25(tasks_fts) LIMIT ?3"
        }
    }
}

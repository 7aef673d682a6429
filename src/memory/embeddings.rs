//! Stored embeddings: which items still lack one from the current embed model, storing the
//! vectors the model sent (int8, see `vectors`), and keeping the in-memory index in step.
//!
//! Items are embedded in the background by whoever owns the model client (the daemon); this
//! module never calls a model. An item whose vector came from another model or dimension
//! counts as lacking one: it is re-embedded in turn, and until then search finds it by its
//! words alone.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::recall::Kind;
use super::vectors::{Key, Quantized, VectorIndex, quantize};
use super::{Memory, MemoryError, write};

/// Longest text sent to the embed model for one item, in characters.
pub const MAX_EMBED_CHARS: usize = 2_000;

/// The embed model whose vectors the memory searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingModel {
    /// The model's name at the provider.
    pub name: String,
    /// The length of its vectors (the `dimensions` asked for).
    pub dims: u32,
}

/// An item that needs a vector from the current embed model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unembedded {
    /// What sort of item.
    pub kind: Kind,
    /// Its row id.
    pub item: i64,
    /// Its owner; `None` for the whole house.
    pub user: Option<String>,
    /// The text to embed (at most [`MAX_EMBED_CHARS`]).
    pub text: String,
}

/// A vector as stored, with the model that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmbedding {
    /// The embed model's name.
    pub model: String,
    /// The vector's length.
    pub dims: u32,
    /// The int8 values and their scale.
    pub vector: Quantized,
}

/// How many items have a current vector, one from another model, or none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EmbeddingCounts {
    /// Embedded by the current model at the current dimension.
    pub current: u64,
    /// Embedded by another model or dimension: waiting to be re-embedded.
    pub stale: u64,
    /// Not embedded at all yet (includes the stale ones).
    pub waiting: u64,
}

/// Items lacking a current vector: facts first (most asked for), then knowledge, task
/// results and messages, newest of each first.
const UNEMBEDDED_SQL: &str = "
SELECT * FROM (SELECT 'fact', f.id, f.user, f.text FROM facts f
    WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.kind = 'fact' AND e.item = f.id
                      AND e.model = ?1 AND e.dims = ?2) ORDER BY f.id DESC)
UNION ALL
SELECT * FROM (SELECT 'knowledge', k.id, NULL,
        CASE WHEN k.topic = '' THEN k.content ELSE k.topic || ': ' || k.content END
    FROM knowledge k
    WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.kind = 'knowledge' AND e.item = k.id
                      AND e.model = ?1 AND e.dims = ?2) ORDER BY k.id DESC)
UNION ALL
SELECT * FROM (SELECT 'task', t.id, s.user, t.description || ' — ' || t.result
    FROM tasks_history t LEFT JOIN sessions s ON s.id = t.session_id
    WHERE t.status = 'done' AND t.result IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.kind = 'task' AND e.item = t.id
                      AND e.model = ?1 AND e.dims = ?2) ORDER BY t.id DESC)
UNION ALL
SELECT * FROM (SELECT 'message', m.id, s.user, m.content
    FROM messages m JOIN sessions s ON s.id = m.session_id
    WHERE m.role IN ('user', 'assistant')
      AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.kind = 'message' AND e.item = m.id
                      AND e.model = ?1 AND e.dims = ?2) ORDER BY m.id DESC)
LIMIT ?3";

impl Memory {
    /// The embed model this memory searches with, if any.
    pub fn embedding_model(&self) -> Option<&EmbeddingModel> {
        self.settings.embedding.as_ref()
    }

    /// Up to `limit` items that lack a vector from the current embed model (none when no
    /// model is configured).
    pub fn unembedded(&self, limit: usize) -> Result<Vec<Unembedded>, MemoryError> {
        let Some(model) = &self.settings.embedding else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(UNEMBEDDED_SQL)?;
        let rows = stmt.query_map(params![model.name, model.dims, limit as i64], |row| {
            let text: String = row.get(3)?;
            Ok(Unembedded {
                kind: row.get(0)?,
                item: row.get(1)?,
                user: row.get(2)?,
                text: text.chars().take(MAX_EMBED_CHARS).collect(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores the vectors `model` made for `items` (one each, in order), in one commit,
    /// replacing older ones; returns how many were stored. An item deleted meanwhile is
    /// skipped; a vector of the wrong length is refused, naming the item.
    pub fn store_embeddings(
        &mut self,
        model: &EmbeddingModel,
        items: &[Unembedded],
        vectors: &[Vec<f32>],
    ) -> Result<usize, MemoryError> {
        if items.len() != vectors.len() {
            return Err(MemoryError::InvalidInput(format!(
                "{} vectors for {} items",
                vectors.len(),
                items.len()
            )));
        }
        let mut rows = Vec::with_capacity(items.len());
        for (item, vector) in items.iter().zip(vectors) {
            if vector.len() != model.dims as usize {
                return Err(MemoryError::InvalidInput(format!(
                    "the vector of {} {} has {} dimensions, not the {} of {}",
                    item.kind,
                    item.item,
                    vector.len(),
                    model.dims,
                    model.name
                )));
            }
            if let Some(q) = quantize(vector) {
                rows.push((item, q));
            }
        }
        let stored = write(&mut self.conn, |tx| {
            let mut stored = Vec::with_capacity(rows.len());
            for (item, q) in &rows {
                if !item_exists(tx, item.kind, item.item)? {
                    continue;
                }
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO embeddings (kind, item, user, model, dims, scale, vector)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    item.kind,
                    item.item,
                    item.user,
                    model.name,
                    model.dims,
                    q.scale,
                    q.blob()
                ])?;
                stored.push((*item, q));
            }
            Ok(stored.len())
        })?;
        // The index reads the new rows by id on its next refresh.
        Ok(stored)
    }

    /// The stored vector of one item, whichever model made it.
    pub fn stored_embedding(
        &self,
        kind: Kind,
        item: i64,
    ) -> Result<Option<StoredEmbedding>, MemoryError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT model, dims, scale, vector FROM embeddings WHERE kind = ?1 AND item = ?2",
            )?
            .query_row(params![kind, item], |row| {
                let blob: Vec<u8> = row.get(3)?;
                Ok(StoredEmbedding {
                    model: row.get(0)?,
                    dims: row.get(1)?,
                    vector: Quantized::from_blob(row.get(2)?, &blob),
                })
            })
            .optional()?)
    }

    /// How far embedding has got.
    pub fn embedding_counts(&self) -> Result<EmbeddingCounts, MemoryError> {
        let (name, dims) = self
            .settings
            .embedding
            .as_ref()
            .map_or(("", 0), |m| (m.name.as_str(), m.dims));
        let (current, stale): (i64, i64) = self.conn.query_row(
            "SELECT count(*) FILTER (WHERE model = ?1 AND dims = ?2),
                    count(*) FILTER (WHERE model != ?1 OR dims != ?2) FROM embeddings",
            params![name, dims],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let waiting: i64 = self.conn.query_row(
            &format!(
                "SELECT count(*) FROM ({})",
                UNEMBEDDED_SQL.replace("?3", "-1")
            ),
            params![name, dims],
            |row| row.get(0),
        )?;
        Ok(EmbeddingCounts {
            current: current as u64,
            stale: stale as u64,
            waiting: waiting as u64,
        })
    }

    /// Vectors of the current model held in memory (loading any new ones first).
    pub fn indexed_vectors(&mut self) -> Result<usize, MemoryError> {
        Ok(self.vector_index()?.map_or(0, VectorIndex::len))
    }

    /// The index, brought up to date with rows committed since it was last read (by this
    /// connection or another); `None` when no embed model is configured.
    pub(crate) fn vector_index(&mut self) -> Result<Option<&VectorIndex>, MemoryError> {
        let Some(model) = &self.settings.embedding else {
            return Ok(None);
        };
        let index = self
            .index
            .get_or_insert_with(|| VectorIndex::new(model.dims as usize));
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, item, user, scale, vector FROM embeddings
             WHERE id > ?1 AND model = ?2 AND dims = ?3 ORDER BY id",
        )?;
        let mut rows = stmt.query(params![index.loaded_through, model.name, model.dims])?;
        while let Some(row) = rows.next()? {
            let key = Key {
                kind: row.get(1)?,
                item: row.get(2)?,
            };
            let user: Option<String> = row.get(3)?;
            let blob: Vec<u8> = row.get(5)?;
            index.upsert(
                key,
                user.as_deref(),
                &Quantized::from_blob(row.get(4)?, &blob),
            );
            index.loaded_through = row.get(0)?;
        }
        Ok(self.index.as_ref())
    }

    /// Drops one item's vector from the in-memory index (its row went with the item).
    pub(crate) fn unindex(&mut self, kind: Kind, item: i64) {
        if let Some(index) = &mut self.index {
            index.remove(Key { kind, item });
        }
    }

    /// Forgets the in-memory index; it is read again from the file when next searched.
    pub(crate) fn reset_index(&mut self) {
        self.index = None;
    }
}

/// Whether the item still exists (it may have been deleted while it was being embedded).
fn item_exists(tx: &rusqlite::Transaction<'_>, kind: Kind, item: i64) -> Result<bool, MemoryError> {
    let sql = match kind {
        Kind::Knowledge => "SELECT 1 FROM knowledge WHERE id = ?1",
        Kind::Message => "SELECT 1 FROM messages WHERE id = ?1",
        Kind::Task => "SELECT 1 FROM tasks_history WHERE id = ?1",
        Kind::Fact => "SELECT 1 FROM facts WHERE id = ?1",
    };
    Ok(tx
        .prepare_cached(sql)?
        .query_row([item], |_| Ok(()))
        .optional()?
        .is_some())
}

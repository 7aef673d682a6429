//! Learned knowledge and full-text search over it, including the one place that turns
//! user text into an FTS5 query.
//!
//! Knowledge is never deleted by retention: nothing learned is ever lost.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Memory, MemoryError, write};
use crate::clock::now_ms;

/// At most this many words of a query reach FTS5; longer text adds cost, not precision.
const MAX_QUERY_TOKENS: usize = 16;

/// One stored piece of knowledge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knowledge {
    /// Row id.
    pub id: i64,
    /// What it is about.
    pub topic: String,
    /// The fact itself.
    pub content: String,
    /// Where it came from (a conversation, a document, a URL).
    pub source: String,
    /// An embedding vector, if one was computed.
    pub embedding: Option<Vec<f32>>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// A search result from [`Memory::search_knowledge`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnowledgeHit {
    /// Row id.
    pub id: i64,
    /// What it is about.
    pub topic: String,
    /// The fact itself.
    pub content: String,
    /// Where it came from.
    pub source: String,
    /// Relevance: SQLite's bm25 negated, so higher is better.
    pub score: f64,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl Memory {
    /// Stores a piece of knowledge and returns its id.
    pub fn add_knowledge(
        &mut self,
        topic: &str,
        content: &str,
        source: &str,
        embedding: Option<&[f32]>,
    ) -> Result<i64, MemoryError> {
        if content.trim().is_empty() {
            return Err(MemoryError::InvalidInput(format!(
                "knowledge about '{topic}' has empty content"
            )));
        }
        let blob = embedding.map(embedding_to_blob);
        let now = now_ms();
        write(&mut self.conn, |tx| {
            tx.prepare_cached(
                "INSERT INTO knowledge (topic, content, source, embedding, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )?
            .execute(params![topic, content, source, blob, now])?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// One piece of knowledge by id.
    pub fn knowledge(&self, id: i64) -> Result<Knowledge, MemoryError> {
        self.conn
            .prepare_cached(
                "SELECT id, topic, content, source, embedding, created_at, updated_at
                 FROM knowledge WHERE id = ?1",
            )?
            .query_row([id], |row| {
                Ok(Knowledge {
                    id: row.get(0)?,
                    topic: row.get(1)?,
                    content: row.get(2)?,
                    source: row.get(3)?,
                    embedding: row
                        .get::<_, Option<Vec<u8>>>(4)?
                        .map(|b| blob_to_embedding(&b)),
                    created_at: row.get(5)?,
                    updated_at: row.get(6)?,
                })
            })
            .optional()?
            .ok_or_else(|| MemoryError::NotFound {
                what: format!("knowledge {id}"),
            })
    }

    /// The `limit` best matches for free text, best first; any text is accepted.
    pub fn search_knowledge(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<KnowledgeHit>, MemoryError> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        // A topic word says more about a row than the same word deep in its content.
        let mut stmt = self.conn.prepare_cached(
            "SELECT k.id, k.topic, k.content, k.source, -bm25(knowledge_fts, 2.0, 1.0), k.created_at
             FROM knowledge_fts JOIN knowledge k ON k.id = knowledge_fts.rowid
             WHERE knowledge_fts MATCH ?1
             ORDER BY bm25(knowledge_fts, 2.0, 1.0) LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![fts, limit as i64], |row| {
            Ok(KnowledgeHit {
                id: row.get(0)?,
                topic: row.get(1)?,
                content: row.get(2)?,
                source: row.get(3)?,
                score: row.get(4)?,
                created_at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Turns free text into an FTS5 query that cannot be a syntax error: the Unicode
/// alphanumeric runs of the text, each quoted and prefix-matched, joined with OR.
///
/// `None` when the text has no words (empty, punctuation only): there is nothing to match.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let tokens: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|token| !token.is_empty())
        .take(MAX_QUERY_TOKENS)
        // Alphanumeric runs hold no '"', so quoting needs no escaping; quoting turns
        // operators such as AND, OR, NOT and NEAR into plain words.
        .map(|token| format!("\"{token}\"*"))
        .collect();
    (!tokens.is_empty()).then(|| tokens.join(" OR "))
}

/// Little-endian f32s, the layout documented on the `knowledge.embedding` column.
pub(crate) fn embedding_to_blob(embedding: &[f32]) -> Vec<u8> {
    embedding.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The inverse of [`embedding_to_blob`]; a trailing partial float is ignored.
pub(crate) fn blob_to_embedding(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::tests::temp_memory;

    #[test]
    fn query_builder_quotes_words_and_drops_syntax() {
        assert_eq!(fts_query("lights ON"), Some(r#""lights"* OR "ON"*"#.into()));
        assert_eq!(
            fts_query(r#"say "hi" AND (NOT x*) NEAR"#),
            Some(r#""say"* OR "hi"* OR "AND"* OR "NOT"* OR "x"* OR "NEAR"*"#.into())
        );
        assert_eq!(fts_query("Ёлка—свет"), Some(r#""Ёлка"* OR "свет"*"#.into()));
        assert_eq!(fts_query(""), None);
        assert_eq!(fts_query(r#" "*()-:^ ,. "#), None);
        let long = "word ".repeat(100);
        assert_eq!(
            fts_query(&long).unwrap().matches('"').count(),
            2 * MAX_QUERY_TOKENS
        );
    }

    #[test]
    fn search_finds_english_and_russian_by_prefix_and_case() {
        let (_dir, mut memory) = temp_memory();
        let heat = memory
            .add_knowledge(
                "heating",
                "The boiler runs from 6:00 to 22:00",
                "manual",
                None,
            )
            .unwrap();
        let kitchen = memory
            .add_knowledge(
                "Кухня",
                "Свет на кухне включается датчиком движения",
                "chat",
                None,
            )
            .unwrap();
        memory
            .add_knowledge("garden", "Water the roses on Sundays", "chat", None)
            .unwrap();

        let ids = |q: &str| -> Vec<i64> {
            memory
                .search_knowledge(q, 10)
                .unwrap()
                .iter()
                .map(|h| h.id)
                .collect()
        };
        assert_eq!(ids("boiler"), vec![heat]);
        assert_eq!(ids("BOIL"), vec![heat], "prefix and case-insensitive");
        assert_eq!(ids("кухня"), vec![kitchen], "Cyrillic case folding");
        assert_eq!(
            ids("датчик"),
            vec![kitchen],
            "Russian word by its stem prefix"
        );
        assert_eq!(ids("сВеТ"), vec![kitchen]);
        assert!(ids("volcano").is_empty());
        let hits = memory.search_knowledge("roses boiler", 10).unwrap();
        assert_eq!(hits.len(), 2, "words are OR-ed");
        assert!(hits[0].score >= hits[1].score, "best first");
    }

    #[test]
    fn hostile_queries_never_error() {
        let (_dir, mut memory) = temp_memory();
        memory
            .add_knowledge("and", "AND or NOT near", "chat", None)
            .unwrap();
        for query in [
            "\"",
            "*",
            "(",
            ")",
            "AND",
            "OR",
            "NOT",
            "NEAR(",
            "\"unterminated",
            "a:b",
            "^x",
            "",
            "   ",
            "?!.,;",
            "col:value",
            "x AND",
            "{a b}",
            "-",
            "+",
        ] {
            let hits = memory.search_knowledge(query, 5);
            assert!(hits.is_ok(), "{query:?}: {hits:?}");
        }
        assert_eq!(
            memory.search_knowledge("AND", 5).unwrap().len(),
            1,
            "operators are words"
        );
        assert!(memory.search_knowledge("?!.,;", 5).unwrap().is_empty());
    }

    #[test]
    fn knowledge_round_trips_with_its_embedding() {
        let (_dir, mut memory) = temp_memory();
        let embedding = [0.5f32, -1.25, 3.0e-7];
        let id = memory
            .add_knowledge("t", "c", "s", Some(&embedding))
            .unwrap();
        let k = memory.knowledge(id).unwrap();
        assert_eq!(k.embedding.as_deref(), Some(&embedding[..]));
        assert_eq!((k.topic.as_str(), k.content.as_str()), ("t", "c"));
        assert!(matches!(
            memory.knowledge(id + 1),
            Err(MemoryError::NotFound { .. })
        ));
        assert_eq!(embedding_to_blob(&[1.0])[..], 1.0f32.to_le_bytes());
    }
}

//! Upserts: how one import record lands in its table, one statement pair per table.
//!
//! Ids are kept when free. A record whose id is taken by an identical row is skipped, which
//! makes re-running an interrupted import safe; one whose id is taken by a different row
//! (merging two hubs) gets a new id, and thoughts follow their task's new id.

use std::collections::HashMap;

use rusqlite::{ToSql, Transaction, params};

use crate::memory::MemoryError;
use crate::memory::export::{PreferenceLine, Record, SessionLine, ThoughtLine};
use crate::memory::knowledge::embedding_to_blob;
use crate::memory::sessions::insert_session;

/// Per-table statements: "is an identical row there?" and "insert, keeping the id if free".
/// Both take the record's columns as `?1…` with the id first.
struct Upsert {
    same: &'static str,
    insert: &'static str,
}

const MESSAGE: Upsert = Upsert {
    same: "SELECT 1 FROM messages WHERE id = ?1 AND session_id = ?2 AND role = ?3
           AND content = ?4 AND created_at = ?5",
    insert: "INSERT INTO messages (id, session_id, role, content, created_at) VALUES
             ((SELECT CASE WHEN EXISTS (SELECT 1 FROM messages WHERE id = ?1) THEN NULL ELSE ?1 END),
              ?2, ?3, ?4, ?5)",
};

const TASK: Upsert = Upsert {
    same: "SELECT 1 FROM tasks_history WHERE id = ?1 AND session_id IS ?2 AND description = ?3
           AND status = ?4 AND result IS ?5 AND created_at = ?6 AND updated_at = ?7
           AND kind = ?8 AND user IS ?9 AND plan IS ?10 AND next_run IS ?11 AND attempts = ?12
           AND parent_id IS ?13",
    insert: "INSERT INTO tasks_history
             (id, session_id, description, status, result, created_at, updated_at,
              kind, user, plan, next_run, attempts, parent_id) VALUES
             ((SELECT CASE WHEN EXISTS (SELECT 1 FROM tasks_history WHERE id = ?1)
               THEN NULL ELSE ?1 END), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
};

const FACT: Upsert = Upsert {
    same: "SELECT 1 FROM facts WHERE id = ?1 AND user = ?2 AND text = ?3 AND session_id IS ?4
           AND created_at = ?5 AND updated_at = ?6",
    insert: "INSERT INTO facts (id, user, text, session_id, created_at, updated_at) VALUES
             ((SELECT CASE WHEN EXISTS (SELECT 1 FROM facts WHERE id = ?1) THEN NULL ELSE ?1 END),
              ?2, ?3, ?4, ?5, ?6)",
};

const THOUGHT: Upsert = Upsert {
    same: "SELECT 1 FROM thoughts WHERE id = ?1 AND task_id = ?2 AND step = ?3 AND kind = ?4
           AND content = ?5 AND created_at = ?6",
    insert: "INSERT INTO thoughts (id, task_id, step, kind, content, created_at) VALUES
             ((SELECT CASE WHEN EXISTS (SELECT 1 FROM thoughts WHERE id = ?1) THEN NULL ELSE ?1 END),
              ?2, ?3, ?4, ?5, ?6)",
};

const KNOWLEDGE: Upsert = Upsert {
    same: "SELECT 1 FROM knowledge WHERE id = ?1 AND topic = ?2 AND content = ?3 AND source = ?4
           AND embedding IS ?5 AND created_at = ?6 AND updated_at = ?7",
    insert: "INSERT INTO knowledge
             (id, topic, content, source, embedding, created_at, updated_at) VALUES
             ((SELECT CASE WHEN EXISTS (SELECT 1 FROM knowledge WHERE id = ?1)
               THEN NULL ELSE ?1 END), ?2, ?3, ?4, ?5, ?6, ?7)",
};

/// Stores one record; `None` when it was already present.
pub(super) fn store(
    tx: &Transaction<'_>,
    record: &Record,
    task_ids: &HashMap<i64, i64>,
) -> Result<Option<i64>, MemoryError> {
    match record {
        Record::Session(s) => store_session(tx, s),
        Record::Message(m) => {
            // A message may arrive without its session (a hand-made or partial file).
            insert_session(tx, &m.session_id, "", "import", m.created_at)?;
            let row = params![m.id, m.session_id, m.role, m.content, m.created_at];
            upsert(tx, &MESSAGE, row)
        }
        Record::Preference(p) => store_preference(tx, p),
        Record::Task(t) => {
            // A run follows its scheduled task, which this import may have renumbered.
            let parent = t.parent_id.map(|p| *task_ids.get(&p).unwrap_or(&p));
            let row = params![
                t.id,
                t.session_id,
                t.description,
                t.status,
                t.result,
                t.created_at,
                t.updated_at,
                t.task_kind,
                t.user,
                t.plan,
                t.next_run,
                t.attempts,
                parent
            ];
            upsert(tx, &TASK, row)
        }
        Record::Fact(f) => {
            let row = params![
                f.id,
                f.user,
                f.text,
                f.session_id,
                f.created_at,
                f.updated_at
            ];
            upsert(tx, &FACT, row)
        }
        Record::Thought(t) => store_thought(tx, t, task_ids),
        Record::Knowledge(k) => {
            let blob = k.embedding.as_deref().map(embedding_to_blob);
            let row = params![
                k.id,
                k.topic,
                k.content,
                k.source,
                blob,
                k.created_at,
                k.updated_at
            ];
            upsert(tx, &KNOWLEDGE, row)
        }
    }
}

/// Inserts a session unless its id exists; an existing session is kept as it is.
fn store_session(tx: &Transaction<'_>, s: &SessionLine) -> Result<Option<i64>, MemoryError> {
    if !insert_session(tx, &s.id, &s.user, &s.source, s.started_at)? {
        return Ok(None);
    }
    tx.execute(
        "UPDATE sessions SET ended_at = ?2, summary = ?3, facts_through = ?4 WHERE id = ?1",
        params![s.id, s.ended_at, s.summary, s.facts_through],
    )?;
    Ok(Some(0))
}

/// The newer value wins, so importing an old export never undoes a later change.
fn store_preference(tx: &Transaction<'_>, p: &PreferenceLine) -> Result<Option<i64>, MemoryError> {
    let changed = tx.execute(
        "INSERT INTO user_preferences (user, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user, key) DO UPDATE SET value = excluded.value,
         updated_at = excluded.updated_at WHERE excluded.updated_at > updated_at",
        params![p.user, p.key, p.value, p.updated_at],
    )?;
    Ok((changed > 0).then_some(0))
}

/// Stores a thought under its task's id in this file, which the import may have changed.
fn store_thought(
    tx: &Transaction<'_>,
    t: &ThoughtLine,
    task_ids: &HashMap<i64, i64>,
) -> Result<Option<i64>, MemoryError> {
    let task_id = *task_ids.get(&t.task_id).unwrap_or(&t.task_id);
    let exists = tx
        .prepare_cached("SELECT 1 FROM tasks_history WHERE id = ?1")?
        .exists([task_id])?;
    if !exists {
        return Err(MemoryError::InvalidInput(format!(
            "thought {} refers to task {task_id}, which is not in the file",
            t.id
        )));
    }
    let row = params![
        t.id,
        task_id,
        t.step,
        t.thought_kind,
        t.content,
        t.created_at
    ];
    upsert(tx, &THOUGHT, row)
}

/// Skips an identical row, else inserts keeping the id when free; returns the stored id.
fn upsert(
    tx: &Transaction<'_>,
    sql: &Upsert,
    row: &[&dyn ToSql],
) -> Result<Option<i64>, MemoryError> {
    if tx.prepare_cached(sql.same)?.exists(row)? {
        return Ok(None);
    }
    tx.prepare_cached(sql.insert)?.execute(row)?;
    Ok(Some(tx.last_insert_rowid()))
}

#[cfg(test)]
mod tests {
    use crate::memory::tests::temp_memory;

    #[test]
    fn message_without_session_creates_it_and_taken_ids_are_renumbered() {
        let (_dir, mut memory) = temp_memory();
        let mine = memory.save_task(None, "my own task").unwrap();
        let input = format!(
            "{}\n{}\n{}\n",
            r#"{"kind":"message","id":1,"session_id":"lost","role":"user","content":"hello","created_at":5}"#,
            format_args!(
                r#"{{"kind":"task","id":{mine},"session_id":null,"description":"imported","status":"done","result":null,"created_at":1,"updated_at":1}}"#
            ),
            format_args!(
                r#"{{"kind":"thought","id":1,"task_id":{mine},"step":1,"thought_kind":"plan","content":"p","created_at":1}}"#
            ),
        );
        memory.import(input.as_bytes(), |_| {}).unwrap();
        assert_eq!(memory.sessions(5).unwrap()[0].id, "lost");
        assert_eq!(memory.task(mine).unwrap().description, "my own task");
        let imported = memory.find_similar_tasks("imported", 1).unwrap()[0].id;
        assert_ne!(imported, mine);
        assert_eq!(
            memory.thoughts(imported).unwrap().len(),
            1,
            "thought followed its task"
        );
        assert!(memory.thoughts(mine).unwrap().is_empty());
    }
}

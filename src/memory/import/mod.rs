//! JSON Lines import: replays an export, one committed transaction per record.
//!
//! `on_commit` runs only after the commit that stored a record, so a caller that prints an
//! acknowledgement per record never acknowledges one a crash could lose. (With
//! `synchronous=NORMAL` a commit survives the process being killed; a power cut may still
//! take the last few.)
//!
//! How each record lands in its table (ids kept when free, duplicates skipped) is in
//! `upsert`.

mod upsert;

use std::collections::HashMap;
use std::io::BufRead;

use serde::Serialize;

use super::export::{Record, RecordCounts};
use super::{Memory, MemoryError, write};
use upsert::store;

/// What [`Memory::import`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Records stored, by kind.
    pub imported: RecordCounts,
    /// Records already present (same id and content, or an older preference value).
    pub skipped: u64,
}

/// Reported to the caller after each record is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// 1-based line number of the record in the input.
    pub line: u64,
    /// The record's `"kind"`.
    pub kind: &'static str,
    /// True when the record was already present and nothing was written.
    pub skipped: bool,
    /// Records durable so far, this one included (stored or found present).
    pub records: u64,
}

impl Memory {
    /// Reads JSON Lines written by [`Memory::export`] and stores each record in its own
    /// transaction, calling `on_commit` after each commit.
    ///
    /// A line that is not a valid record stops the import with InvalidInput naming the
    /// line; the records before it stay stored. Blank lines are ignored.
    pub fn import(
        &mut self,
        reader: impl BufRead,
        mut on_commit: impl FnMut(ImportProgress),
    ) -> Result<ImportCounts, MemoryError> {
        let mut counts = ImportCounts::default();
        // Task ids this import had to change, so later thoughts find their task.
        let mut task_ids: HashMap<i64, i64> = HashMap::new();
        for (index, line) in reader.lines().enumerate() {
            let number = index as u64 + 1;
            let line = line.map_err(|err| invalid(number, &err))?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Record =
                serde_json::from_str(&line).map_err(|err| invalid(number, &err))?;
            let stored = write(&mut self.conn, |tx| store(tx, &record, &task_ids)).map_err(
                |err| match err {
                    MemoryError::InvalidInput(why) => invalid(number, &why),
                    other => other,
                },
            )?;
            if let (Record::Task(task), Some(new_id)) = (&record, stored) {
                if task.id != new_id {
                    task_ids.insert(task.id, new_id);
                }
            }
            let skipped = stored.is_none();
            count(&mut counts, &record, skipped);
            on_commit(ImportProgress {
                line: number,
                kind: kind_name(&record),
                skipped,
                records: total(&counts),
            });
        }
        Ok(counts)
    }
}

fn invalid(line: u64, why: &dyn std::fmt::Display) -> MemoryError {
    MemoryError::InvalidInput(format!("import line {line}: {why}"))
}

fn kind_name(record: &Record) -> &'static str {
    match record {
        Record::Session(_) => "session",
        Record::Message(_) => "message",
        Record::Preference(_) => "preference",
        Record::Task(_) => "task",
        Record::Thought(_) => "thought",
        Record::Knowledge(_) => "knowledge",
        Record::Fact(_) => "fact",
    }
}

fn count(counts: &mut ImportCounts, record: &Record, skipped: bool) {
    if skipped {
        counts.skipped += 1;
        return;
    }
    let n = &mut counts.imported;
    *match record {
        Record::Session(_) => &mut n.sessions,
        Record::Message(_) => &mut n.messages,
        Record::Preference(_) => &mut n.preferences,
        Record::Task(_) => &mut n.tasks,
        Record::Thought(_) => &mut n.thoughts,
        Record::Knowledge(_) => &mut n.knowledge,
        Record::Fact(_) => &mut n.facts,
    } += 1;
}

fn total(counts: &ImportCounts) -> u64 {
    let n = &counts.imported;
    n.sessions
        + n.messages
        + n.preferences
        + n.tasks
        + n.thoughts
        + n.knowledge
        + n.facts
        + counts.skipped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::tests::temp_memory;
    use crate::memory::{Role, TaskStatus, ThoughtKind};

    /// A file with every kind of record, including text that JSON must escape.
    fn populate(memory: &mut Memory) {
        let s = memory.start_session("ana", "voice").unwrap();
        memory
            .save_message(&s, Role::User, "включи \"свет\" в кухне\n")
            .unwrap();
        memory
            .save_message_at(&s, Role::Assistant, "Done ✓", 1_000)
            .unwrap();
        memory.end_session(&s, Some("lights")).unwrap();
        memory.ensure_session("web-1", "bob", "web").unwrap();
        memory.save_preference("ana", "units", "metric").unwrap();
        let task = memory.save_task(Some(&s), "turn on the light").unwrap();
        memory
            .add_thought(task, ThoughtKind::Plan, "call light.turn_on")
            .unwrap();
        memory
            .update_task(task, TaskStatus::Done, Some("ok"))
            .unwrap();
        memory.save_task(None, "pending one").unwrap();
        memory
            .add_knowledge("кухня", "датчик", "chat", Some(&[0.1, -2.5e-8]))
            .unwrap();
        memory
            .add_knowledge("garden", "roses", "manual", None)
            .unwrap();
        // A daily task that has run once: its schedule and its run must survive.
        let daily = memory
            .add_scheduled(
                crate::memory::TaskKind::Scheduled,
                "ana",
                "tell me the weather",
                r#"{"cron":"0 7 * * *","deliver":{"speech":"kitchen"}}"#,
                Some(1_900_000_000_000),
            )
            .unwrap();
        let run = memory.claim_task(daily).unwrap().unwrap();
        let end = crate::memory::RunEnd {
            ok: true,
            result: "sunny",
            next_run: Some(1_900_086_400_000),
            recurring: true,
            tokens: 12,
        };
        memory.finish_run(daily, run, &end, "2030-03-17").unwrap();
        memory.add_fact("ana", "Ana's daughter is Aiko").unwrap();
    }

    fn export_bytes(memory: &Memory) -> (Vec<u8>, RecordCounts) {
        let mut out = Vec::new();
        let counts = memory.export(&mut out).unwrap();
        (out, counts)
    }

    #[test]
    fn export_then_import_reproduces_every_record() {
        let (_a, mut source) = temp_memory();
        populate(&mut source);
        let (bytes, exported) = export_bytes(&source);
        let expected = RecordCounts {
            sessions: 2,
            messages: 2,
            preferences: 1,
            tasks: 4,
            thoughts: 1,
            knowledge: 2,
            facts: 1,
        };
        assert_eq!(exported, expected);
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 13);

        let (_b, mut target) = temp_memory();
        let mut acks = Vec::new();
        let imported = target.import(&bytes[..], |p| acks.push(p)).unwrap();
        assert_eq!(
            imported,
            ImportCounts {
                imported: expected,
                skipped: 0
            }
        );
        assert_eq!(acks.len(), 13);
        assert_eq!(acks.last().unwrap().records, 13);
        assert_eq!(acks[0].kind, "session");
        // Same ids, same text, same timestamps: the re-export is byte-identical.
        assert_eq!(export_bytes(&target).0, bytes);
        assert_eq!(
            target.search_knowledge("датчик", 5).unwrap().len(),
            1,
            "FTS filled"
        );
        let scheduled = target.scheduled_tasks().unwrap();
        assert_eq!(scheduled.len(), 1, "the schedule came back: {scheduled:?}");
        assert_eq!(scheduled[0].next_run, Some(1_900_086_400_000));
        assert_eq!(
            target.facts("ana").unwrap()[0].text,
            "Ana's daughter is Aiko"
        );

        // Re-running the import (say, after it was killed) changes nothing.
        let again = target.import(&bytes[..], |_| {}).unwrap();
        assert_eq!(
            again,
            ImportCounts {
                imported: RecordCounts::default(),
                skipped: 13
            }
        );
        assert_eq!(export_bytes(&target).0, bytes);
    }

    #[test]
    fn bad_line_is_named_and_earlier_lines_stay_committed() {
        let input = concat!(
            r#"{"kind":"session","id":"s1","user":"ana","source":"cli","started_at":1,"ended_at":null,"summary":null}"#,
            "\n\n",
            r#"{"kind":"message","id":7,"session_id":"s1","role":"user","content":"hi","created_at":2}"#,
            "\n",
            r#"{"kind":"message","id":8,"session_id":"s1","role":"robot","content":"x","created_at":3}"#,
            "\n",
            r#"{"kind":"message","id":9,"session_id":"s1","role":"user","content":"after","created_at":4}"#,
            "\n",
        );
        let (_dir, mut memory) = temp_memory();
        let mut acked = Vec::new();
        let err = memory
            .import(input.as_bytes(), |p| acked.push(p.line))
            .unwrap_err();
        let MemoryError::InvalidInput(text) = &err else {
            panic!("expected InvalidInput, got {err}");
        };
        assert!(text.contains("line 4"), "{text}");
        assert_eq!(acked, [1, 3]);
        let stats = memory.stats().unwrap();
        assert_eq!((stats.sessions, stats.messages), (1, 1));

        let err = memory.import(&b"not json\n"[..], |_| {}).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}

//! WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside whichever
//! commit crosses the threshold, and that commit then copies the log into the database and
//! syncs it: milliseconds, on about one request in a hundred. The daemon turns that off on its
//! request connections and checkpoints here instead, on a thread and a connection of its own.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::{Memory, MemoryError};

/// How often the background thread checkpoints.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(10);

impl Memory {
    /// Sets SQLite's automatic checkpoint threshold, in WAL pages; 0 turns it off (then run a
    /// [`Checkpointer`]).
    pub fn set_auto_checkpoint(&self, pages: u32) -> Result<(), MemoryError> {
        self.conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }
}

/// A thread that checkpoints the file every `every` until dropped.
pub struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing `path` (which must already be an open memory file).
    pub fn start(path: &Path, every: Duration) -> Result<Checkpointer, MemoryError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mirai-checkpoint".into())
            .spawn(move || {
                loop {
                    match stopped.recv_timeout(every) {
                        Err(RecvTimeoutError::Timeout) => passive(&conn),
                        _ => return passive(&conn),
                    }
                }
            })
            .map_err(|e| MemoryError::io(path, e))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A passive checkpoint: copies what no reader still needs, never waits for writers.
fn passive(conn: &Connection) {
    let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match result {
        Ok((log, done)) => tracing::debug!(log_pages = log, checkpointed = done, "checkpoint"),
        Err(e) => tracing::warn!(cause = %e, "checkpoint failed"),
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Role;
    use crate::memory::tests::temp_memory;

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    fn without_auto_checkpoints_the_log_holds_the_data_until_the_checkpointer_copies_it() {
        let (_dir, mut memory) = temp_memory();
        memory.set_auto_checkpoint(0).unwrap();
        let session = memory.start_session("ana", "test").unwrap();
        let text = "x".repeat(2_000);
        for _ in 0..600 {
            memory.save_message(&session, Role::User, &text).unwrap();
        }
        let path = memory.path().to_path_buf();
        let wal = path.with_extension("db-wal");
        assert!(
            size(&wal) > 1_000_000,
            "the log holds the writes: {}",
            size(&wal)
        );
        assert!(
            size(&path) < 500_000,
            "the file does not yet: {}",
            size(&path)
        );
        // Dropping the checkpointer runs one last checkpoint.
        drop(Checkpointer::start(&path, Duration::from_secs(3600)).unwrap());
        assert!(
            size(&path) > 1_000_000,
            "the file has them now: {}",
            size(&path)
        );
    }
}

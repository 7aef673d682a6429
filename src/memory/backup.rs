//! Online backup to a new file, and validated restore from one.
//!
//! Both use SQLite's online backup API, so the agent keeps running during a backup and a
//! restore replaces the live file's pages in one step under the write lock. A backup file
//! is a standalone rollback-journal database: one file to copy, nothing beside it.

use std::path::Path;
use std::thread;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::maintenance::quick_check;
use super::{Memory, MemoryError, WRITE_ATTEMPTS, WRITE_BACKOFF, configure, schema};

/// What a backup or restore copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    /// Database pages copied.
    pub pages: u64,
    /// Size of the written file.
    pub bytes: u64,
}

impl Memory {
    /// Copies the live database into `path`, which must not exist yet.
    pub fn backup_to(&self, path: &Path) -> Result<BackupReport, MemoryError> {
        if path.exists() {
            return Err(MemoryError::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "backup target already exists; choose a new file name",
                ),
            ));
        }
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| MemoryError::io(dir, err))?;
        }
        let pages = write_backup(&self.conn, path).inspect_err(|_| {
            // The file is ours and half-written: leaving it would look like a backup.
            let _ = std::fs::remove_file(path);
        })?;
        let bytes = std::fs::metadata(path)
            .map_err(|err| MemoryError::io(path, err))?
            .len();
        Ok(BackupReport { pages, bytes })
    }

    /// Replaces the live database with the backup at `path`, after checking it.
    ///
    /// The source is opened read-only and must be a sound mirai database no newer than this
    /// build; otherwise nothing is changed. A backup from an older version is brought up to
    /// date after the copy (the backup file itself is never written).
    pub fn restore_from(&mut self, path: &Path) -> Result<BackupReport, MemoryError> {
        let source = open_backup(path)?;
        let pages = copy_pages(&source, &mut self.conn)?;
        drop(source);
        schema::migrate(&mut self.conn)?;
        // The copied header carries the source's journal mode; the live file stays WAL.
        configure(&self.conn)?;
        self.conn.flush_prepared_statement_cache();
        let bytes = std::fs::metadata(&self.path)
            .map_err(|err| MemoryError::io(&self.path, err))?
            .len();
        Ok(BackupReport { pages, bytes })
    }
}

/// Backs `conn` up into a new file at `path`; returns the pages copied.
fn write_backup(conn: &Connection, path: &Path) -> Result<u64, MemoryError> {
    let mut target = Connection::open(path)?;
    let pages = copy_pages(conn, &mut target)?;
    let _mode: String =
        target.pragma_update_and_check(None, "journal_mode", "DELETE", |row| row.get(0))?;
    Ok(pages)
}

/// Opens a restore source read-only and refuses anything that is not a sound, current
/// mirai database.
fn open_backup(path: &Path) -> Result<Connection, MemoryError> {
    let len = std::fs::metadata(path)
        .map_err(|err| MemoryError::io(path, err))?
        .len();
    if len == 0 {
        return Err(MemoryError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    schema::check_header(path)?;
    let source = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let version = schema::inspect(&source, path)?;
    if version == 0 {
        return Err(MemoryError::InvalidInput(format!(
            "{} is an empty database, not a mirai backup",
            path.display()
        )));
    }
    let findings = quick_check(&source)?;
    if !findings.is_empty() {
        return Err(MemoryError::Corrupt {
            path: path.to_path_buf(),
            detail: findings.join("; "),
        });
    }
    Ok(source)
}

/// Copies every page of `from` into `to` in one step, retrying a bounded number of times
/// while the target is busy. Returns the page count.
fn copy_pages(from: &Connection, to: &mut Connection) -> Result<u64, MemoryError> {
    let backup = Backup::new(from, to)?;
    let mut attempt = 1;
    loop {
        // One step (-1 pages) holds the locks once: no restart when another connection
        // writes in between, and a restore is all-or-nothing for other readers.
        match backup.step(-1)? {
            StepResult::Done => return Ok(backup.progress().pagecount as u64),
            StepResult::More => {}
            _ if attempt < WRITE_ATTEMPTS => {
                thread::sleep(WRITE_BACKOFF * 2u32.pow(attempt - 1));
                attempt += 1;
            }
            _ => {
                return Err(MemoryError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("database stayed busy during backup".into()),
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::tests::temp_memory;
    use crate::memory::{Role, Settings};

    #[test]
    fn backup_then_restore_brings_back_the_backed_up_rows() {
        let (dir, mut memory) = temp_memory();
        let s = memory.start_session("ana", "web").unwrap();
        for i in 0..500 {
            memory
                .save_message(&s, Role::User, &format!("message {i}"))
                .unwrap();
        }
        memory
            .add_knowledge("boiler", "runs 6 to 22", "manual", None)
            .unwrap();
        let backup = dir.path().join("backups/one.db");
        let report = memory.backup_to(&backup).unwrap();
        assert!(report.pages > 1);
        assert_eq!(report.bytes, std::fs::metadata(&backup).unwrap().len());
        let before = memory.stats().unwrap();

        // Diverge, then go back.
        memory
            .save_message(&s, Role::User, "after the backup")
            .unwrap();
        memory.save_preference("ana", "units", "metric").unwrap();
        let backup_bytes = std::fs::read(&backup).unwrap();
        memory.restore_from(&backup).unwrap();
        let after = memory.stats().unwrap();
        assert_eq!(
            (after.messages, after.knowledge, after.preferences),
            (500, 1, 0)
        );
        assert_eq!(after.sessions, before.sessions);
        assert_eq!(
            std::fs::read(&backup).unwrap(),
            backup_bytes,
            "source untouched"
        );
        // The restored file works: FTS, writes, WAL, integrity.
        assert_eq!(memory.search_knowledge("boiler", 5).unwrap().len(), 1);
        memory
            .save_message(&s, Role::User, "after the restore")
            .unwrap();
        assert!(memory.quick_check().unwrap().is_empty());
        let mode: String = memory
            .conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        // Another connection sees the restored content.
        let other = Memory::open(memory.path(), &Settings::default()).unwrap();
        assert_eq!(other.stats().unwrap().messages, 501);
    }

    #[test]
    fn backup_refuses_to_overwrite() {
        let (dir, memory) = temp_memory();
        let target = dir.path().join("taken.db");
        std::fs::write(&target, b"precious").unwrap();
        let err = memory.backup_to(&target).unwrap_err();
        assert!(matches!(&err, MemoryError::Io { source, .. }
            if source.kind() == std::io::ErrorKind::AlreadyExists));
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    }

    #[test]
    fn restore_refuses_bad_sources_and_leaves_everything_untouched() {
        let (dir, mut memory) = temp_memory();
        let s = memory.start_session("ana", "web").unwrap();
        memory.save_message(&s, Role::User, "keep me").unwrap();

        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"not a database at all, just notes\n").unwrap();
        let err = memory.restore_from(&text).unwrap_err();
        assert!(matches!(err, MemoryError::NotADatabase { .. }), "{err}");
        assert_eq!(
            std::fs::read(&text).unwrap(),
            b"not a database at all, just notes\n"
        );

        let newer = dir.path().join("newer.db");
        memory.backup_to(&newer).unwrap();
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", crate::memory::SCHEMA_VERSION + 1)
            .unwrap();
        let newer_bytes = std::fs::read(&newer).unwrap();
        let err = memory.restore_from(&newer).unwrap_err();
        assert!(matches!(err, MemoryError::NewerSchema { .. }), "{err}");
        assert_eq!(std::fs::read(&newer).unwrap(), newer_bytes);

        let missing = dir.path().join("missing.db");
        assert!(matches!(
            memory.restore_from(&missing),
            Err(MemoryError::Io { .. })
        ));
        assert!(!missing.exists());

        let empty = dir.path().join("empty.db");
        Connection::open(&empty)
            .unwrap()
            .execute_batch("VACUUM")
            .unwrap();
        assert!(memory.restore_from(&empty).is_err());

        assert_eq!(
            memory.get_session_history(&s, None).unwrap()[0].content,
            "keep me"
        );
    }
}

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
use super::{
    Memory, MemoryError, SCHEMA_VERSION, WRITE_ATTEMPTS, WRITE_BACKOFF, configure, schema,
};

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
    /// The source is opened read-only and must be a sound mirai database of the current
    /// schema version; otherwise nothing is changed.
    pub fn restore_from(&mut self, path: &Path) -> Result<BackupReport, MemoryError> {
        let source = open_backup(path)?;
        let pages = copy_pages(&source, &mut self.conn)?;
        drop(source);
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
    if version < SCHEMA_VERSION {
        return Err(MemoryError::InvalidInput(format!(
            "{} has schema version {version}, not {SCHEMA_VERSION}; only a mirai backup of the current version can be restored",
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

//! The one error type of the memory subsystem: each variant is a case a caller branches on.

use std::path::PathBuf;

use rusqlite::ErrorCode;

/// Why a memory operation failed; messages say what went wrong and where.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// The file exists but is not SQLite; it was not modified.
    #[error(
        "{} is not a SQLite database (its header is not 'SQLite format 3'); it was left untouched",
        path.display()
    )]
    NotADatabase {
        /// The file that was refused.
        path: PathBuf,
    },

    /// The file is a SQLite database that belongs to another program; it was not modified.
    #[error(
        "{} is a SQLite database of another program ({detail}); it was left untouched",
        path.display()
    )]
    Foreign {
        /// The file that was refused.
        path: PathBuf,
        /// What gave it away.
        detail: String,
    },

    /// The file has a SQLite header but SQLite cannot read it.
    #[error("database {} is corrupt: {detail}; restore a backup", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// SQLite's own words.
        detail: String,
    },

    /// The file was written by a newer mirai; it was not modified.
    #[error(
        "database {} has schema version {found}, newer than the {supported} this mirai supports; upgrade mirai or restore a backup",
        path.display()
    )]
    NewerSchema {
        /// The file that was refused.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// [`super::SCHEMA_VERSION`].
        supported: i64,
    },

    /// A record the caller named does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `session abc`.
        what: String,
    },

    /// The caller passed something the memory cannot store or parse.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A file operation outside SQLite failed.
    #[error("{}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// SQLite refused a statement.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// An export could not write a record (serializing or the writer itself failed).
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl MemoryError {
    /// True when SQLite gave up waiting for a lock; the write may be retried.
    pub(crate) fn is_busy(&self) -> bool {
        let MemoryError::Sqlite(err) = self else {
            return false;
        };
        matches!(
            err.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        )
    }

    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        MemoryError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

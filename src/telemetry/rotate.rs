//! The log file: appends whole records and rotates by size.
//!
//! When a record would push `mirai.log` past `max_bytes`, the files shift
//! `mirai.log.{N-1}` → `mirai.log.N` (the old `.N` is overwritten, so dropped), …,
//! `mirai.log` → `mirai.log.1`, and a fresh `mirai.log` is opened. A record is whatever
//! one `write` call hands over (the redacting writer hands over whole lines), and it is
//! never split: a file only goes past `max_bytes` when one record alone is bigger.
//! Rotation waits for a line boundary, so a caller writing half lines is safe too.
//!
//! Logging must never take the process down: after `open`, a failed write drops the
//! record, counts it, and the next write reopens the file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A size-rotated, append-only log file shared by every thread that logs.
#[derive(Debug)]
pub(crate) struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    max_files: u32,
    state: Mutex<State>,
    dropped: AtomicU64,
}

#[derive(Debug)]
struct State {
    /// `None` after a failure; the next write tries to open the file again.
    file: Option<File>,
    size: u64,
    at_line_start: bool,
}

impl RotatingFile {
    /// Opens (creating it and its parent folders) `path` for appending.
    pub(crate) fn open(path: &Path, max_bytes: u64, max_files: u32) -> io::Result<Self> {
        let (file, size) = open_append(path)?;
        Ok(Self {
            path: path.to_owned(),
            max_bytes,
            max_files,
            state: Mutex::new(State {
                file: Some(file),
                size,
                at_line_start: true,
            }),
            dropped: AtomicU64::new(0),
        })
    }

    /// How many records were lost to I/O errors since `open`.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Pushes what the file holds to the disk; errors are ignored (called at shutdown).
    pub(crate) fn sync(&self) {
        if let Some(file) = &self.lock().file {
            let _ = file.sync_data();
        }
    }

    /// Appends `record`, rotating first if it would not fit; failures are counted.
    fn append(&self, record: &[u8]) {
        if record.is_empty() {
            return;
        }
        let mut state = self.lock();
        let len = record.len() as u64;
        if state.at_line_start && state.size > 0 && state.size + len > self.max_bytes {
            state.file = None;
            self.shift_files();
        }
        if state.file.is_none() {
            match open_append(&self.path) {
                Ok((file, size)) => (state.file, state.size) = (Some(file), size),
                Err(_) => return self.count_drop(),
            }
        }
        let Some(file) = state.file.as_mut() else {
            return self.count_drop();
        };
        match file.write_all(record) {
            Ok(()) => {
                state.size += len;
                state.at_line_start = record.ends_with(b"\n");
            }
            Err(_) => {
                // Part may have been written; reopening re-reads the true size.
                state.file = None;
                self.count_drop();
            }
        }
    }

    /// `path.{N-1}` → `path.N`, …, `path` → `path.1`. With `max_files == 0` the
    /// current file is simply removed. Failures leave the files where they are:
    /// logging goes on into the big file, and the next record tries again.
    fn shift_files(&self) {
        if self.max_files == 0 {
            let _ = fs::remove_file(&self.path);
            return;
        }
        for k in (1..self.max_files).rev() {
            let _ = fs::rename(self.numbered(k), self.numbered(k + 1));
        }
        let _ = fs::rename(&self.path, self.numbered(1));
    }

    /// `mirai.log` → `mirai.log.k`.
    pub(crate) fn numbered(&self, k: u32) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{k}"));
        PathBuf::from(name)
    }

    fn count_drop(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves State consistent enough.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `tracing_subscriber` makes writers from `Arc<RotatingFile>` through this.
impl Write for &RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Records go straight to the file with no buffer of ours in between.
        Ok(())
    }
}

fn open_append(path: &Path) -> io::Result<(File, u64)> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let size = file.metadata()?.len();
    Ok((file, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_in(path: &Path) -> Vec<String> {
        fs::read_to_string(path)
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    fn write_lines(log: &RotatingFile, from: usize, to: usize) {
        for n in from..to {
            (&*log)
                .write_all(format!("line {n:04} padding\n").as_bytes())
                .unwrap();
        }
    }

    #[test]
    fn rotates_keeps_max_files_and_never_splits_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/nested/mirai.log");
        let log = RotatingFile::open(&path, 100, 3).unwrap();
        // Each line is 18 bytes, so 5 fit in 100; 40 lines make 8 files' worth.
        write_lines(&log, 0, 40);

        let mut kept = Vec::new();
        for file in [
            log.numbered(3),
            log.numbered(2),
            log.numbered(1),
            path.clone(),
        ] {
            let size = fs::metadata(&file).unwrap().len();
            assert!(size <= 100, "{} is {size} bytes", file.display());
            let lines = lines_in(&file);
            assert_eq!(lines.len(), 5, "{}", file.display());
            assert!(
                lines
                    .iter()
                    .all(|l| l.len() == 17 && l.starts_with("line "))
            );
            kept.extend(lines);
        }
        assert!(!log.numbered(4).exists(), "only 3 rotated files are kept");
        // The newest 20 lines survive, in order; the oldest 20 were dropped.
        let expected: Vec<String> = (20..40).map(|n| format!("line {n:04} padding")).collect();
        assert_eq!(kept, expected);
        assert_eq!(log.dropped(), 0);
    }

    #[test]
    fn appends_to_an_existing_file_and_counts_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirai.log");
        fs::write(&path, "old 1\nold 2\n").unwrap();
        let log = RotatingFile::open(&path, 30, 2).unwrap();
        (&log).write_all(b"new line 1\n").unwrap(); // 12 + 11 = 23 fits
        (&log).write_all(b"new line 2\n").unwrap(); // 34 would not: rotate
        assert_eq!(lines_in(&log.numbered(1)), ["old 1", "old 2", "new line 1"]);
        assert_eq!(lines_in(&path), ["new line 2"]);
    }

    #[test]
    fn a_record_bigger_than_max_bytes_gets_a_file_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirai.log");
        let log = RotatingFile::open(&path, 10, 5).unwrap();
        let big = format!("{}\n", "x".repeat(50));
        (&log).write_all(b"small\n").unwrap();
        (&log).write_all(big.as_bytes()).unwrap();
        (&log).write_all(b"after\n").unwrap();
        assert_eq!(lines_in(&log.numbered(2)), ["small"]);
        assert_eq!(fs::read_to_string(log.numbered(1)).unwrap(), big);
        assert_eq!(lines_in(&path), ["after"]);
    }

    #[test]
    fn waits_for_a_line_boundary_before_rotating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirai.log");
        let log = RotatingFile::open(&path, 10, 1).unwrap();
        (&log).write_all(b"first hal").unwrap();
        (&log).write_all(b"f, second half\n").unwrap();
        (&log).write_all(b"next\n").unwrap();
        assert_eq!(lines_in(&log.numbered(1)), ["first half, second half"]);
        assert_eq!(lines_in(&path), ["next"]);
    }

    #[test]
    fn zero_kept_files_truncates_instead() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirai.log");
        let log = RotatingFile::open(&path, 10, 0).unwrap();
        write_lines(&log, 0, 3);
        assert_eq!(lines_in(&path), ["line 0002 padding"]);
        assert!(!log.numbered(1).exists());
    }

    #[test]
    fn open_fails_when_the_path_cannot_be_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-dir");
        fs::write(&blocker, "").unwrap();
        assert!(RotatingFile::open(&blocker.join("mirai.log"), 10, 1).is_err());
    }

    #[test]
    fn a_failed_write_is_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/mirai.log");
        let log = RotatingFile::open(&path, 1000, 1).unwrap();
        // Break both the open file (swap in a read-only handle) and the path.
        log.lock().file = Some(File::open(&path).unwrap());
        fs::remove_dir_all(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub"), "").unwrap();
        assert_eq!((&log).write(b"lost 1\n").unwrap(), 7);
        assert_eq!((&log).write(b"lost 2\n").unwrap(), 7);
        assert_eq!(log.dropped(), 2);
        // Once the path is usable again, logging resumes by itself.
        fs::remove_file(dir.path().join("sub")).unwrap();
        (&log).write_all(b"back\n").unwrap();
        assert_eq!(lines_in(&path), ["back"]);
    }
}

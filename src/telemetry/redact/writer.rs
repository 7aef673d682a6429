//! The writer wrapper: a [`MakeWriter`] whose writers hold each event whole and put it
//! through the [`Redactor`] before it reaches stderr or the log file.

use std::io::{self, Write};
use std::sync::Arc;

use tracing_subscriber::fmt::MakeWriter;

use super::Redactor;

/// A writer holds at most this much before it emits whole lines early; normally it
/// emits once per event, when the fmt layer drops it.
const PENDING_CAP: usize = 64 * 1024;

/// A [`MakeWriter`] whose writers redact everything before it reaches `inner`.
pub(crate) struct RedactingMakeWriter<M> {
    inner: M,
    redactor: Arc<Redactor>,
}

impl<M> RedactingMakeWriter<M> {
    /// Wraps `inner` so that its output goes through `redactor`.
    pub(crate) fn new(inner: M, redactor: Arc<Redactor>) -> Self {
        Self { inner, redactor }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer(), self.redactor.clone())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer_for(meta), self.redactor.clone())
    }
}

/// Holds what it is given until flush or drop, then writes it redacted in one call.
///
/// The fmt layer makes one writer per event and drops it after the event, so a whole
/// event (even a multi-line `{:#?}` dump) is redacted as one piece and no secret can
/// straddle two calls. Past [`PENDING_CAP`] whole lines go early to bound memory.
pub(crate) struct RedactingWriter<W: Write> {
    inner: W,
    redactor: Arc<Redactor>,
    pending: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    fn new(inner: W, redactor: Arc<Redactor>) -> Self {
        Self {
            inner,
            redactor,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, upto: usize) -> io::Result<()> {
        if upto == 0 {
            return Ok(());
        }
        let clean = self.redactor.redact(&self.pending[..upto]);
        self.pending.drain(..upto);
        self.inner.write_all(&clean)
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() > PENDING_CAP {
            if let Some(nl) = self.pending.iter().rposition(|&b| b == b'\n') {
                self.emit(nl + 1)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit(self.pending.len())?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // Nowhere to report a failure from drop; the sinks count their own errors.
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_redacts_a_secret_split_across_writes() {
        let redactor = Arc::new(Redactor::new(&["s3cr3tvalue".to_string()]));
        let mut out = Vec::new();
        {
            let mut w = RedactingWriter::new(&mut out, redactor);
            w.write_all(b"one s3cr").unwrap();
            w.write_all(b"3tvalue\ntwo sk-0123456789").unwrap();
            w.write_all(b"abcdefgh\n").unwrap();
        }
        assert_eq!(out, b"one [REDACTED]\ntwo [REDACTED]\n");
    }
}

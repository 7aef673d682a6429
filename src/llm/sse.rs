//! Server-sent events, sans-IO: bytes in, events out, and the assembly of streamed chat
//! chunks into a [`ChatResponse`](super::wire::ChatResponse).
//!
//! The framing follows the WHATWG rules
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
//! lines end in LF, CRLF or a lone CR; `:` starts a comment; `data:` lines accumulate and
//! a blank line dispatches them; other fields (`event:`, `id:`, `retry:`) are tolerated and
//! ignored because OpenAI's chat stream only uses `data:`. Bytes are buffered and decoded
//! only on complete lines, so a chunk boundary inside a UTF-8 character is harmless.
//!
//! # Layout
//!
//! - this file: [`SseParser`], the framing.
//! - `assembler`: [`StreamAssembler`], the `chat.completion.chunk` payloads.

mod assembler;

pub use assembler::{Delta, StreamAssembler};

use super::wire::WireError;

/// The longest line the parser buffers; a longer one is an error, not an allocation.
pub const MAX_LINE: usize = 1 << 20;

/// The most data one event may accumulate over its `data:` lines.
pub const MAX_EVENT: usize = 4 * MAX_LINE;

/// One dispatched event: its `data:` lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The payload; `[DONE]` ends an OpenAI stream.
    pub data: String,
}

/// Splits a byte stream into events; feed it whatever the socket returns.
///
/// After an error the stream cannot be trusted and the parser should be dropped.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The bytes of the line being received.
    line: Vec<u8>,
    /// `data:` lines of the event being received, each followed by `\n`.
    data: String,
    /// The last line ended in CR, so an LF opening the next chunk belongs to it.
    after_cr: bool,
    /// At least one line was seen; a byte order mark can only open the stream.
    started: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes and returns the events they complete, in order.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<Vec<SseEvent>, WireError> {
        let mut events = Vec::new();
        while let Some((&first, rest)) = bytes.split_first() {
            if std::mem::take(&mut self.after_cr) && first == b'\n' {
                bytes = rest;
                continue;
            }
            let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') else {
                self.buffer(bytes)?;
                break;
            };
            self.buffer(&bytes[..end])?;
            self.after_cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            let line = std::mem::take(&mut self.line);
            events.extend(self.line(&line)?);
        }
        Ok(events)
    }

    /// Ends the stream: an event whose blank line never came is dispatched if its `data:`
    /// lines were complete, because some servers close right after `data: [DONE]\n`.
    /// A partial last line is dropped, as the standard says.
    pub fn finish(mut self) -> Option<SseEvent> {
        self.dispatch()
    }

    fn buffer(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        if self.line.len() + bytes.len() > MAX_LINE {
            return Err(WireError::LineTooLong { max: MAX_LINE });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// Interprets one complete line.
    fn line(&mut self, line: &[u8]) -> Result<Option<SseEvent>, WireError> {
        let mut line = line;
        if !std::mem::replace(&mut self.started, true) {
            line = line.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(line);
        }
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = text.split_once(':').unwrap_or((&*text, ""));
        if field == "data" {
            let value = value.strip_prefix(' ').unwrap_or(value);
            if self.data.len() + value.len() + 1 > MAX_EVENT {
                return Err(WireError::LineTooLong { max: MAX_EVENT });
            }
            self.data.push_str(value);
            self.data.push('\n');
        }
        // An empty field name is a comment (keep-alive pings); other fields are unused.
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let mut data = std::mem::take(&mut self.data);
        data.pop()?;
        Some(SseEvent { data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(events: Vec<SseEvent>) -> Vec<String> {
        events.into_iter().map(|e| e.data).collect()
    }

    #[test]
    fn empty_and_one_byte_pushes_yield_nothing_until_a_blank_line() {
        let mut p = SseParser::new();
        assert!(p.push(b"").unwrap().is_empty());
        for b in b"data: x\n" {
            assert!(p.push(&[*b]).unwrap().is_empty());
        }
        assert_eq!(data(p.push(b"\n").unwrap()), ["x"]);
    }

    #[test]
    fn two_events_in_one_chunk_and_crlf() {
        let mut p = SseParser::new();
        let got = p
            .push(b"data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n")
            .unwrap();
        assert_eq!(data(got), ["{\"a\":1}", "[DONE]"]);
    }

    #[test]
    fn crlf_split_between_chunks_and_lone_cr() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: a\r").unwrap().is_empty());
        assert!(p.push(b"\n\r").unwrap().len() == 1);
        assert_eq!(data(p.push(b"data: b\r\rdata:c\n\n").unwrap()), ["b", "c"]);
    }

    #[test]
    fn multi_line_data_comments_and_other_fields() {
        let mut p = SseParser::new();
        let stream =
            b": keep-alive\nevent: message\nid: 7\nretry: 10\ndata: one\ndata:two\ndata\n\n";
        assert_eq!(data(p.push(stream).unwrap()), ["one\ntwo\n"]);
        // A blank line with no data dispatches nothing.
        assert!(p.push(b"event: ping\n\n\n").unwrap().is_empty());
    }

    #[test]
    fn utf8_split_inside_a_character_is_decoded_whole() {
        let stream = "data: Grüß dich, 東京\n\n".as_bytes();
        for cut in 0..stream.len() {
            let mut p = SseParser::new();
            let mut got = p.push(&stream[..cut]).unwrap();
            got.extend(p.push(&stream[cut..]).unwrap());
            assert_eq!(data(got), ["Grüß dich, 東京"], "cut at {cut}");
        }
    }

    #[test]
    fn byte_order_mark_opening_the_stream_is_skipped() {
        let mut p = SseParser::new();
        assert_eq!(data(p.push(b"\xEF\xBB\xBFdata: x\n\n").unwrap()), ["x"]);
    }

    #[test]
    fn over_long_line_is_an_error_even_without_a_newline() {
        let mut p = SseParser::new();
        let chunk = vec![b'a'; MAX_LINE / 2 + 1];
        p.push(&chunk).unwrap();
        assert_eq!(
            p.push(&chunk),
            Err(WireError::LineTooLong { max: MAX_LINE })
        );
    }

    #[test]
    fn finish_keeps_complete_data_and_drops_a_partial_line() {
        let mut p = SseParser::new();
        p.push(b"data: [DONE]\n").unwrap();
        assert_eq!(p.finish().map(|e| e.data).as_deref(), Some("[DONE]"));
        let mut p = SseParser::new();
        p.push(b"data: {\"cho").unwrap();
        assert_eq!(p.finish(), None);
    }
}

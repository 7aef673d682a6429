//! A streamed reply, as one attempt sees it: bytes → server-sent events → text handed to the
//! caller as it arrives, and the assembled reply. Before the first text reaches the caller a
//! failure may be retried; after it, never.

use std::time::Duration;

use super::LlmError;
use super::attempt::Failed;
use super::sse::{SseParser, StreamAssembler};
use super::transport::{Failure, StreamError};
use super::wire::ChatResponse;

/// Bytes of a streamed reply → events → text for the caller and the assembled reply.
pub(crate) struct SseEvents<'a> {
    parser: SseParser,
    assembler: StreamAssembler,
    on_text: &'a mut dyn FnMut(&str),
    /// Text has reached the caller.
    started: bool,
}

impl<'a> SseEvents<'a> {
    pub(crate) fn new(on_text: &'a mut dyn FnMut(&str)) -> Self {
        SseEvents {
            parser: SseParser::new(),
            assembler: StreamAssembler::new(),
            on_text,
            started: false,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<(), String> {
        for event in self.parser.push(bytes).map_err(|e| e.to_string())? {
            let delta = self
                .assembler
                .push(&event.data)
                .map_err(|e| e.to_string())?;
            if !delta.text.is_empty() {
                // From here on the caller may be speaking: no retry, no fallback.
                self.started = true;
                (self.on_text)(&delta.text);
            }
        }
        Ok(())
    }

    /// The reply, or how the attempt failed: before the first text it may be retried,
    /// after it never.
    pub(crate) fn finish(
        self,
        label: &str,
        ended: Result<Result<(), StreamError>, Failure>,
        timeout: Duration,
        idle: Duration,
    ) -> Result<ChatResponse, Failed> {
        let started = self.started;
        let after_start = |error: LlmError| Failed::final_error(error);
        match ended {
            Err(f) if !started => Err(Failed::transport(label, f, timeout)),
            Err(f) => Err(after_start(LlmError::StreamBroken {
                endpoint: label.into(),
                detail: format!("{f:?}"),
            })),
            Ok(Err(StreamError::Status(reply))) => Err(Failed::status(label, &reply)),
            Ok(Err(StreamError::Broken(f))) if !started => {
                Err(Failed::transport(label, f, timeout))
            }
            Ok(Err(StreamError::Broken(Failure::Stalled))) => Err(after_start(LlmError::Stalled {
                endpoint: label.into(),
                after: idle,
            })),
            Ok(Err(StreamError::Broken(f))) => Err(after_start(LlmError::StreamBroken {
                endpoint: label.into(),
                detail: format!("{f:?}"),
            })),
            Ok(Err(StreamError::Bad(detail))) => Err(Failed::bad(label, detail)),
            Ok(Ok(())) => self.assembler.finish().map_err(|e| match started {
                true => after_start(LlmError::StreamBroken {
                    endpoint: label.into(),
                    detail: e.to_string(),
                }),
                false => Failed::bad(label, e.to_string()),
            }),
        }
    }
}

//! Sinks: the one layer that turns each event into a line (JSON or text) and hands the
//! same bytes to every output (stderr, the log file).
//!
//! Formatting happens once per event whatever the number of outputs, and the layer is
//! not generic over the writers, so only one copy of it is compiled in. Text is never
//! coloured.

use std::io::Write;

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::LogFormat;
use super::line::{JsonMembers, JsonSpanFields, TextFields, level_text, push_json_str, timestamp};

/// Somewhere whole lines go.
pub(super) trait Output: Send + Sync {
    /// Writes one line; errors are dropped (logging has nowhere to report them).
    fn write_line(&self, meta: &Metadata<'_>, line: &[u8]);
}

/// An [`Output`] over a [`MakeWriter`]: one writer per line, dropped after it.
struct Writers<M>(M);

impl<M> Output for Writers<M>
where
    M: for<'a> MakeWriter<'a> + Send + Sync,
{
    fn write_line(&self, meta: &Metadata<'_>, line: &[u8]) {
        let _ = self.0.make_writer_for(meta).write_all(line);
    }
}

/// Boxes `writer` as an [`Output`].
pub(super) fn output<M>(writer: M) -> Box<dyn Output>
where
    M: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    Box::new(Writers(writer))
}

/// A span's fields as text (`id="ab12" node=7`), kept in the span's extensions.
struct TextSpanFields(String);

/// The layer: formats each event once and writes it to every output.
pub(super) struct LineLayer {
    format: LogFormat,
    outputs: Vec<Box<dyn Output>>,
}

impl LineLayer {
    /// Lines in `format` to each of `outputs`.
    pub(super) fn new(format: LogFormat, outputs: Vec<Box<dyn Output>>) -> Self {
        Self { format, outputs }
    }
}

impl<S> Layer<S> for LineLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        match self.format {
            LogFormat::Json => {
                let mut fields = JsonSpanFields::default();
                attrs.record(&mut fields);
                ext.insert(fields);
            }
            LogFormat::Text => {
                let mut text = String::new();
                attrs.record(&mut TextFields::new(&mut text));
                ext.insert(TextSpanFields(text));
            }
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(fields) = ext.get_mut::<JsonSpanFields>() {
            values.record(fields);
        } else if let Some(TextSpanFields(text)) = ext.get_mut::<TextSpanFields>() {
            values.record(&mut TextFields::new(text));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if self.outputs.is_empty() {
            return;
        }
        let line = match self.format {
            LogFormat::Json => json_line(event, &ctx),
            LogFormat::Text => text_line(event, &ctx),
        };
        for output in &self.outputs {
            output.write_line(event.metadata(), line.as_bytes());
        }
    }
}

/// `{"timestamp":…,"level":…,"fields":{…},"target":…,"span":{…},"spans":[…]}` and a
/// newline; `span` is the event's parent or the current span, `spans` the current span and
/// its parents, outermost first.
fn json_line<S>(event: &Event<'_>, ctx: &Context<'_, S>) -> String
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let meta = event.metadata();
    let mut out = String::with_capacity(256);
    out.push_str("{\"timestamp\":\"");
    timestamp(&mut out);
    out.push_str("\",\"level\":\"");
    out.push_str(meta.level().as_str());
    out.push_str("\",\"fields\":{");
    event.record(&mut JsonMembers::new(&mut out));
    out.push_str("},\"target\":");
    push_json_str(&mut out, meta.target());
    let current = event
        .parent()
        .and_then(|id| ctx.span(id))
        .or_else(|| ctx.lookup_current());
    if let Some(span) = current {
        out.push_str(",\"span\":");
        json_span(&mut out, &span);
        out.push_str(",\"spans\":[");
        if let Some(leaf) = ctx.lookup_current() {
            for (i, span) in leaf.scope().from_root().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_span(&mut out, &span);
            }
        }
        out.push(']');
    }
    out.push_str("}\n");
    out
}

/// One span as `{…its fields…,"name":…}`.
fn json_span<S>(out: &mut String, span: &tracing_subscriber::registry::SpanRef<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    out.push('{');
    if let Some(fields) = span.extensions().get::<JsonSpanFields>() {
        fields.write(out);
    }
    out.push_str("\"name\":");
    push_json_str(out, span.name());
    out.push('}');
}

/// `2025-01-02T03:04:05.678901Z  INFO request{id="ab12"}:send{node=7}: target: sent node=7`
/// and a newline.
fn text_line<S>(event: &Event<'_>, ctx: &Context<'_, S>) -> String
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let meta = event.metadata();
    let mut out = String::with_capacity(160);
    timestamp(&mut out);
    out.push(' ');
    out.push_str(level_text(meta.level()));
    out.push(' ');
    if let Some(scope) = ctx.event_scope(event) {
        let mut seen = false;
        for span in scope.from_root() {
            seen = true;
            out.push_str(span.name());
            if let Some(TextSpanFields(text)) = span.extensions().get::<TextSpanFields>() {
                if !text.is_empty() {
                    out.push('{');
                    out.push_str(text);
                    out.push('}');
                }
            }
            out.push(':');
        }
        if seen {
            out.push(' ');
        }
    }
    out.push_str(meta.target());
    out.push_str(": ");
    let mut fields = String::new();
    event.record(&mut TextFields::new(&mut fields));
    out.push_str(&fields);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use serde_json::Value;
    use tracing::{info, info_span};

    use crate::telemetry::logs::{LogFormat, LogSettings, build_with_writer};

    /// Keeps what the layer writes.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn lines(format: LogFormat, f: impl FnOnce()) -> Vec<String> {
        let out = Shared::default();
        let settings = LogSettings {
            format,
            ..LogSettings::default()
        };
        let sink = out.clone();
        let (dispatch, _guard) = build_with_writer(&settings, &[], move || sink.clone()).unwrap();
        tracing::dispatcher::with_default(&dispatch, f);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    fn nested() {
        info!("outside");
        let outer = info_span!("request", id = "ab12", late = tracing::field::Empty);
        let _o = outer.enter();
        outer.record("late", 3);
        let inner = info_span!("send", node = 7u8, ok = true);
        let _i = inner.enter();
        info!(node = 7u8, ratio = 0.5, "sent \x1b[31m");
    }

    #[test]
    fn text_lines_have_spans_target_and_fields_in_order() {
        let lines = lines(LogFormat::Text, nested);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let target = "mirai::telemetry::logs::sink::tests";
        assert!(
            lines[0].ends_with(&format!("Z  INFO {target}: outside")),
            "{}",
            lines[0]
        );
        let want = format!(
            "Z  INFO request{{id=\"ab12\" late=3}}:send{{node=7 ok=true}}: {target}: \
             sent \\x1b[31m node=7 ratio=0.5"
        );
        assert!(lines[1].ends_with(&want), "{}", lines[1]);
        // `2025-01-02T03:04:05.678901Z`: 27 characters, microseconds.
        assert_eq!(lines[1].find('Z'), Some(26), "{}", lines[1]);
    }

    #[test]
    fn json_lines_carry_sorted_span_fields_and_no_span_outside_one() {
        let lines = lines(LogFormat::Json, nested);
        let values: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(values[0].get("span").is_none() && values[0].get("spans").is_none());
        let keys: Vec<&str> = values[1]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            lines[1].split("\":").next(),
            Some("{\"timestamp"),
            "{}",
            lines[1]
        );
        for key in ["timestamp", "level", "fields", "target", "span", "spans"] {
            assert!(keys.contains(&key), "{key} in {}", lines[1]);
        }
        assert!(
            lines[1].contains(r#""fields":{"message":"sent \u001b[31m","node":7,"ratio":0.5}"#),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains(r#""span":{"node":7,"ok":true,"name":"send"}"#),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains(r#""spans":[{"id":"ab12","late":3,"name":"request"},"#),
            "{}",
            lines[1]
        );
    }
}

//! Lines: the fields of one event or span written as JSON or as text, and the timestamp.
//!
//! Our own code in the shape tracing-subscriber's fmt layer gave (the JSON formatter and
//! the default text fields), so the lines stay the same while its formatter, compiled once
//! per sink and format, stays out of the binary.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};

/// `2025-01-02T03:04:05.678901Z`: RFC 3339 in UTC with microseconds.
pub(super) fn timestamp(out: &mut String) {
    let now = jiff::Timestamp::now();
    let t = jiff::tz::TimeZone::UTC.to_datetime(now);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.subsec_nanosecond() / 1000
    );
}

/// The level as text lines show it: five wide, right-aligned.
pub(super) fn level_text(level: &tracing::Level) -> &'static str {
    match *level {
        tracing::Level::TRACE => "TRACE",
        tracing::Level::DEBUG => "DEBUG",
        tracing::Level::INFO => " INFO",
        tracing::Level::WARN => " WARN",
        tracing::Level::ERROR => "ERROR",
    }
}

/// Appends `s` as a JSON string, quoted and escaped.
pub(super) fn push_json_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// An event's fields as the members of a JSON object, in the order they were recorded.
pub(super) struct JsonMembers<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> JsonMembers<'a> {
    /// Writes members into `out`, which already holds the opening brace.
    pub(super) fn new(out: &'a mut String) -> Self {
        Self { out, first: true }
    }

    fn member(&mut self, name: &str, value: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_json_str(self.out, name);
        self.out.push(':');
        self.out.push_str(value);
    }
}

impl Visit for JsonMembers<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut s = String::new();
        push_json_str(&mut s, &format!("{value:?}"));
        self.member(field.name(), &s);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let mut s = String::new();
        push_json_str(&mut s, value);
        self.member(field.name(), &s);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field.name(), &value.to_string());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field.name(), &value.to_string());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // serde_json writes a non-finite number as `null`.
        self.member(
            field.name(),
            &serde_json::to_string(&value).unwrap_or_default(),
        );
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field.name(), if value { "true" } else { "false" });
    }
}

/// A span's fields for JSON lines: sorted by name, a later value replacing an earlier one;
/// each value kept as JSON text.
#[derive(Default)]
pub(super) struct JsonSpanFields(BTreeMap<&'static str, String>);

impl JsonSpanFields {
    /// Appends the members (`"name":value,…`) to `out`, with no braces.
    pub(super) fn write(&self, out: &mut String) {
        for (name, value) in &self.0 {
            push_json_str(out, name);
            out.push(':');
            out.push_str(value);
            out.push(',');
        }
    }

    fn set(&mut self, name: &'static str, value: String) {
        self.0.insert(name, value);
    }
}

impl Visit for JsonSpanFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        let name = name.strip_prefix("r#").unwrap_or(name);
        let mut s = String::new();
        push_json_str(&mut s, &format!("{value:?}"));
        self.set(name, s);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let mut s = String::new();
        push_json_str(&mut s, value);
        self.set(field.name(), s);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), value.to_string());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), value.to_string());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.set(
            field.name(),
            serde_json::to_string(&value).unwrap_or_default(),
        );
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), value.to_string());
    }
}

/// Fields as text: `message` bare, the rest `name=value` with `Debug` values (strings
/// quoted), separated by spaces. Control characters in messages and errors are escaped so
/// a logged value cannot drive the terminal.
pub(super) struct TextFields<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> TextFields<'a> {
    /// Appends fields to `out`, with a space first unless `out` is empty.
    pub(super) fn new(out: &'a mut String) -> Self {
        let empty = out.is_empty();
        Self { out, empty }
    }

    fn pad(&mut self) {
        if !self.empty {
            self.out.push(' ');
        }
        self.empty = false;
    }
}

impl Visit for TextFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn Error + 'static)) {
        let mut text = escaped(&value.to_string());
        if let Some(source) = value.source() {
            let mut sources = Vec::new();
            let mut next = Some(source);
            while let Some(err) = next {
                sources.push(escaped(&err.to_string()));
                next = err.source();
            }
            let _ = write!(text, " {}.sources=[{}]", field.name(), sources.join(", "));
        }
        self.record_debug(field, &format_args!("{text}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.pad();
        match field.name() {
            "message" => self.out.push_str(&escaped(&format!("{value:?}"))),
            name => {
                let name = name.strip_prefix("r#").unwrap_or(name);
                let _ = write!(self.out, "{name}={value:?}");
            }
        }
    }
}

/// `s` with the C0 controls that start terminal sequences (ESC, BEL, BS, FF, DEL) and the
/// C1 controls written out as escapes.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\x1b' => out.push_str("\\x1b"),
            '\x07' => out.push_str("\\x07"),
            '\x08' => out.push_str("\\x08"),
            '\x0c' => out.push_str("\\x0c"),
            '\x7f' => out.push_str("\\x7f"),
            '\u{80}'..='\u{9f}' => {
                let _ = write!(out, "\\u{{{:x}}}", ch as u32);
            }
            _ => out.push(ch),
        }
    }
    out
}

//! What a response looks like before tiny_http sends it: a status, a content type, a body and
//! the few extra headers the API uses (`Allow`, `WWW-Authenticate`, `Retry-After`).

use std::io::Cursor;

use serde_json::{Value, json};

/// The content type of the Prometheus text format.
pub(crate) const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4";
const JSON_CONTENT_TYPE: &str = "application/json";
const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";
const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// One response, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// `value` as JSON.
    pub(crate) fn json(status: u16, value: &Value) -> Self {
        Self::with_body(status, JSON_CONTENT_TYPE, value.to_string().into_bytes())
    }

    /// `{"error": what}` with `status`.
    pub(crate) fn error(status: u16, what: &str) -> Self {
        Self::json(status, &json!({ "error": what }))
    }

    /// Plain text.
    pub(crate) fn text(status: u16, text: &str) -> Self {
        Self::with_body(status, TEXT_CONTENT_TYPE, text.as_bytes().to_vec())
    }

    /// An HTML page.
    pub(crate) fn html(html: &str) -> Self {
        Self::with_body(200, HTML_CONTENT_TYPE, html.as_bytes().to_vec())
    }

    /// `body` with an explicit content type.
    pub(crate) fn with_body(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Answer {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    /// The same answer with one more header.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The status code.
    pub(crate) fn status(&self) -> u16 {
        self.status
    }
}

impl From<Answer> for tiny_http::Response<Cursor<Vec<u8>>> {
    fn from(answer: Answer) -> Self {
        let mut response =
            tiny_http::Response::from_data(answer.body).with_status_code(answer.status);
        let content_type = std::iter::once(("Content-Type", answer.content_type.to_owned()));
        for (name, value) in content_type.chain(answer.headers) {
            // Names are our constants and values our own text: a header that does not parse is
            // a bug here, not in the request, so it is dropped rather than failing the answer.
            if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_json_naming_the_problem() {
        let answer = Answer::error(400, "missing text");
        assert_eq!(answer.status(), 400);
        assert_eq!(answer.content_type, JSON_CONTENT_TYPE);
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body, json!({"error": "missing text"}));
    }

    #[test]
    fn headers_reach_the_response() {
        let response: tiny_http::Response<_> =
            Answer::error(405, "use GET").header("Allow", "GET").into();
        let names: Vec<String> = response
            .headers()
            .iter()
            .map(|h| format!("{}: {}", h.field, h.value))
            .collect();
        assert!(names.contains(&"Allow: GET".to_owned()), "{names:?}");
        assert!(
            names
                .iter()
                .any(|h| h.starts_with("Content-Type: application/json"))
        );
    }
}

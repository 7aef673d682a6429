//! The only code that touches the network for the model client: one HTTP exchange with an
//! OpenAI-compatible server over ureq (rustls), blocking, on the caller's thread.
//!
//! It knows nothing of retries, breakers or fallbacks: it sends one request and reports what
//! happened as a value the retry policy can judge (`Failure`), or the reply. Blocking by
//! design: the async front ends call the client from blocking threads, never async workers.

use std::io::Read;
use std::time::Duration;

use ureq::Agent;
use ureq::http::Response;

use super::retry::{Outcome, parse_retry_after};
use crate::config::Secret;

/// Largest body read into memory (a chat completion or an embeddings batch).
const MAX_BODY_BYTES: u64 = 16 << 20;
/// Connections kept open for reuse, per host; a hub talks to one or two servers.
const IDLE_CONNECTIONS_PER_HOST: usize = 4;
/// Size of each read from a streamed body.
const STREAM_READ_BYTES: usize = 8 * 1024;

/// A server and how to authenticate with it.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// `cloud` or `local`: the name in breaker states, metrics and errors.
    pub(crate) name: &'static str,
    /// Base URL, without a trailing slash.
    pub(crate) base_url: String,
    pub(crate) key: Option<Secret>,
    pub(crate) organization: Option<String>,
    pub(crate) project: Option<String>,
}

impl Endpoint {
    /// The breaker and error name of one API path on this server: `cloud /chat/completions`.
    pub(crate) fn label(&self, path: &str) -> String {
        format!("{} {path}", self.name)
    }
}

/// A reply with a status the caller judges (2xx or not).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
    retry_after_ms: Option<String>,
    retry_after: Option<String>,
    should_retry: Option<String>,
}

impl Reply {
    /// This reply as the retry policy sees it, with the OpenAI error code if the body has one.
    pub(crate) fn outcome(&self, error_code: Option<String>) -> Outcome {
        Outcome::Status {
            status: self.status,
            error_code,
            retry_after: parse_retry_after(
                self.retry_after_ms.as_deref(),
                self.retry_after.as_deref(),
            ),
            should_retry: self
                .should_retry
                .as_deref()
                .map(|v| v.eq_ignore_ascii_case("true")),
        }
    }
}

/// Why an exchange produced no reply.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Nothing came back: refused, DNS, TLS, reset before the status line.
    Connect(String),
    /// The request took longer than its timeout.
    Timeout,
    /// The status came but the body broke (reset, truncated).
    BodyBroken(String),
    /// A stream sent nothing for the idle timeout.
    Stalled,
}

impl Failure {
    /// This failure as the retry policy sees it.
    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            Failure::Connect(e) => Outcome::Connect(e.clone()),
            Failure::Timeout | Failure::Stalled => Outcome::Timeout,
            Failure::BodyBroken(e) => Outcome::BodyBroken(e.clone()),
        }
    }
}

/// What one request needs besides its body.
pub(crate) struct Call<'a> {
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) path: &'a str,
    pub(crate) timeout: Duration,
    pub(crate) idempotency_key: Option<&'a str>,
}

/// A pool of keep-alive connections.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    agent: Agent,
}

impl Transport {
    /// A transport whose connections open within `connect_timeout`.
    pub(crate) fn new(connect_timeout: Duration) -> Self {
        let agent = Agent::config_builder()
            .timeout_connect(Some(connect_timeout))
            .http_status_as_error(false)
            .max_idle_connections_per_host(IDLE_CONNECTIONS_PER_HOST)
            .user_agent(concat!("mirai/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Transport { agent }
    }

    /// `GET base_url + path`, the whole body read.
    pub(crate) fn get(&self, call: &Call<'_>) -> Result<Reply, Failure> {
        let url = format!("{}{}", call.endpoint.base_url, call.path);
        let req = self
            .agent
            .get(&url)
            .config()
            .timeout_global(Some(call.timeout))
            .build();
        let req = headers(req, call);
        read_whole(req.call().map_err(failure)?)
    }

    /// `POST base_url + path` with a JSON body, the whole reply read.
    pub(crate) fn post(&self, call: &Call<'_>, body: &[u8]) -> Result<Reply, Failure> {
        let url = format!("{}{}", call.endpoint.base_url, call.path);
        let req = self
            .agent
            .post(&url)
            .config()
            .timeout_global(Some(call.timeout))
            .build();
        let req = headers(req, call).content_type("application/json");
        read_whole(req.send(body).map_err(failure)?)
    }

    /// `POST` for a server-sent-events reply. A non-2xx reply comes back whole as `Err(Ok)`;
    /// a 2xx body is handed to `on_bytes` as it arrives, and a read that waits longer than
    /// `idle` ends it with [`Failure::Stalled`].
    pub(crate) fn post_stream(
        &self,
        call: &Call<'_>,
        body: &[u8],
        idle: Duration,
        on_bytes: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<Result<(), StreamError>, Failure> {
        let url = format!("{}{}", call.endpoint.base_url, call.path);
        let req = self
            .agent
            .post(&url)
            .config()
            .timeout_global(Some(call.timeout))
            .timeout_per_read(Some(idle))
            .build();
        let req = headers(req, call)
            .content_type("application/json")
            .header("Accept", "text/event-stream");
        let resp = req.send(body).map_err(failure)?;
        if !resp.status().is_success() {
            return read_whole(resp).map(|r| Err(StreamError::Status(r)));
        }
        let mut reader = resp.into_body().into_reader();
        let mut buf = vec![0u8; STREAM_READ_BYTES];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(Ok(())),
                Ok(n) => {
                    if let Err(e) = on_bytes(&buf[..n]) {
                        return Ok(Err(StreamError::Bad(e)));
                    }
                }
                Err(e) => return Ok(Err(StreamError::Broken(io_failure(&e)))),
            }
        }
    }
}

/// How a stream that got a status ended badly.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// The server answered with an error status (before any event).
    Status(Reply),
    /// The body broke or stalled.
    Broken(Failure),
    /// An event could not be understood.
    Bad(String),
}

fn headers<B>(mut req: ureq::RequestBuilder<B>, call: &Call<'_>) -> ureq::RequestBuilder<B> {
    let ep = call.endpoint;
    if let Some(key) = &ep.key {
        req = req.header("Authorization", format!("Bearer {}", key.expose()));
    }
    if let Some(org) = &ep.organization {
        req = req.header("OpenAI-Organization", org);
    }
    if let Some(project) = &ep.project {
        req = req.header("OpenAI-Project", project);
    }
    if let Some(k) = call.idempotency_key {
        req = req.header("Idempotency-Key", k);
    }
    req
}

fn read_whole(mut resp: Response<ureq::Body>) -> Result<Reply, Failure> {
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (retry_after_ms, retry_after, should_retry) = (
        header("retry-after-ms"),
        header("retry-after"),
        header("x-should-retry"),
    );
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_string()
        .map_err(|e| match failure(e) {
            Failure::Connect(detail) => Failure::BodyBroken(detail),
            other => other,
        })?;
    Ok(Reply {
        status,
        body,
        retry_after_ms,
        retry_after,
        should_retry,
    })
}

fn failure(err: ureq::Error) -> Failure {
    match err {
        ureq::Error::Timeout(ureq::Timeout::PerRead) => Failure::Stalled,
        ureq::Error::Timeout(_) => Failure::Timeout,
        ureq::Error::Io(e) => io_failure(&e),
        ureq::Error::BodyExceedsLimit(n) => {
            Failure::BodyBroken(format!("the body is larger than {n} bytes"))
        }
        other => Failure::Connect(other.to_string()),
    }
}

fn io_failure(e: &std::io::Error) -> Failure {
    // ureq hands its own errors (timeouts included) through io::Error when reading a body.
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
    {
        Some(ureq::Error::Timeout(ureq::Timeout::PerRead)) => Failure::Stalled,
        Some(ureq::Error::Timeout(_)) => Failure::Timeout,
        _ => Failure::BodyBroken(e.to_string()),
    }
}

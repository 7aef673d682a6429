//! The daemon's HTTP server: the status page, the JSON API, `/metrics`, and the health probes.
//!
//! This module owns the server's life: the [`HttpSettings`] it starts with, [`start`], the
//! worker threads, and [`HttpServer`], which stops them. tiny_http is blocking, so the server
//! runs on threads of its own, never on an async worker. Which path goes where is `route`;
//! who may see what is `auth`; the token file is `token`; reading a bounded body is `body`;
//! what a response looks like is `answer`; the handlers that call the [`Hub`] are `api`;
//! `/api/ask` and its concurrency limit are `ask`; the read-only status summary is `status`;
//! the page itself is `page`; the Z-Wave stick's routes, with inclusion and exclusion streamed
//! as JSON lines, are `zwave`; Zigbee2MQTT's device list and permit join are `zigbee2mqtt`.

mod answer;
mod api;
mod ask;
mod auth;
mod body;
mod page;
mod route;
mod status;
mod tasks;
mod token;
mod zigbee;
mod zigbee2mqtt;
mod zwave;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use tracing::{debug, warn};

use crate::frontends::hub::Hub;

pub use token::load_or_create_token;

/// Threads that take requests from the server; `/api/ask` may hold only some of them (see
/// `ask::MAX_ASKS_IN_FLIGHT`) so the page and the probes still answer while the model thinks.
pub(crate) const WORKERS: usize = 4;
/// The largest request body accepted when the settings say nothing else.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// How the HTTP server starts.
#[derive(Clone)]
pub struct HttpSettings {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// The bearer token the API asks for.
    pub token: String,
    /// The largest request body, in bytes.
    pub max_body: usize,
}

impl HttpSettings {
    /// Settings for `addr` with `token` and the default body limit.
    pub fn new(addr: SocketAddr, token: String) -> Self {
        HttpSettings {
            addr,
            token,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

// The token is a secret: keep it out of every `{:?}`, and so out of every log line.
impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("addr", &self.addr)
            .field("token", &"<redacted>")
            .field("max_body", &self.max_body)
            .finish()
    }
}

/// Why the HTTP server did not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The address could not be bound (in use, no permission).
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        cause: String,
    },
    /// The token is empty: the API would be open to anyone.
    #[error("the HTTP token is empty")]
    EmptyToken,
    /// A worker thread could not be started.
    #[error("cannot start an HTTP worker: {0}")]
    Spawn(#[from] std::io::Error),
}

/// What every worker shares.
pub(crate) struct Context {
    pub(crate) hub: Arc<dyn Hub>,
    pub(crate) token: String,
    pub(crate) max_body: usize,
    pub(crate) asks: ask::AskGate,
}

/// The longest declared body tiny_http may drain when a request is answered without reading
/// it. tiny_http 0.12 drains an unread body on drop by allocating all that is left of it at
/// once, so a forged `Content-Length` of some terabytes would abort the whole process.
const MAX_DRAINED_BODY: usize = 1024 * 1024;

/// A running HTTP server; stopping (or dropping) it unblocks and joins its workers.
pub struct HttpServer {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

/// Binds `settings.addr` and serves the page and the API from [`WORKERS`] threads.
pub fn start(hub: Arc<dyn Hub>, settings: HttpSettings) -> Result<HttpServer, HttpError> {
    if settings.token.is_empty() {
        return Err(HttpError::EmptyToken);
    }
    let server = tiny_http::Server::http(settings.addr).map_err(|cause| HttpError::Bind {
        addr: settings.addr,
        cause: cause.to_string(),
    })?;
    let addr = server.server_addr().to_ip().unwrap_or(settings.addr);
    let mut running = HttpServer {
        addr,
        server: Arc::new(server),
        stopping: Arc::new(AtomicBool::new(false)),
        workers: Vec::with_capacity(WORKERS),
    };
    let context = Arc::new(Context {
        hub,
        token: settings.token,
        max_body: settings.max_body,
        asks: ask::AskGate::new(ask::MAX_ASKS_IN_FLIGHT),
    });
    for n in 0..WORKERS {
        let (server, stopping, context) = (
            Arc::clone(&running.server),
            Arc::clone(&running.stopping),
            Arc::clone(&context),
        );
        let worker = std::thread::Builder::new()
            .name(format!("http-{n}"))
            .spawn(move || work(&server, &stopping, &context))?;
        running.workers.push(worker);
    }
    debug!(addr = %addr, workers = WORKERS, "http server listening");
    Ok(running)
}

impl HttpServer {
    /// The address it listens on (with the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops taking requests and waits for the workers to finish the ones they hold.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // One unblock wakes one worker blocked in `recv`.
        for _ in 0..self.workers.len() {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            if worker.join().is_err() {
                warn!("an http worker panicked");
            }
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// One worker: takes requests until the server stops.
fn work(server: &tiny_http::Server, stopping: &AtomicBool, context: &Context) {
    loop {
        let request = server.recv();
        if stopping.load(Ordering::SeqCst) {
            if let Ok(request) = request {
                let _ = request.respond(answer::Answer::error(503, "the hub is stopping").into());
            }
            return;
        }
        match request {
            Ok(request) => serve(context, request),
            Err(err) => debug!(cause = %err, "http accept failed"),
        }
    }
}

/// Answers one request and logs it.
fn serve(context: &Context, mut request: tiny_http::Request) {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = route::path_of(request.url()).to_owned();
    let undrainable = MAX_DRAINED_BODY.max(context.max_body);
    if let Some(declared) = request.body_length().filter(|len| *len > undrainable) {
        warn!(method = %method, path = %path, declared, "http body too long to drain; connection abandoned");
        refuse_undrainable(request, context.max_body);
        return;
    }
    let answer = match api::answer(context, &mut request, &method, &path) {
        zwave::Served::Whole(answer) => answer,
        zwave::Served::Lines(lines) => {
            zwave::stream(request, lines);
            debug!(method = %method, path = %path, status = 200, duration_ms = started.elapsed().as_millis() as u64, "http stream");
            return;
        }
    };
    let status = answer.status();
    if let Err(err) = request.respond(answer.into()) {
        debug!(cause = %err, "http response not delivered");
    }
    debug!(
        method = %method,
        path = %path,
        status,
        duration_ms = started.elapsed().as_millis() as u64,
        "http request"
    );
}

/// Answers 413 to a request whose declared body must not be drained, then leaks its
/// connection on purpose: dropping it would make tiny_http allocate the declared length (see
/// [`MAX_DRAINED_BODY`]). The cost is one idle socket and tiny_http thread per such request.
fn refuse_undrainable(request: tiny_http::Request, limit: usize) {
    let what = format!("the body is over {limit} bytes");
    let answer: tiny_http::Response<_> = answer::Answer::error(413, &what).into();
    // `upgrade` writes the response and hands back the connection without dropping the body.
    std::mem::forget(request.upgrade("close", answer));
}

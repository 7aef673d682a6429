//! `/api/zwave/…`: the hub's Z-Wave stick through the API, so that `mirai zwave …` never opens
//! the port a running daemon holds. The controller and the nodes as JSON, one node read or
//! switched (through the action gate, audited, then read back), and inclusion and exclusion as
//! a stream of JSON lines, one per step, until the last.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Context;
use super::answer::Answer;
use super::body;
use super::route::Route;
use crate::agent::{Request, Source};
use crate::devices::DeviceError;
use crate::devices::zwave::ZwaveBackend;
use crate::devices::zwave::operations::{Level, last_step};

/// Seconds an inclusion or exclusion listens when the body does not say.
const DEFAULT_TIMEOUT_S: u64 = 60;
/// The longest it may listen.
const MAX_TIMEOUT_S: u64 = 600;
/// Who acts when a Set comes through the API (the audit log's user).
const API_USER: &str = "http";
/// The session an API Set is audited under.
const API_SESSION: &str = "zwave-api";

/// A run that writes JSON lines to the sink it is given, one per step, until it ends.
pub(crate) type Lines = Box<dyn FnOnce(&mut dyn FnMut(&Value)) + Send>;

/// A whole answer, or lines streamed as they come.
pub(crate) enum Served {
    /// One response.
    Whole(Answer),
    /// `application/x-ndjson`, chunked, one line per step.
    Lines(Lines),
}

/// The answer to an authorised `/api/zwave/…` route.
pub(crate) fn serve(context: &Context, route: Route, request: &mut tiny_http::Request) -> Served {
    let Some(zwave) = context.hub.zwave() else {
        let no = "this hub drives no Z-Wave stick: set zwave.enabled and zwave.port";
        return Served::Whole(Answer::error(404, no));
    };
    let answer = match route {
        Route::ZwaveInfo => Answer::json(200, &zwave.info()),
        Route::ZwaveNodes => Answer::json(200, &json!(zwave.node_list())),
        Route::ZwaveRefresh => match zwave.refresh() {
            Ok(nodes) => Answer::json(200, &json!(nodes)),
            Err(err) => device_error(&err),
        },
        Route::ZwaveGet(id) => get(&zwave, &id),
        Route::ZwaveSet(id) => set(context, &zwave, &id, request),
        Route::ZwaveInclude => return membership(context, zwave, true, request),
        Route::ZwaveExclude => return membership(context, zwave, false, request),
        other => Answer::error(404, &format!("not a Z-Wave route: {other:?}")),
    };
    Served::Whole(answer)
}

/// The node id in the path, or the 400 / 404 saying why not.
fn node_id(zwave: &ZwaveBackend, text: &str) -> Result<u8, Answer> {
    let id = text.parse::<u8>().ok().filter(|n| (1..=232).contains(n));
    let id = id.ok_or_else(|| {
        Answer::error(
            400,
            &format!("bad node id {text:?}: expected a number from 1 to 232"),
        )
    })?;
    match zwave.node(id) {
        Some(_) => Ok(id),
        None => Err(Answer::error(404, &zwave.missing(id))),
    }
}

/// `GET /api/zwave/nodes/{id}`: the node's state, read from it now.
fn get(zwave: &ZwaveBackend, id: &str) -> Answer {
    let id = match node_id(zwave, id) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    match zwave.read(id) {
        Ok(node) => Answer::json(200, &node),
        Err(err) => device_error(&err),
    }
}

/// What a client sends to `POST /api/zwave/nodes/{id}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    /// `"on"`, `"off"`, or a level 0–99 as a number or a string.
    value: Value,
}

/// `POST /api/zwave/nodes/{id}`: through the registry and the action gate, then the state.
fn set(
    context: &Context,
    zwave: &ZwaveBackend,
    id: &str,
    request: &mut tiny_http::Request,
) -> Answer {
    let id = match node_id(zwave, id) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    let body = match body::read_body(context, request) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let parsed: SetBody = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(err) => return Answer::error(400, &format!("bad JSON: {err}")),
    };
    let text = match &parsed.value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let level = match Level::parse(&text) {
        Ok(level) => level,
        Err(err) => return Answer::error(400, &format!("value: {err}")),
    };
    let Some(entity) = zwave.switch_entity(id) else {
        let no =
            format!("node {id} cannot be switched: it has neither Binary nor Multilevel Switch");
        return Answer::error(400, &no);
    };
    let asked = Request::new(
        format!("zwave set node {id} {level}"),
        Source::Http,
        API_USER,
        API_SESSION,
    );
    let Some(report) = context.hub.act(asked, level.call(&entity)) else {
        return Answer::error(501, "this hub does not act on devices");
    };
    let status = match report.outcome.as_str() {
        "done" => 200,
        "denied" => 403,
        "pending_confirmation" => 409,
        "refused" => 502,
        _ => 503,
    };
    let mut node = zwave.node(id).unwrap_or_else(|| json!({"node": id}));
    node["action"] = json!(report);
    if status != 200 {
        node["error"] = json!(format!("node {id} did not go {level}: {}", report.detail));
    }
    Answer::json(status, &node)
}

/// What a client may send to `POST /api/zwave/include` and `/exclude`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeBody {
    /// Seconds to listen, 1–600.
    timeout_s: Option<u64>,
}

/// `POST /api/zwave/include` and `/exclude`: the steps as JSON lines while they happen.
fn membership(
    context: &Context,
    zwave: Arc<ZwaveBackend>,
    include: bool,
    request: &mut tiny_http::Request,
) -> Served {
    let body = match body::read_body(context, request) {
        Ok(body) => body,
        Err(answer) => return Served::Whole(answer),
    };
    let parsed: ModeBody = if body.iter().all(u8::is_ascii_whitespace) {
        ModeBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(parsed) => parsed,
            Err(err) => return Served::Whole(Answer::error(400, &format!("bad JSON: {err}"))),
        }
    };
    let seconds = parsed.timeout_s.unwrap_or(DEFAULT_TIMEOUT_S);
    if !(1..=MAX_TIMEOUT_S).contains(&seconds) {
        let bad = format!("timeout_s must be from 1 to {MAX_TIMEOUT_S}, got {seconds}");
        return Served::Whole(Answer::error(400, &bad));
    }
    let status = zwave.status();
    if !status.connected {
        let why = status.error.unwrap_or_else(|| "still starting".into());
        return Served::Whole(Answer::error(
            503,
            &format!("the stick is not connected: {why}"),
        ));
    }
    Served::Lines(Box::new(move |sink| {
        let within = Duration::from_secs(seconds);
        let ended = if include {
            zwave.include(within, sink)
        } else {
            zwave.exclude(within, sink)
        };
        if let Some(last) = last_step(&ended, within) {
            sink(&last);
        }
    }))
}

/// A device error as an answer: a stick that is not there is 503, anything else 502.
fn device_error(err: &DeviceError) -> Answer {
    match err {
        DeviceError::Unavailable { .. } => Answer::error(503, &err.to_string()),
        other => Answer::error(502, &other.to_string()),
    }
}

/// Writes `lines` to the client as they come: a chunked `application/x-ndjson` response,
/// each line its own chunk, flushed, so a reader sees every step when it happens. tiny_http
/// buffers chunked bodies 8 KiB at a time, so this writes the framing itself.
pub(crate) fn stream(request: tiny_http::Request, lines: Lines) {
    use std::io::Write;
    let mut writer = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n\
                Transfer-Encoding: chunked\r\nCache-Control: no-store\r\n\r\n";
    let mut broken = writer
        .write_all(head.as_bytes())
        .and_then(|()| writer.flush())
        .is_err();
    lines(&mut |line| {
        if broken {
            return; // the client left; the run still ends the chip's mode on time
        }
        let text = format!("{line}\n");
        let chunk = format!("{:X}\r\n{text}\r\n", text.len());
        broken = writer
            .write_all(chunk.as_bytes())
            .and_then(|()| writer.flush())
            .is_err();
    });
    if !broken {
        let _ = writer.write_all(b"0\r\n\r\n").and_then(|()| writer.flush());
    }
}

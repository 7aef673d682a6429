//! `/api/zigbee/…`: the hub's Zigbee stick through the API, so that `mirai zigbee …` never
//! opens the port a running daemon holds. The network and the devices as JSON, one device read
//! or set (through the action gate, audited, then read back), permit join as a stream of JSON
//! lines (the countdown and the devices that joined), and a backup written on the hub.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Context;
use super::answer::Answer;
use super::body;
use super::route::Route;
use super::zwave::Served;
use crate::agent::{Request, Source};
use crate::devices::DeviceError;
use crate::devices::zigbee::ZigbeeBackend;

/// Who acts when a set comes through the API (the audit log's user).
const API_USER: &str = "http";
/// The session an API set is audited under.
const API_SESSION: &str = "zigbee-api";

/// The answer to an authorised `/api/zigbee/…` route.
pub(crate) fn serve(context: &Context, route: Route, request: &mut tiny_http::Request) -> Served {
    let Some(zigbee) = context.hub.zigbee() else {
        let no = "this hub drives no Zigbee stick: set zigbee.enabled and zigbee.port";
        return Served::Whole(Answer::error(404, no));
    };
    let answer = match route {
        Route::ZigbeeInfo => Answer::json(200, &zigbee.info()),
        Route::ZigbeeDevices => Answer::json(200, &json!(zigbee.device_list())),
        Route::ZigbeeGet(id) => match zigbee.find(&id) {
            Ok(ieee) => match zigbee.read(ieee) {
                Ok(device) => Answer::json(200, &device),
                Err(err) => device_error(&err),
            },
            Err(no) => Answer::error(404, &no),
        },
        Route::ZigbeeSet(id) => set(context, &zigbee, &id, request),
        Route::ZigbeePermitJoin => return permit_join(context, zigbee, request),
        Route::ZigbeeBackup => backup(context, &zigbee, request),
        other => Answer::error(404, &format!("not a Zigbee route: {other:?}")),
    };
    Served::Whole(answer)
}

/// The JSON body of `request`, or the 400 saying what is wrong; an empty body is `{}`.
fn json_body<T: serde::de::DeserializeOwned + Default>(
    context: &Context,
    request: &mut tiny_http::Request,
) -> Result<T, Answer> {
    let body = body::read_body(context, request)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&body).map_err(|err| Answer::error(400, &format!("bad JSON: {err}")))
}

/// What a client sends to `POST /api/zigbee/devices/{id}`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    /// `KEY=VALUE` words: `state=on`, `brightness_pct=40`…
    values: Vec<String>,
}

/// `POST /api/zigbee/devices/{id}`: through the registry and the action gate, then the state.
fn set(
    context: &Context,
    zigbee: &ZigbeeBackend,
    id: &str,
    request: &mut tiny_http::Request,
) -> Answer {
    let ieee = match zigbee.find(id) {
        Ok(ieee) => ieee,
        Err(no) => return Answer::error(404, &no),
    };
    let parsed: SetBody = match json_body(context, request) {
        Ok(parsed) => parsed,
        Err(answer) => return answer,
    };
    let call = match zigbee.call_for(ieee, &parsed.values) {
        Ok(call) => call,
        Err(bad) => return Answer::error(400, &bad),
    };
    let words = parsed.values.join(" ");
    let asked = Request::new(
        format!("zigbee set {ieee:016x} {words}"),
        Source::Http,
        API_USER,
        API_SESSION,
    );
    let Some(report) = context.hub.act(asked, call) else {
        return Answer::error(501, "this hub does not act on devices");
    };
    let status = match report.outcome.as_str() {
        "done" => 200,
        "denied" => 403,
        "pending_confirmation" => 409,
        "refused" => 502,
        _ => 503,
    };
    let mut device = zigbee.device(ieee).unwrap_or_else(|| json!({"ieee": id}));
    device["action"] = json!(report);
    if status != 200 {
        device["error"] = json!(format!(
            "{ieee:016x} did not take {words}: {}",
            report.detail
        ));
    }
    Answer::json(status, &device)
}

/// What a client may send to `POST /api/zigbee/permit_join`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    /// Seconds to stay open, 1–254; the configured time when absent.
    seconds: Option<u64>,
}

/// `POST /api/zigbee/permit_join`: the countdown and the devices that joined as JSON lines.
fn permit_join(
    context: &Context,
    zigbee: Arc<ZigbeeBackend>,
    request: &mut tiny_http::Request,
) -> Served {
    let parsed: JoinBody = match json_body(context, request) {
        Ok(parsed) => parsed,
        Err(answer) => return Served::Whole(answer),
    };
    let seconds = parsed
        .seconds
        .unwrap_or(zigbee.permit_join_default().as_secs());
    if !(1..=254).contains(&seconds) {
        let bad = format!("seconds must be from 1 to 254, got {seconds}");
        return Served::Whole(Answer::error(400, &bad));
    }
    let status = zigbee.status();
    if !status.connected {
        let why = status.error.unwrap_or_else(|| "still starting".into());
        let no = format!("the stick is not connected: {why}");
        return Served::Whole(Answer::error(503, &no));
    }
    Served::Lines(Box::new(move |sink: &mut dyn FnMut(&Value)| {
        zigbee.permit_join_run(Duration::from_secs(seconds), sink);
    }))
}

/// What a client sends to `POST /api/zigbee/backup`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupBody {
    /// Where on the hub to write it.
    path: String,
}

/// `POST /api/zigbee/backup`: the backup written on the hub (mode 0600).
fn backup(context: &Context, zigbee: &ZigbeeBackend, request: &mut tiny_http::Request) -> Answer {
    let parsed: BackupBody = match json_body(context, request) {
        Ok(parsed) => parsed,
        Err(answer) => return answer,
    };
    if parsed.path.trim().is_empty() {
        return Answer::error(400, "path: the file to write the backup to is missing");
    }
    match zigbee.backup(PathBuf::from(parsed.path)) {
        Ok(done) => Answer::json(200, &done),
        Err(err) => device_error(&err),
    }
}

/// A device error as an answer: a stick that is not there is 503, anything else 502.
fn device_error(err: &DeviceError) -> Answer {
    match err {
        DeviceError::Unavailable { .. } => Answer::error(503, &err.to_string()),
        other => Answer::error(502, &other.to_string()),
    }
}

//! The handlers: one request in, one [`Answer`] out, after routing and the token check. The
//! only code here that calls the [`Hub`](crate::frontends::hub::Hub).

use serde_json::{Value, json};
use tracing::debug;

use super::Context;
use super::answer::{Answer, METRICS_CONTENT_TYPE};
use super::ask;
use super::auth::{self, Access};
use super::body;
use super::page::PAGE;
use super::route::{self, Resolved, Route};
use super::status;
use super::zwave::{self, Served};

/// How long a client overloaded with 503 should wait before asking again, in seconds.
const RETRY_AFTER_SECS: &str = "2";

/// The answer to `method` on `path`: whole, or (inclusion and exclusion) lines as they come.
pub(crate) fn answer(
    context: &Context,
    request: &mut tiny_http::Request,
    method: &str,
    path: &str,
) -> Served {
    let route = match route::resolve(method, path) {
        Resolved::Found(route) => route,
        Resolved::NotFound => {
            return Served::Whole(Answer::error(404, &format!("no such path: {path}")));
        }
        Resolved::WrongMethod(allow) => {
            let wrong = Answer::error(405, &format!("{path} takes {allow} only"));
            return Served::Whole(wrong.header("Allow", allow));
        }
    };
    let authorization = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str());
    let access = auth::access(authorization, &context.token);
    if route.needs_token() && access != Access::Full {
        let denied = Answer::error(401, "a bearer token is needed");
        return Served::Whole(denied.header("WWW-Authenticate", "Bearer"));
    }
    match route {
        Route::ZwaveInfo
        | Route::ZwaveNodes
        | Route::ZwaveRefresh
        | Route::ZwaveGet(_)
        | Route::ZwaveSet(_)
        | Route::ZwaveInclude
        | Route::ZwaveExclude => zwave::serve(context, route, request),
        Route::ZigbeeInfo
        | Route::ZigbeeDevices
        | Route::ZigbeeGet(_)
        | Route::ZigbeeSet(_)
        | Route::ZigbeePermitJoin
        | Route::ZigbeeBackup => super::zigbee::serve(context, route, request),
        route => Served::Whole(handle(context, route, access, request)),
    }
}

/// The answer of an authorised `route`.
fn handle(
    context: &Context,
    route: Route,
    access: Access,
    request: &mut tiny_http::Request,
) -> Answer {
    let hub = context.hub.as_ref();
    match route {
        Route::Page => Answer::html(PAGE),
        Route::Health => Answer::text(200, "ok"),
        Route::Ready if hub.ready() => Answer::text(200, "ready"),
        Route::Ready => Answer::text(503, "not ready"),
        Route::Status => Answer::json(200, &status::status(hub, access == Access::Full)),
        Route::Devices => Answer::json(200, &json!(hub.devices())),
        Route::Session(id) => match hub.session(&id) {
            Some(messages) => Answer::json(200, &session_json(&id, &messages)),
            None => Answer::error(404, &format!("no such session: {id}")),
        },
        Route::Metrics => Answer::with_body(200, METRICS_CONTENT_TYPE, hub.metrics().into_bytes()),
        Route::Ask => ask(context, request),
        Route::Tasks(task) => super::tasks::answer(context, request, task),
        Route::Z2mDevices => super::zigbee2mqtt::devices(context),
        Route::Z2mPermitJoin => super::zigbee2mqtt::permit_join(context, request),
        Route::Prefs(user) => Answer::json(200, &prefs_json(&hub.prefs(&user))),
        Route::Remember { user, key } => remember(context, request, &user, &key),
        Route::Forget { user, key } => match hub.forget(&user, &key) {
            Ok(removed) => Answer::json(200, &json!({ "removed": removed })),
            Err(err) => Answer::error(500, &err),
        },
        Route::Facts(user) => match hub.facts(&user) {
            Ok(facts) => Answer::json(200, &json!(facts)),
            Err(err) => Answer::error(500, &err),
        },
        Route::CorrectFact { user, id } => correct_fact(context, request, &user, id),
        Route::ForgetFact { user, id } => match hub.forget_fact(&user, id) {
            Ok(true) => Answer::json(200, &json!({ "removed": true })),
            Ok(false) => Answer::error(404, &format!("{user} has no fact {id}")),
            Err(err) => Answer::error(500, &err),
        },
        other => Answer::error(404, &format!("no handler for {other:?}")),
    }
}

/// What a client sends to `PUT /api/facts/{user}/{id}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FactBody {
    text: String,
}

/// `PUT /api/facts/{user}/{id}`: a bounded `{"text": …}` replaces the fact's text; 204.
fn correct_fact(
    context: &Context,
    request: &mut tiny_http::Request,
    user: &str,
    id: i64,
) -> Answer {
    let body = match body::read_body(context, request) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let parsed: FactBody = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(err) => return Answer::error(400, &format!("bad JSON: {err}")),
    };
    match context.hub.correct_fact(user, id, &parsed.text) {
        Ok(true) => Answer::text(204, ""),
        Ok(false) => Answer::error(404, &format!("{user} has no fact {id}")),
        // A blank or overlong text is the client's mistake.
        Err(err) if err.starts_with("invalid input") => Answer::error(400, &err),
        Err(err) => Answer::error(500, &err),
    }
}

/// What a client sends to `PUT /api/prefs/{user}/{key}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PrefBody {
    value: String,
}

/// `PUT /api/prefs/{user}/{key}`: a bounded `{"value": …}`, stored; 204 with no body.
fn remember(context: &Context, request: &mut tiny_http::Request, user: &str, key: &str) -> Answer {
    let body = match body::read_body(context, request) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let parsed: PrefBody = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(err) => return Answer::error(400, &format!("bad JSON: {err}")),
    };
    match context.hub.remember(user, key, &parsed.value) {
        Ok(()) => Answer::text(204, ""),
        Err(err) => Answer::error(500, &err),
    }
}

/// Preferences as one JSON object, `{key: value}`.
fn prefs_json(prefs: &[(String, String)]) -> Value {
    let map: serde_json::Map<String, Value> = prefs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Value::Object(map)
}

/// `POST /api/ask`: a bounded body, a place among the asks in flight, then the hub.
fn ask(context: &Context, request: &mut tiny_http::Request) -> Answer {
    let body = match body::read_body(context, request) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let parsed = match ask::parse(&body) {
        Ok(parsed) => parsed,
        Err(err) => return Answer::error(400, &err.to_string()),
    };
    let Some(_permit) = context.asks.try_enter() else {
        debug!(
            limit = ask::MAX_ASKS_IN_FLIGHT,
            "ask turned away: too many in flight"
        );
        return Answer::error(503, "too many requests in flight; try again shortly")
            .header("Retry-After", RETRY_AFTER_SECS);
    };
    let reply = context.hub.respond(parsed);
    Answer::json(200, &reply.to_json())
}

/// A session's messages as `{session, messages: [{role, text}]}`.
fn session_json(id: &str, messages: &[(String, String)]) -> Value {
    let messages: Vec<_> = messages
        .iter()
        .map(|(role, text)| json!({"role": role, "text": text}))
        .collect();
    json!({"session": id, "messages": messages})
}

//! `/api/zigbee2mqtt/…`: the hub's Zigbee2MQTT back end through the API, so that
//! `mirai zigbee2mqtt …` asks the daemon's link instead of opening a second one: the device
//! list, and permit join.

use serde_json::json;

use super::Context;
use super::answer::Answer;
use super::body;
use crate::devices::zigbee2mqtt::Z2mError;

/// The longest Zigbee2MQTT opens the network for (its own limit).
pub(crate) const MAX_PERMIT_S: u64 = 254;

/// `GET /api/zigbee2mqtt/devices`.
pub(crate) fn devices(context: &Context) -> Answer {
    match context.hub.zigbee2mqtt() {
        Some(z) => Answer::json(200, &z.device_list()),
        None => not_here(),
    }
}

/// What a client sends to `POST /api/zigbee2mqtt/permit_join`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PermitBody {
    /// Seconds, 0 (close) to 254.
    time: u64,
}

/// `POST /api/zigbee2mqtt/permit_join` `{"time": N}`: Zigbee2MQTT's answer.
pub(crate) fn permit_join(context: &Context, request: &mut tiny_http::Request) -> Answer {
    let Some(z) = context.hub.zigbee2mqtt() else {
        return not_here();
    };
    let body = match body::read_body(context, request) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let parsed: PermitBody = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(err) => return Answer::error(400, &format!("bad JSON: {err}")),
    };
    if parsed.time > MAX_PERMIT_S {
        let bad = format!(
            "time must be from 0 to {MAX_PERMIT_S} seconds, got {}",
            parsed.time
        );
        return Answer::error(400, &bad);
    }
    match z.permit_join(parsed.time as u32) {
        Ok(data) => Answer::json(200, &json!({"status": "ok", "data": data})),
        Err(err @ Z2mError::Refused(_)) => Answer::error(502, &err.to_string()),
        Err(err) => Answer::error(503, &err.to_string()),
    }
}

fn not_here() -> Answer {
    Answer::error(404, "this hub uses no Zigbee2MQTT: set zigbee2mqtt.enabled")
}

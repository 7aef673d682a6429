//! `/api/tasks`: the autonomous tasks over HTTP — list, add, cancel, run now, history — the
//! same functions `mirai tasks` and the agent's tool use.

use std::collections::HashMap;

use super::Context;
use super::answer::Answer;
use super::body;
use super::route::TaskRoute;
use crate::autonomous::tasks::{MAX_HISTORY, NewTask, TaskCall};

/// The user a task added over HTTP works for when it names none.
const DEFAULT_USER: &str = "http";
/// Runs listed when the query names no limit.
const DEFAULT_HISTORY: usize = 20;

/// The answer to one authorised `/api/tasks` request.
pub(crate) fn answer(
    context: &Context,
    request: &mut tiny_http::Request,
    route: TaskRoute,
) -> Answer {
    let call = match call_for(context, request, route) {
        Ok(call) => call,
        Err(answer) => return answer,
    };
    match context.hub.tasks(call) {
        Ok(value) => Answer::json(200, &value),
        Err(err) => Answer::error(err.status(), &err.to_string()),
    }
}

fn call_for(
    context: &Context,
    request: &mut tiny_http::Request,
    route: TaskRoute,
) -> Result<TaskCall, Answer> {
    Ok(match route {
        TaskRoute::List => TaskCall::List,
        TaskRoute::Add => {
            let body = body::read_body(context, request)?;
            let task: NewTask = serde_json::from_slice(&body)
                .map_err(|e| Answer::error(400, &format!("bad JSON for a task: {e}")))?;
            TaskCall::Add(Box::new(task), DEFAULT_USER.into())
        }
        TaskRoute::Cancel(id) => TaskCall::Cancel(task_id(&id)?),
        TaskRoute::Run(id) => TaskCall::RunNow(task_id(&id)?),
        TaskRoute::History(id) => {
            let id = id.as_deref().map(task_id).transpose()?;
            let query = query_of(request.url());
            let limit = match query.get("limit") {
                None => DEFAULT_HISTORY,
                Some(l) => l
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_HISTORY).contains(n))
                    .ok_or_else(|| {
                        Answer::error(400, &format!("limit must be 1 to {MAX_HISTORY}, got {l:?}"))
                    })?,
            };
            TaskCall::History(id, limit)
        }
    })
}

fn task_id(text: &str) -> Result<i64, Answer> {
    text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        Answer::error(
            400,
            &format!("a task id is a positive number, got {text:?}"),
        )
    })
}

/// `?a=1&b=2` as a map (no decoding: the keys and values here are plain numbers).
fn query_of(url: &str) -> HashMap<&str, &str> {
    url.split_once('?')
        .map(|(_, q)| q.split('&').filter_map(|kv| kv.split_once('=')).collect())
        .unwrap_or_default()
}

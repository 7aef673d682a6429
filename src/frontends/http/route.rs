//! Which path goes where: a pure function from method and path to a [`Route`], a 404 or a 405
//! naming the methods the path does take. Path segments that carry names (a session, a user,
//! a preference's key) are percent-decoded here.

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /`: the status page.
    Page,
    /// `GET /api/status`.
    Status,
    /// `POST /api/ask`.
    Ask,
    /// `GET /api/devices`.
    Devices,
    /// `GET /api/sessions/{id}`.
    Session(String),
    /// `GET /api/prefs/{user}`.
    Prefs(String),
    /// `PUT /api/prefs/{user}/{key}`.
    Remember {
        /// Whose preference.
        user: String,
        /// Its name.
        key: String,
    },
    /// `DELETE /api/prefs/{user}/{key}`.
    Forget {
        /// Whose preference.
        user: String,
        /// Its name.
        key: String,
    },
    /// `/api/tasks…`: the autonomous tasks.
    Tasks(TaskRoute),
    /// `GET /api/zwave`: the controller.
    ZwaveInfo,
    /// `GET /api/zwave/nodes`.
    ZwaveNodes,
    /// `GET /api/zwave/nodes/{id}`: the node's state, read from it now (the id unchecked).
    ZwaveGet(String),
    /// `POST /api/zwave/nodes/{id}`: switch the node (the id unchecked).
    ZwaveSet(String),
    /// `POST /api/zwave/refresh`: ask every listening node for its information again.
    ZwaveRefresh,
    /// `POST /api/zwave/include`: progress as JSON lines.
    ZwaveInclude,
    /// `POST /api/zwave/exclude`: progress as JSON lines.
    ZwaveExclude,
    /// `GET /api/zigbee2mqtt/devices`.
    Z2mDevices,
    /// `POST /api/zigbee2mqtt/permit_join`.
    Z2mPermitJoin,
    /// `GET /api/zigbee`: the stick and the network.
    ZigbeeInfo,
    /// `GET /api/zigbee/devices`.
    ZigbeeDevices,
    /// `GET /api/zigbee/devices/{id}`: the device's state, read from it now (the id unchecked).
    ZigbeeGet(String),
    /// `POST /api/zigbee/devices/{id}`: set the device (the id unchecked).
    ZigbeeSet(String),
    /// `POST /api/zigbee/permit_join`: the countdown and the devices that joined, as JSON lines.
    ZigbeePermitJoin,
    /// `POST /api/zigbee/backup`: the network's backup to a file on the hub.
    ZigbeeBackup,
    /// `GET /api/facts/{user}`.
    Facts(String),
    /// `PUT /api/facts/{user}/{id}`: a person's correction.
    CorrectFact {
        /// Whose fact.
        user: String,
        /// Its id.
        id: i64,
    },
    /// `DELETE /api/facts/{user}/{id}`.
    ForgetFact {
        /// Whose fact.
        user: String,
        /// Its id.
        id: i64,
    },
    /// `GET /metrics`.
    Metrics,
    /// `GET /healthz`.
    Health,
    /// `GET /readyz`.
    Ready,
}

/// What a `/api/tasks` request asks; ids as written (the handler checks them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TaskRoute {
    /// `GET /api/tasks`.
    List,
    /// `POST /api/tasks`.
    Add,
    /// `DELETE /api/tasks/{id}`.
    Cancel(String),
    /// `POST /api/tasks/{id}/run`.
    Run(String),
    /// `GET /api/tasks/history` or `GET /api/tasks/{id}/history`.
    History(Option<String>),
}

/// The outcome of routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A route, with the method it takes.
    Found(Route),
    /// No such path.
    NotFound,
    /// The path exists but takes another method: the `Allow` header's value.
    WrongMethod(&'static str),
}

impl Route {
    /// Whether the route answers only with the bearer token (`/api/status` decides for
    /// itself: a summary without it, everything with it).
    pub(crate) fn needs_token(&self) -> bool {
        matches!(
            self,
            Route::Ask
                | Route::Devices
                | Route::Session(_)
                | Route::Metrics
                | Route::Prefs(_)
                | Route::Remember { .. }
                | Route::Forget { .. }
                | Route::Tasks(_)
                | Route::ZwaveInfo
                | Route::ZwaveNodes
                | Route::ZwaveRefresh
                | Route::ZwaveGet(_)
                | Route::ZwaveSet(_)
                | Route::ZwaveInclude
                | Route::ZwaveExclude
                | Route::Z2mDevices
                | Route::Z2mPermitJoin
                | Route::ZigbeeInfo
                | Route::ZigbeeDevices
                | Route::ZigbeeGet(_)
                | Route::ZigbeeSet(_)
                | Route::ZigbeePermitJoin
                | Route::ZigbeeBackup
                | Route::Facts(_)
                | Route::CorrectFact { .. }
                | Route::ForgetFact { .. }
        )
    }
}

/// The path without its query string.
pub(crate) fn path_of(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Where `method` on `path` goes.
pub(crate) fn resolve(method: &str, path: &str) -> Resolved {
    if let Some((route, allowed)) = fixed_route(path) {
        return if method == allowed {
            Resolved::Found(route)
        } else {
            Resolved::WrongMethod(allowed)
        };
    }
    let Some(names) = path.strip_prefix("/api/").and_then(named) else {
        return Resolved::NotFound;
    };
    if names.first().is_some_and(|k| k == "tasks") {
        return tasks_route(&names[1..], method);
    }
    match (names.as_slice(), method) {
        ([kind, id], "GET") if kind == "sessions" => Resolved::Found(Route::Session(id.clone())),
        ([kind, user], "GET") if kind == "prefs" => Resolved::Found(Route::Prefs(user.clone())),
        ([kind, _], _) if kind == "sessions" || kind == "prefs" => Resolved::WrongMethod("GET"),
        ([kind, user, key], "PUT") if kind == "prefs" => Resolved::Found(Route::Remember {
            user: user.clone(),
            key: key.clone(),
        }),
        ([kind, user, key], "DELETE") if kind == "prefs" => Resolved::Found(Route::Forget {
            user: user.clone(),
            key: key.clone(),
        }),
        ([kind, _, _], _) if kind == "prefs" => Resolved::WrongMethod("PUT, DELETE"),
        ([zwave, nodes, id], "GET") if zwave == "zwave" && nodes == "nodes" => {
            Resolved::Found(Route::ZwaveGet(id.clone()))
        }
        ([zwave, nodes, id], "POST") if zwave == "zwave" && nodes == "nodes" => {
            Resolved::Found(Route::ZwaveSet(id.clone()))
        }
        ([zwave, nodes, _], _) if zwave == "zwave" && nodes == "nodes" => {
            Resolved::WrongMethod("GET, POST")
        }
        ([zigbee, devices, id], "GET") if zigbee == "zigbee" && devices == "devices" => {
            Resolved::Found(Route::ZigbeeGet(id.clone()))
        }
        ([zigbee, devices, id], "POST") if zigbee == "zigbee" && devices == "devices" => {
            Resolved::Found(Route::ZigbeeSet(id.clone()))
        }
        ([zigbee, devices, _], _) if zigbee == "zigbee" && devices == "devices" => {
            Resolved::WrongMethod("GET, POST")
        }
        ([kind, user], "GET") if kind == "facts" => Resolved::Found(Route::Facts(user.clone())),
        ([kind, _], _) if kind == "facts" => Resolved::WrongMethod("GET"),
        ([kind, user, id], method) if kind == "facts" => match (id.parse(), method) {
            (Err(_), _) => Resolved::NotFound,
            (Ok(id), "PUT") => Resolved::Found(Route::CorrectFact {
                user: user.clone(),
                id,
            }),
            (Ok(id), "DELETE") => Resolved::Found(Route::ForgetFact {
                user: user.clone(),
                id,
            }),
            _ => Resolved::WrongMethod("PUT, DELETE"),
        },
        _ => Resolved::NotFound,
    }
}

/// `/api/tasks/…` after `tasks`.
fn tasks_route(rest: &[String], method: &str) -> Resolved {
    let found = |r| Resolved::Found(Route::Tasks(r));
    match (rest, method) {
        ([], "GET") => found(TaskRoute::List),
        ([], "POST") => found(TaskRoute::Add),
        ([], _) => Resolved::WrongMethod("GET, POST"),
        ([h], "GET") if h == "history" => found(TaskRoute::History(None)),
        ([h], _) if h == "history" => Resolved::WrongMethod("GET"),
        ([id], "DELETE") => found(TaskRoute::Cancel(id.clone())),
        ([_], _) => Resolved::WrongMethod("DELETE"),
        ([id, r], "POST") if r == "run" => found(TaskRoute::Run(id.clone())),
        ([_, r], _) if r == "run" => Resolved::WrongMethod("POST"),
        ([id, h], "GET") if h == "history" => found(TaskRoute::History(Some(id.clone()))),
        ([_, h], _) if h == "history" => Resolved::WrongMethod("GET"),
        _ => Resolved::NotFound,
    }
}

/// The route at a path without names in it, and the one method it takes.
fn fixed_route(path: &str) -> Option<(Route, &'static str)> {
    let found = match path {
        "/" => (Route::Page, "GET"),
        "/api/status" => (Route::Status, "GET"),
        "/api/ask" => (Route::Ask, "POST"),
        "/api/devices" => (Route::Devices, "GET"),
        "/api/zwave" => (Route::ZwaveInfo, "GET"),
        "/api/zwave/nodes" => (Route::ZwaveNodes, "GET"),
        "/api/zwave/refresh" => (Route::ZwaveRefresh, "POST"),
        "/api/zwave/include" => (Route::ZwaveInclude, "POST"),
        "/api/zwave/exclude" => (Route::ZwaveExclude, "POST"),
        "/api/zigbee2mqtt/devices" => (Route::Z2mDevices, "GET"),
        "/api/zigbee2mqtt/permit_join" => (Route::Z2mPermitJoin, "POST"),
        "/api/zigbee" => (Route::ZigbeeInfo, "GET"),
        "/api/zigbee/devices" => (Route::ZigbeeDevices, "GET"),
        "/api/zigbee/permit_join" => (Route::ZigbeePermitJoin, "POST"),
        "/api/zigbee/backup" => (Route::ZigbeeBackup, "POST"),
        "/metrics" => (Route::Metrics, "GET"),
        "/healthz" => (Route::Health, "GET"),
        "/readyz" => (Route::Ready, "GET"),
        _ => return None,
    };
    Some(found)
}

/// The decoded segments of `rest`; `None` when one is empty or does not decode to UTF-8.
fn named(rest: &str) -> Option<Vec<String>> {
    rest.split('/')
        .map(|segment| decode(segment).filter(|s| !s.is_empty()))
        .collect()
}

/// `segment` with its `%XX` escapes decoded; `None` for a broken escape or bad UTF-8.
fn decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_routes() {
        use super::TaskRoute as T;
        let found = |m, p| match resolve(m, p) {
            Resolved::Found(Route::Tasks(t)) => Some(t),
            _ => None,
        };
        assert_eq!(found("GET", "/api/tasks"), Some(T::List));
        assert_eq!(found("POST", "/api/tasks"), Some(T::Add));
        assert_eq!(found("DELETE", "/api/tasks/7"), Some(T::Cancel("7".into())));
        assert_eq!(found("POST", "/api/tasks/7/run"), Some(T::Run("7".into())));
        assert_eq!(found("GET", "/api/tasks/history"), Some(T::History(None)));
        assert_eq!(
            found("GET", "/api/tasks/7/history"),
            Some(T::History(Some("7".into())))
        );
        assert_eq!(
            resolve("PUT", "/api/tasks"),
            Resolved::WrongMethod("GET, POST")
        );
        assert_eq!(
            resolve("GET", "/api/tasks/7/run"),
            Resolved::WrongMethod("POST")
        );
        assert_eq!(resolve("GET", "/api/tasks/7/x"), Resolved::NotFound);
        assert!(Route::Tasks(T::List).needs_token());
    }

    #[test]
    fn facts_routes_take_a_user_and_a_numeric_id() {
        assert_eq!(
            resolve("GET", "/api/facts/ana"),
            Resolved::Found(Route::Facts("ana".into()))
        );
        assert_eq!(
            resolve("PUT", "/api/facts/ana/7"),
            Resolved::Found(Route::CorrectFact {
                user: "ana".into(),
                id: 7
            })
        );
        assert_eq!(
            resolve("DELETE", "/api/facts/ana/7"),
            Resolved::Found(Route::ForgetFact {
                user: "ana".into(),
                id: 7
            })
        );
        assert_eq!(resolve("PUT", "/api/facts/ana/x"), Resolved::NotFound);
        assert_eq!(
            resolve("POST", "/api/facts/ana/7"),
            Resolved::WrongMethod("PUT, DELETE")
        );
        assert_eq!(
            resolve("PUT", "/api/facts/ana"),
            Resolved::WrongMethod("GET")
        );
        assert!(Route::Facts("ana".into()).needs_token());
    }

    #[test]
    fn known_paths_route() {
        assert_eq!(resolve("GET", "/"), Resolved::Found(Route::Page));
        assert_eq!(resolve("POST", "/api/ask"), Resolved::Found(Route::Ask));
        assert_eq!(
            resolve("GET", "/api/sessions/abc"),
            Resolved::Found(Route::Session("abc".into()))
        );
    }

    #[test]
    fn a_wrong_method_names_the_right_one() {
        assert_eq!(resolve("GET", "/api/ask"), Resolved::WrongMethod("POST"));
        assert_eq!(resolve("DELETE", "/healthz"), Resolved::WrongMethod("GET"));
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in [
            "/nope",
            "/api/sessions/",
            "/api/sessions/a/b",
            "/api/status/x",
            "",
        ] {
            assert_eq!(resolve("GET", path), Resolved::NotFound, "{path}");
        }
    }

    #[test]
    fn preferences_route_by_method_with_decoded_names() {
        assert_eq!(
            resolve("GET", "/api/prefs/ana"),
            Resolved::Found(Route::Prefs("ana".into()))
        );
        let key = |user: &str, key: &str| (user.to_owned(), key.to_owned());
        match resolve("PUT", "/api/prefs/ana/coffee%20strength") {
            Resolved::Found(Route::Remember { user, key: k }) => {
                assert_eq!((user, k), key("ana", "coffee strength"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve("DELETE", "/api/prefs/%D0%B0/k"),
            Resolved::Found(Route::Forget { user, .. }) if user == "а"
        ));
        assert_eq!(
            resolve("POST", "/api/prefs/ana/k"),
            Resolved::WrongMethod("PUT, DELETE")
        );
        assert_eq!(
            resolve("PUT", "/api/prefs/ana"),
            Resolved::WrongMethod("GET")
        );
        for path in [
            "/api/prefs/",
            "/api/prefs/ana/",
            "/api/prefs/a/b/c",
            "/api/prefs/a/%zz",
        ] {
            assert_eq!(resolve("PUT", path), Resolved::NotFound, "{path}");
        }
    }

    #[test]
    fn zwave_routes_take_the_node_id_as_written() {
        assert_eq!(
            resolve("GET", "/api/zwave"),
            Resolved::Found(Route::ZwaveInfo)
        );
        assert_eq!(
            resolve("GET", "/api/zwave/nodes/2"),
            Resolved::Found(Route::ZwaveGet("2".into()))
        );
        assert_eq!(
            resolve("POST", "/api/zwave/nodes/x"),
            Resolved::Found(Route::ZwaveSet("x".into()))
        );
        assert_eq!(
            resolve("PUT", "/api/zwave/nodes/2"),
            Resolved::WrongMethod("GET, POST")
        );
        assert_eq!(
            resolve("GET", "/api/zwave/exclude"),
            Resolved::WrongMethod("POST")
        );
        assert!(Route::ZwaveInclude.needs_token() && Route::ZwaveGet("2".into()).needs_token());
    }

    #[test]
    fn the_query_string_is_not_part_of_the_path() {
        assert_eq!(path_of("/api/status?x=1"), "/api/status");
        assert_eq!(path_of("/"), "/");
    }

    #[test]
    fn the_api_but_not_the_probes_needs_the_token() {
        assert!(Route::Ask.needs_token());
        assert!(Route::Metrics.needs_token());
        assert!(!Route::Status.needs_token());
        assert!(!Route::Ready.needs_token());
        assert!(!Route::Page.needs_token());
    }
}

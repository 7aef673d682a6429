//! Which path goes where: a pure function from method and path to a [`Route`], a 404 or a 405
//! naming the methods the path does take.

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
    /// `GET /metrics`.
    Metrics,
    /// `GET /healthz`.
    Health,
    /// `GET /readyz`.
    Ready,
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
            Route::Ask | Route::Devices | Route::Session(_) | Route::Metrics
        )
    }
}

/// The path without its query string.
pub(crate) fn path_of(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Where `method` on `path` goes.
pub(crate) fn resolve(method: &str, path: &str) -> Resolved {
    let Some((route, allowed)) = route_of(path) else {
        return Resolved::NotFound;
    };
    if method == allowed {
        Resolved::Found(route)
    } else {
        Resolved::WrongMethod(allowed)
    }
}

/// The route at `path` and the one method it takes.
fn route_of(path: &str) -> Option<(Route, &'static str)> {
    let found = match path {
        "/" => (Route::Page, "GET"),
        "/api/status" => (Route::Status, "GET"),
        "/api/ask" => (Route::Ask, "POST"),
        "/api/devices" => (Route::Devices, "GET"),
        "/metrics" => (Route::Metrics, "GET"),
        "/healthz" => (Route::Health, "GET"),
        "/readyz" => (Route::Ready, "GET"),
        _ => {
            let id = path.strip_prefix("/api/sessions/")?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            (Route::Session(id.to_owned()), "GET")
        }
    };
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

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

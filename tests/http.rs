//! The HTTP server against real sockets: a fake hub that records its calls, a raw HTTP/1.1
//! client on `TcpStream`, every wait bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mirai::agent::{Reply, Request};
use mirai::devices::Entity;
use mirai::frontends::http::{self, HttpServer, HttpSettings};
use mirai::frontends::hub::Hub;
use mirai::llm::wire::Usage;
use mirai::memory::Fact;
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789abcdef";
/// The longest any one exchange may take before the test fails.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A hub that answers from fixtures and records what it was asked.
#[derive(Default)]
struct FakeHub {
    asked: Mutex<Vec<Request>>,
    ready: AtomicBool,
    think: Mutex<Duration>,
    /// (user, key, value)
    prefs: Mutex<Vec<(String, String, String)>>,
    facts: Mutex<Vec<Fact>>,
}

impl Hub for FakeHub {
    fn respond(&self, request: Request) -> Reply {
        let think = *self.think.lock().unwrap();
        std::thread::sleep(think);
        self.asked.lock().unwrap().push(request.clone());
        Reply {
            text: format!("you said {}", request.text),
            actions: Vec::new(),
            blocked: None,
            pending_confirmation: Vec::new(),
            usage: Usage::default(),
            session: request.session,
            via: "local_intent".into(),
        }
    }
    fn status(&self) -> Value {
        json!({"name": "mirai", "version": "0.1.0", "uptime_secs": 61,
               "services": [{"name": "mqtt", "state": "up"}],
               "recent_requests": [{"at": "12:00", "via": "model", "text": "open the garage",
                                    "session": "sess-42", "user": "alice"}]})
    }
    fn devices(&self) -> Vec<Entity> {
        vec![
            serde_json::from_value(json!({"id": "light.kitchen", "name": "Kitchen light",
                                          "domain": "light", "state": "on"}))
            .unwrap(),
        ]
    }
    fn session(&self, id: &str) -> Option<Vec<(String, String)>> {
        (id == "known").then(|| vec![("user".into(), "hi".into())])
    }
    fn metrics(&self) -> String {
        "# TYPE mirai_requests_total counter\nmirai_requests_total 3\n".into()
    }
    fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
    fn prefs(&self, user: &str) -> Vec<(String, String)> {
        let prefs = self.prefs.lock().unwrap();
        prefs
            .iter()
            .filter(|(u, _, _)| u == user)
            .map(|(_, k, v)| (k.clone(), v.clone()))
            .collect()
    }
    fn remember(&self, user: &str, key: &str, value: &str) -> Result<(), String> {
        let mut prefs = self.prefs.lock().unwrap();
        prefs.retain(|(u, k, _)| !(u == user && k == key));
        prefs.push((user.into(), key.into(), value.into()));
        Ok(())
    }
    fn forget(&self, user: &str, key: &str) -> Result<bool, String> {
        let mut prefs = self.prefs.lock().unwrap();
        let before = prefs.len();
        prefs.retain(|(u, k, _)| !(u == user && k == key));
        Ok(prefs.len() < before)
    }
    fn facts(&self, user: &str) -> Result<Vec<Fact>, String> {
        let facts = self.facts.lock().unwrap();
        Ok(facts.iter().filter(|f| f.user == user).cloned().collect())
    }
    fn correct_fact(&self, user: &str, id: i64, text: &str) -> Result<bool, String> {
        let mut facts = self.facts.lock().unwrap();
        let fact = facts.iter_mut().find(|f| f.user == user && f.id == id);
        Ok(fact.map(|f| f.text = text.to_owned()).is_some())
    }
    fn forget_fact(&self, user: &str, id: i64) -> Result<bool, String> {
        let mut facts = self.facts.lock().unwrap();
        let before = facts.len();
        facts.retain(|f| !(f.user == user && f.id == id));
        Ok(facts.len() < before)
    }
}

struct Response {
    status: u16,
    head: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn start(hub: Arc<FakeHub>) -> HttpServer {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let settings = HttpSettings::new(addr, TOKEN.into());
    http::start(hub, settings).unwrap()
}

/// One request on a fresh connection; `Connection: close` so the body ends with the stream.
fn exchange(addr: SocketAddr, method: &str, path: &str, headers: &[&str], body: &[u8]) -> Response {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading everything: a failed write is not the test.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head: {text:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    Response {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

fn get(addr: SocketAddr, path: &str) -> Response {
    exchange(addr, "GET", path, &[], b"")
}

fn get_with_token(addr: SocketAddr, path: &str) -> Response {
    exchange(
        addr,
        "GET",
        path,
        &[&format!("Authorization: Bearer {TOKEN}")],
        b"",
    )
}

fn ask(addr: SocketAddr, body: &str) -> Response {
    let auth = format!("Authorization: Bearer {TOKEN}");
    exchange(
        addr,
        "POST",
        "/api/ask",
        &[&auth, "Content-Type: application/json"],
        body.as_bytes(),
    )
}

#[test]
fn the_page_is_self_contained_and_polls_the_status() {
    let server = start(Arc::default());
    let page = get(server.addr(), "/");
    assert_eq!(page.status, 200);
    assert!(
        page.header("Content-Type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("/api/status"));
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
}

#[test]
fn the_status_is_a_summary_without_the_token_and_full_with_it() {
    let server = start(Arc::default());
    let summary = get(server.addr(), "/api/status");
    assert_eq!(summary.status, 200);
    assert_eq!(summary.json()["name"], "mirai");
    assert_eq!(summary.json()["devices"][0]["state"], "on");
    assert!(!summary.body.contains("open the garage") && !summary.body.contains("sess-42"));
    let full = get_with_token(server.addr(), "/api/status");
    assert_eq!(full.json()["recent_requests"][0]["text"], "open the garage");
    assert_eq!(full.json()["access"], "full");
}

#[test]
fn an_ask_with_the_token_reaches_the_hub_and_comes_back_as_cli_json() {
    let hub = Arc::new(FakeHub::default());
    let server = start(Arc::clone(&hub));
    let answer = ask(
        server.addr(),
        r#"{"text":"lights on","session_id":"s1","user":"bob"}"#,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let reply = answer.json();
    assert_eq!(reply["reply"], "you said lights on");
    assert_eq!(reply["session"], "s1");
    for key in ["actions", "blocked", "pending_confirmation", "usage", "via"] {
        assert!(reply.get(key).is_some(), "{key} missing from {reply}");
    }
    let asked = hub.asked.lock().unwrap();
    assert_eq!(
        (asked[0].user.as_str(), asked[0].text.as_str()),
        ("bob", "lights on")
    );
}

#[test]
fn an_ask_without_the_token_is_401_and_never_reaches_the_hub() {
    let hub = Arc::new(FakeHub::default());
    let server = start(Arc::clone(&hub));
    let body = br#"{"text":"unlock the door"}"#;
    for auth in [&[][..], &["Authorization: Bearer wrong"][..]] {
        let answer = exchange(server.addr(), "POST", "/api/ask", auth, body);
        assert_eq!(answer.status, 401);
        assert_eq!(answer.header("WWW-Authenticate"), Some("Bearer"));
        assert!(answer.json()["error"].is_string());
    }
    assert!(hub.asked.lock().unwrap().is_empty());
}

#[test]
fn bad_asks_are_400_saying_what_is_wrong() {
    let server = start(Arc::default());
    let bad_json = ask(server.addr(), r#"{"text": "#);
    assert_eq!(bad_json.status, 400);
    assert!(bad_json.json()["error"].as_str().unwrap().contains("JSON"));
    let missing = ask(server.addr(), r#"{"user":"bob"}"#);
    assert_eq!(
        (missing.status, missing.json()["error"].clone()),
        (400, json!("missing text"))
    );
    let long = json!({"text": "x".repeat(5000)}).to_string();
    let too_long = ask(server.addr(), &long);
    assert_eq!(too_long.status, 400);
    assert!(
        too_long.json()["error"]
            .as_str()
            .unwrap()
            .contains("too long")
    );
}

#[test]
fn a_body_over_the_limit_is_413_and_the_server_stays_up() {
    let server = start(Arc::default());
    let huge = format!(r#"{{"text":"{}"}}"#, "x".repeat(http::DEFAULT_MAX_BODY));
    let answer = ask(server.addr(), &huge);
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.json()["error"].is_string());
    assert_eq!(get(server.addr(), "/healthz").status, 200);
    assert_eq!(ask(server.addr(), r#"{"text":"still there?"}"#).status, 200);
}

#[test]
fn wrong_methods_unknown_paths_and_unknown_sessions() {
    let server = start(Arc::default());
    let wrong = get_with_token(server.addr(), "/api/ask");
    assert_eq!((wrong.status, wrong.header("Allow")), (405, Some("POST")));
    let posted = exchange(server.addr(), "POST", "/healthz", &[], b"");
    assert_eq!((posted.status, posted.header("Allow")), (405, Some("GET")));
    assert_eq!(get_with_token(server.addr(), "/nowhere").status, 404);
    let unknown = get_with_token(server.addr(), "/api/sessions/x");
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["error"].is_string());
    let known = get_with_token(server.addr(), "/api/sessions/known");
    assert_eq!(known.json()["messages"][0]["text"], "hi");
    assert_eq!(get(server.addr(), "/api/sessions/known").status, 401);
}

#[test]
fn devices_and_metrics_need_the_token() {
    let server = start(Arc::default());
    assert_eq!(get(server.addr(), "/api/devices").status, 401);
    assert_eq!(get(server.addr(), "/metrics").status, 401);
    let devices = get_with_token(server.addr(), "/api/devices");
    assert_eq!(devices.json()[0]["id"], "light.kitchen");
    let metrics = get_with_token(server.addr(), "/metrics");
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metrics.header("Content-Type"),
        Some("text/plain; version=0.0.4")
    );
    assert!(metrics.body.contains("mirai_requests_total 3"));
}

#[test]
fn readiness_follows_the_hub_and_health_is_always_ok() {
    let hub = Arc::new(FakeHub::default());
    let server = start(Arc::clone(&hub));
    assert_eq!(get(server.addr(), "/healthz").body, "ok");
    assert_eq!(get(server.addr(), "/readyz").status, 503);
    hub.ready.store(true, Ordering::SeqCst);
    assert_eq!(get(server.addr(), "/readyz").status, 200);
}

#[test]
fn a_flood_of_asks_against_a_slow_hub_gets_503s_not_a_crash() {
    let hub = Arc::new(FakeHub::default());
    *hub.think.lock().unwrap() = Duration::from_millis(400);
    let server = start(Arc::clone(&hub));
    let addr = server.addr();
    let flood: Vec<_> = (0..12)
        .map(|n| std::thread::spawn(move || ask(addr, &format!(r#"{{"text":"ask {n}"}}"#))))
        .collect();
    let statuses: Vec<u16> = flood
        .into_iter()
        .map(|t| t.join().unwrap().status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
    assert_eq!(get(addr, "/healthz").status, 200);
}

#[test]
fn stop_returns_promptly_and_the_port_closes() {
    let server = start(Arc::default());
    let addr = server.addr();
    assert_eq!(get(addr, "/healthz").status, 200);
    let started = Instant::now();
    server.stop();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // tiny_http closes its listener from its own accept thread, a moment after the drop.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
        assert!(Instant::now() < deadline, "the port is still open");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_forged_content_length_is_413_and_does_not_take_the_server_down() {
    let server = start(Arc::default());
    let mut stream = TcpStream::connect_timeout(&server.addr(), IO_TIMEOUT).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let head = format!(
        "POST /api/ask HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Length: 1000000000000\r\n\r\n0123456789"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 413"));
    drop(stream);
    assert_eq!(get(server.addr(), "/healthz").status, 200);
}

#[test]
fn preferences_are_read_stored_and_removed_with_the_token() {
    let hub = Arc::new(FakeHub::default());
    let server = start(Arc::clone(&hub));
    let addr = server.addr();
    let auth = format!("Authorization: Bearer {TOKEN}");
    let put = |path: &str, body: &str| {
        exchange(
            addr,
            "PUT",
            path,
            &[&auth, "Content-Type: application/json"],
            body.as_bytes(),
        )
    };
    let refused = exchange(addr, "PUT", "/api/prefs/ana/tone", &[], br#"{"value":"x"}"#);
    assert_eq!(refused.status, 401);
    assert_eq!(get(addr, "/api/prefs/ana").status, 401);
    assert_eq!(
        put("/api/prefs/ana/tone", r#"{"value":"brief"}"#).status,
        204
    );
    assert_eq!(
        put("/api/prefs/ana/coffee%20strength", r#"{"value":"strong"}"#).status,
        204
    );
    let bad = put("/api/prefs/ana/tone", r#"{"valeu":"x"}"#);
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("valeu"));
    let prefs = get_with_token(addr, "/api/prefs/ana");
    assert_eq!(prefs.status, 200);
    assert_eq!(
        prefs.json(),
        json!({"tone": "brief", "coffee strength": "strong"})
    );
    assert_eq!(get_with_token(addr, "/api/prefs/bob").json(), json!({}));
    let forget = || exchange(addr, "DELETE", "/api/prefs/ana/tone", &[&auth], b"");
    assert_eq!(forget().json(), json!({"removed": true}));
    assert_eq!(forget().json(), json!({"removed": false}));
    let wrong = exchange(addr, "POST", "/api/prefs/ana/tone", &[&auth], b"");
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("Allow"), Some("PUT, DELETE"));
    assert!(wrong.json()["error"].is_string());
}

#[test]
fn a_hub_without_a_stick_says_so_on_the_zwave_routes() {
    let server = start(Arc::default());
    assert_eq!(get(server.addr(), "/api/zwave/nodes").status, 401);
    for path in ["/api/zwave", "/api/zwave/nodes", "/api/zwave/nodes/2"] {
        let r = get_with_token(server.addr(), path);
        assert_eq!(r.status, 404, "{path}");
        let why = r.json()["error"].as_str().unwrap().to_owned();
        assert!(why.contains("drives no Z-Wave stick"), "{why}");
    }
    let wrong = exchange(server.addr(), "DELETE", "/api/zwave/nodes/2", &[], b"");
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("Allow"), Some("GET, POST"));
}

#[test]
fn facts_are_read_corrected_and_forgotten_with_the_token() {
    let hub = Arc::new(FakeHub::default());
    for (id, user, text) in [
        (1, "ana", "Ana likes 20 °C"),
        (2, "bob", "Bob drives a Volvo"),
    ] {
        hub.facts.lock().unwrap().push(Fact {
            id,
            user: user.into(),
            text: text.into(),
            session_id: None,
            created_at: 0,
            updated_at: 0,
        });
    }
    let server = start(hub.clone());
    let addr = server.addr();
    let auth = format!("Authorization: Bearer {TOKEN}");
    let put = |path: &str, body: &str| {
        exchange(
            addr,
            "PUT",
            path,
            &[&auth, "Content-Type: application/json"],
            body.as_bytes(),
        )
    };
    assert_eq!(get(addr, "/api/facts/ana").status, 401);
    let facts = get_with_token(addr, "/api/facts/ana").json();
    assert_eq!(facts[0]["text"], "Ana likes 20 °C");
    assert_eq!(facts.as_array().unwrap().len(), 1);
    assert_eq!(
        put("/api/facts/ana/1", r#"{"text":"Ana likes 19 °C"}"#).status,
        204
    );
    assert_eq!(
        get_with_token(addr, "/api/facts/ana").json()[0]["text"],
        "Ana likes 19 °C"
    );
    let not_hers = put("/api/facts/ana/2", r#"{"text":"x"}"#);
    assert_eq!(not_hers.status, 404);
    assert!(
        not_hers.json()["error"]
            .as_str()
            .unwrap()
            .contains("ana has no fact 2")
    );
    let bad = put("/api/facts/ana/1", r#"{"txt":"x"}"#);
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("txt"));
    let forget = || exchange(addr, "DELETE", "/api/facts/ana/1", &[&auth], b"");
    assert_eq!(forget().json(), json!({"removed": true}));
    assert_eq!(forget().status, 404);
    assert_eq!(
        get_with_token(addr, "/api/facts/bob").json()[0]["text"],
        "Bob drives a Volvo"
    );
}

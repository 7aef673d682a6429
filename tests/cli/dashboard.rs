//! `mirai dashboard`: the status page and API alone, without joining a broker.

use std::os::unix::net::UnixDatagram;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::Hub;

/// `mirai dashboard --demo` on a free port, once it has told systemd it is ready.
fn start(hub: &Hub) -> (Child, u16) {
    let sock = hub.path().join("notify.sock");
    let notify = UnixDatagram::bind(&sock).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = hub
        .cmd(&["--mode", "dashboard", "--demo"])
        .env("NOTIFY_SOCKET", &sock)
        .env("MIRAI_SERVICES__DASHBOARD__PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 64];
    let n = notify.recv(&mut buf).expect("READY=1");
    assert_eq!(&buf[..n], b"READY=1");
    (child, port)
}

/// SIGTERM, and a clean exit.
fn stop(mut child: Child) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
}

#[test]
fn dashboard_serves_the_page_without_mqtt() {
    let hub = Hub::scratch();
    let (child, port) = start(&hub);
    let status = ureq::get(format!("http://127.0.0.1:{port}/api/status")).call();
    let text = status.unwrap().body_mut().read_to_string().unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["http"], "{v}");
    stop(child);
}

/// Chromium as the probe of this workplace runs it: headless, no network of its own.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=5000",
];

#[test]
fn the_status_page_renders_in_a_real_browser() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: run the tests with tests/run, which installs it"
    );
    let hub = Hub::scratch();
    let (child, port) = start(&hub);
    let profile = hub.path().join("chromium-profile");
    let out = std::process::Command::new("timeout")
        .arg("60")
        .arg("/usr/bin/chromium")
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("http://127.0.0.1:{port}/"))
        .stderr(Stdio::null())
        .output()
        .unwrap();
    stop(child);
    let dom = String::from_utf8_lossy(&out.stdout);
    // The page filled itself from /api/status: the hub's facts, the services and the house.
    assert!(
        dom.contains("MIRAI 0.1.0")
            || dom.contains(&format!("MIRAI {}", env!("CARGO_PKG_VERSION"))),
        "{dom}"
    );
    assert!(dom.contains("Model reachable"), "{dom}");
    assert!(
        dom.contains(&format!("listening on 127.0.0.1:{port}")),
        "{dom}"
    );
    assert!(
        dom.contains("<td>Kitchen light</td>") && dom.contains("<td>locked</td>"),
        "{dom}"
    );
}

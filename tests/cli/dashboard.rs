//! `mirai dashboard`: the status page and API alone, without joining a broker.

use std::os::unix::net::UnixDatagram;
use std::process::Stdio;
use std::time::Duration;

use super::Hub;

#[test]
fn dashboard_serves_the_page_without_mqtt() {
    let hub = Hub::scratch();
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
    let mut child = hub
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
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
}

//! The zwave-js mock Z-Wave controller for tests: `shared/zwave-mock/start-mock.sh` (beside the
//! repository, as in CI) on a free 127.0.0.1 port, with one of the network files in
//! `tests/zwave/`, stopped on drop.
//!
//! zwave-js is installed once into [`install_home`] (what `tests/run` does before the tests);
//! each mock then runs in its own temp folder whose `node_modules` links there, so mocks in
//! parallel tests neither reinstall nor stop each other (the script keeps its PID files in
//! that folder). A missing node or npm fails the test: skipping would pass CI untested.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Serializes the one-time install between the tests of a binary.
static INSTALL: Mutex<()> = Mutex::new(());

/// A running mock controller.
pub struct ZwaveMock {
    port: u16,
    work: tempfile::TempDir,
}

/// The repository's `shared/zwave-mock/start-mock.sh`, one level above the repository.
pub fn script() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("../shared/zwave-mock/start-mock.sh");
    assert!(
        script.is_file(),
        "{} is missing: the tests need shared/ beside the repository",
        script.display()
    );
    script
}

/// Where zwave-js is installed: `$MIRAI_ZWAVE_MOCK_HOME`, or `mirai-zwave-mock` in the temp dir.
pub fn install_home() -> PathBuf {
    std::env::var_os("MIRAI_ZWAVE_MOCK_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("mirai-zwave-mock"))
}

impl ZwaveMock {
    /// Starts the mock with `tests/zwave/<network>` and returns once it listens.
    pub fn start(network: &str) -> ZwaveMock {
        install();
        let network = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/zwave")
            .join(network);
        assert!(network.is_file(), "{} is missing", network.display());
        let work = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(
            install_home().join("node_modules"),
            work.path().join("node_modules"),
        )
        .unwrap();
        let port = free_port();
        let out = Command::new(script())
            .arg(&network)
            .env("ZW_PORT", port.to_string())
            .env("ZW_WORK", work.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "start-mock.sh failed: {}", text(&out));
        ZwaveMock { port, work }
    }

    /// `tcp://127.0.0.1:PORT`, the value for `zwave.port`.
    pub fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// The mock's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.work.path().join("mock.log")).unwrap_or_default()
    }
}

impl Drop for ZwaveMock {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .env("ZW_PORT", self.port.to_string())
            .env("ZW_WORK", self.work.path())
            .output();
    }
}

/// Installs zwave-js into [`install_home`] unless it is there: the script installs on its
/// first start, then that mock is stopped.
fn install() {
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let home = install_home();
    if home
        .join("node_modules/zwave-js/bin/mock-server.cjs")
        .is_file()
    {
        return;
    }
    let port = free_port().to_string();
    let out = Command::new(script())
        .env("ZW_PORT", &port)
        .env("ZW_WORK", &home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "installing zwave-js failed: {}",
        text(&out)
    );
    let _ = Command::new(script())
        .arg("stop")
        .env("ZW_PORT", &port)
        .env("ZW_WORK", &home)
        .output();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

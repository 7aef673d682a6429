//! End-to-end tests of the `mirai` binary: what a user types, what they see, the exit code.

mod agent;
mod board;
mod config;
mod dashboard;
mod durability;
mod health;
mod memory;
#[path = "../support/mosquitto.rs"]
mod mosquitto;
#[path = "../support/openai.rs"]
mod openai;
mod serve;
mod tasks;
mod zwave;
mod zwave_daemon;
#[path = "../support/zwave_mock.rs"]
mod zwave_mock;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A scratch hub: a temp folder with a data dir and an optional config file.
pub struct Hub {
    dir: tempfile::TempDir,
}

impl Hub {
    pub fn scratch() -> Self {
        Hub {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn write_config(&self, text: &str) -> PathBuf {
        let p = self.dir.path().join("mirai.yaml");
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `mirai ARGS` run in the hub's folder with its data dir, in a clean environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mirai"));
        c.current_dir(self.dir.path())
            .arg("--data-dir")
            .arg(self.data())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // Test traffic stays on this machine: a model endpoint nobody listens on, unless
            // a test points it at its stand-in server.
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .env("MIRAI_MQTT__URL", "mqtt://127.0.0.1:9")
            .stdin(Stdio::null());
        // Keep coverage instrumentation working when the suite runs under cargo-llvm-cov.
        for (key, value) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("LLVM_PROFILE") {
                c.env(key, value);
            }
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.cmd(args).output().expect("mirai runs"))
    }
}

/// A finished run of `mirai`.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().expect("exited, not killed")
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.0.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout()))
    }

    /// Asserts exit code `code`, showing both streams when it is not.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

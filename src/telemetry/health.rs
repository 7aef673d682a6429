//! `mirai health`: the checks a person or a supervisor runs to see whether the hub can work.
//!
//! Each check is ok, a warning (works, but something needs a look) or a failure (the hub cannot
//! do its job); the report fails if any check does. Later subsystems add their own checks.

mod links;

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::llm::wire::{ChatMessage, ChatRequest};
use crate::llm::{Llm, LlmError, Role};
use crate::memory::{self, Memory};

/// Free space under which the data folder is a warning.
const DISK_WARN_BYTES: u64 = 256 << 20;
/// Free space under which SQLite may fail to write.
const DISK_FAIL_BYTES: u64 = 16 << 20;

/// The outcome of one check, or of the whole report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but needs a look.
    Warn,
    /// Cannot work.
    Fail,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// The outcome.
    pub status: Status,
    /// What was found, in words.
    pub detail: String,
}

/// All checks.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The worst status of any check.
    pub status: Status,
    /// Each check, in the order run.
    pub checks: Vec<Check>,
}

impl Report {
    /// Adds a check's outcome.
    pub fn push(&mut self, name: &'static str, status: Status, detail: impl Into<String>) {
        self.status = self.status.max(status);
        self.checks.push(Check {
            name,
            status,
            detail: detail.into(),
        });
    }

    /// Human-readable lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.checks {
            let mark = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            out.push_str(&format!("{mark}  {:<10} {}\n", c.name, c.detail));
        }
        let verdict = match self.status {
            Status::Ok => "healthy",
            Status::Warn => "healthy, with warnings",
            Status::Fail => "UNHEALTHY",
        };
        out.push_str(&format!("{verdict}\n"));
        out
    }
}

/// Runs every check for `config` (or reports why the config itself failed).
pub fn run(config: Result<&Config, String>, memory_settings: &memory::Settings) -> Report {
    let mut report = Report {
        status: Status::Ok,
        checks: Vec::new(),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            report.push("config", Status::Fail, e);
            return report;
        }
    };
    report.push("config", Status::Ok, format!("valid ({})", config.origin()));
    let dir = config.data_dir();
    match writable(dir) {
        Ok(()) => report.push(
            "data_dir",
            Status::Ok,
            format!("{} is writable", dir.display()),
        ),
        Err(e) => report.push("data_dir", Status::Fail, format!("{}: {e}", dir.display())),
    }
    check_disk(&mut report, dir);
    check_database(&mut report, &config.db_path(), memory_settings);
    match config.openai_key() {
        Some(k) => report.push("api_key", Status::Ok, format!("OpenAI key {}", describe(&k.source))),
        None => report.push(
            "api_key",
            Status::Warn,
            "no OpenAI key (set OPENAI_API_KEY or openai.api_key_file); the hub works without the model",
        ),
    }
    links::check_broker(&mut report, config);
    links::check_home_assistant(&mut report, config);
    report
}

fn describe(source: &crate::config::SecretSource) -> String {
    match source {
        crate::config::SecretSource::Env(v) => format!("set from {v}"),
        crate::config::SecretSource::File(f) => format!("set from file {f}"),
    }
}

/// How long the endpoint check waits for `/models`.
const LLM_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Adds the model checks: the endpoint answers `/models` (free), and with `say_ok` the fast
/// model answers "Say OK" (costs a few tokens). Unreachable is a warning (the hub works
/// offline); a rejected key is a failure (only a person can fix it).
pub fn check_llm(report: &mut Report, llm: &Llm, base_url: &str, say_ok: bool) {
    match llm.models(LLM_CHECK_TIMEOUT) {
        Ok(ids) => report.push(
            "llm",
            Status::Ok,
            format!("{base_url} answers: {} models", ids.len()),
        ),
        Err(LlmError::KeyMissing) => {}
        Err(e @ (LlmError::KeyRejected { .. } | LlmError::QuotaExhausted { .. })) => {
            report.push("llm", Status::Fail, e.to_string())
        }
        Err(e) => report.push(
            "llm",
            Status::Warn,
            format!("{e}; the hub works without the model"),
        ),
    }
    if !say_ok {
        return;
    }
    let request = ChatRequest::new(vec![ChatMessage::user("Say OK")]);
    match llm.chat(Role::Fast, &request) {
        Ok(a) => {
            let text = a.response.text.unwrap_or_default();
            let status = if text.to_uppercase().contains("OK") {
                Status::Ok
            } else {
                Status::Warn
            };
            let u = a.response.usage;
            report.push(
                "llm_reply",
                status,
                format!(
                    "{} said {text:?} ({} tokens, ${:.6}, {} attempt(s))",
                    a.response.model, u.total_tokens, a.cost_usd, a.attempts
                ),
            );
        }
        Err(e) => report.push("llm_reply", Status::Fail, e.to_string()),
    }
}

/// Creates `dir` if needed, then writes and removes a probe file in it.
fn writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".health-probe-{}", std::process::id()));
    std::fs::write(&probe, b"ok")?;
    std::fs::remove_file(&probe)
}

fn check_disk(report: &mut Report, dir: &Path) {
    match free_bytes(dir) {
        Ok(free) => {
            let mib = free >> 20;
            let status = if free < DISK_FAIL_BYTES {
                Status::Fail
            } else if free < DISK_WARN_BYTES {
                Status::Warn
            } else {
                Status::Ok
            };
            report.push("disk", status, format!("{mib} MiB free"));
        }
        Err(e) => report.push("disk", Status::Warn, format!("cannot tell free space: {e}")),
    }
}

fn check_database(report: &mut Report, path: &Path, settings: &memory::Settings) {
    let memory = match Memory::open(path, settings) {
        Ok(m) => m,
        Err(e) => return report.push("database", Status::Fail, chain(&e)),
    };
    match memory.quick_check() {
        Ok(problems) if problems.is_empty() => report.push(
            "database",
            Status::Ok,
            format!(
                "{} opens, schema v{}, quick_check ok",
                path.display(),
                memory::SCHEMA_VERSION
            ),
        ),
        Ok(problems) => report.push(
            "database",
            Status::Fail,
            format!(
                "{} fails quick_check: {}",
                path.display(),
                problems.join("; ")
            ),
        ),
        Err(e) => report.push("database", Status::Fail, chain(&e)),
    }
}

/// An error and its causes, `outer: inner: …`, for a one-line report.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

/// Free bytes for an unprivileged user on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let existing = dir
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("."));
    let existing = if existing.as_os_str().is_empty() {
        Path::new(".")
    } else {
        existing
    };
    let c_path = std::ffi::CString::new(existing.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` a valid out-pointer.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Env, Origin};

    fn config_in(dir: &Path, env: &Env) -> Config {
        Config::from_text("", Origin::Defaults, Some(dir), env).unwrap()
    }

    #[test]
    fn a_fresh_data_dir_is_healthy_with_a_warning_for_the_missing_key() {
        let tmp = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([("MIRAI_MQTT__ENABLED", "false")]);
        let cfg = config_in(&tmp.path().join("data"), &env);
        let report = run(Ok(&cfg), &memory::Settings::default());
        assert_eq!(report.status, Status::Warn, "{}", report.to_text());
        let names: Vec<_> = report.checks.iter().map(|c| c.name).collect();
        assert_eq!(names, ["config", "data_dir", "disk", "database", "api_key"]);
        assert!(tmp.path().join("data/mirai.db").exists());
    }

    #[test]
    fn a_key_makes_it_ok_and_a_bad_config_or_database_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([
            ("OPENAI_API_KEY", "sk-0123456789abcdefgh"),
            ("MIRAI_MQTT__ENABLED", "false"),
        ]);
        let cfg = config_in(tmp.path(), &env);
        assert_eq!(
            run(Ok(&cfg), &memory::Settings::default()).status,
            Status::Ok
        );
        std::fs::write(
            cfg.db_path(),
            b"this is not a database, it is a shopping list",
        )
        .unwrap();
        let report = run(Ok(&cfg), &memory::Settings::default());
        assert_eq!(report.status, Status::Fail);
        assert!(
            report.to_text().contains("FAIL  database"),
            "{}",
            report.to_text()
        );
        let report = run(Err("bad key".into()), &memory::Settings::default());
        assert_eq!(report.status, Status::Fail);
    }

    #[test]
    fn the_broker_is_checked_when_mqtt_is_on() {
        assert_eq!(
            links::broker_addr("mqtt://127.0.0.1").as_deref(),
            Some("127.0.0.1:1883")
        );
        assert_eq!(
            links::broker_addr("mqtt://u:p@hub.local:1884").as_deref(),
            Some("hub.local:1884")
        );
        assert_eq!(links::broker_addr("mqtt://"), None);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tmp = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([("MIRAI_MQTT__URL", format!("mqtt://127.0.0.1:{port}"))]);
        let cfg = config_in(tmp.path(), &env);
        let report = run(Ok(&cfg), &memory::Settings::default());
        let mqtt = report.checks.iter().find(|c| c.name == "mqtt").unwrap();
        assert_eq!(mqtt.status, Status::Ok, "{}", mqtt.detail);
        drop(listener);
        let report = run(Ok(&cfg), &memory::Settings::default());
        let mqtt = report.checks.iter().find(|c| c.name == "mqtt").unwrap();
        assert_eq!(mqtt.status, Status::Warn, "{}", mqtt.detail);
    }

    #[test]
    fn free_bytes_walks_up_to_an_existing_folder() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(free_bytes(&tmp.path().join("not/yet/there")).unwrap() > 0);
    }
}

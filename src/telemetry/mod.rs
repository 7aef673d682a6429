//! Telemetry: logs, health checks, build info and the hub's identity.
//!
//! - `logs`: the one subscriber, writing JSON or text lines to stderr and a log file;
//!   its sinks (`logs::sink`) and filter (`logs::filter`).
//! - `redact`: the scanner that blanks secrets out of every line, and (`redact::writer`)
//!   the writer wrapper that puts each sink's bytes through it.
//! - `rotate`: the log file, rotated by size.
//! - `health`: the checks behind `mirai health`.
//! - `systemd`: READY and WATCHDOG notifications for `Type=notify`.
//! - `version`: build facts for `mirai version`.
//! - `identity`: the hub's description of itself, `mirai_identity.json`.

pub mod health;
pub mod identity;
pub mod logs;
mod redact;
mod rotate;
pub mod systemd;
pub mod version;

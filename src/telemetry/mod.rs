//! Telemetry: logs, health checks, build info and the hub's identity.
//!
//! - `logs`: JSON or text lines to stderr and a size-rotated file, with secrets redacted
//!   (`redact`) and the file rotated by size (`rotate`).
//! - `health`: the checks behind `mirai health`.
//! - `version`: build facts for `mirai version`.
//! - `identity`: the hub's description of itself, `mirai_identity.json`.

pub mod health;
pub mod identity;
pub mod logs;
mod redact;
mod rotate;
pub mod version;

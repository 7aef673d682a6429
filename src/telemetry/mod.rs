//! Telemetry: logs, health checks, build info and the hub's identity.
//!
//! - `logs`: JSON or text lines to stderr and a size-rotated file, with secrets redacted.
//! - `health`: the checks behind `mirai health`.
//! - `version`: build facts for `mirai version`.
//! - `identity`: the hub's description of itself, `mirai_identity.json`.

pub mod health;
pub mod identity;
pub mod version;

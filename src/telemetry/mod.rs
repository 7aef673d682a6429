//! Telemetry: logs, health checks, build info and the hub's identity.

pub mod logs;
mod redact;
mod rotate;

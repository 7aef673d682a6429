//! Telemetry: logs, health checks, build info and the hub's identity.

//! Front ends: the ways people reach the agent. Each turns what it hears into a
//! [`Request`](crate::agent::Request) and shows the [`Reply`](crate::agent::Reply).
//!
//! - `http`: the daemon's HTTP server: the status page, the JSON API, metrics and probes.
//! - `hub`: the [`hub::Hub`] trait the daemon's front ends are given.
//! - `mqtt`: voice satellites and speakers over MQTT, plain and Rhasspy Hermes.
//! - `terminal`: `mirai terminal`, a REPL for SSH.

pub mod http;
pub mod hub;
pub mod mqtt;
pub mod terminal;

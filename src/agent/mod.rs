//! The agent: turns a request into a reply and actions.

pub mod intents;
mod request;

pub use request::{ActionReport, Reply, Request, Source};

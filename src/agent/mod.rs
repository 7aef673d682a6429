//! The agent: turns a request into a reply and actions.

mod request;

pub use request::{ActionReport, Reply, Request, Source};

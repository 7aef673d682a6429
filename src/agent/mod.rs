//! The agent: turns a request into a reply and actions.

mod request;
pub mod safety;

pub use request::{ActionReport, Reply, Request, Source};

//! The agent: turns a request into a reply and actions.

//! The one YAML config file.

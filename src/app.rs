//! Wiring: builds the parts a command needs from the command line and the config.

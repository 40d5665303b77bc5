//! The `dateline` binary's library half: configuration, opening the site and the server
//! lifecycle. `main.rs` parses the command line and calls in here; the integration tests call
//! the same functions, so they start the site exactly as the binary does.

pub mod config;
pub mod server;
pub mod site;

/// Errors that end a command: printed to the console, then exit 1.
pub type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

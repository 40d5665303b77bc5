//! Dateline's domain: the nouns of a newsroom, the rules that make a value of each valid, and the
//! pure functions that turn stored content into what readers see. No HTTP and no SQL live here.

pub mod actor;
pub mod age;
pub mod articles;
pub mod classifier;
pub mod clock;
pub mod comments;
pub mod error;
pub mod events;
pub mod feeds;
pub mod markdown;
pub mod media;
pub mod moderation;
pub mod pages;
pub mod patch;
pub mod permissions;
pub mod revisions;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod text;
pub mod topics;
pub mod users;
pub mod wire;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, Result};

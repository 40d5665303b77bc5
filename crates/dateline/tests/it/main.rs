//! Dateline's integration tests: one binary, so the link step runs once. Every story runs on a
//! temporary SQLite file and, when `DATELINE_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL
//! database; HTTP tests go through a real server on a loopback socket.

#![expect(clippy::unwrap_used, reason = "a test fails loudly where it unwraps")]

#[macro_use]
mod support;

mod actions;
mod admin_accounts;
mod admin_articles;
mod admin_media;
mod admin_moderation;
mod admin_settings;
mod api_accounts;
mod api_activity;
mod api_articles;
mod api_comments;
mod api_media;
mod api_newsroom;
mod architecture;
mod attack;
mod browser;
mod browser_comments;
mod browser_newsroom;
mod cli;
mod comment_intake;
mod comment_threads;
mod comment_trust;
mod concurrent;
mod connections;
mod explain;
mod feeds;
mod generate;
mod group_commit;
mod hostile;
mod media_library;
mod moderation_api;
mod navigation;
mod ops;
mod page_cache;
mod related;
mod scheduling;
mod search;
mod security;
mod seed;
mod seo;
mod site;
mod sitemaps;
mod store_story;

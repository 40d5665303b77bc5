//! Opening the site a command works on.

use std::sync::Arc;

use dateline_app::{App, bootstrap};
use dateline_core::Clock;
use dateline_store::{Backend, Db};

use crate::{
    Fallible,
    config::{Config, redact},
};

/// Opens an existing site for a command other than `serve` and `migrate`. A command run in
/// the wrong folder must not quietly create an empty site there, so a missing SQLite file or a
/// PostgreSQL database without Dateline's tables is refused, saying where it looked.
pub async fn open_existing(config: &Config, clock: Arc<dyn Clock>) -> Fallible<App> {
    let backend = Backend::from_url(&config.database_url)?;
    let nowhere = || {
        let place = match backend {
            Backend::Sqlite => sqlite_file(&config.database_url),
            Backend::Postgres => redact(&config.database_url),
        };
        format!("no Dateline site at {place}; pass --data or --database")
    };
    if backend == Backend::Sqlite
        && !std::path::Path::new(&sqlite_file(&config.database_url)).is_file()
    {
        return Err(nowhere().into());
    }
    let db = Db::connect(&config.database_url).await?;
    if !db.has_site().await? {
        db.close().await;
        return Err(nowhere().into());
    }
    Ok(bootstrap::open(db, clock, config.media_dir()).await?)
}

/// The file of a `sqlite://PATH?options` URL.
fn sqlite_file(url: &str) -> String {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest).to_owned()
}

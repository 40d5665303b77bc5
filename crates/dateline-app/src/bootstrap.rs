//! First-start preparation: migrations, the site's key, the initial time zone, the welcome
//! content of an empty site, search documents for articles older than search, and the one-time
//! setup link while the site has no owner. Safe when several processes start against one
//! database at once: each step claims its work through a unique key first.

use std::{path::PathBuf, sync::Arc};

use dateline_core::{
    Clock, Result,
    actor::Actor,
    articles::ArticleForm,
    comments::CommentForm,
    secrets::{hash_token, hex, new_token, random_bytes},
    settings::SettingKey,
    users::Role,
};
use dateline_store::Db;

use crate::{App, articles, comments, settings, users};

/// What preparation found or made.
pub struct Prepared {
    /// The actions, ready for the site.
    pub app: App,
    /// A fresh setup token while no owner exists; the link with it is printed on the console.
    pub setup_token: Option<String>,
}

/// Brings the database up to date and prepares an empty site. `time_zone` (from the
/// configuration) becomes the site's time zone only if it has none yet, so that a value
/// changed later by staff is not overruled at the next start.
pub async fn prepare(
    db: Db,
    clock: Arc<dyn Clock>,
    media_dir: PathBuf,
    time_zone: Option<&str>,
) -> Result<Prepared> {
    db.migrate().await?;
    // The site's key and the seeding claim are the system's own bookkeeping: secret or
    // meaningless to anyone else, they record no event.
    let mut tx = db.begin_write().await?;
    tx.init_setting(SettingKey::IpHashKey, &hex(&random_bytes::<32>()?))
        .await?;
    let ip_key = tx.setting(SettingKey::IpHashKey).await?.unwrap_or_default();
    let claim = hex(&random_bytes::<16>()?);
    let seed = tx.init_setting(SettingKey::Seeded, &claim).await?;
    tx.commit().await?;
    let app = App::new(db, clock, media_dir, ip_key.into_bytes());
    if let Some(tz) = time_zone {
        settings::initialise(&app, SettingKey::TimeZone, tz).await?;
    }
    if seed {
        seed_welcome(&app).await?;
    }
    // Comments written before e-mail hashes were kept get theirs, so that the first-time rule
    // and the desk's history know their writers.
    for (id, email) in app.db().comments_without_email_hash().await? {
        app.db()
            .set_comment_email_hash(id, &app.email_hash(&email))
            .await?;
    }
    index_articles_without_documents(&app).await?;
    let setup_token = if app.db().owner_exists().await? {
        None
    } else {
        let token = new_token()?;
        let mut tx = app.db().begin_write().await?;
        tx.set_setting(SettingKey::SetupTokenHash, &hash_token(&token))
            .await?;
        tx.commit().await?;
        Some(token)
    };
    Ok(Prepared { app, setup_token })
}

/// Articles given their search documents per transaction at start-up, so that a large site
/// holds the write lock in short turns.
const INDEX_BATCH: i64 = 100;

/// Articles written before search existed get their search documents (every later change
/// writes its own in its transaction). Derived data, like a cache: no event is recorded. Once
/// every article has one, [`SettingKey::SearchIndexed`] says so and later starts skip the look,
/// which tests every article (370 ms at 100,000).
async fn index_articles_without_documents(app: &App) -> Result<()> {
    if app.db().setting(SettingKey::SearchIndexed).await?.is_some() {
        return Ok(());
    }
    loop {
        let ids = app
            .db()
            .articles_without_search_document(INDEX_BATCH)
            .await?;
        let mut tx = app.db().begin_write().await?;
        for id in &ids {
            tx.index_article_if_missing(*id).await?;
        }
        if (ids.len() as i64) < INDEX_BATCH {
            tx.init_setting(SettingKey::SearchIndexed, "1").await?;
            tx.commit().await?;
            return Ok(());
        }
        tx.commit().await?;
    }
}

/// Opens the actions on an existing site, for a command run beside the server: applies pending
/// migrations and prepares nothing else (no welcome article, no setup link).
pub async fn open(db: Db, clock: Arc<dyn Clock>, media_dir: PathBuf) -> Result<App> {
    db.migrate().await?;
    let ip_key = db.setting(SettingKey::IpHashKey).await?.unwrap_or_default();
    Ok(App::new(db, clock, media_dir, ip_key.into_bytes()))
}

/// The account that signs the welcome article; it cannot log in.
const SYSTEM_EMAIL: &str = "system@dateline.invalid";

const WELCOME_BODY: &str = "\
Dateline is running. This article was written by the system on the first start, so that the \
front page is not empty; delete it whenever you like.

**Next steps**

1. Open the setup link printed on the console and create the owner account.
2. Create an API token: `dateline token create --email you@example.org`.
3. Publish through the API: `POST /api/v1/articles` (see `/api/v1/openapi.json`).

Readers can comment below without an account.
";

async fn seed_welcome(app: &App) -> Result<()> {
    if app.db().user_by_email(SYSTEM_EMAIL).await?.is_none() {
        users::add(
            app,
            &Actor::System,
            users::NewUser {
                name: "Dateline".to_owned(),
                email: SYSTEM_EMAIL.to_owned(),
                role: Role::Author,
                password: None,
                bio: "The Dateline publishing system, which writes the welcome article of a new site."
                    .to_owned(),
            },
        )
        .await?;
    }
    let article = articles::create(
        app,
        &Actor::System,
        &ArticleForm {
            title: "Welcome to Dateline".to_owned(),
            dek: Some("Your news site is ready for its first story.".to_owned()),
            body_markdown: WELCOME_BODY.to_owned(),
            status: "published".to_owned(),
            topics: Some(vec!["Dateline".to_owned()]),
            author_email: Some(SYSTEM_EMAIL.to_owned()),
            ..Default::default()
        },
    )
    .await?;
    comments::submit(
        app,
        &Actor::System,
        article.id,
        &CommentForm {
            author_name: "Dateline".to_owned(),
            body: "This is a sample comment. Readers' comments appear here, oldest first."
                .to_owned(),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

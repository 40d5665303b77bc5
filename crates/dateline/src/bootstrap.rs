//! First-start preparation: migrations, site secrets, the welcome content of an empty site and
//! the one-time setup link while the site has no owner.

use dateline_core::{
    articles::ArticleForm,
    comments::CommentForm,
    secrets::{hash_token, hex, new_token, random_bytes},
    text::Email,
    users::Role,
};
use dateline_store::Db;
use dateline_web::site::SETUP_TOKEN_KEY;
use jiff::Timestamp;

use crate::Fallible;

/// What preparation found or made.
#[derive(Debug)]
pub struct Prepared {
    /// A fresh setup token while no owner exists; the link with it is printed on the console.
    pub setup_token: Option<String>,
    /// Key for the keyed hash of readers' IP addresses.
    pub ip_key: Vec<u8>,
}

/// Settings key of the IP-hash key.
const IP_KEY: &str = "ip_hash_key";
/// Settings key recording that the welcome content was made (or claimed by another process).
const SEEDED_KEY: &str = "seeded";

/// Brings the database up to date and prepares an empty site. Idempotent, and safe when
/// several processes start against one database at once: each step claims its work through a
/// unique key first.
pub async fn prepare(db: &Db, now: Timestamp, time_zone: Option<&str>) -> Fallible<Prepared> {
    db.migrate().await?;
    let ip_key = db
        .setting_or_init(IP_KEY, &hex(&random_bytes::<32>()?))
        .await?;
    if let Some(tz) = time_zone {
        db.set_setting("time_zone", tz).await?;
    }
    let claim = hex(&random_bytes::<16>()?);
    if db.setting_or_init(SEEDED_KEY, &claim).await? == claim {
        seed_welcome(db, now).await?;
    }
    let setup_token = if db.owner_exists().await? {
        None
    } else {
        let token = new_token()?;
        db.set_setting(SETUP_TOKEN_KEY, &hash_token(&token)).await?;
        Some(token)
    };
    Ok(Prepared {
        setup_token,
        ip_key: ip_key.into_bytes(),
    })
}

const WELCOME_BODY: &str = "\
Dateline is running. This article was written by the system on the first start, so that the \
front page is not empty; delete it whenever you like.

**Next steps**

1. Open the setup link printed on the console and create the owner account.
2. Create an API token: `dateline token create --email you@example.org`.
3. Publish through the API: `POST /api/v1/articles` (see `/api/v1/openapi.json`).

Readers can comment below without an account.
";

async fn seed_welcome(db: &Db, now: Timestamp) -> Fallible<()> {
    let email = Email::parse("email", "system@dateline.invalid")?;
    let author = match db.user_by_email(email.as_str()).await? {
        Some(u) => u,
        None => {
            db.create_user(
                "Dateline",
                &email,
                Role::Author,
                None,
                "The Dateline publishing system, which writes the welcome article of a new site.",
                now,
            )
            .await?
        }
    };
    let article = ArticleForm {
        title: "Welcome to Dateline".to_owned(),
        dek: Some("Your news site is ready for its first story.".to_owned()),
        body_markdown: WELCOME_BODY.to_owned(),
        status: "published".to_owned(),
        topics: Some(vec!["Dateline".to_owned()]),
        ..Default::default()
    }
    .parse(now)?;
    let id = db.create_article(author.id, &article, now).await?;
    let comment = CommentForm {
        author_name: "Dateline".to_owned(),
        body: "This is a sample comment. Readers' comments appear here, oldest first.".to_owned(),
        ..Default::default()
    }
    .parse(now, true)?;
    db.insert_comment(id, &comment, None, None).await?;
    Ok(())
}

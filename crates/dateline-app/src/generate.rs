//! A realistic site made up from a seed, for the benchmark: authors, topics, articles with lead
//! images and sources, and comments (the busiest articles with several hundred). The same seed
//! makes the same site. Articles go through the article action, as staff write them (with
//! their events, revisions and search documents); comments are written in bulk as approved,
//! without an event each, because a benchmark of two hundred thousand would otherwise spend
//! its time making the site rather than measuring it.

use dateline_core::{
    Result,
    actor::Actor,
    articles::{ArticleForm, LeadImageForm, SourceForm},
    comments::CommentStatus,
    users::Role,
};
use dateline_store::NewComment;
use jiff::SignedDuration;

use crate::{App, articles, media, users};

/// How big a site to make.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Articles to publish.
    pub articles: usize,
    /// Comments to spread over them.
    pub comments: usize,
    /// The same seed makes the same site.
    pub seed: u64,
}

/// What was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    /// Articles published.
    pub articles: usize,
    /// Comments written.
    pub comments: usize,
    /// The most comments one article received.
    pub busiest: usize,
}

/// xorshift64*: small, fast, and the same everywhere for a seed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

const PLACES: &[&str] = &[
    "Baghdad",
    "Tehran",
    "Kabul",
    "Damascus",
    "Beirut",
    "Cairo",
    "Ankara",
    "Riyadh",
    "Amman",
    "Jerusalem",
    "Basra",
    "Mosul",
    "Erbil",
    "Herat",
    "Aleppo",
    "Doha",
];
const SUBJECTS: &[&str] = &[
    "Parliament",
    "The ministry",
    "Security forces",
    "Opposition groups",
    "The governor",
    "Protesters",
    "Negotiators",
    "The central bank",
    "Aid agencies",
    "The army",
];
const VERBS: &[&str] = &[
    "weighs",
    "rejects",
    "delays",
    "backs",
    "questions",
    "announces",
    "suspends",
    "expands",
    "investigates",
    "reverses",
];
const THINGS: &[&str] = &[
    "new election law",
    "oil revenue deal",
    "border crossings",
    "camp closure",
    "budget cuts",
    "prisoner exchange",
    "water agreement",
    "curfew",
    "reconstruction plan",
    "press rules",
];
const TOPICS: &[&str] = &[
    "Iraq",
    "Iran",
    "Syria",
    "Lebanon",
    "Egypt",
    "Turkey",
    "Afghanistan",
    "Jordan",
    "Energy",
    "Elections",
    "Diplomacy",
    "Human rights",
    "Refugees",
    "Economy",
    "Security",
    "Water",
    "Media",
    "Courts",
    "Health",
    "Education",
];
const OUTLETS: &[&str] = &[
    "New York Times",
    "Washington Post",
    "Associated Press",
    "Reuters",
    "BBC News",
    "Al Jazeera",
    "The Guardian",
    "Los Angeles Times",
    "McClatchy",
    "Financial Times",
];
const NAMES: &[&str] = &[
    "Ali", "Maryam", "Sam", "Noor", "Daniel", "Leila", "Omar", "Sara", "Hassan", "Julia", "Reza",
    "Dana", "Karim", "Mina", "Tom", "Yasmin",
];
const REMARKS: &[&str] = &[
    "Thanks for the report.",
    "The ministry's figures do not match what the wire services say.",
    "Which agreement is this based on?",
    "This leaves out what happened last year.",
    "A fair summary of the sources.",
    "I was there; the account is accurate.",
    "The second paragraph needs a correction.",
    "Good to see the original reporting cited.",
];

fn sentence(d: &mut Dice) -> String {
    format!(
        "{} in {} {} the {}, according to officials.",
        d.pick(SUBJECTS),
        d.pick(PLACES),
        d.pick(VERBS),
        d.pick(THINGS)
    )
}

/// A small picture of its own for lead images (plain colours, so that it costs little).
fn picture(d: &mut Dice) -> Result<Vec<u8>> {
    let (r, g, b) = (d.below(256) as u8, d.below(256) as u8, d.below(256) as u8);
    let img = image::RgbImage::from_fn(320, 200, |x, y| {
        image::Rgb([r ^ (x as u8), g ^ (y as u8), b])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| dateline_core::Error::Internal(format!("making a picture: {e}")))?;
    Ok(out.into_inner())
}

/// Makes the site described by `spec` on `app`.
pub async fn generate(app: &App, spec: Spec) -> Result<Made> {
    let mut d = Dice(spec.seed.max(1));
    let system = Actor::System;
    let mut authors = Vec::new();
    for i in 0..5 {
        let name = format!(
            "{} {}",
            d.pick(NAMES),
            ["Reporter", "Analyst", "Editor", "Writer", "Correspondent"][i]
        );
        let email = format!("generated-{}-{i}@example.org", spec.seed);
        let user = match app.db().user_by_email(&email).await? {
            Some(u) => u,
            None => {
                users::add(
                    app,
                    &system,
                    users::NewUser {
                        name,
                        email: email.clone(),
                        role: Role::Author,
                        password: None,
                        bio: "Writes about the region for this site.".to_owned(),
                    },
                )
                .await?
            }
        };
        authors.push((user, email));
    }
    let mut pictures = Vec::new();
    for i in 0..4 {
        pictures.push(
            media::upload(
                app,
                &system,
                picture(&mut d)?,
                &format!("generated-{i}.png"),
            )
            .await?,
        );
    }
    let now = app.now();
    let mut ids = Vec::with_capacity(spec.articles);
    for i in 0..spec.articles {
        let (_, email) = &authors[d.below(authors.len())];
        let picture = &pictures[d.below(pictures.len())];
        let topics = (0..1 + d.below(3))
            .map(|_| d.pick(TOPICS).to_owned())
            .collect();
        let sources = (0..1 + d.below(3))
            .map(|_| SourceForm {
                title: format!("{} {} {}", d.pick(PLACES), d.pick(VERBS), d.pick(THINGS)),
                author: Some(format!(
                    "{} {}",
                    d.pick(NAMES),
                    d.pick(&["Williams", "Londoño", "Ahmed", "Stein"])
                )),
                outlet: Some(d.pick(OUTLETS).to_owned()),
                url: Some(format!("https://news.example.com/{}/{i}", d.below(100_000))),
                published_at: None,
            })
            .collect();
        let body = (0..4)
            .map(|_| {
                (0..4)
                    .map(|_| sentence(&mut d))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        // Newest first: article i appeared i × 37 minutes ago.
        let published = now - SignedDuration::from_mins(37 * (i as i64 + 1));
        let form = ArticleForm {
            title: format!(
                "{} {} {} ({})",
                d.pick(SUBJECTS),
                d.pick(VERBS),
                d.pick(THINGS),
                i + 1
            ),
            dek: Some(sentence(&mut d)),
            body_markdown: body,
            slug: None,
            status: "published".to_owned(),
            published_at: Some(published.to_string()),
            author_email: Some(email.clone()),
            lead_image: Some(LeadImageForm {
                media_id: picture.id,
                caption: format!("{}, in a photograph from the scene", d.pick(PLACES)),
                alt: "A street scene".to_owned(),
                credit: Some("Photo: Dateline".to_owned()),
            }),
            sources: Some(sources),
            topics: Some(topics),
            comments_open: None,
        };
        let article = articles::create(app, &system, &form).await?;
        ids.push((article.id, published));
    }
    // Comments: the busiest one in a hundred articles take up to 400 each (half the comments
    // at most), the rest are spread evenly.
    let mut per_article = vec![0usize; ids.len()];
    if !ids.is_empty() {
        let busy = (ids.len() / 100).max(1);
        let mut left = spec.comments;
        let busy_share = (spec.comments / 2 / busy).min(400);
        for slot in per_article.iter_mut().take(busy) {
            *slot = busy_share;
            left -= busy_share;
        }
        let rest = ids.len() - busy;
        for k in 0..left {
            per_article[if rest == 0 { k % busy } else { busy + k % rest }] += 1;
        }
    }
    let mut batch = Vec::with_capacity(1000);
    let mut written = 0;
    for ((article_id, published), count) in ids.iter().zip(&per_article) {
        for c in 0..*count {
            batch.push(NewComment {
                article_id: *article_id,
                parent_id: None,
                author_name: d.pick(NAMES).to_owned(),
                author_email: None,
                body: format!("{} ({c})", d.pick(REMARKS)),
                status: CommentStatus::Approved,
                created_at: *published + SignedDuration::from_secs(60 * (c as i64 + 1)),
                ip_hash: None,
                user_agent: None,
                reasons: Vec::new(),
                email_hash: None,
                author_user_id: None,
            });
            if batch.len() == 1000 {
                written += write_comments(app, &mut batch).await?;
            }
        }
    }
    written += write_comments(app, &mut batch).await?;
    // A site made at once is read at once (by the benchmark): planned with what it holds.
    app.db().analyze().await?;
    Ok(Made {
        articles: ids.len(),
        comments: written,
        busiest: per_article.iter().copied().max().unwrap_or(0),
    })
}

async fn write_comments(app: &App, batch: &mut Vec<NewComment>) -> Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut tx = app.db().begin_write().await?;
    for c in batch.iter() {
        tx.insert_comment(c).await?;
    }
    tx.commit().await?;
    let n = batch.len();
    batch.clear();
    Ok(n)
}

//! What search engines read first: `robots.txt`, which keeps them out of the admin, the API and
//! search results and names the sitemaps; a sitemap index; article sitemaps of at most 50,000
//! addresses each; a sitemap of the list pages (home, topics, authors); and a Google News
//! sitemap of the last 48 hours. Only what readers may see is listed.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};
use dateline_core::{Error, articles::permalink, feeds::esc};
use jiff::{SignedDuration, Timestamp};

use super::feeds::respond;
use crate::{AppState, SiteError};

/// The most addresses one sitemap may hold (sitemaps.org).
pub const URLS_PER_SITEMAP: i64 = 50_000;
/// How far back a Google News sitemap reaches.
const NEWS_WINDOW: SignedDuration = SignedDuration::from_hours(48);
const XML: &str = "application/xml; charset=utf-8";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(index))
        .route("/sitemaps/{file}", get(sitemap))
}

/// `GET /robots.txt`
async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /api/\nDisallow: /search\n\n\
         Sitemap: {}\nSitemap: {}\n",
        state.absolute("/sitemap.xml"),
        state.absolute("/sitemaps/news.xml"),
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// How many article sitemaps `total` articles fill (one, even when there are none).
pub fn article_sitemaps(total: i64) -> i64 {
    ((total + URLS_PER_SITEMAP - 1) / URLS_PER_SITEMAP).max(1)
}

fn w3c(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `GET /sitemap.xml`: the index of the others.
async fn index(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, SiteError> {
    let now = state.now();
    let (total, latest) = state.db().visible_article_totals(now).await?;
    let latest = latest.unwrap_or(now);
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut entry = |path: String| {
        x.push_str(&format!(
            "  <sitemap>\n    <loc>{}</loc>\n    <lastmod>{}</lastmod>\n  </sitemap>\n",
            esc(&state.absolute(&path)),
            w3c(latest)
        ));
    };
    entry("/sitemaps/pages.xml".to_owned());
    for n in 1..=article_sitemaps(total) {
        entry(format!("/sitemaps/articles-{n}.xml"));
    }
    entry("/sitemaps/news.xml".to_owned());
    x.push_str("</sitemapindex>\n");
    Ok(respond(&headers, XML, latest, x))
}

/// `GET /sitemaps/{file}`: `pages.xml`, `articles-N.xml` or `news.xml`.
async fn sitemap(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let now = state.now();
    let settings = state.site_settings().await?;
    let tz = settings.tz();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut latest = Timestamp::UNIX_EPOCH;
    let mut url = |x: &mut String, path: &str, lastmod: Timestamp, extra: &str| {
        latest = latest.max(lastmod);
        x.push_str(&format!(
            "  <url>\n    <loc>{}</loc>\n    <lastmod>{}</lastmod>\n{extra}  </url>\n",
            esc(&state.absolute(path)),
            w3c(lastmod)
        ));
    };
    const URLSET: &str = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    match file.as_str() {
        "pages.xml" => {
            x.push_str(URLSET);
            let (_, newest) = state.db().visible_article_totals(now).await?;
            url(&mut x, "/", newest.unwrap_or(now), "");
            // The indexes of topics and of cited outlets change with the articles.
            url(&mut x, "/topics/", newest.unwrap_or(now), "");
            url(&mut x, "/sources/", newest.unwrap_or(now), "");
            for t in state.db().topic_locations(now).await? {
                url(&mut x, &format!("/topics/{}/", t.slug), t.latest, "");
            }
            for a in state.db().author_locations(now).await? {
                url(&mut x, &format!("/authors/{}/", a.slug), a.latest, "");
            }
        }
        "news.xml" => {
            x.push_str(
                "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
                 xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
            );
            let recent = state
                .db()
                .article_locations(now, Some(now - NEWS_WINDOW), 1000, 0)
                .await?;
            for a in recent.iter().rev() {
                let news = format!(
                    "    <news:news>\n      <news:publication>\n        <news:name>{}</news:name>\n        \
                     <news:language>{}</news:language>\n      </news:publication>\n      \
                     <news:publication_date>{}</news:publication_date>\n      \
                     <news:title>{}</news:title>\n    </news:news>\n",
                    esc(&settings.title),
                    esc(&settings.language),
                    w3c(a.published_at),
                    esc(&a.title)
                );
                url(
                    &mut x,
                    &permalink(a.published_at, &a.slug, &tz),
                    a.updated_at.max(a.published_at),
                    &news,
                );
            }
        }
        other => {
            let n = other
                .strip_prefix("articles-")
                .and_then(|rest| rest.strip_suffix(".xml"))
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n >= 1)
                .ok_or(Error::NotFound)?;
            let (total, _) = state.db().visible_article_totals(now).await?;
            if n > article_sitemaps(total) {
                return Err(SiteError(Error::NotFound));
            }
            x.push_str(URLSET);
            let page = state
                .db()
                .article_locations(now, None, URLS_PER_SITEMAP, (n - 1) * URLS_PER_SITEMAP)
                .await?;
            for a in page {
                url(
                    &mut x,
                    &permalink(a.published_at, &a.slug, &tz),
                    a.updated_at.max(a.published_at),
                    "",
                );
            }
        }
    }
    x.push_str("</urlset>\n");
    let updated = if latest == Timestamp::UNIX_EPOCH {
        now
    } else {
        latest
    };
    Ok(respond(&headers, XML, updated, x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_thousand_addresses_to_a_sitemap() {
        assert_eq!(article_sitemaps(0), 1);
        assert_eq!(article_sitemaps(50_000), 1);
        assert_eq!(article_sitemaps(50_001), 2);
        assert_eq!(article_sitemaps(120_000), 3);
    }
}

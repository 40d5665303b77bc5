//! Searching published articles, as readers do from the site and the API: the query parsed and
//! the filters checked once, here, for both. Only what readers may read is ever searched
//! ([`ArticleFilter::readers`]), whoever asks.

use dateline_core::{
    Error, Result,
    articles::Article,
    search::{Highlighted, SearchQuery, text_of_html},
    text::Slug,
};
use dateline_store::ArticleFilter;
use jiff::{Timestamp, civil::Date, tz::TimeZone};

use crate::App;

/// About how many characters of an article an excerpt shows.
pub const EXCERPT_CHARS: usize = 240;

/// What a reader asks for, as typed; [`search`] checks it.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The words and quoted phrases to find.
    pub q: String,
    /// Only articles filed under this topic (its slug).
    pub topic: Option<String>,
    /// Only articles by this author (their slug).
    pub author: Option<String>,
    /// Only articles published on or after this day (`YYYY-MM-DD`, in the site's time zone).
    pub from: Option<String>,
    /// Only articles published on or before this day (`YYYY-MM-DD`, in the site's time zone).
    pub to: Option<String>,
}

/// An article found, with its title and an excerpt, the matched words marked.
#[derive(Debug)]
pub struct SearchHit {
    /// The article as readers see it.
    pub article: Article,
    /// Its title, marked.
    pub title: Highlighted,
    /// A stretch of its body (or of its dek, when only that matched), marked.
    pub excerpt: Highlighted,
}

/// One page of what a search found.
#[derive(Debug, Default)]
pub struct SearchResults {
    /// The articles found on this page, best first.
    pub hits: Vec<SearchHit>,
    /// How many articles were found, up to
    /// [`SEARCH_RANKED`](dateline_store::SEARCH_RANKED); only those can be paged to.
    pub total: i64,
    /// Whether more were found than `total` counts.
    pub more: bool,
}

/// The checked filters of a request.
#[derive(Debug)]
struct Filters {
    topic: Option<String>,
    author: Option<String>,
    period: Option<(Timestamp, Timestamp)>,
}

/// Checks a request's filters, naming the one at fault: a malformed slug or date, or a period
/// that ends before it begins. The query itself is never at fault: whatever cannot be searched
/// for finds nothing.
fn check(request: &SearchRequest, tz: &TimeZone) -> Result<Filters> {
    let slug = |field: &str, value: &Option<String>| -> Result<Option<String>> {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| Slug::parse(field, v).map(|s| s.to_string()))
            .transpose()
    };
    let day = |field: &str, value: &Option<String>| -> Result<Option<Date>> {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| parse_day(field, v))
            .transpose()
    };
    let (from, to) = (day("from", &request.from)?, day("to", &request.to)?);
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(Error::invalid(
            "to",
            "The end date (to) is before the start date (from): swap them.",
        ));
    }
    let start = |d: Date| {
        d.to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| Error::invalid("from", "Use a date between the years 1 and 9998."))
    };
    let period = match (from, to) {
        (None, None) => None,
        (from, to) => {
            let begin = from.map_or(Ok(Timestamp::MIN), start)?;
            let end = match to {
                Some(to) => to
                    .tomorrow()
                    .map_err(|_| Error::invalid("to", "Use a date before the year 9999."))
                    .and_then(start)?,
                None => Timestamp::MAX,
            };
            Some((begin, end))
        }
    };
    Ok(Filters {
        topic: slug("topic", &request.topic)?,
        author: slug("author", &request.author)?,
        period,
    })
}

/// A day written `YYYY-MM-DD`; an error names `field`.
pub fn parse_day(field: &str, value: &str) -> Result<Date> {
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| value.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| {
            let which = if field == "to" { "end" } else { "start" };
            Error::invalid(
                field,
                format!(
                    "The {which} date ({field}) must be written YYYY-MM-DD, such as 2009-07-31."
                ),
            )
        })
}

/// Searches what readers may read now for `request.q`, within its filters: one page of `limit`
/// articles after `offset`, those whose title holds the whole query first, among the
/// [`SEARCH_RANKED`](dateline_store::SEARCH_RANKED) matches written last. Dates are days in
/// the site's time zone. A query with nothing to search for (empty, only punctuation or
/// operators, too long) finds nothing; a malformed filter is refused naming it.
pub async fn search(
    app: &App,
    request: &SearchRequest,
    limit: i64,
    offset: i64,
) -> Result<SearchResults> {
    let tz = app.db().site_settings().await?.tz();
    let filters = check(request, &tz)?;
    let query = SearchQuery::parse(&request.q);
    if query.is_empty() {
        return Ok(SearchResults::default());
    }
    let mut filter = ArticleFilter::readers(app.now());
    if let Some(topic) = filters.topic {
        filter = filter.in_topic(topic);
    }
    if let Some(author) = filters.author {
        // Nobody by that slug has written anything: no results, as for an unknown topic.
        let id = app.db().user_by_slug(&author).await?.map_or(-1, |u| u.id);
        filter = filter.by_author(id);
    }
    if let Some((from, to)) = filters.period {
        filter = filter.published_between(from, to);
    }
    let found = app
        .db()
        .search_articles(&filter, &query, limit, offset)
        .await?;
    let hits = found
        .articles
        .into_iter()
        .map(|article| {
            let body = query.excerpt(&text_of_html(&article.body_html), EXCERPT_CHARS);
            let dek = query.excerpt(&article.dek, EXCERPT_CHARS);
            SearchHit {
                title: query.highlight(&article.title),
                excerpt: if !body.has_marks() && dek.has_marks() {
                    dek
                } else {
                    body
                },
                article,
            }
        })
        .collect();
    Ok(SearchResults {
        hits,
        total: found.total,
        more: found.more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(from: Option<&str>, to: Option<&str>) -> SearchRequest {
        SearchRequest {
            q: "x".to_owned(),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn periods_are_whole_days_in_the_site_time_zone() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let f = check(&request(Some("2009-07-31"), Some("2009-07-31")), &tz).unwrap();
        let (from, to) = f.period.unwrap();
        assert_eq!(from.to_string(), "2009-07-31T04:00:00Z");
        assert_eq!(to.to_string(), "2009-08-01T04:00:00Z");
        let f = check(&request(None, Some("2009-07-31")), &tz).unwrap();
        assert_eq!(f.period.unwrap().0, Timestamp::MIN);
        assert!(check(&request(None, None), &tz).unwrap().period.is_none());
    }

    #[test]
    fn malformed_filters_name_their_parameter() {
        let tz = TimeZone::UTC;
        for (from, to, field) in [
            (Some("31/07/2009"), None, "from"),
            (Some("2009-7-31"), None, "from"),
            (None, Some("2009-02-30"), "to"),
            (None, Some("20090731"), "to"),
            (Some("2009-08-01"), Some("2009-07-31"), "to"),
        ] {
            match check(&request(from, to), &tz) {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{from:?} {to:?}: {other:?}"),
            }
        }
        let bad_topic = SearchRequest {
            topic: Some("Camp Ashraf\0".to_owned()),
            ..Default::default()
        };
        assert!(matches!(
            check(&bad_topic, &tz),
            Err(Error::Invalid { field, .. }) if field == "topic"
        ));
    }
}

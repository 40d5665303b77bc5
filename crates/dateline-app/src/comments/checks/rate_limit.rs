//! Token buckets per address (an IPv6 /64) and per article: a person may post a few comments in
//! a row, then at the site's hourly rate; a flood is refused with the time to wait (429). The
//! buckets live in the database and change in the comment's transaction, so the limits hold
//! across every process on PostgreSQL: the intake reads (and locks) the buckets of a batch once,
//! takes tokens from them here as each comment is stored, and writes them back before commit.

use dateline_core::{
    Error,
    moderation::{ADDRESS_BURST, ARTICLE_BURST, CommentRules, Verdict},
};
use dateline_store::RateBucket;
use jiff::Timestamp;

use super::Submission;

/// A bucket a comment takes a token from: its key, how many tokens it holds at most, and how
/// many it gains a second.
pub(crate) struct Bucket {
    pub key: String,
    pub capacity: f64,
    pub per_second: f64,
}

/// The buckets of a comment from network `network_hash` on article `article_id`, in the order
/// they are taken from: the address's, then the article's.
pub(crate) fn buckets(network_hash: &str, article_id: i64, rules: &CommentRules) -> [Bucket; 2] {
    let bucket = |key: String, hourly: u32, burst: f64| Bucket {
        key,
        // A quarter of an hour's worth at once, and never less than the burst.
        capacity: (f64::from(hourly) / 4.0).max(burst),
        per_second: f64::from(hourly) / 3600.0,
    };
    [
        bucket(
            format!("comment:net:{network_hash}"),
            rules.per_address_hourly,
            ADDRESS_BURST,
        ),
        bucket(
            format!("comment:article:{article_id}"),
            rules.per_article_hourly,
            ARTICLE_BURST,
        ),
    ]
}

/// Takes one token at `now` from a bucket as it stands (`None`: it does not exist yet, and
/// starts full): the bucket after, or the whole seconds until it holds a token. A bucket is
/// refilled for the time since it last changed (never backwards: comments of one batch may
/// carry times a little out of order), up to its capacity. The arithmetic is the one the
/// database did when it took tokens in SQL, operation for operation, so that the same comments
/// get the same answers.
pub(crate) fn take(
    bucket: Option<RateBucket>,
    b: &Bucket,
    now: Timestamp,
) -> Result<RateBucket, u64> {
    let now_us = dateline_core::clock::to_micros(now);
    let Some(stored) = bucket else {
        return Ok(RateBucket {
            tokens: b.capacity - 1.0,
            updated_at: now_us,
        });
    };
    let since = if now_us > stored.updated_at {
        now_us - stored.updated_at
    } else {
        0
    };
    let refilled = stored.tokens + b.per_second / 1_000_000.0 * since as f64;
    if refilled >= 1.0 {
        return Ok(RateBucket {
            tokens: (if refilled > b.capacity {
                b.capacity
            } else {
                refilled
            }) - 1.0,
            updated_at: now_us.max(stored.updated_at),
        });
    }
    let elapsed = (now_us - stored.updated_at).max(0) as f64 / 1_000_000.0;
    let tokens = (stored.tokens + elapsed * b.per_second).min(b.capacity);
    let wait = ((1.0 - tokens) / b.per_second).ceil().max(1.0);
    Err(wait as u64)
}

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    match s.found.rate_limited {
        Some(wait) => Verdict::Refuse(Error::TooManyRequests {
            retry_after_secs: wait,
        }),
        None => Verdict::Pass,
    }
}

//! Token buckets per address (an IPv6 /64) and per article: a person may post a few comments in
//! a row, then at the site's hourly rate; a flood is refused with the time to wait (429). The
//! buckets live in the database and change in the comment's transaction, so the limits hold
//! across every process on PostgreSQL.

use dateline_core::{
    Error,
    moderation::{ADDRESS_BURST, ARTICLE_BURST, Verdict},
};
use dateline_store::WriteTx;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move {
        let buckets = [
            (
                format!("comment:net:{}", s.network_hash),
                s.rules.per_address_hourly,
                ADDRESS_BURST,
            ),
            (
                format!("comment:article:{}", s.article.id),
                s.rules.per_article_hourly,
                ARTICLE_BURST,
            ),
        ];
        for (key, hourly, burst) in buckets {
            // A quarter of an hour's worth at once, and never less than the burst.
            let capacity = (f64::from(hourly) / 4.0).max(burst);
            let per_second = f64::from(hourly) / 3600.0;
            if let Some(wait) = tx.take_token(&key, capacity, per_second, s.now).await? {
                return Ok(Verdict::Refuse(Error::TooManyRequests {
                    retry_after_secs: wait,
                }));
            }
        }
        Ok(Verdict::Pass)
    })
}

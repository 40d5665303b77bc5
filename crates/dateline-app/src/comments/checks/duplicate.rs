//! The same text on the same article within a day is refused: a double press, or a robot.

use dateline_core::{Error, moderation::Verdict};
use dateline_store::WriteTx;
use jiff::SignedDuration;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move {
        let since = s.now - SignedDuration::from_hours(24);
        Ok(
            if tx
                .has_recent_comment(s.article.id, &s.input.body, since)
                .await?
            {
                Verdict::Refuse(Error::invalid(
                    "body",
                    "You have already posted this comment here.",
                ))
            } else {
                Verdict::Pass
            },
        )
    })
}

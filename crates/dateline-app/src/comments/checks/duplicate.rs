//! The same text on the same article within a day is refused: a double press, or a robot.

use dateline_core::{Error, moderation::Verdict};
use jiff::{SignedDuration, Timestamp};

use super::Submission;

/// Since when the same text on the same article counts as the same comment.
pub(crate) fn since(now: Timestamp) -> Timestamp {
    now - SignedDuration::from_hours(24)
}

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    if s.found.duplicate {
        Verdict::Refuse(Error::invalid(
            "body",
            "You have already posted this comment here.",
        ))
    } else {
        Verdict::Pass
    }
}

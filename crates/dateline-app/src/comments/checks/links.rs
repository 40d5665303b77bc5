//! More links than the site allows holds a comment: link spam is the commonest kind.

use dateline_core::moderation::{Verdict, count_links};

use super::Submission;

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    let n = count_links(&s.input.body);
    let max = s.rules.max_links;
    if n > max {
        Verdict::Hold(format!("{n} links > {max}"))
    } else {
        Verdict::Pass
    }
}

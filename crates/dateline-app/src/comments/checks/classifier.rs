//! The site's own spam classifier ([`crate::comments::classifier`]), which learned from its
//! moderators' decisions; silent until it has seen enough of both kinds.

use dateline_core::{classifier::Judgement, moderation::Verdict};

use super::Submission;

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    match s.found.judgement {
        Judgement::Silent | Judgement::Pass(_) => Verdict::Pass,
        Judgement::Hold(p) => Verdict::Hold(dateline_core::classifier::reason(p)),
        Judgement::Spam(p) => Verdict::Spam(dateline_core::classifier::reason(p)),
    }
}

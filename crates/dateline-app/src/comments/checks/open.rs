//! A closed thread takes no new comments: the article's own switch, or the site's rule that
//! closes articles older than so many days. Its comments stay on the page.

use dateline_core::{Error, moderation::Verdict};

use super::Submission;

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    if crate::comments::open_for_comments(s.article, s.rules, s.now) {
        Verdict::Pass
    } else {
        Verdict::Refuse(Error::Forbidden("Comments on this article are closed."))
    }
}

//! Writers a moderator blocked, by their e-mail address or their address: their comments are
//! stored as spam, and they are answered as anyone else, so that a block teaches them nothing.

use dateline_core::moderation::Verdict;

use super::Submission;

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    match s.found.blocked_as.as_deref() {
        Some("email") => Verdict::Spam("blocked e-mail address".to_owned()),
        Some(_) => Verdict::Spam("blocked address".to_owned()),
        None => Verdict::Pass,
    }
}

//! Trust is earned: with the site's default policy, a commenter's comments wait for a
//! moderator until one of them has been approved (known by the keyed hash of their e-mail
//! address). A site may hold every comment, or none.

use dateline_core::{moderation::Verdict, settings::FirstTimePolicy};

use super::Submission;

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    match s.rules.first_time {
        FirstTimePolicy::HoldNone => Verdict::Pass,
        FirstTimePolicy::HoldAll => {
            Verdict::Hold("every comment waits for a moderator on this site".to_owned())
        }
        FirstTimePolicy::HoldFirstTime => match s.email_hash {
            None => Verdict::Hold("no e-mail address, so no history to go by".to_owned()),
            Some(_) if s.found.approved_before => Verdict::Pass,
            Some(_) => Verdict::Hold("first comment from this e-mail".to_owned()),
        },
    }
}

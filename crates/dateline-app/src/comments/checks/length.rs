//! The site's longest comment (a setting; the form and the API say the same).

use dateline_core::{Error, moderation::Verdict};

use super::Submission;

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    let n = s.input.body.chars().count();
    if n > s.rules.max_chars {
        Verdict::Refuse(Error::invalid(
            "body",
            format!(
                "Keep your comment to {} characters; it has {n}.",
                s.rules.max_chars
            ),
        ))
    } else {
        Verdict::Pass
    }
}

//! The site's longest comment (a setting; the form and the API say the same).

use dateline_core::{Error, moderation::Verdict};
use dateline_store::WriteTx;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, _tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move {
        let n = s.input.body.chars().count();
        Ok(if n > s.rules.max_chars {
            Verdict::Refuse(Error::invalid(
                "body",
                format!(
                    "Keep your comment to {} characters; it has {n}.",
                    s.rules.max_chars
                ),
            ))
        } else {
            Verdict::Pass
        })
    })
}

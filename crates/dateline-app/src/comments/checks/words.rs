//! The site's word lists, matched on the name, the e-mail address and the text: a spam word
//! marks the comment as spam, a hold word holds it.

use dateline_core::moderation::{Verdict, first_match};
use dateline_store::WriteTx;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, _tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move {
        let email = s
            .input
            .author_email
            .as_ref()
            .map(|e| e.as_str())
            .unwrap_or("");
        let text = format!("{}\n{}\n{}", s.input.author_name, email, s.input.body);
        if let Some(w) = first_match(&text, &s.rules.spam_words) {
            return Ok(Verdict::Spam(format!("matched spam word '{w}'")));
        }
        if let Some(w) = first_match(&text, &s.rules.hold_words) {
            return Ok(Verdict::Hold(format!("matched hold word '{w}'")));
        }
        Ok(Verdict::Pass)
    })
}

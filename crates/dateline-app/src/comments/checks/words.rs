//! The site's word lists, matched on the name, the e-mail address and the text: a spam word
//! marks the comment as spam, a hold word holds it.

use dateline_core::moderation::{Verdict, Words};

use super::Submission;

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    let email = s
        .input
        .author_email
        .as_ref()
        .map(|e| e.as_str())
        .unwrap_or("");
    let text = format!("{}\n{}\n{}", s.input.author_name, email, s.input.body);
    let words = Words::of(&text);
    if let Some(w) = words.first_match(&s.rules.spam_words) {
        return Verdict::Spam(format!("matched spam word '{w}'"));
    }
    if let Some(w) = words.first_match(&s.rules.hold_words) {
        return Verdict::Hold(format!("matched hold word '{w}'"));
    }
    Verdict::Pass
}

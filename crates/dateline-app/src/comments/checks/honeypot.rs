//! A field people never see (hidden from sight and from screen readers) and so leave empty;
//! form-filling robots fill it.

use dateline_core::moderation::Verdict;

use super::Submission;

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    match s.form {
        Some(f) if !f.honeypot.trim().is_empty() => {
            Verdict::Spam("filled in the hidden field that people leave empty".to_owned())
        }
        _ => Verdict::Pass,
    }
}

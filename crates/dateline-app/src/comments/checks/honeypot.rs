//! A field people never see (hidden from sight and from screen readers) and so leave empty;
//! form-filling robots fill it.

use dateline_core::moderation::Verdict;
use dateline_store::WriteTx;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, _tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move { Ok(verdict(s)) })
}

fn verdict(s: &Submission<'_>) -> Verdict {
    match s.form {
        Some(f) if !f.honeypot.trim().is_empty() => {
            Verdict::Spam("filled in the hidden field that people leave empty".to_owned())
        }
        _ => Verdict::Pass,
    }
}

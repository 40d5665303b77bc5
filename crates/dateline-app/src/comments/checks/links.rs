//! More links than the site allows holds a comment: link spam is the commonest kind.

use dateline_core::moderation::{Verdict, count_links};
use dateline_store::WriteTx;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, _tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move {
        let n = count_links(&s.input.body);
        let max = s.rules.max_links;
        Ok(if n > max {
            Verdict::Hold(format!("{n} links > {max}"))
        } else {
            Verdict::Pass
        })
    })
}

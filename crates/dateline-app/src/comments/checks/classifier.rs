//! The site's own spam classifier ([`crate::comments::classifier`]), which learned from its
//! moderators' decisions; silent until it has seen enough of both kinds.

use dateline_core::{
    classifier::{self, Judgement},
    moderation::Verdict,
};
use dateline_store::WriteTx;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move {
        let text = crate::comments::classifier::text_of(
            &s.input.author_name,
            s.input.author_email.as_ref().map(|e| e.as_str()),
            &s.input.body,
        );
        let features = classifier::features(&text);
        let (examples, counts) = tx.classifier_counts(&features).await?;
        Ok(match classifier::judge(examples, &counts) {
            Judgement::Silent | Judgement::Pass(_) => Verdict::Pass,
            Judgement::Hold(p) => Verdict::Hold(classifier::reason(p)),
            Judgement::Spam(p) => Verdict::Spam(classifier::reason(p)),
        })
    })
}

//! Writers a moderator blocked, by their e-mail address or their address: their comments are
//! stored as spam, and they are answered as anyone else, so that a block teaches them nothing.

use dateline_core::moderation::Verdict;
use dateline_store::WriteTx;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move {
        Ok(
            match tx
                .blocked_as(s.email_hash, s.address_hash, s.now)
                .await?
                .as_deref()
            {
                Some("email") => Verdict::Spam("blocked e-mail address".to_owned()),
                Some(_) => Verdict::Spam("blocked address".to_owned()),
                None => Verdict::Pass,
            },
        )
    })
}

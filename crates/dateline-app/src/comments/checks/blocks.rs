//! Writers a moderator blocked, by their e-mail address or their address: their comments are
//! stored as spam, and they are answered as anyone else, so that a block teaches them nothing.

use dateline_core::moderation::Verdict;
use dateline_store::WriteTx;

use super::{Checked, Submission};

pub(crate) fn check<'a>(s: &'a Submission<'a>, tx: &'a mut WriteTx) -> Checked<'a> {
    Box::pin(async move {
        if let Some(email) = s.email_hash
            && tx.is_blocked("email", email, s.now).await?
        {
            return Ok(Verdict::Spam("blocked e-mail address".to_owned()));
        }
        if tx.is_blocked("address", s.address_hash, s.now).await? {
            return Ok(Verdict::Spam("blocked address".to_owned()));
        }
        Ok(Verdict::Pass)
    })
}

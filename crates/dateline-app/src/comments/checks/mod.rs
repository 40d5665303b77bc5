//! The checks a reader's comment goes through, in order, whichever surface it came by (the
//! form under an article or the API). Each is a small unit that returns a [`Verdict`] with a
//! reason a moderator can read; adding one is a file here and a line in [`PIPELINE`].

mod blocks;
mod classifier;
mod duplicate;
mod first_time;
mod form_timing;
mod honeypot;
mod length;
mod links;
mod open;
mod rate_limit;
mod words;

use std::{future::Future, pin::Pin};

use dateline_core::{
    Result,
    articles::Article,
    comments::{CommentInput, CommentStatus},
    moderation::{CommentRules, Verdict},
};
use dateline_store::WriteTx;
use jiff::Timestamp;

/// What the form under an article adds to a comment (the API has none of it).
#[derive(Debug, Clone, Default)]
pub struct FormFacts {
    /// The field people never see and leave empty.
    pub honeypot: String,
    /// The signed token saying when the form was shown ([`crate::comments::form_token`]).
    pub token: String,
}

/// When the form a comment came by was shown, as its token says.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FormShown {
    /// It came by the API, which has no form.
    NoForm,
    /// The form was sent without its token.
    Missing,
    /// The token was not one this site signed.
    Forged,
    /// The form was shown then.
    At(Timestamp),
}

/// A comment on its way in, with what the checks may need to know.
pub(crate) struct Submission<'a> {
    pub article: &'a Article,
    /// Keyed hash of the sender's network (the address, or its IPv6 /64).
    pub network_hash: &'a str,
    /// Keyed hash of the sender's address.
    pub address_hash: &'a str,
    /// Keyed hash of the e-mail address given, if one was.
    pub email_hash: Option<&'a str>,
    pub input: &'a CommentInput,
    pub form: Option<&'a FormFacts>,
    pub form_shown: FormShown,
    pub rules: &'a CommentRules,
    pub now: Timestamp,
}

type Checked<'a> = Pin<Box<dyn Future<Output = Result<Verdict>> + Send + 'a>>;

/// One check: it reads the submission and, within the comment's transaction, the database.
pub(crate) type Check = for<'a> fn(&'a Submission<'a>, &'a mut WriteTx) -> Checked<'a>;

/// The checks, in the order they run: refusals that a person can act on first, then the
/// limits, then what marks spam, then what holds.
pub(crate) const PIPELINE: &[(&str, Check)] = &[
    ("open thread", open::check),
    ("length", length::check),
    ("rate limit", rate_limit::check),
    ("blocks", blocks::check),
    ("honeypot", honeypot::check),
    ("form timing", form_timing::check),
    ("duplicate", duplicate::check),
    ("links", links::check),
    ("words", words::check),
    ("classifier", classifier::check),
    ("first time", first_time::check),
];

/// What the checks decided together: the status the comment is stored with, and every reason.
pub(crate) struct Outcome {
    pub status: CommentStatus,
    pub reasons: Vec<String>,
}

/// Runs every check; the first refusal stops the intake, a spam verdict outweighs a hold, and
/// each reason is kept.
pub(crate) async fn run(s: &Submission<'_>, tx: &mut WriteTx) -> Result<Outcome> {
    let mut outcome = Outcome {
        status: CommentStatus::Approved,
        reasons: Vec::new(),
    };
    for (_, check) in PIPELINE {
        match check(s, tx).await? {
            Verdict::Pass => {}
            Verdict::Hold(reason) => {
                if outcome.status != CommentStatus::Spam {
                    outcome.status = CommentStatus::Pending;
                }
                outcome.reasons.push(reason);
            }
            Verdict::Spam(reason) => {
                outcome.status = CommentStatus::Spam;
                outcome.reasons.push(reason);
            }
            Verdict::Refuse(error) => return Err(error),
        }
    }
    Ok(outcome)
}

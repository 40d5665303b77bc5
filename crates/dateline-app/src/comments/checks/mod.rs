//! The checks a reader's comment goes through, in order, whichever surface it came by (the
//! form under an article or the API). Each is a small unit that returns a [`Verdict`] with a
//! reason a moderator can read; adding one is a file here and a line in [`PIPELINE`] (and, if
//! it reads the database, a fact in [`Found`] that the intake looks up).

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

pub(crate) use duplicate::since as duplicate_since;
pub(crate) use rate_limit::{buckets as rate_buckets, take as take_token};

use dateline_core::{
    Result,
    articles::CommentTarget,
    classifier::Judgement,
    comments::{CommentInput, CommentStatus},
    moderation::{CommentRules, Verdict},
};
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
    pub article: &'a CommentTarget,
    /// Keyed hash of the e-mail address given, if one was.
    pub email_hash: Option<&'a str>,
    pub input: &'a CommentInput,
    pub form: Option<&'a FormFacts>,
    pub form_shown: FormShown,
    pub rules: &'a CommentRules,
    pub now: Timestamp,
    /// What the checks need to know of the database, looked up for them.
    pub found: &'a Found,
}

/// What the checks read of the database, looked up by the intake ([`super::intake`]) for each
/// comment rather than by each check, so that a batch of comments costs a few queries and not
/// a few for each: what no other comment can change is read before the comment's transaction,
/// the rest once for the whole batch in its transaction, then brought up to date in memory as
/// each comment before this one is stored. A check that needs another fact adds it here.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// The seconds to wait if one of the comment's rate-limit buckets holds no token.
    pub rate_limited: Option<u64>,
    /// Which of the writer's e-mail address and address a moderator blocked (`email` or
    /// `address`, the e-mail first), if one is.
    pub blocked_as: Option<String>,
    /// The same text is on the article already (within [`duplicate_since`]).
    pub duplicate: bool,
    /// What the site's classifier says of the comment.
    pub judgement: Judgement,
    /// A comment from the same e-mail address was approved before.
    pub approved_before: bool,
}

/// One check: what it says of the submission.
pub(crate) type Check = fn(&Submission<'_>) -> Verdict;

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
pub(crate) fn run(s: &Submission<'_>) -> Result<Outcome> {
    let mut outcome = Outcome {
        status: CommentStatus::Approved,
        reasons: Vec::new(),
    };
    for (_, check) in PIPELINE {
        match check(s) {
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

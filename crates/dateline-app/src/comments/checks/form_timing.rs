//! The form under an article carries a signed token saying when it was shown. People read,
//! then type: a form sent within seconds was filled by a program, and is held with the time it
//! took. A form shown more than a day ago (a tab left open) is refused and shown again with a
//! fresh token and the text kept, so that a token cannot be harvested once and replayed for
//! ever. The API has no form and no token.

use dateline_core::{Error, moderation::Verdict};
use jiff::SignedDuration;

use super::{FormShown, Submission};

pub(crate) fn check(s: &Submission<'_>) -> Verdict {
    let shown = match s.form_shown {
        FormShown::NoForm => return Verdict::Pass,
        FormShown::Missing => return Verdict::Hold("sent without the form's token".to_owned()),
        FormShown::Forged => {
            return Verdict::Spam("sent with a form token this site did not make".to_owned());
        }
        FormShown::At(t) => t,
    };
    let took = (s.now - shown).max(SignedDuration::ZERO);
    let max_hours = i64::from(s.rules.form_max_hours);
    if took > SignedDuration::from_hours(max_hours) {
        return Verdict::Refuse(Error::invalid(
            "form_token",
            format!(
                "This form was shown more than {max_hours} hours ago. Check your comment \
                 below and send it again."
            ),
        ));
    }
    let min = SignedDuration::from_secs(i64::from(s.rules.form_min_seconds));
    if took < min {
        return Verdict::Hold(format!(
            "sent {:.1} s after the form was shown",
            took.as_secs_f64()
        ));
    }
    Verdict::Pass
}

//! Relative ages in words ("3 minutes ago", "yesterday", "15 years ago").

use jiff::{Timestamp, Unit, tz::TimeZone};

/// How long before `now` the instant `then` was, in words a reader expects beside a comment.
///
/// Calendar units (days, months, years) are counted in `tz`, so "yesterday" means the previous
/// calendar day where the reader's site lives, and years are whole calendar years, never rounded
/// up: a comment from 1 August 2009 is "15 years ago" until 1 August 2025.
pub fn age_in_words(now: Timestamp, then: Timestamp, tz: &TimeZone) -> String {
    if then >= now {
        return "just now".to_owned();
    }
    let seconds = now.duration_since(then).as_secs();
    if seconds < 60 {
        return "just now".to_owned();
    }
    let minutes = seconds / 60;
    if minutes < 60 {
        return plural(minutes, "minute");
    }
    let hours = minutes / 60;
    let now_z = now.to_zoned_datetime(tz.clone());
    let then_z = then.to_zoned_datetime(tz.clone());
    let days = then_z
        .date()
        .until((Unit::Day, now_z.date()))
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(0);
    if days == 0 || hours < 6 {
        return plural(hours, "hour");
    }
    if days == 1 {
        return "yesterday".to_owned();
    }
    let months = then_z
        .date()
        .until((Unit::Month, now_z.date()))
        .map(|s| i64::from(s.get_months()))
        .unwrap_or(0);
    if months == 0 {
        return if days < 14 {
            plural(days, "day")
        } else {
            plural(days / 7, "week")
        };
    }
    if months < 12 {
        return plural(months, "month");
    }
    plural(months / 12, "year")
}

/// The first instant after `now` at which [`age_in_words`] may say something else about
/// `then`: a page that shows the age may be kept until then and not a moment longer. It may be
/// earlier than the words' real change (the age is then simply the same when read again), never
/// later.
pub fn next_change(now: Timestamp, then: Timestamp, tz: &TimeZone) -> Timestamp {
    let minute = jiff::SignedDuration::from_secs(60);
    if then >= now {
        return then.saturating_add(minute).unwrap_or(then);
    }
    let seconds = now.duration_since(then).as_secs();
    if seconds < 3600 {
        // "just now", then whole minutes: the next minute since `then`.
        let minutes = seconds / 60 + 1;
        return then
            .saturating_add(jiff::SignedDuration::from_secs(minutes * 60))
            .unwrap_or(now);
    }
    // From an hour on, the words count whole hours (until the day turns) or calendar days,
    // weeks, months and years in `tz`: they change at the next whole hour since `then` or at
    // the next midnight, whichever comes first.
    let hours = seconds / 3600 + 1;
    let next_hour = then
        .saturating_add(jiff::SignedDuration::from_secs(hours * 3600))
        .unwrap_or(now);
    let midnight = now
        .to_zoned_datetime(tz.clone())
        .date()
        .tomorrow()
        .ok()
        .and_then(|d| d.to_zoned_datetime(tz.clone()).ok())
        .map_or(next_hour, |z| z.timestamp());
    if hours <= 24 * 2 {
        next_hour.min(midnight)
    } else {
        midnight
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        let article = if unit == "hour" { "an" } else { "a" };
        format!("{article} {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn an_age_holds_until_its_next_change() {
        let tz = TimeZone::get("America/Los_Angeles").unwrap();
        let now = at("2024-06-01T12:00:00Z");
        // Seconds, minutes, hours, the day turning, weeks, months and years back.
        for back in [
            0_i64,
            5,
            59,
            60,
            61,
            119,
            600,
            3599,
            3600,
            3601,
            7200,
            20_000,
            40_000,
            86_399,
            86_400,
            100_000,
            200_000,
            700_000,
            1_300_000,
            3_000_000,
            40_000_000,
            500_000_000,
        ] {
            let then = now - jiff::SignedDuration::from_secs(back);
            let words = age_in_words(now, then, &tz);
            let change = next_change(now, then, &tz);
            assert!(change > now, "{back}: {change} is not after {now}");
            // Every second up to the change reads the same; probe a spread of them.
            let span = change.duration_since(now).as_secs();
            for step in [0, 1, span / 3, span / 2, span - 1]
                .into_iter()
                .filter(|s| *s < span)
            {
                let t = now + jiff::SignedDuration::from_secs(step);
                assert_eq!(
                    age_in_words(t, then, &tz),
                    words,
                    "{back} s back, {step} s on"
                );
            }
        }
        // Recent ages change within the minute; the "15 years ago" of an old one by tomorrow.
        let recent = now - jiff::SignedDuration::from_secs(90);
        assert_eq!(next_change(now, recent, &tz), at("2024-06-01T12:00:30Z"));
        let old = at("2009-08-01T12:00:00Z");
        assert_eq!(next_change(now, old, &tz), at("2024-06-02T07:00:00Z"));
    }

    #[test]
    fn ages_read_naturally() {
        let tz = TimeZone::get("America/Los_Angeles").unwrap();
        let now = at("2024-06-01T12:00:00Z");
        let cases = [
            ("2024-06-01T11:59:30Z", "just now"),
            ("2024-06-01T11:57:00Z", "3 minutes ago"),
            ("2024-06-01T11:00:00Z", "an hour ago"),
            ("2024-06-01T07:00:00Z", "5 hours ago"),
            ("2024-05-31T12:00:00Z", "yesterday"),
            ("2024-05-28T12:00:00Z", "4 days ago"),
            ("2024-05-10T12:00:00Z", "3 weeks ago"),
            ("2024-02-01T12:00:00Z", "4 months ago"),
            ("2023-05-01T12:00:00Z", "a year ago"),
            ("2009-08-01T13:12:00Z", "14 years ago"),
        ];
        for (then, want) in cases {
            assert_eq!(age_in_words(now, at(then), &tz), want, "{then}");
        }
        // The seed page was read late in 2024 and showed "15 years ago".
        assert_eq!(
            age_in_words(at("2024-10-01T00:00:00Z"), at("2009-08-01T13:12:00Z"), &tz),
            "15 years ago"
        );
    }

    #[test]
    fn the_future_is_just_now() {
        let now = at("2024-06-01T12:00:00Z");
        assert_eq!(
            age_in_words(now, at("2024-06-02T12:00:00Z"), &TimeZone::UTC),
            "just now"
        );
    }
}

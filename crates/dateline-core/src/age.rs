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

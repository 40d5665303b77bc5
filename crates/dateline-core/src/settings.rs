//! Site settings that live in the database, so a settings page can change them without a restart.

use jiff::tz::TimeZone;

use crate::{Error, Result};

/// Every key the settings table may hold. One enum rather than strings spread over crates, so a
/// misspelt key does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettingKey {
    /// Site name.
    Title,
    /// One line under the title.
    Tagline,
    /// IANA time zone for dates on pages.
    TimeZone,
    /// BCP 47 language tag of the site's own text.
    Language,
    /// A paragraph about the site, for search engines and the home page's description.
    Description,
    /// Media id of the site's logo, shown in the header; empty for none.
    Logo,
    /// How dates are written on the public pages ([`DateFormat`]).
    DateFormat,
    /// The address readers reach the site at; empty for the one the server was started with.
    BaseUrl,
    /// Articles on one page of the home page, topics and authors.
    ArticlesPerPage,
    /// A comment with more links than this is held for a moderator.
    CommentMaxLinks,
    /// Words or patterns, one per line, that hold a comment for a moderator.
    CommentHoldWords,
    /// Words or patterns, one per line, that mark a comment as spam.
    CommentSpamWords,
    /// Comments an hour one address (an IPv6 /64) may post.
    CommentRateAddress,
    /// Comments an hour one article may receive.
    CommentRateArticle,
    /// Whose comments wait for a moderator ([`FirstTimePolicy`]).
    CommentFirstTime,
    /// A form sent sooner than this many seconds after it was shown is held.
    CommentFormMinSeconds,
    /// A form sent later than this many hours after it was shown is refused (sent again).
    CommentFormMaxHours,
    /// The longest comment a reader may post, in characters.
    CommentMaxChars,
    /// How deep replies nest before they are shown flat.
    CommentThreadDepth,
    /// Which comments come first on an article ([`CommentOrder`]).
    CommentOrder,
    /// Articles older than this many days take no new comments; 0 for never.
    CommentCloseAfterDays,
    /// Address hashes of comments older than this many days are deleted; 0 to keep them.
    CommentForgetAddressesDays,
    /// Whether feeds carry whole articles or their summaries (`full` or `summary`).
    FeedContent,
    /// The sections in the site's header, one per line: `Label | /path/`.
    Menu,
    /// Key of the keyed hash under which readers' IP addresses are stored; never shown.
    IpHashKey,
    /// Records that the welcome content of a new site was made (or claimed by another process).
    Seeded,
    /// Hash of the current one-time setup token, while the site has no owner.
    SetupTokenHash,
    /// Records that every article has its search document (those written before search
    /// existed were given theirs at a start), so that later starts need not look for them.
    SearchIndexed,
}

impl SettingKey {
    /// The settings a staff member may read and change (the others are the system's own).
    pub const EDITABLE: [SettingKey; 24] = [
        SettingKey::Title,
        SettingKey::Tagline,
        SettingKey::Description,
        SettingKey::Logo,
        SettingKey::TimeZone,
        SettingKey::DateFormat,
        SettingKey::Language,
        SettingKey::BaseUrl,
        SettingKey::ArticlesPerPage,
        SettingKey::CommentMaxLinks,
        SettingKey::CommentHoldWords,
        SettingKey::CommentSpamWords,
        SettingKey::CommentRateAddress,
        SettingKey::CommentRateArticle,
        SettingKey::CommentFirstTime,
        SettingKey::CommentFormMinSeconds,
        SettingKey::CommentFormMaxHours,
        SettingKey::CommentMaxChars,
        SettingKey::CommentThreadDepth,
        SettingKey::CommentOrder,
        SettingKey::CommentCloseAfterDays,
        SettingKey::CommentForgetAddressesDays,
        SettingKey::FeedContent,
        SettingKey::Menu,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::Title => "title",
            SettingKey::Tagline => "tagline",
            SettingKey::TimeZone => "time_zone",
            SettingKey::Language => "language",
            SettingKey::Description => "description",
            SettingKey::Logo => "logo",
            SettingKey::DateFormat => "date_format",
            SettingKey::BaseUrl => "base_url",
            SettingKey::ArticlesPerPage => "articles_per_page",
            SettingKey::CommentMaxLinks => "comment_max_links",
            SettingKey::CommentHoldWords => "comment_hold_words",
            SettingKey::CommentSpamWords => "comment_spam_words",
            SettingKey::CommentRateAddress => "comment_rate_address",
            SettingKey::CommentRateArticle => "comment_rate_article",
            SettingKey::CommentFirstTime => "comment_first_time",
            SettingKey::CommentFormMinSeconds => "comment_form_min_seconds",
            SettingKey::CommentFormMaxHours => "comment_form_max_hours",
            SettingKey::CommentMaxChars => "comment_max_chars",
            SettingKey::CommentThreadDepth => "comment_thread_depth",
            SettingKey::CommentOrder => "comment_order",
            SettingKey::CommentCloseAfterDays => "comment_close_after_days",
            SettingKey::CommentForgetAddressesDays => "comment_forget_addresses_days",
            SettingKey::FeedContent => "feed_content",
            SettingKey::Menu => "menu",
            SettingKey::IpHashKey => "ip_hash_key",
            SettingKey::Seeded => "seeded",
            SettingKey::SetupTokenHash => "setup_token_hash",
            SettingKey::SearchIndexed => "search_indexed",
        }
    }

    /// The smallest and largest values of a whole-number setting.
    pub fn whole_number_range(self) -> Option<(u32, u32)> {
        Some(match self {
            SettingKey::ArticlesPerPage => (1, MAX_ARTICLES_PER_PAGE),
            SettingKey::CommentMaxLinks => (0, 1000),
            SettingKey::CommentRateAddress | SettingKey::CommentRateArticle => (1, 100_000),
            SettingKey::CommentFormMinSeconds => (0, 600),
            SettingKey::CommentFormMaxHours => (1, 720),
            SettingKey::CommentMaxChars => (1, crate::comments::MAX_BODY_CHARS as u32),
            SettingKey::CommentThreadDepth => (1, 10),
            SettingKey::CommentCloseAfterDays | SettingKey::CommentForgetAddressesDays => {
                (0, 36_500)
            }
            _ => return None,
        })
    }

    /// Whether the value is a secret, kept out of events and logs.
    pub fn is_secret(self) -> bool {
        matches!(self, SettingKey::IpHashKey | SettingKey::SetupTokenHash)
    }

    /// An editable key by its stored name.
    pub fn parse_editable(field: &str, name: &str) -> Result<Self> {
        Self::EDITABLE
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::EDITABLE.iter().map(|k| k.as_str()).collect();
                Error::invalid(
                    field,
                    format!("Use one of the settings {}.", names.join(", ")),
                )
            })
    }

    /// Checks and normalises a value typed for this key.
    pub fn parse_value(self, value: &str) -> Result<String> {
        let field = self.as_str();
        if let Some((min, max)) = self.whole_number_range() {
            return value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .map(|n| n.to_string())
                .ok_or_else(|| {
                    Error::invalid(field, format!("Use a whole number from {min} to {max}."))
                });
        }
        match self {
            SettingKey::Title => crate::text::required_text(field, value, 200),
            SettingKey::Tagline => {
                Ok(crate::text::optional_text(field, Some(value), 300)?.unwrap_or_default())
            }
            SettingKey::TimeZone => parse_time_zone(field, value.trim()),
            SettingKey::Language => {
                let v = value.trim();
                let ok = !v.is_empty()
                    && value.chars().count() <= 35
                    && v.split('-').all(|p| {
                        !p.is_empty()
                            && p.len() <= 8
                            && p.bytes().all(|b| b.is_ascii_alphanumeric())
                    });
                if ok {
                    Ok(v.to_owned())
                } else {
                    Err(Error::invalid(
                        field,
                        "Use a language tag such as en or pt-BR.",
                    ))
                }
            }
            SettingKey::Description => {
                Ok(crate::text::optional_text(field, Some(value), 1000)?.unwrap_or_default())
            }
            SettingKey::Logo => match value.trim() {
                "" => Ok(String::new()),
                v => v
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .map(|id| id.to_string())
                    .ok_or_else(|| {
                        Error::invalid(field, "Choose an image from the media library.")
                    }),
            },
            SettingKey::DateFormat => {
                DateFormat::parse(field, value).map(|f| f.as_str().to_owned())
            }
            SettingKey::BaseUrl => parse_base_url(field, value),
            SettingKey::CommentFirstTime => {
                FirstTimePolicy::parse(field, value).map(|p| p.as_str().to_owned())
            }
            SettingKey::CommentOrder => {
                CommentOrder::parse(field, value).map(|o| o.as_str().to_owned())
            }
            SettingKey::FeedContent => match value.trim() {
                v @ ("full" | "summary") => Ok(v.to_owned()),
                _ => Err(Error::invalid(field, "Use full or summary.")),
            },
            SettingKey::Menu => parse_menu(field, value).map(|items| menu_text(&items)),
            SettingKey::CommentHoldWords | SettingKey::CommentSpamWords => {
                if value.chars().count() > 20_000 {
                    return Err(Error::invalid(
                        field,
                        "The list is too long: keep it under 20,000 characters.",
                    ));
                }
                crate::text::check_controls(field, value)?;
                // One entry per line, as the moderators will read it back.
                Ok(value
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n"))
            }
            SettingKey::IpHashKey
            | SettingKey::Seeded
            | SettingKey::SetupTokenHash
            | SettingKey::SearchIndexed => Err(Error::invalid(
                field,
                "This setting is managed by Dateline itself.",
            )),
            // Whole numbers were judged above.
            _ => Err(Error::invalid(field, "Use a whole number.")),
        }
    }
}

/// A section in the site's header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MenuItem {
    /// What the link says.
    pub label: String,
    /// Where it goes: a path on the site, or an http(s) address.
    pub url: String,
}

/// The most sections a header holds.
pub const MAX_MENU_ITEMS: usize = 12;

/// A menu as the owner types it: one section a line, `Label | /path/`; blank lines ignored.
pub fn parse_menu(field: &str, text: &str) -> Result<Vec<MenuItem>> {
    crate::text::check_controls(field, text)?;
    let mut items = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let refuse = || {
            Error::invalid(
                field,
                format!(
                    "Write each section as a label, a bar and where it goes, such as \
                     \"Iraq | /topics/iraq/\" (this line is not: {line:?})."
                ),
            )
        };
        let (label, url) = line.split_once('|').ok_or_else(refuse)?;
        let (label, url) = (label.trim(), url.trim());
        let local = url.starts_with('/') && !url.starts_with("//");
        let web = url.starts_with("https://") || url.starts_with("http://");
        if label.is_empty()
            || label.chars().count() > 40
            || !(local || web)
            || url.len() > 500
            || url.contains(char::is_whitespace)
        {
            return Err(refuse());
        }
        items.push(MenuItem {
            label: label.to_owned(),
            url: url.to_owned(),
        });
    }
    if items.len() > MAX_MENU_ITEMS {
        return Err(Error::invalid(
            field,
            format!("A menu holds at most {MAX_MENU_ITEMS} sections."),
        ));
    }
    Ok(items)
}

/// A menu as stored and shown back to the owner.
pub fn menu_text(items: &[MenuItem]) -> String {
    items
        .iter()
        .map(|i| format!("{} | {}", i.label, i.url))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most articles a list page may show.
pub const MAX_ARTICLES_PER_PAGE: u32 = 100;

/// A base URL: empty (the server's own), or an http(s) origin with at most a path prefix, kept
/// without its final slash so that paths can be appended.
fn parse_base_url(field: &str, value: &str) -> Result<String> {
    // Not trimmed: a browser's URL field sends none, and the API's schema names the shape.
    if value.is_empty() {
        return Ok(String::new());
    }
    // Written as on the wire: ASCII, a host name in another script in its xn-- form, so that
    // every link made from it is a valid URI.
    let refuse = || {
        Error::invalid(
            field,
            "Use an http:// or https:// address in plain ASCII, without ? or #, such as \
             https://news.example.org.",
        )
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(refuse)?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._~!$&'()*+,;=:@/-".contains(&b));
    if !host_ok || !port_ok || !path_ok || value.len() > 2000 {
        return Err(refuse());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// Whose comments wait for a moderator before readers see them, besides those a check held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstTimePolicy {
    /// Every reader's comment.
    HoldAll,
    /// Comments from an e-mail address that has no approved comment yet (and those without an
    /// address, which has no history to go by).
    #[default]
    HoldFirstTime,
    /// None: the checks alone decide.
    HoldNone,
}

impl FirstTimePolicy {
    /// Every policy, in the order a settings page offers them.
    pub const ALL: [FirstTimePolicy; 3] = [
        FirstTimePolicy::HoldAll,
        FirstTimePolicy::HoldFirstTime,
        FirstTimePolicy::HoldNone,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FirstTimePolicy::HoldAll => "hold_all",
            FirstTimePolicy::HoldFirstTime => "hold_first_time",
            FirstTimePolicy::HoldNone => "hold_none",
        }
    }

    /// A policy by its stored name.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == value.trim())
            .ok_or_else(|| Error::invalid(field, "Use hold_all, hold_first_time or hold_none."))
    }
}

/// Which comments an article shows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentOrder {
    /// As a conversation reads, as the seed page shows them.
    #[default]
    Oldest,
    /// The latest first.
    Newest,
}

impl CommentOrder {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CommentOrder::Oldest => "oldest",
            CommentOrder::Newest => "newest",
        }
    }

    /// An order by its stored name.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        match value.trim() {
            "oldest" => Ok(CommentOrder::Oldest),
            "newest" => Ok(CommentOrder::Newest),
            _ => Err(Error::invalid(field, "Use oldest or newest.")),
        }
    }
}

/// How the public pages write dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// "Friday, July 31, 2009", as the seed page.
    #[default]
    MonthDayYear,
    /// "Friday 31 July 2009".
    DayMonthYear,
    /// "2009-07-31".
    Iso,
}

impl DateFormat {
    /// Every format, in the order a settings page offers them.
    pub const ALL: [DateFormat; 3] = [
        DateFormat::MonthDayYear,
        DateFormat::DayMonthYear,
        DateFormat::Iso,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DateFormat::MonthDayYear => "month_day_year",
            DateFormat::DayMonthYear => "day_month_year",
            DateFormat::Iso => "iso",
        }
    }

    /// A format by its stored name.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == value.trim())
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    "Use one of the date formats month_day_year, day_month_year or iso.",
                )
            })
    }

    /// A date with its weekday, as a dateline shows it.
    pub fn long_date(self) -> &'static str {
        match self {
            DateFormat::MonthDayYear => "%A, %B %-d, %Y",
            DateFormat::DayMonthYear => "%A %-d %B %Y",
            DateFormat::Iso => "%Y-%m-%d",
        }
    }

    /// A date without its weekday (corrections).
    pub fn short_date(self) -> &'static str {
        match self {
            DateFormat::MonthDayYear => "%B %-d, %Y",
            DateFormat::DayMonthYear => "%-d %B %Y",
            DateFormat::Iso => "%Y-%m-%d",
        }
    }

    /// A date and time to the minute, with the zone.
    pub fn exact_time(self) -> &'static str {
        match self {
            DateFormat::MonthDayYear => "%A, %B %-d, %Y, %-I:%M %p %Z",
            DateFormat::DayMonthYear => "%A %-d %B %Y, %H:%M %Z",
            DateFormat::Iso => "%Y-%m-%d %H:%M %Z",
        }
    }
}

/// The settings every page needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteSettings {
    /// Site name, in the header and the title of every page.
    pub title: String,
    /// One line under the title.
    pub tagline: String,
    /// IANA time zone name used to show dates ("America/Los_Angeles").
    pub time_zone: String,
    /// BCP 47 language tag of the site's own text ("en").
    pub language: String,
    /// A paragraph about the site; may be empty.
    pub description: String,
    /// The logo's media id, if the site has one.
    pub logo: Option<i64>,
    /// The logo's path under `/media/`, found by the store when the logo is set.
    pub logo_path: Option<String>,
    /// How the public pages write dates.
    pub date_format: DateFormat,
    /// The address readers reach the site at; empty for the server's own.
    pub base_url: String,
    /// Articles on one page of a list.
    pub articles_per_page: u32,
    /// A comment with more links than this is held.
    pub comment_max_links: u32,
    /// Words or patterns, one per line, that hold a comment.
    pub comment_hold_words: String,
    /// Words or patterns, one per line, that mark a comment as spam.
    pub comment_spam_words: String,
    /// Comments an hour from one address (an IPv6 /64).
    pub comment_rate_address: u32,
    /// Comments an hour on one article.
    pub comment_rate_article: u32,
    /// Whose comments wait for a moderator.
    pub comment_first_time: FirstTimePolicy,
    /// A form sent sooner than this after it was shown is held.
    pub comment_form_min_seconds: u32,
    /// A form sent later than this after it was shown is refused.
    pub comment_form_max_hours: u32,
    /// The longest comment a reader may post, in characters.
    pub comment_max_chars: u32,
    /// How deep replies nest.
    pub comment_thread_depth: u32,
    /// Which comments come first.
    pub comment_order: CommentOrder,
    /// Articles older than this many days take no new comments; 0 for never.
    pub comment_close_after_days: u32,
    /// Address hashes are deleted after this many days; 0 to keep them.
    pub comment_forget_addresses_days: u32,
    /// Feeds carry whole articles (true) or their summaries.
    pub feed_full_content: bool,
    /// The sections in the header; empty for the default (the latest articles, the topics).
    pub menu: Vec<MenuItem>,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            title: "Dateline".to_owned(),
            tagline: "News and analysis".to_owned(),
            time_zone: "UTC".to_owned(),
            language: "en".to_owned(),
            description: String::new(),
            logo: None,
            logo_path: None,
            date_format: DateFormat::default(),
            base_url: String::new(),
            articles_per_page: 10,
            comment_max_links: 2,
            comment_hold_words: String::new(),
            comment_spam_words: String::new(),
            comment_rate_address: 20,
            comment_rate_article: 120,
            comment_first_time: FirstTimePolicy::default(),
            comment_form_min_seconds: 3,
            comment_form_max_hours: 24,
            comment_max_chars: 5_000,
            comment_thread_depth: 4,
            comment_order: CommentOrder::default(),
            comment_close_after_days: 0,
            comment_forget_addresses_days: 90,
            feed_full_content: true,
            menu: Vec::new(),
        }
    }
}

impl SiteSettings {
    /// The time zone to display dates in; an unknown stored name falls back to UTC.
    pub fn tz(&self) -> TimeZone {
        TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    /// Takes a stored value for `key`; keys that are not page settings are ignored.
    pub fn set(&mut self, key: SettingKey, value: String) {
        if let Some((min, max)) = key.whole_number_range() {
            let Some(n) = value
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
            else {
                return;
            };
            match key {
                SettingKey::ArticlesPerPage => self.articles_per_page = n,
                SettingKey::CommentMaxLinks => self.comment_max_links = n,
                SettingKey::CommentRateAddress => self.comment_rate_address = n,
                SettingKey::CommentRateArticle => self.comment_rate_article = n,
                SettingKey::CommentFormMinSeconds => self.comment_form_min_seconds = n,
                SettingKey::CommentFormMaxHours => self.comment_form_max_hours = n,
                SettingKey::CommentMaxChars => self.comment_max_chars = n,
                SettingKey::CommentThreadDepth => self.comment_thread_depth = n,
                SettingKey::CommentCloseAfterDays => self.comment_close_after_days = n,
                SettingKey::CommentForgetAddressesDays => self.comment_forget_addresses_days = n,
                _ => {}
            }
            return;
        }
        match key {
            SettingKey::Title => self.title = value,
            SettingKey::Tagline => self.tagline = value,
            SettingKey::TimeZone => self.time_zone = value,
            SettingKey::Language => self.language = value,
            SettingKey::Description => self.description = value,
            SettingKey::Logo => self.logo = value.parse().ok(),
            SettingKey::DateFormat => {
                self.date_format = DateFormat::parse("date_format", &value).unwrap_or_default();
            }
            SettingKey::BaseUrl => self.base_url = value,
            SettingKey::CommentHoldWords => self.comment_hold_words = value,
            SettingKey::CommentSpamWords => self.comment_spam_words = value,
            SettingKey::CommentFirstTime => {
                self.comment_first_time =
                    FirstTimePolicy::parse("comment_first_time", &value).unwrap_or_default();
            }
            SettingKey::CommentOrder => {
                self.comment_order =
                    CommentOrder::parse("comment_order", &value).unwrap_or_default();
            }
            SettingKey::FeedContent => self.feed_full_content = value != "summary",
            SettingKey::Menu => self.menu = parse_menu("menu", &value).unwrap_or_default(),
            _ => {}
        }
    }

    /// A setting's value as stored text, as [`SiteSettings::set`] reads it back; empty for the
    /// keys that are not page settings.
    pub fn value_of(&self, key: SettingKey) -> String {
        match key {
            SettingKey::Title => self.title.clone(),
            SettingKey::Tagline => self.tagline.clone(),
            SettingKey::TimeZone => self.time_zone.clone(),
            SettingKey::Language => self.language.clone(),
            SettingKey::Description => self.description.clone(),
            SettingKey::Logo => self.logo.map(|id| id.to_string()).unwrap_or_default(),
            SettingKey::DateFormat => self.date_format.as_str().to_owned(),
            SettingKey::BaseUrl => self.base_url.clone(),
            SettingKey::ArticlesPerPage => self.articles_per_page.to_string(),
            SettingKey::CommentMaxLinks => self.comment_max_links.to_string(),
            SettingKey::CommentHoldWords => self.comment_hold_words.clone(),
            SettingKey::CommentSpamWords => self.comment_spam_words.clone(),
            SettingKey::CommentRateAddress => self.comment_rate_address.to_string(),
            SettingKey::CommentRateArticle => self.comment_rate_article.to_string(),
            SettingKey::CommentFirstTime => self.comment_first_time.as_str().to_owned(),
            SettingKey::CommentFormMinSeconds => self.comment_form_min_seconds.to_string(),
            SettingKey::CommentFormMaxHours => self.comment_form_max_hours.to_string(),
            SettingKey::CommentMaxChars => self.comment_max_chars.to_string(),
            SettingKey::CommentThreadDepth => self.comment_thread_depth.to_string(),
            SettingKey::CommentOrder => self.comment_order.as_str().to_owned(),
            SettingKey::CommentCloseAfterDays => self.comment_close_after_days.to_string(),
            SettingKey::CommentForgetAddressesDays => {
                self.comment_forget_addresses_days.to_string()
            }
            SettingKey::FeedContent => if self.feed_full_content {
                "full"
            } else {
                "summary"
            }
            .to_owned(),
            SettingKey::Menu => menu_text(&self.menu),
            SettingKey::IpHashKey
            | SettingKey::Seeded
            | SettingKey::SetupTokenHash
            | SettingKey::SearchIndexed => String::new(),
        }
    }

    /// The comment rules the intake applies.
    pub fn comment_rules(&self) -> crate::moderation::CommentRules {
        crate::moderation::CommentRules {
            max_links: self.comment_max_links as usize,
            per_address_hourly: self.comment_rate_address,
            per_article_hourly: self.comment_rate_article,
            hold_words: crate::moderation::parse_word_list(&self.comment_hold_words),
            spam_words: crate::moderation::parse_word_list(&self.comment_spam_words),
            first_time: self.comment_first_time,
            form_min_seconds: self.comment_form_min_seconds,
            form_max_hours: self.comment_form_max_hours,
            max_chars: self.comment_max_chars as usize,
            close_after_days: self.comment_close_after_days,
        }
    }
}

/// Checks an IANA time zone name.
pub fn parse_time_zone(field: &str, name: &str) -> Result<String> {
    TimeZone::get(name).map(|_| name.to_owned()).map_err(|_| {
        Error::invalid(
            field,
            format!("Unknown time zone {name:?}: use a name such as Europe/Paris."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_a_value_its_key_accepts_and_reads_back() {
        let defaults = SiteSettings::default();
        for key in SettingKey::EDITABLE {
            let stored = defaults.value_of(key);
            if key == SettingKey::Logo {
                continue; // no logo is the empty value, which means "none"
            }
            assert_eq!(key.parse_value(&stored).unwrap(), stored, "{key:?}");
            let mut read = SiteSettings::default();
            read.set(key, stored.clone());
            assert_eq!(read.value_of(key), stored, "{key:?}");
        }
        let mut changed = SiteSettings::default();
        changed.set(SettingKey::CommentFirstTime, "hold_all".into());
        changed.set(SettingKey::CommentThreadDepth, "7".into());
        changed.set(SettingKey::CommentThreadDepth, "70".into()); // out of range: ignored
        assert_eq!(changed.comment_first_time, FirstTimePolicy::HoldAll);
        assert_eq!(changed.comment_thread_depth, 7);
        assert!(SettingKey::CommentMaxChars.parse_value("10001").is_err());
        assert!(SettingKey::CommentOrder.parse_value("random").is_err());
        assert_eq!(
            SettingKey::CommentFormMinSeconds
                .parse_value(" 0 ")
                .unwrap(),
            "0"
        );
        assert_eq!(
            SettingKey::Menu
                .parse_value("Iraq|/topics/iraq/\n\n  Wire | https://apnews.com/  ")
                .unwrap(),
            "Iraq | /topics/iraq/\nWire | https://apnews.com/"
        );
        for bad in [
            "Iraq",
            "Iraq | //evil.example/",
            "Iraq | javascript:alert(1)",
            " | /x/",
        ] {
            assert!(SettingKey::Menu.parse_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn editable_keys_parse_and_check_their_values() {
        assert_eq!(
            SettingKey::parse_editable("key", "time_zone").unwrap(),
            SettingKey::TimeZone
        );
        assert!(SettingKey::parse_editable("key", "ip_hash_key").is_err());
        assert!(SettingKey::TimeZone.parse_value("Mars/Olympus").is_err());
        assert_eq!(
            SettingKey::Language.parse_value(" pt-BR ").unwrap(),
            "pt-BR"
        );
        assert!(SettingKey::Language.parse_value("en_US").is_err());
        assert!(SettingKey::Title.parse_value("  ").is_err());
        assert!(SettingKey::IpHashKey.is_secret());
        let base = |v: &str| SettingKey::BaseUrl.parse_value(v);
        assert_eq!(
            base("https://news.example.org/").unwrap(),
            "https://news.example.org"
        );
        assert_eq!(
            base("http://127.0.0.1:8080/site").unwrap(),
            "http://127.0.0.1:8080/site"
        );
        assert_eq!(base("").unwrap(), "");
        for bad in [
            "news.example.org",
            "https://ĸ.example",
            "https://a.org/?x",
            "https://a.org:port",
            "https:///path",
        ] {
            assert!(base(bad).is_err(), "{bad}");
        }
        assert!(SettingKey::ArticlesPerPage.parse_value("0").is_err());
        assert!(SettingKey::ArticlesPerPage.parse_value("101").is_err());
        assert_eq!(SettingKey::DateFormat.parse_value("iso").unwrap(), "iso");
    }
}

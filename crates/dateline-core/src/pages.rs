//! What a public page shows, in terms the activity log can name, so that a cache of rendered
//! pages drops exactly the pages an event changed. A page declares what it [`Shows`] when it is
//! rendered; [`stale_after`] reads an event and says which of those it made stale.
//!
//! The frequent changes are exact: a comment approved on article 7 makes stale the pages that
//! show article 7's comments or their count (its page, its comment feeds, a list naming it),
//! and an edit of a published article's text the pages that name that article. A change of
//! which articles readers can see (published, unpublished, moved in time, retitled in its
//! address, given other topics or another author) also makes stale the lists it may enter or
//! leave. Rare staff changes that show on every page (settings, people's names and pictures,
//! media, topic descriptions) make everything stale.

use serde_json::Value;

use crate::events::{Event, EventKind, SubjectKind};

/// Something a page shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Shows {
    /// This article: its own page, or a list, feed or related-articles entry that names it.
    Article(i64),
    /// This article's approved comments, or how many there are.
    Comments(i64),
    /// The site's newest comments (the comment feeds of the whole site).
    AllComments,
    /// Which articles readers can see: the front page, archives, feeds and sitemaps of the
    /// whole site, the indexes of topics and sources, and the related articles under an
    /// article.
    Latest,
    /// Which articles are in this topic (by slug).
    Topic(String),
    /// Which articles this account wrote.
    Author(i64),
    /// What searches find: the words of every article readers can see, and which they are.
    Searches,
}

/// The pages an event made stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// Nothing a reader sees changed.
    Nothing,
    /// The pages that show any of these.
    Pages(Vec<Shows>),
    /// Every page.
    Everything,
}

/// Fields of `article.updated`'s `changed` list that move an article between lists (or into
/// and out of related articles), beyond changing what its entries say.
const MEMBERSHIP: [&str; 6] = [
    "slug",
    "status",
    "published_at",
    "author",
    "topics",
    "sources",
];

/// Which pages `event` made stale.
pub fn stale_after(event: &Event) -> Stale {
    let payload = &event.payload;
    match event.kind.subject_kind() {
        SubjectKind::Article => article(event),
        SubjectKind::Comment => match event.kind {
            // A comment held for moderation shows only to its writer, whose pages bypass
            // caches; one accepted straight away shows to everyone.
            EventKind::CommentSubmitted if payload["status"] != "approved" => Stale::Nothing,
            EventKind::CommentApproved
            | EventKind::CommentSpammed
            | EventKind::CommentTrashed
            | EventKind::CommentDeleted
                if payload["from"] != "approved"
                    && payload["to"] != "approved"
                    && payload["status"] != "approved" =>
            {
                Stale::Nothing
            }
            // Back to pending, or a block: nothing already shown changes.
            EventKind::CommentRestored
            | EventKind::CommentAuthorBlocked
            | EventKind::CommentAuthorUnblocked => Stale::Nothing,
            // An approved comment arrived, changed status or text (an edit may be of one).
            _ => comments(payload),
        },
        // Bylines, author pages, pictures, the site's name and menu, topic descriptions: rare,
        // and on every page.
        SubjectKind::User => match event.kind {
            EventKind::UserPasswordChanged | EventKind::UserSignedIn | EventKind::UserSignedOut => {
                Stale::Nothing
            }
            _ => Stale::Everything,
        },
        SubjectKind::Setting | SubjectKind::Topic => Stale::Everything,
        SubjectKind::Media => match event.kind {
            EventKind::MediaUploaded => Stale::Nothing,
            _ => Stale::Everything,
        },
        SubjectKind::Invitation | SubjectKind::Token => Stale::Nothing,
    }
}

fn comments(payload: &Value) -> Stale {
    match payload["article_id"].as_i64() {
        Some(id) => Stale::Pages(vec![Shows::Comments(id), Shows::AllComments]),
        None => Stale::Everything,
    }
}

/// An article event: the article's own pages always; the lists it was or is on when it was or
/// is visible and its place among them may have moved.
fn article(event: &Event) -> Stale {
    let Some(id) = event.subject.id else {
        return Stale::Everything;
    };
    let payload = &event.payload;
    let before = payload.get("before").filter(|b| b.is_object());
    let public =
        |summary: &Value| matches!(summary["status"].as_str(), Some("published" | "scheduled"));
    let was_public = before.map_or(event.kind != EventKind::ArticleCreated, public)
        || matches!(
            event.kind,
            EventKind::ArticleDeleted | EventKind::ArticleUnpublished
        );
    let is_public = public(payload) && event.kind != EventKind::ArticleDeleted;
    let mut shows = vec![Shows::Article(id)];
    if let Some(lost) = payload["previous_lead_id"].as_i64() {
        shows.push(Shows::Article(lost));
    }
    let moves = match event.kind {
        EventKind::ArticleUpdated => payload["changed"].as_array().is_some_and(|fields| {
            fields
                .iter()
                .any(|f| f.as_str().is_some_and(|f| MEMBERSHIP.contains(&f)))
        }),
        EventKind::ArticleCorrected | EventKind::ArticleReviewRequested => false,
        _ => true,
    };
    // A search may find it by any word of it, or stop finding it.
    if was_public || is_public {
        shows.push(Shows::Searches);
    }
    if moves && (was_public || is_public) {
        shows.push(Shows::Latest);
        for summary in std::iter::once(payload).chain(before) {
            if let Some(author) = summary["author_id"].as_i64() {
                shows.push(Shows::Author(author));
            }
            for topic in summary["topics"].as_array().into_iter().flatten() {
                if let Some(slug) = topic.as_str() {
                    shows.push(Shows::Topic(slug.to_owned()));
                }
            }
        }
    }
    shows.dedup();
    Stale::Pages(shows)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{actor::Actor, events::Subject};

    fn event(kind: EventKind, id: i64, payload: Value) -> Event {
        Event {
            id: 1,
            kind,
            actor: Actor::System.reference(),
            subject: Subject {
                kind: kind.subject_kind(),
                id: Some(id),
            },
            payload,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn summary(status: &str, topics: &[&str]) -> Value {
        json!({"slug": "s", "title": "T", "status": status, "published_at": null,
               "author_id": 3, "topics": topics, "prominence": "normal"})
    }

    #[test]
    fn a_text_edit_of_a_published_article_stales_only_the_pages_that_name_it_and_searches() {
        let mut p = summary("published", &["politics"]);
        p["changed"] = json!(["title", "body_markdown"]);
        p["before"] = summary("published", &["politics"]);
        let stale = stale_after(&event(EventKind::ArticleUpdated, 7, p));
        assert_eq!(
            stale,
            Stale::Pages(vec![Shows::Article(7), Shows::Searches])
        );
    }

    #[test]
    fn a_new_topic_stales_the_lists_it_leaves_and_enters() {
        let mut p = summary("published", &["economy"]);
        p["changed"] = json!(["topics"]);
        p["before"] = summary("published", &["politics"]);
        let Stale::Pages(shows) = stale_after(&event(EventKind::ArticleUpdated, 7, p)) else {
            panic!("pages expected");
        };
        for s in [
            Shows::Article(7),
            Shows::Latest,
            Shows::Author(3),
            Shows::Topic("economy".into()),
            Shows::Topic("politics".into()),
        ] {
            assert!(shows.contains(&s), "{s:?} missing from {shows:?}");
        }
    }

    #[test]
    fn a_draft_that_stays_a_draft_stales_no_list() {
        let mut p = summary("draft", &["politics"]);
        p["changed"] = json!(["topics"]);
        p["before"] = summary("draft", &[]);
        let stale = stale_after(&event(EventKind::ArticleUpdated, 7, p));
        assert_eq!(stale, Stale::Pages(vec![Shows::Article(7)]));
        let created = stale_after(&event(
            EventKind::ArticleCreated,
            8,
            summary("draft", &["x"]),
        ));
        assert_eq!(created, Stale::Pages(vec![Shows::Article(8)]));
    }

    #[test]
    fn unpublishing_and_deleting_stale_the_lists_it_was_on() {
        for kind in [EventKind::ArticleUnpublished, EventKind::ArticleDeleted] {
            let Stale::Pages(shows) = stale_after(&event(kind, 7, summary("draft", &["a"]))) else {
                panic!("pages expected");
            };
            assert!(shows.contains(&Shows::Latest), "{kind:?}");
            assert!(shows.contains(&Shows::Searches), "{kind:?}");
            assert!(shows.contains(&Shows::Topic("a".into())), "{kind:?}");
        }
    }

    #[test]
    fn only_comments_readers_see_stale_pages() {
        let held = json!({"article_id": 7, "parent_id": null, "status": "pending"});
        assert_eq!(
            stale_after(&event(EventKind::CommentSubmitted, 1, held)),
            Stale::Nothing
        );
        let approved = json!({"article_id": 7, "from": "pending", "to": "approved"});
        assert_eq!(
            stale_after(&event(EventKind::CommentApproved, 1, approved)),
            Stale::Pages(vec![Shows::Comments(7), Shows::AllComments])
        );
        let spam_from_pending = json!({"article_id": 7, "from": "pending", "to": "spam"});
        assert_eq!(
            stale_after(&event(EventKind::CommentSpammed, 1, spam_from_pending)),
            Stale::Nothing
        );
        let gone = json!({"article_id": 7, "status": "approved"});
        assert_eq!(
            stale_after(&event(EventKind::CommentDeleted, 1, gone)),
            Stale::Pages(vec![Shows::Comments(7), Shows::AllComments])
        );
    }

    #[test]
    fn settings_and_people_stale_everything_and_sign_ins_nothing() {
        let setting = json!({"key": "title", "value": "New", "previous": "Old"});
        assert_eq!(
            stale_after(&event(EventKind::SettingChanged, 0, setting)),
            Stale::Everything
        );
        assert_eq!(
            stale_after(&event(EventKind::UserUpdated, 3, json!({}))),
            Stale::Everything
        );
        assert_eq!(
            stale_after(&event(EventKind::UserSignedIn, 3, json!({}))),
            Stale::Nothing
        );
    }
}

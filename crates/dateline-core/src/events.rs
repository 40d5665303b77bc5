//! The activity log's vocabulary. Every action records what it changed as one event (sometimes
//! two: an article created straight to published also records `article.published`), in the
//! transaction of the change. Whatever must react to a change (page caches on every process,
//! search, webhooks, the moderation log) reads events by id. The contract (which kinds exist,
//! when each is written, what its payload holds) is in ARCHITECTURE.md.

use jiff::Timestamp;

use crate::{Error, Result, actor::ActorRef};

/// What happened. The stored and published name is `noun.verb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// An article was created (in any status).
    ArticleCreated,
    /// An article's content, status, time or author changed.
    ArticleUpdated,
    /// An article became visible to readers: published now, or a scheduled one came due.
    ArticlePublished,
    /// An article was given a future publication time.
    ArticleScheduled,
    /// A published or scheduled article went back to draft.
    ArticleUnpublished,
    /// An article was moved to the trash; readers get 410 at its address.
    ArticleDeleted,
    /// An article came back out of the trash.
    ArticleRestored,
    /// A correction or update was added to an article.
    ArticleCorrected,
    /// A draft's author asked an editor to review it.
    ArticleReviewRequested,
    /// An article became (or stopped being) the lead or a featured article of the front page.
    ArticleProminenceChanged,
    /// A comment was accepted (whatever its moderation status).
    CommentSubmitted,
    /// A moderator approved a comment: readers see it.
    CommentApproved,
    /// A moderator marked a comment as spam.
    CommentSpammed,
    /// A moderator moved a comment to the trash.
    CommentTrashed,
    /// A moderator took a comment out of the spam or the trash, back to pending.
    CommentRestored,
    /// A moderator deleted a comment for good.
    CommentDeleted,
    /// A moderator changed a comment's text.
    CommentEdited,
    /// A moderator blocked a comment's writer (their e-mail address or their address).
    CommentAuthorBlocked,
    /// A moderator lifted such a block.
    CommentAuthorUnblocked,
    /// An account was created.
    UserCreated,
    /// An account's name, biography or picture changed.
    UserUpdated,
    /// An account's role changed.
    UserRoleChanged,
    /// An account was deactivated: it cannot sign in, its sessions and tokens stopped working.
    UserDeactivated,
    /// A deactivated account was made active again.
    UserReactivated,
    /// An account's password changed (by its owner, or reset from the command line).
    UserPasswordChanged,
    /// Someone signed in to the admin.
    UserSignedIn,
    /// Someone signed out (of one session, or of all).
    UserSignedOut,
    /// An invitation to create an account was made.
    InvitationCreated,
    /// An API token was created.
    TokenCreated,
    /// An API token was revoked.
    TokenRevoked,
    /// A site setting changed.
    SettingChanged,
    /// A file was uploaded to the media library.
    MediaUploaded,
    /// A media item's alt text, caption or credit changed.
    MediaUpdated,
    /// A media item was deleted from the library.
    MediaDeleted,
    /// A topic's description changed.
    TopicUpdated,
}

impl EventKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [EventKind; 35] = [
        EventKind::ArticleCreated,
        EventKind::ArticleUpdated,
        EventKind::ArticlePublished,
        EventKind::ArticleScheduled,
        EventKind::ArticleUnpublished,
        EventKind::ArticleDeleted,
        EventKind::ArticleRestored,
        EventKind::ArticleCorrected,
        EventKind::ArticleReviewRequested,
        EventKind::ArticleProminenceChanged,
        EventKind::CommentSubmitted,
        EventKind::CommentApproved,
        EventKind::CommentSpammed,
        EventKind::CommentTrashed,
        EventKind::CommentRestored,
        EventKind::CommentDeleted,
        EventKind::CommentEdited,
        EventKind::CommentAuthorBlocked,
        EventKind::CommentAuthorUnblocked,
        EventKind::UserCreated,
        EventKind::UserUpdated,
        EventKind::UserRoleChanged,
        EventKind::UserDeactivated,
        EventKind::UserReactivated,
        EventKind::UserPasswordChanged,
        EventKind::UserSignedIn,
        EventKind::UserSignedOut,
        EventKind::InvitationCreated,
        EventKind::TokenCreated,
        EventKind::TokenRevoked,
        EventKind::SettingChanged,
        EventKind::MediaUploaded,
        EventKind::MediaUpdated,
        EventKind::MediaDeleted,
        EventKind::TopicUpdated,
    ];

    /// The stored and published name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ArticleCreated => "article.created",
            EventKind::ArticleUpdated => "article.updated",
            EventKind::ArticlePublished => "article.published",
            EventKind::ArticleScheduled => "article.scheduled",
            EventKind::ArticleUnpublished => "article.unpublished",
            EventKind::ArticleDeleted => "article.deleted",
            EventKind::ArticleRestored => "article.restored",
            EventKind::ArticleCorrected => "article.corrected",
            EventKind::ArticleReviewRequested => "article.review_requested",
            EventKind::ArticleProminenceChanged => "article.prominence_changed",
            EventKind::CommentSubmitted => "comment.submitted",
            EventKind::CommentApproved => "comment.approved",
            EventKind::CommentSpammed => "comment.spammed",
            EventKind::CommentTrashed => "comment.trashed",
            EventKind::CommentRestored => "comment.restored",
            EventKind::CommentDeleted => "comment.deleted",
            EventKind::CommentEdited => "comment.edited",
            EventKind::CommentAuthorBlocked => "comment.author_blocked",
            EventKind::CommentAuthorUnblocked => "comment.author_unblocked",
            EventKind::UserCreated => "user.created",
            EventKind::UserUpdated => "user.updated",
            EventKind::UserRoleChanged => "user.role_changed",
            EventKind::UserDeactivated => "user.deactivated",
            EventKind::UserReactivated => "user.reactivated",
            EventKind::UserPasswordChanged => "user.password_changed",
            EventKind::UserSignedIn => "user.signed_in",
            EventKind::UserSignedOut => "user.signed_out",
            EventKind::InvitationCreated => "invitation.created",
            EventKind::TokenCreated => "token.created",
            EventKind::TokenRevoked => "token.revoked",
            EventKind::SettingChanged => "setting.changed",
            EventKind::MediaUploaded => "media.uploaded",
            EventKind::MediaUpdated => "media.updated",
            EventKind::MediaDeleted => "media.deleted",
            EventKind::TopicUpdated => "topic.updated",
        }
    }

    /// Parses a name typed by a client.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!("Unknown event kind {s:?}: use a name such as article.published."),
                )
            })
    }

    /// What the event is about.
    pub fn subject_kind(self) -> SubjectKind {
        match self {
            EventKind::ArticleCreated
            | EventKind::ArticleUpdated
            | EventKind::ArticlePublished
            | EventKind::ArticleScheduled
            | EventKind::ArticleUnpublished
            | EventKind::ArticleDeleted
            | EventKind::ArticleRestored
            | EventKind::ArticleCorrected
            | EventKind::ArticleReviewRequested
            | EventKind::ArticleProminenceChanged => SubjectKind::Article,
            EventKind::CommentSubmitted
            | EventKind::CommentApproved
            | EventKind::CommentSpammed
            | EventKind::CommentTrashed
            | EventKind::CommentRestored
            | EventKind::CommentDeleted
            | EventKind::CommentEdited
            | EventKind::CommentAuthorBlocked
            | EventKind::CommentAuthorUnblocked => SubjectKind::Comment,
            EventKind::UserCreated
            | EventKind::UserUpdated
            | EventKind::UserRoleChanged
            | EventKind::UserDeactivated
            | EventKind::UserReactivated
            | EventKind::UserPasswordChanged
            | EventKind::UserSignedIn
            | EventKind::UserSignedOut => SubjectKind::User,
            EventKind::InvitationCreated => SubjectKind::Invitation,
            EventKind::TokenCreated | EventKind::TokenRevoked => SubjectKind::Token,
            EventKind::SettingChanged => SubjectKind::Setting,
            EventKind::MediaUploaded | EventKind::MediaUpdated | EventKind::MediaDeleted => {
                SubjectKind::Media
            }
            EventKind::TopicUpdated => SubjectKind::Topic,
        }
    }
}

impl serde::Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The kind of thing an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// An article; the id is the article's.
    Article,
    /// A comment.
    Comment,
    /// An account.
    User,
    /// An API token.
    Token,
    /// A site setting; it has no id, the payload names the key.
    Setting,
    /// An uploaded file.
    Media,
    /// An invitation to create an account.
    Invitation,
    /// A topic.
    Topic,
}

impl SubjectKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Article => "article",
            SubjectKind::Comment => "comment",
            SubjectKind::User => "user",
            SubjectKind::Token => "token",
            SubjectKind::Setting => "setting",
            SubjectKind::Media => "media",
            SubjectKind::Invitation => "invitation",
            SubjectKind::Topic => "topic",
        }
    }

    /// Parses the stored or typed form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            SubjectKind::Article,
            SubjectKind::Comment,
            SubjectKind::User,
            SubjectKind::Token,
            SubjectKind::Setting,
            SubjectKind::Media,
            SubjectKind::Invitation,
            SubjectKind::Topic,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Subject {
    /// The kind of thing.
    #[serde(rename = "type")]
    pub kind: SubjectKind,
    /// Its id; none for settings.
    pub id: Option<i64>,
}

/// An event about to be written by an action.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// Who did it.
    pub actor: ActorRef,
    /// The id of the thing it happened to (none for settings).
    pub subject_id: Option<i64>,
    /// A small JSON object of what changed. Never a secret, a token, a commenter's e-mail
    /// address or IP hash.
    pub payload: serde_json::Value,
}

impl NewEvent {
    /// An event of `kind` by `actor` about the thing with id `subject_id`.
    pub fn new(
        kind: EventKind,
        actor: ActorRef,
        subject_id: Option<i64>,
        payload: serde_json::Value,
    ) -> Self {
        NewEvent {
            kind,
            actor,
            subject_id,
            payload,
        }
    }

    /// The subject, typed by the kind of event.
    pub fn subject(&self) -> Subject {
        Subject {
            kind: self.kind.subject_kind(),
            id: self.subject_id,
        }
    }
}

/// An event as stored: append-only, with increasing ids.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    /// Position in the log; later events have larger ids.
    pub id: i64,
    /// What happened.
    pub kind: EventKind,
    /// Who did it.
    pub actor: ActorRef,
    /// What it happened to.
    pub subject: Subject,
    /// What changed.
    pub payload: serde_json::Value,
    /// When it was written.
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_name() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse("kind", k.as_str()).unwrap(), k);
            assert_eq!(
                SubjectKind::parse(k.subject_kind().as_str()),
                Some(k.subject_kind())
            );
        }
        assert!(EventKind::parse("kind", "article.exploded").is_err());
    }
}

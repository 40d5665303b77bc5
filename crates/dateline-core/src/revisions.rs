//! Revisions: every save of an article kept whole, compared word by word, and restored.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

use crate::articles::{Article, ArticlePatch, Editor, LeadImageForm, Source, SourceForm};
use crate::patch::Patch;

/// An article as it was at one save: what a revision keeps. Stored as JSON, so fields are only
/// ever added (with a default), never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Headline.
    pub title: String,
    /// URL segment.
    pub slug: String,
    /// Standfirst.
    pub dek: String,
    /// Body in Markdown.
    pub body_markdown: String,
    /// Status then.
    pub status: String,
    /// Publication time then, RFC 3339.
    pub published_at: Option<String>,
    /// Author's account id and name then.
    pub author_id: i64,
    /// Author's name then.
    pub author_name: String,
    /// Lead image.
    pub lead_image: Option<SnapshotImage>,
    /// Sources in order.
    pub sources: Vec<Source>,
    /// Topic names.
    pub topics: Vec<String>,
    /// Corrections and updates then, oldest first.
    #[serde(default)]
    pub corrections: Vec<SnapshotCorrection>,
}

/// The lead image as a revision keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotImage {
    /// Media id.
    pub media_id: i64,
    /// Caption.
    pub caption: String,
    /// Alt text.
    pub alt: String,
    /// Credit.
    pub credit: Option<String>,
}

/// A correction as a revision keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotCorrection {
    /// `correction` or `update`.
    pub kind: String,
    /// Its text.
    pub body: String,
    /// When it was added, RFC 3339.
    pub created_at: String,
}

impl Snapshot {
    /// What `article` is now.
    pub fn of(article: &Article) -> Self {
        Snapshot {
            title: article.title.clone(),
            slug: article.slug.clone(),
            dek: article.dek.clone(),
            body_markdown: article.body_markdown.clone(),
            status: article.status.as_str().to_owned(),
            published_at: article.published_at.map(|t| t.to_string()),
            author_id: article.author.id,
            author_name: article.author.name.clone(),
            lead_image: article.lead_image.as_ref().map(|l| SnapshotImage {
                media_id: l.media.id,
                caption: l.caption.clone(),
                alt: l.alt.clone(),
                credit: l.credit.clone(),
            }),
            sources: article.sources.clone(),
            topics: article.topics.iter().map(|t| t.name.clone()).collect(),
            corrections: article
                .corrections
                .iter()
                .map(|c| SnapshotCorrection {
                    kind: c.kind.as_str().to_owned(),
                    body: c.body.clone(),
                    created_at: c.created_at.to_string(),
                })
                .collect(),
        }
    }

    /// The patch that brings an article's content back to this snapshot. Status, time, author
    /// and corrections stay as they are now: restoring the words of an old version must not
    /// unpublish an article, nor take back a correction readers have seen.
    pub fn restoring_patch(&self) -> ArticlePatch {
        ArticlePatch {
            title: Patch::Value(self.title.clone()),
            slug: Patch::Value(self.slug.clone()),
            dek: Patch::Value(self.dek.clone()),
            body_markdown: Patch::Value(self.body_markdown.clone()),
            lead_image: match &self.lead_image {
                Some(l) => Patch::Value(LeadImageForm {
                    media_id: l.media_id,
                    caption: l.caption.clone(),
                    alt: l.alt.clone(),
                    credit: l.credit.clone(),
                }),
                None => Patch::Null,
            },
            sources: Patch::Value(
                self.sources
                    .iter()
                    .map(|s| SourceForm {
                        title: s.title.clone(),
                        author: s.author.clone(),
                        outlet: s.outlet.clone(),
                        url: s.url.clone(),
                        published_at: s.published_at.clone(),
                    })
                    .collect(),
            ),
            topics: Patch::Value(self.topics.clone()),
            ..Default::default()
        }
    }

    /// The snapshot as labelled blocks of text, in the order an editor reads an article; the
    /// unit a diff compares.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let lead = self
            .lead_image
            .as_ref()
            .map(|l| {
                format!(
                    "image #{}\ncaption: {}\nalt: {}\ncredit: {}",
                    l.media_id,
                    l.caption,
                    l.alt,
                    l.credit.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default();
        let sources = self
            .sources
            .iter()
            .map(|s| {
                [
                    Some(s.title.as_str()),
                    s.author.as_deref(),
                    s.outlet.as_deref(),
                    s.url.as_deref(),
                    s.published_at.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let corrections = self
            .corrections
            .iter()
            .map(|c| format!("{} ({}): {}", c.kind, c.created_at, c.body))
            .collect::<Vec<_>>()
            .join("\n");
        vec![
            ("Title", self.title.clone()),
            ("Slug", self.slug.clone()),
            ("Dek", self.dek.clone()),
            ("Body", self.body_markdown.clone()),
            ("Lead image", lead),
            ("Sources", sources),
            ("Topics", self.topics.join(", ")),
            ("Author", self.author_name.clone()),
            (
                "Status",
                format!(
                    "{} {}",
                    self.status,
                    self.published_at.as_deref().unwrap_or("")
                )
                .trim()
                .to_owned(),
            ),
            ("Corrections", corrections),
        ]
    }
}

/// One save of an article.
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    /// 1 for the first save, then one more for each.
    pub number: i64,
    /// Who saved it, when a member of staff did.
    pub author: Option<Editor>,
    /// How the activity log names who saved it (`user`, `system`, `importer`).
    pub actor: String,
    /// What the save was ("Published", "Restored revision 3", "Correction added").
    pub note: String,
    /// When.
    pub created_at: Timestamp,
    /// The article as it was saved.
    pub snapshot: Snapshot,
}

/// Whether a run of words is in both versions, only the older or only the newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// In both.
    Same,
    /// Only in the older.
    Removed,
    /// Only in the newer.
    Added,
}

/// A run of text with its change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Same, removed or added.
    pub change: Change,
    /// The words, with their spacing.
    pub text: String,
}

/// The differences in one field between two snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct FieldDiff {
    /// "Title", "Body"…
    pub field: &'static str,
    /// The field's text, marked word by word.
    pub spans: Vec<Span>,
}

/// The fields that differ between `old` and `new`, each compared word by word.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<FieldDiff> {
    old.fields()
        .into_iter()
        .zip(new.fields())
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, a), (_, b))| FieldDiff {
            field,
            spans: diff_words(&a, &b),
        })
        .collect()
}

/// `old` and `new` compared word by word; neighbouring words with the same change are joined.
pub fn diff_words(old: &str, new: &str) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for change in TextDiff::from_words(old, new).iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => Change::Same,
            ChangeTag::Delete => Change::Removed,
            ChangeTag::Insert => Change::Added,
        };
        match spans.last_mut() {
            Some(last) if last.change == kind => last.text.push_str(change.value()),
            _ => spans.push(Span {
                change: kind,
                text: change.value().to_owned(),
            }),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(spans: &[Span], change: Change) -> String {
        spans
            .iter()
            .filter(|s| s.change == change)
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn words_are_compared_not_characters() {
        let spans = diff_words(
            "Iraqi forces raided the camp on Tuesday",
            "Iraqi troops raided the camp on Wednesday",
        );
        assert_eq!(text(&spans, Change::Removed), "forcesTuesday");
        assert_eq!(text(&spans, Change::Added), "troopsWednesday");
        assert!(text(&spans, Change::Same).contains("raided the camp on"));
    }

    #[test]
    fn identical_text_has_no_changes() {
        let spans = diff_words("Same words.", "Same words.");
        assert!(spans.iter().all(|s| s.change == Change::Same));
    }
}

//! The classifier learns from the site's own moderators. It is a consumer of the activity log,
//! not a hook in the handlers: it reads `comment.approved` and `comment.spammed` (and comments
//! brought in with their status, `comment.submitted` with `"history": true`) after its stored
//! position, and in one transaction learns from them and moves the position on, so that each
//! decision is learned exactly once, by one process, even with several on one database. A
//! reversed decision (approved, later marked spam) unlearns the first label before learning the
//! second, from the text as it was learned.

use dateline_core::{
    Result,
    classifier::{self, Examples},
    events::{Event, EventKind, SubjectKind},
};
use dateline_store::LearnedExample;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::App;

/// The consumer's name in `event_consumers`.
const CONSUMER: &str = "classifier";
/// Events read in one transaction; [`learn`] read fewer only when it reached the end.
pub(crate) const BATCH: i64 = 200;
/// How far the stored position may lag behind what this process found holds no lesson.
const STORE_EVERY: i64 = 1000;

/// What this process knows of the classifier's place in the log, so that a look for lessons
/// after each commit costs one read of the log and no more.
#[derive(Debug)]
pub(crate) struct Progress {
    /// How far this process found the log to hold nothing to learn beyond the stored position.
    checked: AtomicI64,
    /// The stored position as this process last read or wrote it (another process may since
    /// have moved it on); -1 before it has.
    stored: AtomicI64,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            checked: AtomicI64::new(0),
            stored: AtomicI64::new(-1),
        }
    }
}

/// What the classifier sees of a comment: the name, the e-mail address and the text, because
/// spammers give themselves away in each.
pub fn text_of(name: &str, email: Option<&str>, body: &str) -> String {
    format!("{name}\n{}\n{body}", email.unwrap_or_default())
}

/// How many examples of each kind it has learned from, and where it has read the log to. The
/// position is read first: the examples, read after, have learned at least up to it.
pub async fn status(app: &App) -> Result<(Examples, i64)> {
    let position = checked_to(app).await?;
    Ok((app.db().classifier_examples().await?, position))
}

/// The stored position, or further where this process found nothing to learn beyond it.
async fn checked_to(app: &App) -> Result<i64> {
    let checked = app.classifier_progress().checked.load(Ordering::SeqCst);
    Ok(app.db().consumer_position(CONSUMER).await?.max(checked))
}

/// Learns from the decisions recorded since its position; returns how many events it read
/// (0 when it is up to date).
pub async fn learn(app: &App) -> Result<usize> {
    // Reads first, so that an idle site does not take the write lock on every tick; and most
    // events teach nothing (a reader's comment): a write for each batch of them took turns
    // with the comments themselves. Those are skipped in memory, and the stored position
    // catches up at the next lesson, or every thousand events. The stored position is read
    // once: where another process has learned since, the lessons read here again are found
    // learned under the lock below, which reads the position as it is.
    let progress = app.classifier_progress();
    let mut stored = progress.stored.load(Ordering::SeqCst);
    if stored < 0 {
        stored = app.db().consumer_position(CONSUMER).await?;
        progress.stored.fetch_max(stored, Ordering::SeqCst);
    }
    let checked = stored.max(progress.checked.load(Ordering::SeqCst));
    let ahead = app.db().events_after(checked, BATCH).await?;
    let Some(last) = ahead.last().map(|e| e.id) else {
        return Ok(0);
    };
    if !ahead.iter().any(|e| lesson(e).is_some()) && last - stored < STORE_EVERY {
        progress.checked.fetch_max(last, Ordering::SeqCst);
        return Ok(ahead.len());
    }
    let mut tx = app.db().begin_write().await?;
    let locked = tx.lock_consumer_position(CONSUMER).await?;
    progress.stored.fetch_max(locked, Ordering::SeqCst);
    // Events are never changed: what this process found to hold no lesson still holds none.
    let position = locked.max(progress.checked.load(Ordering::SeqCst));
    let events = tx.events_after(position, BATCH).await?;
    let Some(last) = events.last().map(|e| e.id) else {
        return Ok(0);
    };
    for event in &events {
        let Some((comment_id, label)) = lesson(event) else {
            continue;
        };
        let Some(comment) = tx.comment_for_update(comment_id).await? else {
            continue; // Deleted since: nothing left to learn from.
        };
        let before = tx.learned_example(comment_id).await?;
        if before.as_ref().is_some_and(|b| b.label == label) {
            continue;
        }
        if let Some(b) = &before {
            let (spam, ham) = weights(&b.label);
            tx.add_feature_counts(&classifier::features(&b.text), -spam, -ham)
                .await?;
        }
        let (email, _) = tx.comment_sender(comment_id).await?.unwrap_or_default();
        let text = text_of(&comment.author_name, email.as_deref(), &comment.body);
        let (spam, ham) = weights(label);
        tx.add_feature_counts(&classifier::features(&text), spam, ham)
            .await?;
        tx.put_learned_example(
            comment_id,
            &LearnedExample {
                label: label.to_owned(),
                text,
            },
        )
        .await?;
    }
    tx.set_consumer_position(CONSUMER, last).await?;
    tx.commit().await?;
    progress.stored.fetch_max(last, Ordering::SeqCst);
    Ok(events.len())
}

/// The comment an event teaches about, and as what.
fn lesson(event: &Event) -> Option<(i64, &'static str)> {
    if event.subject.kind != SubjectKind::Comment {
        return None;
    }
    let id = event.subject.id?;
    match event.kind {
        EventKind::CommentApproved => Some((id, "ham")),
        EventKind::CommentSpammed => Some((id, "spam")),
        EventKind::CommentSubmitted if event.payload["history"] == true => {
            match event.payload["status"].as_str() {
                Some("approved") => Some((id, "ham")),
                Some("spam") => Some((id, "spam")),
                _ => None,
            }
        }
        _ => None,
    }
}

fn weights(label: &str) -> (i64, i64) {
    if label == "spam" { (1, 0) } else { (0, 1) }
}

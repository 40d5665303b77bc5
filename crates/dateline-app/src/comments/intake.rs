//! Group commit. Comments that arrive at the same moment are written by one committer per
//! process in one transaction, each inside its own savepoint, and share one commit: one fsync
//! on SQLite, one `COMMIT` on PostgreSQL, instead of one each. Nobody waits for company: the
//! committer takes whatever is queued when its previous commit ends (at most [`MAX_BATCH`]),
//! and a comment that arrives alone is committed alone. Each caller is answered only after the
//! commit that stored its comment, so an acknowledged comment is durable.
//!
//! Within a batch each comment's checks run after the comments before it were written, in the
//! same transaction, so the rate limits, the duplicate check and the first-time rule see them
//! exactly as if they had been sent one after another. A comment whose check refuses it, or
//! whose writes fail, is rolled back to its savepoint and gets its own error; the others go on.
//! If the transaction fails as a whole (its begin, an event, the commit), every caller of the
//! batch gets the error and nothing of theirs is stored.

use std::sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicU64, Ordering},
};

use dateline_core::{
    Error, Result,
    actor::ActorRef,
    articles::Article,
    comments::{Comment, CommentInput, CommentStatus},
    events::{EventKind, NewEvent},
    moderation::CommentRules,
};
use dateline_store::{Db, NewComment, WriteTx};
use jiff::Timestamp;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::checks::{self, FormFacts, FormShown};

/// The most comments one transaction takes: enough that a burst shares few commits, few
/// enough that the first of them is not kept long by the checks of the last.
pub(crate) const MAX_BATCH: usize = 64;

/// A comment that passed everything its caller could check outside the transaction (the
/// article is visible to the actor, the form parses, history only from those who may bring
/// it), with what the committer needs to finish it.
pub(crate) struct Pending {
    pub article: Article,
    pub actor: ActorRef,
    /// What a reader sent it from; none for staff, the system and importers, who are trusted.
    pub reader: Option<ReaderFacts>,
    /// The member of staff who wrote it (not when staff bring in other people's comments).
    pub author_user_id: Option<i64>,
    pub input: CommentInput,
    pub email_hash: Option<String>,
    pub form: Option<FormFacts>,
    pub form_shown: FormShown,
    pub now: Timestamp,
}

/// The reader a comment came from, as the intake keeps them.
pub(crate) struct ReaderFacts {
    pub ip_hash: String,
    pub network_hash: String,
    pub user_agent: Option<String>,
}

struct Job {
    pending: Pending,
    reply: oneshot::Sender<Result<Comment>>,
}

/// The way into the committer of one [`crate::App`]: a queue, and the task that empties it,
/// started by the first comment (and again should it ever stop).
#[derive(Default)]
pub(crate) struct Intake {
    queue: Mutex<Option<mpsc::UnboundedSender<Vec<Job>>>>,
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Stats {
    batches: AtomicU64,
    comments: AtomicU64,
}

/// How many transactions the committer has committed, and how many comments they stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntakeStats {
    /// Commits.
    pub batches: u64,
    /// Comments stored by them.
    pub comments: u64,
}

impl Intake {
    /// What has been committed so far.
    pub(crate) fn stats(&self) -> IntakeStats {
        IntakeStats {
            batches: self.stats.batches.load(Ordering::Relaxed),
            comments: self.stats.comments.load(Ordering::Relaxed),
        }
    }

    /// Queues `pending` and waits for the commits that decide them; the answers come in the
    /// same order. Up to [`MAX_BATCH`] comments given together go into one transaction.
    pub(crate) async fn submit(&self, db: &Db, pending: Vec<Pending>) -> Vec<Result<Comment>> {
        let mut replies = Vec::with_capacity(pending.len());
        let mut chunks = Vec::new();
        let mut chunk = Vec::new();
        for p in pending {
            let (reply, answer) = oneshot::channel();
            replies.push(answer);
            chunk.push(Job { pending: p, reply });
            if chunk.len() == MAX_BATCH {
                chunks.push(std::mem::take(&mut chunk));
            }
        }
        if !chunk.is_empty() {
            chunks.push(chunk);
        }
        for chunk in chunks {
            self.send(db, chunk);
        }
        let mut answers = Vec::with_capacity(replies.len());
        for answer in replies {
            answers.push(answer.await.unwrap_or_else(|_| {
                Err(Error::Internal(
                    "the comment committer stopped before answering".to_owned(),
                ))
            }));
        }
        answers
    }

    fn send(&self, db: &Db, jobs: Vec<Job>) {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let jobs = match queue.as_ref() {
            Some(q) => match q.send(jobs) {
                Ok(()) => return,
                Err(mpsc::error::SendError(jobs)) => jobs,
            },
            None => jobs,
        };
        // No committer yet, or it stopped (a panic): start one. It holds the database and the
        // queue's receiving end only, so it ends when the last `App` holding this queue is
        // dropped, after answering what was queued.
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(committer(db.clone(), receiver, self.stats.clone()));
        // The receiver was just made and is alive: this send cannot fail.
        let _ = sender.send(jobs);
        *queue = Some(sender);
    }
}

/// Takes what is queued, writes it in one transaction, answers, and again, until the queue is
/// closed.
async fn committer(db: Db, mut queue: mpsc::UnboundedReceiver<Vec<Job>>, stats: Arc<Stats>) {
    let mut carried = None;
    loop {
        let mut batch = match carried.take() {
            Some(jobs) => jobs,
            None => match queue.recv().await {
                Some(jobs) => jobs,
                None => return,
            },
        };
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(more) if batch.len() + more.len() <= MAX_BATCH => batch.extend(more),
                // Comments sent together stay together: they wait for the next batch.
                Ok(more) => {
                    carried = Some(more);
                    break;
                }
                Err(_) => break,
            }
        }
        let (pending, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|j| (j.pending, j.reply)).unzip();
        match write_batch(&db, &pending).await {
            Ok(answers) => {
                let stored = answers.iter().filter(|a| a.is_ok()).count() as u64;
                if stored > 0 {
                    stats.batches.fetch_add(1, Ordering::Relaxed);
                    stats.comments.fetch_add(stored, Ordering::Relaxed);
                }
                metrics::histogram!("comment_batch_size").record(pending.len() as f64);
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // A caller that gave up (its client went away) is no longer listening;
                    // its comment is stored all the same, as it would have been alone.
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, comments = pending.len(), "a batch of comments failed");
                for reply in replies {
                    let _ = reply.send(Err(copy_error(&e)));
                }
            }
        }
    }
}

/// The whole batch's error, for each of its callers.
fn copy_error(e: &Error) -> Error {
    match e {
        Error::Internal(m) => Error::Internal(m.clone()),
        other => Error::Internal(other.to_string()),
    }
}

/// Writes a batch in one transaction: each comment in its own savepoint, then every event in
/// order (events come last, see ARCHITECTURE.md), then one commit. `Err` is a failure of the
/// whole, which stores nothing; otherwise each comment has its own answer.
async fn write_batch(db: &Db, batch: &[Pending]) -> Result<Vec<Result<Comment>>> {
    // Once per batch, not per comment: every comment of a batch is judged by the same rules.
    let rules = if batch.iter().any(|p| p.reader.is_some()) {
        Some(db.site_settings().await?.comment_rules())
    } else {
        None
    };
    let mut tx = db.begin_write().await?;
    let mut answers = Vec::with_capacity(batch.len());
    if let [only] = batch {
        // Alone, a comment needs no savepoint: if it fails, the transaction is dropped.
        answers.push(write_one(only, rules.as_ref(), &mut tx).await);
    } else {
        for p in batch {
            tx.begin_comment().await?;
            let answer = write_one(p, rules.as_ref(), &mut tx).await;
            match answer {
                Ok(_) => tx.keep_comment().await?,
                Err(_) => tx.undo_comment().await?,
            }
            answers.push(answer);
        }
    }
    let mut stored = 0;
    for (p, answer) in batch.iter().zip(&answers) {
        if let Ok(comment) = answer {
            tx.record(&submitted_event(p, comment), p.now).await?;
            stored += 1;
        }
    }
    // A batch that stored nothing has nothing to make durable: it is dropped, rolled back.
    if stored > 0 {
        tx.commit().await?;
    }
    Ok(answers)
}

/// One comment's checks and writes, in the batch's transaction.
async fn write_one(p: &Pending, rules: Option<&CommentRules>, tx: &mut WriteTx) -> Result<Comment> {
    let outcome = match (&p.reader, rules) {
        (Some(reader), Some(rules)) => {
            let submission = checks::Submission {
                article: &p.article,
                network_hash: &reader.network_hash,
                address_hash: &reader.ip_hash,
                email_hash: p.email_hash.as_deref(),
                input: &p.input,
                form: p.form.as_ref(),
                form_shown: p.form_shown,
                rules,
                now: p.now,
            };
            checks::run(&submission, tx).await?
        }
        _ => checks::Outcome {
            status: p.input.status.unwrap_or(CommentStatus::Approved),
            reasons: Vec::new(),
        },
    };
    if let Some(parent) = p.input.parent_id
        && tx.article_of_comment(parent).await? != Some(p.article.id)
    {
        return Err(Error::invalid(
            "parent_id",
            "No comment on this article has this id.",
        ));
    }
    let reader = p.reader.as_ref();
    tx.insert_comment(&NewComment {
        article_id: p.article.id,
        parent_id: p.input.parent_id,
        author_name: p.input.author_name.clone(),
        author_email: p.input.author_email.clone(),
        body: p.input.body.clone(),
        status: outcome.status,
        created_at: p.input.created_at.unwrap_or(p.now),
        ip_hash: reader.map(|r| r.ip_hash.clone()),
        user_agent: reader.and_then(|r| r.user_agent.clone()),
        reasons: outcome.reasons,
        email_hash: p.email_hash.clone(),
        author_user_id: p.author_user_id,
    })
    .await
}

/// `comment.submitted`. The author's name is public; the e-mail address and the IP hash never
/// enter the log. `history` marks a status that was decided elsewhere (an import), which the
/// classifier learns from as from a moderator's decision.
fn submitted_event(p: &Pending, stored: &Comment) -> NewEvent {
    NewEvent::new(
        EventKind::CommentSubmitted,
        p.actor,
        Some(stored.id),
        json!({
            "article_id": p.article.id,
            "parent_id": stored.parent_id,
            "status": stored.status.as_str(),
            "author_name": stored.author_name,
            "history": p.input.sets_history(),
        }),
    )
}

//! Group commit. Comments that arrive at the same moment are written by one committer per
//! process in one transaction and share one commit: one fsync on SQLite, one `COMMIT` on
//! PostgreSQL, instead of one each. Nobody waits for company: the committer takes whatever is
//! queued when its previous commit ends (at most [`MAX_BATCH`]), and a comment that arrives
//! alone is committed alone. Each caller is answered only after the commit that stored its
//! comment, so an acknowledged comment is durable.
//!
//! Within a batch each comment is judged after the comments before it were stored, so the rate
//! limits, the duplicate check and the first-time rule see them exactly as if they had been
//! sent one after another. What those checks read of the database is read once for the whole
//! batch, in its transaction (the rate-limit buckets, locked; earlier comments with the same
//! texts; which senders were ever approved; the parents answered), and then kept up to date in
//! memory as each comment is accepted, with the very arithmetic the database used: a batch costs
//! a handful of statements, not a handful for each comment, which is what bounded the intake
//! when every statement was a round trip. What no comment of the batch can change (blocks, the
//! classifier, the article) was read by each caller before it queued its comment (see
//! [`super::prepare`]). The accepted comments are then stored with one statement, their events
//! with another, and the buckets written back with a third.
//!
//! A comment whose check refuses it gets its own error and takes nothing (no token, no place
//! in the duplicate check); the others go on. Should the one statement that stores the batch's
//! comments fail, the transaction is dropped and the batch is written again one comment at a
//! time, each inside its own savepoint, so that the comment that cannot be stored fails alone
//! and the others are judged as if it had never come. If the transaction fails as a whole (its
//! begin, an event, the commit), every caller of the batch gets the error and nothing of theirs
//! is stored.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use dateline_core::{
    Error, Result,
    actor::ActorRef,
    articles::CommentTarget,
    classifier::Judgement,
    comments::{Comment, CommentInput, CommentStatus},
    events::{EventKind, NewEvent},
    moderation::CommentRules,
    settings::{FirstTimePolicy, SiteSettings},
};
use dateline_store::{Db, NewComment, RateBucket, WriteTx};
use jiff::Timestamp;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::{
    checks::{self, FormFacts, FormShown},
    task_queue::TaskQueue,
};

/// The most comments one transaction takes: enough that a burst shares few commits, few
/// enough that the first of them is not kept long by the checks of the last.
pub(crate) const MAX_BATCH: usize = 64;

/// A comment that passed everything its caller could check outside the transaction (the
/// article is visible to the actor, the form parses, history only from those who may bring
/// it), with what the committer needs to finish it.
pub(crate) struct Pending {
    pub article: CommentTarget,
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

/// The reader a comment came from, as the intake keeps them, with what was read about them
/// before the transaction.
pub(crate) struct ReaderFacts {
    pub ip_hash: String,
    pub network_hash: String,
    pub user_agent: Option<String>,
    /// Which of their e-mail address and address is blocked, if one is (see
    /// [`checks::Found::blocked_as`]).
    pub blocked_as: Option<String>,
    /// What the classifier says of their comment.
    pub judgement: Judgement,
}

/// A comment as the committer stored it, with the settings a reader's comment was judged by.
pub(crate) struct Stored {
    pub comment: Comment,
    pub settings: Option<Arc<SiteSettings>>,
}

struct Job {
    pending: Pending,
    reply: oneshot::Sender<Result<Stored>>,
}

/// The way into the committer of one [`crate::App`]: a queue, and the task that empties it,
/// started by the first comment (and again should it ever stop).
#[derive(Default)]
pub(crate) struct Intake {
    queue: TaskQueue<Vec<Job>>,
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
    pub(crate) async fn submit(&self, db: &Db, pending: Vec<Pending>) -> Vec<Result<Stored>> {
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
        self.queue.send(jobs, |receiver| {
            tokio::spawn(committer(db.clone(), receiver, self.stats.clone()));
        });
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
pub(super) fn copy_error(e: &Error) -> Error {
    match e {
        Error::Internal(m) => Error::Internal(m.clone()),
        other => Error::Internal(other.to_string()),
    }
}

/// Writes a batch in one transaction: every comment judged in order, the accepted ones stored
/// together, their events after them (events come last, see ARCHITECTURE.md), then one commit.
/// `Err` is a failure of the whole, which stores nothing; otherwise each comment has its own
/// answer.
async fn write_batch(db: &Db, batch: &[Pending]) -> Result<Vec<Result<Stored>>> {
    // Once per batch, not per comment: every comment of a batch is judged by the same rules.
    // Read on another connection while the transaction begins, so that neither waits for the
    // other: the batch waits for one round trip to the database instead of two.
    let readers = batch.iter().any(|p| p.reader.is_some());
    let (settings, tx) = tokio::try_join!(
        async {
            match readers {
                true => db.site_settings().await.map(|s| Some(Arc::new(s))),
                false => Ok(None),
            }
        },
        db.begin_write(),
    )?;
    let rules = settings.as_ref().map(|s| s.comment_rules());
    let answers = match write(tx, batch, rules.as_ref(), Storing::Together).await? {
        Some(answers) => answers,
        // The statement that stored them together failed: one at a time, to find the one.
        None => write(
            db.begin_write().await?,
            batch,
            rules.as_ref(),
            Storing::OneByOne,
        )
        .await?
        .ok_or_else(|| Error::Internal("the batch could not be stored".to_owned()))?,
    };
    Ok(answers
        .into_iter()
        .map(|a| {
            a.map(|comment| Stored {
                comment,
                settings: settings.clone(),
            })
        })
        .collect())
}

/// How the accepted comments of a batch are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storing {
    /// With one statement, which fails for all if one cannot be stored.
    Together,
    /// One at a time, each in a savepoint: the one that cannot be stored fails alone.
    OneByOne,
}

/// One try at a batch in transaction `tx`; `None` when storing the comments together failed
/// (nothing is stored: the transaction is dropped).
async fn write(
    mut tx: WriteTx,
    batch: &[Pending],
    rules: Option<&CommentRules>,
    mut storing: Storing,
) -> Result<Option<Vec<Result<Comment>>>> {
    let mut state = BatchState::read(&mut tx, batch, rules).await?;
    // A parent not stored yet could only be a comment earlier in this batch (its id guessed):
    // only storing one at a time knows those ids, as the comments before did.
    if batch.iter().any(|p| {
        p.input
            .parent_id
            .is_some_and(|id| !state.parents.contains_key(&id))
    }) {
        storing = Storing::OneByOne;
    }
    let mut answers: Vec<Result<Comment>> = Vec::with_capacity(batch.len());
    match storing {
        Storing::Together => {
            let mut rows = Vec::with_capacity(batch.len());
            let mut accepted_at = Vec::with_capacity(batch.len());
            for p in batch {
                match state.judge(p, rules) {
                    Ok(accepted) => {
                        state.accept(&accepted, None);
                        accepted_at.push(answers.len());
                        rows.push(accepted.row);
                        // Replaced by the comment as stored, below.
                        answers.push(Err(Error::NotFound));
                    }
                    Err(e) => answers.push(Err(e)),
                }
            }
            match tx.insert_comments(&rows).await {
                Ok(stored) => {
                    for (i, comment) in accepted_at.into_iter().zip(stored) {
                        answers[i] = Ok(comment);
                    }
                }
                // Alone, a comment that cannot be stored fails alone: the transaction is
                // dropped, and the others were refused.
                Err(e) if rows.len() == 1 => {
                    answers[accepted_at[0]] = Err(e);
                    return Ok(Some(answers));
                }
                Err(_) => return Ok(None),
            }
        }
        Storing::OneByOne => {
            for p in batch {
                let answer = match state.judge(p, rules) {
                    Err(e) => Err(e),
                    Ok(accepted) => {
                        tx.begin_comment().await?;
                        match tx.insert_comment(&accepted.row).await {
                            Ok(comment) => {
                                tx.keep_comment().await?;
                                state.accept(&accepted, Some(comment.id));
                                Ok(comment)
                            }
                            Err(e) => {
                                tx.undo_comment().await?;
                                Err(e)
                            }
                        }
                    }
                };
                answers.push(answer);
            }
        }
    }
    let events: Vec<(NewEvent, Timestamp)> = batch
        .iter()
        .zip(&answers)
        .filter_map(|(p, a)| a.as_ref().ok().map(|c| (submitted_event(p, c), p.now)))
        .collect();
    // A batch that stored nothing has nothing to make durable: it is dropped, rolled back.
    if events.is_empty() {
        return Ok(Some(answers));
    }
    state.save_buckets(&mut tx).await?;
    tx.record_all(&events).await?;
    tx.commit().await?;
    Ok(Some(answers))
}

/// A comment the checks let in: its row, and the tokens it takes.
struct Accepted {
    row: NewComment,
    takes: Vec<(String, RateBucket)>,
}

/// What the checks of a batch read of the database, read once in its transaction and then
/// kept as each accepted comment changes it.
struct BatchState {
    /// The rate-limit buckets of the batch's readers (`None`: not made yet).
    buckets: HashMap<String, Option<RateBucket>>,
    /// Those that did not exist when read.
    new_buckets: HashSet<String>,
    /// Those tokens were taken from.
    taken: HashSet<String>,
    /// When each of the batch's texts was posted on each of its articles (trashed ones aside),
    /// recently enough to matter.
    same_text: HashMap<(i64, String), Vec<Timestamp>>,
    /// The keyed e-mail hashes a comment was ever approved from, of those in the batch.
    approved: HashSet<String>,
    /// The article of each comment answered in the batch (those that exist).
    parents: HashMap<i64, i64>,
}

impl BatchState {
    /// Reads what the batch's checks need: four statements at most, whatever its size.
    async fn read(
        tx: &mut WriteTx,
        batch: &[Pending],
        rules: Option<&CommentRules>,
    ) -> Result<Self> {
        let readers: Vec<&Pending> = match rules {
            Some(_) => batch.iter().filter(|p| p.reader.is_some()).collect(),
            None => Vec::new(),
        };
        let mut keys = Vec::new();
        let mut seen = HashSet::new();
        if let Some(rules) = rules {
            for p in &readers {
                if let Some(r) = &p.reader {
                    for b in checks::rate_buckets(&r.network_hash, p.article.id, rules) {
                        if seen.insert(b.key.clone()) {
                            keys.push(b.key);
                        }
                    }
                }
            }
        }
        let buckets = tx.lock_rate_buckets(&keys).await?;
        let new_buckets = buckets
            .iter()
            .filter(|(_, b)| b.is_none())
            .map(|(k, _)| k.clone())
            .collect();

        let mut article_ids: Vec<i64> = readers.iter().map(|p| p.article.id).collect();
        article_ids.sort_unstable();
        article_ids.dedup();
        let mut bodies: Vec<&str> = readers.iter().map(|p| p.input.body.as_str()).collect();
        bodies.sort_unstable();
        bodies.dedup();
        let mut same_text: HashMap<(i64, String), Vec<Timestamp>> = HashMap::new();
        if let Some(since) = readers.iter().map(|p| checks::duplicate_since(p.now)).min() {
            for (article, body, at) in tx
                .recent_comments_like(&article_ids, &bodies, since)
                .await?
            {
                same_text.entry((article, body)).or_default().push(at);
            }
        }

        let mut hashes: Vec<&str> = match rules {
            Some(r) if r.first_time == FirstTimePolicy::HoldFirstTime => readers
                .iter()
                .filter_map(|p| p.email_hash.as_deref())
                .collect(),
            _ => Vec::new(),
        };
        hashes.sort_unstable();
        hashes.dedup();
        let approved = tx.approved_senders(&hashes).await?;

        let mut parent_ids: Vec<i64> = batch.iter().filter_map(|p| p.input.parent_id).collect();
        parent_ids.sort_unstable();
        parent_ids.dedup();
        let parents = tx.articles_of_comments(&parent_ids).await?;

        Ok(BatchState {
            buckets,
            new_buckets,
            taken: HashSet::new(),
            same_text,
            approved,
            parents,
        })
    }

    /// Whether `body` was posted on article `article_id` after `since`.
    fn has_same_text(&self, article_id: i64, body: &str, since: Timestamp) -> bool {
        self.same_text
            .get(&(article_id, body.to_owned()))
            .is_some_and(|times| times.iter().any(|&t| t > since))
    }

    /// Runs a comment's checks against the batch as it stands; what to store if they let it in.
    fn judge(&self, p: &Pending, rules: Option<&CommentRules>) -> Result<Accepted> {
        let mut takes = Vec::new();
        let outcome = match (&p.reader, rules) {
            (Some(reader), Some(rules)) => {
                let mut rate_limited = None;
                for b in checks::rate_buckets(&reader.network_hash, p.article.id, rules) {
                    let bucket = self.buckets.get(&b.key).copied().flatten();
                    match checks::take_token(bucket, &b, p.now) {
                        Ok(after) => takes.push((b.key, after)),
                        Err(wait) => {
                            rate_limited = Some(wait);
                            break;
                        }
                    }
                }
                let found = checks::Found {
                    rate_limited,
                    blocked_as: reader.blocked_as.clone(),
                    duplicate: self.has_same_text(
                        p.article.id,
                        &p.input.body,
                        checks::duplicate_since(p.now),
                    ),
                    judgement: reader.judgement,
                    approved_before: p
                        .email_hash
                        .as_ref()
                        .is_some_and(|h| self.approved.contains(h)),
                };
                let submission = checks::Submission {
                    article: &p.article,
                    email_hash: p.email_hash.as_deref(),
                    input: &p.input,
                    form: p.form.as_ref(),
                    form_shown: p.form_shown,
                    rules,
                    now: p.now,
                    found: &found,
                };
                checks::run(&submission)?
            }
            _ => checks::Outcome {
                status: p.input.status.unwrap_or(CommentStatus::Approved),
                reasons: Vec::new(),
            },
        };
        if let Some(parent) = p.input.parent_id
            && self.parents.get(&parent) != Some(&p.article.id)
        {
            return Err(Error::invalid(
                "parent_id",
                "No comment on this article has this id.",
            ));
        }
        let reader = p.reader.as_ref();
        Ok(Accepted {
            takes,
            row: NewComment {
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
            },
        })
    }

    /// Counts an accepted comment in, for the comments after it (`id`: its id, when known).
    fn accept(&mut self, accepted: &Accepted, id: Option<i64>) {
        for (key, bucket) in &accepted.takes {
            self.buckets.insert(key.clone(), Some(*bucket));
            self.taken.insert(key.clone());
        }
        let row = &accepted.row;
        if row.status != CommentStatus::Trash {
            self.same_text
                .entry((row.article_id, row.body.clone()))
                .or_default()
                .push(row.created_at);
        }
        if row.status == CommentStatus::Approved
            && let Some(hash) = &row.email_hash
        {
            self.approved.insert(hash.clone());
        }
        if let Some(id) = id {
            self.parents.insert(id, row.article_id);
        }
    }

    /// Writes back the buckets tokens were taken from.
    async fn save_buckets(&self, tx: &mut WriteTx) -> Result<()> {
        let mut taken: Vec<(String, RateBucket)> = self
            .taken
            .iter()
            .filter_map(|k| {
                self.buckets
                    .get(k)
                    .copied()
                    .flatten()
                    .map(|b| (k.clone(), b))
            })
            .collect();
        taken.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let untouched: Vec<String> = self
            .new_buckets
            .iter()
            .filter(|k| !self.taken.contains(*k))
            .cloned()
            .collect();
        if taken.is_empty() && untouched.is_empty() {
            return Ok(());
        }
        tx.save_rate_buckets(&taken, &untouched).await
    }
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

//! Dateline's actions: every change to the site is one function here (`articles::create`,
//! `comments::submit`, `users::create_owner`, …). Each takes who is acting, checks what they
//! may do, makes all its writes in one transaction of the store, and records its event in that
//! transaction; so a change is whole or absent, and the rest of the system learns of it from
//! the activity log. Every surface (reader site, API, command line, jobs, importers) calls these
//! functions and no write of the store directly.
//!
//! Dependencies point down: web and the binary → here → store → core.

pub mod activity;
pub mod articles;
pub mod auth;
pub mod bootstrap;
pub mod comments;
pub mod generate;
pub mod jobs;
pub mod media;
pub mod search;
pub mod settings;
pub mod tokens;
pub mod topics;
pub mod users;

use std::{net::IpAddr, path::PathBuf, sync::Arc};

use dateline_core::{
    Clock,
    actor::{Actor, Reader},
    secrets::keyed_hash,
};
use dateline_store::Db;
use jiff::Timestamp;

pub use dateline_core::{Error, Result};

/// What every action needs: the database, the clock, the media folder and the site's key for
/// hashing readers' addresses. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    clock: Arc<dyn Clock>,
    media_dir: PathBuf,
    ip_key: Vec<u8>,
    decoding: media::Decoding,
    /// The committer of comments (group commit), one per `App` and so per process.
    intake: Arc<comments::Intake>,
    /// Reads for readers' comments arriving together, one statement for all.
    comment_reads: Arc<comments::GroupReads>,
    /// What this process knows of the classifier's place in the log
    /// ([`comments::classifier::learn`]).
    classifier_progress: Arc<comments::classifier::Progress>,
}

impl App {
    /// Bundles the parts; [`bootstrap::prepare`] makes one for a running site.
    pub fn new(db: Db, clock: Arc<dyn Clock>, media_dir: PathBuf, ip_key: Vec<u8>) -> Self {
        App {
            inner: Arc::new(Inner {
                db,
                clock,
                media_dir,
                ip_key,
                decoding: media::Decoding::new(media::MediaLimits::default()),
                intake: Arc::default(),
                comment_reads: Arc::default(),
                classifier_progress: Arc::default(),
            }),
        }
    }

    /// The same, with other limits on decoding uploads.
    pub fn with_media_limits(self, limits: media::MediaLimits) -> Self {
        let inner = &self.inner;
        App {
            inner: Arc::new(Inner {
                db: inner.db.clone(),
                clock: inner.clock.clone(),
                media_dir: inner.media_dir.clone(),
                ip_key: inner.ip_key.clone(),
                decoding: media::Decoding::new(limits),
                // One committer per process, whichever copy of the parts a caller holds.
                intake: inner.intake.clone(),
                comment_reads: inner.comment_reads.clone(),
                classifier_progress: inner.classifier_progress.clone(),
            }),
        }
    }

    /// The most uploads that were decoded at the same moment since start.
    pub fn media_decode_peak(&self) -> usize {
        self.inner.decoding.peak()
    }

    /// What an upload may be: its size in bytes and in pixels.
    pub fn media_limits(&self) -> &media::MediaLimits {
        &self.inner.decoding.limits
    }

    /// The limits and turns of image decoding.
    pub(crate) fn decoding(&self) -> &media::Decoding {
        &self.inner.decoding
    }

    /// The committer comments are written through.
    pub(crate) fn intake(&self) -> &comments::Intake {
        &self.inner.intake
    }

    pub(crate) fn comment_reads(&self) -> &comments::GroupReads {
        &self.inner.comment_reads
    }

    pub(crate) fn classifier_progress(&self) -> &comments::classifier::Progress {
        &self.inner.classifier_progress
    }

    /// The database, for reads (writes go through the actions).
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The clock, for the jobs runner.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    /// Folder of uploaded media.
    pub fn media_dir(&self) -> &std::path::Path {
        &self.inner.media_dir
    }

    /// An anonymous reader at `ip`: only the keyed hash of the address is kept.
    pub fn reader(&self, ip: IpAddr, user_agent: Option<&str>) -> Actor {
        let network = dateline_core::actor::network_of(ip);
        let network_hash = keyed_hash(&self.inner.ip_key, &format!("net {network}"));
        Actor::Reader(Reader::new(self.ip_hash(ip), network_hash, user_agent))
    }

    /// A signature of `value` for `purpose`, keyed by the site's secret: what a cookie carries so
    /// that the server can trust it came from here.
    pub fn sign(&self, purpose: &str, value: &str) -> String {
        keyed_hash(&self.inner.ip_key, &format!("{purpose}\n{value}"))
    }

    /// The keyed hash a commenter's e-mail address is known by (to block it), whatever its case.
    pub fn email_hash(&self, email: &str) -> String {
        keyed_hash(
            &self.inner.ip_key,
            &format!("email {}", email.trim().to_lowercase()),
        )
    }

    /// The keyed hash under which an address is stored.
    pub fn ip_hash(&self, ip: IpAddr) -> String {
        keyed_hash(&self.inner.ip_key, &ip.to_string())
    }
}

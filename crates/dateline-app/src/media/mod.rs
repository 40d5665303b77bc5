//! The media library's actions: upload, describe, delete, and the responsive variants made in
//! the background. Uploads are recognised as images by decoding them (never by file name or
//! declared type), checked against decompression bombs, stripped of their metadata, written
//! once per content with a thumbnail for lists, then recorded with their event.

mod images;
mod metadata;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use dateline_core::{
    Error, Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    media::{DEFAULT_MAX_UPLOAD_BYTES, MAX_DESCRIPTION_CHARS, Media, too_large_message},
    permissions, text,
};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::{App, jobs::Job};
use images::{store_image, write_variants};

/// How much decoding an upload may cost. Decoding multiplies memory: a 500 KB PNG can describe
/// 13,000 × 13,000 pixels, half a gigabyte once decoded. So an image's size in pixels is read
/// from its header and checked before it is decoded, decoders get an allocation cap, and only
/// a few decode at once (others wait their turn).
#[derive(Debug, Clone)]
pub struct MediaLimits {
    /// Most pixels (width × height) an image may have.
    pub max_pixels: u64,
    /// Most frames an animated GIF may have.
    pub max_gif_frames: usize,
    /// Images decoded at once.
    pub concurrent_decodes: usize,
    /// Largest file accepted, in bytes.
    pub max_upload_bytes: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            // A 24-megapixel camera (6,000 × 4,000) passes, with room for 6,048 × 4,032.
            max_pixels: 30_000_000,
            max_gif_frames: 1000,
            concurrent_decodes: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
        }
    }
}

/// The decoding side of the media library: its limits, the turns of decoders, and how many
/// decoded at once at most (for operators, and for the test that holds the limit).
pub(crate) struct Decoding {
    pub(crate) limits: MediaLimits,
    pub(crate) turns: Arc<Semaphore>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Decoding {
    pub(crate) fn new(limits: MediaLimits) -> Self {
        Decoding {
            turns: Arc::new(Semaphore::new(limits.concurrent_decodes.max(1))),
            limits,
            running: Arc::default(),
            peak: Arc::default(),
        }
    }

    /// The most images that were being decoded at the same moment since start.
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }
}

/// Adds an image to the media library. The file's metadata (EXIF with its GPS position, XMP,
/// IPTC, comments) is stripped before it is stored, its orientation applied to the pixels; the
/// responsive variants are made by a background job enqueued with the record. Files are named
/// by their content, so an upload whose record fails to commit leaves at most a file that the
/// next equal upload reuses.
pub async fn upload(app: &App, actor: &Actor, bytes: Vec<u8>, file_name: &str) -> Result<Media> {
    permissions::may_upload_media(actor)?;
    if bytes.is_empty() {
        return Err(Error::invalid("file", "The file is empty."));
    }
    let limits = app.decoding().limits.clone();
    if bytes.len() > limits.max_upload_bytes {
        return Err(Error::TooLarge(too_large_message(limits.max_upload_bytes)));
    }
    let file_name = clean_file_name(file_name);
    let dir = app.media_dir().to_path_buf();
    let now = app.now();
    let mut media = decode_in_turn(
        app,
        move |limits| store_image(&dir, &bytes, now, limits),
        limits,
    )
    .await?;
    media.file_name = file_name;
    let mut tx = app.db().begin_write().await?;
    let media = tx
        .insert_media(&media, actor.user().map(|u| u.id), now)
        .await?;
    tx.enqueue(&Job::MediaVariants { media_id: media.id }.at(now), now)
        .await?;
    tx.record(
        &NewEvent::new(
            EventKind::MediaUploaded,
            actor.reference(),
            Some(media.id),
            json!({
                "path": media.path,
                "content_type": media.content_type,
                "width": media.width,
                "height": media.height,
                "size_bytes": media.size_bytes,
            }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(media)
}

/// What the library offers with an image when it is chosen for an article.
#[derive(Debug, Clone, Default)]
pub struct Description {
    /// Text alternative.
    pub alt: String,
    /// Caption.
    pub caption: String,
    /// Photographer or agency; blank is none.
    pub credit: String,
}

/// Changes the alt text, caption and credit of a media item (not of the articles that already
/// show it, which keep their own).
pub async fn describe(app: &App, actor: &Actor, id: i64, d: &Description) -> Result<Media> {
    permissions::may_upload_media(actor)?;
    let alt = text::optional_text("alt", Some(&d.alt), MAX_DESCRIPTION_CHARS)?.unwrap_or_default();
    let caption = text::optional_text("caption", Some(&d.caption), MAX_DESCRIPTION_CHARS)?
        .unwrap_or_default();
    let credit = text::optional_text("credit", Some(&d.credit), 200)?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.describe_media(id, &alt, &caption, credit.as_deref())
        .await?;
    let media = tx.media_by_id(id).await?.ok_or(Error::NotFound)?;
    tx.record(
        &NewEvent::new(
            EventKind::MediaUpdated,
            actor.reference(),
            Some(id),
            json!({ "path": media.path, "changed": ["alt", "caption", "credit"] }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(media)
}

/// Deletes a media item and its files, unless something still shows it: then nothing changes
/// and the answer says what uses it ([`Error::InUse`]). Editors and the owner only.
pub async fn delete(app: &App, actor: &Actor, id: i64) -> Result<()> {
    permissions::may_delete_media(actor)?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let media = tx.media_by_id(id).await?.ok_or(Error::NotFound)?;
    if let Some(user) = tx.media_used_by(id).await? {
        return Err(Error::InUse(format!(
            "This image is used by {user}: choose another image there before deleting it."
        )));
    }
    let files = tx.delete_media(id).await?;
    tx.record(
        &NewEvent::new(
            EventKind::MediaDeleted,
            actor.reference(),
            Some(id),
            json!({ "path": media.path }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    // After the commit: a failed commit must not leave a record without its file. A file left
    // behind by a crash here is only disk space.
    for f in files {
        if let Err(e) = std::fs::remove_file(app.media_dir().join(&f)) {
            tracing::warn!(file = %f, error = %e, "could not remove a deleted media file");
        }
    }
    Ok(())
}

/// Makes the responsive variants of an image (run by the jobs runner): copies 320, 640, 1024 and
/// 1600 pixels wide that are narrower than the original, in its format, and WebP copies where
/// they are smaller. Idempotent: files are named by content and width, and an image that has
/// its variants is left alone.
pub async fn make_variants(app: &App, media_id: i64) -> Result<()> {
    let Some(media) = app.db().media_by_id(media_id).await? else {
        return Ok(()); // deleted meanwhile
    };
    if !media.variants.is_empty() {
        return Ok(());
    }
    let dir = app.media_dir().to_path_buf();
    let limits = app.decoding().limits.clone();
    let source = media.clone();
    let variants = decode_in_turn(
        app,
        move |limits| write_variants(&dir, &source, limits),
        limits,
    )
    .await?;
    if variants.is_empty() {
        return Ok(());
    }
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    if tx.media_by_id(media_id).await?.is_none() {
        return Ok(());
    }
    tx.set_media_variants(media_id, &variants).await?;
    tx.record(
        &NewEvent::new(
            EventKind::MediaUpdated,
            Actor::System.reference(),
            Some(media_id),
            json!({ "path": media.path, "changed": ["variants"], "variants": variants.len() }),
        ),
        now,
    )
    .await?;
    tx.commit().await
}

/// Runs `work` on a blocking thread once a decoder's turn is free: at most
/// `concurrent_decodes` images in memory at once.
async fn decode_in_turn<T: Send + 'static>(
    app: &App,
    work: impl FnOnce(&MediaLimits) -> Result<T> + Send + 'static,
    limits: MediaLimits,
) -> Result<T> {
    let decoding = app.decoding();
    let turn = decoding
        .turns
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::Internal(format!("decoder turns: {e}")))?;
    let (running, peak) = (decoding.running.clone(), decoding.peak.clone());
    tokio::task::spawn_blocking(move || {
        let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now_running, Ordering::SeqCst);
        metrics::gauge!("media_decodes_in_progress").set(now_running as f64);
        let done = work(&limits);
        running.fetch_sub(1, Ordering::SeqCst);
        drop(turn);
        done
    })
    .await
    .map_err(|e| Error::Internal(format!("decoding task: {e}")))?
}

/// The name an upload is listed under: its last path segment, without control characters, at
/// most 200 characters.
fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

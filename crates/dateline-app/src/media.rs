//! Uploading media: the bytes are recognised as an image by decoding them (never by file name
//! or declared type), checked against decompression bombs, written once per content with a
//! thumbnail for lists, then recorded with their event.

use std::{
    io::Cursor,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use dateline_core::{
    Error, Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    media::{Media, THUMB_WIDTH, Thumb},
    permissions, secrets,
};
use image::{ImageFormat, ImageReader, Limits as DecodeLimits};
use jiff::{Timestamp, tz::TimeZone};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::App;

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
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            // A 24-megapixel camera (6,000 × 4,000) passes, with room for 6,048 × 4,032.
            max_pixels: 30_000_000,
            max_gif_frames: 1000,
            concurrent_decodes: std::thread::available_parallelism().map_or(1, |n| n.get()),
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

/// Adds an image to the media library. Files are named by their content, so an upload whose
/// record fails to commit leaves at most a file that the next equal upload reuses.
pub async fn upload(app: &App, actor: &Actor, bytes: Vec<u8>) -> Result<Media> {
    permissions::may_upload_media(actor)?;
    if bytes.is_empty() {
        return Err(Error::invalid("file", "The file is empty."));
    }
    let dir = app.media_dir().to_path_buf();
    let now = app.now();
    let decoding = app.decoding();
    let limits = decoding.limits.clone();
    // Wait for a turn before decoding: at most `concurrent_decodes` images in memory at once.
    let turn = decoding
        .turns
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::Internal(format!("decoder turns: {e}")))?;
    let (running, peak) = (decoding.running.clone(), decoding.peak.clone());
    let media = tokio::task::spawn_blocking(move || {
        let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now_running, Ordering::SeqCst);
        metrics::gauge!("media_decodes_in_progress").set(now_running as f64);
        let stored = store_image(&dir, &bytes, now, &limits);
        running.fetch_sub(1, Ordering::SeqCst);
        drop(turn);
        stored
    })
    .await
    .map_err(|e| Error::Internal(format!("upload task: {e}")))??;
    let mut tx = app.db().begin_write().await?;
    let media = tx
        .insert_media(&media, actor.user().map(|u| u.id), now)
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

/// Longest side accepted, in pixels.
const MAX_SIDE: u32 = 16_384;

/// Refuses, before decoding, an image too large in pixels or a GIF with too many frames.
fn check_size(bytes: &[u8], format: ImageFormat, limits: &MediaLimits) -> Result<()> {
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| {
            tracing::info!(error = %e, "upload refused: no readable image header");
            unsupported("The image could not be decoded: the file is damaged or incomplete.")
        })?;
    let pixels = u64::from(w) * u64::from(h);
    if pixels > limits.max_pixels || w > MAX_SIDE || h > MAX_SIDE {
        return Err(Error::invalid(
            "file",
            format!(
                "The image is {w} × {h} pixels: images may have at most {:.0} megapixels and {MAX_SIDE} pixels a side.",
                limits.max_pixels as f64 / 1e6
            ),
        ));
    }
    if format == ImageFormat::Gif {
        let frames = gif_frames(bytes, limits.max_gif_frames + 1)?;
        if frames > limits.max_gif_frames {
            return Err(Error::invalid(
                "file",
                format!(
                    "The animation has more than {} frames: use at most that many.",
                    limits.max_gif_frames
                ),
            ));
        }
    }
    Ok(())
}

/// The frames of a GIF, counted without decoding them, up to `stop`.
fn gif_frames(bytes: &[u8], stop: usize) -> Result<usize> {
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    let damaged = |e: gif::DecodingError| {
        tracing::info!(error = %e, "upload refused: unreadable GIF");
        unsupported("The image could not be decoded: the file is damaged or incomplete.")
    };
    let mut decoder = options.read_info(Cursor::new(bytes)).map_err(damaged)?;
    let mut frames = 0;
    while frames < stop && decoder.read_next_frame().map_err(damaged)?.is_some() {
        frames += 1;
    }
    Ok(frames)
}

fn unsupported(reason: impl Into<String>) -> Error {
    Error::Unsupported {
        field: "file",
        reason: reason.into(),
    }
}

/// Decodes `bytes`, writes the file (and a thumbnail) under `media_dir`, and describes it.
/// Runs on a blocking thread: decoding is CPU work.
fn store_image(
    media_dir: &Path,
    bytes: &[u8],
    now: Timestamp,
    limits: &MediaLimits,
) -> Result<Media> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let (format, content_type, ext) = match reader.format() {
        Some(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "image/jpeg", "jpg"),
        Some(ImageFormat::Png) => (ImageFormat::Png, "image/png", "png"),
        Some(ImageFormat::WebP) => (ImageFormat::WebP, "image/webp", "webp"),
        Some(ImageFormat::Gif) => (ImageFormat::Gif, "image/gif", "gif"),
        _ => {
            return Err(unsupported(
                "The file is not a JPEG, PNG, WebP or GIF image.",
            ));
        }
    };
    check_size(bytes, format, limits)?;
    let mut reader = reader;
    let mut decode_limits = DecodeLimits::default();
    decode_limits.max_image_width = Some(MAX_SIDE);
    decode_limits.max_image_height = Some(MAX_SIDE);
    // Up to 8 bytes a pixel (16-bit RGBA), and room for the decoder's own buffers.
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8) + 64 * 1024 * 1024);
    reader.limits(decode_limits);
    let image = reader.decode().map_err(|e| {
        // The decoder's words are for the log; the uploader gets ours.
        tracing::info!(error = %e, "upload refused: the image does not decode");
        unsupported("The image could not be decoded: the file is damaged or incomplete.")
    })?;
    let (width, height) = (image.width(), image.height());

    let checksum = secrets::checksum(bytes);
    let date = now.to_zoned_datetime(TimeZone::UTC).date();
    let folder = format!("{:04}/{:02}", date.year(), date.month());
    let stem = &checksum[..24];
    let path = format!("{folder}/{stem}.{ext}");
    let internal = |e: std::io::Error| Error::Internal(format!("writing media: {e}"));
    std::fs::create_dir_all(media_dir.join(&folder)).map_err(internal)?;
    write_once(&media_dir.join(&path), bytes).map_err(internal)?;

    let thumb = if width > THUMB_WIDTH {
        let small = image.thumbnail(THUMB_WIDTH, u32::MAX);
        // GIF and PNG keep their transparency as PNG; photographs become JPEG.
        let (thumb_format, thumb_ext) = match format {
            ImageFormat::Png | ImageFormat::Gif => (ImageFormat::Png, "png"),
            _ => (ImageFormat::Jpeg, "jpg"),
        };
        let small = if thumb_format == ImageFormat::Jpeg {
            image::DynamicImage::ImageRgb8(small.to_rgb8())
        } else {
            small
        };
        let thumb_path = format!("{folder}/{stem}-w{THUMB_WIDTH}.{thumb_ext}");
        let mut encoded = Vec::new();
        small
            .write_to(&mut Cursor::new(&mut encoded), thumb_format)
            .map_err(|e| Error::Internal(format!("thumbnail: {e}")))?;
        write_once(&media_dir.join(&thumb_path), &encoded).map_err(internal)?;
        Some(Thumb {
            path: thumb_path,
            width: i64::from(small.width()),
            height: i64::from(small.height()),
        })
    } else {
        None
    };

    Ok(Media {
        id: 0,
        path,
        content_type: content_type.to_owned(),
        width: i64::from(width),
        height: i64::from(height),
        size_bytes: bytes.len() as i64,
        checksum,
        thumb,
    })
}

/// Writes `bytes` to `path` unless a file is already there (same name means same content);
/// through a temporary file and a rename, so a reader never sees half a file.
fn write_once(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

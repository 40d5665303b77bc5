//! Uploading media: the bytes are recognised as an image by decoding them (never by file name
//! or declared type), checked against decompression bombs, written once per content with a
//! thumbnail for lists, then recorded with their event.

use std::{io::Cursor, path::Path};

use dateline_core::{
    Error, Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    media::{Media, THUMB_WIDTH, Thumb},
    permissions, secrets,
};
use image::{ImageFormat, ImageReader, Limits};
use jiff::{Timestamp, tz::TimeZone};
use serde_json::json;

use crate::App;

/// Adds an image to the media library. Files are named by their content, so an upload whose
/// record fails to commit leaves at most a file that the next equal upload reuses.
pub async fn upload(app: &App, actor: &Actor, bytes: Vec<u8>) -> Result<Media> {
    permissions::may_upload_media(actor)?;
    if bytes.is_empty() {
        return Err(Error::invalid("file", "The file is empty."));
    }
    let dir = app.media_dir().to_path_buf();
    let now = app.now();
    let media = tokio::task::spawn_blocking(move || store_image(&dir, &bytes, now))
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

fn unsupported(reason: impl Into<String>) -> Error {
    Error::Unsupported {
        field: "file",
        reason: reason.into(),
    }
}

/// Decodes `bytes`, writes the file (and a thumbnail) under `media_dir`, and describes it.
/// Runs on a blocking thread: decoding is CPU work.
fn store_image(media_dir: &Path, bytes: &[u8], now: Timestamp) -> Result<Media> {
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
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| {
            // The decoder's words are for the log; the uploader gets ours.
            tracing::info!(error = %e, "upload refused: the image does not decode");
            unsupported(
                "The image could not be decoded: the file is damaged, or larger than 16,384 pixels a side.",
            )
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

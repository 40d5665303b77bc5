//! Turning uploaded bytes into a stored image: recognised by decoding (never by file name or
//! declared type), checked against decompression bombs, written once per content, with a
//! thumbnail for lists.

use std::{io::Cursor, path::Path};

use dateline_core::{
    Error,
    media::{Media, THUMB_WIDTH, Thumb},
    secrets,
};
use image::{ImageFormat, ImageReader, Limits};
use jiff::{Timestamp, tz::TimeZone};

/// Why an upload was refused.
#[derive(Debug)]
pub enum UploadError {
    /// Not an image of a format we accept.
    Unsupported(String),
    /// Ours.
    Internal(Error),
}

/// Decodes `bytes`, writes the file (and a thumbnail) under `media_dir`, and describes it.
/// Runs on a blocking thread: decoding is CPU work.
pub fn store_image(media_dir: &Path, bytes: &[u8], now: Timestamp) -> Result<Media, UploadError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| UploadError::Internal(Error::Internal(e.to_string())))?;
    let (format, content_type, ext) = match reader.format() {
        Some(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "image/jpeg", "jpg"),
        Some(ImageFormat::Png) => (ImageFormat::Png, "image/png", "png"),
        Some(ImageFormat::WebP) => (ImageFormat::WebP, "image/webp", "webp"),
        Some(ImageFormat::Gif) => (ImageFormat::Gif, "image/gif", "gif"),
        _ => {
            return Err(UploadError::Unsupported(
                "the file is not a JPEG, PNG, WebP or GIF image".to_owned(),
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
        .map_err(|e| UploadError::Unsupported(format!("the image could not be decoded: {e}")))?;
    let (width, height) = (image.width(), image.height());

    let checksum = secrets::checksum(bytes);
    let date = now.to_zoned_datetime(TimeZone::UTC).date();
    let folder = format!("{:04}/{:02}", date.year(), date.month());
    let stem = &checksum[..24];
    let path = format!("{folder}/{stem}.{ext}");
    let internal =
        |e: std::io::Error| UploadError::Internal(Error::Internal(format!("writing media: {e}")));
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
            .map_err(|e| UploadError::Internal(Error::Internal(format!("thumbnail: {e}"))))?;
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

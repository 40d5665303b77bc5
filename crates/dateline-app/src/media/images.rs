//! Decoding, checking, storing and resizing images. Everything here runs on a blocking thread
//! in a decoder's turn (`decode_in_turn`): decoding is CPU work and memory.

use std::{io::Cursor, path::Path};

use dateline_core::{
    Error, Result,
    media::{Media, THUMB_WIDTH, Thumb, VARIANT_WIDTHS, Variant},
    secrets,
};
use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits as DecodeLimits,
    codecs::jpeg::JpegEncoder, imageops::FilterType, metadata::Orientation,
};
use jiff::{Timestamp, tz::TimeZone};

use super::{MediaLimits, metadata};

/// Longest side accepted, in pixels.
const MAX_SIDE: u32 = 16_384;
/// JPEG quality of re-encoded originals (an applied orientation) and of variants.
const JPEG_QUALITY: u8 = 85;
/// WebP quality of variants; kept only where smaller than the original format's.
const WEBP_QUALITY: f32 = 80.0;

/// The formats accepted, with their MIME type and file extension.
fn known_format(format: Option<ImageFormat>) -> Result<(ImageFormat, &'static str, &'static str)> {
    match format {
        Some(ImageFormat::Jpeg) => Ok((ImageFormat::Jpeg, "image/jpeg", "jpg")),
        Some(ImageFormat::Png) => Ok((ImageFormat::Png, "image/png", "png")),
        Some(ImageFormat::WebP) => Ok((ImageFormat::WebP, "image/webp", "webp")),
        Some(ImageFormat::Gif) => Ok((ImageFormat::Gif, "image/gif", "gif")),
        _ => Err(unsupported(
            "The file is not a JPEG, PNG, WebP or GIF image.",
        )),
    }
}

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

pub(super) fn unsupported(reason: impl Into<String>) -> Error {
    Error::Unsupported {
        field: "file",
        reason: reason.into(),
    }
}

/// Decodes `bytes` (a known format, checked against `limits` first) with the orientation its
/// metadata asks for.
fn decode(
    bytes: &[u8],
    format: ImageFormat,
    limits: &MediaLimits,
) -> Result<(DynamicImage, Orientation)> {
    check_size(bytes, format, limits)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decode_limits = DecodeLimits::default();
    decode_limits.max_image_width = Some(MAX_SIDE);
    decode_limits.max_image_height = Some(MAX_SIDE);
    // Up to 8 bytes a pixel (16-bit RGBA), and room for the decoder's own buffers.
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8) + 64 * 1024 * 1024);
    reader.limits(decode_limits);
    let damaged = |e: image::ImageError| {
        // The decoder's words are for the log; the uploader gets ours.
        tracing::info!(error = %e, "upload refused: the image does not decode");
        unsupported("The image could not be decoded: the file is damaged or incomplete.")
    };
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    Ok((image, orientation))
}

/// Decodes `bytes`, writes the file without its metadata (and a thumbnail) under `media_dir`,
/// and describes it.
pub(super) fn store_image(
    media_dir: &Path,
    bytes: &[u8],
    now: Timestamp,
    limits: &MediaLimits,
) -> Result<Media> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let (format, content_type, ext) = known_format(reader.format())?;
    let (mut image, orientation) = decode(bytes, format, limits)?;
    let clean = if orientation == Orientation::NoTransforms {
        metadata::strip(bytes, format)?
    } else {
        // The orientation lived in the metadata that is stripped: it goes into the pixels, and
        // the image is encoded again (without any metadata).
        image.apply_orientation(orientation);
        encode(&image, format)?
    };
    let (width, height) = (image.width(), image.height());

    let checksum = secrets::checksum(&clean);
    let date = now.to_zoned_datetime(TimeZone::UTC).date();
    let folder = format!("{:04}/{:02}", date.year(), date.month());
    let stem = &checksum[..24];
    let path = format!("{folder}/{stem}.{ext}");
    let internal = |e: std::io::Error| Error::Internal(format!("writing media: {e}"));
    std::fs::create_dir_all(media_dir.join(&folder)).map_err(internal)?;
    write_once(&media_dir.join(&path), &clean).map_err(internal)?;

    let thumb = if width > THUMB_WIDTH {
        let small = image.thumbnail(THUMB_WIDTH, u32::MAX);
        // GIF and PNG keep their transparency as PNG; photographs become JPEG.
        let (thumb_format, thumb_ext) = match format {
            ImageFormat::Png | ImageFormat::Gif => (ImageFormat::Png, "png"),
            _ => (ImageFormat::Jpeg, "jpg"),
        };
        let thumb_path = format!("{folder}/{stem}-w{THUMB_WIDTH}.{thumb_ext}");
        let encoded = encode(&small, thumb_format)?;
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
        size_bytes: clean.len() as i64,
        checksum,
        thumb,
        ..Media::default()
    })
}

/// `image` encoded as `format`: JPEG at [`JPEG_QUALITY`] (flattened to RGB), PNG and GIF as
/// they come, WebP losslessly (the image crate's only WebP).
fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let failed = |e: image::ImageError| Error::Internal(format!("encoding an image: {e}"));
    match format {
        ImageFormat::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
                .map_err(failed)?;
        }
        ImageFormat::Gif | ImageFormat::Png => {
            let rgba = DynamicImage::ImageRgba8(image.to_rgba8());
            rgba.write_to(&mut Cursor::new(&mut out), format)
                .map_err(failed)?;
        }
        _ => {
            let rgba = DynamicImage::ImageRgba8(image.to_rgba8());
            rgba.write_to(&mut Cursor::new(&mut out), ImageFormat::WebP)
                .map_err(failed)?;
        }
    }
    Ok(out)
}

/// Writes the responsive variants of `media` beside it and describes them, narrowest first.
/// Animated GIFs get none: a still copy would lose the animation.
pub(super) fn write_variants(
    media_dir: &Path,
    media: &Media,
    limits: &MediaLimits,
) -> Result<Vec<Variant>> {
    let internal = |e: std::io::Error| Error::Internal(format!("media variants: {e}"));
    let bytes = std::fs::read(media_dir.join(&media.path)).map_err(internal)?;
    let reader = ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let (format, content_type, ext) = known_format(reader.format())?;
    if format == ImageFormat::Gif && gif_frames(&bytes, 2)? > 1 {
        return Ok(Vec::new());
    }
    let (image, _) = decode(&bytes, format, limits)?;
    let (stem, _) = media
        .path
        .rsplit_once('.')
        .ok_or_else(|| Error::Internal(format!("media path without extension: {}", media.path)))?;
    let mut variants = Vec::new();
    let original = u32::try_from(media.width).unwrap_or(u32::MAX);
    // The widths narrower than the original, and the original's own width for WebP.
    let widths = VARIANT_WIDTHS
        .iter()
        .copied()
        .filter(|w| *w < original)
        .chain(std::iter::once(original));
    for width in widths {
        let resized = if width == original {
            image.clone()
        } else {
            let height =
                (u64::from(image.height()) * u64::from(width) / u64::from(original)).max(1) as u32;
            image.resize_exact(width, height, FilterType::Lanczos3)
        };
        let same_format = if width == original {
            // The original itself serves this width.
            bytes.len()
        } else {
            let encoded = match format {
                ImageFormat::WebP => webp_bytes(&resized),
                _ => encode(&resized, format)?,
            };
            let path = format!("{stem}-w{width}.{ext}");
            write_once(&media_dir.join(&path), &encoded).map_err(internal)?;
            variants.push(Variant {
                path,
                width: i64::from(width),
                height: i64::from(resized.height()),
                content_type: content_type.to_owned(),
            });
            encoded.len()
        };
        if format != ImageFormat::WebP {
            let webp = webp_bytes(&resized);
            if webp.len() < same_format {
                let path = format!("{stem}-w{width}.webp");
                write_once(&media_dir.join(&path), &webp).map_err(internal)?;
                variants.push(Variant {
                    path,
                    width: i64::from(width),
                    height: i64::from(resized.height()),
                    content_type: "image/webp".to_owned(),
                });
            }
        }
    }
    Ok(variants)
}

/// `image` as lossy WebP at [`WEBP_QUALITY`].
fn webp_bytes(image: &DynamicImage) -> Vec<u8> {
    if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        webp::Encoder::from_rgba(&rgba, rgba.width(), rgba.height())
            .encode(WEBP_QUALITY)
            .to_vec()
    } else {
        let rgb = image.to_rgb8();
        webp::Encoder::from_rgb(&rgb, rgb.width(), rgb.height())
            .encode(WEBP_QUALITY)
            .to_vec()
    }
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

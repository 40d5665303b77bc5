//! Uploaded files: images for now.

/// A stored image and what is known about it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Media {
    /// Database id.
    pub id: i64,
    /// Path under the media folder, also the tail of its public URL (`/media/{path}`).
    pub path: String,
    /// MIME type found by decoding the file.
    pub content_type: String,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
    /// Size in bytes.
    pub size_bytes: i64,
    /// BLAKE2b-256 of the file, hex; equal uploads share one file.
    pub checksum: String,
    /// Smaller copy for lists, if the image is wider than a thumbnail.
    pub thumb: Option<Thumb>,
}

/// A reduced copy of an image.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Thumb {
    /// Path under the media folder.
    pub path: String,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
}

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Width of list thumbnails.
pub const THUMB_WIDTH: u32 = 480;

//! Uploaded files: images for now.

/// A stored image and what is known about it.
#[derive(Debug, Clone, Default, serde::Serialize)]
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
    /// The name of the file as uploaded, for finding it again in the library.
    pub file_name: String,
    /// Text alternative offered when the image is chosen for an article.
    pub alt: String,
    /// Caption offered when the image is chosen for an article.
    pub caption: String,
    /// Photographer or agency.
    pub credit: Option<String>,
    /// Narrower copies for `srcset`, narrowest first; empty until the background job made them.
    pub variants: Vec<Variant>,
}

/// A copy of an image at another width, in the original format or WebP.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Variant {
    /// Path under the media folder.
    pub path: String,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
    /// MIME type.
    pub content_type: String,
}

/// Widths of the responsive variants; an image is never enlarged to one.
pub const VARIANT_WIDTHS: [u32; 4] = [320, 640, 1024, 1600];

/// Longest alt text or caption accepted for a media item, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

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

/// Largest upload accepted unless the operator sets another limit, in bytes.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// An upload limit as people read it ("20 MB").
pub fn size_limit_text(limit: usize) -> String {
    if limit >= 1024 * 1024 && limit.is_multiple_of(1024 * 1024) {
        format!("{} MB", limit / (1024 * 1024))
    } else {
        format!("{limit} bytes")
    }
}

/// What a person on any surface is told when a file is over `limit` bytes.
pub fn too_large_message(limit: usize) -> String {
    format!(
        "The file is too large: files may be at most {}.",
        size_limit_text(limit)
    )
}
/// Width of list thumbnails.
pub const THUMB_WIDTH: u32 = 480;

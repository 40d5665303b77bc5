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

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Width of list thumbnails.
pub const THUMB_WIDTH: u32 = 480;

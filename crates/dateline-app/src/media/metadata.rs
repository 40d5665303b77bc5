//! Metadata stripping: what a camera or an editing program writes beside the pixels (EXIF with
//! the GPS position, the camera's serial number and the time; XMP; IPTC; comments) is removed
//! from every stored file without encoding the image again. What decides how the pixels look
//! stays: colour profiles, gamma, transparency, animation.
//!
//! Each format is kept by allow-list: an unknown block is dropped.

use dateline_core::Result;
use image::ImageFormat;
use img_parts::{
    Bytes,
    jpeg::{Jpeg, markers},
    png::Png,
    riff::{RiffChunk, RiffContent},
    webp::{CHUNK_VP8X, WebP},
};

use super::images::unsupported;

/// `bytes` of a decodable image of `format`, without its metadata.
pub(super) fn strip(bytes: &[u8], format: ImageFormat) -> Result<Vec<u8>> {
    let damaged = |e: img_parts::Error| {
        tracing::info!(error = %e, "upload refused: unreadable image container");
        unsupported("The image could not be decoded: the file is damaged or incomplete.")
    };
    let input = Bytes::copy_from_slice(bytes);
    Ok(match format {
        ImageFormat::Jpeg => {
            let mut jpeg = Jpeg::from_bytes(input).map_err(damaged)?;
            jpeg.segments_mut()
                .retain(|s| keep_jpeg_segment(s.marker(), s.contents()));
            jpeg.encoder().bytes().to_vec()
        }
        ImageFormat::Png => {
            let mut png = Png::from_bytes(input).map_err(damaged)?;
            png.chunks_mut().retain(|c| PNG_KEPT.contains(&c.kind()));
            png.encoder().bytes().to_vec()
        }
        ImageFormat::WebP => {
            let mut webp = WebP::from_bytes(input).map_err(damaged)?;
            webp.chunks_mut().retain(|c| WEBP_KEPT.contains(&c.id()));
            // The extended header says which optional chunks follow; EXIF and XMP no longer do.
            for chunk in webp.chunks_mut() {
                if chunk.id() == CHUNK_VP8X
                    && let RiffContent::Data(data) = chunk.content()
                {
                    let mut flags = data.to_vec();
                    if let Some(first) = flags.first_mut() {
                        *first &= !(WEBP_FLAG_EXIF | WEBP_FLAG_XMP);
                    }
                    *chunk = RiffChunk::new(CHUNK_VP8X, RiffContent::Data(flags.into()));
                }
            }
            webp.encoder().bytes().to_vec()
        }
        ImageFormat::Gif => strip_gif(bytes).ok_or_else(|| {
            unsupported("The image could not be decoded: the file is damaged or incomplete.")
        })?,
        _ => bytes.to_vec(),
    })
}

/// APP0 (JFIF), an APP2 that holds the colour profile, and APP14 (Adobe's colour transform)
/// are kept with every marker that is not an application segment or a comment; APP1 (EXIF,
/// XMP), APP13 (IPTC), the other application segments and comments go.
fn keep_jpeg_segment(marker: u8, contents: &Bytes) -> bool {
    match marker {
        markers::APP0 | markers::APP14 => true,
        markers::APP2 => contents.starts_with(b"ICC_PROFILE\0"),
        markers::COM => false,
        m if (markers::APP0..=markers::APP15).contains(&m) => false,
        _ => true,
    }
}

/// PNG chunks that draw the image: the critical ones, colour and transparency, physical size,
/// and APNG's animation. Text (`tEXt`, `zTXt`, `iTXt`, where XMP lives), `eXIf` and `tIME` are
/// not among them.
const PNG_KEPT: [[u8; 4]; 20] = [
    *b"IHDR", *b"PLTE", *b"IDAT", *b"IEND", *b"tRNS", *b"cHRM", *b"gAMA", *b"iCCP", *b"sBIT",
    *b"sRGB", *b"cICP", *b"mDCv", *b"cLLI", *b"bKGD", *b"hIST", *b"pHYs", *b"sPLT", *b"acTL",
    *b"fcTL", *b"fdAT",
];

/// WebP chunks that draw the image; `EXIF` and `XMP ` are not among them.
const WEBP_KEPT: [[u8; 4]; 7] = [
    *b"VP8 ", *b"VP8L", *b"VP8X", *b"ALPH", *b"ANIM", *b"ANMF", *b"ICCP",
];
const WEBP_FLAG_EXIF: u8 = 0b0000_1000;
const WEBP_FLAG_XMP: u8 = 0b0000_0100;

/// A GIF without comment extensions and without application extensions other than the
/// looping ones (XMP travels in one); `None` if the file's structure is broken.
fn strip_gif(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    // Header and logical screen descriptor, then the global colour table if there is one.
    let flags = *bytes.get(10)?;
    let mut at = 13 + color_table_len(flags);
    out.extend_from_slice(bytes.get(..at)?);
    loop {
        match *bytes.get(at)? {
            0x3B => {
                out.push(0x3B);
                return Some(out);
            }
            0x21 => {
                let label = *bytes.get(at + 1)?;
                let end = skip_sub_blocks(bytes, at + 2)?;
                let keep = match label {
                    0xFE => false,
                    0xFF => {
                        let id = bytes.get(at + 3..at + 14)?;
                        id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0"
                    }
                    _ => true,
                };
                if keep {
                    out.extend_from_slice(bytes.get(at..end)?);
                }
                at = end;
            }
            0x2C => {
                // Image descriptor, local colour table, LZW minimum code size, then the data.
                let flags = *bytes.get(at + 9)?;
                let data = at + 10 + color_table_len(flags) + 1;
                let end = skip_sub_blocks(bytes, data)?;
                out.extend_from_slice(bytes.get(at..end)?);
                at = end;
            }
            _ => return None,
        }
    }
}

/// The length of the colour table a GIF descriptor's packed `flags` announce.
fn color_table_len(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 * (1 << ((flags & 0x07) + 1))
    }
}

/// The position just after the sub-blocks that start at `at` (ended by a zero-length block).
fn skip_sub_blocks(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = usize::from(*bytes.get(at)?);
        at += 1;
        if len == 0 {
            return Some(at);
        }
        at += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gif_comments_and_xmp_go_looping_stays() {
        // 1×1 GIF: header, screen (no global table), NETSCAPE loop, a comment, an XMP
        // application extension, one image, trailer.
        let mut gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
        let looping = b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00";
        gif.extend_from_slice(looping);
        gif.extend_from_slice(b"\x21\xFE\x06secret\x00");
        gif.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP\x03gps\x00");
        let image =
            b"\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x80\x00\x00\x00\xFF\xFF\xFF\x02\x02\x44\x01\x00";
        gif.extend_from_slice(image);
        gif.push(0x3B);
        let out = strip_gif(&gif).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("secret") && !text.contains("XMP") && !text.contains("gps"));
        assert!(text.contains("NETSCAPE2.0"));
        let mut tail = image.to_vec();
        tail.push(0x3B);
        assert!(out.ends_with(&tail), "the image itself is kept whole");
        assert_eq!(strip_gif(&gif[..gif.len() - 3]), None);
    }
}

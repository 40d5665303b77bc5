//! Uploaded media.

use dateline_core::{
    Error,
    clock::to_micros,
    media::{Media, Thumb},
};
use jiff::Timestamp;
use sqlx::{Row, any::AnyRow};

use crate::{Db, WriteTx, db_error};

/// Reads a [`Media`] from `row` starting at column `at`; `None` if the id column is NULL
/// (an outer join found nothing). The columns are, in order: `id, path, content_type, width,
/// height, size_bytes, checksum, thumb_path, thumb_width, thumb_height`.
pub(crate) fn media_from_row(row: &AnyRow, at: usize) -> Result<Option<Media>, Error> {
    let Some(id) = row.try_get::<Option<i64>, _>(at).map_err(db_error)? else {
        return Ok(None);
    };
    let thumb_path: Option<String> = row.try_get(at + 7).map_err(db_error)?;
    let thumb = match thumb_path {
        Some(path) => Some(Thumb {
            path,
            width: row
                .try_get::<Option<i64>, _>(at + 8)
                .map_err(db_error)?
                .unwrap_or(0),
            height: row
                .try_get::<Option<i64>, _>(at + 9)
                .map_err(db_error)?
                .unwrap_or(0),
        }),
        None => None,
    };
    Ok(Some(Media {
        id,
        path: row.try_get(at + 1).map_err(db_error)?,
        content_type: row.try_get(at + 2).map_err(db_error)?,
        width: row.try_get(at + 3).map_err(db_error)?,
        height: row.try_get(at + 4).map_err(db_error)?,
        size_bytes: row.try_get(at + 5).map_err(db_error)?,
        checksum: row.try_get(at + 6).map_err(db_error)?,
        thumb,
    }))
}

impl WriteTx {
    /// Records a file already written to the media folder. `media.id` is ignored.
    pub async fn insert_media(
        &mut self,
        media: &Media,
        uploaded_by: Option<i64>,
        now: Timestamp,
    ) -> Result<Media, Error> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO media (path, content_type, width, height, size_bytes, checksum, \
             thumb_path, thumb_width, thumb_height, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(media.path.clone())
        .bind(media.content_type.clone())
        .bind(media.width)
        .bind(media.height)
        .bind(media.size_bytes)
        .bind(media.checksum.clone())
        .bind(media.thumb.as_ref().map(|t| t.path.clone()))
        .bind(media.thumb.as_ref().map(|t| t.width))
        .bind(media.thumb.as_ref().map(|t| t.height))
        .bind(uploaded_by)
        .bind(to_micros(now))
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(Media {
            id,
            ..media.clone()
        })
    }
}

impl Db {
    /// A media item by id.
    pub async fn media_by_id(&self, id: i64) -> Result<Option<Media>, Error> {
        let row = sqlx::query(
            "SELECT m.id, m.path, m.content_type, m.width, m.height, m.size_bytes, \
             m.checksum, m.thumb_path, m.thumb_width, m.thumb_height FROM media m WHERE m.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        match row {
            Some(r) => media_from_row(&r, 0),
            None => Ok(None),
        }
    }
}

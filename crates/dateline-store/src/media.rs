//! Uploaded media: the library's records, their descriptions and responsive variants.

use dateline_core::{
    Error,
    clock::to_micros,
    media::{Media, Thumb, Variant},
};
use jiff::Timestamp;
use sqlx::{Row, any::AnyRow};

use crate::{Db, WriteTx, db_error, sql::Sql};

/// The columns [`media_from_row`] reads, in order.
pub(crate) const MEDIA_COLUMNS: &str = "m.id, m.path, m.content_type, m.width, m.height, \
     m.size_bytes, m.checksum, m.thumb_path, m.thumb_width, m.thumb_height, m.file_name, m.alt, \
     m.caption, m.credit, m.variants";

/// How many columns [`MEDIA_COLUMNS`] names.
pub(crate) const MEDIA_COLUMN_COUNT: usize = 15;

/// Reads a [`Media`] from `row` starting at column `at` (the columns of [`MEDIA_COLUMNS`]);
/// `None` if the id column is NULL (an outer join found nothing).
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
    let variants: String = row.try_get(at + 14).map_err(db_error)?;
    Ok(Some(Media {
        id,
        path: row.try_get(at + 1).map_err(db_error)?,
        content_type: row.try_get(at + 2).map_err(db_error)?,
        width: row.try_get(at + 3).map_err(db_error)?,
        height: row.try_get(at + 4).map_err(db_error)?,
        size_bytes: row.try_get(at + 5).map_err(db_error)?,
        checksum: row.try_get(at + 6).map_err(db_error)?,
        thumb,
        file_name: row.try_get(at + 10).map_err(db_error)?,
        alt: row.try_get(at + 11).map_err(db_error)?,
        caption: row.try_get(at + 12).map_err(db_error)?,
        credit: row.try_get(at + 13).map_err(db_error)?,
        variants: serde_json::from_str(&variants)
            .map_err(|e| Error::Internal(format!("media variants: {e}")))?,
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
             thumb_path, thumb_width, thumb_height, uploaded_by, created_at, file_name, alt, \
             caption, credit) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
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
        .bind(media.file_name.clone())
        .bind(media.alt.clone())
        .bind(media.caption.clone())
        .bind(media.credit.clone())
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(Media {
            id,
            ..media.clone()
        })
    }

    /// A media item by id inside the transaction.
    pub async fn media_by_id(&mut self, id: i64) -> Result<Option<Media>, Error> {
        let mut q = Sql::new(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media m WHERE m.id = "
        ));
        q.bind(id);
        let row = q
            .query()?
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)?;
        row.map_or(Ok(None), |r| media_from_row(&r, 0))
    }

    /// Replaces the alt text, caption and credit offered with an image.
    pub async fn describe_media(
        &mut self,
        id: i64,
        alt: &str,
        caption: &str,
        credit: Option<&str>,
    ) -> Result<(), Error> {
        let r = sqlx::query("UPDATE media SET alt = $1, caption = $2, credit = $3 WHERE id = $4")
            .bind(alt.to_owned())
            .bind(caption.to_owned())
            .bind(credit.map(str::to_owned))
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Records the responsive variants made of an image.
    pub async fn set_media_variants(&mut self, id: i64, variants: &[Variant]) -> Result<(), Error> {
        let json = serde_json::to_string(variants)
            .map_err(|e| Error::Internal(format!("media variants: {e}")))?;
        sqlx::query("UPDATE media SET variants = $1 WHERE id = $2")
            .bind(json)
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// What still shows a media item, in words for the person who wants it deleted: the
    /// title of an article (in the trash too, which may come back), an account's picture, or
    /// the site's logo.
    pub async fn media_used_by(&mut self, id: i64) -> Result<Option<String>, Error> {
        let title: Option<String> = sqlx::query_scalar(
            "SELECT title FROM articles WHERE lead_media_id = $1 ORDER BY id LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *self.conn())
        .await
        .map_err(db_error)?;
        if let Some(t) = title {
            return Ok(Some(format!("the article “{t}”")));
        }
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM users WHERE avatar_media_id = $1 LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *self.conn())
                .await
                .map_err(db_error)?;
        if let Some(n) = name {
            return Ok(Some(format!("the profile of {n}")));
        }
        let logo: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'logo' AND value = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *self.conn())
                .await
                .map_err(db_error)?;
        Ok(logo.map(|_| "the site's logo (see Settings)".to_owned()))
    }

    /// Deletes a media record. Returns the files no other record names any more (equal uploads
    /// share files), for the caller to remove once the transaction has committed.
    pub async fn delete_media(&mut self, id: i64) -> Result<Vec<String>, Error> {
        let media = self.media_by_id(id).await?.ok_or(Error::NotFound)?;
        sqlx::query("DELETE FROM media WHERE id = $1")
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        let shared: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media WHERE path = $1")
            .bind(media.path.clone())
            .fetch_one(&mut *self.conn())
            .await
            .map_err(db_error)?;
        if shared > 0 {
            return Ok(Vec::new());
        }
        let mut files = vec![media.path];
        files.extend(media.thumb.map(|t| t.path));
        files.extend(media.variants.into_iter().map(|v| v.path));
        Ok(files)
    }
}

impl Db {
    /// A media item by id.
    pub async fn media_by_id(&self, id: i64) -> Result<Option<Media>, Error> {
        let mut q = Sql::new(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media m WHERE m.id = "
        ));
        q.bind(id);
        let row = q
            .query()?
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map_or(Ok(None), |r| media_from_row(&r, 0))
    }

    /// One page of the library, newest first, with the total; `search` finds words in the file
    /// name, alt text or caption (ignoring case).
    pub async fn list_media(
        &self,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Media>, i64), Error> {
        let filter = |q: &mut Sql| {
            if let Some(words) = search.map(str::trim).filter(|w| !w.is_empty()) {
                let pattern = crate::articles::like_pattern(words);
                q.push(" WHERE (LOWER(m.file_name) LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '\\' OR LOWER(m.alt) LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '\\' OR LOWER(m.caption) LIKE ")
                    .bind(pattern)
                    .push(" ESCAPE '\\')");
            }
        };
        let mut count = Sql::new("SELECT COUNT(*) FROM media m");
        filter(&mut count);
        let total: i64 = count
            .query_scalar()?
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        let mut q = Sql::new(&format!("SELECT {MEDIA_COLUMNS} FROM media m"));
        filter(&mut q);
        q.push(" ORDER BY m.created_at DESC, m.id DESC")
            .limit(limit)
            .offset(offset);
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        let items = rows
            .iter()
            .map(|r| media_from_row(r, 0).map(Option::unwrap_or_default))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }
}

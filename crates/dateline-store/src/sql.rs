//! Dynamic SQL with numbered `$n` placeholders.
//!
//! sqlx's `QueryBuilder` asks the driver how to write a placeholder, and the `Any` driver
//! answers `?`, which PostgreSQL rejects. Numbering them here gives the one dialect that both
//! backends accept, the same one every static query in this crate uses.

use std::fmt::Write;

use dateline_core::Error;
use sqlx::{
    Any, Arguments, AssertSqlSafe, Encode, Type,
    any::{AnyArguments, AnyRow},
    error::BoxDynError,
    query::{Query, QueryScalar},
};

/// A query being assembled from fragments and bound values.
pub(crate) struct Sql {
    text: String,
    args: AnyArguments,
    error: Option<BoxDynError>,
}

impl Sql {
    /// Starts a query with `text`.
    pub(crate) fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: AnyArguments::default(),
            error: None,
        }
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder and binds `value` to it.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'q> Encode<'q, Any> + Type<Any>,
    {
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// Appends `v1, v2, …` as placeholders, for an `IN (…)` list.
    pub(crate) fn bind_list<T>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self
    where
        T: for<'q> Encode<'q, Any> + Type<Any>,
    {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }

    fn into_parts(self) -> Result<(AssertSqlSafe<String>, AnyArguments), Error> {
        match self.error {
            Some(e) => Err(Error::Internal(format!("binding a query parameter: {e}"))),
            None => Ok((AssertSqlSafe(self.text), self.args)),
        }
    }

    /// The finished query.
    pub(crate) fn query(self) -> Result<Query<'static, Any, AnyArguments>, Error> {
        let (text, args) = self.into_parts()?;
        Ok(sqlx::query_with(text, args))
    }

    /// The finished query, returning one column.
    pub(crate) fn query_scalar<O>(self) -> Result<QueryScalar<'static, Any, O, AnyArguments>, Error>
    where
        (O,): for<'r> sqlx::FromRow<'r, AnyRow>,
    {
        let (text, args) = self.into_parts()?;
        Ok(sqlx::query_scalar_with(text, args))
    }
}

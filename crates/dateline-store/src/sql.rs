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

    /// Appends ` LIMIT n`, written into the text rather than bound: SQLite reads a bound limit
    /// while planning (to size the work), marks the statement to be planned again whenever it
    /// is bound, and so parsed and planned every query that had one from scratch, each time
    /// (a tenth of the work of an article page rendered after a change). A number of ours in
    /// the text is as safe as a bound one; each distinct text is prepared once a connection.
    pub(crate) fn limit(&mut self, n: i64) -> &mut Self {
        let _ = write!(self.text, " LIMIT {n}");
        self
    }

    /// Appends ` OFFSET n`, written into the text for the reason [`Sql::limit`] gives.
    pub(crate) fn offset(&mut self, n: i64) -> &mut Self {
        let _ = write!(self.text, " OFFSET {n}");
        self
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

    /// Appends `v1, v2, …` as placeholders, for an `IN (…)` list. The list is padded to a power
    /// of two by repeating its last value (which an `IN` list ignores), so that a statement
    /// has a few texts whatever the list's length: sqlx prepares and caches a statement per
    /// text and connection, and a batch of any size from 1 to 64 would otherwise miss.
    pub(crate) fn bind_list<T>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Clone,
    {
        let mut n = 0;
        let mut last = None;
        for v in values {
            if n > 0 {
                self.push(", ");
            }
            last = Some(v.clone());
            self.bind(v);
            n += 1;
        }
        if let Some(last) = last {
            for _ in n..padded_len(n) {
                self.push(", ").bind(last.clone());
            }
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

/// How long [`Sql::bind_list`] makes a list of `n`: the next power of two up to 64 (a comment
/// batch's most), `n` itself beyond, where lists are rare and the padding would only cost.
fn padded_len(n: usize) -> usize {
    if n <= 64 { n.next_power_of_two() } else { n }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_padded_to_a_few_lengths_with_their_last_value() {
        let lengths: Vec<usize> = [0, 1, 2, 3, 5, 33, 64, 65, 100]
            .into_iter()
            .map(padded_len)
            .collect();
        assert_eq!(lengths, [1, 1, 2, 4, 8, 64, 64, 65, 100]);
        let mut q = Sql::new("SELECT 1 WHERE x IN (");
        q.bind_list([7_i64, 8, 9]).push(")");
        assert_eq!(q.text, "SELECT 1 WHERE x IN ($1, $2, $3, $4)");
        assert_eq!(q.args.len(), 4);
        let mut empty = Sql::new("");
        empty.bind_list(Vec::<i64>::new());
        assert_eq!(empty.text, "");
    }
}

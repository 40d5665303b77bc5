//! The one error type of the domain; each surface maps it once to HTML or JSON.

/// What went wrong, in terms a reader or API client can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or is not visible to the asker).
    #[error("not found")]
    NotFound,
    /// The thing existed and was deliberately removed.
    #[error("gone")]
    Gone,
    /// A unique value is already taken.
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    /// No valid credentials were given.
    #[error("authentication required")]
    Unauthorized,
    /// Credentials are valid but do not allow this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// One input field is not acceptable; `reason` is shown to the user.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A file is not of a kind we accept (an upload that is not an image we can decode).
    #[error("{field}: {reason}")]
    Unsupported { field: &'static str, reason: String },
    /// The request itself is malformed (a form that is not valid UTF-8); the reason is shown.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The request is larger than we accept; the reason says the limit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// Too many attempts from one address; try again after this many seconds.
    #[error("too many requests; retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// The thing changed since the asker read it (someone else saved an article meanwhile);
    /// what they sent was not applied.
    #[error("edit conflict: the current version is {current_version}")]
    EditConflict { current_version: i64 },
    /// The thing is still used by something else and cannot be removed; the reason says what.
    #[error("in use: {0}")]
    InUse(String),
    /// A fault of ours; logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Result with the domain error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

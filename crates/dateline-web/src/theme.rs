//! Themes: a folder of templates and static files. The default theme is embedded in the
//! binary; a theme folder given with `--theme` overrides any of its files by name, so a site
//! can restyle without recompiling.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
};

use dateline_core::Error;
use minijinja::Environment;
use serde::Serialize;

/// The default theme's templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    (
        "site/articles/show.html",
        include_str!("../templates/site/articles/show.html"),
    ),
    (
        "site/list.html",
        include_str!("../templates/site/list.html"),
    ),
    (
        "site/search.html",
        include_str!("../templates/site/search.html"),
    ),
    (
        "site/error.html",
        include_str!("../templates/site/error.html"),
    ),
    (
        "site/setup.html",
        include_str!("../templates/site/setup.html"),
    ),
    (
        "site/topics.html",
        include_str!("../templates/site/topics.html"),
    ),
    (
        "site/sources.html",
        include_str!("../templates/site/sources.html"),
    ),
    (
        "admin/base.html",
        include_str!("../templates/admin/base.html"),
    ),
    (
        "admin/login.html",
        include_str!("../templates/admin/login.html"),
    ),
    (
        "admin/join.html",
        include_str!("../templates/admin/join.html"),
    ),
    (
        "admin/dashboard.html",
        include_str!("../templates/admin/dashboard.html"),
    ),
    (
        "admin/profile.html",
        include_str!("../templates/admin/profile.html"),
    ),
    (
        "admin/users.html",
        include_str!("../templates/admin/users.html"),
    ),
    (
        "admin/articles.html",
        include_str!("../templates/admin/articles.html"),
    ),
    (
        "admin/editor.html",
        include_str!("../templates/admin/editor.html"),
    ),
    (
        "admin/revisions.html",
        include_str!("../templates/admin/revisions.html"),
    ),
    (
        "admin/media.html",
        include_str!("../templates/admin/media.html"),
    ),
    (
        "admin/settings.html",
        include_str!("../templates/admin/settings.html"),
    ),
    (
        "admin/comments.html",
        include_str!("../templates/admin/comments.html"),
    ),
    (
        "admin/topics.html",
        include_str!("../templates/admin/topics.html"),
    ),
];

/// The default theme's static files: name, MIME type, content.
const STATIC_FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/style.css"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/admin.js"),
    ),
    (
        "comments.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/comments.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../static/favicon.svg"),
    ),
];

/// A loaded theme.
#[derive(Debug)]
pub struct Theme {
    env: Environment<'static>,
    dir: Option<PathBuf>,
    /// Each static file's fingerprint (the start of its BLAKE2b), read once at start.
    fingerprints: std::collections::HashMap<&'static str, String>,
}

impl Theme {
    /// The embedded default theme, overridden file by file from `dir` when given.
    pub fn new(dir: Option<PathBuf>) -> Self {
        let mut env = Environment::new();
        let template_dir = dir.as_ref().map(|d| d.join("templates"));
        env.set_loader(move |name| {
            if let Some(found) = template_dir.as_deref().and_then(|d| read_inside(d, name)) {
                return Ok(Some(found));
            }
            Ok(TEMPLATES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| (*t).to_owned()))
        });
        env.set_formatter(escape_html);
        let mut theme = Theme {
            env,
            dir,
            fingerprints: Default::default(),
        };
        for (name, _, _) in STATIC_FILES {
            if let Some((bytes, _)) = theme.static_file(name) {
                let hash = dateline_core::secrets::checksum(&bytes);
                theme.fingerprints.insert(name, hash[..16].to_owned());
            }
        }
        // `{{ asset("style.css") }}`: the file's address with its fingerprint, which the file's
        // own route answers with `immutable`, so that browsers keep it until it changes.
        let fingerprints = theme.fingerprints.clone();
        theme
            .env
            .add_function("asset", move |name: &str| match fingerprints.get(name) {
                Some(v) => format!("/static/{name}?v={v}"),
                None => format!("/static/{name}"),
            });
        theme
    }

    /// The fingerprint of static file `name`, if the theme has it.
    pub fn fingerprint(&self, name: &str) -> Option<&str> {
        self.fingerprints.get(name).map(String::as_str)
    }

    /// Renders a template with `context`.
    pub fn render<S: Serialize>(&self, name: &str, context: S) -> Result<String, Error> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(minijinja::value::Serde(&context)))
            .map_err(|e| Error::Internal(format!("template {name}: {e:#}")))
    }

    /// A static file of the theme, with its MIME type.
    pub fn static_file(&self, name: &str) -> Option<(Cow<'static, [u8]>, &'static str)> {
        let (_, mime, embedded) = STATIC_FILES.iter().find(|(n, _, _)| *n == name)?;
        if let Some(own) = self
            .dir
            .as_deref()
            .and_then(|d| read_inside(&d.join("static"), name))
        {
            return Some((Cow::Owned(own.into_bytes()), mime));
        }
        Some((Cow::Borrowed(embedded), mime))
    }
}

/// Escapes values for HTML like the default formatter, but leaves `/` alone: it needs no
/// escaping in element content or quoted attributes, and `&#x2f;` in every URL bloats pages.
/// An absent value (none or undefined) prints nothing.
fn escape_html(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if !matches!(state.auto_escape(), minijinja::AutoEscape::Html) || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    let owned;
    let text = match value.as_str() {
        Some(s) => s,
        None => {
            owned = value.to_string();
            &owned
        }
    };
    let mut escaped = String::with_capacity(text.len() + 16);
    dateline_core::comments::push_escaped(&mut escaped, text);
    out.write_str(&escaped).map_err(minijinja::Error::from)
}

/// Reads `dir/name` if `name` is a plain relative path that stays inside `dir`.
fn read_inside(dir: &Path, name: &str) -> Option<String> {
    let safe = !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if !safe {
        return None;
    }
    std::fs::read_to_string(dir.join(name)).ok()
}

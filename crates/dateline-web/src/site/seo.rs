//! What a page tells search engines and link previews about itself: a description, Open Graph
//! and Twitter card tags, `prev`/`next` between pages of a list, and for an article schema.org
//! `NewsArticle` in JSON-LD, with the reporting it is based on and its corrections. Built from
//! the article itself, so every page says the same as its body.

use dateline_core::{
    articles::{Article, CorrectionKind},
    markdown::first_sentence,
    settings::SiteSettings,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;

/// Longest description, in characters (what search engines show of one).
const DESCRIPTION_CHARS: usize = 200;

/// The head of a page, beyond its title and canonical link.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct PageMeta {
    /// `<meta name="description">`.
    pub description: String,
    /// `<meta property>` pairs: Open Graph and `article:`.
    pub properties: Vec<(&'static str, String)>,
    /// `<meta name>` pairs: the Twitter card.
    pub names: Vec<(&'static str, String)>,
    /// A schema.org description, as JSON ready to sit in a `<script type="application/ld+json">`.
    pub json_ld: Option<String>,
    /// The previous and next pages of a list.
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl PageMeta {
    /// A page described by `description`, or the site's own description when it is empty.
    pub(crate) fn described(description: String, settings: &SiteSettings) -> Self {
        let description = if description.trim().is_empty() {
            site_description(settings)
        } else {
            description
        };
        PageMeta {
            description,
            ..Default::default()
        }
    }
}

/// What the site says of itself: its description, or its tagline.
pub(crate) fn site_description(settings: &SiteSettings) -> String {
    if settings.description.trim().is_empty() {
        settings.tagline.clone()
    } else {
        settings.description.clone()
    }
}

/// JSON that can sit inside `<script>`: no `<` at all, so no `</script>` can end it early.
fn script_safe(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// The head of an article's page; `canonical` is its absolute address.
pub(crate) fn article(
    state: &AppState,
    settings: &SiteSettings,
    a: &Article,
    canonical: &str,
) -> PageMeta {
    let description = if a.dek.trim().is_empty() {
        first_sentence(&a.body_markdown, DESCRIPTION_CHARS)
    } else {
        a.dek.clone()
    };
    let description = if description.is_empty() {
        site_description(settings)
    } else {
        description
    };
    let published = a.published_at.unwrap_or(a.created_at).to_string();
    let modified = a
        .updated_at
        .max(a.published_at.unwrap_or(a.created_at))
        .to_string();
    let author_url = state.absolute(&format!("/authors/{}/", a.author.slug));
    let image = a.lead_image.as_ref().map(|l| {
        (
            state.absolute(&format!("/media/{}", l.media.path)),
            l.media.width,
            l.media.height,
            l.alt.clone(),
        )
    });
    let mut properties = vec![
        ("og:type", "article".to_owned()),
        ("og:site_name", settings.title.clone()),
        ("og:title", a.title.clone()),
        ("og:description", description.clone()),
        ("og:url", canonical.to_owned()),
        ("og:locale", settings.language.replace('-', "_")),
    ];
    if let Some((url, width, height, alt)) = &image {
        properties.push(("og:image", url.clone()));
        properties.push(("og:image:width", width.to_string()));
        properties.push(("og:image:height", height.to_string()));
        properties.push(("og:image:alt", alt.clone()));
    }
    properties.push(("article:published_time", published.clone()));
    properties.push(("article:modified_time", modified.clone()));
    properties.push(("article:author", author_url.clone()));
    if let Some(t) = a.topics.first() {
        properties.push(("article:section", t.name.clone()));
    }
    for t in &a.topics {
        properties.push(("article:tag", t.name.clone()));
    }
    let mut names = vec![
        (
            "twitter:card",
            if image.is_some() {
                "summary_large_image"
            } else {
                "summary"
            }
            .to_owned(),
        ),
        ("twitter:title", a.title.clone()),
        ("twitter:description", description.clone()),
    ];
    if let Some((url, _, _, alt)) = &image {
        names.push(("twitter:image", url.clone()));
        names.push(("twitter:image:alt", alt.clone()));
    }

    let mut publisher =
        json!({"@type": "Organization", "name": settings.title, "url": state.absolute("/")});
    if let Some(logo) = &settings.logo_path {
        publisher["logo"] =
            json!({"@type": "ImageObject", "url": state.absolute(&format!("/media/{logo}"))});
    }
    let sources: Vec<Value> = a
        .sources
        .iter()
        .map(|s| {
            let mut work = json!({"@type": "CreativeWork", "name": s.title});
            if let Some(author) = &s.author {
                work["author"] = json!({"@type": "Person", "name": author});
            }
            if let Some(outlet) = &s.outlet {
                work["publisher"] = json!({"@type": "Organization", "name": outlet});
            }
            if let Some(url) = &s.url {
                work["url"] = json!(url);
            }
            if let Some(date) = &s.published_at {
                work["datePublished"] = json!(date);
            }
            work
        })
        .collect();
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "url": canonical,
        "headline": a.title,
        "description": description,
        "datePublished": published,
        "dateModified": modified,
        "inLanguage": settings.language,
        "author": [{"@type": "Person", "name": a.author.name, "url": author_url}],
        "publisher": publisher,
    });
    if let Some((url, width, height, alt)) = &image {
        ld["image"] = json!([{"@type": "ImageObject", "url": url, "width": width, "height": height, "caption": alt}]);
    }
    if let Some(t) = a.topics.first() {
        ld["articleSection"] = json!(t.name);
    }
    if !a.topics.is_empty() {
        ld["keywords"] = json!(a.topics.iter().map(|t| t.name.as_str()).collect::<Vec<_>>());
    }
    if !sources.is_empty() {
        ld["isBasedOn"] = json!(sources);
        ld["citation"] = json!(sources);
    }
    let corrections: Vec<Value> = a
        .corrections
        .iter()
        .filter(|c| c.kind == CorrectionKind::Correction)
        .map(|c| json!({"@type": "CorrectionComment", "text": c.body, "datePublished": c.created_at.to_string()}))
        .collect();
    if !corrections.is_empty() {
        ld["correction"] = json!(corrections);
    }
    PageMeta {
        description,
        properties,
        names,
        json_ld: Some(script_safe(&ld)),
        prev: None,
        next: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_cannot_end_its_script() {
        let v = json!({"headline": "</script><script>alert(1)</script>"});
        let safe = script_safe(&v);
        assert!(!safe.contains('<'), "{safe}");
        let back: Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}

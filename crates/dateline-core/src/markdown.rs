//! Article bodies: Markdown in, sanitised HTML out.

use pulldown_cmark::{Options, Parser, html};

/// Renders staff-written Markdown to HTML and sanitises it. pulldown-cmark passes raw HTML
/// through, so the sanitiser is what stands between a pasted `<script>` and the page.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener"))
        .add_tags(["figure", "figcaption"])
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_paragraphs_and_strips_scripts() {
        let html =
            render("First *para*.\n\nSecond <script>alert(1)</script> [x](javascript:alert(1))");
        assert!(html.contains("<p>First <em>para</em>.</p>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}

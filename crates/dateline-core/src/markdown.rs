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
    ARTICLE_SANITISER.clean(&unsafe_html).to_string()
}

/// The allow-list article bodies are cleaned with, made once rather than for every render.
static ARTICLE_SANITISER: std::sync::LazyLock<ammonia::Builder<'static>> =
    std::sync::LazyLock::new(|| {
        let mut clean = ammonia::Builder::default();
        clean
            .link_rel(Some("noopener"))
            .add_tags(["figure", "figcaption"]);
        clean
    });

/// The first sentence of a Markdown text as plain text, at most `max` characters (cut at a
/// word, with an ellipsis): what a search result or a link preview shows of an article with no
/// standfirst.
pub fn first_sentence(markdown: &str, max: usize) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item)
                if !text.trim().is_empty() =>
            {
                break;
            }
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // The end of the first sentence: a full stop, question or exclamation mark, a space, and a
    // capital (so that "U.S. forces" goes on).
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            let rest = &text[i + c.len_utf8()..];
            matches!(c, '.' | '?' | '!')
                && rest.starts_with(' ')
                && rest[1..].chars().next().is_some_and(char::is_uppercase)
        })
        .map_or(text.len(), |(i, c)| i + c.len_utf8());
    let sentence = &text[..end];
    if sentence.chars().count() <= max {
        return sentence.to_owned();
    }
    let cut: String = sentence.chars().take(max.saturating_sub(1)).collect();
    let at_word = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", at_word.trim_end_matches([',', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sentence_is_plain_and_short() {
        assert_eq!(
            first_sentence(
                "With the *withdrawal* of U.S. forces, the [fate](https://x.org) changed. Later on.",
                200
            ),
            "With the withdrawal of U.S. forces, the fate changed."
        );
        assert_eq!(first_sentence("# Heading\n\nBody.", 200), "Heading");
        assert_eq!(first_sentence("One two three four five", 12), "One two…");
        assert_eq!(first_sentence("", 10), "");
    }

    #[test]
    fn renders_paragraphs_and_strips_scripts() {
        let html =
            render("First *para*.\n\nSecond <script>alert(1)</script> [x](javascript:alert(1))");
        assert!(html.contains("<p>First <em>para</em>.</p>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}

//! Full-text search, the half both databases share: text folded to the form it is indexed in,
//! a reader's query parsed into words and phrases, the expression each engine matches with,
//! and highlighted excerpts.
//!
//! Everything is folded here, in Rust, before either engine sees it: lower case, compatibility
//! decomposition (NFKD) with the combining marks dropped, and a few letters NFKD keeps whole
//! (`ø`, `ł`, `ß`) spelt the way a reader without them types them. Words are the runs of
//! letters and digits that remain, joined with single spaces; so SQLite's FTS5 and
//! PostgreSQL's `to_tsvector` are given the same words, and `Londono` finds `Londoño` on both.
//! A query is parsed into phrases of such words, and written out with every word quoted: no
//! reader's text is ever read by an engine as an operator.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use crate::articles::Article;

/// Longer queries are not searched: nobody types them, and they would only cost the engine.
pub const MAX_QUERY_CHARS: usize = 300;
/// The most words a query may hold (in and out of quotes).
pub const MAX_QUERY_WORDS: usize = 24;
/// Longer words are neither indexed nor searched for. PostgreSQL drops words over 2047 bytes
/// from a `tsvector`; a shorter limit of our own keeps both engines alike.
pub const MAX_WORD_CHARS: usize = 100;
/// How much of an article's body is indexed and looked through for an excerpt, in characters
/// of folded text. PostgreSQL refuses a `tsvector` over 1 MB, and counts word positions only to
/// 16,383 anyway; a news article is far shorter.
pub const MAX_INDEXED_CHARS: usize = 100_000;

/// Folds one character to its indexed form, giving each resulting character to `emit`.
fn fold(c: char, emit: &mut impl FnMut(char)) {
    for lower in c.to_lowercase() {
        decompose_compatible(lower, |d| {
            if is_combining_mark(d) {
                return;
            }
            // A compatibility decomposition may give capitals (`℃` is `°C`).
            for d in d.to_lowercase() {
                match d {
                    // The final sigma is the same letter as σ.
                    'ς' => emit('σ'),
                    'ø' => emit('o'),
                    'ł' => emit('l'),
                    'đ' | 'ð' => emit('d'),
                    'ħ' => emit('h'),
                    'ı' => emit('i'),
                    'ŧ' => emit('t'),
                    'ß' => {
                        emit('s');
                        emit('s');
                    }
                    'æ' => {
                        emit('a');
                        emit('e');
                    }
                    'œ' => {
                        emit('o');
                        emit('e');
                    }
                    'þ' => {
                        emit('t');
                        emit('h');
                    }
                    other => emit(other),
                }
            }
        });
    }
}

/// A word of a text in its folded form, with the bytes of the original text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    folded: String,
    start: usize,
    end: usize,
}

/// The words of `text`: runs of letters and digits once folded. One character may end a word
/// and begin the next (`½` folds to `1⁄2`); both then come from its bytes.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut start, mut end) = (0, 0);
    for (i, c) in text.char_indices() {
        fold(c, &mut |f| {
            if f.is_alphanumeric() {
                if word.is_empty() {
                    start = i;
                }
                word.push(f);
                end = i + c.len_utf8();
            } else if !word.is_empty() {
                out.push(Token {
                    folded: std::mem::take(&mut word),
                    start,
                    end,
                });
            }
        });
    }
    if !word.is_empty() {
        out.push(Token {
            folded: word,
            start,
            end,
        });
    }
    out
}

fn is_indexable(t: &Token) -> bool {
    t.folded.chars().count() <= MAX_WORD_CHARS
}

/// `text` as it is indexed: its folded words, joined with single spaces, up to
/// [`MAX_INDEXED_CHARS`].
pub fn fold_text(text: &str) -> String {
    let mut out = String::new();
    for t in tokens(text).iter().filter(|t| is_indexable(t)) {
        if out.len() + t.folded.len() + 1 > MAX_INDEXED_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.folded);
    }
    out
}

/// The text of sanitised HTML (an article body as rendered): tags dropped, the entities the
/// renderer writes decoded, blocks separated by a space, runs of white space collapsed. Made for
/// our own sanitised output, not for arbitrary HTML.
pub fn text_of_html(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        raw.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            let Some(close) = rest.find('>') else {
                rest = "";
                break;
            };
            let name: String = rest[1..close]
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            // Inline elements join the words around them (`un<em>likely</em>`); the others part.
            let inline = matches!(
                name.as_str(),
                "a" | "abbr"
                    | "b"
                    | "cite"
                    | "code"
                    | "del"
                    | "em"
                    | "i"
                    | "ins"
                    | "kbd"
                    | "mark"
                    | "q"
                    | "s"
                    | "small"
                    | "span"
                    | "strong"
                    | "sub"
                    | "sup"
                    | "u"
            );
            if !inline {
                raw.push(' ');
            }
            rest = &rest[close + 1..];
        } else {
            let (decoded, used) = decode_entity(rest);
            raw.push_str(&decoded);
            rest = &rest[used..];
        }
    }
    raw.push_str(rest);
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The entity at the start of `s` (which starts with `&`) and how many bytes it took; an
/// unknown one is kept as written.
fn decode_entity(s: &str) -> (String, usize) {
    // A byte search: the twelfth byte may fall inside a character, `;` never does.
    let Some(end) = s.as_bytes()[..s.len().min(12)]
        .iter()
        .position(|b| *b == b';')
    else {
        return ("&".to_owned(), 1);
    };
    let name = &s[1..end];
    let named = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => None,
    };
    let numeric = || {
        let n = name.strip_prefix('#')?;
        let code = match n.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => n.parse().ok()?,
        };
        char::from_u32(code)
    };
    match named.or_else(numeric) {
        Some(c) => (c.to_string(), end + 1),
        None => ("&".to_owned(), 1),
    }
}

/// What an article is found by, folded, in three parts that rank differently: the title; the
/// dek, topics and author's name; the body and its sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    /// The headline.
    pub title: String,
    /// The dek, the topics' names and the author's name.
    pub secondary: String,
    /// The body's text and each source's title, author and outlet.
    pub body: String,
}

impl SearchDocument {
    /// The document of `article`, as it now is.
    pub fn of(article: &Article) -> Self {
        let mut secondary = vec![article.dek.as_str(), article.author.name.as_str()];
        secondary.extend(article.topics.iter().map(|t| t.name.as_str()));
        let mut body = vec![text_of_html(&article.body_html)];
        for s in &article.sources {
            body.push(s.title.clone());
            body.extend(s.author.clone());
            body.extend(s.outlet.clone());
        }
        // Each part is folded apart, so that no word runs into the next part's first one.
        let join = |parts: &[&str]| {
            let folded: Vec<String> = parts.iter().map(|p| fold_text(p)).collect();
            fold_text(&folded.join(" "))
        };
        SearchDocument {
            title: fold_text(&article.title),
            secondary: join(&secondary),
            body: join(&body.iter().map(String::as_str).collect::<Vec<_>>()),
        }
    }
}

/// Words that must appear in this order, next to each other; the last may be the start of a
/// word (a prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// Folded words, each a run of letters and digits.
    pub words: Vec<String>,
    /// Whether the last word matches any word it begins.
    pub prefix: bool,
}

/// A reader's query, parsed: every phrase must match. Empty when nothing in the query can be
/// searched for (only punctuation or operators, too long, a word no article can hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    phrases: Vec<Phrase>,
}

impl SearchQuery {
    /// Parses what a reader typed. Text in double quotes (straight or curly) is a phrase; an
    /// unclosed quote runs to the end. Outside quotes each word is searched for on its own, a
    /// word with inner punctuation (`covid-19`, `O'Brien`) as the phrase of its parts, and the
    /// last word as a prefix, since it may be half typed. Operators of either engine (`AND`,
    /// `NEAR`, `*`, `-`, `:`, `^`, parentheses) are words or punctuation like any other.
    /// Never fails: what cannot be searched gives an empty query, which matches nothing.
    pub fn parse(input: &str) -> Self {
        if input.chars().count() > MAX_QUERY_CHARS {
            return SearchQuery::default();
        }
        let straight: String = input
            .chars()
            .map(|c| match c {
                '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{FF02}' => '"',
                other => other,
            })
            .collect();
        let mut phrases: Vec<(Vec<Token>, bool)> = Vec::new();
        for (n, segment) in straight.split('"').enumerate() {
            let quoted = n % 2 == 1;
            if quoted {
                phrases.push((tokens(segment), true));
            } else {
                phrases.extend(segment.split_whitespace().map(|w| (tokens(w), false)));
            }
        }
        phrases.retain(|(words, _)| !words.is_empty());
        let word_count: usize = phrases.iter().map(|(w, _)| w.len()).sum();
        // A word longer than any indexed one can match nothing.
        if word_count > MAX_QUERY_WORDS
            || phrases
                .iter()
                .flat_map(|(w, _)| w)
                .any(|t| !is_indexable(t))
        {
            return SearchQuery::default();
        }
        let last = phrases.len().saturating_sub(1);
        let mut parsed: Vec<Phrase> = Vec::new();
        for (i, (words, quoted)) in phrases.into_iter().enumerate() {
            let phrase = Phrase {
                words: words.into_iter().map(|t| t.folded).collect(),
                prefix: i == last && !quoted,
            };
            if !parsed.contains(&phrase) {
                parsed.push(phrase);
            }
        }
        SearchQuery { phrases: parsed }
    }

    /// Whether there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// The phrases, in the order typed.
    pub fn phrases(&self) -> &[Phrase] {
        &self.phrases
    }

    /// The FTS5 `MATCH` expression: every phrase quoted, joined by `AND`; `column` limits each
    /// to one column (`title : "word"`). Words are letters and digits only, so the quotes
    /// cannot be closed from inside.
    pub fn fts5_expression(&self, column: Option<&str>) -> String {
        let filter = column.map(|c| format!("{c} : ")).unwrap_or_default();
        self.phrases
            .iter()
            .map(|p| {
                let star = if p.prefix { "*" } else { "" };
                format!("{filter}\"{}\"{star}", p.words.join(" "))
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The PostgreSQL `tsquery` text (for `to_tsquery('simple', …)`): every word quoted, the
    /// words of a phrase joined by `<->` (followed by), phrases by `&`; `weight` limits each
    /// word to that weight's part of the document (`'word':A`).
    pub fn tsquery_expression(&self, weight: Option<char>) -> String {
        let weight = weight.map(String::from).unwrap_or_default();
        self.phrases
            .iter()
            .map(|p| {
                let last = p.words.len().saturating_sub(1);
                p.words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let star = if p.prefix && i == last { "*" } else { "" };
                        let label = if star.is_empty() && weight.is_empty() {
                            String::new()
                        } else {
                            format!(":{star}{weight}")
                        };
                        format!("'{w}'{label}")
                    })
                    .collect::<Vec<_>>()
                    .join(" <-> ")
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// Which of `text`'s words the query matches: every occurrence of each phrase.
    fn marked(&self, words: &[Token]) -> Vec<bool> {
        let mut marked = vec![false; words.len()];
        for phrase in &self.phrases {
            let n = phrase.words.len();
            if n == 0 || n > words.len() {
                continue;
            }
            for at in 0..=words.len() - n {
                let matches = phrase.words.iter().enumerate().all(|(j, w)| {
                    let found = &words[at + j].folded;
                    if phrase.prefix && j == n - 1 {
                        found.starts_with(w.as_str())
                    } else {
                        found == w
                    }
                });
                if matches {
                    marked[at..at + n].iter_mut().for_each(|m| *m = true);
                }
            }
        }
        marked
    }

    /// All of `text`, the words the query matches marked (for a title).
    pub fn highlight(&self, text: &str) -> Highlighted {
        let words = tokens(text);
        let marked = self.marked(&words);
        Highlighted::of(text, &words, &marked, 0, text.len())
    }

    /// About `max_chars` of `text` around the first word the query matches, or from its start
    /// when none does (the article matched elsewhere), with `…` where it was cut.
    pub fn excerpt(&self, text: &str, max_chars: usize) -> Highlighted {
        let limit = text
            .char_indices()
            .nth(MAX_INDEXED_CHARS)
            .map_or(text.len(), |(i, _)| i);
        let cut_short = limit < text.len();
        let text = &text[..limit];
        let words = tokens(text);
        if words.is_empty() {
            return Highlighted::default();
        }
        let marked = self.marked(&words);
        let first = marked.iter().position(|m| *m).unwrap_or(0);
        let chars = |from: usize, to: usize| text[from..to].chars().count();
        // A little of what leads up to the match, then as much after it as fits.
        let mut start = first;
        while start > 0 && chars(words[start - 1].start, words[first].start) <= max_chars / 3 {
            start -= 1;
        }
        let mut end = first;
        while end + 1 < words.len() && chars(words[start].start, words[end + 1].end) <= max_chars {
            end += 1;
        }
        // At either end of the text, its punctuation too (the full stop after the last word).
        let from = if start == 0 { 0 } else { words[start].start };
        let last = end + 1 == words.len();
        let to = if last { text.len() } else { words[end].end };
        let mut out = Highlighted::of(text, &words, &marked, from, to);
        if start > 0 {
            out.pieces.insert(0, ("… ".to_owned(), false));
        }
        if !last || cut_short {
            out.pieces.push((" …".to_owned(), false));
        }
        out
    }
}

/// Text with the words a query matched marked, to be shown with `<mark>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlighted {
    /// Stretches of text, each marked or not.
    pieces: Vec<(String, bool)>,
}

impl Highlighted {
    /// `text[from..to]`, with the marked words among `words` (merged with the spaces between
    /// neighbours, so a phrase is one mark).
    fn of(text: &str, words: &[Token], marked: &[bool], from: usize, to: usize) -> Self {
        let mut pieces: Vec<(String, bool)> = Vec::new();
        let mut at = from;
        let push = |pieces: &mut Vec<(String, bool)>, s: &str, mark: bool| {
            if s.is_empty() {
                return;
            }
            match pieces.last_mut() {
                Some((last, m)) if *m == mark => last.push_str(s),
                _ => pieces.push((s.to_owned(), mark)),
            }
        };
        for (i, w) in words.iter().enumerate() {
            if !marked[i] || w.start < from || w.end > to || w.start < at {
                continue;
            }
            let gap = &text[at..w.start];
            // Only white space between two marked words: the mark goes on over it.
            let joins = pieces.last().is_some_and(|(_, m)| *m)
                && at > from
                && gap.chars().all(char::is_whitespace);
            push(&mut pieces, gap, joins);
            push(&mut pieces, &text[w.start..w.end], true);
            at = w.end;
        }
        push(&mut pieces, &text[at..to], false);
        Highlighted { pieces }
    }

    /// Whether any word is marked.
    pub fn has_marks(&self) -> bool {
        self.pieces.iter().any(|(_, m)| *m)
    }

    /// The text without marks.
    pub fn text(&self) -> String {
        self.pieces.iter().map(|(s, _)| s.as_str()).collect()
    }

    /// HTML: every piece escaped, the marked ones in `<mark>`. Nothing else is markup.
    pub fn to_html(&self) -> String {
        let mut html = String::new();
        for (text, mark) in &self.pieces {
            if *mark {
                html.push_str("<mark>");
            }
            crate::comments::push_escaped(&mut html, text);
            if *mark {
                html.push_str("</mark>");
            }
        }
        html
    }
}

#[cfg(test)]
mod entity_tests {
    use super::*;

    #[test]
    fn an_ampersand_before_wide_characters_is_kept() {
        // Schemathesis found this: the twelfth byte after an `&` fell inside a character, and
        // slicing there panicked.
        assert_eq!(text_of_html("KD &aaaaaaaaaaé"), "KD &aaaaaaaaaaé");
        assert_eq!(text_of_html("<p>KD&ùĳa\u{2f8f6}</p>"), "KD&ùĳa\u{2f8f6}");
        assert_eq!(text_of_html("a &amp; b"), "a & b");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The phrases of a query as `("word word", prefix)`.
    fn words(q: &str) -> Vec<(String, bool)> {
        SearchQuery::parse(q)
            .phrases
            .iter()
            .map(|p| (p.words.join(" "), p.prefix))
            .collect()
    }

    fn phrase(words: &str, prefix: bool) -> (String, bool) {
        (words.to_owned(), prefix)
    }

    #[test]
    fn folding_ignores_case_accents_and_compatibility_forms() {
        assert_eq!(fold_text("Londoño"), "londono");
        assert_eq!(fold_text("MUJAHEDEEN"), "mujahedeen");
        assert_eq!(fold_text("Łódź Straße Ærø"), "lodz strasse aero");
        assert_eq!(fold_text("ﬁnal Ⅻ ½"), "final xii 1 2");
        assert_eq!(fold_text("ΟΔΟΣ οδός"), "οδοσ οδοσ");
        assert_eq!(fold_text("İstanbul"), "istanbul");
        assert_eq!(fold_text("  it's a co-op, 2009!  "), "it s a co op 2009");
    }

    #[test]
    fn long_words_and_long_texts_are_cut() {
        let long = "x".repeat(MAX_WORD_CHARS + 1);
        assert_eq!(fold_text(&format!("a {long} b")), "a b");
        let many = "word ".repeat(MAX_INDEXED_CHARS);
        assert!(fold_text(&many).len() <= MAX_INDEXED_CHARS);
    }

    #[test]
    fn queries_are_words_phrases_and_a_prefix() {
        assert_eq!(words("Londono"), vec![phrase("londono", true)]);
        assert_eq!(
            words("camp \"New York\" ira"),
            vec![
                phrase("camp", false),
                phrase("new york", false),
                phrase("ira", true)
            ]
        );
        // The last word is not a prefix once it is in quotes, curly or not.
        assert_eq!(
            words("iraq “camp ashraf”"),
            vec![phrase("iraq", false), phrase("camp ashraf", false)]
        );
        // An unclosed quote runs to the end; inner punctuation makes a phrase.
        assert_eq!(
            words("covid-19 \"open quote"),
            vec![phrase("covid 19", false), phrase("open quote", false)]
        );
        assert_eq!(words("O'Brie"), vec![phrase("o brie", true)]);
        // A repeat is searched once, the prefix apart.
        assert_eq!(
            words("iraq iraq"),
            vec![phrase("iraq", false), phrase("iraq", true)]
        );
    }

    #[test]
    fn operators_and_junk_are_only_words_or_nothing() {
        for q in [
            "",
            "   ",
            "\"",
            "\"\"\"",
            "*",
            "-",
            "( ) : ^ *",
            "\0",
            "\u{7}\u{1b}\u{0}",
            "!!!",
        ] {
            assert!(SearchQuery::parse(q).is_empty(), "{q:?}");
        }
        // `NEAR(a` is one word with inner punctuation: the phrase of its parts.
        let q = SearchQuery::parse("NEAR(a b) OR -c^ d:*");
        assert_eq!(
            q.fts5_expression(None),
            "\"near a\" AND \"b\" AND \"or\" AND \"c\" AND \"d\"*"
        );
        assert!(SearchQuery::parse(&"a ".repeat(MAX_QUERY_WORDS + 1)).is_empty());
        assert!(SearchQuery::parse(&"a".repeat(10_000)).is_empty());
        assert!(SearchQuery::parse(&"x".repeat(MAX_WORD_CHARS + 1)).is_empty());
    }

    #[test]
    fn expressions_for_each_engine() {
        let q = SearchQuery::parse("Camp \"new york\" lond");
        assert_eq!(
            q.fts5_expression(None),
            "\"camp\" AND \"new york\" AND \"lond\"*"
        );
        assert_eq!(
            q.fts5_expression(Some("title")),
            "title : \"camp\" AND title : \"new york\" AND title : \"lond\"*"
        );
        assert_eq!(
            q.tsquery_expression(None),
            "'camp' & 'new' <-> 'york' & 'lond':*"
        );
        assert_eq!(
            q.tsquery_expression(Some('A')),
            "'camp':A & 'new':A <-> 'york':A & 'lond':*A"
        );
    }

    #[test]
    fn html_bodies_become_text() {
        assert_eq!(
            text_of_html(
                "<h2>Camp</h2><p>Un<em>likely</em> &amp; <code>&lt;script&gt;</code></p><p>x&#233;&#x41;&nbsp;y &bogus; &</p>"
            ),
            "Camp Unlikely & <script> xéA y &bogus; &"
        );
    }

    #[test]
    fn highlights_mark_matches_and_escape_everything_else() {
        let q = SearchQuery::parse("londono \"new york\" scri");
        let h = q.highlight("From Londoño to New  York: <script>alert(1)</script>");
        assert_eq!(
            h.to_html(),
            "From <mark>Londoño</mark> to <mark>New  York</mark>: &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"
        );
        // A phrase's words apart are not the phrase.
        let h = SearchQuery::parse("\"new york\"").highlight("new jersey, old york");
        assert!(!h.has_marks());
    }

    #[test]
    fn excerpts_centre_on_the_first_match() {
        let text = format!(
            "{} Ashraf camp {}",
            "before ".repeat(50),
            "after ".repeat(50)
        );
        let e = SearchQuery::parse("ashraf").excerpt(&text, 100);
        let plain = e.text();
        assert!(plain.starts_with("… before"), "{plain}");
        assert!(plain.ends_with("after …"), "{plain}");
        assert!(plain.chars().count() <= 110, "{plain}");
        assert!(e.to_html().contains("<mark>Ashraf</mark> camp"));
        // No match in this text: its beginning.
        let e = SearchQuery::parse("nowhere").excerpt(&text, 40);
        assert!(e.text().starts_with("before before") && !e.has_marks());
        assert_eq!(SearchQuery::parse("x").excerpt("", 40).text(), "");
    }

    /// Whether `expr` is only quoted words (letters and digits, spaces between) joined as
    /// `fts5_expression` joins them.
    fn is_safe_fts5(expr: &str, column: &str) -> bool {
        expr.split(" AND ").all(|part| {
            let part = part.strip_prefix(column).unwrap_or(part);
            let part = part.strip_suffix('*').unwrap_or(part);
            part.len() >= 2
                && part.starts_with('"')
                && part.ends_with('"')
                && part[1..part.len() - 1]
                    .split(' ')
                    .all(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric))
        })
    }

    fn is_safe_tsquery(expr: &str) -> bool {
        expr.split(" & ").all(|phrase| {
            phrase.split(" <-> ").all(|word| {
                let Some(rest) = word.strip_prefix('\'') else {
                    return false;
                };
                let Some((w, label)) = rest.split_once('\'') else {
                    return false;
                };
                !w.is_empty()
                    && w.chars().all(char::is_alphanumeric)
                    && matches!(label, "" | ":*" | ":A" | ":*A")
            })
        })
    }

    proptest! {
        #[test]
        fn any_html_yields_its_text_without_panicking(input in any::<String>()) {
            let _ = text_of_html(&input);
            let _ = text_of_html(&format!("&{input}"));
        }

        #[test]
        fn any_text_parses_into_a_safe_expression(input in any::<String>()) {
            let q = SearchQuery::parse(&input);
            if !q.is_empty() {
                prop_assert!(is_safe_fts5(&q.fts5_expression(None), ""));
                prop_assert!(is_safe_fts5(&q.fts5_expression(Some("title")), "title : "));
                prop_assert!(is_safe_tsquery(&q.tsquery_expression(None)));
                prop_assert!(is_safe_tsquery(&q.tsquery_expression(Some('A'))));
            }
            let h = q.highlight(&input);
            prop_assert_eq!(h.text(), input.clone());
            let _ = q.excerpt(&input, 40).to_html();
            let html = h.to_html().replace("<mark>", "").replace("</mark>", "");
            prop_assert!(!html.contains('<') && !html.contains('>'));
            let _ = q.excerpt(&input, 50);
        }

        #[test]
        fn operator_soup_parses_into_a_safe_expression(
            input in "[a-zA-Zñ0-9 \"“”*^:()\\-+.,'{}\\[\\]|&!<>~\\\\\t\n\0]{0,80}"
        ) {
            let q = SearchQuery::parse(&input);
            if !q.is_empty() {
                prop_assert!(is_safe_fts5(&q.fts5_expression(None), ""));
                prop_assert!(is_safe_tsquery(&q.tsquery_expression(Some('A'))));
            }
        }

        #[test]
        fn a_query_for_a_word_of_a_text_marks_it(text in "[a-zA-Zéñ ]{1,60}") {
            if let Some(word) = text.split_whitespace().next() {
                let h = SearchQuery::parse(&format!("\"{word}\"")).highlight(&text);
                prop_assert!(h.has_marks());
            }
        }
    }
}

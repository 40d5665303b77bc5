//! Full-text search, from the site's page and the API: what readers find and in what order, how
//! forgiving the query is, the filters and pages, the index following every change, highlighted
//! and escaped excerpts, and what crawlers are told.

use dateline_app::articles;
use dateline_core::{actor::Actor, articles::ArticleForm, settings::SettingKey, users::Role};
use dateline_store::SEARCH_RANKED;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sqlx::{Connection, Executor};

use crate::support::{Backend, Options, TestApp, fixed_clock, visible_text};

both_backends!(
    title_matches_rank_first_and_case_accents_and_prefixes_do_not_matter,
    every_part_of_an_article_is_searched,
    filters_narrow_by_topic_author_and_days_in_the_site_time_zone,
    results_come_in_pages,
    a_word_in_more_articles_than_are_ranked_finds_the_newest_and_says_so,
    hostile_queries_find_nothing_and_never_fail,
    the_index_follows_every_change,
    excerpts_mark_the_matches_and_escape_everything_else,
    search_is_not_indexed_and_every_page_has_a_search_box,
    articles_older_than_search_are_indexed_at_start_up,
);

/// A new site, its welcome article moved to the trash so that only a test's own articles can
/// be found (it holds common words such as "and" and "not").
async fn site(backend: Backend, options: Options) -> TestApp {
    let app = TestApp::spawn_with(backend, options).await;
    let token = app.editor_token().await;
    let (_, list) = app.get_json("/api/v1/articles", None).await;
    for a in list["items"].as_array().unwrap() {
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/articles/{}", a["id"])))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
    }
    app
}

/// `path?k=v&…`, every byte outside ASCII letters and digits percent-encoded.
fn with_query(path: &str, params: &[(&str, &str)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let pairs: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// The API's answer to `GET /api/v1/search` with `params`; asserts it succeeded.
async fn api_search(app: &TestApp, params: &[(&str, &str)]) -> Value {
    let (status, body) = api_search_status(app, params, None).await;
    assert_eq!(status, 200, "{params:?}: {body}");
    body
}

async fn api_search_status(
    app: &TestApp,
    params: &[(&str, &str)],
    token: Option<&str>,
) -> (u16, Value) {
    let mut req = app
        .client
        .get(app.url(&with_query("/api/v1/search", params)));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The titles found for `q`, in order.
async fn titles(app: &TestApp, q: &str) -> Vec<String> {
    let found = api_search(app, &[("q", q)]).await;
    found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

/// The titles the search page shows for `q`, in order, after checking that the API finds the
/// same: the page is kept in memory, and must be dropped whenever what it found changed.
async fn titles_on_both(app: &TestApp, q: &str) -> Vec<String> {
    let (status, html) = page(app, &[("q", q)]).await;
    assert_eq!(status, 200);
    let shown: Vec<String> = html
        .split(r#"<h2 class="teaser-title">"#)
        .skip(1)
        .map(|h| {
            visible_text(h.split("</h2>").next().unwrap())
                .trim()
                .to_owned()
        })
        .collect();
    assert_eq!(
        shown,
        titles(app, q).await,
        "the page and the API differ for {q:?}"
    );
    shown
}

/// The search page for `params`: status and HTML.
async fn page(app: &TestApp, params: &[(&str, &str)]) -> (u16, String) {
    let r = app
        .client
        .get(app.url(&with_query("/search", params)))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Publishes an article at `at` with `fields` (title and body at least).
async fn publish_at(app: &TestApp, token: &str, at: &str, fields: Value) -> Value {
    let mut body = json!({"status": "published", "published_at": at});
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, a) = app.post_json("/api/v1/articles", Some(token), &body).await;
    assert_eq!(s, 201, "{a}");
    a
}

async fn title_matches_rank_first_and_case_accents_and_prefixes_do_not_matter(backend: Backend) {
    let app = site(backend, Options::default()).await;
    let token = app.editor_token().await;
    // The title match is the older one and says "Ashraf" once; the body-only match is newer
    // says it over and over, in its dek and topic too, which relevance alone puts first. The
    // title still wins.
    let repeated = "The camp of Ashraf. ".to_owned() + &"Ashraf again. ".repeat(30);
    publish_at(
        &app,
        &token,
        "2009-07-28T12:00:00Z",
        json!({"title": "Ashraf residents moved", "body_markdown": "Nothing more to say."}),
    )
    .await;
    publish_at(
        &app,
        &token,
        "2009-07-30T12:00:00Z",
        json!({"title": "Other news", "dek": "Ashraf: the Ashraf story from Ashraf.",
               "topics": ["Ashraf"], "body_markdown": repeated}),
    )
    .await;
    publish_at(
        &app,
        &token,
        "2009-07-29T12:00:00Z",
        json!({"title": "Interview with Londoño", "body_markdown": "The People's Mujahedeen of Iran."}),
    )
    .await;
    assert_eq!(
        titles(&app, "ashraf").await,
        ["Ashraf residents moved", "Other news"]
    );
    // Case and accents, either way round.
    for q in ["Londono", "LONDOÑO", "londoño", "lONdONo"] {
        assert_eq!(titles(&app, q).await, ["Interview with Londoño"], "{q}");
    }
    assert_eq!(titles(&app, "mujahedeen").await, ["Interview with Londoño"]);
    assert_eq!(
        titles(&app, "MUJAHEDEEN iran").await,
        ["Interview with Londoño"]
    );
    // The last word is a prefix as it is typed; one in quotes, or an earlier one, is whole.
    assert_eq!(titles(&app, "lond").await, ["Interview with Londoño"]);
    assert_eq!(
        titles(&app, "interview lond").await,
        ["Interview with Londoño"]
    );
    assert!(titles(&app, "\"lond\"").await.is_empty());
    assert!(titles(&app, "lond interview").await.is_empty());
    // Every word must match.
    assert!(titles(&app, "ashraf londono").await.is_empty());
    // Phrases: the words in order, next to each other.
    assert_eq!(titles(&app, "\"camp of ashraf\"").await, ["Other news"]);
    assert!(titles(&app, "\"ashraf camp\"").await.is_empty());
    assert_eq!(
        titles(&app, "“people’s mujahedeen”").await,
        ["Interview with Londoño"]
    );
    // The page shows the same, in the same order.
    let (s, html) = page(&app, &[("q", "Ashraf")]).await;
    assert_eq!(s, 200);
    let text = visible_text(&html);
    assert!(text.contains("2 articles match “Ashraf”."), "{text}");
    let first = text.find("Ashraf residents moved").unwrap();
    let second = text.find("Other news").unwrap();
    assert!(first < second, "{text}");
}

async fn every_part_of_an_article_is_searched(backend: Backend) {
    let app = site(backend, Options::default()).await;
    let (_, token) = app
        .user_with_token("Wilhelmina Quist", "wq@example.org", Role::Editor)
        .await;
    app.publish(
        &token,
        "A plain headline",
        json!({
            "dek": "Standfirst with zeugma",
            "body_markdown": "Body with *xylophone* and [a link](https://example.org/flugelhorn).",
            "topics": ["Camp Ashraf"],
            "sources": [{"title": "Clashes at Exile Camp", "author": "Timothy Williams",
                         "outlet": "Kathimerini", "url": "https://example.org/"}],
        }),
    )
    .await;
    for q in [
        "plain headline",
        "zeugma",
        "xylophone",
        "camp ashraf",
        "clashes exile",
        "timothy williams",
        "kathimerini",
        "wilhelmina quist",
    ] {
        assert_eq!(titles(&app, q).await, ["A plain headline"], "{q}");
    }
    // What a reader reads is searched, not the Markdown behind it: a link's address is not text.
    assert!(titles(&app, "flugelhorn").await.is_empty());
}

async fn filters_narrow_by_topic_author_and_days_in_the_site_time_zone(backend: Backend) {
    let app = site(backend, Options::default()).await;
    app.set_setting(SettingKey::TimeZone, "America/Los_Angeles")
        .await;
    let (_, eve) = app
        .user_with_token("Eve Editor", "eve@example.org", Role::Editor)
        .await;
    let (_, abe) = app
        .user_with_token("Abe Author", "abe@example.org", Role::Author)
        .await;
    // 23:30 on July 31 in Los Angeles is already August 1 in UTC.
    publish_at(
        &app,
        &eve,
        "2009-07-31T23:30:00-07:00",
        json!({"title": "Budget in Iraq", "body_markdown": "Budget.", "topics": ["Iraq"]}),
    )
    .await;
    publish_at(
        &app,
        &abe,
        "2009-08-02T10:00:00-07:00",
        json!({"title": "Budget in Iran", "body_markdown": "Budget.", "topics": ["Iran"]}),
    )
    .await;
    publish_at(
        &app,
        &abe,
        "2009-07-20T10:00:00-07:00",
        json!({"title": "Budget in Iraq again", "body_markdown": "Budget.", "topics": ["Iraq"]}),
    )
    .await;
    let found = |params: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let mut all = vec![("q", "budget")];
            all.extend(params);
            let r = api_search(app, &all).await;
            let mut t: Vec<String> = r["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["title"].as_str().unwrap().to_owned())
                .collect();
            t.sort();
            t
        }
    };
    assert_eq!(found(vec![]).await.len(), 3);
    assert_eq!(
        found(vec![("topic", "iraq")]).await,
        ["Budget in Iraq", "Budget in Iraq again"]
    );
    assert_eq!(
        found(vec![("author", "abe-author")]).await,
        ["Budget in Iran", "Budget in Iraq again"]
    );
    assert_eq!(
        found(vec![("topic", "iraq"), ("author", "abe-author")]).await,
        ["Budget in Iraq again"]
    );
    // Days are the site's: July 31 holds the article of 23:30 in Los Angeles.
    assert_eq!(
        found(vec![("from", "2009-07-31"), ("to", "2009-07-31")]).await,
        ["Budget in Iraq"]
    );
    assert!(
        found(vec![("from", "2009-08-01"), ("to", "2009-08-01")])
            .await
            .is_empty()
    );
    assert_eq!(
        found(vec![("from", "2009-07-31")]).await,
        ["Budget in Iran", "Budget in Iraq"]
    );
    assert_eq!(
        found(vec![("to", "2009-07-30")]).await,
        ["Budget in Iraq again"]
    );
    // Unknown topics and authors have nothing in them.
    assert!(found(vec![("topic", "nowhere")]).await.is_empty());
    assert!(found(vec![("author", "nobody")]).await.is_empty());

    // A malformed filter is refused, naming it.
    for (params, field) in [
        (vec![("from", "31/07/2009")], "from"),
        (vec![("to", "2009-02-30")], "to"),
        (vec![("from", "2009-08-01"), ("to", "2009-07-01")], "to"),
        (vec![("topic", "Not A Slug")], "topic"),
        (vec![("author", "abe\0")], "author"),
        (vec![("page", "0")], "page"),
        (vec![("per_page", "1000")], "per_page"),
    ] {
        let mut all = vec![("q", "budget")];
        all.extend(params.iter().copied());
        let (s, e) = api_search_status(&app, &all, None).await;
        assert_eq!(s, 422, "{params:?}: {e}");
        assert_eq!(e["error"]["field"], field, "{params:?}: {e}");
        // The page shows the form again with the field marked, and nothing found.
        if field != "per_page" {
            let (s, html) = page(&app, &all).await;
            assert_eq!(s, 422, "{params:?}");
            assert!(html.contains(r#"role="alert""#), "{html}");
            assert!(!html.contains("match “"), "{params:?}");
        }
    }
    let (_, html) = page(&app, &[("q", "budget"), ("from", "31/07/2009")]).await;
    assert!(
        html.contains(r#"id="search-from" name="from" type="date" value="" aria-invalid="true""#),
        "{html}"
    );
    // The page filters as the API does, and keeps the filters in its form.
    let (s, html) = page(
        &app,
        &[("q", "budget"), ("topic", "iraq"), ("from", "2009-07-31")],
    )
    .await;
    assert_eq!(s, 200);
    let text = visible_text(&html);
    assert!(text.contains("1 article matches “budget”."), "{text}");
    assert!(html.contains(r#"<option value="iraq" selected>"#), "{html}");
    assert!(html.contains(r#"value="2009-07-31""#));
}

async fn results_come_in_pages(backend: Backend) {
    let app = site(backend, Options::default()).await;
    let token = app.editor_token().await;
    for day in 1..=5 {
        publish_at(
            &app,
            &token,
            &format!("2009-07-0{day}T12:00:00Z"),
            json!({"title": format!("Report {day}"), "body_markdown": "A report on Ashraf."}),
        )
        .await;
    }
    let page_of =
        async |n: &str| api_search(&app, &[("q", "ashraf"), ("per_page", "2"), ("page", n)]).await;
    let first = page_of("1").await;
    assert_eq!(
        (
            &first["total"],
            &first["page"],
            &first["per_page"],
            &first["next_page"]
        ),
        (&json!(5), &json!(1), &json!(2), &json!(2))
    );
    // Equal relevance: newest first, and no article on two pages.
    let mut seen: Vec<String> = Vec::new();
    for n in ["1", "2", "3"] {
        let p = page_of(n).await;
        for item in p["items"].as_array().unwrap() {
            seen.push(item["title"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        seen,
        ["Report 5", "Report 4", "Report 3", "Report 2", "Report 1"]
    );
    let last = page_of("3").await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert_eq!(last["next_page"], Value::Null);
    assert!(page_of("4").await["items"].as_array().unwrap().is_empty());

    // The page takes the site's articles per page, and links on with the query kept.
    app.set_setting(SettingKey::ArticlesPerPage, "2").await;
    let (_, html) = page(&app, &[("q", "Ashraf")]).await;
    let text = visible_text(&html);
    assert!(text.contains("Page 1 of 3"), "{text}");
    assert!(
        html.contains(r#"href="/search?q=Ashraf&amp;page=2" rel="next""#),
        "{html}"
    );
    let (s, html) = page(&app, &[("q", "Ashraf"), ("page", "3")]).await;
    assert_eq!(s, 200);
    let text = visible_text(&html);
    assert!(
        text.contains("Report 1") && !text.contains("Report 2"),
        "{text}"
    );
    assert!(html.contains(r#"href="/search?q=Ashraf&amp;page=2" rel="prev""#));
}

async fn a_word_in_more_articles_than_are_ranked_finds_the_newest_and_says_so(backend: Backend) {
    let app = site(backend, Options::default()).await;
    let (editor, _) = app
        .user_with_token("Eda Editor", "eda@example.org", Role::Editor)
        .await;
    let write = async |title: String, at: &str| {
        articles::create(
            &app.app,
            &Actor::System,
            &ArticleForm {
                title,
                body_markdown: "Residents of Camp Ashraf were moved.".into(),
                status: "published".into(),
                published_at: Some(at.to_owned()),
                author_email: Some(editor.email.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    };
    // Written first, so outside the thousand written last, though its title would rank it
    // first.
    write("Ashraf in 2001".into(), "2001-06-01T12:00:00Z").await;
    for n in 0..SEARCH_RANKED {
        write(format!("Report {n}"), "2009-07-31T12:00:00Z").await;
    }
    write("Ashraf today".into(), "2009-08-01T12:00:00Z").await;

    let found = api_search(&app, &[("q", "ashraf"), ("per_page", "100")]).await;
    assert_eq!(found["total"], json!(SEARCH_RANKED));
    assert_eq!(found["total_capped"], json!(true));
    assert_eq!(found["items"][0]["title"], "Ashraf today");
    let last_page = SEARCH_RANKED / 100;
    let last = api_search(
        &app,
        &[
            ("q", "ashraf"),
            ("per_page", "100"),
            ("page", &last_page.to_string()),
        ],
    )
    .await;
    assert_eq!(last["items"].as_array().unwrap().len(), 100);
    assert_eq!(last["next_page"], Value::Null);
    let titles_seen: Vec<&str> = last["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert!(!titles_seen.contains(&"Ashraf in 2001"), "{titles_seen:?}");
    let (_, html) = page(&app, &[("q", "ashraf")]).await;
    let text = visible_text(&html);
    assert!(
        text.contains(&format!(
            "More than {SEARCH_RANKED} articles match “ashraf”"
        )),
        "{text}"
    );

    // Narrowed, the older one is found, and counted exactly.
    let narrowed = api_search(&app, &[("q", "ashraf"), ("to", "2005-01-01")]).await;
    assert_eq!(narrowed["total"], json!(1));
    assert_eq!(narrowed["total_capped"], json!(false));
    assert_eq!(narrowed["items"][0]["title"], "Ashraf in 2001");
    let (_, html) = page(&app, &[("q", "ashraf"), ("to", "2005-01-01")]).await;
    assert!(visible_text(&html).contains("1 article matches “ashraf”."));
}

async fn hostile_queries_find_nothing_and_never_fail(backend: Backend) {
    let app = site(backend, Options::default()).await;
    let token = app.editor_token().await;
    app.publish(
        &token,
        "Camp Ashraf",
        json!({"body_markdown": "Residents of the camp."}),
    )
    .await;
    let long = "a".repeat(10_000);
    let words = "ashraf ".repeat(30);
    let hostile = [
        "\"",
        "\"\"\"",
        "AND",
        "OR NOT",
        "NEAR(",
        "NEAR(\"a\" \"b\", 3)",
        "*",
        "^",
        ":",
        "( )",
        "-",
        "!!!",
        "{title}:x",
        "title:",
        "' & ! :* <->",
        "%",
        "\\",
        "'; DROP TABLE articles; --",
        long.as_str(),
        words.as_str(),
        "\u{7}\u{1b}",
        "\0",
        "camp\0ashrafx",
        "\u{fffd}\u{feff}",
    ];
    for q in hostile {
        let found = api_search(&app, &[("q", q)]).await;
        assert_eq!(found["items"], json!([]), "{q:?}");
        assert_eq!(found["total"], 0, "{q:?}");
        assert_eq!(found["query"], q, "{q:?}");
        let (s, html) = page(&app, &[("q", q)]).await;
        assert_eq!(s, 200, "{q:?}");
        // A query of control characters alone is no query: the form alone.
        let typed = q.chars().any(|c| !c.is_control() && !c.is_whitespace());
        assert_eq!(
            visible_text(&html).contains("No articles match"),
            typed,
            "{q:?}"
        );
        assert!(!html.contains('\0'), "{q:?}");
    }
    // What was typed is shown back as text.
    let (_, html) = page(&app, &[("q", "<script>alert(1)</script>")]).await;
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains("No articles match “&lt;script&gt;alert(1)&lt;/script&gt;”."),
        "{html}"
    );
    // Bytes that are not UTF-8 are only punctuation.
    let r = app.get("/search?q=%FF%FE").await;
    assert_eq!(r.status().as_u16(), 200);
    let r = app.get("/api/v1/search?q=%FF%FE").await;
    assert_eq!(r.status().as_u16(), 200);
    // The search itself still works: the hostile ones failed for what they are.
    assert_eq!(titles(&app, "camp ashraf").await, ["Camp Ashraf"]);
    assert_eq!(titles(&app, "(camp) ashraf*").await, ["Camp Ashraf"]);
    // An empty query shows the form alone.
    let (s, html) = page(&app, &[]).await;
    assert_eq!(s, 200);
    assert!(html.contains(r#"id="search-q" name="q""#));
    assert!(!html.contains("match"), "{html}");
    let empty = api_search(&app, &[("q", "  ")]).await;
    assert_eq!(empty["items"], json!([]));
}

async fn the_index_follows_every_change(backend: Backend) {
    let clock = fixed_clock("2026-03-01T12:00:00Z");
    let app = site(
        backend,
        Options {
            clock: Some(clock.clone()),
            ..Default::default()
        },
    )
    .await;
    let (_, token) = app
        .user_with_token("Rita Reporter", "rita@example.org", Role::Editor)
        .await;
    let a = app
        .publish(
            &token,
            "Zeppelin sighted",
            json!({"body_markdown": "Over the harbour."}),
        )
        .await;
    let path = format!("/api/v1/articles/{}", a["id"]);
    assert_eq!(titles_on_both(&app, "zeppelin").await, ["Zeppelin sighted"]);
    // The page is kept: what follows checks that every change drops it.
    let cached = |q: &str| {
        let url = app.url(&with_query("/search", &[("q", q)]));
        let client = app.client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            r.headers()["x-cache"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(cached("zeppelin").await, "hit");

    // An edit: the old words are gone, the new ones found.
    let (s, _) = app
        .patch_json(
            &path,
            &token,
            &json!({"title": "Dirigible sighted", "body_markdown": "Over the lighthouse."}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(titles_on_both(&app, "zeppelin").await.is_empty());
    assert!(titles_on_both(&app, "harbour").await.is_empty());
    assert_eq!(
        titles_on_both(&app, "dirigible lighthouse").await,
        ["Dirigible sighted"]
    );

    // The author's new name finds it, the old one no longer.
    let (s, _) = app
        .patch_json("/api/v1/me", &token, &json!({"name": "Rita Correspondent"}))
        .await;
    assert_eq!(s, 200);
    assert!(titles_on_both(&app, "reporter").await.is_empty());
    assert_eq!(
        titles_on_both(&app, "correspondent").await,
        ["Dirigible sighted"]
    );

    // Unpublished: gone, even for staff, since search is what readers may read.
    let (s, _) = app
        .patch_json(&path, &token, &json!({"status": "draft"}))
        .await;
    assert_eq!(s, 200);
    assert!(titles_on_both(&app, "dirigible").await.is_empty());
    let (_, staff) = api_search_status(&app, &[("q", "dirigible")], Some(&token)).await;
    assert_eq!(staff["items"], json!([]));

    // Scheduled for tomorrow: not yet; once its time has come, found, job run or not.
    let tomorrow: Timestamp = "2026-03-02T12:00:00Z".parse().unwrap();
    let (s, e) = app
        .patch_json(
            &path,
            &token,
            &json!({"status": "scheduled", "published_at": tomorrow.to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    assert!(titles_on_both(&app, "dirigible").await.is_empty());
    clock.set(tomorrow + SignedDuration::from_secs(60));
    assert_eq!(
        titles_on_both(&app, "dirigible").await,
        ["Dirigible sighted"]
    );

    // Moved to the trash: gone; restored: back.
    let r = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert!(titles_on_both(&app, "dirigible").await.is_empty());
    let (s, _) = app
        .post_json(&format!("{path}/restore"), Some(&token), &json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        titles_on_both(&app, "dirigible").await,
        ["Dirigible sighted"]
    );

    // A draft is never found, though it is indexed.
    let (s, _) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "Secret quokka", "body_markdown": "Draft.", "status": "draft"}),
        )
        .await;
    assert_eq!(s, 201);
    assert!(titles_on_both(&app, "quokka").await.is_empty());
}

async fn excerpts_mark_the_matches_and_escape_everything_else(backend: Backend) {
    let app = site(backend, Options::default()).await;
    let token = app.editor_token().await;
    let spec = app.get_json("/api/v1/openapi.json", None).await.1;
    let filler = "Words before the match go on for a while here. ".repeat(12);
    app.publish(
        &token,
        "<b>Bold</b> claims about Ashraf & \"friends\"",
        json!({
            "dek": "A dek",
            "body_markdown": format!(
                "{filler}The page had `<script>alert(1)</script>` on it, said the Ashraf camp. <img src=x onerror=alert(2)>"
            ),
            "topics": ["Camp Ashraf"],
        }),
    )
    .await;
    let found = api_search(&app, &[("q", "ashraf camp")]).await;
    crate::api_articles::conforms(&spec, "SearchResults", &found);
    let hit = &found["items"][0];
    assert_eq!(
        hit["title_html"],
        "&lt;b&gt;Bold&lt;/b&gt; claims about <mark>Ashraf</mark> &amp; &quot;friends&quot;"
    );
    let excerpt = hit["excerpt_html"].as_str().unwrap();
    assert!(
        excerpt.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; on it, said the <mark>Ashraf camp</mark>."
        ),
        "{excerpt}"
    );
    assert!(
        !excerpt.contains("<script") && !excerpt.contains("<img"),
        "{excerpt}"
    );
    // Cut to a snippet around the match, marked where cut.
    assert!(excerpt.starts_with("… "), "{excerpt}");
    assert!(excerpt.chars().count() < 400, "{excerpt}");
    // The page shows the same marks, and no markup of the article's.
    let (_, html) = page(&app, &[("q", "ashraf camp")]).await;
    assert!(
        html.contains("claims about <mark>Ashraf</mark> &amp;"),
        "{html}"
    );
    assert!(
        html.contains("said the <mark>Ashraf camp</mark>."),
        "{html}"
    );
    assert!(
        !html.contains("<script>alert") && !html.contains("<b>Bold"),
        "{html}"
    );
    // A prefix marks the whole word it begins.
    let found = api_search(&app, &[("q", "ashr")]).await;
    assert!(
        found["items"][0]["title_html"]
            .as_str()
            .unwrap()
            .contains("<mark>Ashraf</mark>")
    );
    // An article found by its dek alone shows the dek, marked.
    app.publish(
        &token,
        "Elsewhere",
        json!({"dek": "The zither returns", "body_markdown": "Nothing in the body."}),
    )
    .await;
    let found = api_search(&app, &[("q", "zither")]).await;
    assert_eq!(
        found["items"][0]["excerpt_html"],
        "The <mark>zither</mark> returns"
    );
}

async fn search_is_not_indexed_and_every_page_has_a_search_box(backend: Backend) {
    let app = site(backend, Options::default()).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Camp Ashraf", json!({})).await;
    for q in ["ashraf", "", "\""] {
        let (s, html) = page(&app, &[("q", q)]).await;
        assert_eq!(s, 200);
        assert!(
            html.contains(r#"<meta name="robots" content="noindex">"#),
            "{q:?}"
        );
    }
    let (_, html) = page(&app, &[("q", "x"), ("from", "bad")]).await;
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
    for params in [
        vec![("q", "ashraf")],
        vec![("q", "\"")],
        vec![("q", "x"), ("from", "bad")],
    ] {
        let r = app
            .client
            .get(app.url(&with_query("/api/v1/search", &params)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers().get("x-robots-tag").map(|v| v.to_str().unwrap()),
            Some("noindex"),
            "{params:?}"
        );
    }
    // Reader pages carry the search box; the article's own page is indexed as before.
    let article_path = app.path_of(&a);
    for path in ["/", article_path.as_str(), "/topics/nowhere/"] {
        let (_, html) = app.get_text(path).await;
        assert!(
            html.contains(
                r#"<form class="site-search" role="search" action="/search" method="get""#
            ),
            "{path}"
        );
        assert!(
            html.contains(r#"<label class="visually-hidden" for="site-search-q">"#),
            "{path}"
        );
    }
    let (_, html) = app.get_text(&article_path).await;
    assert!(!html.contains("noindex"));
    // The box sends what the page understands.
    let r = app.get("/search?q=Ashraf").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(visible_text(&r.text().await.unwrap()).contains("1 article matches “Ashraf”."));
}

async fn articles_older_than_search_are_indexed_at_start_up(backend: Backend) {
    let mut app = site(backend, Options::default()).await;
    let token = app.editor_token().await;
    app.publish(&token, "Camp Ashraf", json!({})).await;
    let trashed = app.publish(&token, "Trashed zebra", json!({})).await;
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/articles/{}", trashed["id"])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(titles(&app, "ashraf").await, ["Camp Ashraf"]);
    // As a site upgraded from before search: articles without documents, and no record that
    // every article has one.
    let mut conn = sqlx::AnyConnection::connect(&app.test_db.url)
        .await
        .unwrap();
    let marked = "SELECT COUNT(*) FROM settings WHERE key = 'search_indexed'";
    let n: i64 = sqlx::query_scalar(marked)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
    conn.execute("DELETE FROM search_documents").await.unwrap();
    conn.execute("DELETE FROM settings WHERE key = 'search_indexed'")
        .await
        .unwrap();
    assert!(titles(&app, "ashraf").await.is_empty());
    app.stop_server().await;
    app.start_again().await;
    assert_eq!(titles(&app, "ashraf").await, ["Camp Ashraf"]);
    // Recorded again, so that the next start does not test every article once more.
    let n: i64 = sqlx::query_scalar(marked)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
    conn.close().await.unwrap();
    // A trashed article got its document too, for when it comes back.
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{}/restore", trashed["id"]),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(titles(&app, "zebra").await, ["Trashed zebra"]);
}

//! Every query a reader's page runs reads through an index on both engines, and no page runs a
//! query per article or per comment it shows. The real binary serves a generated site with
//! every SQL statement logged; each request's statements are told apart by its request id.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use dateline_app::{App, bootstrap, generate};
use dateline_core::{SystemClock, actor::Actor, settings::SettingKey};
use dateline_store::Db;
use sqlx::{AnyConnection, Connection, Executor, Row};

use crate::support::{Backend, TestDb};

both_backends!(public_pages_read_through_indexes_with_a_fixed_number_of_queries);

/// Tables that grow with the site: reading one whole is a fault. Small ones (settings, topics,
/// the staff's accounts) are read whole on purpose, and `sqlx`'s own bookkeeping is not ours.
const GROWING: &[&str] = &[
    "articles",
    "comments",
    "events",
    "jobs",
    "article_topics",
    "article_sources",
    "article_corrections",
    "article_revisions",
    "article_redirects",
    "search_documents",
    "search_index",
    "media",
    "sessions",
    "api_tokens",
    "event_consumers",
];

async fn public_pages_read_through_indexes_with_a_fixed_number_of_queries(backend: Backend) {
    let db = TestDb::new(backend).await;
    let media_dir = db.dir.path().join("media");
    std::fs::create_dir_all(&media_dir).unwrap();
    let app = bootstrap::prepare(
        Db::connect(&db.url).await.unwrap(),
        Arc::new(SystemClock),
        media_dir,
        None,
    )
    .await
    .unwrap()
    .app;
    // Big enough for a list to have a last page shorter than the others, an article with
    // hundreds of comments beside ones with a few, and topics of every size. The planners are
    // not left to choose by size: PostgreSQL is told to avoid sequential scans, and SQLite
    // plans without statistics, as every site does (nothing runs ANALYZE on it).
    let spec = generate::Spec {
        articles: 43,
        comments: 600,
        seed: 3,
    };
    generate::generate(&app, spec).await.unwrap();
    // A reader's comment form is taken at once, and held for a moderator.
    for (key, value) in [
        (SettingKey::CommentFormMinSeconds, "0"),
        (SettingKey::CommentFirstTime, "hold_all"),
    ] {
        dateline_app::settings::change(&app, &Actor::System, key, value)
            .await
            .unwrap();
    }
    if matches!(backend, Backend::Postgres) {
        // What autovacuum would have done by the time a site is this big.
        let mut conn = AnyConnection::connect(&db.url).await.unwrap();
        conn.execute("ANALYZE").await.unwrap();
        conn.close().await.unwrap();
    }

    let server = Server::start(&db);
    let visits = visit_every_public_page(&server, &app).await;
    // A statement is logged as it finishes; give the last ones a moment to reach the file.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = server.statements();

    // No query per item shown: of two requests of one page, the one showing more things runs
    // no statement more often (a statement run once more, such as the details of related
    // articles that one page has and the other lacks, is not a query per item).
    let mut grew = Vec::new();
    for pair in &visits.pairs {
        let few = log.repeated(&pair.few);
        let many = log.repeated(&pair.many);
        assert!(!few.is_empty(), "{}: no statement was logged", pair.what);
        let per_item: Vec<String> = many
            .iter()
            .filter(|(sql, n)| **n > 1 && **n > few.get(*sql).copied().unwrap_or(0))
            .map(|(sql, n)| {
                let f = few.get(sql).copied().unwrap_or(0);
                format!("  {n} times for the longer page, {f} for the shorter: {sql}")
            })
            .collect();
        let known = KNOWN_PER_ITEM.contains(&pair.what);
        if per_item.is_empty() == known {
            grew.push(format!("{}:\n{}", pair.what, per_item.join("\n")));
        }
    }
    assert!(
        grew.is_empty(),
        "a query per item shown (or a known one fixed: take it off KNOWN_PER_ITEM):\n{}",
        grew.join("\n")
    );

    // Every distinct SELECT the server ran (pages, start-up, background tasks) reads the
    // growing tables through an index.
    let selects = log.selects();
    assert!(
        selects.len() > 20,
        "too few statements logged to mean anything: {selects:?}"
    );
    // The start-up look for addresses without a hash reads its own partial index, empty once
    // every address is hashed. SQLite, left to itself, searched `comments_email_hash` for
    // `email_hash IS NULL`: every comment without an address, a search by index that the
    // check below cannot tell from a small one (230 ms of every start at 2,000,000 comments).
    if matches!(backend, Backend::Sqlite) {
        let unhashed = selects
            .iter()
            .find(|s| s.contains("author_email IS NOT NULL"))
            .expect("the start-up look for unhashed addresses ran");
        let mut conn = AnyConnection::connect(&db.url).await.unwrap();
        let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {unhashed}"
        )))
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(3).unwrap())
        .collect();
        conn.close().await.unwrap();
        assert!(
            plan.iter().any(|s| s.contains("comments_email_unhashed")),
            "{unhashed}\n  {plan:?}"
        );
    }
    let faults = match backend {
        Backend::Sqlite => sqlite_faults(&db.url, &selects).await,
        Backend::Postgres => postgres_faults(&db.url, &selects).await,
    };
    let (known, faults): (Vec<String>, Vec<String>) = faults
        .into_iter()
        .partition(|f| KNOWN_WHOLE_READS.iter().any(|k| f.starts_with(k)));
    assert!(
        faults.is_empty(),
        "{} of {} statements read a whole growing table:\n\n{}",
        faults.len(),
        selects.len(),
        faults.join("\n\n")
    );
    // PostgreSQL reads the known ones through a whole index, which its check does not see.
    let expected = match backend {
        Backend::Sqlite => KNOWN_WHOLE_READS.len(),
        Backend::Postgres => 0,
    };
    assert_eq!(
        known.len(),
        expected,
        "a known whole read is fixed (or no longer runs): take it off KNOWN_WHOLE_READS"
    );
    app.db().close().await;
}

/// Statements known to read a whole growing table, until they are changed. (The start-up look
/// for articles older than search, which tests every article, runs once per site now, before
/// the server that this test watches starts.)
const KNOWN_WHOLE_READS: &[&str] = &[];

/// Pages known to run a query per item, until their handler is changed: the article page reads
/// a reader's held comments one at a time (`Db::comments_by_ids` reads them in one query).
const KNOWN_PER_ITEM: &[&str] = &[];

/// The same page showing fewer and more items: the request ids of both.
struct Pair {
    what: &'static str,
    few: String,
    many: String,
}

struct Visits {
    pairs: Vec<Pair>,
}

/// Requests every kind of public page once, and the pairs that must cost alike.
async fn visit_every_public_page(server: &Server, app: &App) -> Visits {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{}{path}", server.base);
        async move {
            let r = client.get(&url).send().await.unwrap();
            let id = r
                .headers()
                .get("x-request-id")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_eq!(status, 200, "{url}: {body}");
            (id, body)
        }
    };
    let base = server.base.clone();
    let path_of = |a: &serde_json::Value| -> String {
        a["url"]
            .as_str()
            .unwrap()
            .strip_prefix(&base)
            .unwrap()
            .to_owned()
    };

    let (_, list) = get("/api/v1/articles?per_page=100".into()).await;
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let articles = list["items"].as_array().unwrap().clone();
    let total = articles.len();
    let busiest = articles
        .iter()
        .max_by_key(|a| a["comment_count"].as_i64().unwrap())
        .unwrap();
    let mut topics: HashMap<String, usize> = HashMap::new();
    let mut authors: HashMap<String, usize> = HashMap::new();
    for a in &articles {
        for t in a["topics"].as_array().unwrap() {
            *topics
                .entry(t["slug"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        *authors
            .entry(a["author"]["slug"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    // Both article pages list related articles (sharing a topic), so that they differ only in
    // their comments.
    let quietest = articles
        .iter()
        .filter(|a| a["comment_count"].as_i64().unwrap() > 0)
        .filter(|a| {
            a["topics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| topics[t["slug"].as_str().unwrap()] > 1)
        })
        .min_by_key(|a| a["comment_count"].as_i64().unwrap())
        .unwrap();
    assert!(busiest["comment_count"].as_i64().unwrap() > 100);
    assert!(quietest["comment_count"].as_i64().unwrap() < 20);
    let by_size = |m: &HashMap<String, usize>| {
        let mut v: Vec<(usize, String)> = m.iter().map(|(k, n)| (*n, k.clone())).collect();
        v.sort();
        (v[0].1.clone(), v[v.len() - 1].1.clone())
    };
    let (small_topic, big_topic) = by_size(&topics);
    let (small_author, big_author) = by_size(&authors);
    assert!(topics[&big_topic] > topics[&small_topic]);

    let mut pairs = Vec::new();
    let mut pair = |what, few: String, many: String| {
        pairs.push(Pair { what, few, many });
    };

    // Lists: a full page against the shorter last one.
    let per_page = 10;
    let last = total.div_ceil(per_page);
    assert!(
        !total.is_multiple_of(per_page) && last > 2,
        "{total} articles"
    );
    get("/".into()).await;
    pair(
        "home page",
        get(format!("/?page={last}")).await.0,
        get("/?page=2".into()).await.0,
    );
    pair(
        "topic page",
        get(format!("/topics/{small_topic}/")).await.0,
        get(format!("/topics/{big_topic}/")).await.0,
    );
    pair(
        "author page",
        get(format!("/authors/{small_author}/")).await.0,
        get(format!("/authors/{big_author}/")).await.0,
    );
    // An article with a few comments against one with hundreds.
    pair(
        "article page",
        get(path_of(quietest)).await.0,
        get(path_of(busiest)).await.0,
    );
    pair(
        "article's comments feed",
        get(format!("{}comments/atom.xml", path_of(quietest)))
            .await
            .0,
        get(format!("{}comments/atom.xml", path_of(busiest)))
            .await
            .0,
    );
    pair(
        "topic feed",
        get(format!("/topics/{small_topic}/atom.xml")).await.0,
        get(format!("/topics/{big_topic}/atom.xml")).await.0,
    );
    pair(
        "author feed",
        get(format!("/authors/{small_author}/rss.xml")).await.0,
        get(format!("/authors/{big_author}/rss.xml")).await.0,
    );
    pair(
        "article list (API)",
        get("/api/v1/articles?per_page=2".into()).await.0,
        get("/api/v1/articles?per_page=40".into()).await.0,
    );
    let (busiest_id, quietest_id) = (
        busiest["id"].as_i64().unwrap(),
        quietest["id"].as_i64().unwrap(),
    );
    pair(
        "an article's comments (API)",
        get(format!("/api/v1/articles/{quietest_id}/comments"))
            .await
            .0,
        get(format!("/api/v1/articles/{busiest_id}/comments"))
            .await
            .0,
    );
    // Every article says "according to officials"; only the welcome article says "Dateline".
    pair(
        "search",
        get("/search?q=dateline".into()).await.0,
        get("/search?q=officials".into()).await.0,
    );

    // The rest of the public pages, once each.
    let newest = path_of(&articles[1]);
    let day = newest.rsplitn(3, '/').nth(2).unwrap().to_owned() + "/";
    let month = day.rsplitn(3, '/').nth(2).unwrap().to_owned() + "/";
    let year = month.rsplitn(3, '/').nth(2).unwrap().to_owned() + "/";
    let (_, sources) = get("/sources/".into()).await;
    let source = sources
        .split("href=\"/sources/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let topic_filter = format!("/search?q=officials&topic={big_topic}");
    for path in [
        day,
        month,
        year,
        "/topics/".into(),
        format!("/sources/{source}"),
        "/search?q=%22according+to+officials%22".into(),
        topic_filter,
        "/atom.xml".into(),
        "/rss.xml".into(),
        "/feed.json".into(),
        "/comments/atom.xml".into(),
        "/sitemap.xml".into(),
        "/sitemaps/pages.xml".into(),
        "/sitemaps/articles-1.xml".into(),
        "/sitemaps/news.xml".into(),
        format!("/api/v1/articles/{busiest_id}"),
    ] {
        get(path).await;
    }

    // A reader with held comments sees them on the article page, and only they do.
    let reader = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let mut held = Vec::new();
    for n in 0..3 {
        let token = dateline_app::comments::form_token(app, quietest_id);
        let sent = reader
            .post(format!("{}/articles/{quietest_id}/comments", server.base))
            .form(&[
                ("form_token", token.as_str()),
                ("author_name", "Reader"),
                ("body", &format!("Held comment number {n}.")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            sent.status().as_u16(),
            303,
            "{}",
            sent.text().await.unwrap()
        );
        let page = reader
            .get(format!("{}{}", server.base, path_of(quietest)))
            .send()
            .await
            .unwrap();
        let id = page.headers()["x-request-id"].to_str().unwrap().to_owned();
        let body = page.text().await.unwrap();
        assert!(body.contains(&format!("Held comment number {n}.")));
        held.push(id);
    }
    pair(
        "article page with a reader's held comments",
        held[0].clone(),
        held[2].clone(),
    );
    Visits { pairs }
}

/// `dateline serve` on the test database, logging every statement as a JSON line.
struct Server {
    child: Child,
    // Kept open: the server prints its setup link after the address, and a closed pipe would
    // end it.
    _stdout: BufReader<std::process::ChildStdout>,
    base: String,
    log: PathBuf,
}

impl Server {
    fn start(db: &TestDb) -> Self {
        let log = db.dir.path().join("statements.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_dateline"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("DATELINE_BIND")
            .env("DATELINE_DATA", db.dir.path())
            .env("DATELINE_DATABASE_URL", &db.url)
            // The request span too (it is at info), so that each statement names its request.
            .env(
                "DATELINE_LOG",
                "warn,sqlx::query=debug,dateline_web::ops=info",
            )
            .env("DATELINE_LOG_FORMAT", "json")
            .current_dir(db.dir.path())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let base = first
            .trim()
            .strip_prefix("Dateline is running at ")
            .expect(&first)
            .trim_end_matches('/')
            .to_owned();
        Server {
            child,
            _stdout: stdout,
            base,
            log,
        }
    }

    /// Every statement logged so far.
    fn statements(&self) -> Log {
        let text = std::fs::read_to_string(&self.log).unwrap();
        let mut log = Log::default();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if v["target"] != "sqlx::query" {
                continue;
            }
            // sqlx logs a short statement whole as its summary, and a long one in full apart.
            let sql = match v["db.statement"].as_str().map(str::trim) {
                Some(s) if !s.is_empty() => s.to_owned(),
                _ => v["summary"].as_str().unwrap_or_default().to_owned(),
            };
            let request = v["spans"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["name"] == "request")
                .and_then(|s| s["id"].as_str())
                .map(str::to_owned);
            log.statements.push((request, sql));
        }
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The statements the server ran, each with the request it ran for (none for start-up and the
/// background tasks).
#[derive(Default)]
struct Log {
    statements: Vec<(Option<String>, String)>,
}

impl Log {
    fn of<'a>(&'a self, request: &'a str) -> impl Iterator<Item = &'a str> {
        self.statements
            .iter()
            .filter(move |(r, _)| r.as_deref() == Some(request))
            .map(|(_, s)| s.as_str())
    }

    /// How often a request ran each statement, lists of placeholders (`IN ($1, $2)`) counted
    /// as one statement. A new connection's pragmas and the activity log's and jobs' reads
    /// (the page cache looks at the log before answering) are not the page's, nor the site's
    /// settings (kept by the page cache, and read again by whichever request comes after the
    /// cache dropped them: one of a pair now and then, which looked like a query per item).
    fn repeated(&self, request: &str) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for sql in self.of(request) {
            let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            let tables = tables_by_alias(&sql);
            if sql.starts_with("PRAGMA")
                || tables.contains_key("events")
                || tables.contains_key("jobs")
                || tables.contains_key("settings")
            {
                continue;
            }
            *counts.entry(without_lists(&sql)).or_default() += 1;
        }
        counts
    }

    /// The distinct statements that look rows up, whoever ran them: SELECTs, and the UPDATEs
    /// and DELETEs that find the rows they change (housekeeping that walked every comment held
    /// SQLite's write lock as long).
    fn selects(&self) -> BTreeSet<String> {
        self.statements
            .iter()
            .map(|(_, s)| s.trim())
            .filter(|s| {
                let head = s.get(..6).unwrap_or_default().to_ascii_uppercase();
                head == "SELECT"
                    || head.starts_with("WITH")
                    || ((head == "UPDATE" || head == "DELETE") && s.contains(" WHERE "))
            })
            .map(str::to_owned)
            .collect()
    }
}

/// `IN ($1, $2, $3)` as `IN (…)`.
fn without_lists(sql: &str) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(at) = rest.find("IN ($") {
        out.push_str(&rest[..at]);
        out.push_str("IN (…)");
        rest = rest[at..].split_once(')').map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    out
}

/// The tables a statement names, by the names and aliases it gives them.
fn tables_by_alias(sql: &str) -> BTreeMap<String, String> {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let mut found = BTreeMap::new();
    for (i, w) in words.iter().enumerate() {
        if !(w.eq_ignore_ascii_case("FROM")
            || w.eq_ignore_ascii_case("JOIN")
            || (i == 0 && w.eq_ignore_ascii_case("UPDATE")))
        {
            continue;
        }
        let Some(table) = words.get(i + 1) else {
            continue;
        };
        let table = table.to_ascii_lowercase();
        found.insert(table.clone(), table.clone());
        let alias = match words.get(i + 2) {
            Some(a) if a.eq_ignore_ascii_case("AS") => words.get(i + 3),
            a => a,
        };
        if let Some(alias) = alias
            && alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && ![
                "WHERE", "JOIN", "LEFT", "ON", "ORDER", "GROUP", "LIMIT", "INNER", "UNION",
                "USING", "CROSS", "FOR", "HAVING", "SET",
            ]
            .iter()
            .any(|k| alias.eq_ignore_ascii_case(k))
        {
            found.insert(alias.to_ascii_lowercase(), table);
        }
    }
    found
}

/// SQLite: `EXPLAIN QUERY PLAN` of each statement; a `SCAN` of a growing table (`SCAN a`, or
/// `SCAN a USING INDEX i`, where a constrained read is `SEARCH a USING INDEX i (…)`) is a fault.
async fn sqlite_faults(url: &str, selects: &BTreeSet<String>) -> Vec<String> {
    let mut conn = AnyConnection::connect(url).await.unwrap();
    // A partial index holds only the rows its statement looks for: read whole, it is read as
    // meant (the start-up look for unhashed addresses, empty once all are hashed).
    let partial: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut faults = Vec::new();
    for sql in selects {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("EXPLAIN QUERY PLAN failed: {e}\n{sql}"));
        let plan: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String, _>(3).unwrap())
            .collect();
        let tables = tables_by_alias(sql);
        let whole = plan.iter().any(|step| {
            let mut words = step.split_whitespace();
            if words.next() != Some("SCAN") {
                return false;
            }
            let name = words.next().unwrap_or_default().to_ascii_lowercase();
            let rest: Vec<&str> = words.collect();
            let table = tables.get(&name).cloned().unwrap_or(name);
            let virtual_match = rest.starts_with(&["VIRTUAL", "TABLE"])
                && !rest.last().is_some_and(|idx| idx.ends_with(':'));
            // `SCAN a USING INDEX i` reads the whole index, and the table through it.
            let through_partial = matches!(rest.as_slice(), ["USING", "INDEX", index]
                    | ["USING", "COVERING", "INDEX", index] if partial.iter().any(|p| p == index));
            GROWING.contains(&table.as_str())
                && !rest.starts_with(&["USING", "INTEGER", "PRIMARY", "KEY"])
                && !virtual_match
                && !through_partial
        });
        if whole {
            faults.push(format!("{sql}\n  {}", plan.join("\n  ")));
        }
    }
    conn.close().await.unwrap();
    faults
}

/// PostgreSQL 15 has no `EXPLAIN (GENERIC_PLAN)`: each statement is prepared and its generic
/// plan (the one a prepared statement settles on, whatever the values) explained with
/// sequential scans discouraged. A `Seq Scan` of a growing table that remains had no index it
/// could use. (An index read end to end is not told apart here: on a site this small the
/// planner reads tiny tables so in place of a sequential scan; SQLite's check catches it.)
async fn postgres_faults(url: &str, selects: &BTreeSet<String>) -> Vec<String> {
    let mut conn = AnyConnection::connect(url).await.unwrap();
    conn.execute("SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off")
        .await
        .unwrap();
    let mut faults = Vec::new();
    for sql in selects {
        let highest = sql
            .split('$')
            .skip(1)
            .filter_map(|s| {
                let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<usize>().ok()
            })
            .max()
            .unwrap_or(0);
        conn.execute(sqlx::AssertSqlSafe(format!("PREPARE explained AS {sql}")))
            .await
            .unwrap_or_else(|e| panic!("PREPARE failed: {e}\n{sql}"));
        let args = if highest == 0 {
            String::new()
        } else {
            format!("({})", vec!["NULL"; highest].join(", "))
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN EXECUTE explained{args}"
        )))
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("EXPLAIN failed: {e}\n{sql}"));
        conn.execute("DEALLOCATE explained").await.unwrap();
        let plan: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect();
        let whole = plan.iter().any(|step| {
            step.split("Seq Scan on ")
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
                .is_some_and(|table| GROWING.contains(&table))
        });
        if whole {
            faults.push(format!("{sql}\n  {}", plan.join("\n  ")));
        }
    }
    conn.close().await.unwrap();
    faults
}

//! Test support: a site on a real database and a real socket, accounts with tokens, and the
//! `both_backends!` macro that runs a story on SQLite and PostgreSQL.

use std::{path::PathBuf, sync::Arc};

use dateline::{
    config::{Config, sqlite_url},
    server::{self, Running},
};
use dateline_app::{App, tokens, users};
use dateline_core::{
    Clock, FixedClock, SystemClock,
    actor::Actor,
    secrets::new_token,
    users::{Role, User},
};
use dateline_store::Db;
use sqlx::{Connection, Executor};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server for tests, if configured. When it is not, says so loudly, and fails
/// when `DATELINE_REQUIRE_POSTGRES=1` (CI sets it, so a skip cannot pass unnoticed).
pub fn postgres_url() -> Option<String> {
    match std::env::var("DATELINE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("DATELINE_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "DATELINE_REQUIRE_POSTGRES=1 but DATELINE_TEST_POSTGRES_URL is not set"
            );
            eprintln!("SKIPPED: PostgreSQL test; set DATELINE_TEST_POSTGRES_URL to run it");
            None
        }
    }
}

/// Runs `async fn $name(backend: Backend)` once per backend, as `$name::sqlite` and
/// `$name::postgres`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::support::postgres_url().is_some() {
                    super::$name($crate::support::Backend::Postgres).await;
                }
            }
        }
    )*};
}

/// A fresh, empty database that is removed when dropped.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => TestDb {
                url: sqlite_url(dir.path()),
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let admin = postgres_url().expect("postgres url");
                let name = format!(
                    "dateline_test_{}_{}",
                    std::process::id(),
                    &new_token().unwrap()[..12]
                );
                sqlx::any::install_default_drivers();
                let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                let (base, _) = admin.rsplit_once('/').unwrap();
                TestDb {
                    url: format!("{base}/{name}"),
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    pub async fn connect(&self) -> Db {
        let db = Db::connect(&self.url).await.unwrap();
        db.migrate().await.unwrap();
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside any runtime we may block; a thread of its own can.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                        let _ = conn
                            .execute(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running site with a client.
pub struct TestApp {
    pub running: Option<Running>,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub base: String,
    pub db: Db,
    pub app: App,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    pub test_db: TestDb,
}

/// Options for [`TestApp::spawn_with`].
#[derive(Default)]
pub struct Options {
    pub clock: Option<Arc<dyn Clock>>,
    pub time_zone: Option<String>,
    pub theme_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    pub frame_ancestors: Vec<String>,
    pub cors_origins: Option<Vec<String>>,
    pub limits: Option<dateline_web::serve::Limits>,
    pub media: Option<dateline_app::media::MediaLimits>,
    /// Load balancers whose `X-Forwarded-For` the site believes.
    pub trusted_proxies: Vec<String>,
    /// Keep the site's comment rules as a new site has them. Otherwise a test site trusts
    /// first-time commenters and takes a form sent at once, so that tests of other things see
    /// their comments published; the tests of those rules keep the defaults.
    pub comment_defaults: bool,
}

impl Options {
    /// A site with the comment rules a new site has (see [`Options::comment_defaults`]).
    pub fn with_comment_defaults() -> Self {
        Options {
            comment_defaults: true,
            ..Default::default()
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, Options::default()).await
    }

    /// A site whose clock stands at `at` (RFC 3339) until the test moves it.
    pub async fn spawn_at(backend: Backend, at: &str) -> (Self, Arc<FixedClock>) {
        let clock = fixed_clock(at);
        let app = Self::spawn_with(
            backend,
            Options {
                clock: Some(clock.clone()),
                ..Default::default()
            },
        )
        .await;
        (app, clock)
    }

    /// Posts a comment on article `article` through the API as a reader.
    pub async fn api_comment(
        &self,
        article: i64,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.post_json(&format!("/api/v1/articles/{article}/comments"), None, &body)
            .await
    }

    /// A comment as the moderation API shows it to `token`.
    pub async fn moderation_item(&self, token: &str, id: i64) -> serde_json::Value {
        let (s, c) = self
            .get_json(&format!("/api/v1/comments/{id}"), Some(token))
            .await;
        assert_eq!(s, 200, "{c}");
        c
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> Self {
        let test_db = TestDb::new(backend).await;
        let data_dir = test_db.dir.path().to_path_buf();
        let config = Config {
            data_dir: data_dir.clone(),
            database_url: test_db.url.clone(),
            bind: "127.0.0.1:0".parse().unwrap(),
            bind_host: None,
            base_url: options.base_url,
            theme_dir: options.theme_dir,
            frame_ancestors: options.frame_ancestors,
            cors_origins: options.cors_origins.unwrap_or_else(|| vec!["*".into()]),
            limits: options.limits.unwrap_or_default(),
            media: options.media.unwrap_or_default(),
            auth_failures_per_minute: 10,
            time_zone: options.time_zone,
            metrics_public: false,
            shared_media: None,
            trusted_proxies: dateline_web::proxy::TrustedProxies::parse(&options.trusted_proxies)
                .unwrap(),
            page_cache_bytes: 32 << 20,
        };
        let clock = options.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let running = server::start(&config, clock.clone(), false).await.unwrap();
        let config = Config {
            bind: running.addr,
            ..config
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        if !options.comment_defaults {
            dateline_app::settings::change_many(
                &running.app,
                &dateline_core::actor::Actor::System,
                &[
                    (
                        dateline_core::settings::SettingKey::CommentFirstTime,
                        "hold_none".into(),
                    ),
                    (
                        dateline_core::settings::SettingKey::CommentFormMinSeconds,
                        "0".into(),
                    ),
                ],
            )
            .await
            .unwrap();
        }
        TestApp {
            // Requests go to the bound address, whatever base URL links are made with.
            base: format!("http://{}", running.addr),
            db: running.db.clone(),
            app: running.app.clone(),
            running: Some(running),
            config,
            clock,
            client,
            data_dir,
            test_db,
        }
    }

    /// Lets this test's one loopback address post as many comments as it needs: the rate limits
    /// are raised as an owner would raise them. Tests of the limits themselves leave them be.
    pub async fn allow_many_comments(&self) {
        dateline_app::settings::change_many(
            &self.app,
            &dateline_core::actor::Actor::System,
            &[
                (
                    dateline_core::settings::SettingKey::CommentRateAddress,
                    "100000".into(),
                ),
                (
                    dateline_core::settings::SettingKey::CommentRateArticle,
                    "100000".into(),
                ),
            ],
        )
        .await
        .unwrap();
    }

    /// Changes a site setting as the owner would.
    pub async fn set_setting(&self, key: dateline_core::settings::SettingKey, value: &str) {
        dateline_app::settings::change(&self.app, &Actor::System, key, value)
            .await
            .unwrap();
    }

    /// Sends the comment form under article `article_id` from `client`, with the token the page
    /// gives it and `fields`.
    pub async fn send_comment_form(
        &self,
        client: &reqwest::Client,
        article_id: i64,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.comment_token(article_id);
        let mut form = vec![("form_token", token.as_str())];
        form.extend_from_slice(fields);
        client
            .post(self.url(&format!("/articles/{article_id}/comments")))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// The token the comment form under article `article_id` carries, as the page renders it.
    pub fn comment_token(&self, article_id: i64) -> String {
        dateline_app::comments::form_token(&self.app, article_id)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The site path of an API resource's absolute `url`.
    pub fn path_of(&self, resource: &serde_json::Value) -> String {
        resource["url"]
            .as_str()
            .unwrap()
            .strip_prefix(&self.base)
            .unwrap()
            .to_owned()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// Creates an account with a password and returns it with a fresh API token.
    pub async fn user_with_token(&self, name: &str, email: &str, role: Role) -> (User, String) {
        user_with_token(&self.app, name, email, role).await
    }

    /// A token for an editor, created on first use.
    pub async fn editor_token(&self) -> String {
        self.user_with_token(
            "Eda Editor",
            &format!("editor-{}@example.org", &new_token().unwrap()[..8]),
            Role::Editor,
        )
        .await
        .1
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn patch_json(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Publishes a minimal article through the API; returns its JSON.
    pub async fn publish(
        &self,
        token: &str,
        title: &str,
        extra: serde_json::Value,
    ) -> serde_json::Value {
        let mut body = serde_json::json!({"title": title, "body_markdown": format!("Body of {title}."), "status": "published"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, json) = self.post_json("/api/v1/articles", Some(token), &body).await;
        assert_eq!(status, 201, "{json}");
        json
    }

    /// Starts another server on the same database and data folder, on its own port: a second
    /// node of the site.
    pub async fn another_node(&self) -> Running {
        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..self.config.clone()
        };
        server::start(&config, self.clock.clone(), false)
            .await
            .unwrap()
    }

    /// Stops the server, keeping its database; [`TestApp::start_again`] starts it again.
    pub async fn stop_server(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }

    /// Starts the server again on the same address, database and data folder.
    pub async fn start_again(&mut self) {
        let running = server::start(&self.config, self.clock.clone(), false)
            .await
            .unwrap();
        self.db = running.db.clone();
        self.app = running.app.clone();
        self.running = Some(running);
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }
}

/// Creates an account with a password through the actions, as the command line does, and
/// returns it with a fresh API token.
pub async fn user_with_token(app: &App, name: &str, email: &str, role: Role) -> (User, String) {
    let new = users::NewUser {
        name: name.to_owned(),
        email: email.to_owned(),
        role,
        password: Some("correct horse battery".to_owned()),
        bio: String::new(),
    };
    let user = users::add(app, &Actor::System, new).await.unwrap();
    let (_, token) = tokens::create(app, &Actor::System, &user, "test")
        .await
        .unwrap();
    (user, token)
}

/// Snapshot settings for pages and JSON as people and clients see them: what changes from run
/// to run (the test server's address, ids, the month of an upload, ages) is replaced by a
/// placeholder, so that a snapshot changes only when what is shown does.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(r"http://127\.0\.0\.1:\d+", "[base]");
    s.add_filter(r"/media/\d{4}/\d{2}/", "/media/[yyyy]/[mm]/");
    s.add_filter(r"comment-\d+", "comment-[id]");
    s.add_filter(r"/articles/\d+/", "/articles/[id]/");
    s.add_filter(r"\b\d+ years ago", "[n] years ago");
    // When the test ran, in the tags that say when an article last changed.
    s.add_filter(
        r#"(article:modified_time" content=|"dateModified":)"[^"]+""#,
        r#"$1"[time]""#,
    );
    // Static files are linked with their fingerprint, which changes with every edit of them.
    s.add_filter(r"\?v=[0-9a-f]{16}", "?v=[fingerprint]");
    // Signed with the site's random key at the time the page was rendered.
    s.add_filter(
        r#"name="form_token" value="[0-9a-f.]+""#,
        r#"name="form_token" value="[token]""#,
    );
    s
}

/// A browser of its own: its own cookies.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Signs `email` in with `password` in `client`; returns the answer to the login form.
pub async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = client
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    client
        .post(app.url("/admin/login"))
        .form(&[
            ("email", email),
            ("password", password),
            ("form_token", &form_token(&page)),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap()
}

/// A page of the admin in `client`: status and HTML.
pub async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The CSRF token of an admin page.
pub async fn csrf(app: &TestApp, client: &reqwest::Client) -> String {
    form_token(&page(app, client, "/admin/profile").await.1)
}

/// The hidden form token (`form_token`, or `csrf`) of the first form in a page.
pub fn form_token(html: &str) -> String {
    for name in ["form_token", "csrf"] {
        let marker = format!("name=\"{name}\" value=\"");
        if let Some(i) = html.find(&marker) {
            let rest = &html[i + marker.len()..];
            return rest[..rest.find('"').unwrap()].to_owned();
        }
    }
    panic!("no form token in:\n{html}")
}

/// A clock for tests that move time.
pub fn fixed_clock(at: &str) -> Arc<FixedClock> {
    Arc::new(FixedClock::new(at.parse().unwrap()))
}

/// The path of a file under the repository's `tests/fixtures`.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path)
}

/// A JPEG of the given size, made here (the seed's photograph is not part of the fixtures).
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            120,
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

/// A PNG of the given size.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(width, height, image::Rgba([10, 200, 30, 255]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A JPEG with EXIF metadata: the given orientation (1 upright, 6 turned a quarter clockwise),
/// a description that reads `SECRET-SERIAL-42`, and a GPS latitude. Returns the file and the
/// length of its EXIF segment.
pub fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> (Vec<u8>, usize) {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        tiff.extend(value);
    };
    let secret = b"SECRET-SERIAL-42\0";
    // IFD0 at 8: three entries (2 + 36 bytes) and the next-IFD offset (4): ends at 50.
    let text_at = 50u32;
    let gps_at = text_at + secret.len() as u32 + 1;
    tiff.extend(3u16.to_le_bytes());
    let o = orientation.to_le_bytes();
    entry(
        &mut tiff,
        0x010E,
        2,
        secret.len() as u32,
        text_at.to_le_bytes(),
    );
    entry(&mut tiff, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut tiff, 0x8825, 4, 1, gps_at.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(secret);
    tiff.push(0);
    // The GPS IFD: latitude reference "N".
    tiff.extend(1u16.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, *b"N\0\0\0");
    tiff.extend(0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend(((app1.len() + 2) as u16).to_be_bytes());
    segment.extend(app1);
    let plain = jpeg(width, height);
    let mut out = plain[..2].to_vec();
    out.extend(&segment);
    out.extend(&plain[2..]);
    (out, segment.len())
}

/// A PNG with a text chunk that reads `GPS 51.5074 N` after its header.
pub fn png_with_text(width: u32, height: u32) -> Vec<u8> {
    let plain = png(width, height);
    let data = b"tEXtComment\0GPS 51.5074 N";
    let mut chunk = ((data.len() - 4) as u32).to_be_bytes().to_vec();
    chunk.extend(data);
    chunk.extend(crc32(data).to_be_bytes());
    // Signature (8) and IHDR (25) come first.
    let mut out = plain[..33].to_vec();
    out.extend(chunk);
    out.extend(&plain[33..]);
    out
}

/// The CRC-32 a PNG chunk ends with.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Waits until the background job has made the responsive variants of a media item; returns
/// the item's API JSON. Panics after half a minute.
pub async fn wait_for_variants(app: &TestApp, token: &str, media_id: i64) -> serde_json::Value {
    for _ in 0..300 {
        let (_, m) = app
            .get_json(&format!("/api/v1/media/{media_id}"), Some(token))
            .await;
        if m["variants"].as_array().is_some_and(|v| !v.is_empty()) {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no variants for media {media_id} after 30 s");
}

/// Uploads an image through the API; returns the response JSON.
pub async fn upload(
    app: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    file_name: &str,
    mime: &str,
) -> (u16, serde_json::Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let r = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// The text a reader sees in an HTML page, in document order, whitespace collapsed: what is
/// inside `<body>`, less scripts, styles, `hidden` elements and visually hidden headings.
pub fn visible_text(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let body = doc
        .select(&scraper::Selector::parse("body").unwrap())
        .next()
        .unwrap();
    let mut out = String::new();
    walk(*body, &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn walk(node: ego_tree::NodeRef<'_, scraper::Node>, out: &mut String) {
    for child in node.children() {
        match child.value() {
            scraper::Node::Text(t) => out.push_str(t),
            scraper::Node::Element(e) => {
                let hidden = matches!(e.name(), "script" | "style" | "template" | "head")
                    || e.attr("hidden").is_some()
                    || e.attr("aria-hidden") == Some("true")
                    || e.classes()
                        .any(|c| c == "visually-hidden" || c == "skip-link");
                if hidden {
                    continue;
                }
                // Block boundaries separate words, as they do on screen; inline elements don't.
                let inline = matches!(
                    e.name(),
                    "a" | "abbr"
                        | "b"
                        | "bdi"
                        | "cite"
                        | "code"
                        | "em"
                        | "i"
                        | "small"
                        | "span"
                        | "strong"
                        | "sub"
                        | "sup"
                        | "time"
                );
                if !inline {
                    out.push(' ');
                }
                walk(child, out);
                if !inline {
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
}

/// Sends only the head of a request announcing a body of `content_length` bytes, with
/// `Expect: 100-continue` as curl does for large uploads, and returns the status the server
/// answers before taking the body (a too-large body should be refused without being sent).
pub async fn status_before_body(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    content_length: usize,
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {content_length}\r\nExpect: 100-continue\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    let response = String::from_utf8_lossy(&buf[..n]);
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A prepared site without a server, for calling actions directly: the welcome content, and
/// one account of each role (the owner, an editor, two authors, a contributor).
pub struct ActionsSite {
    pub app: App,
    /// The site's clock, stopped at the time the site was made; tests move it.
    pub clock: Arc<FixedClock>,
    pub owner: User,
    pub editor: User,
    pub author: User,
    pub other_author: User,
    pub contributor: User,
    pub test_db: TestDb,
}

impl ActionsSite {
    pub async fn new(backend: Backend) -> Self {
        let test_db = TestDb::new(backend).await;
        let db = Db::connect(&test_db.url).await.unwrap();
        let media_dir = test_db.dir.path().join("media");
        std::fs::create_dir_all(&media_dir).unwrap();
        let clock = Arc::new(FixedClock::new(jiff::Timestamp::now()));
        let app = dateline_app::bootstrap::prepare(db, clock.clone(), media_dir, None)
            .await
            .unwrap()
            .app;
        let owner = users::create_owner(
            &app,
            users::OwnerCredential::Operator,
            "Olga Owner",
            "olga@example.org",
            "correct horse battery",
        )
        .await
        .unwrap();
        let add = |name: &'static str, email: &'static str, role| {
            let app = app.clone();
            async move {
                users::add(
                    &app,
                    &Actor::System,
                    users::NewUser {
                        name: name.to_owned(),
                        email: email.to_owned(),
                        role,
                        password: Some("correct horse battery".to_owned()),
                        bio: String::new(),
                    },
                )
                .await
                .unwrap()
            }
        };
        ActionsSite {
            editor: add("Eve Editor", "eve@example.org", Role::Editor).await,
            author: add("Abe Author", "abe@example.org", Role::Author).await,
            other_author: add("Ann Author", "ann@example.org", Role::Author).await,
            contributor: add("Cora Contributor", "cora@example.org", Role::Contributor).await,
            owner,
            app,
            clock,
            test_db,
        }
    }

    /// Staff actor for an account.
    pub fn staff(user: &User) -> Actor {
        Actor::Staff(user.clone())
    }

    /// An anonymous reader.
    pub fn reader(&self) -> Actor {
        self.app
            .reader("198.51.100.7".parse().unwrap(), Some("TestBrowser/1.0"))
    }
}

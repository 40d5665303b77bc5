//! The `dateline` binary: help, accounts, tokens, and a clean stop on SIGTERM.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::json;

use crate::support::{Backend, TestApp, TestDb};

both_backends!(
    accounts_and_tokens_from_the_command_line,
    activity_jobs_and_the_owner_from_the_command_line,
    a_second_process_hears_of_an_event_at_once,
    commands_refuse_a_place_without_a_site,
    sigterm_finishes_requests_in_flight_then_exits,
    an_acknowledged_comment_survives_a_crash,
);

pub(crate) fn dateline(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dateline"));
    cmd.env_remove("DATELINE_BIND")
        .env("DATELINE_DATA", db.dir.path())
        .env("DATELINE_DATABASE_URL", &db.url)
        .current_dir(db.dir.path());
    cmd
}

pub(crate) fn run(mut cmd: Command, stdin: &str) -> (bool, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn help_documents_every_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_dateline"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for word in ["serve", "migrate", "user", "token", "--data", "--database"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_dateline"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for word in [
        "--bind",
        "--base-url",
        "--theme",
        "DATELINE_BIND",
        "DATELINE_BASE_URL",
        "DATELINE_DATABASE_URL",
    ] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}

async fn accounts_and_tokens_from_the_command_line(backend: Backend) {
    // The server runs while the commands run against the same database.
    let app = TestApp::spawn(backend).await;
    let db = &app.test_db;
    for _ in 0..2 {
        let mut migrate = dateline(db);
        migrate.arg("migrate");
        let (ok, out, err) = run(migrate, "");
        assert!(ok && out.contains("up to date"), "{out}{err}");
    }
    let mut add = dateline(db);
    add.args([
        "user",
        "add",
        "--email",
        "noel@example.org",
        "--name",
        "Noel Brinkerhoff",
        "--role",
        "author",
    ]);
    let (ok, _, err) = run(add, "short\n");
    assert!(!ok && err.contains("at least 10 characters"), "{err}");
    assert!(
        app.db
            .user_by_email("noel@example.org")
            .await
            .unwrap()
            .is_none()
    );

    let mut add = dateline(db);
    add.args([
        "user",
        "add",
        "--email",
        "noel@example.org",
        "--name",
        "Noel Brinkerhoff",
        "--role",
        "author",
    ]);
    let (ok, out, err) = run(add, "a long enough password\n");
    assert!(ok, "{err}");
    assert!(out.contains("/authors/noel-brinkerhoff/"));

    // A locked-out account gets a new password from the command line.
    let noel = app
        .db
        .user_by_email("noel@example.org")
        .await
        .unwrap()
        .unwrap();
    let before = app.db.password_hash(noel.id).await.unwrap().unwrap();
    let mut reset = dateline(db);
    reset.args(["user", "reset-password", "--email", "noel@example.org"]);
    let (ok, _, err) = run(reset, "qwertyuiop\n");
    assert!(!ok && err.contains("most common"), "{err}");
    let mut reset = dateline(db);
    reset.args(["user", "reset-password", "--email", "noel@example.org"]);
    let (ok, out, err) = run(reset, "another long passphrase\n");
    assert!(ok && out.contains("has been changed"), "{out}{err}");
    let after = app.db.password_hash(noel.id).await.unwrap().unwrap();
    assert!(
        after != before
            && dateline_core::secrets::verify_password("another long passphrase", &after)
    );

    let mut create = dateline(db);
    create.args([
        "token",
        "create",
        "--email",
        "noel@example.org",
        "--name",
        "laptop",
    ]);
    let (ok, out, err) = run(create, "");
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "one token on one line: {out}");
    let token = lines[0].trim().to_owned();
    assert_eq!(token.len(), 64);

    let (s, _) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "By CLI token", "body_markdown": "x", "status": "published"}),
        )
        .await;
    assert_eq!(s, 201);

    let mut list = dateline(db);
    list.args(["token", "list", "--email", "noel@example.org"]);
    let (ok, out, _) = run(list, "");
    assert!(
        ok && out.contains("laptop") && !out.contains(&token),
        "{out}"
    );

    let mut revoke = dateline(db);
    revoke.args(["token", "revoke", &token]);
    let (ok, _, err) = run(revoke, "");
    assert!(ok, "{err}");
    let (s, _) = app.get_json("/api/v1/articles", Some(&token)).await;
    assert_eq!(s, 401);

    let mut unknown = dateline(db);
    unknown.args(["token", "create", "--email", "nobody@example.org"]);
    let (ok, _, err) = run(unknown, "");
    assert!(!ok && err.contains("no account"), "{err}");
    app.stop().await;
}

async fn activity_jobs_and_the_owner_from_the_command_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.test_db;
    let token = app.editor_token().await;
    let at = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(6);
    let (s, a) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "Later today", "body_markdown": "x", "status": "scheduled",
                    "published_at": at.to_string()}),
        )
        .await;
    assert_eq!(s, 201);

    let mut jobs = dateline(db);
    jobs.arg("jobs");
    let (ok, out, err) = run(jobs, "");
    assert!(ok, "{err}");
    let job = out
        .lines()
        .find(|l| l.contains("publish_scheduled"))
        .unwrap_or_else(|| panic!("no publishing job in:\n{out}"));
    assert!(
        job.contains("pending") && job.contains(&format!("\"article_id\":{}", a["id"])),
        "{job}"
    );

    let mut activity = dateline(db);
    activity.args(["activity", "--limit", "3"]);
    let (ok, out, err) = run(activity, "");
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let newest: Vec<&str> = lines[2].split('\t').collect();
    assert_eq!(newest[2], "article.scheduled", "oldest first: {out}");
    assert!(newest[3].starts_with("user:") && newest[4] == format!("article:{}", a["id"]));
    let mut created = dateline(db);
    created.args(["activity", "--kind", "article.created"]);
    let (ok, out, _) = run(created, "");
    assert!(ok && out.lines().count() == 2, "welcome and ours: {out}");
    assert!(out.lines().all(|l| l.contains("\tarticle.created\t")));
    let mut bad = dateline(db);
    bad.args(["activity", "--kind", "article.exploded"]);
    let (ok, _, err) = run(bad, "");
    assert!(!ok && err.contains("Unknown event kind"), "{err}");

    // The command line creates the owner through the same action as the setup page; the
    // setup link stops working.
    let setup = app.running.as_ref().unwrap().setup_url.clone().unwrap();
    let setup_path = setup.strip_prefix(&app.base).unwrap().to_owned();
    assert_eq!(app.get(&setup_path).await.status(), 200);
    let mut owner = dateline(db);
    owner.args([
        "user",
        "add",
        "--email",
        "olga@example.org",
        "--name",
        "Olga",
        "--role",
        "owner",
    ]);
    let (ok, out, err) = run(owner, "a long enough password\n");
    assert!(ok && out.contains("as owner"), "{out}{err}");
    assert_eq!(app.get(&setup_path).await.status(), 404);
    let mut activity = dateline(db);
    activity.args(["activity", "--limit", "1"]);
    let (_, out, _) = run(activity, "");
    assert!(out.contains("\tuser.created\tsystem\t"), "{out}");
    assert!(
        !out.contains("olga@example.org"),
        "no e-mail in the log: {out}"
    );
    app.stop().await;
}

/// Two processes on one database: a server, and `dateline activity --follow`. The follower
/// learns of the server's event at once: on PostgreSQL through LISTEN/NOTIFY (it would
/// otherwise look only every 30 seconds), on SQLite by looking every second.
async fn a_second_process_hears_of_an_event_at_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (_server, base, _) = serve(&db);
    let mut follow = dateline(&db);
    follow
        .args(["activity", "--follow", "--limit", "1"])
        .env("DATELINE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut follower = ServerProcess(follow.spawn().unwrap());
    let stdout = follower.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let first = lines.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(
        first.contains("comment.submitted"),
        "the newest event: {first}"
    );
    // Let the follower finish subscribing, so that what is measured is the delivery.
    std::thread::sleep(Duration::from_millis(500));

    comment_on_the_newest(&base, "Heard at once?").await;
    let acknowledged = std::time::Instant::now();
    let limit = match backend {
        Backend::Postgres => Duration::from_secs(1),
        Backend::Sqlite => Duration::from_secs(3),
    };
    let line = lines
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("the second process heard nothing within {limit:?}"));
    eprintln!(
        "the second process printed the event {:?} after the write was acknowledged",
        acknowledged.elapsed()
    );
    assert!(line.contains("\tcomment.submitted\treader\t"), "{line}");
    assert!(!line.contains("127.0.0.1"), "{line}");
}

/// A command run where there is no site refuses, and creates nothing there.
async fn commands_refuse_a_place_without_a_site(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dateline"));
    cmd.env_remove("DATELINE_BIND")
        .env_remove("DATELINE_CONFIG")
        .current_dir(db.dir.path());
    match backend {
        Backend::Sqlite => {
            cmd.env_remove("DATELINE_DATABASE_URL")
                .env_remove("DATELINE_DATA");
        }
        Backend::Postgres => {
            cmd.env("DATELINE_DATABASE_URL", &db.url);
        }
    }
    cmd.args(["token", "create", "--email", "olga@example.org"]);
    let (ok, out, err) = run(cmd, "");
    assert!(!ok && out.is_empty(), "{out}");
    assert!(
        err.contains("no Dateline site at ") && err.contains("pass --data or --database"),
        "{err}"
    );
    match backend {
        Backend::Sqlite => {
            assert!(err.contains("dateline-data/dateline.db"), "{err}");
            assert!(
                !db.dir.path().join("dateline-data").exists(),
                "nothing created"
            );
        }
        Backend::Postgres => {
            let store = dateline_store::Db::connect(&db.url).await.unwrap();
            assert!(!store.has_site().await.unwrap(), "nothing created");
            store.close().await;
        }
    }
}

/// Problems at start are said in words, with what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_problems_are_said_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let serve_with = |args: &[&str], database: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dateline"));
        cmd.env_remove("DATELINE_BIND")
            .env_remove("DATELINE_CONFIG")
            .env("DATELINE_DATA", dir.path().join("data"))
            .env("DATELINE_LOG", "warn")
            .current_dir(dir.path())
            .arg("serve")
            .args(args);
        match database {
            Some(url) => cmd.env("DATELINE_DATABASE_URL", url),
            None => cmd.env_remove("DATELINE_DATABASE_URL"),
        };
        cmd
    };
    let expect_failure = |cmd: Command, words: &[&str]| {
        let (ok, _, err) = run(cmd, "");
        assert!(!ok, "{err}");
        for w in words {
            assert!(err.contains(w), "{w:?} missing from: {err}");
        }
        assert!(
            !err.contains("pool timed out") && !err.contains("internal error"),
            "{err}"
        );
    };
    expect_failure(
        serve_with(&["--theme", "no-such-theme"], None),
        &["theme folder", "no-such-theme", "does not exist"],
    );
    expect_failure(
        serve_with(&[], Some("postgres://postgres@127.0.0.1:1/test")),
        &["127.0.0.1:1", "connection refused"],
    );
    expect_failure(
        serve_with(&[], Some("sqlite:///no-such-folder/dateline.db?mode=rwc")),
        &["/no-such-folder/dateline.db", "cannot open"],
    );
    if let Some(admin) = crate::support::postgres_url() {
        let (base, _) = admin.rsplit_once('/').unwrap();
        expect_failure(
            serve_with(&[], Some(&format!("{base}/dateline_no_such_database"))),
            &["dateline_no_such_database", "does not exist", "create"],
        );
    }
    // A host name is a fine address to listen on, and links use it.
    let (mut child, base, setup) =
        start_server(serve_with(&["--bind", "localhost:0"], None), Stdio::null());
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(setup.contains("http://localhost:"), "{setup}");
    terminate(&child);
    assert!(child.wait().unwrap().success());
}

/// Posts a reader's comment through the API of the server at `base` on its newest article;
/// returns the article's id and the answer, once the comment is acknowledged.
async fn comment_on_the_newest(base: &str, body: &str) -> (i64, serde_json::Value) {
    let client = reqwest::Client::new();
    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/articles"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_i64().unwrap();
    let r = client
        .post(format!("{base}/api/v1/articles/{id}/comments"))
        .json(&json!({"author_name": "ali", "body": body}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    (id, r.json().await.unwrap())
}

/// The server raises its open-file limit to the hard limit: each connection is a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_file_limit_is_raised_at_start() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -Sn 256 && exec \"$0\" serve --bind 127.0.0.1:0")
        .arg(env!("CARGO_BIN_EXE_dateline"))
        .env_remove("DATELINE_BIND")
        .env("DATELINE_DATA", db.dir.path())
        .env("DATELINE_DATABASE_URL", &db.url)
        .env("DATELINE_LOG", "warn")
        .current_dir(db.dir.path());
    let (mut child, _, _) = start_server(cmd, Stdio::null());
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    let (soft, hard) = (files[3], files[4]);
    assert_ne!(soft, "256", "{limits}");
    assert_eq!(soft, hard, "{limits}");
    terminate(&child);
    assert!(child.wait().unwrap().success());
}

/// A server process that is killed when the test ends, passed or not.
pub(crate) struct ServerProcess(std::process::Child);

impl std::ops::Deref for ServerProcess {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for ServerProcess {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a server process and reads the two lines it prints first: its address, then (on a
/// site without an owner) the setup link. Returns the process, its base URL and that line.
fn start_server(mut cmd: Command, stderr: Stdio) -> (ServerProcess, String, String) {
    let mut child = cmd.stdout(Stdio::piped()).stderr(stderr).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("Dateline is running at ")
        .expect(&first)
        .trim_end_matches('/')
        .to_owned();
    let mut second = String::new();
    stdout.read_line(&mut second).unwrap();
    (ServerProcess(child), base, second)
}

/// `dateline serve` on a free port of the test database.
pub(crate) fn serve(db: &TestDb) -> (ServerProcess, String, String) {
    let mut cmd = dateline(db);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATELINE_LOG", "warn");
    start_server(cmd, Stdio::null())
}

fn terminate(child: &ServerProcess) {
    signal(child, "-TERM");
}

fn signal(child: &ServerProcess, which: &str) {
    let killed = Command::new("kill")
        .args([which, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_arguments_it_serves_from_a_data_folder_it_creates() {
    let dir = tempfile::tempdir().unwrap();
    let bare = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dateline"));
        cmd.env_remove("DATELINE_DATA")
            .env_remove("DATELINE_DATABASE_URL")
            .env_remove("DATELINE_CONFIG")
            .env("DATELINE_BIND", "127.0.0.1:0")
            .env("DATELINE_LOG", "warn")
            .current_dir(dir.path());
        cmd
    };
    let (mut child, base, setup) = start_server(bare(), Stdio::null());
    assert!(setup.contains(&format!("{base}/setup?token=")), "{setup}");
    let home = reqwest::get(format!("{base}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Welcome to Dateline"));
    let data = dir.path().join("dateline-data");
    assert!(data.join("dateline.db").is_file());
    assert!(
        data.join("dateline.db-wal").is_file(),
        "the database runs in WAL mode"
    );
    assert!(data.join("media").is_dir());
    terminate(&child);
    assert!(child.wait().unwrap().success());

    // A second start migrates nothing twice and writes no second welcome article; the
    // setup link of the first start was replaced by a new one.
    let (mut child, base, second_setup) = start_server(bare(), Stdio::null());
    assert_ne!(second_setup, setup);
    let list: serde_json::Value = reqwest::get(format!("{base}/api/v1/articles"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    let old_link = setup.split_once("/setup").unwrap().1.trim();
    let stale = reqwest::get(format!("{base}/setup{old_link}"))
        .await
        .unwrap();
    assert_eq!(stale.status(), 404);
    signal(&child, "-INT"); // what Ctrl-C sends
    assert!(child.wait().unwrap().success());
}

async fn an_acknowledged_comment_survives_a_crash(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (mut child, base, _) = serve(&db);
    let (id, comment) = comment_on_the_newest(&base, "Written just before the crash").await;
    // SIGKILL: no shutdown code runs.
    child.kill().unwrap();
    child.wait().unwrap();
    let store = db.connect().await;
    // Stored, whatever a moderator will make of it (a first comment waits for one).
    let kept = store
        .comment_by_id(comment["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(
        kept.map(|c| (c.article_id, c.body)),
        Some((id, "Written just before the crash".to_owned()))
    );
    store.close().await;
}

async fn sigterm_finishes_requests_in_flight_then_exits(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDb::new(backend).await;
    let log_path = db.dir.path().join("server.log");
    let mut cmd = dateline(&db);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--base-url",
        "https://news.example/",
    ])
    .env("DATELINE_LOG", "info");
    let (mut child, base, second) =
        start_server(cmd, Stdio::from(std::fs::File::create(&log_path).unwrap()));
    assert!(
        second.contains("https://news.example/setup?token="),
        "the setup link is printed with the public address: {second}"
    );
    assert_eq!(
        reqwest::get(format!("{base}/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
    let list: serde_json::Value = reqwest::get(format!("{base}/api/v1/articles"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = list["items"][0]["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://news.example/20"),
        "absolute links use --base-url: {url}"
    );
    let id = list["items"][0]["id"].as_i64().unwrap();

    // Half a request is on the wire when the signal comes; the rest follows after it.
    let body =
        serde_json::to_vec(&json!({"author_name": "ali", "body": "Posted across a shutdown"}))
            .unwrap();
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/articles/{id}/comments HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(&body[10..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    let store = db.connect().await;
    let (_, created) = response.split_once("\r\n\r\n").unwrap();
    let created: serde_json::Value = serde_json::from_str(created).unwrap();
    let kept = store
        .comment_by_id(created["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(
        kept.map(|c| c.body),
        Some("Posted across a shutdown".to_owned())
    );
    store.close().await;

    // One structured line per request.
    let log = std::fs::read_to_string(&log_path).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("path=/healthz"))
        .expect(&log);
    for field in ["request_id=", "method=GET", "status=200", "latency_ms="] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
}

both_backends!(a_running_site_is_backed_up_from_the_command_line);

async fn a_running_site_is_backed_up_from_the_command_line(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (mut child, base, _) = serve(&db);
    let (id, comment) = comment_on_the_newest(&base, "Kept in the copy").await;
    let copy = db.dir.path().join("backup.sqlite");
    let mut cmd = dateline(&db);
    cmd.args(["backup", "--to", copy.to_str().unwrap()]);
    let (ok, out, err) = run(cmd, "");
    match backend {
        Backend::Sqlite => {
            assert!(ok, "{out}{err}");
            assert!(out.contains("Copy the media folder"), "{out}");
            // The copy is a whole site: migrated, with what was written before it.
            let copied = dateline_store::Db::connect(&format!("sqlite://{}", copy.display()))
                .await
                .unwrap();
            copied.migrate().await.unwrap();
            let kept = copied
                .comment_by_id(comment["id"].as_i64().unwrap())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (kept.article_id, kept.body.as_str()),
                (id, "Kept in the copy")
            );
            copied.close().await;
            // A second copy to the same file is refused, leaving the first.
            let mut again = dateline(&db);
            again.args(["backup", "--to", copy.to_str().unwrap()]);
            let (ok, _, err) = run(again, "");
            assert!(!ok);
            assert!(err.contains("exists already"), "{err}");
        }
        Backend::Postgres => {
            assert!(!ok);
            assert!(err.contains("pg_dump"), "{err}");
            assert!(!copy.exists());
        }
    }
    terminate(&child);
    assert!(child.wait().unwrap().success());
}

both_backends!(nodes_with_their_own_data_folders_share_the_media_folder);

/// Two processes of one site, each with its own data folder, one database and one media
/// folder (`--media-dir`): an image uploaded through one is served by the other.
async fn nodes_with_their_own_data_folders_share_the_media_folder(backend: Backend) {
    let db = TestDb::new(backend).await;
    let shared = db.dir.path().join("shared-media");
    let elsewhere = tempfile::tempdir().unwrap();
    let node = |data: &std::path::Path| {
        let mut cmd = dateline(&db);
        cmd.env("DATELINE_DATA", data)
            .env("DATELINE_MEDIA_DIR", &shared)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATELINE_LOG", "warn");
        start_server(cmd, Stdio::null())
    };
    let (a, base_a, _) = node(db.dir.path());
    let (b, base_b, _) = node(elsewhere.path());
    let mut add = dateline(&db);
    add.args([
        "user",
        "add",
        "--email",
        "eve@example.org",
        "--name",
        "Eve",
        "--role",
        "editor",
    ]);
    assert!(run(add, "correct horse battery\n").0);
    let mut create = dateline(&db);
    create.args(["token", "create", "--email", "eve@example.org"]);
    let (ok, token, err) = run(create, "");
    assert!(ok, "{err}");
    let part = reqwest::multipart::Part::bytes(crate::support::jpeg(40, 30))
        .file_name("shared.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let uploaded: serde_json::Value = reqwest::Client::new()
        .post(format!("{base_a}/api/v1/media"))
        .bearer_auth(token.trim())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = uploaded["url"].as_str().unwrap();
    let path = url.split_once("/media/").unwrap().1;
    assert!(shared.join(path).is_file(), "stored in the shared folder");
    assert!(!db.dir.path().join("media").join(path).exists());
    let served = reqwest::get(format!("{base_b}/media/{path}"))
        .await
        .unwrap();
    assert_eq!(served.status(), 200, "the other node serves it");
    assert_eq!(
        served.bytes().await.unwrap().as_ref(),
        std::fs::read(shared.join(path)).unwrap().as_slice()
    );
    for child in [&a, &b] {
        terminate(child);
    }
    drop((a, b));
}

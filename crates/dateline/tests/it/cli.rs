//! The `dateline` binary: help, accounts, tokens, and a clean stop on SIGTERM.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
};

use serde_json::json;

use crate::support::{Backend, TestApp, TestDb};

both_backends!(
    accounts_and_tokens_from_the_command_line,
    sigterm_stops_the_server_cleanly,
    an_acknowledged_comment_survives_a_crash,
);

fn dateline(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dateline"));
    cmd.env_remove("DATELINE_BIND")
        .env("DATELINE_DATA", db.dir.path())
        .env("DATELINE_DATABASE_URL", &db.url)
        .current_dir(db.dir.path());
    cmd
}

fn run(mut cmd: Command, stdin: &str) -> (bool, String, String) {
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

/// Starts `dateline serve` on a free port; returns the process, its address and the second
/// line it printed (the setup link on a new site).
fn serve(db: &TestDb) -> (std::process::Child, String, String) {
    let mut cmd = dateline(db);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATELINE_LOG", "warn");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
    let mut second = String::new();
    stdout.read_line(&mut second).unwrap();
    (child, base, second)
}

async fn an_acknowledged_comment_survives_a_crash(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (mut child, base, _) = serve(&db);
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
        .json(&json!({"author_name": "ali", "body": "Written just before the crash"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let comment: serde_json::Value = r.json().await.unwrap();
    // SIGKILL: no shutdown code runs.
    child.kill().unwrap();
    child.wait().unwrap();
    let store = db.connect().await;
    let comments = store.approved_comments(id).await.unwrap();
    let kept = comments.iter().any(|c| {
        c.id == comment["id"].as_i64().unwrap() && c.body == "Written just before the crash"
    });
    assert!(kept, "{comments:?}");
    store.close().await;
}

async fn sigterm_stops_the_server_cleanly(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (mut child, base, second) = serve(&db);
    assert!(
        second.contains("/setup?token="),
        "the setup link is printed: {second}"
    );
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}

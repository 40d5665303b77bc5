//! The rules of ARCHITECTURE.md that a compiler does not check, checked here over the sources.

use std::path::{Path, PathBuf};

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The web crate makes no write of its own: no write transaction, no job bookkeeping, no
/// migration, and no exemption from the clippy rule that forbids them.
#[test]
fn the_web_crate_writes_only_through_actions() {
    let forbidden = clippy_forbidden_methods();
    for required in [
        "dateline_store::Db::begin_write",
        "dateline_store::Db::claim_job",
        "dateline_store::Db::migrate",
    ] {
        assert!(
            forbidden.iter().any(|f| f == required),
            "crates/dateline-web/clippy.toml must forbid {required}"
        );
    }
    let mut files = Vec::new();
    rust_files(&crate_dir("dateline-web/src"), &mut files);
    assert!(files.len() > 10);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for method in forbidden.iter().map(|f| f.rsplit("::").next().unwrap()) {
            assert!(
                !text.contains(&format!(".{method}(")),
                "{} calls {method}: call an action in dateline-app instead",
                file.display()
            );
        }
        assert!(
            !text.contains("disallowed_methods"),
            "{} exempts itself from the write rule",
            file.display()
        );
    }
}

/// The paths listed under `disallowed-methods` in the web crate's clippy.toml.
fn clippy_forbidden_methods() -> Vec<String> {
    let text = std::fs::read_to_string(crate_dir("dateline-web/clippy.toml")).unwrap();
    text.lines()
        .filter_map(|l| l.split("path = \"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// Dependencies point one way: the core knows no HTTP, SQL or runtime; the store and the
/// actions know no HTTP.
#[test]
fn dependencies_point_down() {
    let deps = |name: &str| {
        let manifest = std::fs::read_to_string(crate_dir(name).join("Cargo.toml")).unwrap();
        let deps = manifest
            .split("[dependencies]")
            .nth(1)
            .unwrap()
            .split("\n[")
            .next()
            .unwrap()
            .to_owned();
        deps.lines()
            .filter_map(|l| l.split(['.', ' ', '=']).next())
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let core = deps("dateline-core");
    for banned in [
        "sqlx",
        "axum",
        "tokio",
        "dateline-store",
        "dateline-app",
        "dateline-web",
    ] {
        assert!(
            !core.iter().any(|d| d == banned),
            "core depends on {banned}"
        );
    }
    for name in ["dateline-store", "dateline-app"] {
        for banned in ["axum", "tower", "tower-http", "dateline-web"] {
            assert!(
                !deps(name).iter().any(|d| d == banned),
                "{name} depends on {banned}"
            );
        }
    }
    assert!(!deps("dateline-store").iter().any(|d| d == "dateline-app"));
    assert!(deps("dateline-web").iter().any(|d| d == "dateline-app"));
}

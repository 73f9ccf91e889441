//! The built `folio` binary as an operator starts it: its logs, read from a
//! pipe as a log collector reads them (no ANSI escape codes, and with `json`
//! one JSON object per line), and what it refuses to start with.
//!
//! This lives in the `api` package rather than in the end-to-end suite under
//! `tests/` because Cargo builds a package's binary for, and names it to
//! (`CARGO_BIN_EXE_folio`), that package's own integration tests only: here
//! the test always runs the binary of the code under test.

use std::process::{Command, Stdio};

/// Runs `folio <args> migrate up` on a fresh SQLite file with stderr piped,
/// `FOLIO_LOG_FORMAT` set to `format` (or unset), and returns stderr.
fn migrate_logs(format: Option<&str>, args: &[&str]) -> String {
    let stderr = migrate_logs_with(format, args, "info");
    assert!(
        stderr.contains("Applying migration"),
        "the migrations were logged: {stderr}"
    );
    stderr
}

/// [`migrate_logs`] with `RUST_LOG` set to `filter`, whatever it logs.
fn migrate_logs_with(format: Option<&str>, args: &[&str], filter: &str) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/folio.db?mode=rwc", scratch.path().display());
    let mut folio = Command::new(env!("CARGO_BIN_EXE_folio"));
    folio
        .args(args)
        .args(["migrate", "up"])
        // A directory without a `.env`, so that nothing but this test sets the scene.
        .current_dir(scratch.path())
        .env("DATABASE_URL", database)
        .env("RUST_LOG", filter)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match format {
        Some(format) => folio.env("FOLIO_LOG_FORMAT", format),
        None => folio.env_remove("FOLIO_LOG_FORMAT"),
    };
    let output = folio.output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "folio failed: {stderr}");
    stderr
}

#[test]
fn text_logs_to_a_pipe_have_no_colour_codes() {
    let stderr = migrate_logs(None, &[]);
    assert!(!stderr.contains('\u{1b}'), "an ANSI escape: {stderr:?}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    for (format, args) in [
        (Some("json"), &[][..]),
        (None, &["--log-format", "json"][..]),
    ] {
        let stderr = migrate_logs(format, args);
        assert!(!stderr.contains('\u{1b}'), "an ANSI escape: {stderr:?}");
        for line in stderr.lines() {
            let event: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"));
            assert!(event["level"].is_string(), "{line}");
            assert!(event["fields"]["message"].is_string(), "{line}");
        }
    }
}

/// `RUST_LOG` sets levels per target, in its plain form and in the form
/// that also filters on spans.
#[test]
fn rust_log_sets_levels_per_target() {
    for filter in [
        "info,sea_orm_migration=warn",
        "info,[request{path=/graphql}]=debug,sea_orm_migration=warn",
    ] {
        let stderr = migrate_logs_with(None, &[], filter);
        assert!(!stderr.contains("Applying migration"), "{filter}: {stderr}");
    }
    let stderr = migrate_logs_with(None, &[], "warn,sea_orm_migration=info");
    assert!(stderr.contains("Applying migration"), "{stderr}");
}

#[test]
fn the_flag_overrides_the_environment() {
    let stderr = migrate_logs(Some("json"), &["--log-format", "text"]);
    assert!(
        stderr.lines().all(|line| !line.starts_with('{')),
        "{stderr}"
    );
}

#[test]
fn a_short_token_secret_is_refused_at_start() {
    let scratch = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/folio.db?mode=rwc", scratch.path().display());
    let mut folio = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(scratch.path())
        .env("DATABASE_URL", database)
        .env("FOLIO_JWT_SECRET", "hunter2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while folio.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            folio.kill().unwrap();
            panic!("folio started with a 7-byte token secret");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = folio.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("FOLIO_JWT_SECRET is 7 bytes long; it must have at least 32"),
        "{stderr}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("listening"), "{stdout}");
}

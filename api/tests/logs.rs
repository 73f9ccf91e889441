//! The built `folio` binary's logs, read from a pipe as a log collector reads
//! them: no ANSI escape codes, and with `json` one JSON object per line.
//!
//! This lives in the `api` package rather than in the end-to-end suite under
//! `tests/` because Cargo builds a package's binary for, and names it to
//! (`CARGO_BIN_EXE_folio`), that package's own integration tests only: here
//! the test always runs the binary of the code under test.

#![allow(
    clippy::unwrap_used,
    reason = "a test should stop loudly at the first step that fails"
)]

use std::process::{Command, Stdio};

/// Runs `folio <args> migrate up` on a fresh SQLite file with stderr piped,
/// `FOLIO_LOG_FORMAT` set to `format` (or unset), and returns stderr.
fn migrate_logs(format: Option<&str>, args: &[&str]) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/folio.db?mode=rwc", scratch.path().display());
    let mut folio = Command::new(env!("CARGO_BIN_EXE_folio"));
    folio
        .args(args)
        .args(["migrate", "up"])
        // A directory without a `.env`, so that nothing but this test sets the scene.
        .current_dir(scratch.path())
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "info")
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
    assert!(
        stderr.contains("Applying migration"),
        "the migrations were logged: {stderr}"
    );
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

#[test]
fn the_flag_overrides_the_environment() {
    let stderr = migrate_logs(Some("json"), &["--log-format", "text"]);
    assert!(
        stderr.lines().all(|line| !line.starts_with('{')),
        "{stderr}"
    );
}

//! `--credentials @FILE` is the library's `credentials_file`: the real binary against the
//! sandbox, with the file behind a symbolic link, readable by others, and shared by commands
//! running side by side.

mod common;

use std::path::Path;

use common::{Cli, TempDir};
use diskbridge_sandbox::{YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Rewrites the credentials with an access token that has expired, keeping the file's mode.
fn expire(path: &Path) -> Value {
    let mut credentials = read_json(path);
    credentials["expires_at"] = json!(1);
    std::fs::write(path, credentials.to_string()).unwrap();
    credentials
}

fn refresh_works(cli: &Cli, refresh_token: &Value) -> bool {
    let run = cli.run(&[
        "yandex",
        "RefreshToken",
        "--id",
        YANDEX_CLIENT_ID,
        "--secret",
        YANDEX_CLIENT_SECRET,
        "--refresh",
        refresh_token.as_str().unwrap(),
    ]);
    run.code == 0
}

#[cfg(unix)]
fn link(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(windows)]
fn link(target: &Path, link: &Path) {
    std::os::windows::fs::symlink_file(target, link).unwrap();
}

#[test]
fn a_credentials_file_behind_a_symbolic_link_is_renewed_through_it() {
    let cli = Cli::new();
    let dir = TempDir::new("credlink");
    let real = dir.path("real.json");
    let shown = dir.path("tokens.json");
    // `login --save` through a link that already points at the real file writes the target.
    std::fs::write(&real, "{}").unwrap();
    link(&real, &shown);
    cli.login_yandex(Some(&shown)).ok();
    assert!(std::fs::symlink_metadata(&shown).unwrap().file_type().is_symlink());
    let before = expire(&real);
    assert!(before["refresh_token"].is_string(), "login wrote the target: {before}");

    let credentials_arg = format!("@{}", shown.to_str().unwrap());
    let info = cli.run(&["yadisk", "GetDiskInformation", "--credentials", &credentials_arg]);
    assert_eq!(info.ok()["user"]["login"], "sandbox-owner");
    let target = std::fs::canonicalize(&real).unwrap();
    assert!(
        info.stderr
            .contains(&format!("the tokens were refreshed and saved to {}", target.display())),
        "{info:?}"
    );
    assert!(
        std::fs::symlink_metadata(&shown).unwrap().file_type().is_symlink(),
        "the link is still a link"
    );
    let after = read_json(&real);
    assert_ne!(after["refresh_token"], before["refresh_token"]);
    assert!(
        !refresh_works(&cli, &before["refresh_token"]),
        "the old one was rotated away"
    );
    assert!(
        refresh_works(&cli, &after["refresh_token"]),
        "the target holds the live one"
    );
}

#[cfg(unix)]
#[test]
fn a_credentials_file_others_can_read_is_refused_as_ssh_refuses_keys() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    let dir = TempDir::new("credmode");
    let saved = dir.path("tokens.json");
    cli.login_yandex(Some(&saved)).ok();
    let before = expire(&saved);
    std::fs::set_permissions(&saved, std::fs::Permissions::from_mode(0o644)).unwrap();
    let credentials_arg = format!("@{}", saved.to_str().unwrap());
    let refused = cli.run(&["yadisk", "GetDiskInformation", "--credentials", &credentials_arg]);
    let error = refused.failed(3);
    assert_eq!(error["code"], "local_io");
    assert!(refused.stderr.contains("chmod 600"), "{refused:?}");
    assert_eq!(read_json(&saved), before, "nothing was renewed");

    std::fs::set_permissions(&saved, std::fs::Permissions::from_mode(0o600)).unwrap();
    cli.run(&["yadisk", "GetDiskInformation", "--credentials", &credentials_arg])
        .ok();
}

#[test]
fn commands_side_by_side_share_one_credentials_file() {
    let cli = Cli::new();
    // Every token expires within the library's margin: every command renews.
    cli.control(
        reqwest::Method::POST,
        "settings",
        Some(json!({"yandex_token_ttl_s": 50})),
    );
    let dir = TempDir::new("credshare");
    let saved = dir.path("tokens.json");
    cli.login_yandex(Some(&saved)).ok();
    let credentials_arg = format!("@{}", saved.to_str().unwrap());
    let runs: Vec<common::Run> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    (0..4)
                        .map(|_| cli.run(&["yadisk", "GetDiskInformation", "--credentials", &credentials_arg]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    for run in &runs {
        assert_eq!(run.ok()["user"]["login"], "sandbox-owner");
        assert!(run.stderr.contains("the tokens were refreshed and saved to"), "{run:?}");
    }
    assert!(refresh_works(&cli, &read_json(&saved)["refresh_token"]));
}

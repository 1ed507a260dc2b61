//! `yacalendar` and `telemost` through the real binary against the sandbox: a meeting with a
//! Telemost link created from the command line, found in the calendar (by the Russian method
//! name) and in the Telemost API.

mod common;

use common::Cli;

#[test]
fn a_meeting_from_the_command_line() {
    let cli = Cli::new();
    let token = cli.token();
    let event = cli
        .run(&[
            "yacalendar",
            "CreateEvent",
            "--token",
            &token,
            "--summary",
            "Созвон",
            "--start",
            "2026-12-10T10:00",
            "--timezone",
            "Europe/Moscow",
            "--telemost",
            "true",
        ])
        .ok();
    let link = event["telemost_link"].as_str().expect("a link").to_string();
    let found = cli
        .run(&[
            "yacalendar",
            "ПолучитьСобытия",
            "--token",
            &token,
            "--from",
            "2026-12-10",
            "--to",
            "2026-12-11",
        ])
        .ok();
    assert!(
        found["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["telemost_link"] == link.as_str()),
        "{found}"
    );
    let conference = cli
        .run(&[
            "telemost",
            "GetConference",
            "--token",
            &token,
            "--id",
            link.rsplit('/').next().unwrap(),
        ])
        .ok();
    assert_eq!(conference["join_url"], link.as_str());
}

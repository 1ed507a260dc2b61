//! `yamail` through the real binary against the sandbox: a message sent from the command line
//! (by the Russian method name) to the signed-in user's own mailbox, found in its folder, and the
//! mailbox backed up, the message byte for byte as the server keeps it.

mod common;

use common::{Cli, TempDir};

const OWNER: &str = "owner@sandbox-org.ru";

#[test]
fn send_list_and_back_up_from_the_command_line() {
    let cli = Cli::new();
    let token = cli.token();
    // No --email: the address comes from the token's user.
    let sent = cli
        .run(&[
            "yamail",
            "ОтправитьПисьмо",
            "--token",
            &token,
            "--to",
            OWNER,
            "--subject",
            "Из командной строки",
            "--text",
            "Привет",
        ])
        .ok();
    assert_eq!(sent["recipients"], serde_json::json!([OWNER]), "{sent}");

    let listed = cli
        .run(&["yamail", "GetMessages", "--token", &token, "--folder", "INBOX"])
        .ok();
    let message = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "Из командной строки")
        .unwrap_or_else(|| panic!("delivered: {listed}"))
        .clone();
    let uid = message["uid"].as_u64().unwrap();

    let dir = TempDir::new("mail-backup");
    let backup = cli
        .run(&[
            "yamail",
            "BackupMailbox",
            "--token",
            &token,
            "--local-dir",
            &dir.arg("box"),
        ])
        .ok();
    assert_eq!(backup["errors"], serde_json::json!([]), "{backup}");
    let total = cli.run(&["yamail", "GetMessageCount", "--token", &token]).ok()["total"].clone();
    assert_eq!(backup["fetched"], total, "{backup}");
    let expected = cli_message_bytes(&cli, uid);
    assert_eq!(
        std::fs::read(dir.path(&format!("box/INBOX/{uid}.eml"))).unwrap(),
        expected
    );
}

/// The sandbox's copy of one message of the owner's INBOX.
fn cli_message_bytes(cli: &Cli, uid: u64) -> Vec<u8> {
    let url = format!(
        "{}/_sandbox/mail/message?user={}&folder=INBOX&uid={uid}",
        cli.url(),
        OWNER.replace('@', "%40")
    );
    let response = reqwest::blocking::get(url).unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.bytes().unwrap().to_vec()
}

//! The SMTP emulator on the wire, against docs/protocols-mail.md §3: greeting and EHLO, AUTH
//! XOAUTH2 with Yandex's answers, the sender owned by the user, the size limit, delivery into
//! the recipients' mailboxes and the sender's Sent folder, faults and the request log.

mod common_mail;

use common_mail::{xoauth2, Env, Smtp, IVAN, MARIA, OWNER};
use serde_json::json;

const EHLO: &str = "250-smtp-sandbox.mail.yandex.net\n250-8BITMIME\n250-PIPELINING\n250-SIZE 42991616\n250-AUTH LOGIN PLAIN XOAUTH2\n250-DSN\n250 ENHANCEDSTATUSCODES";

#[tokio::test]
async fn greeting_ehlo_and_auth_answers() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut smtp = Smtp::connect(&env.smtp).await;
    assert_eq!(
        smtp.greeting,
        "220 smtp-sandbox.mail.yandex.net ESMTP (Want to use Yandex.Mail for your domain? Visit http://pdd.yandex.ru)"
    );
    assert_eq!(smtp.command("EHLO sender.example.com").await, EHLO);
    assert_eq!(
        smtp.command("MAIL FROM:<ivan.petrov@sandbox-org.ru>").await,
        "503 5.5.4 Error: send AUTH command first."
    );
    let bad = smtp
        .command(&format!("AUTH XOAUTH2 {}", xoauth2(IVAN, "y0_wrong")))
        .await;
    assert_eq!(bad, "535 5.7.8 Error: authentication failed: Invalid user or password!");
    assert_eq!(
        smtp.command("AUTH XOAUTH2 bm9wZQ==").await,
        "535 5.7.8 Error: authentication failed:Invalid format."
    );
    let imap_only = env.token(IVAN, Some("mail:imap_full")).await;
    let refused = smtp
        .command(&format!("AUTH XOAUTH2 {}", xoauth2(IVAN, &imap_only)))
        .await;
    assert_eq!(
        refused,
        "535 5.7.8 Error: authentication failed: Invalid user or password!"
    );
    assert_eq!(
        smtp.command("AUTH PLAIN AGl2YW4AcGFzcw==").await,
        "535 5.7.8 Error: authentication failed: Invalid user or password!"
    );
    // The response after a `334 ` continuation.
    assert_eq!(smtp.command("AUTH XOAUTH2").await, "334 ");
    assert_eq!(
        smtp.command(&xoauth2(IVAN, &token)).await,
        "235 2.7.0 Authentication successful."
    );
    assert_eq!(
        smtp.command("AUTH XOAUTH2 x").await,
        "503 5.5.1 Error: already authenticated"
    );
    assert_eq!(smtp.command("QUIT").await, "221 2.0.0 Closing connection.");
}

#[tokio::test]
async fn the_sender_must_be_the_user_and_the_size_within_the_limit() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut smtp = Smtp::login(&env.smtp, IVAN, &token).await;
    let not_owned = "553 5.7.1 Sender address rejected: not owned by auth user.";
    assert_eq!(
        smtp.command("MAIL FROM:<maria.ivanova@sandbox-org.ru>").await,
        not_owned
    );
    assert_eq!(smtp.command("MAIL FROM:<>").await, not_owned);
    assert_eq!(
        smtp.command("MAIL FROM:<ivan.petrov@sandbox-org.ru> SIZE=42991617")
            .await,
        "552 5.3.4 Message size exceeds fixed limit"
    );
    assert_eq!(
        smtp.command("RCPT TO:<maria.ivanova@sandbox-org.ru>").await,
        "503 5.5.1 Error: need MAIL command"
    );
    assert_eq!(
        smtp.command("MAIL FROM:<Ivan.Petrov@sandbox-org.ru> SIZE=100").await,
        "250 2.1.0 <Ivan.Petrov@sandbox-org.ru> ok"
    );
    assert_eq!(
        smtp.command("RCPT TO:<nobody@sandbox-org.ru>").await,
        "550 5.7.1 No such user!"
    );
    assert_eq!(smtp.command("DATA").await, "503 5.5.1 Error: need RCPT command");
    assert_eq!(
        smtp.command("RCPT TO:<friend@example.com>").await,
        "250 2.1.5 <friend@example.com> recipient ok"
    );
    assert_eq!(
        smtp.command("DATA").await,
        "354 Enter mail, end with \".\" on a line by itself"
    );
    // Over the limit: the message is read to its end and refused.
    let line = "x".repeat(998);
    let mut sent = 0;
    while sent <= 42_991_616 {
        smtp.send(&format!("{line}\r\n").repeat(1000)).await;
        sent += 1_000_000;
    }
    assert_eq!(smtp.command(".").await, "552 5.3.4 Message size exceeds fixed limit");
    assert!(env.get("mail/outgoing").await.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_message_reaches_the_recipients_and_the_sent_folder() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut smtp = Smtp::login(&env.smtp, IVAN, &token).await;
    assert!(smtp
        .command("MAIL FROM:<ivan.petrov@sandbox-org.ru> BODY=8BITMIME")
        .await
        .starts_with("250 "));
    for rcpt in [MARIA, OWNER, "friend@example.com", MARIA] {
        assert!(smtp
            .command(&format!("RCPT TO:<{rcpt}>"))
            .await
            .starts_with("250 2.1.5"));
    }
    assert!(smtp.command("DATA").await.starts_with("354 "));
    let message = "From: ivan.petrov@sandbox-org.ru\r\nTo: maria.ivanova@sandbox-org.ru\r\nSubject: Report\r\n\r\n..a line that starts with a dot\r\nbye\r\n";
    smtp.send(&message.replace("\r\n..", "\r\n...")).await;
    let queued = smtp.command(".").await;
    assert!(
        queued.starts_with("250 2.0.0 Ok: queued on smtp-sandbox.mail.yandex.net as "),
        "{queued}"
    );
    // What was sent, with the transparency dots removed again.
    let unstuffed = message.to_string();
    // Maria got it once, with a Received line on top; the owner too; Ivan's Sent holds it as sent.
    let maria = env.get(&format!("mail/messages?user={MARIA}&folder=INBOX")).await;
    let uid = maria["messages"].as_array().unwrap().last().unwrap()["uid"]
        .as_u64()
        .unwrap();
    assert_eq!(maria["messages"].as_array().unwrap().len(), 5);
    let delivered = env
        .http
        .get(format!("{}/_sandbox/mail/message?user={MARIA}&uid={uid}", env.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(delivered.starts_with("Received: from [127.0.0.1] by smtp-sandbox.mail.yandex.net with ESMTPSA id "));
    assert!(delivered.ends_with(&unstuffed), "{delivered}");
    let owner = env.get(&format!("mail/messages?user={OWNER}&folder=INBOX")).await;
    assert_eq!(owner["messages"].as_array().unwrap().len(), 5);
    let sent = env.get(&format!("mail/messages?user={IVAN}&folder=Отправленные")).await;
    let last = sent["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["flags"], "\\Seen");
    let copy = env
        .http
        .get(format!(
            "{}/_sandbox/mail/message?user={IVAN}&folder=Отправленные&uid={}",
            env.url, last["uid"]
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(copy, unstuffed);
    let outgoing = env.get("mail/outgoing").await;
    assert_eq!(outgoing[0]["to"], json!(["friend@example.com"]));
    // Read back over IMAP by the recipient.
    let maria_token = env.token(MARIA, None).await;
    let mut imap = env.imap_as(MARIA, &maria_token).await;
    imap.command("EXAMINE INBOX").await;
    let found = imap.command("UID SEARCH SUBJECT Report").await;
    assert_eq!(found[0], format!("* SEARCH {uid}"));
}

#[tokio::test]
async fn faults_refuse_or_drop_the_end_of_data() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    env.post(
        "mail/faults",
        json!([
            {"protocol": "smtp", "command": "DATA", "action": "reply", "code": 451, "text": "4.7.1 Try again later"},
            {"protocol": "smtp", "command": "DATA", "action": "drop"},
            {"protocol": "smtp", "command": "EHLO", "action": "reply", "code": 421, "user": null},
        ]),
    )
    .await;
    let mut smtp = Smtp::connect(&env.smtp).await;
    assert_eq!(
        smtp.command("EHLO x").await,
        "421 4.7.1 Service unavailable, try again later"
    );
    let mut smtp = Smtp::login(&env.smtp, IVAN, &token).await;
    for expected in ["451 4.7.1 Try again later", ""] {
        smtp.command("MAIL FROM:<ivan.petrov@sandbox-org.ru>").await;
        smtp.command(&format!("RCPT TO:<{MARIA}>")).await;
        smtp.command("DATA").await;
        smtp.send("Subject: x\r\n\r\nx\r\n").await;
        // A drop answers nothing: the connection ends.
        assert_eq!(smtp.command(".").await, expected);
    }
    let maria = env.get(&format!("mail/folders?user={MARIA}")).await;
    assert_eq!(maria["folders"][0]["messages"], 4, "neither message was delivered");
}

#[tokio::test]
async fn the_request_log_masks_auth() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut smtp = Smtp::login(&env.smtp, IVAN, &token).await;
    smtp.command("NOOP").await;
    let entries = env.get("requests").await;
    let smtp_entries: Vec<&serde_json::Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["protocol"] == "smtp")
        .collect();
    let commands: Vec<&str> = smtp_entries.iter().map(|e| e["command"].as_str().unwrap()).collect();
    assert_eq!(commands, ["EHLO client.example", "AUTH XOAUTH2 [masked]", "NOOP"]);
    assert_eq!(smtp_entries[1]["status"], "235");
    assert_eq!(smtp_entries[2]["user"], IVAN);
    assert!(!entries.to_string().contains(&token));
}

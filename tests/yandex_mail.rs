//! YandexMail through the C ABI against the sandbox's IMAP and SMTP listeners: XOAUTH2 with
//! employees' exchanged tokens (both forms of the exchange, refusals without secrets), folders
//! and counts, messages, downloads, the incremental backup (resync, dropped connections, a token
//! expiring mid-run), sending, and the TLS path.

mod common;

use std::io::{Read, Write};

use base64::Engine;
use common::{err, ok, sandbox, TempDir, TestSandbox};
use diskbridge_sandbox::{ORG_ID, YANDEX_SERVICE_CLIENT_ID, YANDEX_SERVICE_CLIENT_SECRET};
use mail_parser::MimeHeaders;
use serde_json::{json, Value};

const IVAN: &str = "ivan.petrov@sandbox-org.ru";
const MARIA: &str = "maria.ivanova@sandbox-org.ru";
const MAIL_SCOPES: &str = "mail:imap_ro mail:imap_full mail:smtp";
/// The seeded mailbox: twelve messages (docs/sandbox-mail.md, "Seeded data").
const SEEDED: u64 = 12;

/// The organization with the service application allowed to read and send mail.
fn mail_ready(sb: &TestSandbox) {
    let owner = sb.sign_in()["access_token"].as_str().unwrap().to_string();
    ok(sb.call(
        "Yandex360.ActivateServiceApplications",
        json!({"token": owner, "org_id": ORG_ID}),
    ));
    let app = json!({"token": owner, "org_id": ORG_ID, "client_id": YANDEX_SERVICE_CLIENT_ID, "scopes": MAIL_SCOPES});
    ok(sb.call("Yandex360.AddServiceApplication", app));
}

/// Credentials of the service application for one employee, by e-mail.
fn employee(email: &str) -> Value {
    json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "client_secret": YANDEX_SERVICE_CLIENT_SECRET, "subject": {"user_email": email}})
}

/// A one-hour token of the employee, by the token exchange.
fn exchanged_token(sb: &TestSandbox, email: &str) -> String {
    let params = json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "client_secret": YANDEX_SERVICE_CLIENT_SECRET, "user_email": email});
    ok(sb.call("YandexID.ExchangeTokenForUser", params))["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Bytes of a sandbox control GET (message bodies are not JSON).
fn control_bytes(sb: &TestSandbox, path_and_query: &str) -> Vec<u8> {
    let response = reqwest::blocking::get(format!("{}/_sandbox/{path_and_query}", sb.url())).unwrap();
    assert!(
        response.status().is_success(),
        "{path_and_query}: {}",
        response.status()
    );
    response.bytes().unwrap().to_vec()
}

fn query(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An IMAP or SMTP fault (docs/sandbox-mail.md, "Faults").
fn mail_fault(sb: &TestSandbox, fault: Value) {
    sb.control(reqwest::Method::POST, "mail/faults", Some(fault));
}

fn imap_commands(sb: &TestSandbox) -> Vec<String> {
    sb.requests()
        .into_iter()
        .filter(|r| r["protocol"] == "imap")
        .map(|r| r["command"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn counts_and_folders_with_an_exchanged_token() {
    let sb = sandbox();
    mail_ready(&sb);
    let token = exchanged_token(&sb, IVAN);
    let counted = ok(sb.call("YandexMail.GetMessageCount", json!({"token": token, "email": IVAN})));
    assert_eq!(counted["total"], SEEDED, "{counted}");
    let seeded = sb.control(
        reqwest::Method::GET,
        &format!("mail/folders?user={}", query(IVAN)),
        None,
    );
    let seeded_total: u64 = seeded["folders"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["messages"].as_u64())
        .sum();
    assert_eq!(counted["total"], seeded_total, "{seeded}");
    let inbox = counted["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "INBOX")
        .unwrap();
    assert_eq!(inbox["messages"], 4);
    assert_eq!(inbox["unseen"], 2);

    // Cyrillic names, a nested one and one that needs a literal, as the sandbox names them.
    let listed = ok(sb.call("YandexMail.GetFolders", json!({"credentials": employee(IVAN)})));
    let names: Vec<&str> = listed["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for name in ["INBOX", "Отправленные", "Проекты|Альфа", "Отчёты \"2026\""] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let sent = listed["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["role"] == "sent")
        .unwrap();
    assert_eq!(sent["name"], "Отправленные");
    let container = listed["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Проекты")
        .unwrap();
    assert_eq!(container["selectable"], false);
    // The names go back to the server as they came: one folder counted by name.
    for name in ["Проекты|Альфа", "Отчёты \"2026\""] {
        let one = ok(sb.call(
            "YandexMail.GetMessageCount",
            json!({"credentials": employee(IVAN), "folder": name}),
        ));
        assert_eq!(one["total"], 1, "{name}: {one}");
        let page = ok(sb.call(
            "YandexMail.GetMessages",
            json!({"credentials": employee(IVAN), "folder": name}),
        ));
        assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{name}: {page}");
    }
}

#[test]
fn refused_tokens_are_unauthorized_with_the_servers_text_and_no_secret() {
    let sb = sandbox();
    mail_ready(&sb);
    let maria = exchanged_token(&sb, MARIA);
    let ivan = exchanged_token(&sb, IVAN);
    let cases = [
        ("wrong", "y0_not-a-token".to_string(), IVAN),
        ("foreign", maria.clone(), IVAN),
    ];
    for (case, token, email) in cases {
        let refused = err(sb.call("YandexMail.GetFolders", json!({"token": token, "email": email})));
        assert_eq!(refused["code"], "unauthorized", "{case}: {refused}");
        let message = refused["message"].as_str().unwrap();
        assert!(message.contains("[AUTHENTICATIONFAILED]"), "{case}: {message}");
        assert!(!message.contains(&token), "{case}: the token leaked");
        let sent = err(sb.call(
            "YandexMail.SendMessage",
            json!({"token": token, "email": email, "to": MARIA, "text": "x"}),
        ));
        assert_eq!(sent["code"], "unauthorized", "{case}: {sent}");
        assert!(
            sent["message"].as_str().unwrap().contains("535 5.7.8"),
            "{case}: {sent}"
        );
    }
    // A token that expired (the sandbox's clock moved on) and cannot be renewed.
    sb.advance_clock(3601);
    let expired = err(sb.call("YandexMail.GetMessages", json!({"token": ivan, "email": IVAN})));
    assert_eq!(expired["code"], "unauthorized", "{expired}");
    assert!(
        expired["message"].as_str().unwrap().contains("[AUTHENTICATIONFAILED]"),
        "the server's text: {expired}"
    );
    assert!(!expired.to_string().contains(&ivan));
    let expired_smtp = err(sb.call(
        "YandexMail.SendMessage",
        json!({"token": ivan, "email": IVAN, "to": MARIA, "text": "x"}),
    ));
    assert_eq!(expired_smtp["code"], "unauthorized", "{expired_smtp}");
    assert!(
        expired_smtp["message"].as_str().unwrap().contains("535 5.7.8"),
        "{expired_smtp}"
    );
    assert!(!expired_smtp.to_string().contains(&ivan));
    // The log of the IMAP and SMTP commands never holds a token either.
    let log = serde_json::to_string(&sb.requests()).unwrap();
    for secret in [&maria, &ivan] {
        assert!(!log.contains(secret.as_str()));
    }
}

#[test]
fn both_forms_of_the_xoauth2_exchange_are_handled() {
    let sb = sandbox();
    mail_ready(&sb);
    // Inline, as Yandex documents it: one AUTHENTICATE line.
    ok(sb.call(
        "YandexMail.GetMessageCount",
        json!({"credentials": employee(IVAN), "folder": "INBOX"}),
    ));
    let inline: Vec<String> = imap_commands(&sb)
        .into_iter()
        .filter(|c| c.contains("AUTHENTICATE"))
        .collect();
    assert_eq!(inline.len(), 1, "{inline:?}");
    assert!(inline[0].ends_with("AUTHENTICATE XOAUTH2 [masked]"), "{inline:?}");

    // A server that takes no initial response: the library answers its `+` continuation.
    sb.settings(json!({"imap_initial_response": false}));
    sb.clear_requests();
    let counted = ok(sb.call(
        "YandexMail.GetMessageCount",
        json!({"credentials": employee(IVAN), "folder": "INBOX"}),
    ));
    assert_eq!(counted["total"], 4);
    let forms: Vec<String> = imap_commands(&sb)
        .into_iter()
        .filter(|c| c.contains("AUTHENTICATE"))
        .collect();
    assert_eq!(forms.len(), 2, "{forms:?}");
    assert!(forms[1].ends_with("AUTHENTICATE XOAUTH2"), "{forms:?}");

    // An error challenge after the response (Gmail's way): an empty line, then the NO.
    mail_fault(
        &sb,
        json!({"protocol": "imap", "command": "AUTHENTICATE", "action": "gmail_challenge", "times": 5}),
    );
    let refused = err(sb.call("YandexMail.GetFolders", json!({"token": "y0_wrong", "email": IVAN})));
    assert_eq!(refused["code"], "unauthorized", "{refused}");
}

#[test]
fn messages_are_listed_by_page_and_downloaded_exactly() {
    let sb = sandbox();
    mail_ready(&sb);
    let who = employee(IVAN);
    let first = ok(sb.call("YandexMail.GetMessages", json!({"credentials": who, "limit": 2})));
    let uids: Vec<u64> = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(uids, vec![101, 102], "{first}");
    assert_eq!(first["next_after_uid"], 102);
    let rest = ok(sb.call("YandexMail.GetMessages", json!({"credentials": who, "after_uid": 102})));
    let uids: Vec<u64> = rest["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(uids, vec![103, 104]);
    assert_eq!(rest["next_after_uid"], Value::Null);
    let message = &first["messages"][0];
    assert!(!message["subject"].as_str().unwrap().is_empty(), "{message}");
    assert!(message["from"][0]["email"].as_str().unwrap().contains('@'), "{message}");
    assert!(message["size"].as_u64().unwrap() > 0);
    // Listing marks nothing seen.
    let counted = ok(sb.call(
        "YandexMail.GetMessageCount",
        json!({"credentials": who, "folder": "INBOX"}),
    ));
    assert_eq!(counted["unseen"], 2);

    let dir = TempDir::new("mail-download");
    let saved = ok(sb.call(
        "YandexMail.DownloadMessage",
        json!({"credentials": who, "uid": 103, "save_path": dir.path("m.eml")}),
    ));
    let expected = control_bytes(&sb, &format!("mail/message?user={}&folder=INBOX&uid=103", query(IVAN)));
    assert_eq!(std::fs::read(dir.path("m.eml")).unwrap(), expected);
    assert_eq!(saved["size"], expected.len());
    assert_eq!(dir.entries(), vec!["m.eml"], "no temporary file is left");
    let inline = ok(sb.call("YandexMail.DownloadMessage", json!({"credentials": who, "uid": 103})));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(inline["data_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, expected);
    let capped = err(sb.call(
        "YandexMail.DownloadMessage",
        json!({"credentials": who, "uid": 103, "options": {"sandbox": sb.url(), "transfers": {"inline_max_bytes": 10}}}),
    ));
    assert_eq!(capped["code"], "too_large");
    let missing = err(sb.call("YandexMail.DownloadMessage", json!({"credentials": who, "uid": 99})));
    assert_eq!(missing["code"], "not_found", "{missing}");
    let no_folder = err(sb.call("YandexMail.GetMessages", json!({"credentials": who, "folder": "Nope"})));
    assert_eq!(no_folder["code"], "not_found", "{no_folder}");
    let counted = ok(sb.call(
        "YandexMail.GetMessageCount",
        json!({"credentials": who, "folder": "INBOX"}),
    ));
    assert_eq!(counted["unseen"], 2, "downloading marks nothing seen");
}

/// Every saved message of `folder` equals the sandbox's copy byte for byte; returns how many.
fn assert_backed_up(sb: &TestSandbox, dir: &std::path::Path, email: &str, folder: &str) -> usize {
    let listed = sb.control(
        reqwest::Method::GET,
        &format!("mail/messages?user={}&folder={}", query(email), query(folder)),
        None,
    );
    let messages = listed["messages"].as_array().unwrap();
    for message in messages {
        let uid = message["uid"].as_u64().unwrap();
        let expected = control_bytes(
            sb,
            &format!("mail/message?user={}&folder={}&uid={uid}", query(email), query(folder)),
        );
        let saved = std::fs::read(dir.join(format!("{uid}.eml"))).unwrap_or_else(|e| panic!("{folder}/{uid}: {e}"));
        assert!(saved == expected, "{folder}/{uid} differs");
    }
    messages.len()
}

/// No temporary file anywhere under `dir`.
fn assert_no_partial_files(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".diskbridge-part"), "{}", path.display());
        if path.is_dir() {
            assert_no_partial_files(&path);
        }
    }
}

#[test]
fn the_backup_is_exact_incremental_and_survives_a_new_uidvalidity() {
    let sb = sandbox();
    mail_ready(&sb);
    let dir = TempDir::new("mail-backup");
    let params = json!({"credentials": employee(IVAN), "local_dir": dir.0});
    let first = ok(sb.call("YandexMail.BackupMailbox", params.clone()));
    assert_eq!(first["fetched"], SEEDED, "{first}");
    assert_eq!(first["errors"], json!([]));
    let folders = first["folders"].as_array().unwrap();
    let mut total = 0;
    for folder in folders {
        let local = dir.0.join(folder["dir"].as_str().unwrap());
        total += assert_backed_up(&sb, &local, IVAN, folder["name"].as_str().unwrap());
    }
    assert_eq!(total as u64, SEEDED);
    assert!(dir.path("Проекты/Альфа").is_dir());
    assert!(dir.path(".diskbridge-mail-backup.json").is_file());

    // Nothing new: nothing fetched.
    sb.clear_requests();
    let second = ok(sb.call("YandexMail.BackupMailbox", params.clone()));
    assert_eq!(second["fetched"], 0, "{second}");
    assert!(
        !imap_commands(&sb).iter().any(|c| c.contains("BODY.PEEK[]")),
        "no body was fetched"
    );

    // Three new messages: three fetched, in one batch.
    for n in 0..3 {
        let raw = format!("From: a@example.com\r\nTo: {IVAN}\r\nSubject: new {n}\r\n\r\nbody {n}\r\n");
        sb.control(
            reqwest::Method::POST,
            "mail/deliver",
            Some(json!({"user": IVAN, "raw": raw})),
        );
    }
    sb.clear_requests();
    let third = ok(sb.call("YandexMail.BackupMailbox", params.clone()));
    assert_eq!(third["fetched"], 3, "{third}");
    let bodies = imap_commands(&sb).iter().filter(|c| c.contains("BODY.PEEK[]")).count();
    assert_eq!(bodies, 1, "one batch");
    assert_eq!(assert_backed_up(&sb, &dir.path("INBOX"), IVAN, "INBOX"), 7);

    // A new UIDVALIDITY: INBOX is fetched again, and the earlier copies are kept aside.
    let before: Vec<Vec<u8>> = (101..=104)
        .map(|uid| std::fs::read(dir.path(&format!("INBOX/{uid}.eml"))).unwrap())
        .collect();
    let bumped = sb.control(
        reqwest::Method::POST,
        "mail/uidvalidity",
        Some(json!({"user": IVAN, "folder": "INBOX"})),
    );
    let fourth = ok(sb.call("YandexMail.BackupMailbox", params));
    assert_eq!(fourth["fetched"], 7, "{fourth}");
    let inbox = fourth["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "INBOX")
        .unwrap();
    assert_eq!(inbox["uidvalidity"], bumped["uidvalidity"], "{inbox}");
    let moved = inbox["resynced"]["moved_to"].as_str().unwrap();
    for (uid, bytes) in (101..=104).zip(before) {
        assert_eq!(
            std::fs::read(dir.path(&format!("INBOX/{moved}/{uid}.eml"))).unwrap(),
            bytes
        );
    }
    assert_eq!(assert_backed_up(&sb, &dir.path("INBOX"), IVAN, "INBOX"), 7);
    assert_no_partial_files(&dir.0);
}

#[test]
fn a_connection_dropped_mid_message_leaves_nothing_partial() {
    let sb = sandbox();
    mail_ready(&sb);
    let seeded = sb.control(
        reqwest::Method::POST,
        "mail/seed",
        Some(json!({"user": IVAN, "folder": "Archives", "count": 30})),
    );
    assert_eq!(seeded["added"], 30);
    let dir = TempDir::new("mail-drop");
    let drop = json!({"protocol": "imap", "command": "FETCH", "action": "drop", "after_messages": 5, "after_bytes": 100, "user": IVAN});

    // Without retries the folder fails, listed, and nothing partial is left.
    mail_fault(&sb, drop.clone());
    let no_retries = json!({"sandbox": sb.url(), "retries": {"max_attempts": 1}});
    let params =
        json!({"credentials": employee(IVAN), "local_dir": dir.0, "folders": ["Archives"], "options": no_retries});
    let failed = ok(sb.call("YandexMail.BackupMailbox", params));
    assert_eq!(failed["errors"][0]["folder"], "Archives", "{failed}");
    assert_eq!(failed["errors"][0]["code"], "network", "{failed}");
    assert_no_partial_files(&dir.0);
    // The rerun completes.
    let params = json!({"credentials": employee(IVAN), "local_dir": dir.0, "folders": ["Archives"]});
    let rerun = ok(sb.call("YandexMail.BackupMailbox", params.clone()));
    assert_eq!(rerun["errors"], json!([]), "{rerun}");
    assert_eq!(assert_backed_up(&sb, &dir.path("Archives"), IVAN, "Archives"), 30);

    // With retries the same run opens the session again and finishes.
    let other = TempDir::new("mail-drop-retry");
    mail_fault(&sb, drop);
    let params = json!({"credentials": employee(IVAN), "local_dir": other.0, "folders": ["Archives"]});
    let resumed = ok(sb.call("YandexMail.BackupMailbox", params));
    assert_eq!(resumed["errors"], json!([]), "{resumed}");
    assert_eq!(resumed["fetched"], 30);
    assert_eq!(assert_backed_up(&sb, &other.path("Archives"), IVAN, "Archives"), 30);
    assert_no_partial_files(&other.0);
}

#[test]
fn a_cancelled_backup_leaves_whole_messages_and_the_rerun_fetches_the_rest() {
    let sb = sandbox();
    mail_ready(&sb);
    sb.control(
        reqwest::Method::POST,
        "mail/seed",
        Some(json!({"user": IVAN, "folder": "Archives", "count": 500, "max_size": 4096})),
    );
    let dir = TempDir::new("mail-cancel");
    let params = json!({"credentials": employee(IVAN), "local_dir": dir.0, "folders": ["Archives"]});
    let mut reports = Vec::new();
    // Cancelled in the second batch of bodies (a batch is 200 messages).
    let cancelled = sb.call_with_progress("YandexMail.BackupMailbox", params.clone(), &mut |done, total| {
        reports.push((done, total));
        done >= 250
    });
    assert_eq!(err(cancelled)["code"], "cancelled");
    assert!(reports.windows(2).all(|w| w[0].0 < w[1].0), "progress only grows");
    assert!(reports.iter().all(|(done, total)| done <= total), "{reports:?}");
    assert_eq!(reports.last().unwrap().1, 500, "the total is known from the start");
    assert_no_partial_files(&dir.0);
    // Whatever was saved is whole.
    let saved = std::fs::read_dir(dir.path("Archives")).unwrap().count();
    assert!(saved >= 200, "{saved}");
    // The rerun starts after the last batch recorded and completes the folder.
    let rerun = ok(sb.call("YandexMail.BackupMailbox", params));
    assert_eq!(rerun["errors"], json!([]), "{rerun}");
    assert_eq!(rerun["fetched"], 300, "the first batch is not fetched again: {rerun}");
    assert_eq!(assert_backed_up(&sb, &dir.path("Archives"), IVAN, "Archives"), 500);
    assert_no_partial_files(&dir.0);
}

/// `POST /_sandbox/clock` with std's blocking socket: callable from a progress callback, which
/// runs on the library's runtime where a blocking HTTP client may not.
fn advance_clock_raw(base: &str, seconds: i64) {
    let address = base.trim_start_matches("http://");
    let body = format!("{{\"advance_s\": {seconds}}}");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let request = format!(
        "POST /_sandbox/clock HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_token_expiring_mid_run_is_renewed_and_the_run_goes_on() {
    let sb = sandbox();
    mail_ready(&sb);
    sb.settings(json!({"mail_session_ends_with_token": true}));
    sb.control(
        reqwest::Method::POST,
        "mail/seed",
        Some(json!({"user": IVAN, "count": 1000, "max_size": 4096})),
    );
    let dir = TempDir::new("mail-expiry");
    let base = sb.url().to_string();
    let mut advanced = false;
    let params = json!({"credentials": employee(IVAN), "local_dir": dir.0, "folders": "INBOX"});
    // After the first messages arrive, the hour passes on the server's side.
    let reply = sb.call_with_progress("YandexMail.BackupMailbox", params, &mut |done, _| {
        if done >= 10 && !advanced {
            advanced = true;
            advance_clock_raw(&base, 3601);
        }
        false
    });
    assert!(advanced);
    let result = ok(reply.clone());
    assert_eq!(result["errors"], json!([]), "{result}");
    assert_eq!(result["fetched"], 1004, "{result}");
    let exchanges: Vec<Value> = sb
        .requests_to("/yandex-oauth/token")
        .into_iter()
        .filter(|r| r["body"].as_str().unwrap_or("").contains("token-exchange"))
        .collect();
    assert_eq!(
        exchanges.len(),
        2,
        "one exchange at the start, one after the expiry: {exchanges:#?}"
    );
    let logins = imap_commands(&sb)
        .iter()
        .filter(|c| c.contains("AUTHENTICATE XOAUTH2"))
        .count();
    // The first login; on the session opened again after the BYE, the old token refused once,
    // then the new one.
    assert_eq!(logins, 3, "the session was opened again with the new token");
    assert!(
        reply["credentials"]["access_token"].is_string(),
        "the renewed token comes back"
    );
    assert_eq!(assert_backed_up(&sb, &dir.path("INBOX"), IVAN, "INBOX"), 1004);
}

#[test]
fn send_message_delivers_with_an_attachment_and_a_foreign_sender_is_refused() {
    let sb = sandbox();
    mail_ready(&sb);
    let dir = TempDir::new("mail-send");
    let attachment = dir.path("отчёт.pdf");
    std::fs::write(&attachment, common::pattern(20_000, 7)).unwrap();
    let params = json!({
        "credentials": employee(IVAN),
        "to": MARIA,
        "subject": "Отчёт за квартал",
        "text": "Добрый день!\n.\nОтчёт во вложении.",
        "html": "<p>Добрый день!</p>",
        "attachments": [attachment],
    });
    let sent = ok(sb.call("YandexMail.SendMessage", params));
    assert_eq!(sent["recipients"], json!([MARIA]));

    // Maria reads it back.
    let page = ok(sb.call("YandexMail.GetMessages", json!({"credentials": employee(MARIA)})));
    let message = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "Отчёт за квартал");
    let message = message.unwrap_or_else(|| panic!("delivered: {page}"));
    assert_eq!(message["from"][0]["email"], IVAN);
    let uid = message["uid"].as_u64().unwrap();
    let raw = ok(sb.call(
        "YandexMail.DownloadMessage",
        json!({"credentials": employee(MARIA), "uid": uid}),
    ));
    let raw = base64::engine::general_purpose::STANDARD
        .decode(raw["data_base64"].as_str().unwrap())
        .unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let attached = parsed.attachments().next().expect("an attachment");
    assert_eq!(attached.contents(), common::pattern(20_000, 7).as_slice());
    assert_eq!(attached.attachment_name(), Some("отчёт.pdf"));
    assert!(parsed.body_text(0).unwrap().contains("\n.\n"), "dot-stuffing undone");

    // A sender the user does not own.
    let foreign = json!({"credentials": employee(IVAN), "from": MARIA, "to": MARIA, "text": "x"});
    let refused = err(sb.call("YandexMail.SendMessage", foreign));
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("not owned by auth user"),
        "{refused}"
    );

    // Over the size limit: refused before anything is sent.
    let big = dir.path("big.bin");
    std::fs::File::create(&big).unwrap().set_len(43_000_000).unwrap();
    sb.clear_requests();
    let too_big = err(sb.call(
        "YandexMail.SendMessage",
        json!({"credentials": employee(IVAN), "to": MARIA, "text": "x", "attachments": big}),
    ));
    assert_eq!(too_big["code"], "payload_too_large", "{too_big}");
    assert!(
        !sb.requests().iter().any(|r| r["protocol"] == "smtp"),
        "nothing reached the server"
    );
}

#[test]
fn imap_and_smtp_over_implicit_tls_trust_only_the_given_ca() {
    let sb = common::tls_sandbox();
    mail_ready(&sb);
    let counted = ok(sb.call("YandexMail.GetMessageCount", json!({"credentials": employee(IVAN)})));
    assert_eq!(counted["total"], SEEDED);
    let sent = json!({"credentials": employee(IVAN), "to": MARIA, "subject": "over TLS", "text": "x"});
    ok(sb.call("YandexMail.SendMessage", sent));
    assert_eq!(sb.sandbox.listeners()["tls"], true);

    // The same listeners without the sandbox's CA: the certificate is refused.
    let token = exchanged_token(&sb, IVAN);
    let listeners = sb.sandbox.listeners();
    for (endpoint, scheme, method) in [
        ("yandex_imap", "imaps", "YandexMail.GetFolders"),
        ("yandex_smtp", "smtps", "YandexMail.SendMessage"),
    ] {
        let listener = listeners[&endpoint[7..]].as_str().unwrap();
        let options = json!({"endpoints": {endpoint: format!("{scheme}://{listener}")}});
        let mut params = json!({"token": token, "email": IVAN, "options": options});
        if endpoint == "yandex_smtp" {
            params["to"] = json!(MARIA);
            params["text"] = json!("x");
        }
        let refused = err(common::raw_call(method, &params.to_string()));
        assert_untrusted(&refused, endpoint);
        assert!(!refused.to_string().contains(&token));
    }

    // `ca_file` given, but the listeners serve a certificate of another authority: refused at
    // once, never retried.
    let other = common::sandbox_with(diskbridge_sandbox::SandboxOptions {
        tls: true,
        untrusted_certificate: true,
        ..Default::default()
    });
    let listeners = other.sandbox.listeners();
    for (endpoint, scheme, method) in [
        ("yandex_imap", "imaps", "YandexMail.GetFolders"),
        ("yandex_smtp", "smtps", "YandexMail.SendMessage"),
    ] {
        let listener = listeners[&endpoint[7..]].as_str().unwrap();
        let options =
            json!({"endpoints": {endpoint: format!("{scheme}://{listener}")}, "ca_file": other.sandbox.ca_file()});
        let mut params = json!({"token": token, "email": IVAN, "options": options});
        if endpoint == "yandex_smtp" {
            params["to"] = json!(MARIA);
            params["text"] = json!("x");
        }
        let started = std::time::Instant::now();
        let refused = err(common::raw_call(method, &params.to_string()));
        assert_untrusted(&refused, endpoint);
        assert!(started.elapsed() < std::time::Duration::from_secs(3), "not retried");
    }
    // Through the `sandbox` setting, its listeners are looked up over the same untrusted HTTPS.
    let options = json!({"sandbox": other.url(), "ca_file": other.sandbox.ca_file()});
    let refused = err(common::raw_call(
        "YandexMail.GetFolders",
        &json!({"token": token, "email": IVAN, "options": options}).to_string(),
    ));
    assert_untrusted(&refused, "the sandbox's listeners");
    assert!(
        !other
            .requests()
            .iter()
            .any(|r| r["protocol"] == "imap" || r["protocol"] == "smtp"),
        "no command got through"
    );
}

/// `untrusted_certificate`, not retried, naming the cause and the `ca_file` setting.
fn assert_untrusted(refused: &Value, endpoint: &str) {
    assert_eq!(refused["code"], "untrusted_certificate", "{endpoint}: {refused}");
    assert_eq!(refused["retryable"], false, "{endpoint}: {refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("not trusted") && message.contains("ca_file"),
        "{endpoint}: {message}"
    );
}

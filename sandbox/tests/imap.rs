//! The IMAP emulator on the wire, against docs/protocols-mail.md §2: greeting and capabilities,
//! XOAUTH2 in both forms and Yandex's failure answer, folders, SELECT/EXAMINE/STATUS, the UID
//! rules, FETCH, SEARCH, changes with UIDPLUS codes, IDLE, scopes, faults, the request log.

mod common_mail;

use common_mail::{done, tagged, xoauth2, Env, Imap, IVAN, MARIA, OUTSIDER_UID};
use reqwest::Method;
use serde_json::json;

const CAPABILITIES: &str =
    "* CAPABILITY IMAP4rev1 CHILDREN UNSELECT LITERAL+ NAMESPACE XLIST BINARY UIDPLUS ENABLE ID AUTH=PLAIN AUTH=XOAUTH2 IDLE MOVE";
const CAPABILITIES_AFTER_LOGIN: &str =
    "* CAPABILITY IMAP4rev1 CHILDREN UNSELECT LITERAL+ NAMESPACE XLIST BINARY UIDPLUS ENABLE ID IDLE MOVE";

#[tokio::test]
async fn greeting_capabilities_and_both_xoauth2_forms() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut imap = Imap::connect(&env.imap).await;
    assert!(
        imap.greeting.starts_with("* OK Yandex IMAP4rev1 at "),
        "{}",
        imap.greeting
    );
    assert!(imap.greeting.contains(":993 ready to talk with 127.0.0.1:"));
    assert!(!imap.greeting.contains('['), "no capability code in the greeting");
    assert_eq!(
        imap.command("CAPABILITY").await,
        [CAPABILITIES, "t1 OK CAPABILITY Completed."]
    );
    // Inline (SASL-IR style, although SASL-IR is not advertised).
    let lines = imap
        .command(&format!("AUTHENTICATE XOAUTH2 {}", xoauth2(IVAN, &token)))
        .await;
    assert_eq!(lines, [CAPABILITIES_AFTER_LOGIN, "t2 OK AUTHENTICATE Completed."]);
    assert_eq!(imap.command("CAPABILITY").await[0], CAPABILITIES_AFTER_LOGIN);
    // After the `+ ` continuation (what imaplib does).
    let mut imap = Imap::connect(&env.imap).await;
    imap.send_line("A0001 AUTHENTICATE XOAUTH2").await;
    assert_eq!(imap.line().await, "+ ");
    imap.send_line(&xoauth2(IVAN, &token)).await;
    assert_eq!(
        imap.until_tagged("A0001").await,
        [CAPABILITIES_AFTER_LOGIN, "A0001 OK AUTHENTICATE Completed."]
    );
}

#[tokio::test]
async fn failed_logins_get_yandex_s_tagged_no() {
    let env = Env::start().await;
    let ivan = env.token(IVAN, None).await;
    let smtp_only = env.token(IVAN, Some("mail:smtp")).await;
    let outsider = env.device_token(Some(OUTSIDER_UID)).await;
    let attempts = [
        xoauth2(IVAN, "y0_not-a-token"),
        xoauth2(MARIA, &ivan),
        xoauth2(IVAN, &smtp_only),
        xoauth2("outsider@yandex.ru", &ivan),
        "bm90IHhvYXV0aDI=".to_string(),
    ];
    for response in attempts {
        let mut imap = Imap::connect(&env.imap).await;
        let answer = tagged(&imap.command(&format!("AUTHENTICATE XOAUTH2 {response}")).await).to_string();
        assert!(
            answer.starts_with("t1 NO [AUTHENTICATIONFAILED] AUTHENTICATE Invalid credentials or IMAP is disabled sc="),
            "{answer}"
        );
        assert!(!answer.contains(&ivan));
    }
    // The outsider's own token works for the outsider's own mailbox.
    let mut imap = Imap::connect(&env.imap).await;
    let answer = imap
        .command(&format!(
            "AUTHENTICATE XOAUTH2 {}",
            xoauth2("outsider@yandex.ru", &outsider)
        ))
        .await;
    assert!(tagged(&answer).starts_with("t1 OK"), "{answer:?}");
    // `*` cancels; LOGIN has no app passwords to accept.
    let mut imap = Imap::connect(&env.imap).await;
    imap.send_line("c1 AUTHENTICATE XOAUTH2").await;
    assert_eq!(imap.line().await, "+ ");
    imap.send_line("*").await;
    assert_eq!(imap.line().await, "c1 BAD AUTHENTICATE Cancelled");
    let answer = imap.command("LOGIN ivan.petrov secret").await;
    assert!(
        tagged(&answer).starts_with("t1 NO [AUTHENTICATIONFAILED] LOGIN Invalid credentials or IMAP is disabled sc=")
    );
    assert!(
        tagged(&imap.command("SELECT INBOX").await).starts_with("t2 BAD"),
        "no commands before login"
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_and_can_end_a_session() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut session = env.imap_as(IVAN, &token).await;
    env.post("clock", json!({"advance_s": 3601})).await;
    let mut imap = Imap::connect(&env.imap).await;
    let answer = imap
        .command(&format!("AUTHENTICATE XOAUTH2 {}", xoauth2(IVAN, &token)))
        .await;
    assert!(tagged(&answer).starts_with("t1 NO [AUTHENTICATIONFAILED]"));
    // By default a session outlives its token ([unverified] either way)...
    assert_eq!(session.command("NOOP").await, ["t1 OK NOOP Completed."]);
    // ...unless the setting says otherwise.
    env.post("settings", json!({"mail_session_ends_with_token": true}))
        .await;
    session.send_line("t2 NOOP").await;
    assert_eq!(
        session.line().await,
        "* BYE [UNAVAILABLE] Session expired, please login again"
    );
    assert_eq!(session.line().await, "");
}

#[tokio::test]
async fn list_shows_modified_utf7_names_flags_and_a_literal() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    let lines = imap.command("LIST \"\" *").await;
    let expected = [
        "* LIST (\\Marked \\NoInferiors) \"|\" INBOX",
        "* LIST (\\Unmarked \\HasNoChildren \\Sent) \"|\" \"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-\"",
        "* LIST (\\Unmarked \\HasNoChildren) \"|\" \"&BBgEQQRFBD4ENARPBEkEOAQ1-\"",
        "* LIST (\\Marked \\HasNoChildren \\Junk) \"|\" \"&BCEEPwQwBDw-\"",
        "* LIST (\\Unmarked \\HasNoChildren \\Trash) \"|\" \"&BCMENAQwBDsENQQ9BD0ESwQ1-\"",
        "* LIST (\\Unmarked \\HasNoChildren \\Drafts) \"|\" \"&BCcENQRABD0EPgQyBDgEOgQ4-\"",
        "* LIST (\\Unmarked \\HasChildren) \"|\" Archives",
        "* LIST (\\Unmarked \\HasNoChildren) \"|\" \"Archives|2017\"",
        "* LIST (\\Unmarked \\HasNoChildren) \"|\" Templates",
        "* LIST (\\Unmarked \\Noselect \\HasChildren) \"|\" \"&BB8EQAQ+BDUEOgRCBEs-\"",
        "* LIST (\\Unmarked \\HasNoChildren) \"|\" \"&BB8EQAQ+BDUEOgRCBEs-|&BBAEOwRMBEQEMA-\"",
        "* LIST (\\Marked \\HasNoChildren) \"|\" {25}\r\n&BB4EQgRHBFEEQgRL- \"2026\"",
        "t1 OK LIST Completed.",
    ];
    assert_eq!(lines, expected);
    assert_eq!(
        imap.command("LIST \"\" \"\"").await[0],
        "* LIST (\\Noselect) \"|\" \"\""
    );
    assert_eq!(imap.command("LIST \"\" %").await.len(), 11, "no second level with %");
    assert_eq!(
        imap.command("LIST Archives| %").await[0],
        "* LIST (\\Unmarked \\HasNoChildren) \"|\" \"Archives|2017\""
    );
    assert_eq!(imap.command("NAMESPACE").await[0], "* NAMESPACE ((\"\" \"|\")) NIL NIL");
    // The folder that needs a literal can be selected through one.
    imap.send_line("s1 SELECT {25}").await;
    assert_eq!(imap.line().await, "+ Ready for literal data");
    imap.send_line("&BB4EQgRHBFEEQgRL- \"2026\"").await;
    let lines = imap.until_tagged("s1").await;
    assert!(lines.contains(&"* 1 EXISTS".to_string()), "{lines:?}");
    // LITERAL+: no continuation.
    imap.send_line("s2 STATUS {25+}\r\n&BB4EQgRHBFEEQgRL- \"2026\" (MESSAGES)")
        .await;
    let lines = imap.until_tagged("s2").await;
    assert_eq!(lines[0], "* STATUS {25}\r\n&BB4EQgRHBFEEQgRL- \"2026\" (MESSAGES 1)");
}

#[tokio::test]
async fn select_examine_and_status_follow_the_rfc() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    let status = imap.command("STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)").await;
    assert_eq!(
        status[0],
        "* STATUS INBOX (MESSAGES 4 UIDNEXT 105 UIDVALIDITY 1600000000 UNSEEN 2)"
    );
    let select = imap.command("SELECT INBOX").await;
    assert_eq!(
        select,
        [
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Limited",
            "* 4 EXISTS",
            "* 0 RECENT",
            "* OK [UNSEEN 3] First unseen.",
            "* OK [UIDVALIDITY 1600000000] UIDs valid",
            "* OK [UIDNEXT 105] Predicted next UID",
            "t2 OK [READ-WRITE] SELECT Completed.",
        ]
    );
    let examine = imap.command("EXAMINE \"&BCEEPwQwBDw-\"").await;
    assert_eq!(examine[1], "* OK [PERMANENTFLAGS ()] No permanent flags permitted");
    assert_eq!(done(&examine), "OK [READ-ONLY] EXAMINE Completed.");
    let missing = imap.command("SELECT Nowhere").await;
    assert_eq!(done(&missing), "NO [NONEXISTENT] SELECT No such folder");
    assert_eq!(
        done(&imap.command("SELECT \"&BB8EQAQ+BDUEOgRCBEs-\"").await),
        "NO SELECT Nonselectable folder"
    );
    assert_eq!(
        done(&imap.command("SELECT \"&BCE\"").await),
        "NO SELECT Folder encoding error"
    );
    assert_eq!(
        done(&imap.command("FETCH 1 FLAGS").await),
        "BAD FETCH No mailbox selected"
    );
}

#[tokio::test]
async fn uid_fetch_search_and_the_star_rule() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    imap.command("EXAMINE INBOX").await;
    assert_eq!(
        imap.command("UID SEARCH UID 101:*").await[0],
        "* SEARCH 101 102 103 104"
    );
    // n:* holds the highest UID even when it is below n.
    let lines = imap.command("UID FETCH 105:* (UID FLAGS)").await;
    assert_eq!(lines, ["* 4 FETCH (UID 104 FLAGS ())", "t3 OK UID FETCH Completed."]);
    let lines = imap
        .command("UID FETCH 101:* (UID RFC822.SIZE INTERNALDATE FLAGS)")
        .await;
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0],
        "* 1 FETCH (UID 101 RFC822.SIZE 468 INTERNALDATE \"28-Feb-2026 08:00:05 +0300\" FLAGS (\\Seen))"
    );
    let raw = env
        .http
        .get(format!(
            "{}/_sandbox/mail/message?user={IVAN}&folder=INBOX&uid=101",
            env.url
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let body = imap.command("UID FETCH 101 (BODY.PEEK[])").await;
    assert_eq!(
        body[0],
        format!(
            "* 1 FETCH (UID 101 BODY[] {{{}}}\r\n{})",
            raw.len(),
            String::from_utf8_lossy(&raw)
        )
    );
    let header = imap.command("FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject)])").await;
    assert_eq!(
        header[0],
        "* 2 FETCH (BODY[HEADER.FIELDS (Subject)] {34}\r\nSubject: Welcome to Yandex 360\r\n\r\n)"
    );
    let partial = imap.command("UID FETCH 101 (BODY.PEEK[]<0.6>)").await;
    assert_eq!(partial[0], "* 1 FETCH (UID 101 BODY[]<0> {6}\r\nFrom: )");
    assert_eq!(imap.command("SEARCH UNSEEN").await[0], "* SEARCH 3 4");
    assert_eq!(imap.command("UID SEARCH SUBJECT \"meeting\"").await[0], "* SEARCH 104");
    // Encoded words are searched decoded; literals carry UTF-8.
    imap.send_line("u1 UID SEARCH CHARSET UTF-8 SUBJECT {16}").await;
    assert_eq!(imap.line().await, "+ Ready for literal data");
    imap.send_raw("вложение\r\n".as_bytes()).await;
    assert_eq!(imap.until_tagged("u1").await[0], "* SEARCH 103");
    assert_eq!(
        imap.command("SEARCH OR FLAGGED LARGER 700 NOT SEEN").await[0],
        "* SEARCH 3"
    );
    assert_eq!(imap.command("UID SEARCH SINCE 2-Mar-2026").await[0], "* SEARCH 103 104");
    // Yandex's SENTSINCE finds mail a couple of days older (setting `imap_sentsince_slack_days`).
    assert_eq!(
        imap.command("UID SEARCH SENTSINCE 2-Mar-2026").await[0],
        "* SEARCH 101 102 103 104"
    );
    env.post("settings", json!({"imap_sentsince_slack_days": 0})).await;
    assert_eq!(
        imap.command("UID SEARCH SENTSINCE 2-Mar-2026").await[0],
        "* SEARCH 103 104"
    );
    assert_eq!(
        done(&imap.command("SEARCH CHARSET KOI8-R ALL").await),
        "NO [BADCHARSET (UTF-8 US-ASCII)] SEARCH Unsupported charset"
    );
}

#[tokio::test]
async fn body_marks_seen_only_in_a_read_write_folder() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    imap.command("EXAMINE INBOX").await;
    let fetched = imap.command("UID FETCH 104 (BODY[])").await;
    assert!(!fetched[0].contains("FLAGS"), "{fetched:?}");
    imap.command("SELECT INBOX").await;
    let fetched = imap.command("UID FETCH 103 (BODY.PEEK[TEXT])").await;
    assert!(!fetched[0].contains("FLAGS"));
    let fetched = imap.command("UID FETCH 104 (BODY[TEXT])").await;
    assert!(fetched[0].ends_with(" FLAGS (\\Seen))"), "{fetched:?}");
    assert_eq!(imap.command("UID SEARCH UNSEEN").await[0], "* SEARCH 103");
}

#[tokio::test]
async fn changes_answer_with_uidplus_codes() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    imap.command("SELECT INBOX").await;
    assert_eq!(
        imap.command("UID STORE 101 +FLAGS (\\Flagged $Work)").await[0],
        "* 1 FETCH (UID 101 FLAGS (\\Flagged \\Seen $Work))"
    );
    assert_eq!(
        imap.command("STORE 1 -FLAGS.SILENT ($Work)").await,
        ["t3 OK STORE Completed."]
    );
    let copy = imap.command("UID COPY 101:102 Archives").await;
    assert_eq!(done(&copy), "OK [COPYUID 1600000006 101:102 1:2] UID COPY Completed.");
    let moved = imap.command("UID MOVE 103 Templates").await;
    assert_eq!(
        moved,
        [
            "* OK [COPYUID 1600000008 103 1] Moved",
            "* 3 EXPUNGE",
            "t5 OK UID MOVE Completed."
        ]
    );
    imap.command("STORE 1 +FLAGS (\\Deleted)").await;
    assert_eq!(
        imap.command("EXPUNGE").await,
        ["* 1 EXPUNGE", "t7 OK EXPUNGE Completed."]
    );
    let append = imap
        .command("APPEND INBOX (\\Seen) \" 2-Mar-2026 10:00:05 +0300\" {21+}\r\nSubject: hi\r\n\r\nHello!")
        .await;
    assert_eq!(
        append,
        ["* 3 EXISTS", "t8 OK [APPENDUID 1600000000 105] APPEND Completed."]
    );
    assert_eq!(
        done(&imap.command("APPEND Nowhere {1+}\r\nx").await),
        "NO [TRYCREATE] APPEND No such folder"
    );
    assert_eq!(
        done(&imap.command("CREATE \"&BCAEMAQxBD4EQgQw-|2026\"").await),
        "OK CREATE Completed."
    );
    assert_eq!(
        done(&imap.command("CREATE \"&BCAEMAQxBD4EQgQw-|2026\"").await),
        "NO [ALREADYEXISTS] CREATE Folder already exists"
    );
    assert_eq!(
        done(&imap.command("RENAME \"&BCAEMAQxBD4EQgQw-\" Work").await),
        "OK RENAME Completed."
    );
    assert_eq!(imap.command("LIST \"\" Work*").await.len(), 3);
    assert_eq!(
        done(&imap.command("DELETE INBOX").await),
        "NO [CANNOT] DELETE System folders cannot be deleted"
    );
    assert_eq!(done(&imap.command("DELETE Work|2026").await), "OK DELETE Completed.");
    let folders = env.get(&format!("mail/folders?user={IVAN}")).await;
    let inbox = &folders["folders"][0];
    assert_eq!(
        (inbox["messages"].as_u64(), inbox["uidnext"].as_u64()),
        (Some(3), Some(106))
    );
}

#[tokio::test]
async fn a_read_only_token_cannot_delete_or_change_anything() {
    let env = Env::start().await;
    let token = env.token(IVAN, Some("mail:imap_ro")).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    let select = imap.command("SELECT INBOX").await;
    assert_eq!(done(&select), "OK [READ-ONLY] SELECT Completed.");
    for (command, refused) in [
        ("STORE 1 +FLAGS (\\Deleted)", "NO [NOPERM] STORE Access denied"),
        ("EXPUNGE", "NO [NOPERM] EXPUNGE Access denied"),
        ("UID MOVE 101 Archives", "NO [NOPERM] UID MOVE Access denied"),
        ("COPY 1 Archives", "NO [NOPERM] COPY Access denied"),
        ("APPEND INBOX {1+}\r\nx", "NO [NOPERM] APPEND Access denied"),
        ("CREATE New", "NO [NOPERM] CREATE Access denied"),
        ("DELETE Templates", "NO [NOPERM] DELETE Access denied"),
    ] {
        assert_eq!(done(&imap.command(command).await), refused);
    }
    let folders = env.get(&format!("mail/folders?user={IVAN}")).await;
    assert_eq!(folders["folders"][0]["messages"], 4);
    // A full token in an EXAMINEd folder is read-only too.
    let full = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &full).await;
    imap.command("EXAMINE INBOX").await;
    assert_eq!(
        done(&imap.command("EXPUNGE").await),
        "NO [READ-ONLY] EXPUNGE Folder is opened read-only"
    );
}

#[tokio::test]
async fn idle_reports_mail_delivered_meanwhile() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    imap.command("SELECT INBOX").await;
    imap.send_line("i1 IDLE").await;
    assert_eq!(imap.line().await, "+ idling");
    env.post(
        "mail/deliver",
        json!({"user": IVAN, "raw": "Subject: new\r\n\r\nnew\r\n"}),
    )
    .await;
    assert_eq!(imap.line().await, "* 5 EXISTS");
    imap.send_line("DONE").await;
    assert_eq!(imap.line().await, "i1 OK IDLE Completed.");
    // Another session's expunge reaches this one at its next NOOP.
    let mut other = env.imap_as(IVAN, &token).await;
    other.command("SELECT INBOX").await;
    other.command("UID STORE 101 +FLAGS.SILENT (\\Deleted)").await;
    other.command("EXPUNGE").await;
    assert_eq!(imap.command("NOOP").await, ["* 1 EXPUNGE", "t2 OK NOOP Completed."]);
}

#[tokio::test]
async fn a_dropped_connection_cuts_a_fetch_in_the_middle_of_a_literal() {
    let env = Env::start().await;
    let seeded = env
        .post("mail/seed", json!({"user": MARIA, "folder": "Archives", "count": 5}))
        .await;
    assert_eq!(
        (seeded["first_uid"].as_u64(), seeded["last_uid"].as_u64()),
        (Some(1), Some(5))
    );
    env.post(
        "mail/faults",
        json!({"protocol": "imap", "command": "FETCH", "action": "drop", "after_messages": 2, "after_bytes": 100}),
    )
    .await;
    let token = env.token(MARIA, None).await;
    let mut imap = env.imap_as(MARIA, &token).await;
    imap.command("EXAMINE Archives").await;
    imap.send_line("f1 UID FETCH 1:* (BODY.PEEK[])").await;
    let mut whole = 0;
    for _ in 0..2 {
        let response = imap.response().await;
        assert!(response.starts_with("* "), "{response}");
        whole += 1;
    }
    let head = imap.line().await;
    assert!(head.starts_with("* 3 FETCH (UID 3 BODY[] {"), "{head}");
    let rest = imap.rest().await;
    assert_eq!(
        (whole, rest.len()),
        (2, 100),
        "two whole messages, then 100 bytes of the third"
    );
    // The fault is used up: the rerun completes.
    let mut imap = env.imap_as(MARIA, &token).await;
    imap.command("EXAMINE Archives").await;
    assert_eq!(imap.command("UID FETCH 1:* (BODY.PEEK[])").await.len(), 6);
}

#[tokio::test]
async fn bye_no_and_gmail_s_challenge_on_demand() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    env.post(
        "mail/faults",
        json!([
            {"protocol": "imap", "command": "NOOP", "action": "no", "user": IVAN},
            {"protocol": "imap", "command": "STATUS", "action": "bye", "text": "Maintenance"},
            {"protocol": "imap", "command": "AUTHENTICATE", "action": "gmail_challenge"},
        ]),
    )
    .await;
    let mut imap = Imap::connect(&env.imap).await;
    imap.send_line("g1 AUTHENTICATE XOAUTH2").await;
    assert_eq!(imap.line().await, "+ ");
    imap.send_line(&xoauth2(IVAN, "y0_bad")).await;
    assert_eq!(
        imap.line().await,
        "+ eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ=="
    );
    imap.send_line("").await;
    assert_eq!(
        imap.line().await,
        "g1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"
    );
    let mut imap = env.imap_as(IVAN, &token).await;
    assert_eq!(
        imap.command("NOOP").await,
        ["t1 NO [UNAVAILABLE] Temporary failure, try again later"]
    );
    imap.send_line("b1 STATUS INBOX (MESSAGES)").await;
    assert_eq!(imap.line().await, "* BYE Maintenance");
    assert!(imap.rest().await.is_empty());
}

#[tokio::test]
async fn uidvalidity_bump_renumbers_the_folder() {
    let env = Env::start().await;
    let bumped = env
        .post("mail/uidvalidity", json!({"user": IVAN, "folder": "INBOX"}))
        .await;
    let uidvalidity = bumped["uidvalidity"].as_u64().unwrap();
    assert!(uidvalidity > 1_600_000_000);
    assert_eq!(bumped["uidnext"], 5);
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    let status = imap.command("STATUS INBOX (UIDVALIDITY UIDNEXT)").await;
    assert_eq!(
        status[0],
        format!("* STATUS INBOX (UIDVALIDITY {uidvalidity} UIDNEXT 5)")
    );
    imap.command("EXAMINE INBOX").await;
    assert_eq!(imap.command("UID SEARCH ALL").await[0], "* SEARCH 1 2 3 4");
    // A session holding the folder learns it changed under it.
    env.post("mail/uidvalidity", json!({"user": IVAN, "folder": "INBOX"}))
        .await;
    imap.send_line("n1 NOOP").await;
    assert_eq!(
        imap.line().await,
        "* BYE [UNAVAILABLE] The selected folder has changed, please reconnect"
    );
}

#[tokio::test]
async fn the_request_log_shows_commands_without_secrets() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    imap.command("SELECT INBOX").await;
    let mut imap = Imap::connect(&env.imap).await;
    imap.command(&format!("AUTHENTICATE XOAUTH2 {}", xoauth2(IVAN, &token)))
        .await;
    let mut imap = Imap::connect(&env.imap).await;
    imap.command("LOGIN ivan.petrov app-password").await;
    let log = env.get("requests").await.to_string();
    assert!(!log.contains(&token) && !log.contains(&xoauth2(IVAN, &token)) && !log.contains("app-password"));
    let entries = env.get("requests").await;
    let imap_entries: Vec<&serde_json::Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["protocol"] == "imap")
        .collect();
    let commands: Vec<&str> = imap_entries.iter().map(|e| e["command"].as_str().unwrap()).collect();
    assert_eq!(
        commands,
        [
            "a0 AUTHENTICATE XOAUTH2",
            "t1 SELECT INBOX",
            "t1 AUTHENTICATE XOAUTH2 [masked]",
            "t1 LOGIN ivan.petrov [masked]",
        ]
    );
    assert_eq!(imap_entries[1]["user"], IVAN);
    assert_eq!(imap_entries[1]["method"], "SELECT");
    assert_eq!(imap_entries[1]["status"], "OK");
    assert_eq!(imap_entries[3]["status"], "NO");
}

#[tokio::test]
async fn bounds_and_bad_input() {
    let env = Env::start().await;
    let mut imap = Imap::connect(&env.imap).await;
    assert_eq!(
        imap.command("FROB").await,
        ["t1 BAD FROB Command is not allowed in this state"]
    );
    imap.send_line("+x NOOP").await;
    assert_eq!(imap.line().await, "* BAD Invalid tag");
    imap.send_line("big APPEND INBOX {99999999}").await;
    assert_eq!(imap.line().await, "big NO [TOOBIG] Literal is too big");
    let token = env.token(IVAN, None).await;
    let mut imap = env.imap_as(IVAN, &token).await;
    imap.command("EXAMINE INBOX").await;
    assert_eq!(
        done(&imap.command("UID FETCH 1:* (FOO)").await),
        "BAD UID FETCH Unknown fetch attribute FOO"
    );
    assert_eq!(done(&imap.command("LIST").await), "BAD LIST Expected ' '");
    imap.send_raw(&vec![b'a'; 70 * 1024]).await;
    imap.send_line("").await;
    assert_eq!(imap.line().await, "* BYE Command line is too long");
    let (status, _) = env
        .control(
            Method::POST,
            "mail/seed",
            Some(json!({"user": IVAN, "count": 1, "min_size": 10})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = env
        .control(Method::POST, "mail/seed", Some(json!({"user": "nobody", "count": 1})))
        .await;
    assert_eq!(status, 404);
    let (status, _) = env
        .control(
            Method::POST,
            "mail/faults",
            Some(json!({"protocol": "smtp", "command": "DATA", "action": "bye"})),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn listeners_are_announced() {
    let env = Env::start().await;
    let listeners = env.get("listeners").await;
    assert_eq!(listeners["http"], env.url);
    for key in ["imap", "smtp"] {
        let address = listeners[key].as_str().unwrap();
        assert!(
            address.starts_with("127.0.0.1:") && address[10..].parse::<u16>().is_ok(),
            "{address}"
        );
    }
    let caldav = listeners["caldav"].as_str().unwrap();
    assert!(
        caldav.starts_with("http://127.0.0.1:") && caldav.ends_with('/'),
        "{caldav}"
    );
    assert_eq!(&listeners, env.sandbox.listeners());
}

#[tokio::test]
async fn mailboxes_survive_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("diskbridge-mailsb-state-{}", std::process::id()));
    let options = || diskbridge_sandbox::SandboxOptions {
        data_dir: Some(dir.clone()),
        ..diskbridge_sandbox::SandboxOptions::default()
    };
    let first = diskbridge_sandbox::Sandbox::start_with(options()).unwrap();
    let http = reqwest::Client::new();
    let post =
        |path: &str, body: serde_json::Value| http.post(format!("{}/_sandbox/{path}", first.url())).json(&body).send();
    assert_eq!(
        post("mail/seed", json!({"user": IVAN, "folder": "Templates", "count": 3}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post(
            "mail/deliver",
            json!({"user": IVAN, "raw": "Subject: kept\r\n\r\nkept\r\n"})
        )
        .await
        .unwrap()
        .status(),
        200
    );
    let before: serde_json::Value = http
        .get(format!(
            "{}/_sandbox/mail/messages?user={IVAN}&folder=Templates&sha256=true",
            first.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    drop(first);
    let second = diskbridge_sandbox::Sandbox::start_with(options()).unwrap();
    let after: serde_json::Value = http
        .get(format!(
            "{}/_sandbox/mail/messages?user={IVAN}&folder=Templates&sha256=true",
            second.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);
    let inbox: serde_json::Value = http
        .get(format!("{}/_sandbox/mail/folders?user={IVAN}", second.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["folders"][0]["messages"], 5);
    drop(second);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The link's latency (`rtt_ms`, docs/sandbox.md) holds for the line protocols as for HTTP: a
/// new connection waits a round trip (its handshake), every command another. Lower bounds only,
/// so a loaded machine cannot make it flake.
#[tokio::test]
async fn rtt_ms_delays_imap_and_smtp_connections_and_commands() {
    use common_mail::Smtp;
    use std::time::{Duration, Instant};
    let env = Env::start().await;
    env.post("settings", json!({"rtt_ms": 150})).await;
    let started = Instant::now();
    let mut imap = Imap::connect(&env.imap).await;
    let connected = started.elapsed();
    assert!(
        connected >= Duration::from_millis(150),
        "IMAP greeting after {connected:?}"
    );
    let started = Instant::now();
    assert!(tagged(&imap.command("NOOP").await).starts_with("t1 OK"));
    assert!(tagged(&imap.command("NOOP").await).starts_with("t2 OK"));
    let two = started.elapsed();
    assert!(two >= Duration::from_millis(300), "two IMAP commands in {two:?}");
    let started = Instant::now();
    let mut smtp = Smtp::connect(&env.smtp).await;
    assert!(smtp.command("EHLO client.example").await.starts_with("250-"));
    let smtp_time = started.elapsed();
    assert!(
        smtp_time >= Duration::from_millis(300),
        "SMTP greeting and EHLO in {smtp_time:?}"
    );
}

/// The listeners stop with the sandbox: its drop closes the IMAP, SMTP and CalDAV ports and cuts
/// the sessions still open (bounded waits: a hang fails instead of blocking).
#[test]
fn dropping_the_sandbox_closes_the_listeners_and_cuts_open_sessions() {
    use std::io::{BufRead, BufReader, Read};
    use std::net::TcpStream;
    use std::time::Duration;
    let sandbox = diskbridge_sandbox::Sandbox::start().unwrap();
    let listeners = sandbox.listeners().clone();
    let caldav = listeners["caldav"].as_str().unwrap();
    let caldav = caldav.trim_start_matches("http://").trim_end_matches('/').to_string();
    let addresses = [
        listeners["imap"].as_str().unwrap().to_string(),
        listeners["smtp"].as_str().unwrap().to_string(),
        caldav,
    ];
    let open = TcpStream::connect(&addresses[0]).unwrap();
    open.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut open = BufReader::new(open);
    let mut greeting = String::new();
    open.read_line(&mut greeting).unwrap();
    assert!(greeting.starts_with("* OK"), "{greeting}");
    drop(sandbox);
    let mut rest = Vec::new();
    // Closed or reset, not timed out.
    match open.read_to_end(&mut rest) {
        Ok(read) => assert_eq!(read, 0, "the session went on after the sandbox"),
        Err(err) => assert!(
            !matches!(
                err.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "the session outlived the sandbox"
        ),
    }
    for address in &addresses {
        assert!(TcpStream::connect(address).is_err(), "{address} still accepts");
    }
}

//! Yandex Calendar over CalDAV through the C ABI against the sandbox's CalDAV listener, with an
//! employee's one-hour tokens from the Yandex 360 token exchange: calendars listed, made and
//! deleted by name; an event with a Telemost meeting created, found in its time range, changed
//! (a stale ETag is `conflict`) and deleted; 5xx answers on writes that did or did not land; the
//! missing right; discovery of the user's calendars; TLS with `ca_file`; hostile answers.

mod common;
#[path = "common/organization.rs"]
mod organization;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{err, ok, raw_call, sandbox, TestSandbox};
use diskbridge_sandbox::{
    Sandbox, SandboxOptions, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET, YANDEX_SERVICE_CLIENT_ID,
    YANDEX_SERVICE_CLIENT_SECRET,
};
use organization::{employee, register_service_application, CALENDAR_SCOPES, IVAN_EMAIL, MARIA_EMAIL};
use serde_json::{json, Value};

/// Options that name every endpoint instead of the `sandbox` setting, CalDAV at its listener.
fn options_for(sandbox: &Sandbox) -> Value {
    let url = sandbox.url();
    json!({
        "endpoints": {
            "yandex_oauth": format!("{url}/yandex-oauth"),
            "yandex_login": format!("{url}/yandex-login"),
            "yandex_telemost": format!("{url}/yandex-telemost"),
            "yandex_caldav": sandbox.listeners()["caldav"],
        },
        "retries": {"base_delay_ms": 20, "max_delay_ms": 50},
    })
}

/// Calls with the sandbox's options: the `sandbox` setting, which finds the CalDAV listener
/// by itself.
fn call(sb: &TestSandbox, method: &str, params: Value) -> Value {
    sb.call(method, params)
}

fn ready() -> TestSandbox {
    let sb = sandbox();
    register_service_application(&sb, CALENDAR_SCOPES);
    sb
}

fn with(mut base: Value, extra: Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

fn ivan(extra: Value) -> Value {
    with(json!({"credentials": employee(IVAN_EMAIL)}), extra)
}

/// The summaries of the events GetEvents finds in the range.
fn summaries(sb: &TestSandbox, who: &str, from: &str, to: &str) -> Vec<String> {
    let found = ok(call(
        sb,
        "YandexCalendar.GetEvents",
        json!({"credentials": employee(who), "from": from, "to": to}),
    ));
    found["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The logged CalDAV requests with this method.
fn caldav_requests(sb: &TestSandbox, method: &str) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap_or("").starts_with("/calendars/"))
        .count()
}

#[test]
fn a_meeting_with_a_telemost_link_is_found_changed_and_deleted() {
    let sb = ready();
    let calendars = ok(call(&sb, "YandexCalendar.GetCalendars", ivan(json!({}))));
    let names: Vec<&str> = calendars["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Мои события") && names.contains(&"Мой календарь"),
        "{calendars}"
    );
    let main = calendars["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "events-default")
        .unwrap();
    assert_eq!(main["writable"], true);
    assert_eq!(main["components"], json!(["VEVENT"]));

    let made = ok(call(
        &sb,
        "YandexCalendar.CreateEvent",
        ivan(json!({
            "summary": "Обзор проекта, 2 этаж", "start": "2026-12-10T10:00", "end": "2026-12-10T11:00",
            "timezone": "Europe/Moscow", "description": "Повестка; итоги", "location": "Кафе, 2 этаж",
            "attendees": [MARIA_EMAIL], "telemost": true,
        })),
    ));
    let link = made["telemost_link"].as_str().expect("a Telemost link").to_string();
    assert!(link.starts_with("https://telemost.yandex.ru/j/"), "{made}");
    assert_eq!(made["summary"], "Обзор проекта, 2 этаж");
    assert_eq!(made["location"], "Кафе, 2 этаж");
    assert_eq!(
        (made["start"].as_str(), made["timezone"].as_str()),
        (Some("2026-12-10T10:00:00"), Some("Europe/Moscow"))
    );
    assert_eq!(made["organizer"], IVAN_EMAIL);
    assert!(
        made["description"].as_str().unwrap().contains(&link),
        "the server adds the link: {made}"
    );
    let etag = made["etag"].as_str().expect("an ETag read back").to_string();

    // In its time range (10:00–11:00 Moscow is 07:00–08:00 UTC), and not outside it.
    assert!(
        summaries(&sb, IVAN_EMAIL, "2026-12-10T07:30:00Z", "2026-12-10T09:00:00Z")
            .contains(&"Обзор проекта, 2 этаж".to_string())
    );
    assert!(
        !summaries(&sb, IVAN_EMAIL, "2026-12-10T08:00:00Z", "2026-12-10T09:00:00Z")
            .contains(&"Обзор проекта, 2 этаж".to_string())
    );
    // The colleague has it too, with the same meeting.
    let maria = ok(call(
        &sb,
        "YandexCalendar.GetEvents",
        json!({"credentials": employee(MARIA_EMAIL), "from": "2026-12-10", "to": "2026-12-11"}),
    ));
    let copy = maria["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uid"] == made["uid"])
        .expect("maria's copy");
    assert_eq!(copy["telemost_link"], json!(link));
    // The meeting is Ivan's in the Telemost API.
    let conference = ok(call(
        &sb,
        "Telemost.GetConference",
        ivan(json!({"conference_id": link.rsplit('/').next().unwrap()})),
    ));
    assert_eq!(conference["join_url"], json!(link));

    let read = ok(call(&sb, "YandexCalendar.GetEvent", ivan(json!({"uid": made["uid"]}))));
    assert_eq!(read["href"], made["href"]);
    assert!(read["ics"].as_str().unwrap().contains("X-TELEMOST-CONFERENCE"));

    let changed = ok(call(
        &sb,
        "YandexCalendar.UpdateEvent",
        ivan(
            json!({"href": made["href"], "etag": etag, "summary": "Обзор проекта (перенесён)", "start": "2026-12-11T10:00", "end": "2026-12-11T10:30", "timezone": "Europe/Moscow"}),
        ),
    ));
    assert_eq!(changed["summary"], "Обзор проекта (перенесён)");
    assert_eq!(changed["telemost_link"], json!(link), "the meeting stays");
    assert_eq!(changed["location"], "Кафе, 2 этаж", "fields not given are kept");
    assert_ne!(changed["etag"], json!(etag));
    assert_eq!(changed["sequence"], made["sequence"].as_u64().unwrap() + 1);

    let stale = err(call(
        &sb,
        "YandexCalendar.UpdateEvent",
        ivan(json!({"href": made["href"], "etag": etag, "summary": "Lost update"})),
    ));
    assert_eq!(stale["code"], "conflict", "{stale}");
    assert_eq!(stale["http_status"], 412);
    assert!(stale["message"].as_str().unwrap().contains("changed"), "{stale}");
    let stale_delete = err(call(
        &sb,
        "YandexCalendar.DeleteEvent",
        ivan(json!({"href": made["href"], "etag": etag})),
    ));
    assert_eq!(stale_delete["code"], "conflict");

    ok(call(
        &sb,
        "YandexCalendar.DeleteEvent",
        ivan(json!({"href": made["href"], "etag": changed["etag"]})),
    ));
    let gone = err(call(
        &sb,
        "YandexCalendar.GetEvent",
        ivan(json!({"href": made["href"]})),
    ));
    assert_eq!(gone["code"], "not_found");
    assert!(!summaries(&sb, IVAN_EMAIL, "2026-12-01", "2027-01-01")
        .iter()
        .any(|s| s.starts_with("Обзор проекта")));
    assert!(
        !summaries(&sb, MARIA_EMAIL, "2026-12-01", "2027-01-01")
            .iter()
            .any(|s| s.starts_with("Обзор проекта")),
        "withdrawn from the colleague"
    );
}

#[test]
fn all_day_and_repeating_events_and_bad_input() {
    let sb = ready();
    let day = ok(call(
        &sb,
        "YandexCalendar.СоздатьСобытие",
        ivan(
            json!({"Название": "Отпуск", "Начало": "2026-12-28", "Окончание": "2027-01-09", "Календарь": "Мой календарь"}),
        ),
    ));
    assert_eq!(
        (day["all_day"].as_bool(), day["start"].as_str(), day["end"].as_str()),
        (Some(true), Some("2026-12-28"), Some("2027-01-09"))
    );
    assert_ne!(day["calendar"], "events-default");
    assert_eq!(day["telemost_link"], Value::Null);
    let weekly = ok(call(
        &sb,
        "YandexCalendar.CreateEvent",
        ivan(json!({"summary": "Weekly", "start": "2026-12-07T09:00:00+03:00", "rrule": "FREQ=WEEKLY;BYDAY=MO"})),
    ));
    assert_eq!(weekly["rrule"], "FREQ=WEEKLY;BYDAY=MO");
    assert_eq!(weekly["start"], "2026-12-07T06:00:00Z");
    assert_eq!(weekly["end"], "2026-12-07T07:00:00Z", "an hour by default");
    // A later Monday finds the series once, not expanded.
    let later = summaries(&sb, IVAN_EMAIL, "2027-02-01", "2027-02-02");
    assert_eq!(later.iter().filter(|s| *s == "Weekly").count(), 1, "{later:?}");

    for (params, wanted) in [
        (json!({"summary": "x", "start": "tomorrow"}), "`start`"),
        (
            json!({"summary": "x", "start": "2026-12-10", "end": "2026-12-10T10:00:00Z"}),
            "both be dates",
        ),
        (
            json!({"summary": "x", "start": "2026-12-10T10:00", "end": "2026-12-10T09:00"}),
            "after",
        ),
        (
            json!({"summary": "x", "start": "2026-12-10T10:00", "timezone": "Europe/Moscow\r\nX: 1"}),
            "timezone",
        ),
        (
            json!({"summary": "x", "start": "2026-12-10", "rrule": "FREQ=DAILY\r\nX-EVIL:1"}),
            "rrule",
        ),
        (
            json!({"summary": "x", "start": "2026-12-10", "attendees": ["a@b.ru>\r\nX:1"]}),
            "e-mail",
        ),
        (
            json!({"summary": "x", "start": "2026-12-10", "calendar": "Nope"}),
            "Мои события",
        ),
    ] {
        let refused = err(call(&sb, "YandexCalendar.CreateEvent", ivan(params.clone())));
        assert!(
            refused["message"].as_str().unwrap().contains(wanted),
            "{params}: {refused}"
        );
    }
}

#[test]
fn delete_calendar_by_name_and_create_one_where_allowed() {
    let sb = ready();
    // The service-application guide's example deletes "My calendar"; Ivan's is in Russian.
    let deleted = ok(call(
        &sb,
        "YandexCalendar.DeleteCalendar",
        ivan(json!({"calendar": "мой календарь"})),
    ));
    assert_eq!(deleted["deleted"]["name"], "Мой календарь");
    let left = ok(call(&sb, "YandexCalendar.GetCalendars", ivan(json!({}))));
    assert!(
        !left["calendars"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Мой календарь"),
        "{left}"
    );
    let again = err(call(
        &sb,
        "YandexCalendar.DeleteCalendar",
        ivan(json!({"calendar": "Мой календарь"})),
    ));
    assert_eq!(again["code"], "not_found");
    let main = err(call(
        &sb,
        "YandexCalendar.DeleteCalendar",
        ivan(json!({"calendar": "events-default"})),
    ));
    assert_eq!(main["code"], "forbidden", "{main}");

    // MKCALENDAR: refused by default (as Yandex may), with that said; allowed by the setting.
    let refused = err(call(
        &sb,
        "YandexCalendar.CreateCalendar",
        ivan(json!({"name": "Проекты"})),
    ));
    assert_eq!(refused["code"], "forbidden");
    assert!(
        refused["message"].as_str().unwrap().contains("web interface"),
        "{refused}"
    );
    sb.settings(json!({"caldav_mkcalendar": true}));
    let made = ok(call(
        &sb,
        "YandexCalendar.CreateCalendar",
        ivan(json!({"name": "Проекты", "color": "#336699"})),
    ));
    assert!(made["id"].as_str().unwrap().starts_with("events-"), "{made}");
    let listed = ok(call(&sb, "YandexCalendar.GetCalendars", ivan(json!({}))));
    let mine = listed["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Проекты")
        .expect("listed")
        .clone();
    assert_eq!(
        (mine["color"].as_str(), mine["writable"].as_bool()),
        (Some("#336699ff"), Some(true))
    );
    let event = ok(call(
        &sb,
        "YandexCalendar.CreateEvent",
        ivan(json!({"summary": "Kick-off", "start": "2026-12-15", "calendar": "Проекты"})),
    ));
    assert_eq!(event["calendar"], made["id"]);
    let exists = err(call(
        &sb,
        "YandexCalendar.CreateCalendar",
        ivan(json!({"name": "Again", "id": made["id"]})),
    ));
    assert_eq!(exists["code"], "conflict");
    ok(call(
        &sb,
        "YandexCalendar.DeleteCalendar",
        ivan(json!({"calendar": made["id"]})),
    ));
}

#[test]
fn writes_answered_with_5xx_are_checked_before_they_are_sent_again() {
    let sb = ready();
    // A 504 after the write landed: read back, not sent again, no duplicate.
    sb.fault(json!({"method": "PUT", "path": "/calendars/", "status": 504, "landed": true}));
    let made = ok(call(
        &sb,
        "YandexCalendar.CreateEvent",
        ivan(json!({"summary": "Landed", "start": "2026-12-20T10:00:00Z"})),
    ));
    assert_eq!(made["summary"], "Landed");
    assert_eq!(caldav_requests(&sb, "PUT"), 1);
    let found = summaries(&sb, IVAN_EMAIL, "2026-12-20", "2026-12-21");
    assert_eq!(
        found.iter().filter(|s| *s == "Landed").count(),
        1,
        "made once: {found:?}"
    );

    // A 503 before the write: it is not there, so it is sent again.
    sb.fault(json!({"method": "PUT", "path": "/calendars/", "status": 503}));
    let second = ok(call(
        &sb,
        "YandexCalendar.CreateEvent",
        ivan(json!({"summary": "Retried", "start": "2026-12-21T10:00:00Z"})),
    ));
    assert_eq!(second["summary"], "Retried");
    assert_eq!(caldav_requests(&sb, "PUT"), 3);

    // An update that landed behind a 504 is a success, not a conflict with itself.
    sb.fault(json!({"method": "PUT", "path": "/calendars/", "status": 504, "landed": true}));
    let changed = ok(call(
        &sb,
        "YandexCalendar.UpdateEvent",
        ivan(json!({"href": made["href"], "etag": made["etag"], "summary": "Landed twice"})),
    ));
    assert_eq!(changed["summary"], "Landed twice");
    assert_eq!(caldav_requests(&sb, "PUT"), 4);

    // A delete that landed behind a 504.
    sb.fault(json!({"method": "DELETE", "path": "/calendars/", "status": 504, "landed": true}));
    ok(call(
        &sb,
        "YandexCalendar.DeleteEvent",
        ivan(json!({"href": made["href"]})),
    ));
    assert_eq!(caldav_requests(&sb, "DELETE"), 1);

    // A server that keeps failing: server_error after the configured attempts, never endless.
    sb.fault(json!({"method": "PUT", "path": "/calendars/", "status": 500, "times": 100}));
    let failed = err(call(
        &sb,
        "YandexCalendar.CreateEvent",
        ivan(json!({"summary": "Never", "start": "2026-12-22"})),
    ));
    assert_eq!(failed["code"], "server_error", "{failed}");
    assert_eq!(
        caldav_requests(&sb, "PUT"),
        4 + 5,
        "five attempts, the configured default"
    );
}

#[test]
fn a_token_without_calendar_rights_is_forbidden_with_a_clear_message() {
    let sb = sandbox();
    register_service_application(&sb, "mail:imap_ro");
    let refused = err(call(&sb, "YandexCalendar.GetCalendars", ivan(json!({}))));
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(refused["service"], "yandex_caldav");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("calendar:all") && message.contains("Yandex360.AddServiceApplication"),
        "{message}"
    );
}

#[test]
fn a_bare_token_finds_its_calendars_by_discovery() {
    let sb = ready();
    let exchanged = ok(call(
        &sb,
        "YandexID.ExchangeTokenForUser",
        json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "client_secret": YANDEX_SERVICE_CLIENT_SECRET, "user_email": IVAN_EMAIL}),
    ));
    let listed = ok(call(
        &sb,
        "YandexCalendar.GetCalendars",
        json!({"token": exchanged["access_token"]}),
    ));
    assert_eq!(listed["home"], "/calendars/ivan.petrov%40sandbox-org.ru/");
    assert!(listed["calendars"].as_array().unwrap().len() >= 3);
    let wrong = err(call(
        &sb,
        "YandexCalendar.GetCalendars",
        json!({"token": exchanged["access_token"], "email": MARIA_EMAIL}),
    ));
    assert_eq!(wrong["code"], "forbidden", "another user's calendars: {wrong}");
    let bad = err(call(
        &sb,
        "YandexCalendar.GetCalendars",
        json!({"token": "not-a-token"}),
    ));
    assert_eq!(bad["code"], "unauthorized");
}

/// The owner's device-flow token over TLS: the library asks for the code, the person approves
/// it with a browser that trusts the sandbox's CA.
fn owner_token_over_tls(sandbox: &Sandbox, options: &Value) -> Value {
    let code = ok(raw_call(
        "YandexID.GetConfirmationCode",
        &json!({"client_id": YANDEX_CLIENT_ID, "options": options}).to_string(),
    ));
    let pem = std::fs::read(sandbox.ca_file().unwrap()).unwrap();
    let browser = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let approved = browser
        .post(code["verification_url"].as_str().unwrap())
        .form(&[("user_code", code["user_code"].as_str().unwrap())])
        .send()
        .unwrap();
    assert!(approved.status().is_success());
    let tokens = ok(raw_call(
        "YandexID.ConvertCodeToToken",
        &json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "device_code": code["device_code"], "options": options}).to_string(),
    ));
    tokens["access_token"].clone()
}

#[test]
fn tls_with_ca_file_and_an_untrusted_certificate_refused() {
    for untrusted in [false, true] {
        let sandbox = Sandbox::start_with(SandboxOptions {
            tls: true,
            untrusted_certificate: untrusted,
            ..SandboxOptions::default()
        })
        .unwrap();
        let mut options = options_for(&sandbox);
        assert!(options["endpoints"]["yandex_caldav"]
            .as_str()
            .unwrap()
            .starts_with("https://"));
        options["ca_file"] = json!(sandbox.ca_file().unwrap());
        if untrusted {
            let refused = err(raw_call(
                "YandexCalendar.GetCalendars",
                &json!({"token": "t", "email": IVAN_EMAIL, "options": options}).to_string(),
            ));
            assert_eq!(refused["code"], "untrusted_certificate", "{refused}");
            assert_eq!(refused["retryable"], false, "{refused}");
            let message = refused["message"].as_str().unwrap();
            assert!(
                message.contains("certificate") && message.contains("ca_file"),
                "{refused}"
            );
            continue;
        }
        let token = owner_token_over_tls(&sandbox, &options);
        let listed = ok(raw_call(
            "YandexCalendar.GetCalendars",
            &json!({"token": token, "options": options}).to_string(),
        ));
        assert_eq!(listed["home"], "/calendars/owner%40sandbox-org.ru/");
        assert!(listed["calendars"].as_array().unwrap().len() >= 3, "{listed}");
    }
}

/// A CalDAV server that answers every request with `answer`.
fn hostile_server(answer: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(&answer);
        }
    });
    url
}

fn multistatus_answer(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn hostile_caldav_answers_are_refused_cleanly() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><D:multistatus xmlns:D="DAV:"><D:response><D:href>&c;</D:href></D:response></D:multistatus>"#;
    let deep = format!(
        "<D:multistatus xmlns:D=\"DAV:\">{}{}</D:multistatus>",
        "<D:x>".repeat(50_000),
        "</D:x>".repeat(50_000)
    );
    let mut huge = b"HTTP/1.1 207 Multi-Status\r\nConnection: close\r\n\r\n<D:multistatus xmlns:D=\"DAV:\">".to_vec();
    huge.extend(std::iter::repeat_n(b' ', 40 * 1024 * 1024));
    for (answer, wanted) in [
        (multistatus_answer(laughs), "DOCTYPE"),
        (multistatus_answer(&deep), "deeper"),
        (huge, "more than"),
        (multistatus_answer("<html>not a multistatus</html>"), "multistatus"),
    ] {
        let url = hostile_server(answer);
        let started = std::time::Instant::now();
        let refused = err(raw_call(
            "YandexCalendar.GetCalendars",
            &json!({"token": "t", "email": IVAN_EMAIL, "options": {"endpoints": {"yandex_caldav": url}}}).to_string(),
        ));
        assert_eq!(refused["code"], "invalid_response", "{refused}");
        assert!(refused["message"].as_str().unwrap().contains(wanted), "{refused}");
        assert!(started.elapsed().as_secs() < 60);
    }
}

//! Telemost through the C ABI against the sandbox: an employee's meetings made, read and
//! changed with the service application's exchanged tokens, and the refusal of a token without
//! the Telemost rights.

mod common;
#[path = "common/organization.rs"]
mod organization;

use common::{err, ok, sandbox};
use organization::{employee, register_service_application, CALENDAR_SCOPES, IVAN_EMAIL, MARIA_EMAIL};
use serde_json::json;

#[test]
fn an_employee_creates_reads_and_changes_a_meeting() {
    let sb = sandbox();
    register_service_application(&sb, CALENDAR_SCOPES);
    let ivan = employee(IVAN_EMAIL);

    let made = ok(sb.call(
        "Telemost.CreateConference",
        json!({"credentials": ivan, "waiting_room_level": "organization", "cohosts": MARIA_EMAIL}),
    ));
    let id = made["id"].as_str().expect("an id").to_string();
    assert!(
        made["join_url"]
            .as_str()
            .unwrap()
            .starts_with("https://telemost.yandex.ru/j/"),
        "{made}"
    );
    assert_eq!(made["waiting_room_level"], "ORGANIZATION");
    assert_eq!(made["cohosts"], json!([{"email": MARIA_EMAIL}]));

    // The Russian name and OPI-style parameter name reach the same method.
    let read = ok(sb.call(
        "Telemost.ПолучитьКонференцию",
        json!({"credentials": ivan, "ИдентификаторКонференции": id}),
    ));
    assert_eq!(read["join_url"], made["join_url"]);
    assert!(read["sip_id"].is_string(), "{read}");

    let changed = ok(sb.call(
        "Telemost.UpdateConference",
        json!({"credentials": ivan, "conference_id": id, "waiting_room_level": "PUBLIC", "is_auto_summarization_enabled": true}),
    ));
    assert_eq!(changed["waiting_room_level"], "PUBLIC");
    assert_eq!(changed["is_auto_summarization_enabled"], true);
    assert_eq!(changed["cohosts"], json!([{"email": MARIA_EMAIL}]), "kept");

    let added = ok(sb.call(
        "Telemost.AddCohosts",
        json!({"credentials": ivan, "conference_id": id, "cohosts": ["owner@sandbox-org.ru"]}),
    ));
    assert_eq!(added["cohosts"].as_array().unwrap().len(), 2, "{added}");

    // One exchange served every call: the credentials came back with the token in them.
    let creates = sb.requests_to("/v1/telemost-api/conferences");
    assert_eq!(creates.iter().filter(|r| r["method"] == "POST").count(), 1);

    let missing = err(sb.call(
        "Telemost.GetConference",
        json!({"credentials": ivan, "conference_id": "00000000000000"}),
    ));
    assert_eq!(missing["code"], "not_found", "{missing}");
    assert_eq!(missing["service"], "yandex_telemost");

    let nothing = err(sb.call(
        "Telemost.UpdateConference",
        json!({"credentials": ivan, "conference_id": id}),
    ));
    assert_eq!(nothing["code"], "invalid_params");
    let outsider = err(sb.call(
        "Telemost.AddCohosts",
        json!({"credentials": ivan, "conference_id": id, "cohosts": "someone@example.com"}),
    ));
    assert_eq!(outsider["code"], "bad_request", "{outsider}");
}

#[test]
fn a_token_without_the_telemost_rights_is_forbidden_with_a_clear_message() {
    let sb = sandbox();
    register_service_application(&sb, "calendar:all");
    let refused = err(sb.call(
        "Telemost.CreateConference",
        json!({"credentials": employee(IVAN_EMAIL)}),
    ));
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("telemost-api:conferences.create"), "{message}");
    assert!(message.contains("Yandex360.AddServiceApplication"), "{message}");
    assert_eq!(
        sb.requests_to("/v1/telemost-api/conferences").len(),
        1,
        "a refusal is not retried"
    );
}

//! Yandex 360 for an administrator, through the C ABI against the sandbox: the directory, the
//! organization's service applications, token exchange for employees, and `credentials` that
//! exchange again by themselves.

mod common;
#[path = "common/organization.rs"]
mod organization;

use common::{err, ok, sandbox, TestSandbox};
use diskbridge_sandbox::{ORG_ID, YANDEX_CLIENT_ID, YANDEX_SERVICE_CLIENT_ID, YANDEX_SERVICE_CLIENT_SECRET};
use organization::{register_service_application, MARIA_EMAIL};
use serde_json::{json, Value};

const IVAN: &str = "1130000000000002";
const OUTSIDER: &str = "1130000000000099";
const DISK_SCOPES: &str = "cloud_api:disk.read cloud_api:disk.write cloud_api:disk.info";

fn with(mut base: Value, extra: Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

/// The service application's client credentials, for ExchangeTokenForUser.
fn service_app() -> Value {
    json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "client_secret": YANDEX_SERVICE_CLIENT_SECRET})
}

/// `credentials` that name an employee instead of holding a refresh token.
fn subject_credentials(subject: Value) -> Value {
    with(service_app(), json!({"subject": subject}))
}

/// The owner's token, with service applications activated and the service app registered for
/// Disk.
fn organization_ready(sb: &TestSandbox) -> String {
    register_service_application(sb, DISK_SCOPES)
}

/// The form fields of the logged token requests.
fn token_forms(sb: &TestSandbox) -> Vec<Vec<(String, String)>> {
    sb.requests_to("/yandex-oauth/token")
        .iter()
        .map(|r| {
            url::form_urlencoded::parse(r["body"].as_str().unwrap_or("").as_bytes())
                .into_owned()
                .collect()
        })
        .collect()
}

fn form_value<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn administrator_scenario_from_sign_in_to_employee_disks() {
    let sb = sandbox();
    let owner = sb.sign_in()["access_token"].clone();

    let orgs = ok(sb.call("Yandex360.GetOrganizations", json!({"token": owner})));
    let org = &orgs["organizations"][0];
    assert_eq!(org["name"], "Sandbox Org");
    let org_id = org["id"].clone();
    assert_eq!(org_id, ORG_ID);

    let users = ok(sb.call("Yandex360.GetUsers", json!({"token": owner, "org_id": org_id})));
    let users = users["users"].as_array().unwrap().clone();
    assert_eq!(users.len(), 3, "the owner and two employees");
    let ivan = users
        .iter()
        .find(|u| u["nickname"] == "ivan.petrov")
        .expect("ivan is listed");
    let maria = users
        .iter()
        .find(|u| u["nickname"] == "maria.ivanova")
        .expect("maria is listed");

    let activated = ok(sb.call(
        "Yandex360.ActivateServiceApplications",
        json!({"token": owner, "org_id": org_id}),
    ));
    assert_eq!(activated, json!({}));
    let list = ok(sb.call(
        "Yandex360.AddServiceApplication",
        json!({"token": owner, "org_id": org_id, "client_id": YANDEX_SERVICE_CLIENT_ID, "scopes": DISK_SCOPES}),
    ));
    assert_eq!(
        list,
        json!({"applications": [{"id": YANDEX_SERVICE_CLIENT_ID, "scopes": ["cloud_api:disk.read", "cloud_api:disk.write", "cloud_api:disk.info"]}]})
    );

    // The owner keeps something of their own.
    ok(sb.call(
        "YandexDisk.CreateFolder",
        json!({"token": owner, "path": "/Owner only"}),
    ));

    let by_id = ok(sb.call(
        "YandexID.ExchangeTokenForUser",
        with(service_app(), json!({"user_id": ivan["id"]})),
    ));
    assert_eq!(by_id["expires_in"], 3600);
    assert!(by_id.get("refresh_token").is_none());
    let by_email = ok(sb.call(
        "YandexID.ExchangeTokenForUser",
        with(service_app(), json!({"user_email": maria["email"]})),
    ));
    let forms = token_forms(&sb);
    let exchanges: Vec<_> = forms
        .iter()
        .filter(|f| form_value(f, "grant_type") == Some("urn:ietf:params:oauth:grant-type:token-exchange"))
        .collect();
    assert_eq!(exchanges.len(), 2);
    assert_eq!(form_value(exchanges[0], "subject_token"), ivan["id"].as_str());
    assert_eq!(
        form_value(exchanges[0], "subject_token_type"),
        Some("urn:yandex:params:oauth:token-type:uid")
    );
    assert_eq!(form_value(exchanges[1], "subject_token"), maria["email"].as_str());
    assert_eq!(
        form_value(exchanges[1], "subject_token_type"),
        Some("urn:yandex:params:oauth:token-type:email")
    );
    assert_eq!(form_value(exchanges[1], "client_id"), Some(YANDEX_SERVICE_CLIENT_ID));

    // Each token opens that employee's own Disk.
    let ivan_disk = ok(sb.call("YandexDisk.GetDiskInformation", json!({"token": by_id["access_token"]})));
    assert_eq!(ivan_disk["user"]["login"], "ivan.petrov");
    assert_eq!(ivan_disk["user"]["uid"], ivan["id"]);
    let maria_disk = ok(sb.call(
        "YandexDisk.GetDiskInformation",
        json!({"token": by_email["access_token"]}),
    ));
    assert_eq!(maria_disk["user"]["login"], "maria.ivanova");
    // ... and not the owner's.
    let hidden = err(sb.call(
        "YandexDisk.GetObject",
        json!({"token": by_id["access_token"], "path": "/Owner only"}),
    ));
    assert_eq!(hidden["code"], "not_found");

    let list = ok(sb.call(
        "Yandex360.RemoveServiceApplication",
        json!({"token": owner, "org_id": org_id, "client_id": YANDEX_SERVICE_CLIENT_ID}),
    ));
    assert_eq!(list, json!({"applications": []}));
    let refused = err(sb.call(
        "YandexID.ExchangeTokenForUser",
        with(service_app(), json!({"user_id": ivan["id"]})),
    ));
    assert_eq!(refused["code"], "invalid_client");
    assert_eq!(refused["upstream"]["error"], "unauthorized_client");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("Yandex360.AddServiceApplication"),
        "{refused}"
    );
}

#[test]
fn a_non_owner_is_refused_with_403() {
    let sb = sandbox();
    let employee = sb.sign_in_as(Some(IVAN), None)["access_token"].clone();
    for (method, extra) in [
        ("Yandex360.GetUsers", json!({})),
        ("Yandex360.ActivateServiceApplications", json!({})),
        ("Yandex360.GetServiceApplications", json!({})),
        (
            "Yandex360.AddServiceApplication",
            json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "scopes": ["cloud_api:disk.read"]}),
        ),
        ("Yandex360.SetServiceApplications", json!({"applications": []})),
    ] {
        let refused = err(sb.call(method, with(json!({"token": employee, "org_id": ORG_ID}), extra)));
        assert_eq!(refused["code"], "forbidden", "{method}: {refused}");
        assert_eq!(refused["http_status"], 403);
        assert_eq!(refused["service"], "yandex_360");
        assert_eq!(refused["upstream"]["code"], 7);
        assert!(refused["message"].as_str().unwrap().contains("owner"), "{refused}");
    }
    // The refused read stopped AddServiceApplication before any write.
    assert!(sb
        .requests()
        .iter()
        .all(|r| r["method"] != "POST" || !r["path"].as_str().unwrap().ends_with("/service_applications")));
    // The employee still sees their organization.
    let orgs = ok(sb.call("Yandex360.GetOrganizations", json!({"token": employee})));
    assert_eq!(orgs["organizations"][0]["id"], ORG_ID);
}

#[test]
fn an_expired_exchanged_token_is_renewed_through_credentials() {
    let sb = sandbox();
    organization_ready(&sb);
    let credentials = subject_credentials(json!({"user_id": IVAN}));

    // No access token yet: the library exchanges one before the call.
    let first = sb.call("YandexID.GetUserInfo", json!({"credentials": credentials}));
    assert_eq!(ok(first.clone())["login"], "ivan.petrov");
    let renewed = &first["credentials"];
    let token = renewed["access_token"].as_str().expect("the reply carries the token");
    assert!(renewed.get("refresh_token").is_none(), "{renewed}");
    assert_eq!(renewed["subject"], json!({"user_id": IVAN}));
    let expires_at = renewed["expires_at"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now + 3500..=now + 3700).contains(&expires_at), "{expires_at}");

    // The hour passes on the service's side: it answers 401, the library exchanges again and
    // repeats the call, and the caller gets the answer and the new token.
    sb.advance_clock(3601);
    sb.clear_requests();
    let second = sb.call("YandexID.GetUserInfo", json!({"credentials": renewed}));
    assert_eq!(ok(second.clone())["login"], "ivan.petrov");
    let newer = second["credentials"]["access_token"].as_str().unwrap();
    assert_ne!(newer, token);
    assert!(second["credentials"].get("refresh_token").is_none());
    let statuses: Vec<(String, u64)> = sb
        .requests()
        .iter()
        .map(|r| (r["path"].as_str().unwrap().to_string(), r["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("/yandex-login/info".to_string(), 401),
            ("/yandex-oauth/token".to_string(), 200),
            ("/yandex-login/info".to_string(), 200),
        ]
    );

    // With `expires_at` past on the caller's clock, the exchange comes first, without a 401.
    sb.clear_requests();
    let mut stale = second["credentials"].clone();
    stale["expires_at"] = json!(now - 10);
    let third = sb.call("YandexID.GetUserInfo", json!({"credentials": stale}));
    ok(third.clone());
    let paths: Vec<Value> = sb.requests().iter().map(|r| r["path"].clone()).collect();
    assert_eq!(paths, [json!("/yandex-oauth/token"), json!("/yandex-login/info")]);
    assert_ne!(
        third["credentials"]["access_token"],
        second["credentials"]["access_token"]
    );

    // By e-mail too.
    let by_email = sb.call(
        "YandexID.GetUserInfo",
        json!({"credentials": subject_credentials(json!({"user_email": MARIA_EMAIL}))}),
    );
    assert_eq!(ok(by_email)["login"], "maria.ivanova");
}

#[test]
fn concurrent_callers_with_one_subject_exchange_once() {
    let sb = sandbox();
    organization_ready(&sb);
    sb.clear_requests();
    // The first exchange is slow, so every caller arrives while it is in flight.
    sb.fault(json!({"method": "POST", "path": "/yandex-oauth/token", "delay_ms": 700}));
    let credentials = subject_credentials(json!({"user_id": IVAN}));
    let replies: Vec<Value> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| sb.call("YandexID.GetUserInfo", json!({"credentials": credentials}))))
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for reply in &replies {
        assert_eq!(ok(reply.clone())["login"], "ivan.petrov");
        assert_eq!(
            reply["credentials"]["access_token"],
            replies[0]["credentials"]["access_token"]
        );
    }
    assert_eq!(sb.requests_to("/yandex-oauth/token").len(), 1);
}

#[test]
fn exchange_needs_exactly_one_user_and_a_registered_application() {
    let sb = sandbox();
    for (extra, problem) in [
        (json!({}), "is missing"),
        (json!({"user_id": IVAN, "user_email": MARIA_EMAIL}), "not both"),
        (json!({"user_id": " "}), "is missing"),
    ] {
        let refused = err(sb.call("YandexID.ExchangeTokenForUser", with(service_app(), extra)));
        assert_eq!(refused["code"], "invalid_params");
        assert!(refused["message"].as_str().unwrap().contains(problem), "{refused}");
    }
    assert!(sb.requests_to("/yandex-oauth/token").is_empty(), "nothing was sent");

    // Before activation, the organization refuses every exchange.
    let owner = sb.sign_in()["access_token"].clone();
    let early = err(sb.call(
        "YandexID.ExchangeTokenForUser",
        with(service_app(), json!({"user_id": IVAN})),
    ));
    assert_eq!(early["code"], "invalid_client");
    assert_eq!(early["http_status"], 400);
    assert_eq!(early["upstream"]["error"], "unauthorized_client");
    assert!(
        early["message"]
            .as_str()
            .unwrap()
            .contains("Yandex360.ActivateServiceApplications"),
        "{early}"
    );
    ok(sb.call(
        "Yandex360.ActivateServiceApplications",
        json!({"token": owner, "org_id": ORG_ID}),
    ));
    ok(sb.call(
        "Yandex360.AddServiceApplication",
        json!({"token": owner, "org_id": ORG_ID, "client_id": YANDEX_SERVICE_CLIENT_ID, "scopes": DISK_SCOPES}),
    ));
    // A client the organization did not register.
    let unregistered = err(sb.call(
        "YandexID.ExchangeTokenForUser",
        json!({"client_id": YANDEX_CLIENT_ID, "client_secret": diskbridge_sandbox::YANDEX_CLIENT_SECRET, "user_id": IVAN}),
    ));
    assert_eq!(unregistered["code"], "invalid_client");
    assert_eq!(unregistered["upstream"]["error"], "unauthorized_client");
    // A user outside the organization, directly and through credentials.
    let outsider = err(sb.call(
        "YandexID.ExchangeTokenForUser",
        with(service_app(), json!({"user_id": OUTSIDER})),
    ));
    assert_eq!(outsider["code"], "invalid_grant");
    assert!(
        outsider["message"].as_str().unwrap().contains("Yandex360.GetUsers"),
        "{outsider}"
    );
    let through_credentials = err(sb.call(
        "YandexID.GetUserInfo",
        json!({"credentials": subject_credentials(json!({"user_id": OUTSIDER}))}),
    ));
    assert_eq!(through_credentials["code"], "invalid_grant");
    // Numbers are uids too (1C and Python hosts may store them so).
    let numeric = ok(sb.call(
        "YandexID.ExchangeTokenForUser",
        with(service_app(), json!({"user_id": IVAN.parse::<u64>().unwrap()})),
    ));
    assert!(numeric["access_token"].is_string());
}

#[test]
fn credentials_with_a_subject_are_checked_before_anything_is_sent() {
    let sb = sandbox();
    for (credentials, problem) in [
        (
            subject_credentials(json!({"user_id": IVAN, "user_email": MARIA_EMAIL})),
            "not both",
        ),
        (subject_credentials(json!({})), "is missing"),
        (subject_credentials(json!("1130000000000002")), "must be an object"),
        (subject_credentials(json!({"uid": IVAN})), "unknown key `uid`"),
        (
            with(
                subject_credentials(json!({"user_id": IVAN})),
                json!({"refresh_token": "1:a:b:c"}),
            ),
            "give one of them",
        ),
        (
            json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "subject": {"user_id": IVAN}}),
            "credentials.client_secret",
        ),
    ] {
        let refused = err(sb.call("YandexID.GetUserInfo", json!({"credentials": credentials})));
        assert_eq!(refused["code"], "invalid_params");
        assert!(refused["message"].as_str().unwrap().contains(problem), "{refused}");
    }
    // A subject is Yandex 360's: Google methods refuse it.
    let google = err(sb.call(
        "GoogleDrive.GetFilesList",
        json!({"credentials": subject_credentials(json!({"user_id": IVAN}))}),
    ));
    assert_eq!(google["code"], "invalid_params");
    assert!(
        google["message"].as_str().unwrap().contains("Google methods"),
        "{google}"
    );
    assert!(sb.requests().is_empty(), "nothing was sent");
}

#[test]
fn listings_follow_every_page() {
    let sb = sandbox();
    let owner = sb.sign_in()["access_token"].clone();
    // Two employees a page: three people take two pages.
    sb.settings(json!({"yandex_360_max_page_size": 2}));
    sb.clear_requests();
    let users = ok(sb.call(
        "Yandex360.GetUsers",
        json!({"token": owner, "org_id": ORG_ID.to_string()}),
    ));
    let nicknames: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["nickname"].as_str().unwrap())
        .collect();
    assert_eq!(nicknames, ["sandbox-owner", "ivan.petrov", "maria.ivanova"]);
    let pages: Vec<String> = sb
        .requests_to("/users")
        .iter()
        .map(|r| r["query"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(pages, ["page=1&perPage=100", "page=2&perPage=100"]);
    // An employee who moved onto the next page while the pages were read is listed once.
    sb.fault(json!({
        "method": "GET", "path": format!("/yandex-360/directory/v1/org/{ORG_ID}/users"), "status": 200,
        "body": {"users": [{"id": "1130000000000003", "nickname": "maria.ivanova"}], "page": 1, "pages": 2, "perPage": 2, "total": 3}
    }));
    let shifted = ok(sb.call("Yandex360.GetUsers", json!({"token": owner, "org_id": ORG_ID})));
    assert_eq!(shifted["users"].as_array().unwrap().len(), 1, "{shifted}");
    assert_eq!(shifted["users"][0]["nickname"], "maria.ivanova");

    // Organizations follow nextPageToken: the first page (played by a fault) points to the next.
    sb.clear_requests();
    sb.fault(json!({
        "method": "GET", "path": "/yandex-360/directory/v1/org", "status": 200,
        "body": {"organizations": [{"id": 1, "name": "Elsewhere"}], "nextPageToken": "0"}
    }));
    let orgs = ok(sb.call("Yandex360.GetOrganizations", json!({"token": owner})));
    let names: Vec<&str> = orgs["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Elsewhere", "Sandbox Org"]);
    let queries: Vec<Value> = sb
        .requests_to("/directory/v1/org")
        .iter()
        .map(|r| r["query"].clone())
        .collect();
    assert_eq!(queries, [json!("pageSize=100"), json!("pageSize=100&pageToken=0")]);

    // A service that hands back the same page token forever is stopped, not followed.
    sb.fault(json!({
        "method": "GET", "path": "/yandex-360/directory/v1/org", "status": 200, "times": 2,
        "body": {"organizations": [], "nextPageToken": "again"}
    }));
    let endless = err(sb.call("Yandex360.GetOrganizations", json!({"token": owner})));
    assert_eq!(endless["code"], "invalid_response");
}

#[test]
fn the_list_is_read_merged_and_written_back_whole() {
    let sb = sandbox();
    let owner = sb.sign_in()["access_token"].clone();
    let org = json!({"token": owner, "org_id": ORG_ID});

    // Writing before activation: the service's refusal, with what to do.
    let early = err(sb.call(
        "Yandex360.SetServiceApplications",
        with(
            org.clone(),
            json!({"applications": [{"id": YANDEX_SERVICE_CLIENT_ID, "scopes": ["cloud_api:disk.read"]}]}),
        ),
    ));
    assert_eq!(early["code"], "bad_request");
    assert_eq!(early["upstream"]["code"], 9);
    assert!(
        early["message"]
            .as_str()
            .unwrap()
            .contains("Yandex360.ActivateServiceApplications"),
        "{early}"
    );
    ok(sb.call("Yandex360.ActivateServiceApplications", org.clone()));

    let set = ok(sb.call(
        "Yandex360.SetServiceApplications",
        with(
            org.clone(),
            json!({"applications": [{"id": YANDEX_CLIENT_ID, "scopes": "cloud_api:disk.read login:info"}]}),
        ),
    ));
    assert_eq!(
        set,
        json!({"applications": [{"id": YANDEX_CLIENT_ID, "scopes": ["cloud_api:disk.read", "login:info"]}]})
    );
    // Adding keeps the other application; adding again replaces its rights.
    let added = ok(sb.call(
        "Yandex360.AddServiceApplication",
        with(
            org.clone(),
            json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "scopes": ["cloud_api:disk.read"]}),
        ),
    ));
    assert_eq!(added["applications"].as_array().unwrap().len(), 2);
    let updated = ok(sb.call(
        "Yandex360.AddServiceApplication",
        with(
            org.clone(),
            json!({"client_id": YANDEX_SERVICE_CLIENT_ID, "scopes": DISK_SCOPES}),
        ),
    ));
    assert_eq!(
        updated,
        json!({"applications": [
            {"id": YANDEX_CLIENT_ID, "scopes": ["cloud_api:disk.read", "login:info"]},
            {"id": YANDEX_SERVICE_CLIENT_ID, "scopes": ["cloud_api:disk.read", "cloud_api:disk.write", "cloud_api:disk.info"]},
        ]})
    );
    assert_eq!(ok(sb.call("Yandex360.GetServiceApplications", org.clone())), updated);
    // Every write sent the whole list.
    let writes: Vec<Value> = sb
        .requests_to("/service_applications")
        .into_iter()
        .filter(|r| r["method"] == "POST")
        .map(|r| serde_json::from_str(r["body"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(writes.last().unwrap(), &updated);

    // Removing keeps the others; removing one that is not there writes nothing.
    let removed = ok(sb.call(
        "Yandex360.RemoveServiceApplication",
        with(org.clone(), json!({"client_id": YANDEX_CLIENT_ID})),
    ));
    assert_eq!(removed["applications"].as_array().unwrap().len(), 1);
    sb.clear_requests();
    let unchanged = ok(sb.call(
        "Yandex360.RemoveServiceApplication",
        with(org.clone(), json!({"client_id": "never-registered"})),
    ));
    assert_eq!(unchanged, removed);
    assert_eq!(sb.requests().len(), 1, "one read, no write");

    // Deactivated, the service allows only clearing: removing the last one clears the list.
    ok(sb.call("Yandex360.DeactivateServiceApplications", org.clone()));
    let cleared = ok(sb.call(
        "Yandex360.RemoveServiceApplication",
        with(org.clone(), json!({"client_id": YANDEX_SERVICE_CLIENT_ID})),
    ));
    assert_eq!(cleared, json!({"applications": []}));
    assert_eq!(sb.requests().last().unwrap()["method"], "DELETE");

    // Malformed lists are refused before anything is sent.
    sb.clear_requests();
    for (applications, problem) in [
        (json!([{"id": "a"}]), "scopes"),
        (json!([{"id": "", "scopes": "x"}]), "client_id"),
        (json!(["a"]), "must be an object"),
        (json!([{"id": "a", "scopes": "x"}, {"id": "a", "scopes": "y"}]), "twice"),
        (json!([{"id": "a", "scope": "x"}]), "unknown key `scope`"),
    ] {
        let refused = err(sb.call(
            "Yandex360.SetServiceApplications",
            with(org.clone(), json!({"applications": applications})),
        ));
        assert_eq!(refused["code"], "invalid_params");
        assert!(refused["message"].as_str().unwrap().contains(problem), "{refused}");
    }
    let no_scopes = err(sb.call(
        "Yandex360.AddServiceApplication",
        with(org.clone(), json!({"client_id": "a", "scopes": " "})),
    ));
    assert_eq!(no_scopes["code"], "invalid_params");
    assert!(sb.requests().is_empty());
}

//! The Yandex 360 emulator and the token-exchange grant against docs/protocols.md §1.6 and §5,
//! over HTTP as a client sees it.

mod common_disk;

use common_disk::{json_of, reply, Disk, OUTSIDER, SECOND_USER};
use diskbridge_sandbox::{
    Sandbox, SandboxOptions, ORG_ID, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET, YANDEX_SERVICE_CLIENT_ID,
    YANDEX_SERVICE_CLIENT_SECRET,
};
use reqwest::Method;
use serde_json::{json, Value};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const BY_UID: &str = "urn:yandex:params:oauth:token-type:uid";
const BY_EMAIL: &str = "urn:yandex:params:oauth:token-type:email";
const DISK_SCOPES: [&str; 3] = ["cloud_api:disk.read", "cloud_api:disk.write", "cloud_api:disk.info"];

struct Api360 {
    disk: Disk,
}

impl Api360 {
    async fn start() -> Api360 {
        Api360 {
            disk: Disk::start().await,
        }
    }

    /// Calls `/yandex-360<path>` with `token` (none when empty) and an optional JSON body.
    async fn call(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> common_disk::Reply {
        let mut request = self
            .disk
            .http
            .request(method, format!("{}/yandex-360{path}", self.disk.url));
        if !token.is_empty() {
            request = request.header("Authorization", format!("OAuth {token}"));
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        reply(request.send().await.unwrap()).await
    }

    /// As the organization's owner (the default user, with every right of the default client).
    async fn owner(&self, method: Method, path: &str, body: Option<Value>) -> common_disk::Reply {
        self.call(&self.disk.token, method, path, body).await
    }

    fn apps_path(suffix: &str) -> String {
        format!("/security/v1/org/{ORG_ID}/service_applications{suffix}")
    }

    async fn activate(&self) {
        let answer = self
            .owner(Method::POST, &Self::apps_path("/activate"), Some(json!({})))
            .await;
        assert_eq!((answer.status.as_u16(), &answer.json), (200, &json!({})));
    }

    async fn register(&self, client_id: &str, scopes: &[&str]) -> common_disk::Reply {
        self.owner(
            Method::POST,
            &Self::apps_path(""),
            Some(json!({"applications": [{"id": client_id, "scopes": scopes}]})),
        )
        .await
    }

    /// `POST /yandex-oauth/token` with the token-exchange grant, client credentials in the body.
    async fn exchange(&self, client: (&str, &str), subject: &str, subject_type: &str) -> (u16, Value) {
        let response = self
            .disk
            .http
            .post(format!("{}/yandex-oauth/token", self.disk.url))
            .form(&[
                ("grant_type", EXCHANGE),
                ("client_id", client.0),
                ("client_secret", client.1),
                ("subject_token", subject),
                ("subject_token_type", subject_type),
            ])
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), json_of(response).await)
    }

    async fn exchange_for(&self, subject: &str, subject_type: &str) -> (u16, Value) {
        self.exchange(
            (YANDEX_SERVICE_CLIENT_ID, YANDEX_SERVICE_CLIENT_SECRET),
            subject,
            subject_type,
        )
        .await
    }
}

#[tokio::test]
async fn missing_or_unknown_token_is_401_in_the_api_shape() {
    let api = Api360::start().await;
    for token in ["", "y0_not-a-token"] {
        let answer = api.call(token, Method::GET, "/directory/v1/org", None).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.headers["content-type"], "application/json");
        assert_eq!(answer.json["code"], 16);
        assert_eq!(answer.json["details"], json!([]));
        assert!(answer.json["message"].is_string());
    }
}

#[tokio::test]
async fn the_owner_sees_the_organization_and_every_employee_page_by_page() {
    let api = Api360::start().await;
    let orgs = api.owner(Method::GET, "/directory/v1/org", None).await;
    assert_eq!(orgs.status, 200);
    assert_eq!(orgs.json["organizations"][0]["id"], ORG_ID);
    assert_eq!(orgs.json["organizations"][0]["name"], "Sandbox Org");
    assert_eq!(orgs.json["nextPageToken"], "");
    let bad_token = api.owner(Method::GET, "/directory/v1/org?pageToken=zz", None).await;
    assert_eq!((bad_token.status.as_u16(), &bad_token.json["code"]), (400, &json!(3)));

    let users_path = format!("/directory/v1/org/{ORG_ID}/users");
    let all = api.owner(Method::GET, &format!("{users_path}?perPage=100"), None).await;
    assert_eq!(all.status, 200);
    assert_eq!(
        (&all.json["total"], &all.json["pages"], &all.json["page"]),
        (&json!(3), &json!(1), &json!(1))
    );
    let owner = &all.json["users"][0];
    assert_eq!(owner["nickname"], "sandbox-owner");
    assert_eq!(owner["isAdmin"], true);
    let ids: Vec<&str> = all.json["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&SECOND_USER));
    assert!(!ids.contains(&OUTSIDER), "the outsider is no employee");

    // Pages: perPage 2 gives two pages; the second holds the last employee.
    let first = api
        .owner(Method::GET, &format!("{users_path}?page=1&perPage=2"), None)
        .await;
    assert_eq!(
        (&first.json["pages"], first.json["users"].as_array().unwrap().len()),
        (&json!(2), 2)
    );
    let second = api
        .owner(Method::GET, &format!("{users_path}?page=2&perPage=2"), None)
        .await;
    assert_eq!(second.json["users"].as_array().unwrap().len(), 1);
    // The largest page is a setting: a bigger perPage is served as that many.
    api.disk.set(json!({"yandex_360_max_page_size": 1})).await;
    let capped = api.owner(Method::GET, &format!("{users_path}?perPage=100"), None).await;
    assert_eq!((&capped.json["perPage"], &capped.json["pages"]), (&json!(1), &json!(3)));
    let zero = api.owner(Method::GET, &format!("{users_path}?page=0"), None).await;
    assert_eq!((zero.status.as_u16(), &zero.json["code"]), (400, &json!(3)));
}

#[tokio::test]
async fn only_the_owner_with_the_right_scope_manages_the_organization() {
    let api = Api360::start().await;
    let employee = api.disk.token_for(Some(SECOND_USER), None).await;
    let outsider = api.disk.token_for(Some(OUTSIDER), None).await;
    let paths = [
        (Method::GET, format!("/directory/v1/org/{ORG_ID}/users")),
        (Method::GET, Api360::apps_path("")),
        (Method::POST, Api360::apps_path("/activate")),
        (Method::DELETE, Api360::apps_path("")),
    ];
    for token in [&employee, &outsider] {
        for (method, path) in &paths {
            let answer = api.call(token, method.clone(), path, None).await;
            assert_eq!(answer.status, 403, "{method} {path}");
            assert_eq!(answer.json["code"], 7);
            assert_eq!(answer.json["details"], json!([]));
        }
    }
    // An employee sees their organization; the outsider sees none.
    let mine = api.call(&employee, Method::GET, "/directory/v1/org", None).await;
    assert_eq!(mine.json["organizations"][0]["id"], ORG_ID);
    let none = api.call(&outsider, Method::GET, "/directory/v1/org", None).await;
    assert_eq!(none.json["organizations"], json!([]));
    // Another organization, or no number at all.
    let other = api
        .owner(Method::GET, "/security/v1/org/1/service_applications", None)
        .await;
    assert_eq!(other.status, 403);
    let garbage = api
        .owner(Method::GET, "/security/v1/org/abc/service_applications", None)
        .await;
    assert_eq!((garbage.status.as_u16(), &garbage.json["code"]), (400, &json!(3)));
    // The owner's token without the service-application rights is refused too.
    let disk_only = api
        .disk
        .token_for(None, Some("cloud_api:disk.read directory:read_users"))
        .await;
    let answer = api.call(&disk_only, Method::GET, &Api360::apps_path(""), None).await;
    assert_eq!((answer.status.as_u16(), &answer.json["code"]), (403, &json!(7)));
    let users = api
        .call(
            &disk_only,
            Method::GET,
            &format!("/directory/v1/org/{ORG_ID}/users"),
            None,
        )
        .await;
    assert_eq!(users.status, 200);
}

#[tokio::test]
async fn the_list_is_replaced_only_while_activated_and_validated() {
    let api = Api360::start().await;
    let empty = api.owner(Method::GET, &Api360::apps_path(""), None).await;
    assert_eq!(
        (empty.status.as_u16(), &empty.json),
        (200, &json!({"applications": []}))
    );
    let early = api.register(YANDEX_SERVICE_CLIENT_ID, &DISK_SCOPES).await;
    assert_eq!((early.status.as_u16(), &early.json["code"]), (400, &json!(9)));

    api.activate().await;
    api.activate().await;
    let set = api.register(YANDEX_SERVICE_CLIENT_ID, &DISK_SCOPES).await;
    assert_eq!(set.status, 200);
    let expected = json!({"applications": [{"id": YANDEX_SERVICE_CLIENT_ID, "scopes": DISK_SCOPES}]});
    assert_eq!(set.json, expected);
    assert_eq!(
        api.owner(Method::GET, &Api360::apps_path(""), None).await.json,
        expected
    );

    for (body, problem) in [
        (
            json!({"applications": [{"id": "no-such-client", "scopes": ["cloud_api:disk.read"]}]}),
            "unknown client",
        ),
        (
            json!({"applications": [{"id": YANDEX_SERVICE_CLIENT_ID, "scopes": ["directory:read_users"]}]}),
            "a right the client lacks",
        ),
        (
            json!({"applications": [{"id": YANDEX_SERVICE_CLIENT_ID, "scopes": []}]}),
            "no rights",
        ),
        (
            json!({"applications": [{"id": YANDEX_SERVICE_CLIENT_ID, "scopes": ["cloud_api:disk.read"]},
                                 {"id": YANDEX_SERVICE_CLIENT_ID, "scopes": ["cloud_api:disk.read"]}]}),
            "twice",
        ),
        (json!({"apps": []}), "no applications"),
    ] {
        let refused = api.owner(Method::POST, &Api360::apps_path(""), Some(body)).await;
        assert_eq!(
            (refused.status.as_u16(), &refused.json["code"]),
            (400, &json!(3)),
            "{problem}"
        );
    }
    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"id": format!("app-{i}"), "scopes": ["x"]}))
        .collect();
    let refused = api
        .owner(
            Method::POST,
            &Api360::apps_path(""),
            Some(json!({"applications": too_many})),
        )
        .await;
    assert_eq!(refused.status, 400);
    // Refusals left the list alone.
    assert_eq!(
        api.owner(Method::GET, &Api360::apps_path(""), None).await.json,
        expected
    );

    // Deactivated: writing is refused, clearing is allowed.
    let off = api.owner(Method::POST, &Api360::apps_path("/deactivate"), None).await;
    assert_eq!((off.status.as_u16(), &off.json), (200, &json!({})));
    let refused = api.register(YANDEX_CLIENT_ID, &["cloud_api:disk.read"]).await;
    assert_eq!((refused.status.as_u16(), &refused.json["code"]), (400, &json!(9)));
    let cleared = api.owner(Method::DELETE, &Api360::apps_path(""), None).await;
    assert_eq!(cleared.status, 200);
    assert_eq!(
        api.owner(Method::GET, &Api360::apps_path(""), None).await.json,
        json!({"applications": []})
    );
}

#[tokio::test]
async fn exchange_issues_an_hour_token_for_the_employees_own_disk() {
    let api = Api360::start().await;
    api.activate().await;
    assert_eq!(api.register(YANDEX_SERVICE_CLIENT_ID, &DISK_SCOPES).await.status, 200);
    // The owner keeps a file on their Disk.
    api.disk.mkdir("/owner-only").await;

    let (status, token) = api.exchange_for(SECOND_USER, BY_UID).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["expires_in"], 3600);
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(
        token["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert!(token.get("refresh_token").is_none());
    let employee = token["access_token"].as_str().unwrap().to_string();
    let info = api.disk.api_as(&employee, Method::GET, "", &[]).await;
    assert_eq!(info.status, 200);
    assert_eq!(info.json["user"]["login"], "ivan.petrov");
    let foreign = api
        .disk
        .api_as(&employee, Method::GET, "/resources", &[("path", "/owner-only")])
        .await;
    assert_eq!(foreign.status, 404, "the employee's Disk is their own");
    let made = api
        .disk
        .api_as(&employee, Method::PUT, "/resources", &[("path", "/ivan")])
        .await;
    assert_eq!(made.status, 201);
    assert!(!api.disk.exists("/ivan").await, "not on the owner's Disk");

    // By e-mail, any case.
    let (status, by_email) = api.exchange_for("Maria.Ivanova@sandbox-org.ru", BY_EMAIL).await;
    assert_eq!(status, 200, "{by_email}");
    let maria = by_email["access_token"].as_str().unwrap();
    let info = api.disk.api_as(maria, Method::GET, "", &[]).await;
    assert_eq!(info.json["user"]["login"], "maria.ivanova");

    // Only the registered rights: registered for reading alone, writing is refused.
    assert_eq!(
        api.register(YANDEX_SERVICE_CLIENT_ID, &["cloud_api:disk.read"])
            .await
            .status,
        200
    );
    let (_, reader) = api.exchange_for(SECOND_USER, BY_UID).await;
    let reader = reader["access_token"].as_str().unwrap();
    assert_eq!(
        api.disk
            .api_as(reader, Method::GET, "/resources", &[("path", "/")])
            .await
            .status,
        200
    );
    assert_eq!(
        api.disk
            .api_as(reader, Method::PUT, "/resources", &[("path", "/nope")])
            .await
            .status,
        403
    );

    // An hour later the token is refused.
    api.disk.advance_clock(3601).await;
    assert_eq!(api.disk.api_as(&employee, Method::GET, "", &[]).await.status, 401);
}

#[tokio::test]
async fn exchange_is_refused_as_the_real_service_refuses_it() {
    let api = Api360::start().await;
    let refused = |answer: (u16, Value), error: &str| {
        assert_eq!(answer.0, 400, "{}", answer.1);
        assert_eq!(answer.1["error"], error, "{}", answer.1);
        assert!(answer.1["error_description"].is_string());
    };
    // Registered nowhere yet, and the organization has not activated the feature.
    refused(api.exchange_for(SECOND_USER, BY_UID).await, "unauthorized_client");
    api.activate().await;
    refused(api.exchange_for(SECOND_USER, BY_UID).await, "unauthorized_client");
    assert_eq!(api.register(YANDEX_SERVICE_CLIENT_ID, &DISK_SCOPES).await.status, 200);
    // A client the organization did not register.
    refused(
        api.exchange((YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET), SECOND_USER, BY_UID)
            .await,
        "unauthorized_client",
    );
    // Wrong secret: the client itself is refused.
    refused(
        api.exchange((YANDEX_SERVICE_CLIENT_ID, "wrong"), SECOND_USER, BY_UID)
            .await,
        "invalid_client",
    );
    // Users outside the organization, or nobody at all.
    refused(api.exchange_for(OUTSIDER, BY_UID).await, "invalid_grant");
    refused(api.exchange_for("outsider@yandex.ru", BY_EMAIL).await, "invalid_grant");
    refused(api.exchange_for("1", BY_UID).await, "invalid_grant");
    refused(
        api.exchange_for(SECOND_USER, "urn:yandex:params:oauth:token-type:login")
            .await,
        "invalid_request",
    );
    // Now it works; deactivated, it does not.
    assert_eq!(api.exchange_for(SECOND_USER, BY_UID).await.0, 200);
    api.owner(Method::POST, &Api360::apps_path("/deactivate"), None).await;
    refused(api.exchange_for(SECOND_USER, BY_UID).await, "unauthorized_client");
}

#[tokio::test]
async fn activation_and_the_list_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("diskbridge-360-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = SandboxOptions {
        port: 0,
        data_dir: Some(dir.clone()),
        ..SandboxOptions::default()
    };
    {
        let api = Api360 {
            disk: Disk::on(Sandbox::start_with(options.clone()).unwrap()).await,
        };
        api.activate().await;
        assert_eq!(api.register(YANDEX_SERVICE_CLIENT_ID, &DISK_SCOPES).await.status, 200);
    }
    let api = Api360 {
        disk: Disk::on(Sandbox::start_with(options).unwrap()).await,
    };
    assert_eq!(api.exchange_for(SECOND_USER, BY_UID).await.0, 200);
    drop(api);
    let _ = std::fs::remove_dir_all(&dir);
}

//! The Telemost REST emulator against docs/protocols-mail.md §6: conferences created, read and
//! updated, co-hosts, the error body, scopes.

mod common_mail;

use common_mail::{Env, IVAN, MARIA, OUTSIDER_UID};
use reqwest::Method;
use serde_json::{json, Value};

async fn call(env: &Env, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}/yandex-telemost/v1/telemost-api{path}", env.url);
    let mut request = env.http.request(method, url);
    if !token.is_empty() {
        request = request.header("Authorization", format!("OAuth {token}"));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn conferences_are_created_read_and_updated() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let body = json!({"waiting_room_level": "ORGANIZATION", "cohosts": [{"email": MARIA}], "live_stream": {"title": "All hands"}});
    let (status, created) = call(&env, &token, Method::POST, "/conferences", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["join_url"], format!("https://telemost.yandex.ru/j/{id}"));
    assert_eq!(created["waiting_room_level"], "ORGANIZATION");
    assert_eq!(created["cohosts"], json!([{"email": MARIA}]));
    assert_eq!(created["live_stream"]["title"], "All hands");
    assert!(created.get("sip_id").is_none());
    let (status, read) = call(&env, &token, Method::GET, &format!("/conferences/{id}"), None).await;
    assert_eq!(status, 200);
    for field in [
        "sip_uri_meeting",
        "sip_uri_telemost",
        "sip_id",
        "should_create_public_chat_if_not_exists",
    ] {
        assert!(read.get(field).is_some(), "{field}");
    }
    let (status, patched) = call(
        &env,
        &token,
        Method::PATCH,
        &format!("/conferences/{id}"),
        Some(json!({"waiting_room_level": "PUBLIC", "is_auto_summarization_enabled": true})),
    )
    .await;
    assert_eq!(
        (
            status,
            &patched["waiting_room_level"],
            &patched["is_auto_summarization_enabled"]
        ),
        (200, &json!("PUBLIC"), &json!(true))
    );
    // The co-host sees it; others do not.
    let maria = env.token(MARIA, None).await;
    assert_eq!(
        call(&env, &maria, Method::GET, &format!("/conferences/{id}"), None)
            .await
            .0,
        200
    );
    let owner = env.token(common_mail::OWNER, None).await;
    assert_eq!(
        call(&env, &owner, Method::GET, &format!("/conferences/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(&env, &token, Method::GET, "/conferences/00000000000000", None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn cohosts_are_added_replaced_and_removed() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let (_, created) = call(&env, &token, Method::POST, "/conferences", None).await;
    let path = format!("/conferences/{}/cohosts", created["id"].as_str().unwrap());
    assert_eq!(
        call(
            &env,
            &token,
            Method::PATCH,
            &path,
            Some(json!({"cohosts": [{"email": MARIA}]}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(&env, &token, Method::GET, &path, None).await.1,
        json!({"cohosts": [{"email": MARIA}]})
    );
    let (status, replaced) = call(
        &env,
        &token,
        Method::PUT,
        &path,
        Some(json!({"cohosts": [{"email": common_mail::OWNER}]})),
    )
    .await;
    assert_eq!(
        (status, replaced),
        (200, json!({"cohosts": [{"email": common_mail::OWNER}]}))
    );
    assert_eq!(
        call(
            &env,
            &token,
            Method::DELETE,
            &path,
            Some(json!({"cohosts": [{"email": common_mail::OWNER}]}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(&env, &token, Method::GET, &path, None).await.1,
        json!({"cohosts": []})
    );
    let (status, refused) = call(
        &env,
        &token,
        Method::PATCH,
        &path,
        Some(json!({"cohosts": [{"email": "a@x.ru"}, {"email": "outsider@yandex.ru"}]})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "NoSuchUserPrincipalsFound");
    assert_eq!(refused["details"]["emails"], "a@x.ru;outsider@yandex.ru");
    for key in ["description", "message"] {
        assert!(refused[key].is_string());
    }
}

#[tokio::test]
async fn scopes_and_bad_requests() {
    let env = Env::start().await;
    let (status, refused) = call(&env, "", Method::POST, "/conferences", None).await;
    assert_eq!((status, refused["error"].as_str()), (401, Some("UnauthorizedError")));
    let read_only = env.token(IVAN, Some("telemost-api:conferences.read")).await;
    assert_eq!(call(&env, &read_only, Method::POST, "/conferences", None).await.0, 403);
    let token = env.token(IVAN, None).await;
    let (status, refused) = call(
        &env,
        &token,
        Method::POST,
        "/conferences",
        Some(json!({"waiting_room_level": "EVERYONE"})),
    )
    .await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("ValidationError")));
    // A personal account makes public meetings only.
    let outsider = env.device_token(Some(OUTSIDER_UID)).await;
    assert_eq!(call(&env, &outsider, Method::POST, "/conferences", None).await.0, 201);
    assert_eq!(
        call(
            &env,
            &outsider,
            Method::POST,
            "/conferences",
            Some(json!({"waiting_room_level": "ORGANIZATION"}))
        )
        .await
        .0,
        403
    );
}

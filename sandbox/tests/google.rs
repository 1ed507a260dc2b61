//! The Google OAuth 2.0 and Drive v3 emulator, driven over HTTP as real clients drive Google.

mod common_google;

use common_google::*;
use diskbridge_sandbox::{GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};
use md5::{Digest, Md5};
use reqwest::Method;
use serde_json::{json, Value};

const FOLDER: &str = "application/vnd.google-apps.folder";
const KIB256: usize = 256 * 1024;

#[tokio::test]
async fn consent_redirects_with_code_and_state_and_pkce_exchange_works() {
    let env = start();
    let verifier = "a".repeat(20) + "-._~" + &"Z9".repeat(12);
    let location = env
        .authorize(&format!(
            "scope={}&state=xyz%201&access_type=offline&code_challenge={}&code_challenge_method=S256",
            enc(DRIVE),
            pkce_challenge(&verifier)
        ))
        .await;
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("xyz 1"));
    assert_eq!(query_param(&location, "scope").as_deref(), Some(DRIVE));
    let code = query_param(&location, "code").unwrap();
    let exchange = |code: String, verifier: String| {
        let env = &env;
        async move {
            env.token_request(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", GOOGLE_CLIENT_ID),
                ("client_secret", GOOGLE_CLIENT_SECRET),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ])
            .await
        }
    };
    let response = exchange(code.clone(), verifier.clone()).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3599);
    assert_eq!(tokens["scope"], DRIVE);
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("1//"));

    // Codes are single-use.
    let again = exchange(code, verifier).await;
    assert_eq!(again.status(), 400);
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Refresh keeps the refresh token: the answer has none.
    let refresh = env
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", GOOGLE_CLIENT_ID),
            ("client_secret", GOOGLE_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(refresh.status(), 200);
    let refreshed: Value = refresh.json().await.unwrap();
    assert!(refreshed.get("refresh_token").is_none());
    assert_ne!(refreshed["access_token"], tokens["access_token"]);
    let about = env
        .api(
            Method::GET,
            "/drive/v3/about?fields=user(emailAddress)",
            refreshed["access_token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        about.json::<Value>().await.unwrap()["user"]["emailAddress"],
        "sandbox-user@gmail.com"
    );

    // A second consent without prompt=consent brings no new refresh token.
    let code = env.consent("access_type=offline").await;
    let second: Value = exchange(code, String::new()).await.json().await.unwrap();
    assert!(second.get("refresh_token").is_none());
    let code = env.consent("access_type=offline&prompt=consent").await;
    let third: Value = exchange(code, String::new()).await.json().await.unwrap();
    assert!(third.get("refresh_token").is_some());
}

#[tokio::test]
async fn pkce_and_redirect_uri_are_checked() {
    let env = start();
    let exchange = |code: String, redirect: &'static str, verifier: Option<&'static str>| {
        let env = &env;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("client_id", GOOGLE_CLIENT_ID.to_string()),
                ("client_secret", GOOGLE_CLIENT_SECRET.to_string()),
                ("redirect_uri", redirect.to_string()),
            ];
            if let Some(verifier) = verifier {
                form.push(("code_verifier", verifier.to_string()));
            }
            let response = env
                .request(Method::POST, "/google-oauth/token")
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let verifier = "v".repeat(43);
    let challenge = format!(
        "code_challenge={}&code_challenge_method=S256",
        pkce_challenge(&verifier)
    );

    let code = env.consent(&challenge).await;
    let (status, body) = exchange(code, REDIRECT, Some("w".repeat(43).leak())).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    let code = env.consent(&challenge).await;
    let (status, body) = exchange(code, REDIRECT, None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    let code = env.consent(&challenge).await;
    let (status, body) = exchange(code, "http://127.0.0.1:9999/other", Some(verifier.clone().leak())).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("redirect_uri_mismatch")));

    let code = env
        .consent("code_challenge=plain-verifier-of-enough-length-0123456789abc")
        .await;
    let (status, _) = exchange(code, REDIRECT, Some("plain-verifier-of-enough-length-0123456789abc")).await;
    assert_eq!(status, 200);

    // Wrong client secret: 401 invalid_client.
    let code = env.consent("").await;
    let response = env
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", GOOGLE_CLIENT_ID),
            ("client_secret", "wrong"),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_client");

    // Non-loopback and out-of-band redirect URIs get Google's error page, not a redirect.
    for redirect in ["https://example.com/cb", "urn:ietf:wg:oauth:2.0:oob"] {
        let response = env
            .request(
                Method::GET,
                &format!(
                    "/google-accounts/o/oauth2/v2/auth?client_id={}&redirect_uri={}&response_type=code&scope={}",
                    enc(GOOGLE_CLIENT_ID),
                    enc(redirect),
                    enc(DRIVE)
                ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{redirect}");
    }
}

/// OPI's flow: the legacy endpoints, `redirect_uri=http://localhost` without a port, no PKCE.
#[tokio::test]
async fn opi_legacy_authorization_flow_works() {
    let env = start();
    let response = env
        .request(
            Method::GET,
            &format!(
                "/google-accounts/o/oauth2/auth?response_type=code&client_id={GOOGLE_CLIENT_ID}\
                 &redirect_uri=http://localhost&access_type=offline&scope={DRIVE}%20https://www.googleapis.com/auth/calendar"
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://localhost?code="), "{location}");
    let code = query_param(&location, "code").unwrap();
    let response = env
        .request(Method::POST, "/google-accounts/o/oauth2/token")
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", GOOGLE_CLIENT_ID),
            ("client_secret", GOOGLE_CLIENT_SECRET),
            ("redirect_uri", "http://localhost"),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert!(tokens["refresh_token"].is_string());
}

#[tokio::test]
async fn device_flow_polls_through_pending_slow_down_and_approval() {
    let env = start();
    let device_code = |scope: &'static str| {
        let env = &env;
        async move {
            let response = env
                .request(Method::POST, "/google-oauth/device/code")
                .form(&[("client_id", GOOGLE_CLIENT_ID), ("scope", scope)])
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = device_code(DRIVE).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));

    let (status, device) = device_code("https://www.googleapis.com/auth/drive.file email").await;
    assert_eq!(status, 200);
    assert_eq!(device["interval"], 5);
    assert_eq!(device["expires_in"], 1800);
    let verification_url = device["verification_url"].as_str().unwrap().to_string();
    assert_eq!(verification_url, format!("{}/google-accounts/device", env.url));
    let poll = || {
        let env = &env;
        let code = device["device_code"].as_str().unwrap().to_string();
        async move {
            let response = env
                .token_request(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("device_code", &code),
                    ("client_id", GOOGLE_CLIENT_ID),
                    ("client_secret", GOOGLE_CLIENT_SECRET),
                ])
                .await;
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = poll().await;
    assert_eq!((status, body["error"].as_str()), (428, Some("authorization_pending")));
    let (status, body) = poll().await;
    assert_eq!((status, body["error"].as_str()), (403, Some("slow_down")));

    let page = env.http.get(&verification_url).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("user_code"));
    let user_code = device["user_code"].as_str().unwrap().to_lowercase().replace('-', "");
    let approved = env
        .http
        .post(&verification_url)
        .form(&[("user_code", user_code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);

    env.advance_clock(11).await;
    let (status, tokens) = poll().await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["refresh_token"].is_string());
    assert_eq!(
        tokens["scope"],
        "https://www.googleapis.com/auth/drive.file https://www.googleapis.com/auth/userinfo.email"
    );

    // Denied, then expired.
    let (_, denied) = device_code("https://www.googleapis.com/auth/drive.file").await;
    let deny = env
        .http
        .post(&verification_url)
        .form(&[("user_code", denied["user_code"].as_str().unwrap()), ("action", "deny")])
        .send()
        .await
        .unwrap();
    assert_eq!(deny.status(), 200);
    let poll_code = |code: String| {
        let env = &env;
        async move {
            let response = env
                .token_request(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("device_code", &code),
                    ("client_id", GOOGLE_CLIENT_ID),
                    ("client_secret", GOOGLE_CLIENT_SECRET),
                ])
                .await;
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = poll_code(denied["device_code"].as_str().unwrap().into()).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("access_denied")));

    let (_, late) = device_code("https://www.googleapis.com/auth/drive.file").await;
    env.advance_clock(1801).await;
    let (status, body) = poll_code(late["device_code"].as_str().unwrap().into()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("expired_token")));
}

#[tokio::test]
async fn jwt_bearer_grant_verifies_the_service_account_assertion() {
    let env = start();
    let key = env.service_account_key().await;
    assert_eq!(key["type"], "service_account");
    assert_eq!(key["token_uri"], format!("{}/google-oauth/token", env.url));
    assert!(key["private_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----"));

    let response = env.jwt_grant(env.claims(DRIVE, None).await).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none());
    let about: Value = env
        .api(
            Method::GET,
            "/drive/v3/about?fields=user,storageQuota",
            body["access_token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(about["user"]["emailAddress"], key["client_email"]);
    assert_eq!(about["storageQuota"]["limit"], "0");

    // A tampered assertion: the claims change after signing.
    let assertion = sign_jwt(&key, &env.claims(DRIVE, None).await);
    let parts: Vec<&str> = assertion.split('.').collect();
    let mut forged_claims = env.claims(DRIVE, None).await;
    forged_claims["scope"] = json!("https://www.googleapis.com/auth/cloud-platform");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            forged_claims.to_string()
        ),
        parts[2]
    );
    let response = env
        .token_request(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &forged),
        ])
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "Invalid JWT Signature.");

    // Expired: issued two hours ago.
    let mut expired = env.claims(DRIVE, None).await;
    let now = env.now().await;
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    let response = env.jwt_grant(expired).await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Domain-wide delegation: Workspace users yes, a gmail address no.
    let response = env.jwt_grant(env.claims(DRIVE, Some("someone@gmail.com")).await).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "unauthorized_client");
    let token = env.service_token(Some("alice@sandbox-workspace.example")).await;
    let about: Value = env
        .api(Method::GET, "/drive/v3/about?fields=user", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(about["user"]["emailAddress"], "alice@sandbox-workspace.example");
}

#[tokio::test]
async fn revoke_ends_the_whole_grant() {
    let env = start();
    let tokens = env.user_tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    let response = env
        .request(Method::POST, "/google-oauth/revoke")
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let about = env
        .api(Method::GET, "/drive/v3/about?fields=user", access)
        .send()
        .await
        .unwrap();
    assert_eq!(about.status(), 401);
    let refresh = env
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", GOOGLE_CLIENT_ID),
            ("client_secret", GOOGLE_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(refresh.status(), 400);
    assert_eq!(refresh.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let again = env
        .request(Method::POST, &format!("/google-oauth/revoke?token={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "invalid_token");
}

#[tokio::test]
async fn drive_rejects_missing_and_expired_tokens_with_googles_envelope() {
    let env = start();
    let response = env
        .request(Method::GET, "/google-apis/drive/v3/files")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 401);
    assert_eq!(reason(&body), "required");
    let token = env.user_token().await;
    env.advance_clock(3600).await;
    let response = env.api(Method::GET, "/drive/v3/files", &token).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(reason(&body), "authError");
    assert_eq!(body["error"]["errors"][0]["location"], "Authorization");
    assert_eq!(body["error"]["errors"][0]["locationType"], "header");
}

#[tokio::test]
async fn files_crud_with_parents_and_trash() {
    let env = start();
    let token = env.user_token().await;
    let folder = env.create(&token, json!({"name": "Reports", "mimeType": FOLDER})).await;
    let other = env.create(&token, json!({"name": "Archive", "mimeType": FOLDER})).await;
    let root: Value = env
        .api(Method::GET, "/drive/v3/files/root?fields=id,name", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["name"], "My Drive");
    assert_eq!(folder["parents"][0], root["id"]);
    let file = env
        .create(
            &token,
            json!({"name": "a.txt", "parents": [folder["id"]], "description": "d"}),
        )
        .await;
    assert_eq!(file["mimeType"], "text/plain");
    assert_eq!(file["size"], "0");
    assert_eq!(file["version"], "1");

    // Default fields are small.
    let id = file["id"].as_str().unwrap();
    let got: Value = env
        .api(Method::GET, &format!("/drive/v3/files/{id}"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({"kind": "drive#file", "id": id, "name": "a.txt", "mimeType": "text/plain"})
    );

    // Rename and move with addParents/removeParents; parents in the body are refused.
    let moved = env
        .api(
            Method::PATCH,
            &format!(
                "/drive/v3/files/{id}?addParents={}&removeParents={}&fields=name,parents",
                other["id"].as_str().unwrap(),
                folder["id"].as_str().unwrap()
            ),
            &token,
        )
        .json(&json!({"name": "b.txt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    assert_eq!(
        moved.json::<Value>().await.unwrap(),
        json!({"name": "b.txt", "parents": [other["id"]]})
    );
    let refused = env
        .api(Method::PATCH, &format!("/drive/v3/files/{id}"), &token)
        .json(&json!({"parents": ["x"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(reason(&refused.json().await.unwrap()), "fieldNotWritable");

    // Trashing a folder trashes what is inside; trashed files are listed unless q says not.
    let trash = env
        .api(
            Method::PATCH,
            &format!(
                "/drive/v3/files/{}?fields=trashed,explicitlyTrashed",
                other["id"].as_str().unwrap()
            ),
            &token,
        )
        .json(&json!({"trashed": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        trash.json::<Value>().await.unwrap(),
        json!({"trashed": true, "explicitlyTrashed": true})
    );
    let inner: Value = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{id}?fields=trashed,explicitlyTrashed"),
            &token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inner, json!({"trashed": true, "explicitlyTrashed": false}));
    let names = |q: &str| {
        let env = &env;
        let token = token.clone();
        let q = q.to_string();
        async move {
            let list: Value = env
                .api(
                    Method::GET,
                    &format!("/drive/v3/files?q={}&orderBy=name", enc(&q)),
                    &token,
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            list["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("name != 'x'").await, ["Archive", "b.txt", "Reports"]);
    assert_eq!(names("trashed = false").await, ["Reports"]);

    // Copy keeps the bytes' absence and the parent; delete is permanent; emptyTrash clears.
    let copy = env
        .api(
            Method::POST,
            &format!(
                "/drive/v3/files/{}/copy?fields=name,parents",
                folder["id"].as_str().unwrap()
            ),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(copy.status(), 403, "folders cannot be copied");
    let empty = env
        .api(Method::DELETE, "/drive/v3/files/trash", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 204);
    let gone = env
        .api(Method::GET, &format!("/drive/v3/files/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(body["error"]["message"], format!("File not found: {id}."));
    assert_eq!(reason(&body), "notFound");
    assert_eq!(body["error"]["errors"][0]["location"], "fileId");
    let deleted = env
        .api(
            Method::DELETE,
            &format!("/drive/v3/files/{}", folder["id"].as_str().unwrap()),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(names("name != 'x'").await.is_empty());
}

#[tokio::test]
async fn search_parses_the_q_subset_and_rejects_the_rest() {
    let env = start();
    let token = env.user_token().await;
    let folder = env.create(&token, json!({"name": "Folder", "mimeType": FOLDER})).await;
    let folder_id = folder["id"].as_str().unwrap();
    env.create(&token, json!({"name": "it's here.txt", "parents": [folder_id]}))
        .await;
    env.create(
        &token,
        json!({"name": "back\\slash", "parents": [folder_id], "properties": {"k": "v"}}),
    )
    .await;
    env.create(
        &token,
        json!({"name": "HelloWorld.md", "modifiedTime": "2020-05-01T00:00:00Z"}),
    )
    .await;
    let search = |q: String| {
        let env = &env;
        let token = token.clone();
        async move {
            let response = env
                .api(
                    Method::GET,
                    &format!("/drive/v3/files?q={}&orderBy=name", enc(&q)),
                    &token,
                )
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            let names: Vec<String> = body["files"].as_array().map_or(Vec::new(), |files| {
                files.iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
            });
            (status, names, body)
        }
    };
    let (_, names, _) = search("name = 'it\\'s here.txt'".into()).await;
    assert_eq!(names, ["it's here.txt"]);
    let (_, names, _) = search("name = 'back\\\\slash'".into()).await;
    assert_eq!(names, ["back\\slash"]);
    let (_, names, _) = search(format!("'{folder_id}' in parents and not name contains 'back'")).await;
    assert_eq!(names, ["it's here.txt"]);
    let (_, names, _) = search(format!(
        "mimeType = '{FOLDER}' or (name contains 'hello' and modifiedTime < '2021-01-01T00:00:00')"
    ))
    .await;
    assert_eq!(names, ["Folder", "HelloWorld.md"]);
    let (_, names, _) = search("name contains 'World'".into()).await;
    assert!(names.is_empty(), "contains matches word prefixes only");
    let (_, names, _) = search("properties has { key='k' and value='v' } and trashed = false".into()).await;
    assert_eq!(names, ["back\\slash"]);
    let (_, names, _) = search("'root' in parents and mimeType != 'application/vnd.google-apps.folder'".into()).await;
    assert_eq!(names, ["HelloWorld.md"]);
    for unsupported in ["size > 10", "name = 'unterminated", "name ~ 'x'", "fullText = 'x'"] {
        let (status, _, body) = search(unsupported.into()).await;
        assert_eq!(status, 400, "{unsupported}");
        assert_eq!(reason(&body), "invalid");
        assert_eq!(body["error"]["message"], "Invalid Value");
        assert_eq!(body["error"]["errors"][0]["location"], "q");
    }
}

#[tokio::test]
async fn fields_select_with_parentheses_and_paging_follows_next_page_token() {
    let env = start();
    let token = env.user_token().await;
    for i in 0..5 {
        env.upload(&token, json!({"name": format!("f{i}.bin")}), &pattern(10 + i))
            .await;
    }
    let mut names = Vec::new();
    let mut page_token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path =
            "/drive/v3/files?pageSize=2&orderBy=name&fields=nextPageToken,files(id,name,size,md5Checksum)".to_string();
        if let Some(t) = &page_token {
            path.push_str(&format!("&pageToken={}", enc(t)));
        }
        let page: Value = env
            .api(Method::GET, &path, &token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
        for file in page["files"].as_array().unwrap() {
            let keys: Vec<&String> = file.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["id", "md5Checksum", "name", "size"]);
            assert!(file["size"].is_string(), "int64 values are strings");
            names.push(file["name"].as_str().unwrap().to_string());
        }
        assert!(page.get("kind").is_none());
        match page["nextPageToken"].as_str() {
            Some(next) => page_token = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["f0.bin", "f1.bin", "f2.bin", "f3.bin", "f4.bin"]);

    let bad = env
        .api(Method::GET, "/drive/v3/files?fields=files(id,nonsense)", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(reason(&bad.json().await.unwrap()), "invalidParameter");
    let bad = env
        .api(Method::GET, "/drive/v3/files?pageSize=1001", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad = env
        .api(Method::GET, "/drive/v3/files?pageToken=bogus", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn multipart_and_media_uploads_and_range_downloads() {
    let env = start();
    let token = env.user_token().await;
    let bytes = pattern(300_000);
    let file = env
        .upload(
            &token,
            json!({"name": "data.bin", "mimeType": "application/x-test"}),
            &bytes,
        )
        .await;
    assert_eq!(file["size"], "300000");
    assert_eq!(file["md5Checksum"], format!("{:x}", Md5::digest(&bytes)));
    assert_eq!(file["mimeType"], "application/x-test");
    let id = file["id"].as_str().unwrap();

    let whole = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "application/x-test");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let part = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media"), &token)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 100-199/300000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[100..200]);
    let tail = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media"), &token)
        .header("range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &bytes[bytes.len() - 10..]);
    let beyond = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media"), &token)
        .header("range", "bytes=300000-")
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], "bytes */300000");

    // LF-only multipart (Python's email generator) with only the metadata part: a folder (OPI).
    let body = "--B\nContent-Type: application/json\n\n{\"name\":\"Only metadata\",\"mimeType\":\"application/vnd.google-apps.folder\"}\n--B--";
    let folder = env
        .api(Method::POST, "/upload/drive/v3/files/?uploadType=multipart", &token)
        .header("content-type", "multipart/related; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(folder.status(), 200);
    assert_eq!(folder.json::<Value>().await.unwrap()["mimeType"], FOLDER);

    // uploadType=media: no metadata, so "Untitled"; then replace the content of the first file.
    let media = env
        .api(
            Method::POST,
            "/upload/drive/v3/files?uploadType=media&fields=name,size,mimeType",
            &token,
        )
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_eq!(
        media.json::<Value>().await.unwrap(),
        json!({"name": "Untitled", "size": "8", "mimeType": "text/csv"})
    );
    let update = env
        .api(
            Method::PATCH,
            &format!("/upload/drive/v3/files/{id}?uploadType=media&fields=size,version"),
            &token,
        )
        .body("new")
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 200);
    assert_eq!(update.json::<Value>().await.unwrap()["size"], "3");
    let text = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media"), &token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "new");
}

#[tokio::test]
async fn resumable_upload_in_chunks_survives_a_reset_and_reports_progress() {
    let env = start();
    let token = env.user_token().await;
    let total = 3 * KIB256 + 1000;
    let bytes = pattern(total);
    let start = env
        .api(
            Method::POST,
            "/upload/drive/v3/files?uploadType=resumable&fields=id,name,size,md5Checksum",
            &token,
        )
        .header("x-upload-content-type", "application/zip")
        .header("x-upload-content-length", total.to_string())
        .json(&json!({"name": "big.zip"}))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 200);
    let session = start.headers()["location"].to_str().unwrap().to_string();
    assert!(
        session.starts_with(&env.url) && session.contains("upload_id="),
        "{session}"
    );
    let put = |range: String, body: Vec<u8>| {
        let env = &env;
        let session = session.clone();
        async move {
            env.http
                .put(&session)
                .header("content-range", range)
                .body(body)
                .send()
                .await
        }
    };

    // Nothing yet: 308 without Range.
    let status = put(format!("bytes */{total}"), Vec::new()).await.unwrap();
    assert_eq!(status.status(), 308);
    assert!(!status.headers().contains_key("range"));

    // A non-final chunk under 256 KiB is refused.
    let small = put(format!("bytes 0-999/{total}"), bytes[..1000].to_vec())
        .await
        .unwrap();
    assert_eq!(small.status(), 400);

    let first = put(format!("bytes 0-{}/{total}", KIB256 - 1), bytes[..KIB256].to_vec())
        .await
        .unwrap();
    assert_eq!(first.status(), 308);
    assert_eq!(first.headers()["range"], format!("bytes=0-{}", KIB256 - 1));

    // The connection drops 100000 bytes into the next chunk.
    env.control(
        "faults",
        json!({"method": "PUT", "path": "/google-apis/upload", "reset": "request", "after_bytes": 100000}),
    )
    .await;
    let broken = put(
        format!("bytes {}-{}/{total}", KIB256, 3 * KIB256 - 1),
        bytes[KIB256..3 * KIB256].to_vec(),
    )
    .await;
    assert!(broken.is_err(), "the connection was reset");
    let status = put(format!("bytes */{total}"), Vec::new()).await.unwrap();
    assert_eq!(status.status(), 308);
    let range = status.headers()["range"].to_str().unwrap().to_string();
    let next: usize = range.trim_start_matches("bytes=0-").parse::<usize>().unwrap() + 1;
    assert_eq!(next % KIB256, 0);

    // A chunk over 256 KiB but not a multiple of it: only whole units are kept.
    let odd_end = next + KIB256 + 5000;
    let odd = put(
        format!("bytes {next}-{}/{total}", odd_end - 1),
        bytes[next..odd_end].to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(odd.status(), 308);
    let next = next + KIB256;
    assert_eq!(odd.headers()["range"], format!("bytes=0-{}", next - 1));

    let last = put(format!("bytes {next}-{}/{total}", total - 1), bytes[next..].to_vec())
        .await
        .unwrap();
    assert_eq!(last.status(), 201);
    let file: Value = last.json().await.unwrap();
    assert_eq!(file["name"], "big.zip");
    assert_eq!(file["size"], total.to_string());
    assert_eq!(file["md5Checksum"], format!("{:x}", Md5::digest(&bytes)));
    let downloaded = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{}?alt=media", file["id"].as_str().unwrap()),
            &token,
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(downloaded.as_ref() == bytes.as_slice(), "byte-exact after resume");

    // A finished session answers the file again; an expired one is 404.
    let again = put(format!("bytes */{total}"), Vec::new()).await.unwrap();
    assert_eq!(again.status(), 201);
    let stale = env
        .api(Method::POST, "/upload/drive/v3/files?uploadType=resumable", &token)
        .json(&json!({"name": "stale"}))
        .send()
        .await
        .unwrap();
    let stale_session = stale.headers()["location"].to_str().unwrap().to_string();
    env.advance_clock(8 * 24 * 3600).await;
    let expired = env
        .http
        .put(&stale_session)
        .header("content-range", "bytes */*")
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 404);
}

#[tokio::test]
async fn single_request_resumable_upload_and_update() {
    let env = start();
    let token = env.user_token().await;
    let start = env
        .api(Method::POST, "/upload/drive/v3/files?uploadType=resumable", &token)
        .send()
        .await
        .unwrap();
    let session = start.headers()["location"].to_str().unwrap().to_string();
    let done = env.http.put(&session).body("hello").send().await.unwrap();
    assert_eq!(done.status(), 201);
    let file: Value = done.json().await.unwrap();
    assert_eq!(file["name"], "Untitled");
    let id = file["id"].as_str().unwrap();
    let start = env
        .api(
            Method::PATCH,
            &format!("/upload/drive/v3/files/{id}?uploadType=resumable&fields=name,size"),
            &token,
        )
        .json(&json!({"name": "renamed"}))
        .send()
        .await
        .unwrap();
    let session = start.headers()["location"].to_str().unwrap().to_string();
    // rclone sends session requests as POST.
    let done = env
        .http
        .post(&session)
        .header("content-range", "bytes 0-6/7")
        .body("goodbye")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(
        done.json::<Value>().await.unwrap(),
        json!({"name": "renamed", "size": "7"})
    );
}

#[tokio::test]
async fn docs_export_and_download_rules() {
    let env = start();
    let token = env.user_token().await;
    let doc = env
        .api(
            Method::POST,
            "/upload/drive/v3/files?uploadType=multipart&fields=id,mimeType,exportLinks",
            &token,
        )
        .header("content-type", "multipart/related; boundary=x")
        .body(multipart_body(
            "x",
            &json!({"name": "Notes", "mimeType": "application/vnd.google-apps.document"}),
            "text/plain",
            b"line one\nline two",
        ))
        .send()
        .await
        .unwrap();
    let doc: Value = doc.json().await.unwrap();
    assert_eq!(doc["mimeType"], "application/vnd.google-apps.document");
    assert!(doc["exportLinks"]["application/pdf"].is_string());
    let id = doc["id"].as_str().unwrap();

    let text = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{id}/export?mimeType=text/plain"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 200);
    assert_eq!(text.headers()["content-type"], "text/plain");
    assert_eq!(text.text().await.unwrap(), "\u{feff}line one\nline two");
    let pdf = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{id}/export?mimeType=application/pdf"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    let unsupported = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{id}/export?mimeType=image/png"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unsupported.status(), 400);
    let media = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(media.status(), 403);
    assert_eq!(reason(&media.json().await.unwrap()), "fileNotDownloadable");

    let blob = env.upload(&token, json!({"name": "plain.txt"}), b"x").await;
    let export = env
        .api(
            Method::GET,
            &format!(
                "/drive/v3/files/{}/export?mimeType=application/pdf",
                blob["id"].as_str().unwrap()
            ),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 403);
    assert_eq!(reason(&export.json().await.unwrap()), "fileNotExportable");

    // Malware (the EICAR test file) needs acknowledgeAbuse from the owner.
    let eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    let bad = env.upload(&token, json!({"name": "eicar.com"}), eicar).await;
    let path = format!("/drive/v3/files/{}?alt=media", bad["id"].as_str().unwrap());
    let refused = env.api(Method::GET, &path, &token).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(reason(&refused.json().await.unwrap()), "cannotDownloadAbusiveFile");
    let allowed = env
        .api(Method::GET, &format!("{path}&acknowledgeAbuse=true"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
}

#[tokio::test]
async fn permissions_share_files_with_other_people() {
    let env = start();
    let owner = env.service_token(Some("owner@sandbox-workspace.example")).await;
    let bob = env.service_token(Some("bob@sandbox-workspace.example")).await;
    let file = env.upload(&owner, json!({"name": "shared.txt"}), b"shared").await;
    let id = file["id"].as_str().unwrap();
    assert_eq!(
        env.api(Method::GET, &format!("/drive/v3/files/{id}"), &bob)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let created = env
        .api(Method::POST, &format!("/drive/v3/files/{id}/permissions"), &owner)
        .json(&json!({"role": "reader", "type": "user", "emailAddress": "bob@sandbox-workspace.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let permission: Value = created.json().await.unwrap();
    assert_eq!(permission["kind"], "drive#permission");
    assert_eq!(permission["role"], "reader");
    let permission_id = permission["id"].as_str().unwrap().to_string();

    let seen = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media"), &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.text().await.unwrap(), "shared");
    let listed: Value = env
        .api(Method::GET, "/drive/v3/files?q=sharedWithMe%20%3D%20true", &bob)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["files"][0]["id"], id);
    let write = env
        .api(Method::PATCH, &format!("/drive/v3/files/{id}"), &bob)
        .json(&json!({"name": "mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403);

    let list: Value = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{id}/permissions?fields=permissions(id,role,emailAddress)"),
            &owner,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roles: Vec<&str> = list["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["owner", "reader"]);
    let got = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{id}/permissions/{permission_id}?fields=emailAddress"),
            &owner,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.json::<Value>().await.unwrap()["emailAddress"],
        "bob@sandbox-workspace.example"
    );

    let owner_role = env
        .api(Method::POST, &format!("/drive/v3/files/{id}/permissions"), &owner)
        .json(&json!({"role": "owner", "type": "user", "emailAddress": "bob@sandbox-workspace.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(owner_role.status(), 403);

    let deleted = env
        .api(
            Method::DELETE,
            &format!("/drive/v3/files/{id}/permissions/{permission_id}"),
            &owner,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        env.api(Method::GET, &format!("/drive/v3/files/{id}"), &bob)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let missing = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{id}/permissions/{permission_id}"),
            &owner,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn comments_require_fields() {
    let env = start();
    let token = env.user_token().await;
    let file = env.upload(&token, json!({"name": "c.txt"}), b"c").await;
    let base = format!("/drive/v3/files/{}/comments", file["id"].as_str().unwrap());
    let without = env
        .api(Method::POST, &base, &token)
        .json(&json!({"content": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 400);
    let body: Value = without.json().await.unwrap();
    assert_eq!(reason(&body), "required");
    assert_eq!(body["error"]["errors"][0]["location"], "fields");

    let created = env
        .api(Method::POST, &format!("{base}?fields=*"), &token)
        .json(&json!({"content": "a <b>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let comment: Value = created.json().await.unwrap();
    assert_eq!(comment["kind"], "drive#comment");
    assert_eq!(comment["htmlContent"], "a &lt;b&gt;");
    assert_eq!(comment["author"]["me"], true);
    assert!(comment["author"].get("emailAddress").is_none());
    let comment_id = comment["id"].as_str().unwrap();

    let got: Value = env
        .api(Method::GET, &format!("{base}/{comment_id}?fields=content"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, json!({"content": "a <b>"}));
    let list: Value = env
        .api(Method::GET, &format!("{base}?fields=comments(id),kind"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list,
        json!({"kind": "drive#commentList", "comments": [{"id": comment_id}]})
    );
    let deleted = env
        .api(Method::DELETE, &format!("{base}/{comment_id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = env
        .api(Method::GET, &format!("{base}/{comment_id}?fields=id"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let with_deleted: Value = env
        .api(
            Method::GET,
            &format!("{base}/{comment_id}?fields=deleted&includeDeleted=true"),
            &token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(with_deleted, json!({"deleted": true}));
}

#[tokio::test]
async fn service_accounts_have_no_storage_quota() {
    let env = start();
    let token = env.service_token(None).await;
    let folder = env
        .api(Method::POST, "/drive/v3/files", &token)
        .json(&json!({"name": "ok", "mimeType": FOLDER}))
        .send()
        .await
        .unwrap();
    assert_eq!(folder.status(), 200);
    let upload = env
        .api(Method::POST, "/upload/drive/v3/files?uploadType=multipart", &token)
        .header("content-type", "multipart/related; boundary=b")
        .body(multipart_body("b", &json!({"name": "f.txt"}), "text/plain", b"data"))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 403);
    let body: Value = upload.json().await.unwrap();
    assert_eq!(reason(&body), "storageQuotaExceeded");
    assert_eq!(body["error"]["errors"][0]["domain"], "usageLimits");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Service Accounts do not have storage quota."));
    let resumable = env
        .api(Method::POST, "/upload/drive/v3/files?uploadType=resumable", &token)
        .json(&json!({"name": "f"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resumable.status(), 403);
}

#[tokio::test]
async fn injected_faults_use_googles_error_envelope() {
    let env = start();
    let token = env.user_token().await;
    env.control(
        "faults",
        json!({"path": "/google-apis/drive/v3/files", "status": 429, "retry_after": 2}),
    )
    .await;
    let response = env.api(Method::GET, "/drive/v3/files", &token).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 429);
    assert_eq!(reason(&body), "rateLimitExceeded");
    assert_eq!(body["error"]["errors"][0]["domain"], "usageLimits");
    let next = env.api(Method::GET, "/drive/v3/files", &token).send().await.unwrap();
    assert_eq!(next.status(), 200);
}

#[tokio::test]
async fn file_contents_survive_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("diskbridge-google-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = diskbridge_sandbox::SandboxOptions {
        port: 0,
        data_dir: Some(dir.clone()),
        ..diskbridge_sandbox::SandboxOptions::default()
    };
    let bytes = pattern(70_000);
    let (token, id) = {
        let sandbox = diskbridge_sandbox::Sandbox::start_with(options.clone()).unwrap();
        let env = common_google::Env::attach(sandbox);
        let token = env.user_token().await;
        let file = env.upload(&token, json!({"name": "kept.bin"}), &bytes).await;
        (token, file["id"].as_str().unwrap().to_string())
    };
    let sandbox = diskbridge_sandbox::Sandbox::start_with(options).unwrap();
    let env = common_google::Env::attach(sandbox);
    let response = env
        .api(Method::GET, &format!("/drive/v3/files/{id}?alt=media"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().as_ref() == bytes.as_slice());
    drop(env);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn implicit_flow_tokeninfo_and_userinfo() {
    let env = start();
    let response = env
        .request(
            Method::GET,
            &format!(
                "/google-accounts/o/oauth2/v2/auth?client_id={}&redirect_uri={}&response_type=token&scope=email&state=s",
                enc(GOOGLE_CLIENT_ID),
                enc(REDIRECT)
            ),
        )
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{REDIRECT}#")), "{location}");
    let token = query_param(&location, "access_token").unwrap();
    assert_eq!(query_param(&location, "state").as_deref(), Some("s"));
    let info: Value = env
        .request(Method::GET, &format!("/google-oauth/tokeninfo?access_token={token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "sandbox-user@gmail.com");
    assert_eq!(info["aud"], GOOGLE_CLIENT_ID);
    let user: Value = env
        .api(Method::GET, "/oauth2/v3/userinfo", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["email"], "sandbox-user@gmail.com");
    let bad = env
        .request(Method::GET, "/google-oauth/tokeninfo?access_token=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn generated_ids_copies_and_property_patches() {
    let env = start();
    let token = env.user_token().await;
    let ids: Value = env
        .api(Method::GET, "/drive/v3/files/generateIds?count=2", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids["kind"], "drive#generatedIds");
    let id = ids["ids"][0].as_str().unwrap();
    let file = env
        .upload(
            &token,
            json!({"id": id, "name": "orig.txt", "properties": {"a": "1", "b": "2"}}),
            b"copy me",
        )
        .await;
    assert_eq!(file["id"], id);
    let taken = env
        .api(Method::POST, "/drive/v3/files", &token)
        .json(&json!({"id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 409);
    let unknown = env
        .api(Method::POST, "/drive/v3/files", &token)
        .json(&json!({"id": "1notgenerated"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);

    let patched: Value = env
        .api(
            Method::PATCH,
            &format!("/drive/v3/files/{id}?fields=properties"),
            &token,
        )
        .json(&json!({"properties": {"a": null, "c": "3"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched, json!({"properties": {"b": "2", "c": "3"}}));
    let copy: Value = env
        .api(
            Method::POST,
            &format!("/drive/v3/files/{id}/copy?fields=id,name,parents,md5Checksum"),
            &token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(copy["name"], "Copy of orig.txt");
    assert_eq!(copy["parents"], file["parents"]);
    assert_eq!(copy["md5Checksum"], file["md5Checksum"]);
    let bytes = env
        .api(
            Method::GET,
            &format!("/drive/v3/files/{}?alt=media", copy["id"].as_str().unwrap()),
            &token,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(bytes, "copy me");
}

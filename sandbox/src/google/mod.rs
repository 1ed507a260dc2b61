//! Google OAuth 2.0 (`accounts.google.com`, `oauth2.googleapis.com`) and Google Drive v3
//! (`www.googleapis.com`), per docs/protocols.md §3–4. See docs/sandbox-google.md for what is
//! emulated and the assumptions made where the reference is silent.

pub(crate) mod drive;
mod error;
mod key;
mod oauth;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub(crate) use error::ApiError;

use crate::state::{lock, AppState, Shared};
use crate::util::base_url;

/// The person who consents in the browser pages: a consumer (gmail) account.
pub const DEFAULT_USER_EMAIL: &str = "sandbox-user@gmail.com";
const DEFAULT_USER_NAME: &str = "Sandbox User";
/// Google account ids are 21-digit numbers; this one is fixed so `sub` is stable across runs.
const DEFAULT_USER_SUB: &str = "108374615529384756102";
/// The built-in service account whose key `GET /_sandbox/google/service-account-key` hands out.
pub const SERVICE_ACCOUNT_EMAIL: &str = "sandbox-drive@sandbox-project.iam.gserviceaccount.com";
const SERVICE_ACCOUNT_CLIENT_ID: &str = "104582937461029384756";
const SERVICE_ACCOUNT_KEY_ID: &str = "1bd6a2f283ed31f2d984fe4a7b10ecae5a62fb62";
const SERVICE_ACCOUNT_PROJECT: &str = "sandbox-project";
pub use drive::model::SEEDED_DRIVE_ID as GOOGLE_SHARED_DRIVE_ID;
/// The built-in service account and the shared drive it is a content manager of, for tests.
pub use SERVICE_ACCOUNT_EMAIL as GOOGLE_SERVICE_ACCOUNT_EMAIL;
/// Every address at this Workspace domain exists, and the service account may impersonate it
/// (domain-wide delegation through the JWT `sub` claim).
pub const WORKSPACE_DOMAIN: &str = "sandbox-workspace.example";

/// The Google emulator's state: OAuth grants and tokens, Drive metadata (kept in the sandbox's
/// state file), and file contents as files in a blob directory, so big uploads never sit in memory.
pub struct Store {
    data: Mutex<Data>,
    /// `--data-dir`/google-drive-blobs, or one in the sandbox's temporary directory.
    blobs: PathBuf,
    /// Digest state of resumable sessions in progress; rebuilt from disk when lost.
    pub(crate) uploads: drive::resumable::Sessions,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Data {
    pub oauth: oauth::OAuthState,
    pub drive: drive::model::Drive,
}

impl Store {
    pub fn new(data_dir: Option<&Path>, work_dir: &Path) -> std::io::Result<Store> {
        let blobs = data_dir.unwrap_or(work_dir).join("google-drive-blobs");
        std::fs::create_dir_all(&blobs)?;
        Ok(Store {
            data: Mutex::new(Data::default()),
            blobs,
            uploads: Default::default(),
        })
    }

    pub fn reset(&self) {
        *self.data() = Data::default();
        self.uploads.clear();
        if let Ok(entries) = std::fs::read_dir(&self.blobs) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    pub fn snapshot(&self) -> Value {
        serde_json::to_value(&*self.data()).unwrap_or_default()
    }

    pub fn restore(&self, snapshot: Value) {
        if let Ok(mut data) = serde_json::from_value::<Data>(snapshot) {
            data.drive.seed();
            *self.data() = data;
        }
    }

    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        lock(&self.data)
    }

    pub(crate) fn blob_path(&self, name: &str) -> PathBuf {
        self.blobs.join(name)
    }
}

/// `https://accounts.google.com`: the consent page, the device verification page, and the
/// legacy token, device-code and revoke endpoints that OPI and older clients still call.
pub fn accounts_router() -> Router<AppState> {
    Router::new()
        .route("/o/oauth2/auth", get(oauth::authorize))
        .route("/o/oauth2/v2/auth", get(oauth::authorize))
        .route("/o/oauth2/token", post(oauth::token))
        .route("/o/oauth2/device/code", post(oauth::device_code))
        .route("/o/oauth2/revoke", get(oauth::revoke).post(oauth::revoke))
        .route("/device", get(oauth::device_page).post(oauth::device_decide))
}

/// `https://oauth2.googleapis.com`.
pub fn oauth_router() -> Router<AppState> {
    Router::new()
        .route("/token", post(oauth::token))
        .route("/device/code", post(oauth::device_code))
        .route("/revoke", get(oauth::revoke).post(oauth::revoke))
        .route("/tokeninfo", get(oauth::tokeninfo).post(oauth::tokeninfo))
}

/// `https://www.googleapis.com`: Drive v3, its upload paths, and the older OAuth aliases.
pub fn apis_router() -> Router<AppState> {
    drive::router()
        .route("/oauth2/v4/token", post(oauth::token))
        .route("/oauth2/v3/token", post(oauth::token))
        .route("/oauth2/v3/tokeninfo", get(oauth::tokeninfo).post(oauth::tokeninfo))
        .route("/oauth2/v3/userinfo", get(oauth::userinfo))
        .route("/oauth2/v2/userinfo", get(oauth::userinfo))
}

/// Google's JSON error envelope (docs/protocols.md §4.8), as the generic fault injection uses it.
pub fn error_body(status: StatusCode, message: &str, reason: &str) -> Value {
    ApiError::new(status, reason, message).body()
}

/// `GET /_sandbox/google/service-account-key`: the key file of the built-in service account,
/// in the shape the Cloud console downloads, with its URIs pointing at this sandbox.
pub async fn service_account_key(AxumState(state): AxumState<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    // One line of the key body stands for the whole key in the secrets audit (the list is
    // line-oriented, and any leak of the key contains every line of it).
    if let Some(line) = key::PRIVATE_KEY_PEM.lines().nth(1) {
        state.secrets.record(line);
    }
    json_response(
        StatusCode::OK,
        &json!({
            "type": "service_account",
            "project_id": SERVICE_ACCOUNT_PROJECT,
            "private_key_id": SERVICE_ACCOUNT_KEY_ID,
            "private_key": key::PRIVATE_KEY_PEM,
            "client_email": SERVICE_ACCOUNT_EMAIL,
            "client_id": SERVICE_ACCOUNT_CLIENT_ID,
            "auth_uri": format!("{base}/google-accounts/o/oauth2/auth"),
            "token_uri": format!("{base}/google-oauth/token"),
            "auth_provider_x509_cert_url": format!("{base}/google-apis/oauth2/v1/certs"),
            "client_x509_cert_url": format!(
                "{base}/google-apis/robot/v1/metadata/x509/{}",
                crate::util::encode(SERVICE_ACCOUNT_EMAIL)
            ),
            "universe_domain": "googleapis.com",
        }),
    )
}

/// `GET /_sandbox/google/shared-drives`: every shared drive with its members.
pub async fn shared_drives(AxumState(state): AxumState<AppState>) -> Response {
    let data = state.google.data();
    let drives: Vec<Value> = data.drive.shared_drives.values().map(shared_drive_json).collect();
    json_response(StatusCode::OK, &json!(drives))
}

/// `POST /_sandbox/google/shared-drives {"name", "members": {"email": "role"}}`: a new shared
/// drive (roles `organizer`, `fileOrganizer`, `writer`, `commenter`, `reader`), as a Workspace
/// administrator would make it; answers the drive with its id.
pub async fn add_shared_drive(AxumState(state): AxumState<AppState>, body: axum::body::Bytes) -> Response {
    let refuse = |message: &str| json_response(StatusCode::BAD_REQUEST, &json!({"error": message}));
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return refuse("expected {\"name\": …, \"members\": {\"email\": \"role\"}}");
    };
    let Some(name) = body.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) else {
        return refuse("`name` is required");
    };
    let mut members = std::collections::BTreeMap::new();
    for (email, role) in body.get("members").and_then(Value::as_object).into_iter().flatten() {
        match role.as_str().filter(|r| drive::model::member_role(r).is_some()) {
            Some(role) => members.insert(email.to_ascii_lowercase(), role.to_string()),
            None => return refuse(&format!("unknown role for {email}: {role}")),
        };
    }
    let id = format!(
        "0A{}Uk9PVA",
        crate::util::random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 13)
    );
    let now = now_ms(&state);
    let mut data = state.google.data();
    data.drive.add_shared_drive(&id, name, members, now);
    let created = shared_drive_json(&data.drive.shared_drives[&id]);
    drop(data);
    state.save();
    json_response(StatusCode::OK, &created)
}

fn shared_drive_json(drive: &drive::model::SharedDrive) -> Value {
    json!({"id": drive.id, "name": drive.name, "members": drive.members})
}

/// A Google account as the APIs describe it. Anyone with an e-mail address "exists": the
/// default user, the service account, Workspace users, and people files are shared with.
pub(crate) struct Person {
    pub email: String,
    pub display_name: String,
    /// The account id (`sub` of OpenID Connect).
    pub sub: String,
    /// The id of this person's permissions on every file.
    pub permission_id: String,
}

pub(crate) fn person(email: &str) -> Person {
    let email = email.to_ascii_lowercase();
    let (sub, display_name) = if email == DEFAULT_USER_EMAIL {
        (DEFAULT_USER_SUB.to_string(), DEFAULT_USER_NAME.to_string())
    } else if email == SERVICE_ACCOUNT_EMAIL {
        (SERVICE_ACCOUNT_CLIENT_ID.to_string(), email.clone())
    } else {
        let local = email.split('@').next().unwrap_or_default().to_string();
        (format!("1{}", digits_of(&email, 20)), local)
    };
    let permission_id = digits_of(&format!("permission:{email}"), 20);
    Person {
        email,
        display_name,
        sub,
        permission_id,
    }
}

/// `n` decimal digits derived from `seed`: stable ids for people the sandbox never stored.
fn digits_of(seed: &str, n: usize) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(seed.as_bytes())
        .iter()
        .cycle()
        .take(n)
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

pub(crate) fn is_service_account(email: &str) -> bool {
    email.ends_with(".iam.gserviceaccount.com")
}

/// Google's JSON responses carry `charset=UTF-8`.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    crate::util::json_response(status, "application/json; charset=UTF-8", body)
}

/// Milliseconds since the Unix epoch on the sandbox's clock (Drive times have milliseconds).
pub(crate) fn now_ms(state: &Shared) -> i64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    real + state.clock.offset_s.load(std::sync::atomic::Ordering::SeqCst) * 1000
}

//! `credentials_file` through the C ABI against the sandbox: the tokens are read, renewed and
//! saved under the file's lock, so processes and threads sharing one sign-in never spend a
//! refresh token twice (Yandex rotates it at every refresh). The acceptance test runs eight
//! processes — copies of this test binary — against one file while the tokens keep expiring.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{err, ok, raw_call, sandbox, TempDir, TestSandbox};
use diskbridge_sandbox::{GOOGLE_CLIENT_ID, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

/// Set in the environment of the copies of this binary the acceptance test starts: what one
/// worker does (sandbox URL, credentials file, number of calls).
const WORKER_ENV: &str = "DISKBRIDGE_CREDENTIALS_FILE_WORKER";
/// Starts the line where a worker prints its tally.
const TALLY: &str = "credentials-file-worker-tally ";

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Writes credentials the way a person's tool would: owner-only, through a rename.
fn write_private(path: &Path, credentials: &Value) {
    let temporary = path.with_extension("test-tmp");
    std::fs::write(&temporary, credentials.to_string()).unwrap();
    set_mode(&temporary, 0o600);
    std::fs::rename(&temporary, path).unwrap();
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn file_arg(path: &Path) -> Value {
    json!(path.to_str().unwrap())
}

fn canonical(path: &Path) -> String {
    std::fs::canonicalize(path).unwrap().to_str().unwrap().to_string()
}

/// A signed-in default user's credentials in `dir/tokens.json`, expiring as the sandbox said.
fn signed_in_file(sb: &TestSandbox, dir: &TempDir) -> (PathBuf, Value) {
    let tokens = sb.sign_in();
    let mut credentials = sb.credentials(&tokens);
    credentials["expires_at"] = json!(now() + tokens["expires_in"].as_i64().unwrap());
    let path = dir.path("tokens.json");
    write_private(&path, &credentials);
    (path, credentials)
}

/// The paths and statuses of the logged requests, in order.
fn trail(sb: &TestSandbox) -> Vec<(String, u64)> {
    sb.requests()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["status"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn step(path: &str, status: u64) -> (String, u64) {
    (path.to_string(), status)
}

/// The refresh tokens the logged refresh grants spent, in order.
fn spent_refresh_tokens(sb: &TestSandbox) -> Vec<(String, u64)> {
    sb.requests_to("/yandex-oauth/token")
        .iter()
        .filter_map(|r| {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(r["body"].as_str().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
            let token = form.iter().find(|(k, _)| k == "refresh_token")?.1.clone();
            Some((token, r["status"].as_u64().unwrap_or(0)))
        })
        .collect()
}

/// Whether the sandbox still honours this refresh token (it rotates: this spends it).
fn refresh_token_works(sb: &TestSandbox, refresh_token: &Value) -> bool {
    let reply = sb.call(
        "YandexID.RefreshToken",
        json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "refresh_token": refresh_token}),
    );
    reply["ok"] == json!(true)
}

#[test]
fn an_expired_token_in_the_file_is_renewed_and_saved_and_then_used_as_it_is() {
    let sb = sandbox();
    let dir = TempDir::new("credfile-renew");
    let (path, mut credentials) = signed_in_file(&sb, &dir);
    credentials["expires_at"] = json!(1);
    credentials["note"] = json!("a key of the host's, kept");
    write_private(&path, &credentials);
    sb.clear_requests();

    let reply = sb.call(
        "YandexDisk.GetDiskInformation",
        json!({"credentials_file": file_arg(&path)}),
    );
    assert_eq!(ok(reply.clone())["user"]["login"], "sandbox-owner");
    assert!(reply.get("credentials").is_none(), "the file keeps the tokens: {reply}");
    assert_eq!(reply["credentials_saved_to"], json!(canonical(&path)));
    assert_eq!(
        trail(&sb),
        [step("/yandex-oauth/token", 200), step("/yandex-disk/v1/disk/", 200)]
    );
    let saved = read_json(&path);
    assert_ne!(
        saved["refresh_token"], credentials["refresh_token"],
        "Yandex rotated it"
    );
    assert_eq!(saved["note"], credentials["note"]);
    assert_eq!(saved["client_secret"], YANDEX_CLIENT_SECRET);
    assert!(saved["expires_at"].as_i64().unwrap() > now());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in ["tokens.json", "tokens.json.lock"] {
            let mode = std::fs::metadata(dir.path(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name} is the owner's only");
        }
    }

    // Still good: the next call uses the saved token as it is.
    sb.clear_requests();
    let reply = sb.call("YandexID.GetUserInfo", json!({"credentials_file": file_arg(&path)}));
    assert_eq!(ok(reply.clone())["login"], "sandbox-owner");
    assert!(reply.get("credentials_saved_to").is_none() && reply.get("credentials").is_none());
    assert_eq!(trail(&sb), [step("/yandex-login/info", 200)]);
    assert_eq!(
        dir.entries(),
        ["tokens.json", "tokens.json.lock"],
        "nothing else is left"
    );
}

#[test]
fn a_refused_token_is_renewed_only_while_the_file_still_holds_it() {
    let sb = sandbox();
    let dir = TempDir::new("credfile-401");
    let (path, credentials) = signed_in_file(&sb, &dir);
    let arg = json!({"credentials_file": file_arg(&path)});

    // The service refuses the file's token: the library renews it under the lock, saves it and
    // repeats the call.
    sb.clear_requests();
    sb.fault(json!({"method": "GET", "path": "/yandex-disk/v1/disk", "status": 401}));
    let reply = sb.call("YandexDisk.GetDiskInformation", arg.clone());
    ok(reply.clone());
    assert_eq!(reply["credentials_saved_to"], json!(canonical(&path)));
    assert_eq!(
        trail(&sb),
        [
            step("/yandex-disk/v1/disk/", 401),
            step("/yandex-oauth/token", 200),
            step("/yandex-disk/v1/disk/", 200)
        ]
    );
    let renewed = read_json(&path);
    assert_ne!(renewed["refresh_token"], credentials["refresh_token"]);

    // Another process renews while this call waits for its answer: the refused token is no
    // longer the file's, so the call takes the file's new token instead of renewing again.
    sb.clear_requests();
    sb.fault(json!({"method": "GET", "path": "/yandex-disk/v1/disk", "status": 401, "delay_ms": 1500}));
    let outcome = std::thread::scope(|scope| {
        let call = scope.spawn(|| sb.call("YandexDisk.GetDiskInformation", arg.clone()));
        std::thread::sleep(Duration::from_millis(400));
        // Past half of the token's life, so the refresh issues a new access token too.
        sb.advance_clock(183 * 24 * 3600);
        let other = ok(sb.call(
            "YandexID.RefreshToken",
            json!({"client_id": YANDEX_CLIENT_ID, "client_secret": YANDEX_CLIENT_SECRET, "refresh_token": renewed["refresh_token"]}),
        ));
        let mut theirs = sb.credentials(&other);
        theirs["expires_at"] = json!(now() + other["expires_in"].as_i64().unwrap());
        write_private(&path, &theirs);
        (call.join().unwrap(), theirs)
    });
    let (reply, theirs) = outcome;
    assert_ne!(theirs["access_token"], renewed["access_token"]);
    ok(reply.clone());
    assert!(
        reply.get("credentials_saved_to").is_none(),
        "this call renewed nothing: {reply}"
    );
    let logged = sb.requests();
    let paths: Vec<&str> = logged.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["/yandex-disk/v1/disk/", "/yandex-oauth/token", "/yandex-disk/v1/disk/"],
        "the only refresh is the other process's"
    );
    assert_eq!(
        logged[2]["headers"]["authorization"],
        json!(format!("OAuth {}", theirs["access_token"].as_str().unwrap()))
    );
    assert_eq!(read_json(&path), theirs, "the file is as the other process left it");
    assert!(refresh_token_works(&sb, &theirs["refresh_token"]));
}

#[test]
fn what_cannot_be_a_shared_credentials_file_is_refused_before_any_request() {
    let sb = sandbox();
    let dir = TempDir::new("credfile-refuse");
    let (path, credentials) = signed_in_file(&sb, &dir);
    sb.clear_requests();
    let call = |params: Value| sb.call("YandexDisk.GetDiskInformation", params);
    let refused = |params: Value, code: &str, said: &str| {
        let error = err(call(params));
        assert_eq!(error["code"], code, "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(said), "{message}");
        for secret in [&credentials["access_token"], &credentials["refresh_token"]] {
            assert!(!message.contains(secret.as_str().unwrap()), "no secret in {message}");
        }
    };

    // One source of tokens at a time.
    let both = json!({"credentials_file": file_arg(&path), "credentials": credentials});
    refused(
        both,
        "invalid_params",
        "`credentials_file` and `credentials` are given together",
    );
    let with_token = json!({"credentials_file": file_arg(&path), "token": "y0_some_token"});
    refused(with_token, "invalid_params", "`credentials_file` and `token`");

    let missing = dir.path("missing.json");
    refused(
        json!({"credentials_file": file_arg(&missing)}),
        "local_io",
        "sign in and save",
    );
    refused(
        json!({"credentials_file": file_arg(&dir.0)}),
        "local_io",
        "is not a regular file",
    );
    for (name, text, said) in [
        ("garbage.json", "{\"refresh_token\": ", "is not JSON"),
        ("array.json", "[]", "must hold a JSON object"),
        (
            "partial.json",
            "{\"client_id\": \"x\", \"client_secret\": \"y\"}",
            "`credentials.refresh_token` is missing",
        ),
    ] {
        let bad = dir.path(name);
        std::fs::write(&bad, text).unwrap();
        set_mode(&bad, 0o600);
        refused(json!({"credentials_file": file_arg(&bad)}), "invalid_params", said);
    }
    #[cfg(unix)]
    for mode in [0o640, 0o604, 0o660] {
        set_mode(&path, mode);
        refused(
            json!({"credentials_file": file_arg(&path)}),
            "local_io",
            "may be read or written by other users",
        );
    }
    set_mode(&path, 0o600);
    assert!(sb.requests().is_empty(), "nothing was sent: {:?}", trail(&sb));
    assert_eq!(read_json(&path), credentials, "the file is untouched");
    ok(call(json!({"credentials_file": file_arg(&path)})));

    // `timeouts.lock_s` is checked like any other setting.
    let options = json!({"sandbox": sb.url(), "timeouts": {"lock_s": 0}});
    refused(
        json!({"credentials_file": file_arg(&path), "options": options}),
        "invalid_params",
        "timeouts.lock_s",
    );
}

#[test]
fn a_symbolic_link_stays_and_its_target_gets_the_new_tokens() {
    let sb = sandbox();
    let dir = TempDir::new("credfile-link");
    let (target, mut credentials) = signed_in_file(&sb, &dir);
    credentials["expires_at"] = json!(1);
    write_private(&target, &credentials);
    let link = dir.path("link.json");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &link).unwrap();
    #[cfg(windows)]
    std::os::windows::fs::symlink_file(&target, &link).unwrap();

    let reply = sb.call("YandexID.GetUserInfo", json!({"credentials_file": file_arg(&link)}));
    ok(reply.clone());
    assert_eq!(reply["credentials_saved_to"], json!(canonical(&target)));
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "the link stays"
    );
    let saved = read_json(&target);
    assert_ne!(saved["refresh_token"], credentials["refresh_token"]);
    assert!(
        refresh_token_works(&sb, &saved["refresh_token"]),
        "the target holds the live token"
    );
    assert_eq!(
        dir.entries(),
        ["link.json", "tokens.json", "tokens.json.lock"],
        "one lock, beside the target"
    );
}

#[test]
fn a_lock_held_too_long_ends_the_call_with_timeout_and_nothing_spent() {
    let sb = sandbox();
    let dir = TempDir::new("credfile-held");
    let (path, mut credentials) = signed_in_file(&sb, &dir);
    credentials["expires_at"] = json!(1);
    write_private(&path, &credentials);
    // Another holder: this test, through its own handle, as another process would.
    let lock_path = dir.path("tokens.json.lock");
    let holder = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .unwrap();
    set_mode(&lock_path, 0o600);
    holder.lock().unwrap();
    sb.clear_requests();
    let options = json!({"sandbox": sb.url(), "timeouts": {"lock_s": 1}});
    let started = Instant::now();
    let error = err(sb.call(
        "YandexDisk.GetDiskInformation",
        json!({"credentials_file": file_arg(&path), "options": options}),
    ));
    let waited = started.elapsed();
    assert_eq!(error["code"], "timeout", "{error}");
    assert_eq!(error["retryable"], true);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("tokens.json.lock") && message.contains("timeouts.lock_s"),
        "{message}"
    );
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(30),
        "{waited:?}"
    );
    assert!(sb.requests().is_empty(), "nothing was sent");
    holder.unlock().unwrap();
    ok(sb.call(
        "YandexDisk.GetDiskInformation",
        json!({"credentials_file": file_arg(&path), "options": options}),
    ));
}

#[test]
fn threads_of_one_process_renew_one_at_a_time() {
    let sb = sandbox();
    // Every token the sandbox hands out expires within the library's margin: each call renews.
    sb.settings(json!({"yandex_token_ttl_s": 50}));
    let dir = TempDir::new("credfile-threads");
    let (path, _) = signed_in_file(&sb, &dir);
    let replies: Vec<Value> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    (0..5)
                        .map(|_| sb.call("YandexID.GetUserInfo", json!({"credentials_file": file_arg(&path)})))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    for reply in &replies {
        assert_eq!(ok(reply.clone())["login"], "sandbox-owner");
    }
    let spent = spent_refresh_tokens(&sb);
    assert!(spent.len() >= 30, "each call renewed: {}", spent.len());
    assert!(spent.iter().all(|(_, status)| *status == 200), "no refresh was refused");
    assert!(refresh_token_works(&sb, &read_json(&path)["refresh_token"]));
}

#[test]
fn service_application_credentials_in_a_file_are_exchanged_once_and_shared() {
    let sb = sandbox();
    let owner = sb.sign_in()["access_token"].clone();
    ok(sb.call(
        "Yandex360.ActivateServiceApplications",
        json!({"token": owner, "org_id": diskbridge_sandbox::ORG_ID}),
    ));
    ok(sb.call(
        "Yandex360.AddServiceApplication",
        json!({"token": owner, "org_id": diskbridge_sandbox::ORG_ID,
               "client_id": diskbridge_sandbox::YANDEX_SERVICE_CLIENT_ID,
               "scopes": "cloud_api:disk.read cloud_api:disk.write cloud_api:disk.info"}),
    ));
    let dir = TempDir::new("credfile-360");
    let path = dir.path("employee.json");
    write_private(
        &path,
        &json!({"client_id": diskbridge_sandbox::YANDEX_SERVICE_CLIENT_ID,
                "client_secret": diskbridge_sandbox::YANDEX_SERVICE_CLIENT_SECRET,
                "subject": {"user_id": "1130000000000002"}}),
    );
    sb.clear_requests();
    for _ in 0..3 {
        let reply = sb.call("YandexID.GetUserInfo", json!({"credentials_file": file_arg(&path)}));
        assert_eq!(ok(reply)["login"], "ivan.petrov");
    }
    assert_eq!(
        sb.requests_to("/yandex-oauth/token").len(),
        1,
        "one exchange for three calls"
    );
    let saved = read_json(&path);
    assert!(
        saved["access_token"].is_string() && saved["expires_at"].is_i64(),
        "{saved:?}"
    );
    assert_eq!(saved["subject"], json!({"user_id": "1130000000000002"}));
}

#[test]
fn google_credentials_in_a_file_are_refreshed_and_keep_their_refresh_token() {
    let sb = sandbox();
    let tokens = sb.google_sign_in();
    let mut credentials = sb.google_credentials(&tokens);
    credentials["expires_at"] = json!(1);
    let dir = TempDir::new("credfile-google");
    let path = dir.path("google.json");
    write_private(&path, &credentials);
    let reply = sb.call(
        "GoogleDrive.GetDirectoriesList",
        json!({"credentials_file": file_arg(&path)}),
    );
    ok(reply.clone());
    assert_eq!(reply["credentials_saved_to"], json!(canonical(&path)));
    let saved = read_json(&path);
    assert_ne!(saved["access_token"], credentials["access_token"]);
    assert_eq!(saved["refresh_token"], credentials["refresh_token"], "Google keeps it");
    assert_eq!(saved["client_id"], GOOGLE_CLIENT_ID);
}

/// A renewal keeps the owner of the file: a root process renewing another user's file must not
/// take it over. Only root can give a file to another user, so only root can arrange this.
#[cfg(unix)]
#[test]
fn a_renewal_by_root_keeps_the_owner_of_the_file() {
    use std::os::unix::fs::MetadataExt;
    let sb = sandbox();
    let dir = TempDir::new("credfile-owner");
    let (path, mut credentials) = signed_in_file(&sb, &dir);
    if std::fs::metadata(&path).unwrap().uid() != 0 {
        eprintln!("not root: a file cannot be given to another user here, so this case is not arranged");
        return;
    }
    credentials["expires_at"] = json!(1);
    write_private(&path, &credentials);
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    let reply = sb.call("YandexID.GetUserInfo", json!({"credentials_file": file_arg(&path)}));
    assert!(ok(reply.clone()).is_object() && reply.get("credentials_saved_to").is_some());
    let metadata = std::fs::metadata(&path).unwrap();
    assert_eq!((metadata.uid(), metadata.gid()), (65534, 65534));
    assert_ne!(read_json(&path)["refresh_token"], credentials["refresh_token"]);
}

// ---------------------------------------------------------------------------------------------
// Eight processes, one sign-in.

/// The sandbox's token lifetime in this test: every token it hands out expires within the
/// library's one-minute margin, so every call of every process renews — the most contention a
/// shared file can see. The sandbox keeps the access token across a refresh while more than
/// half of its life is left; the clock jumps by `JUMP_S` so access tokens change too, and a
/// token in use never ages its whole life during one call.
const TTL_S: i64 = 60;
const JUMP_S: i64 = 10;
const PROCESSES: usize = 8;
/// How long each process keeps calling.
const WORK_S: u64 = 4;
const DISK_INFO: &str = "/yandex-disk/v1/disk/";

#[test]
fn eight_processes_share_one_sign_in_while_the_token_keeps_expiring() {
    if let Ok(spec) = std::env::var(WORKER_ENV) {
        return work(&spec);
    }
    let sb = sandbox();
    sb.settings(json!({"yandex_token_ttl_s": TTL_S}));
    let dir = TempDir::new("credfile-processes");
    let (path, _) = signed_in_file(&sb, &dir);
    sb.clear_requests();
    let mut workers: Vec<Child> = (0..PROCESSES)
        .map(|n| {
            let spec =
                json!({"sandbox": sb.url(), "file": file_arg(&path), "seconds": WORK_S, "name": format!("worker-{n}")});
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "eight_processes_share_one_sign_in_while_the_token_keeps_expiring",
                    "--exact",
                    "--nocapture",
                ])
                .env(WORKER_ENV, spec.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("a copy of the test binary starts")
        })
        .collect();

    // While they work, the service refuses a token now and then (one refusal at a time: the
    // next only once the refused call has been answered again, since a call that is refused
    // twice in a row rightly fails), and its clock jumps after every refresh.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut refusals = Refusals::default();
    let (mut jumps, mut jumped_at) = (0, read_json(&path)["refresh_token"].clone());
    while workers.iter_mut().any(|w| w.try_wait().unwrap().is_none()) {
        if Instant::now() > deadline {
            workers.iter_mut().for_each(|w| drop(w.kill()));
            panic!("the workers did not finish in 5 minutes");
        }
        refusals.step(&sb);
        // Only after a refresh since the last jump: the refresh token in the file was issued
        // after that jump, so it outlives this one.
        let current = read_json(&path)["refresh_token"].clone();
        if current != jumped_at {
            sb.advance_clock(JUMP_S);
            (jumps, jumped_at) = (jumps + 1, current);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    sb.control(reqwest::Method::DELETE, "faults", None);

    let mut tallies = Vec::new();
    for worker in workers {
        let output = worker.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "a worker failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tally: Value = stdout
            .lines()
            .find_map(|line| line.strip_prefix(TALLY))
            .map(|json| serde_json::from_str(json).unwrap())
            .unwrap_or_else(|| panic!("no tally from a worker: {stdout}"));
        assert_eq!(
            tally["failed"], 0,
            "every call succeeds; the first failures: {}",
            tally["failures"]
        );
        tallies.push(tally["calls"].as_u64().unwrap());
    }
    let calls: u64 = tallies.iter().sum();
    assert!(
        tallies.iter().all(|&n| n >= 3),
        "every process kept calling: {tallies:?}"
    );

    // One chain of refreshes: each spent a refresh token once, and none was refused.
    let spent = spent_refresh_tokens(&sb);
    let refused: Vec<_> = spent.iter().filter(|(_, status)| *status != 200).collect();
    assert!(
        refused.is_empty(),
        "refused refreshes (invalid_grant): {}",
        refused.len()
    );
    let mut distinct: Vec<&String> = spent.iter().map(|(token, _)| token).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), spent.len(), "a refresh token was spent twice");
    let answered_401 = sb.requests_to(DISK_INFO).iter().filter(|r| r["status"] == 401).count();
    eprintln!(
        "{calls} calls in {PROCESSES} processes ({tallies:?}): {} refreshes, {answered_401} refused tokens \
         ({} refusals offered), {jumps} clock jumps",
        spent.len(),
        refusals.offered
    );
    assert!(
        !spent.is_empty() && answered_401 > 0 && jumps > 0,
        "the tokens did keep expiring"
    );

    // The file holds the one live refresh token, and nothing else was left beside it: every
    // refresh token spent on the way is refused now (asked first: these calls spend nothing),
    // the file's one is honoured.
    assert_eq!(dir.entries(), ["tokens.json", "tokens.json.lock"]);
    let left = read_json(&path)["refresh_token"].clone();
    assert!(spent.iter().all(|(token, _)| json!(token) != left));
    let honoured: Vec<_> = spent
        .iter()
        .filter(|(token, _)| refresh_token_works(&sb, &json!(token)))
        .collect();
    assert!(
        honoured.is_empty(),
        "{} spent refresh tokens still work",
        honoured.len()
    );
    assert!(refresh_token_works(&sb, &left));
}

/// The refusals offered to the workers: a 401 for the next Disk request, and the next one only
/// after the worker it reached was answered again (workers tell themselves apart by their
/// User-Agent).
#[derive(Default)]
struct Refusals {
    offered: usize,
    /// Refusals whose second answer came.
    settled: usize,
    pending: bool,
}

impl Refusals {
    fn step(&mut self, sb: &TestSandbox) {
        if !self.pending {
            sb.fault(json!({"method": "GET", "path": DISK_INFO, "status": 401}));
            (self.offered, self.pending) = (self.offered + 1, true);
            return;
        }
        let log = sb.requests();
        let agent = |r: &Value| r["headers"]["user-agent"].clone();
        let refused: Vec<usize> = (0..log.len())
            .filter(|&i| log[i]["path"] == DISK_INFO && log[i]["status"] == 401)
            .collect();
        let Some(&at) = refused.get(self.settled) else {
            return;
        };
        let answered_again = log[at + 1..]
            .iter()
            .any(|r| r["path"] == DISK_INFO && agent(r) == agent(&log[at]) && r["status"].as_u64().unwrap_or(0) != 0);
        if answered_again {
            (self.settled, self.pending) = (self.settled + 1, false);
        }
    }
}

/// One worker process: calls with the credentials file for `seconds`, alternating Disk and
/// Yandex ID, then its tally on stdout.
fn work(spec: &str) {
    let spec: Value = serde_json::from_str(spec).unwrap();
    let options = json!({"sandbox": spec["sandbox"], "user_agent": spec["name"],
                         "retries": {"base_delay_ms": 50, "max_delay_ms": 200}});
    let params = json!({"credentials_file": spec["file"], "options": options}).to_string();
    let until = Instant::now() + Duration::from_secs(spec["seconds"].as_u64().unwrap());
    // The first few failures are told in full, the rest counted (the tally is one line).
    let (mut calls, mut failed, mut failures) = (0u64, 0u64, Vec::new());
    while Instant::now() < until {
        let method = if calls % 3 == 2 {
            "YandexID.GetUserInfo"
        } else {
            "YandexDisk.GetDiskInformation"
        };
        let reply = raw_call(method, &params);
        if reply["ok"] != json!(true) {
            failed += 1;
            if failures.len() < 3 {
                failures.push(reply["error"].clone());
            }
        }
        calls += 1;
    }
    println!(
        "{TALLY}{}",
        json!({"calls": calls, "failed": failed, "failures": failures})
    );
}

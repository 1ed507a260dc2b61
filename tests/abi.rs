//! The C ABI itself: version, envelope, bad input, names and aliases, per-method exports,
//! introspection and configuration.

mod common;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use common::{err, ok, raw_call, sandbox, take_reply};
use diskbridge::ffi::{self, diskbridge_call, diskbridge_free, diskbridge_version};
use diskbridge_sandbox::YANDEX_CLIENT_ID;
use serde_json::{json, Value};

fn call_bytes(method: &[u8], params: &[u8]) -> Value {
    let method = CString::new(method).unwrap();
    let params = CString::new(params).unwrap();
    unsafe { take_reply(diskbridge_call(method.as_ptr(), params.as_ptr())) }
}

#[test]
fn version_matches_the_crate_and_the_header() {
    let version = unsafe { CStr::from_ptr(diskbridge_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/diskbridge.h")).unwrap();
    assert!(header.contains(&format!("#define DISKBRIDGE_VERSION \"{version}\"")));
    let (major, minor, patch): (u32, u32, u32) = (
        env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap(),
        env!("CARGO_PKG_VERSION_MINOR").parse().unwrap(),
        env!("CARGO_PKG_VERSION_PATCH").parse().unwrap(),
    );
    assert!(header.contains(&format!("#define DISKBRIDGE_VERSION_MAJOR {major}\n")));
    assert!(header.contains(&format!("#define DISKBRIDGE_VERSION_MINOR {minor}\n")));
    assert!(header.contains(&format!("#define DISKBRIDGE_VERSION_PATCH {patch}\n")));
    assert!(header.contains(&format!(
        "#define DISKBRIDGE_VERSION_NUMBER {}\n",
        (major << 16) | (minor << 8) | patch
    )));
    let reply = ok(raw_call("Library.Version", "{}"));
    assert_eq!(reply, json!({"version": version, "abi": diskbridge::ABI_VERSION}));
}

#[test]
fn null_and_non_utf8_input_are_error_replies() {
    let params = CString::new("{}").unwrap();
    let method = CString::new("Library.Version").unwrap();
    let null_method = unsafe { take_reply(diskbridge_call(ptr::null(), params.as_ptr())) };
    assert_eq!(err(null_method.clone())["code"], "invalid_request");
    assert!(null_method["error"]["message"]
        .as_str()
        .unwrap()
        .contains("method is NULL"));
    let null_params = unsafe { take_reply(diskbridge_call(method.as_ptr(), ptr::null())) };
    assert_eq!(err(null_params)["code"], "invalid_request");
    let bad_utf8 = call_bytes(b"Library.Version", b"{\"x\": \"\xff\xfe\"}");
    assert_eq!(err(bad_utf8.clone())["code"], "invalid_request");
    assert!(bad_utf8["error"]["message"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(
        err(call_bytes(b"Library.\xc0Version", b"{}"))["code"],
        "invalid_request"
    );
    // A per-method export checks its pointer too.
    let reply = unsafe { take_reply(ffi::exports::diskbridge_library_version(ptr::null())) };
    assert_eq!(err(reply)["code"], "invalid_request");
    unsafe { diskbridge_free(ptr::null_mut()) };
}

#[test]
fn malformed_params_are_error_replies() {
    let invalid = err(raw_call("Library.Version", "{not json"));
    assert_eq!(invalid["code"], "invalid_request");
    assert!(invalid["message"].as_str().unwrap().contains("not valid JSON"));
    for (params, kind) in [
        ("[]", "an array"),
        ("\"text\"", "a string"),
        ("42", "a number"),
        ("null", "null"),
    ] {
        let error = err(raw_call("Library.Version", params));
        assert_eq!(error["code"], "invalid_request");
        assert!(error["message"].as_str().unwrap().contains(kind), "{error}");
    }
}

#[test]
fn unknown_methods_suggest_the_closest_name() {
    let error = err(raw_call("YandexID.GetConfirmatonCode", "{}"));
    assert_eq!(error["code"], "unknown_method");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("did you mean YandexID.GetConfirmationCode?"),
        "{error}"
    );
    assert_eq!(err(raw_call("", "{}"))["code"], "unknown_method");
    assert_eq!(err(raw_call("NoSuchThing", "{}"))["code"], "unknown_method");
}

#[test]
fn parameters_are_checked_and_named() {
    let missing = err(raw_call(
        "YandexID.ConvertCodeToToken",
        r#"{"client_id": "x", "device_code": "y"}"#,
    ));
    assert_eq!(missing["code"], "invalid_params");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("missing parameter `client_secret` (ClientSecret)"),
        "{missing}"
    );
    let unknown = err(raw_call(
        "YandexID.GetConfirmationCode",
        r#"{"client_id": "x", "clientid2": 1}"#,
    ));
    assert_eq!(unknown["code"], "invalid_params");
    let message = unknown["message"].as_str().unwrap();
    assert!(
        message.contains("unknown parameter `clientid2`")
            && message.contains("accepted: client_id (ClientId), device_id"),
        "{message}"
    );
    let mistyped = err(raw_call(
        "YandexID.WaitForToken",
        r#"{"client_id": "x", "client_secret": "s", "device_code": "d", "interval": "soon"}"#,
    ));
    assert_eq!(mistyped["code"], "invalid_params");
    assert!(
        mistyped["message"].as_str().unwrap().contains("`interval`"),
        "{mistyped}"
    );
    let twice = err(raw_call(
        "YandexID.GetConfirmationCode",
        r#"{"client_id": "x", "ClientId": "y"}"#,
    ));
    assert!(twice["message"].as_str().unwrap().contains("given twice"), "{twice}");
    let no_token = err(raw_call("YandexID.GetUserInfo", "{}"));
    assert!(no_token["message"].as_str().unwrap().contains("`token`"), "{no_token}");
    let bad_object = err(raw_call("Library.Configure", r#"{"timeouts": [1]}"#));
    assert_eq!(bad_object["code"], "invalid_params");
}

#[test]
fn names_and_aliases_are_case_insensitive_and_bilingual() {
    let sb = sandbox();
    let options = sb.options();
    for method in [
        "YandexID.GetConfirmationCode",
        "yandexid.getconfirmationcode",
        "YandexID.ПолучитьКодПодтверждения",
        "YANDEXID.получитькодподтверждения",
        "YandexDisk.GetConfirmationCode",
    ] {
        let reply = sb.call(method, json!({"ClientId": YANDEX_CLIENT_ID, "options": options}));
        assert!(ok(reply)["device_code"].is_string(), "{method}");
    }
    // OPI's Russian parameter name and a string boolean.
    let code = ok(sb.call("YandexID.GetConfirmationCode", json!({"clientid": YANDEX_CLIENT_ID})));
    let pending = err(sb.call(
        "YandexID.ПреобразоватьКодВТокен",
        json!({"ClientId": YANDEX_CLIENT_ID, "ClientSecret": "sandbox-yandex-secret", "КодУстройства": code["device_code"]}),
    ));
    assert_eq!(pending["code"], "authorization_pending");
    let link = ok(raw_call(
        "YandexID.FormAuthorizationLink",
        &json!({"client_id": "id", "pkce": "false", "force_confirm": "TRUE", "options": options}).to_string(),
    ));
    assert!(link.get("code_verifier").is_none());
    assert!(link["url"].as_str().unwrap().contains("force_confirm=yes"));
    let numeric = ok(raw_call("Library.GetLog", r#"{"limit": "5"}"#));
    assert!(numeric["lines"].as_array().unwrap().len() <= 5);
}

#[test]
fn per_method_exports_equal_the_generic_call() {
    let params = CString::new("{}").unwrap();
    let direct = unsafe { take_reply(ffi::exports::diskbridge_library_version(params.as_ptr())) };
    assert_eq!(direct, raw_call("Library.Version", "{}"));
}

#[test]
fn library_methods_lists_the_registry() {
    let methods = ok(raw_call("Library.Methods", "{}"))["methods"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(methods.len(), diskbridge::registry::methods().len());
    let get_code = methods
        .iter()
        .find(|m| m["name"] == "YandexID.GetConfirmationCode")
        .unwrap();
    assert_eq!(get_code["c_export"], "diskbridge_yandex_id_get_confirmation_code");
    assert_eq!(get_code["origin"], "opi");
    assert!(get_code["aliases"]
        .as_array()
        .unwrap()
        .contains(&json!("YandexID.ПолучитьКодПодтверждения")));
    let client_id = &get_code["params"][0];
    assert_eq!(client_id["key"], "client_id");
    assert_eq!(client_id["opi"], "ClientId");
    assert_eq!(client_id["cli"], "id");
    assert_eq!(client_id["required"], true);
    let user_info = methods.iter().find(|m| m["name"] == "YandexID.GetUserInfo").unwrap();
    assert_eq!(user_info["params"][0]["key"], "token", "token comes first, as in OPI");
    assert_eq!(user_info["params"][0]["secret"], true);
}

#[test]
fn options_override_the_configuration_for_one_call() {
    let shown = ok(raw_call(
        "Library.GetConfiguration",
        r#"{"options": {"sandbox": "http://127.0.0.1:9", "proxy": "http://user:hunter2@proxy.example:3128", "timeouts": {"connect_s": 2}}}"#,
    ));
    assert_eq!(shown["endpoints"]["yandex_oauth"], "http://127.0.0.1:9/yandex-oauth");
    assert_eq!(shown["timeouts"]["connect_s"], 2.0);
    assert_eq!(
        shown["timeouts"]["read_s"], 60.0,
        "untouched settings keep their values"
    );
    assert!(!shown.to_string().contains("hunter2"), "the proxy password is masked");
    let unknown = err(raw_call("Library.GetConfiguration", r#"{"options": {"timeout": 1}}"#));
    assert_eq!(unknown["code"], "invalid_params");
    assert!(
        unknown["message"].as_str().unwrap().contains("expected one of"),
        "{unknown}"
    );
    let insecure = err(raw_call(
        "Library.GetConfiguration",
        r#"{"options": {"endpoints": {"yandex_disk": "http://disk.example"}}}"#,
    ));
    assert_eq!(insecure["code"], "insecure_endpoint");
    let allowed = raw_call(
        "Library.GetConfiguration",
        r#"{"options": {"allow_insecure_http": true, "endpoints": {"yandex_disk": "http://disk.example"}}}"#,
    );
    assert_eq!(ok(allowed)["endpoints"]["yandex_disk"], "http://disk.example");
}

#[test]
fn a_multi_megabyte_string_is_handled() {
    let huge = "я".repeat(3 * 1024 * 1024);
    let params = json!({"client_id": huge, "response_type": "code"}).to_string();
    let reply = raw_call("YandexID.FormAuthorizationLink", &params);
    let url = ok(reply)["url"].as_str().unwrap().len();
    assert!(url > 6 * 1024 * 1024);
    let unknown = err(raw_call(&"x".repeat(2 * 1024 * 1024), "{}"));
    assert_eq!(unknown["code"], "unknown_method");
}

#[test]
fn many_threads_call_concurrently() {
    let sb = sandbox();
    let tokens = sb.sign_in();
    std::thread::scope(|scope| {
        for thread in 0..16 {
            let (sb, tokens) = (&sb, &tokens);
            scope.spawn(move || {
                for round in 0..25 {
                    let reply = match (thread + round) % 3 {
                        0 => sb.call("YandexID.GetUserInfo", json!({"token": tokens["access_token"]})),
                        1 => sb.call("Library.Version", json!({})),
                        _ => sb.call("YandexID.GetConfirmationCode", json!({"client_id": YANDEX_CLIENT_ID})),
                    };
                    ok(reply);
                    let bad = raw_call("YandexID.GetUserInfo", "[1,2]");
                    assert_eq!(err(bad)["code"], "invalid_request");
                }
            });
        }
    });
}

#[test]
fn replies_can_be_freed_on_another_thread() {
    let method = CString::new("Library.Version").unwrap();
    let params = CString::new("{}").unwrap();
    let reply = unsafe { diskbridge_call(method.as_ptr(), params.as_ptr()) } as usize;
    std::thread::spawn(move || unsafe { diskbridge_free(reply as *mut c_char) })
        .join()
        .unwrap();
}

#[test]
fn the_panicking_test_method_is_unknown_without_its_variable() {
    // This process does not set DISKBRIDGE_TEST_PANIC: the hidden method of the panic-boundary
    // tests does not exist for it (and a release build never has it).
    assert!(std::env::var_os("DISKBRIDGE_TEST_PANIC").is_none());
    assert_eq!(err(raw_call("Library.Panic", "{}"))["code"], "unknown_method");
}

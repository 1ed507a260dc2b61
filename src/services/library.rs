//! `Library.*`: version, introspection, configuration and the log.

use serde_json::{json, Map, Value};

use crate::config;
use crate::error::Result;
use crate::schema::{handler, Auth, Call, Method, Origin, Param, ParamType};
use crate::version::{ABI_VERSION, VERSION};

const LIBRARY: &str = "Library";

pub(crate) const METHODS: &[Method] = &[
    Method {
        module: LIBRARY,
        name: "Version",
        name_ru: "Версия",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[],
        doc: "The library's version and C ABI level.",
        result: "`{\"version\", \"abi\"}`",
        handler: handler!(version),
    },
    Method {
        module: LIBRARY,
        name: "Methods",
        name_ru: "Методы",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[],
        doc: "Every method with its aliases, C export and parameter specs (what docs/methods.md shows).",
        result: "`{\"methods\": [{\"name\", \"aliases\", \"c_export\", \"params\": [...], ...}]}`",
        handler: handler!(methods),
    },
    Method {
        module: LIBRARY,
        name: "Configure",
        name_ru: "Настроить",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            Param::new("endpoints", ParamType::Object, "Base URLs per service: yandex_oauth, yandex_login, yandex_disk, yandex_360, google_accounts, google_oauth, google_apis."),
            Param::string("sandbox", "A sandbox base URL: every endpoint goes to it."),
            Param::new("allow_insecure_http", ParamType::Bool, "Allow plain http:// to hosts other than loopback."),
            Param::new("timeouts", ParamType::Object, "{connect_s, read_s, total_s, min_rate_kib_s, lock_s}."),
            Param::new("retries", ParamType::Object, "{max_attempts, base_delay_ms, max_delay_ms, max_retry_after_s}."),
            Param::string("proxy", "Proxy URL, or \"none\"; absent: the environment's."),
            Param::string("ca_file", "PEM file of extra root certificates."),
            Param::string("user_agent", "User-Agent of every request."),
            Param::new("log", ParamType::Object, "{level: off|error|warn|info|debug, file?, stderr?}."),
            Param::new(
                "transfers",
                ParamType::Object,
                "{inline_max_bytes, upload_link_user_agent (null: user_agent), operation_timeout_s, concurrency}.",
            ),
            Param::boolean("reset", "false", "Start from the defaults instead of the current settings."),
        ],
        doc: "Sets process-wide defaults; `options` on a call overrides them for that call.",
        result: "the effective configuration, secrets masked",
        handler: handler!(configure),
    },
    Method {
        module: LIBRARY,
        name: "GetConfiguration",
        name_ru: "ПолучитьНастройки",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[],
        doc: "The configuration in force (with this call's `options` applied).",
        result: "the effective configuration, secrets masked",
        handler: handler!(get_configuration),
    },
    Method {
        module: LIBRARY,
        name: "GetLog",
        name_ru: "ПолучитьЖурнал",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[Param::integer("limit", "How many recent lines.").default("100")],
        doc: "Recent log lines of this process (secrets never appear in them).",
        result: "`{\"lines\": [\"2026-11-21T10:00:00.123Z INFO  http: ...\"]}`",
        handler: handler!(get_log),
    },
];

async fn version(_call: Call) -> Result<Value> {
    Ok(json!({"version": VERSION, "abi": ABI_VERSION}))
}

async fn methods(call: Call) -> Result<Value> {
    let methods: Vec<Value> = (call.dispatch.methods)().iter().map(|m| m.to_json()).collect();
    Ok(json!({"methods": methods}))
}

async fn configure(call: Call) -> Result<Value> {
    let mut changes = Map::new();
    for param in call.method.params {
        if param.key == "reset" {
            continue;
        }
        if let Some(value) = call.args.value(param.key) {
            changes.insert(param.key.to_string(), value.clone());
        }
    }
    let config = config::configure(
        &Value::Object(changes),
        call.args.bool("reset"),
        call.dispatch.endpoints,
    )?;
    Ok(config.shown(call.dispatch.endpoints))
}

async fn get_configuration(call: Call) -> Result<Value> {
    Ok(call.ctx.config.shown(call.dispatch.endpoints))
}

async fn get_log(call: Call) -> Result<Value> {
    let limit = call.args.opt_u64("limit").unwrap_or(100) as usize;
    Ok(json!({"lines": crate::log::recent(limit)}))
}

/// A method that panics, for the tests of the panic boundary (tests/panic_boundary.rs, the 1C
/// test host). Not in `METHODS`, so the registry, the header, the exports and the docs do not
/// know it; `catalogue::find` finds it only in debug builds run with `DISKBRIDGE_TEST_PANIC=1`.
#[cfg(debug_assertions)]
pub(crate) const PANIC: Method = Method {
    module: LIBRARY,
    name: "Panic",
    name_ru: "",
    aliases: &[],
    origin: Origin::New,
    auth: Auth::None,
    params: &[],
    doc: "Panics (tests of the panic boundary only).",
    result: "never: the reply is `internal`",
    handler: handler!(panic),
};

#[cfg(debug_assertions)]
async fn panic(_call: Call) -> Result<Value> {
    panic!("Library.Panic was called: a test of the panic boundary")
}

//! The dispatcher: finds the method, decodes its parameters, builds the call's context (the
//! configuration with `options` merged, the secrets to mask, the token provider the sign-in's
//! service chose), runs the handler and builds the reply envelope. A panic anywhere in a call
//! becomes an `internal` reply; nothing is left poisoned (every lock recovers, see `Jobs`).

use std::panic::AssertUnwindSafe;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::{json, Value};

use crate::catalogue;
use crate::config;
use crate::error::{excerpt, Error, ErrorCode, Result, ECHO_CHARS};
use crate::log::{self, Level};
use crate::panics;
use crate::progress::Progress;
use crate::schema::{self, Call, Dispatch};
use crate::secrets::Secrets;
use crate::transport::{header_safe, Context};

/// What handlers borrow from the dispatcher.
static DISPATCH: Dispatch = Dispatch {
    methods: catalogue::methods,
    endpoints: catalogue::ENDPOINTS,
    run,
};

/// Runs `method` with `params` (a JSON text) and returns the reply envelope as JSON text.
/// Blocks the calling thread; the work runs on the process-wide runtime (so a progress
/// callback is called from a library thread).
pub(crate) fn call_blocking(method: &str, params: &str, progress: Progress) -> String {
    let params = match serde_json::from_str::<Value>(params) {
        Ok(params) => params,
        Err(err) => {
            let error = Error::new(
                ErrorCode::InvalidRequest,
                format!("params_json is not valid JSON: {err}"),
            );
            return envelope(Err(error), None).to_string();
        }
    };
    // The call runs as a task on the runtime's workers, beside the connection tasks it talks
    // to, rather than on the host's thread: chunks of a transfer then change hands within the
    // runtime instead of waking the host thread for each one.
    let task = crate::runtime::runtime().spawn(run(method.to_string(), params, progress));
    match crate::runtime::block_on(task) {
        Ok(reply) => reply.to_string(),
        Err(_) => internal("the call was cancelled").to_string(),
    }
}

/// Runs a method and returns the reply envelope; a panic in the method is an `internal` reply.
/// Boxed so a method may start other calls (`Jobs.Start` does).
pub(crate) fn run(method_name: String, params: Value, progress: Progress) -> BoxFuture<'static, Value> {
    // Marked as library code, so a panic is logged rather than printed on the host's stderr.
    AssertUnwindSafe(panics::marked(dispatch(method_name, params, progress)))
        .catch_unwind()
        .map(|outcome| outcome.unwrap_or_else(|panic| internal(&panic_text(panic.as_ref()))))
        .boxed()
}

/// `{"ok": false, "error": {"code": "internal", ...}}` for a bug caught at a boundary.
pub(crate) fn internal(what: &str) -> Value {
    envelope(Err(internal_error(what)), None)
}

/// The `internal` error of a caught panic, logged; `what` must already be masked.
fn internal_error(what: &str) -> Error {
    let error = Error::new(ErrorCode::Internal, format!("internal error (please report): {what}"));
    log::write(Level::Error, "panic", &error.message, &[]);
    error
}

/// What a panic said, when it said it in text, and where (when the library's hook saw it).
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    match panics::take_location() {
        Some(location) => format!("{text} (at {location})"),
        None => text,
    }
}

async fn dispatch(method_name: String, params: Value, progress: Progress) -> Value {
    let call = match prepare(&method_name, params, progress) {
        Ok(call) => call,
        Err(error) => {
            log::write(Level::Debug, "call", &format!("{method_name}: {error}"), &[]);
            return envelope(Err(error), None);
        }
    };
    let (method, secrets, auth) = (call.method, call.ctx.secrets.clone(), call.ctx.auth.clone());
    // A panic in the handler is caught here, where its message can be masked like any other.
    let outcome = AssertUnwindSafe((method.handler)(call))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(internal_error(&secrets.mask(&panic_text(panic.as_ref())))));
    // Every secret the call knows is masked wherever the reply could quote a service: the
    // message, the service's own body in `upstream`, the per-item `errors` of a result.
    let outcome = outcome
        .map_err(|mut error| {
            error.message = secrets.mask(&error.message);
            error.upstream = error.upstream.map(|upstream| secrets.mask_value(&upstream));
            let line = format!("{} failed: {error}", method.full_name());
            log::write(Level::Debug, "call", &line, &secrets.snapshot());
            error
        })
        .map(|mut result| {
            if let Some(errors) = result.get_mut("errors") {
                *errors = secrets.mask_value(errors);
            }
            result
        });
    let credentials = auth.as_ref().and_then(|provider| provider.refreshed_credentials());
    let mut reply = envelope(outcome, credentials);
    if let Some(path) = auth.and_then(|provider| provider.credentials_saved_to()) {
        reply["credentials_saved_to"] = json!(path);
    }
    reply
}

fn prepare(method_name: &str, params: Value, progress: Progress) -> Result<Call> {
    let method = catalogue::find(method_name).ok_or_else(|| unknown_method(method_name))?;
    let Value::Object(params) = params else {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!("params_json must be a JSON object, not {}", json_kind(&params)),
        ));
    };
    let args = schema::decode(method, &params)?;
    check_tokens(&args)?;
    let config = config::effective(args.value("options"), catalogue::ENDPOINTS)?;
    let secrets = Secrets::new(args.secret_values(method));
    let auth = catalogue::token_provider(method.auth, &args)?;
    Ok(Call {
        method,
        args,
        ctx: Context::new(config, progress, secrets, auth),
        dispatch: &DISPATCH,
    })
}

/// A token goes into the `Authorization` header: one with a character no header carries (CR, LF,
/// DEL) is refused at once, without echoing it, rather than failing every attempt to send.
fn check_tokens(args: &schema::Args) -> Result<()> {
    let credentials = args.value("credentials");
    let tokens = [
        ("token", args.opt_str("token")),
        (
            "credentials.access_token",
            credentials.and_then(|c| c.get("access_token")).and_then(Value::as_str),
        ),
    ];
    match tokens
        .into_iter()
        .find(|(_, token)| token.is_some_and(|token| !header_safe(token)))
    {
        Some((key, _)) => Err(Error::invalid_params(format!(
            "`{key}` has a character an HTTP header cannot carry (a control character such as CR, LF or DEL)"
        ))),
        None => Ok(()),
    }
}

fn unknown_method(name: &str) -> Error {
    let hint = match catalogue::closest_method(name) {
        Some(closest) => format!("; did you mean {closest}?"),
        None => String::new(),
    };
    Error::new(
        ErrorCode::UnknownMethod,
        format!(
            "unknown method `{}`{hint} (Library.Methods lists every method)",
            excerpt(name, ECHO_CHARS)
        ),
    )
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `{"ok": true, "result": ...}` or `{"ok": false, "error": {...}}`, with the refreshed
/// `credentials` when there are any.
pub(crate) fn envelope(outcome: Result<Value>, credentials: Option<Value>) -> Value {
    let mut reply = match outcome {
        Ok(result) => json!({"ok": true, "result": result}),
        Err(error) => json!({"ok": false, "error": error.to_json()}),
    };
    if let Some(credentials) = credentials {
        reply["credentials"] = credentials;
    }
    reply
}

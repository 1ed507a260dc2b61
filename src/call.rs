//! One method call in flight: its decoded parameters, effective configuration, progress, token
//! session and the secrets to keep out of messages; and the dispatcher that runs it and builds
//! the reply envelope.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::{json, Value};

use crate::auth::Session;
use crate::config::{self, Config};
use crate::error::{Error, ErrorCode, Result};
use crate::log::{self, Level};
use crate::progress::Progress;
use crate::registry::{self, Args, Method};

pub struct Call {
    pub method: &'static Method,
    pub args: Args,
    pub config: Arc<Config>,
    pub progress: Progress,
    /// The `token` / `credentials` of an API method.
    pub auth: Option<Arc<Session>>,
    secrets: Arc<Mutex<Vec<String>>>,
}

impl Call {
    /// The base URL of a service endpoint (`yandex_oauth`, ...), without a trailing slash.
    pub fn endpoint(&self, name: &str) -> String {
        self.config.endpoint(name)
    }

    /// Remembers a secret learnt during the call (a refreshed token) so it is masked too.
    pub fn add_secret(&self, secret: &str) {
        if !secret.is_empty() {
            self.secrets
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(secret.to_string());
        }
    }

    pub fn secrets(&self) -> Vec<String> {
        self.secrets.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn log(&self, level: Level, target: &str, message: &str) {
        log::write(level, target, message, &self.secrets());
    }
}

/// Runs `method` with `params` (a JSON text) and returns the reply envelope as JSON text.
/// Blocks the calling thread; the work runs on the process-wide runtime (so a progress
/// callback is called from a library thread).
pub fn call_blocking(method: &str, params: &str, progress: Progress) -> String {
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
        Err(failure) => {
            let what = if failure.is_panic() { "a panic" } else { "cancellation" };
            let error = Error::new(
                ErrorCode::Internal,
                format!("internal error (please report): the call ended in {what}"),
            );
            envelope(Err(error), None).to_string()
        }
    }
}

/// Runs a method and returns the reply envelope. Boxed so a method may start other calls
/// (`Jobs.Start` does).
pub fn run(method_name: String, params: Value, progress: Progress) -> BoxFuture<'static, Value> {
    async move {
        let (call, secrets, auth) = match prepare(&method_name, params, progress) {
            Ok(call) => {
                let (secrets, auth) = (call.secrets.clone(), call.auth.clone());
                (call, secrets, auth)
            }
            Err(error) => {
                log::write(Level::Debug, "call", &format!("{method_name}: {error}"), &[]);
                return envelope(Err(error), None);
            }
        };
        let method = call.method;
        let outcome = (method.handler)(call).await;
        let secrets = secrets.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let outcome = outcome.map_err(|mut error| {
            error.message = log::mask(&error.message, &secrets);
            log::write(
                Level::Debug,
                "call",
                &format!("{} failed: {error}", method.full_name()),
                &secrets,
            );
            error
        });
        let credentials = auth.and_then(|session| session.refreshed_credentials());
        envelope(outcome, credentials)
    }
    .boxed()
}

fn prepare(method_name: &str, params: Value, progress: Progress) -> Result<Call> {
    let method = registry::find(method_name).ok_or_else(|| unknown_method(method_name))?;
    let Value::Object(params) = params else {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!("params_json must be a JSON object, not {}", json_kind(&params)),
        ));
    };
    let args = registry::decode(method, &params)?;
    let config = config::effective(args.value("options"))?;
    let secrets = Arc::new(Mutex::new(args.secret_values(method)));
    let auth = Session::from_args(method, &args)?;
    Ok(Call {
        method,
        args,
        config,
        progress,
        auth,
        secrets,
    })
}

fn unknown_method(name: &str) -> Error {
    let hint = match registry::closest_method(name) {
        Some(closest) => format!("; did you mean {closest}?"),
        None => String::new(),
    };
    let shown: String = name.chars().take(100).collect();
    let ellipsis = if shown.len() < name.len() { "…" } else { "" };
    Error::new(
        ErrorCode::UnknownMethod,
        format!("unknown method `{shown}{ellipsis}`{hint} (Library.Methods lists every method)"),
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
pub fn envelope(outcome: Result<Value>, credentials: Option<Value>) -> Value {
    let mut reply = match outcome {
        Ok(result) => json!({"ok": true, "result": result}),
        Err(error) => json!({"ok": false, "error": error.to_json()}),
    };
    if let Some(credentials) = credentials {
        reply["credentials"] = credentials;
    }
    reply
}

//! Running registry methods from the command line: on the library's runtime, with a progress
//! line on a terminal, cancelled by Ctrl-C, against the sandbox of `--sandbox`.

use diskbridge::registry::{Auth, Method};
use diskbridge::Progress;
use serde_json::{json, Map, Value};

use crate::bar::{Bar, Unit};
use crate::outcome::{self, Failure};

/// Points every endpoint at a sandbox (`--sandbox URL`; it overrides DISKBRIDGE_SANDBOX).
pub fn use_sandbox(url: &str) -> Result<(), Failure> {
    let reply = run_method("Library.Configure", json!({"sandbox": url}), Progress::default());
    if reply["ok"] == json!(true) {
        return Ok(());
    }
    let error = &reply["error"];
    Err(Failure::new(
        outcome::code_of(error),
        format!("--sandbox: {}", error["message"].as_str().unwrap_or("refused")),
    ))
}

fn run_method(name: &str, params: Value, progress: Progress) -> Value {
    diskbridge::call_json(name, params, &progress)
}

/// Calls a method and returns its reply envelope, with a progress line titled `label` (none
/// without a label).
pub fn call(method: &Method, params: Map<String, Value>, progress: &Progress, label: Option<&str>) -> Value {
    // Sign-in methods (no token) report seconds waited; API methods report bytes.
    let unit = if method.auth == Auth::None {
        Unit::Seconds
    } else {
        Unit::Bytes
    };
    let bar = label.and_then(|label| Bar::start(progress, unit, label.to_string()));
    let reply = run_method(&method.full_name(), Value::Object(params), progress.clone());
    if let Some(bar) = bar {
        bar.finish();
    }
    reply
}

/// The first Ctrl-C cancels the call in flight (it then ends with `cancelled`, exit 4, having
/// removed anything partial); a second one quits at once.
pub fn cancel_on_ctrl_c(progress: &Progress) {
    // Registered now, before the call starts, so no Ctrl-C reaches the default handler; on the
    // library's runtime, whose signal driver then delivers it.
    #[cfg(unix)]
    let Ok(mut interrupts) =
        diskbridge::block_on(async { tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) })
    else {
        return;
    };
    let progress = progress.clone();
    diskbridge::spawn(async move {
        #[cfg(unix)]
        let mut interrupted = async || interrupts.recv().await.is_some();
        #[cfg(not(unix))]
        let interrupted = async || tokio::signal::ctrl_c().await.is_ok();
        if interrupted().await {
            progress.cancel();
            eprintln!("\ndiskbridge: cancelling (Ctrl-C again to quit at once)");
            if interrupted().await {
                std::process::exit(4);
            }
        }
    });
}

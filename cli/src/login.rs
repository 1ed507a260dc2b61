//! `diskbridge login yandex|google`: a sign-in made of two registry methods — one that starts it
//! and tells the person what to do, one that waits for them — whose flags are the union of both
//! methods' parameters. The tokens come out as a credentials object, printed or saved.

use std::path::Path;

use diskbridge::registry::{self, Method, Param, OPTIONS};
use diskbridge::{ErrorCode, Progress};
use serde_json::{json, Map, Value};

use crate::flags::{names, FlagSet, Own};
use crate::invoke;
use crate::lang::Lang;
use crate::outcome::{self, Failure};
use std::process::ExitCode;

pub struct Flow {
    pub provider: &'static str,
    start: &'static str,
    wait: &'static str,
    /// Parameters of the waiting method that come from the starting method's result.
    carried: &'static [&'static str],
    about_en: &'static str,
    about_ru: &'static str,
}

pub const FLOWS: &[Flow] = &[
    Flow {
        provider: "yandex",
        start: "YandexID.GetConfirmationCode",
        wait: "YandexID.WaitForToken",
        carried: &["device_code", "interval"],
        about_en: "the device flow: shows a code and an address where you enter it, waits until you do",
        about_ru: "вход по коду устройства: показывает код и адрес, где его ввести, и ждёт",
    },
    Flow {
        provider: "google",
        start: "GoogleWorkspace.StartLoopbackAuthorization",
        wait: "GoogleWorkspace.CompleteLoopbackAuthorization",
        carried: &["session"],
        about_en: "the loopback flow: prints an address to open in a browser, waits for the browser to come back",
        about_ru: "вход через loopback: печатает адрес для браузера и ждёт возврата браузера",
    },
];

impl Flow {
    pub fn about(&self, lang: Lang) -> &'static str {
        lang.pick(self.about_en, self.about_ru)
    }

    fn methods(&self) -> Result<(&'static Method, &'static Method), Failure> {
        let find = |name: &str| {
            registry::find(name).ok_or_else(|| {
                Failure::new(
                    ErrorCode::UnknownMethod,
                    format!(
                        "login {} needs {name}, which this build of diskbridge lacks",
                        self.provider
                    ),
                )
            })
        };
        Ok((find(self.start)?, find(self.wait)?))
    }

    /// The flags: both methods' parameters, each once, less the carried ones.
    fn flags(&self, start: &Method, wait: &Method) -> FlagSet {
        let mut params: Vec<&'static Param> = Vec::new();
        for param in start.all_params().into_iter().chain(wait.all_params()) {
            if !self.carried.contains(&param.key) && !params.iter().any(|p| p.key == param.key) {
                params.push(param);
            }
        }
        // `options` (of both) last, as in every method's list.
        params.sort_by_key(|p| p.key == OPTIONS.key);
        FlagSet::new(params, &[Own::Json, Own::Save], format!("login {}", self.provider))
    }
}

fn find(provider: &str) -> Result<&'static Flow, Failure> {
    FLOWS
        .iter()
        .find(|f| f.provider.eq_ignore_ascii_case(provider))
        .ok_or_else(|| {
            let hint = match crate::libraries::closest(provider, FLOWS.iter().map(|f| f.provider)) {
                Some(name) => format!("; did you mean {name}?"),
                None => String::new(),
            };
            Failure::usage(format!(
                "unknown login provider {provider}{hint} (providers: {})",
                FLOWS.iter().map(|f| f.provider).collect::<Vec<_>>().join(", ")
            ))
        })
}

/// `diskbridge login <provider> [flags]`.
pub fn run(lang: Lang, args: &[String], help: bool) -> ExitCode {
    let Some((provider, args)) = args.split_first() else {
        if help {
            print!("{}", crate::help::login(lang, None));
            return ExitCode::SUCCESS;
        }
        return Failure::usage("login needs a provider: diskbridge login yandex|google (diskbridge login --help)")
            .finish();
    };
    let flow = match find(provider) {
        Ok(flow) => flow,
        Err(failure) => return failure.finish(),
    };
    let (start, wait) = match flow.methods() {
        Ok(methods) => methods,
        Err(failure) => return failure.finish(),
    };
    let flags = flow.flags(start, wait);
    if help {
        print!("{}", crate::help::login(lang, Some((flow.provider, &flags))));
        return ExitCode::SUCCESS;
    }
    match sign_in(lang, flow, start, wait, &flags, args) {
        Ok(code) => code,
        Err(failure) => failure.finish(),
    }
}

fn sign_in(
    lang: Lang,
    flow: &Flow,
    start: &'static Method,
    wait: &'static Method,
    flags: &FlagSet,
    args: &[String],
) -> Result<ExitCode, Failure> {
    let parsed = flags.parse(args)?;
    let params = parsed.params(flags)?;
    flags.check_required(&params)?;
    let (mut start_params, mut wait_params) = (Map::new(), Map::new());
    for (key, value) in &params {
        let Some(param) = flags.params.iter().find(|p| names(p, key)) else {
            return Err(Failure::usage(format!(
                "unknown key `{key}` in --json for login {}; accepted: {}",
                flow.provider,
                flags.params.iter().map(|p| p.key).collect::<Vec<_>>().join(", ")
            )));
        };
        for (method, target) in [(start, &mut start_params), (wait, &mut wait_params)] {
            if method.all_params().iter().any(|p| p.key == param.key) {
                target.insert(key.clone(), value.clone());
            }
        }
    }

    let progress = Progress::default();
    invoke::cancel_on_ctrl_c(&progress);
    let started = invoke::call(start, start_params, &progress, None);
    if started["ok"] != json!(true) {
        return Ok(outcome::fail(&started));
    }
    let result = &started["result"];
    tell_the_person(lang, result);
    for key in flow.carried {
        if let Some(value) = result.get(*key) {
            wait_params.insert(key.to_string(), value.clone());
        }
    }
    let waited = invoke::call(wait, wait_params, &progress, Some(lang.pick("waiting", "ожидание")));
    if waited["ok"] != json!(true) {
        return Ok(outcome::fail(&waited));
    }
    let credentials = credentials(&waited["result"], flags, &params);
    match &parsed.save {
        Some(path) => {
            save(path, &credentials)?;
            eprintln!(
                "{} {}",
                lang.pick(
                    "Signed in; the tokens are saved to",
                    "Вход выполнен; токены сохранены в"
                ),
                path.display()
            );
            outcome::print_json(&json!({"saved": path.display().to_string()}));
        }
        None => outcome::print_json(&credentials),
    }
    Ok(ExitCode::SUCCESS)
}

/// What the person has to do, from the starting method's result: enter a code at an address
/// (device flow) or open an address in a browser (loopback flow).
fn tell_the_person(lang: Lang, result: &Value) {
    let text = |key: &str| result.get(key).and_then(Value::as_str);
    let verification = text("verification_url").or_else(|| text("verification_uri"));
    match (verification, text("user_code"), text("url")) {
        (Some(address), Some(code), _) => eprintln!(
            "{} {address} {} {code}",
            lang.pick("Open", "Откройте"),
            lang.pick("and enter the code", "и введите код")
        ),
        (_, _, Some(url)) => eprintln!(
            "{}\n{url}",
            lang.pick(
                "Open this address in a browser and sign in:",
                "Откройте этот адрес в браузере и войдите:"
            )
        ),
        _ => {}
    }
    eprintln!(
        "{}",
        lang.pick("Waiting (Ctrl-C cancels)…", "Ожидание (Ctrl-C — отмена)…")
    );
}

/// The tokens as a credentials object (docs/design.md §6): the token JSON, the client that can
/// refresh it, and when it expires.
fn credentials(tokens: &Value, flags: &FlagSet, params: &Map<String, Value>) -> Value {
    let mut credentials = tokens.as_object().cloned().unwrap_or_default();
    for key in ["client_id", "client_secret"] {
        let value = flags
            .params
            .iter()
            .find(|p| p.key == key)
            .and_then(|param| params.iter().find(|(k, _)| names(param, k)))
            .map(|(_, value)| value.clone());
        if let Some(value) = value {
            credentials.insert(key.to_string(), value);
        }
    }
    if let Some(expires_in) = tokens.get("expires_in").and_then(Value::as_u64) {
        credentials.insert("expires_at".into(), json!(unix_now() + expires_in));
    }
    Value::Object(credentials)
}

/// Writes the credentials owner-only; a symbolic link is written through, so the file it points
/// at gets the tokens and the link stays.
fn save(path: &Path, credentials: &Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(credentials).expect("JSON values serialise");
    let target = match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|err| Failure::local("cannot follow the link", path, &err))?
        }
        _ => path.to_path_buf(),
    };
    outcome::write_file(&target, format!("{text}\n").as_bytes(), true)
}

/// Seconds since the Unix epoch, as `expires_at` counts them.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

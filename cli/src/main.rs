//! `diskbridge`: every registry method from the command line with OPI's library, method and flag
//! names (`diskbridge yadisk UploadFile --token … --path … --file …`), plus `login` and
//! `sandbox`. Parsing and help are generated from the registry; no method is written down here.
//!
//! Output: the result JSON on stdout (exit 0); on failure the error envelope on stdout, one line
//! on stderr, and an exit code by the kind of error (see `outcome::EXIT_CODES`).

mod bar;
mod flags;
mod help;
mod invoke;
mod lang;
mod libraries;
mod login;
mod outcome;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine;
use diskbridge::registry::{Param, CREDENTIALS, CREDENTIALS_FILE};
use diskbridge::{ErrorCode, Progress};
use diskbridge_sandbox::{Sandbox, SandboxOptions, YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET};
use serde_json::{json, Value};

use crate::flags::{FlagSet, Own};
use crate::lang::Lang;
use crate::libraries::{Entry, Library};
use crate::outcome::Failure;

/// The options read wherever they stand on the command line.
struct Globals {
    lang: Lang,
    sandbox: Option<String>,
    help: bool,
    /// Everything else, in order.
    words: Vec<String>,
}

impl Globals {
    fn read(args: Vec<String>) -> Result<Globals, Failure> {
        let mut globals = Globals {
            lang: Lang::from_env(),
            sandbox: None,
            help: false,
            words: Vec::new(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                globals.help = true;
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name.to_string(), Some(value.to_string())),
                None => (arg.clone(), None),
            };
            if name != "--lang" && name != "--sandbox" {
                globals.words.push(arg);
                continue;
            }
            let value = inline
                .or_else(|| args.next())
                .ok_or_else(|| Failure::usage(format!("{name} needs a value")))?;
            if name == "--lang" {
                globals.lang = Lang::parse(&value).ok_or_else(|| Failure::usage("--lang takes en or ru"))?;
            } else {
                globals.sandbox = Some(value);
            }
        }
        Ok(globals)
    }
}

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os().skip(1).map(|a| a.into_string()).collect();
    let Ok(args) = args else {
        return Failure::usage("arguments must be valid UTF-8").finish();
    };
    let globals = match Globals::read(args) {
        Ok(globals) => globals,
        Err(failure) => return failure.finish(),
    };
    if let Some(url) = &globals.sandbox {
        if let Err(failure) = invoke::use_sandbox(url) {
            return failure.finish();
        }
    }
    let lang = globals.lang;
    let Some((command, rest)) = globals.words.split_first() else {
        print!("{}", help::main(lang));
        return ExitCode::SUCCESS;
    };
    match command.as_str() {
        "--version" => {
            println!("diskbridge {}", diskbridge::VERSION);
            ExitCode::SUCCESS
        }
        "login" => login::run(lang, rest, globals.help),
        "sandbox" => run_sandbox(lang, rest, globals.help),
        word => match library_command(lang, word, rest, globals.help) {
            Ok(code) => code,
            Err(failure) => failure.finish(),
        },
    }
}

fn library_command(lang: Lang, word: &str, rest: &[String], help: bool) -> Result<ExitCode, Failure> {
    let lib = libraries::find(word).ok_or_else(|| unknown_library(word))?;
    if lib.entries().is_empty() {
        return Err(Failure::new(
            ErrorCode::UnknownMethod,
            format!("library {} ({}) has no methods in this build", lib.name, lib.module),
        ));
    }
    let Some((method_word, args)) = rest.split_first() else {
        print!("{}", help::library(lang, lib));
        return Ok(ExitCode::SUCCESS);
    };
    if method_word.starts_with('-') {
        return Err(Failure::usage(format!(
            "a method name comes after {0}: diskbridge {0} <Method> {method_word} … (diskbridge {0} --help lists the methods)",
            lib.name
        )));
    }
    let entry = lib.find(method_word).ok_or_else(|| unknown_method(lib, method_word))?;
    let context = format!("{} {}", lib.name, entry.name);
    let flags = FlagSet::new(entry.method.all_params(), &[Own::Json, Own::Out], context);
    if help {
        print!("{}", help::method(lang, lib, &entry, &flags));
        return Ok(ExitCode::SUCCESS);
    }
    call_method(&entry, &flags, args)
}

fn unknown_library(word: &str) -> Failure {
    let hint = match libraries::suggest_library(word) {
        Some(name) => format!("did you mean {name}? "),
        None => String::new(),
    };
    let names: Vec<&str> = libraries::LIBRARIES.iter().map(|lib| lib.name).collect();
    Failure::new(
        ErrorCode::UnknownMethod,
        format!(
            "unknown library {word}; {hint}(libraries: {}; commands: login, sandbox; diskbridge --help)",
            names.join(", ")
        ),
    )
}

fn unknown_method(lib: &Library, word: &str) -> Failure {
    let hint = match libraries::suggest_method(lib, word) {
        Some(name) => format!("did you mean {name}? "),
        None => String::new(),
    };
    Failure::new(
        ErrorCode::UnknownMethod,
        format!(
            "unknown method {word} in {}; {hint}(diskbridge {} --help lists the methods)",
            lib.name, lib.name
        ),
    )
}

fn call_method(entry: &Entry, flags: &FlagSet, args: &[String]) -> Result<ExitCode, Failure> {
    let parsed = flags.parse(args)?;
    let params = parsed.params(flags)?;
    flags.check_required(&params)?;
    let with_file = params.keys().any(|key| flags::names(&CREDENTIALS_FILE, key));
    let progress = Progress::default();
    invoke::cancel_on_ctrl_c(&progress);
    let reply = invoke::call(entry.method, params, &progress, Some(entry.name));
    tell_about_refreshed_credentials(&reply, with_file);
    if reply["ok"] != json!(true) {
        return Ok(outcome::fail(&reply));
    }
    let result = match &parsed.out {
        Some(path) => write_out(path, &reply["result"])?,
        None => reply["result"].clone(),
    };
    outcome::print_json(&result);
    Ok(ExitCode::SUCCESS)
}

/// Says where refreshed tokens went: into the file of `--credentials @FILE` (the library saved
/// them under the file's lock), or nowhere, when given inline (a rotated refresh token is lost).
/// A file that could not be written is the call's error, whose message says what to do.
fn tell_about_refreshed_credentials(reply: &Value, with_file: bool) {
    if let Some(path) = reply.get("credentials_saved_to").and_then(Value::as_str) {
        eprintln!("diskbridge: the tokens were refreshed and saved to {path}");
    } else if reply.get(CREDENTIALS.key).is_some() && !with_file {
        eprintln!(
            "diskbridge: the tokens were refreshed but not kept: give --credentials @FILE to keep them up to date"
        );
    }
}

/// `--out FILE` of a method without a save-path flag: a binary result (`data_base64`) is
/// decoded into FILE and replaced by its path; any other result is written to FILE as JSON.
fn write_out(path: &std::path::Path, result: &Value) -> Result<Value, Failure> {
    if let Some(data) = result.get("data_base64").and_then(Value::as_str) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|err| Failure::new(ErrorCode::Internal, format!("the library returned bad base64: {err}")))?;
        outcome::write_file(path, &bytes, false)?;
        let mut shown = result.clone();
        if let Some(map) = shown.as_object_mut() {
            map.remove("data_base64");
            map.insert("path".into(), json!(path.display().to_string()));
        }
        return Ok(shown);
    }
    let text = serde_json::to_string_pretty(result).expect("JSON values serialise");
    outcome::write_file(path, format!("{text}\n").as_bytes(), false)?;
    Ok(result.clone())
}

const PORT: Param = Param::integer("port", "Port on 127.0.0.1; 0 picks a free one.").default("0");
const DATA_DIR: Param = Param::string(
    "data_dir",
    "Keep the state in this folder between runs; in memory without it.",
);

/// `diskbridge sandbox [--port N] [--data_dir DIR]`: the emulator, serving until stopped.
fn run_sandbox(lang: Lang, args: &[String], help: bool) -> ExitCode {
    let flags = FlagSet::new(vec![&PORT, &DATA_DIR], &[], "sandbox".into());
    if help {
        print!("{}", help::sandbox(lang, &flags));
        return ExitCode::SUCCESS;
    }
    let parsed = match flags.parse(args) {
        Ok(parsed) => parsed,
        Err(failure) => return failure.finish(),
    };
    let port = match parsed.values.get(PORT.key).and_then(Value::as_u64).map(u16::try_from) {
        None => 0,
        Some(Ok(port)) => port,
        Some(Err(_)) => return Failure::usage("--port takes a number from 0 to 65535").finish(),
    };
    let options = SandboxOptions {
        port,
        data_dir: parsed
            .values
            .get(DATA_DIR.key)
            .and_then(Value::as_str)
            .map(PathBuf::from),
        ..SandboxOptions::default()
    };
    let sandbox = match Sandbox::start_with(options) {
        Ok(sandbox) => sandbox,
        Err(err) => return Failure::new(ErrorCode::LocalIo, format!("the sandbox cannot start: {err}")).finish(),
    };
    // The first line of stdout is the URL, as the sandbox's own binary prints it.
    println!("{}", sandbox.url());
    let _ = std::io::stdout().flush();
    if std::io::stderr().is_terminal() {
        eprintln!(
            "{} diskbridge --sandbox {} login yandex --id {YANDEX_CLIENT_ID} --secret {YANDEX_CLIENT_SECRET}",
            lang.pick("Serving until Ctrl-C. Try:", "Работает до Ctrl-C. Попробуйте:"),
            sandbox.url()
        );
    }
    sandbox.wait();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_decodes_a_binary_result_into_the_file_and_shows_its_path() {
        let path = std::env::temp_dir().join(format!("diskbridge-cli-out-{}", std::process::id()));
        let shown = write_out(&path, &json!({"data_base64": "AAEC/w==", "size": 4})).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), [0, 1, 2, 255]);
        assert_eq!(shown, json!({"path": path.display().to_string(), "size": 4}));
        let shown = write_out(&path, &json!({"id": "x"})).unwrap();
        assert_eq!(shown, json!({"id": "x"}));
        let written: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written, json!({"id": "x"}));
        std::fs::remove_file(&path).unwrap();
        let bad = write_out(&path, &json!({"data_base64": "not base64!"})).unwrap_err();
        assert_eq!(bad.code, ErrorCode::Internal);
    }
}

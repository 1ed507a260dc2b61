//! The flags of a set of registry parameters: OPI's long flags (`--path`), the canonical keys
//! (`--client_id`, `--client-id`), OPI's one-letter flags where the letter is unambiguous for the
//! method (`-p`), and the command line's own options. Values are converted to the parameter's
//! type here, so a bad value is a usage error that names the flag.

use std::path::PathBuf;

use diskbridge::registry::{Param, ParamType, CREDENTIALS, CREDENTIALS_FILE};
use diskbridge::ErrorCode;
use serde_json::{Map, Value};

use crate::libraries::closest;
use crate::outcome::Failure;

/// Options of the command line itself that may stand among a method's flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Own {
    /// `--json '{…}'` or `--json @file.json`: parameters with canonical keys.
    Json,
    /// `--out FILE`: where a binary result goes (for methods without a save-path flag).
    Out,
    /// `--save FILE` of `login`.
    Save,
}

impl Own {
    fn flag(self) -> &'static str {
        match self {
            Own::Json => "json",
            Own::Out => "out",
            Own::Save => "save",
        }
    }
}

enum Flag {
    Param(&'static Param),
    Own(Own),
}

/// What the flags of one command line said.
#[derive(Default)]
pub struct Parsed {
    /// Canonical key → value.
    pub values: Map<String, Value>,
    pub json: Option<Map<String, Value>>,
    pub out: Option<PathBuf>,
    pub save: Option<PathBuf>,
}

impl Parsed {
    /// The parameters of the call: `--json` first, then the flags. A parameter given both ways
    /// is a usage error.
    pub fn params(&self, flags: &FlagSet) -> Result<Map<String, Value>, Failure> {
        let mut params = self.json.clone().unwrap_or_default();
        for (key, value) in &self.values {
            let param = flags
                .params
                .iter()
                .find(|p| p.key == key)
                .expect("values are keyed by parameters");
            if let Some(given) = params.keys().find(|k| names(param, k)) {
                return Err(Failure::usage(format!(
                    "{} is given both as --{} and in --json (as `{given}`)",
                    param.key, param.cli
                )));
            }
            params.insert(key.clone(), value.clone());
        }
        Ok(params)
    }
}

/// Whether `key` names `param` the way the library matches keys (canonical key, OPI English or
/// Russian name, CLI flag; any case).
pub fn names(param: &Param, key: &str) -> bool {
    let key = key.trim().to_lowercase();
    [param.key, param.opi, param.opi_ru, param.cli]
        .iter()
        .any(|name| !name.is_empty() && name.to_lowercase() == key)
}

/// `--Client-ID` and `--client_id` are the same flag.
fn normalize(flag: &str) -> String {
    flag.to_lowercase().replace('-', "_")
}

pub struct FlagSet {
    pub params: Vec<&'static Param>,
    own: &'static [Own],
    /// What the flags belong to, for messages: `yadisk UploadFile`.
    context: String,
}

impl FlagSet {
    pub fn new(params: Vec<&'static Param>, own: &'static [Own], context: String) -> FlagSet {
        FlagSet { params, own, context }
    }

    /// The long flags of a parameter: its CLI flag, then its canonical key when different.
    pub fn long_flags(param: &Param) -> Vec<String> {
        let mut flags = vec![param.cli.to_string()];
        if normalize(param.key) != normalize(param.cli) {
            flags.push(param.key.to_string());
        }
        flags
    }

    /// The one-letter flag of an OPI parameter: the first letter of its CLI flag (as OPI's
    /// are), when no other OPI parameter of the method shares it. `-h` is help's.
    pub fn short(&self, param: &Param) -> Option<char> {
        let letter = first_letter(param)?;
        (letter != 'h' && self.with_letter(letter).len() == 1).then_some(letter)
    }

    /// The OPI parameters whose CLI flag starts with `letter`.
    fn with_letter(&self, letter: char) -> Vec<&'static Param> {
        self.params
            .iter()
            .copied()
            .filter(|p| first_letter(p) == Some(letter))
            .collect()
    }

    /// Whether `--out` is one of the parameters (OPI's SavePath) rather than the command line's.
    pub fn has_param_flag(&self, flag: &str) -> bool {
        self.params.iter().any(|p| normalize(p.cli) == normalize(flag))
    }

    fn resolve_long(&self, name: &str) -> Option<Flag> {
        let wanted = normalize(name);
        if let Some(param) = self
            .params
            .iter()
            .find(|p| Self::long_flags(p).iter().any(|f| normalize(f) == wanted))
        {
            return Some(Flag::Param(param));
        }
        self.own
            .iter()
            .find(|own| own.flag() == wanted)
            .map(|own| Flag::Own(*own))
    }

    fn resolve_short(&self, letter: char) -> Result<Flag, Failure> {
        let letter = letter.to_ascii_lowercase();
        match self.with_letter(letter).as_slice() {
            [param] if letter != 'h' => Ok(Flag::Param(param)),
            [] | [_] => Err(Failure::usage(format!(
                "unknown flag -{letter} for {} ({})",
                self.context,
                self.help_hint()
            ))),
            several => Err(Failure::usage(format!(
                "-{letter} is ambiguous for {}: {}; use the long flag",
                self.context,
                several
                    .iter()
                    .map(|p| format!("--{}", p.cli))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))),
        }
    }

    /// Refuses a call that lacks a required parameter under every one of its names.
    pub fn check_required(&self, params: &Map<String, Value>) -> Result<(), Failure> {
        let missing: Vec<String> = self
            .params
            .iter()
            .filter(|p| p.is_required() && !params.keys().any(|key| names(p, key)))
            .map(|p| format!("--{}", p.cli))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Failure::usage(format!(
            "{} needs {} ({})",
            self.context,
            missing.join(", "),
            self.help_hint()
        )))
    }

    fn help_hint(&self) -> String {
        format!("diskbridge {} --help lists the flags", self.context)
    }

    fn unknown(&self, name: &str) -> Failure {
        let candidates: Vec<String> = self
            .params
            .iter()
            .flat_map(|p| Self::long_flags(p))
            .chain(self.own.iter().map(|own| own.flag().to_string()))
            .collect();
        let hint = match closest(name, candidates.iter().map(String::as_str)) {
            Some(flag) => format!("did you mean --{flag}? ({})", self.help_hint()),
            None => self.help_hint(),
        };
        Failure::usage(format!("unknown flag --{name} for {}; {hint}", self.context))
    }

    /// Reads `args`: flags with their values (`--flag value`, `--flag=value`, `-f value`; a
    /// boolean flag alone means true).
    pub fn parse(&self, args: &[String]) -> Result<Parsed, Failure> {
        let mut parsed = Parsed::default();
        // A boolean flag that stood alone, for the message when a stray value follows it.
        let mut lone_boolean: Option<String> = None;
        let mut args = args.iter().enumerate().peekable();
        while let Some((position, arg)) = args.next() {
            let after_boolean = lone_boolean.take();
            let (flag, shown, inline) = if let Some(body) = arg.strip_prefix("--") {
                let (name, inline) = match body.split_once('=') {
                    Some((name, value)) => (name, Some(value.to_string())),
                    None => (body, None),
                };
                let flag = self.resolve_long(name).ok_or_else(|| self.unknown(name))?;
                (flag, format!("--{name}"), inline)
            } else if let Some(letter) = short_letter(arg) {
                (self.resolve_short(letter)?, arg.clone(), None)
            } else if let Some(boolean) = after_boolean {
                // Never echoed: a value without its flag may well be a token.
                return Err(Failure::usage(format!(
                    "{boolean} takes true or false (alone: true); argument {} is neither a boolean nor a flag",
                    position + 1
                )));
            } else {
                return Err(Failure::usage(format!(
                    "argument {} of {} is a value without a flag: every value follows its flag (--path /file.txt)",
                    position + 1,
                    self.context
                )));
            };
            match flag {
                Flag::Param(param) => {
                    let raw = match inline {
                        Some(value) => value,
                        None if param.ty == ParamType::Bool => {
                            match args.peek().filter(|(_, next)| parse_bool(next).is_some()) {
                                Some(_) => args.next().map(|(_, next)| next.clone()).unwrap_or_default(),
                                None => {
                                    lone_boolean = Some(shown.clone());
                                    "true".to_string()
                                }
                            }
                        }
                        None => args
                            .next()
                            .map(|(_, next)| next.clone())
                            .ok_or_else(|| Failure::usage(format!("{shown} needs a value")))?,
                    };
                    // `--credentials @FILE` is the library's `credentials_file`: read, renewed
                    // and saved under the file's lock, so commands side by side share it.
                    let (param, value) = match credentials_file(param, &raw) {
                        Some(path) => (&CREDENTIALS_FILE, Value::String(path.to_string())),
                        None => (param, convert(param, &shown, &raw)?),
                    };
                    if parsed.values.insert(param.key.to_string(), value).is_some() {
                        return Err(Failure::usage(format!("--{} is given twice", param.cli)));
                    }
                }
                Flag::Own(own) => {
                    let value = match inline {
                        Some(value) => value,
                        None => args
                            .next()
                            .map(|(_, next)| next.clone())
                            .ok_or_else(|| Failure::usage(format!("{shown} needs a value")))?,
                    };
                    let twice = match own {
                        Own::Json => parsed.json.replace(json_object("--json", &value)?).is_some(),
                        Own::Out => parsed.out.replace(PathBuf::from(value)).is_some(),
                        Own::Save => parsed.save.replace(PathBuf::from(value)).is_some(),
                    };
                    if twice {
                        return Err(Failure::usage(format!("--{} is given twice", own.flag())));
                    }
                }
            }
        }
        Ok(parsed)
    }
}

/// The letter of an OPI parameter's one-letter flag; parameters OPI lacks have none.
fn first_letter(param: &Param) -> Option<char> {
    if param.opi.is_empty() {
        return None;
    }
    param.cli.chars().next().map(|c| c.to_ascii_lowercase())
}

/// `-p` → `p`.
fn short_letter(arg: &str) -> Option<char> {
    let mut chars = arg.strip_prefix('-')?.chars();
    match (chars.next(), chars.next()) {
        (Some(letter), None) if letter.is_alphabetic() => Some(letter),
        _ => None,
    }
}

/// The boolean words the library accepts (1C passes `Истина`/`Ложь`).
fn parse_bool(word: &str) -> Option<bool> {
    match word.trim().to_lowercase().as_str() {
        "true" | "1" | "истина" => Some(true),
        "false" | "0" | "ложь" => Some(false),
        _ => None,
    }
}

/// Converts a flag's text to the parameter's type.
fn convert(param: &Param, flag: &str, raw: &str) -> Result<Value, Failure> {
    // Secrets are never repeated in a message.
    let shown = |raw: &str| {
        if param.secret {
            String::new()
        } else {
            format!(", not {raw:?}")
        }
    };
    match param.ty {
        ParamType::String => Ok(Value::String(raw.to_string())),
        ParamType::Bool => parse_bool(raw)
            .map(Value::Bool)
            .ok_or_else(|| Failure::usage(format!("{flag} takes true or false{}", shown(raw)))),
        ParamType::Integer => raw
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| Failure::usage(format!("{flag} takes a whole number{}", shown(raw)))),
        ParamType::Object => Ok(Value::Object(json_object(flag, raw)?)),
        ParamType::Array => match json_text(flag, raw)? {
            value @ Value::Array(_) => Ok(value),
            _ => Err(Failure::usage(format!(
                "{flag} takes a JSON array (['a', 'b'] or [\"a\", \"b\"]) or @file.json"
            ))),
        },
        // A scope list: one string, or an array written as JSON or OPI's ['a', 'b'].
        ParamType::StringOrArray if raw.trim_start().starts_with('[') || raw.starts_with('@') => {
            match json_text(flag, raw)? {
                value @ Value::Array(_) => Ok(value),
                _ => Err(Failure::usage(format!("{flag} takes a string or a JSON array"))),
            }
        }
        ParamType::StringOrArray => Ok(Value::String(raw.to_string())),
        // A JSON object, or a string the library reads as a file path.
        ParamType::ObjectOrString if raw.trim_start().starts_with('{') || raw.starts_with('@') => {
            Ok(Value::Object(json_object(flag, raw)?))
        }
        ParamType::ObjectOrString => Ok(Value::String(raw.to_string())),
        ParamType::Any => Ok(serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))),
    }
}

/// The file of `--credentials @FILE` (or, as OPI's JSON flags accept, the path of an existing
/// file given for them).
fn credentials_file<'a>(param: &Param, raw: &'a str) -> Option<&'a str> {
    if param.key != CREDENTIALS.key {
        return None;
    }
    raw.strip_prefix('@')
        .or_else(|| (serde_json::from_str::<Value>(raw).is_err() && std::path::Path::new(raw).is_file()).then_some(raw))
}

/// JSON text of a flag: `@FILE` reads the file; otherwise the text itself, or (as OPI accepts)
/// the path of an existing .json file; arrays may use OPI's single quotes (`['a', 'b']`).
fn json_text(flag: &str, raw: &str) -> Result<Value, Failure> {
    let (text, source) = match raw.strip_prefix('@') {
        Some(path) => (read_file(flag, path)?, format!("{flag} @{path}")),
        None if serde_json::from_str::<Value>(raw).is_err() && std::path::Path::new(raw).is_file() => {
            (read_file(flag, raw)?, format!("{flag} {raw}"))
        }
        None => (raw.to_string(), flag.to_string()),
    };
    serde_json::from_str(&text)
        .or_else(|err| {
            if text.trim_start().starts_with('[') {
                serde_json::from_str(&text.replace('\'', "\"")).map_err(|_| err)
            } else {
                Err(err)
            }
        })
        .map_err(|err| Failure::usage(format!("{source} is not valid JSON: {err}")))
}

fn json_object(flag: &str, raw: &str) -> Result<Map<String, Value>, Failure> {
    match json_text(flag, raw)? {
        Value::Object(map) => Ok(map),
        _ => Err(Failure::usage(format!(
            "{flag} takes a JSON object ({{…}}) or @file.json"
        ))),
    }
}

fn read_file(flag: &str, path: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|err| Failure::new(ErrorCode::LocalIo, format!("{flag}: cannot read {path}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use diskbridge::registry;

    fn flags_of(method: &str) -> FlagSet {
        let method = registry::find(method).unwrap();
        FlagSet::new(method.all_params(), &[Own::Json, Own::Out], method.full_name())
    }

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn no_parameter_takes_a_flag_of_the_command_line_or_two_parameters_share_one() {
        // Read before the method's flags, wherever they stand (main.rs).
        const GLOBAL_FLAGS: &[&str] = &["help", "lang", "sandbox", "version"];
        let reachable = crate::libraries::LIBRARIES.iter().flat_map(|lib| lib.entries());
        for method in reachable.map(|entry| entry.method) {
            let flags = flags_of(&method.full_name());
            let mut seen: Vec<String> = Vec::new();
            for param in &flags.params {
                for flag in FlagSet::long_flags(param) {
                    let flag = normalize(&flag);
                    assert!(
                        !GLOBAL_FLAGS.contains(&flag.as_str()),
                        "{}: --{flag}",
                        method.full_name()
                    );
                    assert!(flag != "json", "{}: --json", method.full_name());
                    assert!(!seen.contains(&flag), "{}: --{flag} twice", method.full_name());
                    seen.push(flag);
                }
            }
        }
    }

    #[test]
    fn opi_long_and_short_flags_and_canonical_keys() {
        let flags = flags_of("YandexDisk.UploadFile");
        let parsed = flags
            .parse(&args(&[
                "-t",
                "T",
                "--path",
                "/a.txt",
                "--file=./a.txt",
                "--rewrite",
                "--data-base64",
                "QQ==",
            ]))
            .unwrap();
        assert_eq!(parsed.values["token"], "T");
        assert_eq!(parsed.values["path"], "/a.txt");
        assert_eq!(parsed.values["file"], "./a.txt");
        assert_eq!(parsed.values["overwrite"], true);
        assert_eq!(parsed.values["data_base64"], "QQ==");
        let parsed = flags.parse(&args(&["--rewrite", "false", "--overwrite=1"]));
        assert!(parsed.is_err(), "--rewrite and --overwrite are one parameter");
        let parsed = flags.parse(&args(&["--rewrite", "ложь"])).unwrap();
        assert_eq!(parsed.values["overwrite"], false);
    }

    #[test]
    fn ambiguous_short_flags_name_the_candidates() {
        let flags = flags_of("YandexDisk.CreateObjectCopy");
        let message = flags.parse(&args(&["-t", "x"])).err().unwrap().message;
        assert!(message.contains("--token or --to"), "{message}");
        assert!(flags.parse(&args(&["-f", "/a"])).unwrap().values["from"] == "/a");
    }

    #[test]
    fn out_is_the_save_path_of_downloads_and_the_command_lines_elsewhere() {
        let download = flags_of("YandexDisk.DownloadFile");
        let parsed = download.parse(&args(&["--out", "f.bin"])).unwrap();
        assert_eq!(parsed.values["save_path"], "f.bin");
        assert!(parsed.out.is_none());
        let parsed = download.parse(&args(&["-o", "g.bin"])).unwrap();
        assert_eq!(parsed.values["save_path"], "g.bin", "OPI's -o, not --options");
        let info = flags_of("YandexDisk.GetDiskInformation");
        let parsed = info.parse(&args(&["--out", "f.json"])).unwrap();
        assert_eq!(parsed.out, Some(PathBuf::from("f.json")));
    }

    #[test]
    fn values_are_converted_to_the_parameter_type() {
        let flags = flags_of("YandexDisk.GetFilesList");
        let parsed = flags.parse(&args(&["--amount", "5", "--datesort", "-o", "2"])).unwrap();
        assert_eq!(parsed.values["limit"], 5);
        assert_eq!(parsed.values["sort_by_date"], true);
        assert_eq!(parsed.values["offset"], 2);
        let message = flags.parse(&args(&["--amount", "five"])).err().unwrap().message;
        assert_eq!(message, "--amount takes a whole number, not \"five\"");
        let options = flags
            .parse(&args(&["--options", "{\"timeouts\": {\"read_s\": 5}}"]))
            .unwrap();
        assert_eq!(options.values["options"]["timeouts"]["read_s"], 5);
        assert!(flags.parse(&args(&["--options", "[1]"])).is_err());
    }

    #[test]
    fn opi_style_arrays_use_single_quotes() {
        let param = Param::new("scope", ParamType::StringOrArray, "");
        assert_eq!(
            convert(&param, "--scope", "['a', 'b']").unwrap(),
            serde_json::json!(["a", "b"])
        );
        assert_eq!(convert(&param, "--scope", "a b").unwrap(), serde_json::json!("a b"));
    }

    #[test]
    fn unknown_flags_and_stray_values_are_usage_errors_that_do_not_echo_values() {
        let flags = flags_of("YandexDisk.UploadFile");
        let failure = flags.parse(&args(&["--pth", "/a"])).err().unwrap();
        assert_eq!(failure.code, ErrorCode::InvalidParams);
        assert!(failure.message.contains("did you mean --path?"), "{}", failure.message);
        let failure = flags.parse(&args(&["y0_secret_token"])).err().unwrap();
        assert!(!failure.message.contains("y0_secret_token"));
        let bad = flags.parse(&args(&["--credentials", "{not json"])).err().unwrap();
        assert!(!bad.message.contains("not json"), "{}", bad.message);
    }
}

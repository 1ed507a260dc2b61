//! The method registry: every method declared once (names, aliases, parameters, handler), and
//! parameter decoding. Dispatch, `Library.Methods`, docs/methods.md, the per-method C exports,
//! the 1C add-in's method table and the CLI are all derived from it.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use futures_util::future::BoxFuture;
use serde_json::{json, Map, Value};

use crate::call::Call;
use crate::error::{Error, Result};
use crate::services;

pub type Handler = fn(Call) -> BoxFuture<'static, Result<Value>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    String,
    Bool,
    Integer,
    Object,
    Array,
    /// A string or an array of strings (scopes).
    StringOrArray,
    /// A JSON object, or a string that is a file path (keys, descriptions).
    ObjectOrString,
    /// Any JSON value.
    Any,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Bool => "boolean",
            ParamType::Integer => "integer",
            ParamType::Object => "object",
            ParamType::Array => "array",
            ParamType::StringOrArray => "string or array",
            ParamType::ObjectOrString => "object or string",
            ParamType::Any => "any",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Presence {
    Required,
    Optional,
    /// Optional with this default, a JSON literal.
    Default(&'static str),
}

/// One parameter of a method.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Canonical snake_case JSON key.
    pub key: &'static str,
    /// OPI's English and Russian parameter names ("" when OPI has none).
    pub opi: &'static str,
    pub opi_ru: &'static str,
    /// CLI flag without dashes (OPI's where it has one).
    pub cli: &'static str,
    pub ty: ParamType,
    pub presence: Presence,
    /// Holds a secret: never logged, masked in messages.
    pub secret: bool,
    pub doc: &'static str,
}

impl Param {
    pub const fn new(key: &'static str, ty: ParamType, doc: &'static str) -> Param {
        Param {
            key,
            opi: "",
            opi_ru: "",
            cli: key,
            ty,
            presence: Presence::Optional,
            secret: false,
            doc,
        }
    }

    pub const fn string(key: &'static str, doc: &'static str) -> Param {
        Param::new(key, ParamType::String, doc)
    }

    pub const fn boolean(key: &'static str, default: &'static str, doc: &'static str) -> Param {
        Param::new(key, ParamType::Bool, doc).default(default)
    }

    pub const fn integer(key: &'static str, doc: &'static str) -> Param {
        Param::new(key, ParamType::Integer, doc)
    }

    /// OPI's English name, Russian name and CLI flag.
    pub const fn opi(mut self, en: &'static str, ru: &'static str, cli: &'static str) -> Param {
        self.opi = en;
        self.opi_ru = ru;
        self.cli = cli;
        self
    }

    pub const fn required(mut self) -> Param {
        self.presence = Presence::Required;
        self
    }

    pub const fn default(mut self, literal: &'static str) -> Param {
        self.presence = Presence::Default(literal);
        self
    }

    pub const fn secret(mut self) -> Param {
        self.secret = true;
        self
    }

    pub fn is_required(&self) -> bool {
        matches!(self.presence, Presence::Required)
    }

    fn default_value(&self) -> Option<Value> {
        match self.presence {
            Presence::Default(literal) => Some(serde_json::from_str(literal).expect("registry default is JSON")),
            _ => None,
        }
    }

    fn names(&self) -> impl Iterator<Item = &'static str> {
        [self.key, self.opi, self.opi_ru, self.cli]
            .into_iter()
            .filter(|n| !n.is_empty())
    }
}

/// Which sign-in a method's `token` / `credentials` belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    None,
    /// `Authorization: OAuth <token>`; credentials refresh at Yandex OAuth.
    Yandex,
    /// Yandex, but the token may be left out (public resources).
    YandexOptional,
    /// `Authorization: Bearer <token>`; credentials refresh at Google OAuth.
    Google,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A function of OpenIntegrations with the same name and meaning.
    Opi,
    New,
}

pub struct Method {
    /// `YandexID`, `YandexDisk`, `Yandex360`, `GoogleWorkspace`, `GoogleDrive`, `Library`, `Jobs`.
    pub module: &'static str,
    pub name: &'static str,
    /// OPI's Russian function name (or ours, for new methods).
    pub name_ru: &'static str,
    /// More full names accepted (`GoogleDrive.RefreshToken` for `GoogleWorkspace.RefreshToken`).
    pub aliases: &'static [&'static str],
    pub origin: Origin,
    /// With `Auth::Yandex` or `Auth::Google` the method takes `token` (first, as in OPI) or
    /// `credentials`.
    pub auth: Auth,
    pub params: &'static [Param],
    pub doc: &'static str,
    pub result: &'static str,
    pub handler: Handler,
}

/// The `token` parameter every API method takes first, as OPI does.
pub const TOKEN: Param = Param::string("token", "Access token (or give `credentials` instead).")
    .opi("Token", "Токен", "token")
    .secret();
/// Credentials the library refreshes by itself (DESIGN.md §6).
pub const CREDENTIALS: Param = Param::new(
    "credentials",
    ParamType::Object,
    "Instead of `token`: {access_token?, refresh_token, client_id, client_secret, expires_at?}, or {access_token?, client_id, client_secret, subject: {user_id} or {user_email}, expires_at?} for a Yandex 360 service application; refreshed (or exchanged again) when needed and returned in the reply.",
)
.secret();
/// Per-call configuration overrides, accepted by every method.
pub const OPTIONS: Param = Param::new(
    "options",
    ParamType::Object,
    "Per-call overrides of Library.Configure settings.",
);

impl Method {
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// Every parameter in positional (OPI) order: `token` and `credentials` first for API
    /// methods, then the method's own, then `options`.
    pub fn all_params(&self) -> Vec<&'static Param> {
        let mut params: Vec<&'static Param> = Vec::new();
        if self.auth != Auth::None {
            params.push(&TOKEN);
        }
        params.extend(self.params.iter());
        if self.auth != Auth::None {
            params.push(&CREDENTIALS);
        }
        params.push(&OPTIONS);
        params
    }

    /// `diskbridge_<module>_<function>`.
    pub fn c_export(&self) -> String {
        format!("diskbridge_{}_{}", snake_case(self.module), snake_case(self.name))
    }

    pub fn to_json(&self) -> Value {
        let mut aliases: Vec<String> = Vec::new();
        if !self.name_ru.is_empty() {
            aliases.push(format!("{}.{}", self.module, self.name_ru));
        }
        aliases.extend(self.aliases.iter().map(|a| a.to_string()));
        json!({
            "name": self.full_name(),
            "module": self.module,
            "function": self.name,
            "aliases": aliases,
            "origin": match self.origin { Origin::Opi => "opi", Origin::New => "new" },
            "auth": match self.auth {
                Auth::None => Value::Null,
                Auth::Yandex => json!("yandex"),
                Auth::YandexOptional => json!("yandex (optional)"),
                Auth::Google => json!("google"),
            },
            "c_export": self.c_export(),
            "doc": self.doc,
            "result": self.result,
            "params": self.all_params().iter().map(|p| param_json(p)).collect::<Vec<_>>(),
        })
    }
}

fn param_json(param: &Param) -> Value {
    json!({
        "key": param.key,
        "opi": param.opi,
        "opi_ru": param.opi_ru,
        "cli": param.cli,
        "type": param.ty.as_str(),
        "required": param.is_required(),
        "default": param.default_value(),
        "secret": param.secret,
        "doc": param.doc,
    })
}

/// `YandexID` → `yandex_id`, `GetConfirmationCode` → `get_confirmation_code`,
/// `Yandex360` → `yandex_360`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            None => false,
            Some(p) if c.is_ascii_digit() => !p.is_ascii_digit(),
            Some(p) if c.is_uppercase() => {
                p.is_lowercase() || p.is_ascii_digit() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            }
            _ => false,
        };
        if boundary {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Every registered method, in documentation order.
pub fn methods() -> &'static [&'static Method] {
    static ALL: OnceLock<Vec<&'static Method>> = OnceLock::new();
    ALL.get_or_init(|| services::ALL.iter().flat_map(|module| module.iter()).collect())
}

/// Finds a method by its name or any alias, case-insensitively.
pub fn find(name: &str) -> Option<&'static Method> {
    static INDEX: OnceLock<HashMap<String, &'static Method>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        for method in methods() {
            index.insert(method.full_name().to_lowercase(), *method);
            if !method.name_ru.is_empty() {
                index.insert(format!("{}.{}", method.module, method.name_ru).to_lowercase(), *method);
            }
            for alias in method.aliases {
                index.insert(alias.to_lowercase(), *method);
            }
        }
        index
    });
    index.get(&name.trim().to_lowercase()).copied()
}

/// The registered name closest to `name`, for "did you mean" hints.
pub fn closest_method(name: &str) -> Option<String> {
    // Names are short; a long one is not a typo worth comparing letter by letter.
    if name.len() > 100 {
        return None;
    }
    let wanted = name.to_lowercase();
    methods()
        .iter()
        .map(|m| m.full_name())
        .min_by_key(|candidate| edit_distance(&wanted, &candidate.to_lowercase()))
        .filter(|candidate| edit_distance(&wanted, &candidate.to_lowercase()) <= wanted.chars().count() / 3 + 2)
}

/// Levenshtein distance in characters (for "did you mean" hints here and in the CLI).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Decoded parameters: canonical keys to values of the declared types, defaults applied.
/// No `Debug`: the values include secrets.
#[derive(Default)]
pub struct Args {
    values: BTreeMap<&'static str, Value>,
}

impl Args {
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    pub fn opt_str(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(Value::as_str)
    }

    /// A required string (the decoder already refused calls without it).
    pub fn str(&self, key: &str) -> Result<&str> {
        self.opt_str(key)
            .ok_or_else(|| Error::invalid_params(format!("missing parameter `{key}`")))
    }

    pub fn bool(&self, key: &str) -> bool {
        self.value(key).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn opt_u64(&self, key: &str) -> Option<u64> {
        self.value(key).and_then(Value::as_u64)
    }

    /// Every secret value among the parameters (nested ones too), for masking messages.
    pub fn secret_values(&self, method: &Method) -> Vec<String> {
        let mut secrets = Vec::new();
        for param in method.all_params() {
            if param.secret {
                if let Some(value) = self.values.get(param.key) {
                    collect_strings(value, &mut secrets);
                }
            }
        }
        secrets
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Matches the keys of `params` to the method's parameters (canonical key, OPI English or
/// Russian name, CLI flag; case-insensitively), coerces values to the declared types and
/// applies defaults.
pub fn decode(method: &Method, params: &Map<String, Value>) -> Result<Args> {
    let all = method.all_params();
    let mut args = Args::default();
    for (key, value) in params {
        let wanted = key.trim().trim_start_matches('-').to_lowercase();
        let Some(param) = all.iter().find(|p| p.names().any(|n| n.to_lowercase() == wanted)) else {
            return Err(Error::invalid_params(format!(
                "unknown parameter `{key}` for {}; accepted: {}",
                method.full_name(),
                accepted_keys(&all)
            )));
        };
        if value.is_null() {
            continue;
        }
        let coerced = coerce(param, value).map_err(|expected| {
            Error::invalid_params(format!(
                "parameter `{}` of {} must be {expected}",
                param.key,
                method.full_name()
            ))
        })?;
        if args.values.insert(param.key, coerced).is_some() {
            return Err(Error::invalid_params(format!(
                "parameter `{}` is given twice (under two of its names)",
                param.key
            )));
        }
    }
    for param in &all {
        if args.values.contains_key(param.key) {
            continue;
        }
        if param.is_required() {
            return Err(Error::invalid_params(format!(
                "missing parameter `{}`{} for {}",
                param.key,
                if param.opi.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", param.opi)
                },
                method.full_name()
            )));
        }
        if let Some(default) = param.default_value() {
            args.values.insert(param.key, default);
        }
    }
    if matches!(method.auth, Auth::Yandex | Auth::Google)
        && !args.values.contains_key("token")
        && !args.values.contains_key("credentials")
    {
        return Err(Error::invalid_params(format!(
            "{} needs `token` (an access token) or `credentials`",
            method.full_name()
        )));
    }
    Ok(args)
}

fn accepted_keys(params: &[&Param]) -> String {
    params
        .iter()
        .map(|p| {
            if p.opi.is_empty() {
                p.key.to_string()
            } else {
                format!("{} ({})", p.key, p.opi)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Coerces a value to the parameter's type. 1C code often passes strings, so booleans accept
/// "true"/"false" and numbers accept numeric strings. The error names what was expected.
fn coerce(param: &Param, value: &Value) -> std::result::Result<Value, &'static str> {
    match param.ty {
        ParamType::String => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err("a string"),
        },
        ParamType::Bool => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) => match s.trim().to_lowercase().as_str() {
                "true" | "1" | "истина" => Ok(Value::Bool(true)),
                "false" | "0" | "ложь" => Ok(Value::Bool(false)),
                _ => Err("a boolean (true/false)"),
            },
            Value::Number(n) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => {
                Ok(Value::Bool(n.as_u64() == Some(1)))
            }
            _ => Err("a boolean (true/false)"),
        },
        ParamType::Integer => {
            let number = match value {
                Value::Number(n) => n
                    .as_u64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)),
                Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            };
            number.map(Value::from).ok_or("a non-negative whole number")
        }
        ParamType::Object => match value {
            Value::Object(_) => Ok(value.clone()),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(parsed @ Value::Object(_)) => Ok(parsed),
                _ => Err("a JSON object"),
            },
            _ => Err("a JSON object"),
        },
        ParamType::Array => match value {
            Value::Array(_) => Ok(value.clone()),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(parsed @ Value::Array(_)) => Ok(parsed),
                _ => Err("a JSON array"),
            },
            _ => Err("a JSON array"),
        },
        ParamType::StringOrArray => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(value.clone()),
            _ => Err("a string or an array of strings"),
        },
        ParamType::ObjectOrString => match value {
            Value::Object(_) | Value::String(_) => Ok(value.clone()),
            _ => Err("a JSON object or a string"),
        },
        ParamType::Any => Ok(value.clone()),
    }
}

/// Renders docs/methods.md from the registry.
pub fn methods_markdown() -> String {
    let mut out = String::from(
        "# Methods\n\n\
         Generated from the registry by `scripts/regenerate.sh` (the test command fails when \
         this file is stale). Call any method with \
         `diskbridge_call(\"Module.Function\", params_json)` or its own export. Keys are matched \
         case-insensitively and may also be given by their OPI English or Russian names; \
         booleans accept \"true\"/\"false\" and numbers numeric strings. Every method accepts \
         `options` (per-call configuration); API methods take `token` or `credentials`.\n",
    );
    let mut module = "";
    for method in methods() {
        if method.module != module {
            module = method.module;
            out.push_str(&format!("\n## {module}\n"));
        }
        out.push_str(&format!("\n### {}\n\n", method.full_name()));
        let origin = match method.origin {
            Origin::Opi => "OPI function",
            Origin::New => "new in diskbridge",
        };
        out.push_str(&format!(
            "{} ({origin}). C export: `{}`.",
            method.doc,
            method.c_export()
        ));
        if !method.name_ru.is_empty() {
            out.push_str(&format!(" Russian name: `{}.{}`.", method.module, method.name_ru));
        }
        for alias in method.aliases {
            out.push_str(&format!(" Alias: `{alias}`."));
        }
        out.push_str(&format!("\n\nResult: {}\n\n", method.result));
        out.push_str(
            "| key | OPI name | Russian | CLI | type | required / default | |\n|---|---|---|---|---|---|---|\n",
        );
        for param in method.all_params() {
            let presence = match param.presence {
                Presence::Required => "required".to_string(),
                Presence::Optional => "optional".to_string(),
                Presence::Default(literal) => format!("`{literal}`"),
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | `--{}` | {} | {} | {} |\n",
                param.key,
                param.opi,
                param.opi_ru,
                param.cli,
                param.ty.as_str(),
                presence,
                param.doc
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_follows_the_export_names_of_the_design() {
        assert_eq!(snake_case("YandexID"), "yandex_id");
        assert_eq!(snake_case("Yandex360"), "yandex_360");
        assert_eq!(snake_case("GoogleWorkspace"), "google_workspace");
        assert_eq!(snake_case("UploadFile"), "upload_file");
        assert_eq!(
            snake_case("GetDownloadLinkForPublicObject"),
            "get_download_link_for_public_object"
        );
        assert_eq!(snake_case("GetFileUploadLink"), "get_file_upload_link");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}

//! Decoded parameters: matching keys to a method's parameters, coercing values to the
//! declared types and applying defaults.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::param::{MAX_INTEGER, MAX_SECONDS};
use super::{Auth, Method, Param, ParamType};
use crate::error::{excerpt, Error, Result, ECHO_CHARS};

/// Decoded parameters: canonical keys to values of the declared types, defaults applied.
/// No `Debug`: the values include secrets.
#[derive(Default)]
pub(crate) struct Args {
    values: BTreeMap<&'static str, Value>,
}

impl Args {
    pub(crate) fn value(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    pub(crate) fn opt_str(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(Value::as_str)
    }

    /// A required string (the decoder already refused calls without it).
    pub(crate) fn str(&self, key: &str) -> Result<&str> {
        self.opt_str(key)
            .ok_or_else(|| Error::invalid_params(format!("missing parameter `{key}`")))
    }

    pub(crate) fn bool(&self, key: &str) -> bool {
        self.value(key).and_then(Value::as_bool).unwrap_or(false)
    }

    pub(crate) fn opt_u64(&self, key: &str) -> Option<u64> {
        self.value(key).and_then(Value::as_u64)
    }

    /// Every secret value among the parameters (nested ones too), for masking messages.
    pub(crate) fn secret_values(&self, method: &Method) -> Vec<String> {
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
pub(crate) fn decode(method: &Method, params: &Map<String, Value>) -> Result<Args> {
    let all = method.all_params();
    let mut args = Args::default();
    for (key, value) in params {
        let wanted = key.trim().trim_start_matches('-').to_lowercase();
        let Some(param) = all.iter().find(|p| p.names().any(|n| n.to_lowercase() == wanted)) else {
            return Err(Error::invalid_params(format!(
                "unknown parameter `{}` for {}; accepted: {}",
                excerpt(key, ECHO_CHARS),
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
    let has = |key: &str| args.values.contains_key(key);
    if matches!(method.auth, Auth::Yandex | Auth::Google)
        && !has("token")
        && !has("credentials")
        && !has("credentials_file")
    {
        return Err(Error::invalid_params(format!(
            "{} needs `token` (an access token), `credentials` or `credentials_file`",
            method.full_name()
        )));
    }
    if let Some(other) = ["token", "credentials"]
        .into_iter()
        .find(|key| has("credentials_file") && has(key))
    {
        return Err(Error::invalid_params(format!(
            "`credentials_file` and `{other}` are given together: give one of them (the file holds the tokens)"
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

/// A float that is a whole number JSON holds exactly (`3.0`), as an integer; 1e300 is none.
fn whole(float: f64) -> Option<u64> {
    (float.fract() == 0.0 && (0.0..=MAX_INTEGER as f64).contains(&float)).then_some(float as u64)
}

/// Coerces a value to the parameter's type. 1C code often passes strings, so booleans accept
/// "true"/"false" and numbers accept numeric strings. The error names what was expected.
fn coerce(param: &Param, value: &Value) -> std::result::Result<Value, Cow<'static, str>> {
    match param.ty {
        ParamType::String => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err("a string".into()),
        },
        ParamType::Bool => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) => match s.trim().to_lowercase().as_str() {
                "true" | "1" | "истина" => Ok(Value::Bool(true)),
                "false" | "0" | "ложь" => Ok(Value::Bool(false)),
                _ => Err("a boolean (true/false)".into()),
            },
            Value::Number(n) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => {
                Ok(Value::Bool(n.as_u64() == Some(1)))
            }
            _ => Err("a boolean (true/false)".into()),
        },
        ParamType::Integer => {
            let number = match value {
                Value::Number(n) => n.as_u64().or_else(|| n.as_f64().and_then(whole)),
                Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            };
            match number {
                Some(number) if number <= param.max => Ok(Value::from(number)),
                _ if param.max == MAX_SECONDS => {
                    Err(format!("a whole number of seconds up to {MAX_SECONDS} (a year)").into())
                }
                _ => Err(format!("a non-negative whole number up to {}", param.max).into()),
            }
        }
        ParamType::Object => match value {
            Value::Object(_) => Ok(value.clone()),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(parsed @ Value::Object(_)) => Ok(parsed),
                _ => Err("a JSON object".into()),
            },
            _ => Err("a JSON object".into()),
        },
        ParamType::Array => match value {
            Value::Array(_) => Ok(value.clone()),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(parsed @ Value::Array(_)) => Ok(parsed),
                _ => Err("a JSON array".into()),
            },
            _ => Err("a JSON array".into()),
        },
        ParamType::StringOrArray => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(value.clone()),
            _ => Err("a string or an array of strings".into()),
        },
        ParamType::ObjectOrString => match value {
            Value::Object(_) | Value::String(_) => Ok(value.clone()),
            _ => Err("a JSON object or a string".into()),
        },
        ParamType::Any => Ok(value.clone()),
    }
}

//! 1C values and JSON: the arguments of a call become a method's parameters object, and its
//! result becomes a 1C value. Only the types both 1C and OneScript exchange are used (strings,
//! booleans, numbers, binary data; docs/native-addin.md §5.4).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use diskbridge::registry::Method;
use serde_json::{Map, Number, Value};

use crate::classes::{Slot, DATA_KEY, FILE_KEY};

/// An argument as the platform passed it, decoded from its `tVariant`.
#[derive(Debug, PartialEq)]
pub enum Arg<'a> {
    /// Undefined, or an omitted optional parameter.
    Empty,
    Bool(bool),
    Int(i64),
    Real(f64),
    Str(String),
    /// 1C binary data, borrowed from the platform for the duration of the call.
    Blob(&'a [u8]),
    /// A string that is not valid UTF-16 (a lone surrogate).
    BadText,
    /// A date: no parameter is one, and OneScript cannot pass dates at all (it sends Undefined),
    /// so dates are refused with a hint to pass ISO 8601 text.
    Date,
    /// Any other `vt` code.
    Unsupported(u16),
}

/// A value to hand back to the platform.
#[derive(Debug, PartialEq)]
pub enum Ret {
    Empty,
    Bool(bool),
    Int(i32),
    Real(f64),
    Str(String),
    Blob(Vec<u8>),
}

/// A string argument of a fixed member (`Method`, `ParamsJSON`, `JobId`); "" when not given.
pub fn text_arg(args: &[Arg], index: usize, slot: &Slot) -> Result<String, String> {
    match args.get(index).unwrap_or(&Arg::Empty) {
        Arg::Empty => Ok(String::new()),
        Arg::Str(text) => Ok(text.clone()),
        other => Err(format!("{} must be a string, not {}", slot.name, describe(other))),
    }
}

/// The JSON parameters object for `method` from positional arguments. Empty arguments, and
/// empty strings for optional parameters, are left out so the registry's defaults apply.
pub fn params_object(method: &Method, slots: &[Slot], args: &[Arg]) -> Result<Map<String, Value>, String> {
    if args.len() > slots.len() {
        return Err(format!(
            "{} takes at most {} parameters, not {}",
            method.full_name(),
            slots.len(),
            args.len()
        ));
    }
    let takes_data = method.all_params().iter().any(|p| p.key == DATA_KEY);
    let mut object = Map::new();
    for (slot, arg) in slots.iter().zip(args) {
        let param = slot.param.expect("method members have registry slots");
        let value = match arg {
            Arg::Empty => continue,
            Arg::Str(text) if text.is_empty() && !slot.required() => continue,
            Arg::Str(text) => Value::String(text.clone()),
            Arg::Bool(flag) => Value::Bool(*flag),
            Arg::Int(number) => Value::from(*number),
            Arg::Real(number) => real(*number).ok_or_else(|| format!("{} is not a finite number", slot.name))?,
            Arg::Blob(bytes) if param.key == DATA_KEY || (param.key == FILE_KEY && takes_data) => {
                object.insert(DATA_KEY.to_string(), Value::String(BASE64.encode(bytes)));
                continue;
            }
            other => {
                return Err(format!(
                    "{} ({}) of {} cannot be {}",
                    slot.name,
                    slot.name_ru,
                    method.full_name(),
                    describe(other)
                ))
            }
        };
        object.insert(param.key.to_string(), value);
    }
    Ok(object)
}

/// A whole number as an integer (1C numbers often arrive as doubles), otherwise a float.
fn real(number: f64) -> Option<Value> {
    if number.fract() == 0.0 && number.abs() < 9.0e15 {
        Some(Value::from(number as i64))
    } else {
        Number::from_f64(number).map(Value::Number)
    }
}

fn describe(arg: &Arg) -> String {
    match arg {
        Arg::Empty => "Undefined".into(),
        Arg::Bool(_) => "a boolean".into(),
        Arg::Int(_) | Arg::Real(_) => "a number".into(),
        Arg::Str(_) => "a string".into(),
        Arg::Blob(_) => "binary data (only file parameters take it)".into(),
        Arg::BadText => "a string that is not valid UTF-16".into(),
        Arg::Date => "a date (pass dates as ISO 8601 strings)".into(),
        Arg::Unsupported(vt) => format!("a value of Native API type {vt}"),
    }
}

/// A method's result as a 1C value: strings, booleans and numbers as themselves, downloaded
/// bytes (`data_base64` in the result) as binary data, other JSON as JSON text.
pub fn result_value(result: &Value) -> Result<Ret, String> {
    Ok(match result {
        Value::Null => Ret::Empty,
        Value::Bool(flag) => Ret::Bool(*flag),
        Value::String(text) => Ret::Str(text.clone()),
        Value::Number(number) => match number.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(small) => Ret::Int(small),
            None => Ret::Real(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Object(object) => match object.get(DATA_KEY) {
            Some(Value::String(data)) => Ret::Blob(
                BASE64
                    .decode(data)
                    .map_err(|e| format!("the library returned invalid base64: {e}"))?,
            ),
            _ => Ret::Str(result.to_string()),
        },
        Value::Array(_) => Ret::Str(result.to_string()),
    })
}

/// A default or literal value as a 1C value (defaults are never binary).
pub fn literal_value(value: &Value) -> Ret {
    match value {
        Value::Object(_) | Value::Array(_) => Ret::Str(value.to_string()),
        other => result_value(other).unwrap_or(Ret::Empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classes::{class, Action};
    use serde_json::json;

    fn member(class_name: &str, name: &str) -> (&'static Method, &'static [Slot]) {
        let class = class(class_name).unwrap();
        let member = &class.members[class.find_member(name).unwrap()];
        match member.action {
            Action::Method(method) => (method, &member.slots),
            _ => panic!("{name} is not a registry method"),
        }
    }

    #[test]
    fn positional_arguments_become_named_parameters() {
        let (method, slots) = member("YandexDisk", "UploadFile");
        let args = [
            Arg::Str("y0_token".into()),
            Arg::Str("app:/a.txt".into()),
            Arg::Str("/tmp/a.txt".into()),
            Arg::Bool(true),
        ];
        let object = params_object(method, slots, &args).unwrap();
        assert_eq!(
            Value::Object(object),
            json!({"token": "y0_token", "path": "app:/a.txt", "file": "/tmp/a.txt", "overwrite": true})
        );
    }

    #[test]
    fn binary_data_for_a_file_goes_as_base64_and_empty_optionals_are_left_out() {
        let (method, slots) = member("YandexDisk", "UploadFile");
        let args = [
            Arg::Str("y0_token".into()),
            Arg::Str("app:/b.bin".into()),
            Arg::Blob(&[0, 1, 2, 255]),
            Arg::Empty,
            Arg::Str(String::new()),
            Arg::Str(String::new()),
        ];
        let object = params_object(method, slots, &args).unwrap();
        assert_eq!(
            Value::Object(object),
            json!({"token": "y0_token", "path": "app:/b.bin", "data_base64": "AAEC/w=="})
        );
    }

    #[test]
    fn wrong_kinds_of_values_are_refused_with_the_parameter_named() {
        let (method, slots) = member("YandexDisk", "GetObject");
        let error = params_object(method, slots, &[Arg::Str("t".into()), Arg::Blob(b"x")]).unwrap_err();
        assert!(
            error.contains("Path (Путь)") && error.contains("binary data"),
            "{error}"
        );
        let error = params_object(method, slots, &[Arg::Date]).unwrap_err();
        assert!(error.contains("ISO 8601"), "{error}");
        let too_many: Vec<Arg> = (0..=slots.len()).map(|_| Arg::Empty).collect();
        assert!(params_object(method, slots, &too_many).unwrap_err().contains("at most"));
    }

    #[test]
    fn whole_doubles_become_integers() {
        let (method, slots) = member("YandexDisk", "GetFilesList");
        let object = params_object(method, slots, &[Arg::Str("t".into()), Arg::Real(5.0), Arg::Int(2)]).unwrap();
        assert_eq!(Value::Object(object), json!({"token": "t", "limit": 5, "offset": 2}));
        assert!(params_object(method, slots, &[Arg::Empty, Arg::Real(f64::NAN)]).is_err());
    }

    #[test]
    fn results_become_1c_values() {
        assert_eq!(
            result_value(&json!({"data_base64": "AAEC/w==", "size": 4})).unwrap(),
            Ret::Blob(vec![0, 1, 2, 255])
        );
        assert_eq!(result_value(&json!({"a": 1})).unwrap(), Ret::Str("{\"a\":1}".into()));
        assert_eq!(result_value(&json!("text")).unwrap(), Ret::Str("text".into()));
        assert_eq!(result_value(&json!(7)).unwrap(), Ret::Int(7));
        assert_eq!(result_value(&json!(5_000_000_000u64)).unwrap(), Ret::Real(5e9));
        assert_eq!(result_value(&json!(true)).unwrap(), Ret::Bool(true));
        assert_eq!(result_value(&Value::Null).unwrap(), Ret::Empty);
        assert!(result_value(&json!({"data_base64": "*"})).is_err());
        assert_eq!(literal_value(&json!({})), Ret::Str("{}".into()));
    }
}

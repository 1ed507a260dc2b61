//! Parameters of a method: name, OPI's English and Russian names, CLI flag, type, presence.
//! Public (read-only) through `diskbridge::registry`.

use serde_json::Value;

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

/// The largest whole number a parameter takes: the largest a JSON number (a double) holds
/// exactly, so 2^64 or 1e300 is refused rather than rounded or clamped.
pub const MAX_INTEGER: u64 = (1 << 53) - 1;
/// The longest duration a parameter in seconds takes (a year), as for durations in the
/// configuration: longer waits are mistakes, and a deadline computed from one cannot overflow.
pub const MAX_SECONDS: u64 = crate::config::MAX_SECONDS;

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
    /// For integers: the largest value accepted (a larger one is `invalid_params`).
    pub max: u64,
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
            max: MAX_INTEGER,
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

    /// A duration in whole seconds, at most [`MAX_SECONDS`].
    pub const fn seconds(key: &'static str, doc: &'static str) -> Param {
        let mut param = Param::integer(key, doc);
        param.max = MAX_SECONDS;
        param
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

    pub(crate) fn default_value(&self) -> Option<Value> {
        match self.presence {
            Presence::Default(literal) => Some(serde_json::from_str(literal).expect("registry default is JSON")),
            _ => None,
        }
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> {
        [self.key, self.opi, self.opi_ru, self.cli]
            .into_iter()
            .filter(|n| !n.is_empty())
    }
}

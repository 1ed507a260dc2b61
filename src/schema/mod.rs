//! The registry's schema: how a method is declared (names, aliases, parameters, sign-in,
//! handler) and how its parameters are decoded. The list of methods is not here: each service
//! declares its `METHODS`, and the catalogue above the services assembles them, so the schema
//! imports no service. Dispatch, `Library.Methods`, docs/methods.md, the per-method C exports,
//! the 1C add-in's method table and the CLI are all derived from the declarations.
//!
//! Read-only access is public as `diskbridge::registry`.

mod args;
mod markdown;
mod param;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

pub(crate) use args::{decode, Args};
pub(crate) use markdown::methods_markdown;
pub use param::{Param, ParamType, Presence};

use crate::config::Endpoints;
use crate::error::Result;
use crate::progress::Progress;
use crate::transport::Context;

/// What runs a method: an async function of the call.
pub(crate) type Handler = fn(Call) -> BoxFuture<'static, Result<Value>>;

/// A method call as its handler gets it: the method, its decoded parameters, the transport
/// context (configuration, progress, secrets, token), and what the dispatcher lends.
pub(crate) struct Call {
    pub method: &'static Method,
    pub args: Args,
    pub ctx: Context,
    pub dispatch: &'static Dispatch,
}

/// What the layers above the services lend a handler, so that no service imports them:
/// the method list (`Library.Methods`), every declared endpoint (`Library.Configure`), and a
/// way to run another method (`Jobs.Start`).
pub(crate) struct Dispatch {
    pub methods: fn() -> &'static [&'static Method],
    pub endpoints: &'static Endpoints,
    /// Runs a method by name and gives its reply envelope.
    pub run: fn(String, Value, Progress) -> BoxFuture<'static, Value>,
}

/// A registry handler from an `async fn(Call) -> Result<Value>`.
macro_rules! handler {
    ($function:path) => {
        |call| ::futures_util::FutureExt::boxed($function(call))
    };
}
pub(crate) use handler;

/// Which sign-in a method's `token` / `credentials` belong to. The schema only names it; the
/// sign-in's service decides how its tokens are sent and renewed (`services::token_provider`).
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
    pub(crate) handler: Handler,
}

/// The `token` parameter every API method takes first, as OPI does.
pub const TOKEN: Param = Param::string("token", "Access token (or give `credentials` instead).")
    .opi("Token", "Токен", "token")
    .secret();
/// Credentials the library refreshes by itself (docs/design.md §6).
pub const CREDENTIALS: Param = Param::new(
    "credentials",
    ParamType::Object,
    "Instead of `token`: {access_token?, refresh_token, client_id, client_secret, expires_at?}, or {access_token?, client_id, client_secret, subject: {user_id} or {user_email}, expires_at?} for a Yandex 360 service application; refreshed (or exchanged again) when needed and returned in the reply.",
)
.secret();
/// Credentials kept in a file that any number of processes share (docs/design.md §6).
pub const CREDENTIALS_FILE: Param = Param::string(
    "credentials_file",
    "Instead of `token` or `credentials`: the path of a JSON file holding the credentials, readable by its owner only. The library reads it under a lock, renews the tokens when needed while holding the lock and writes them back (atomically, owner-only), so any number of processes and threads share one sign-in; the reply's `credentials_saved_to` says when it did.",
);
/// Per-call configuration overrides, accepted by every method.
pub const OPTIONS: Param = Param::new(
    "options",
    ParamType::Object,
    "Per-call overrides of Library.Configure settings (all but `log`, which is process-wide).",
);

impl Method {
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// Every parameter in positional (OPI) order: `token` first for API methods, then the
    /// method's own, `credentials`, `options`, and last `credentials_file` (added after the
    /// others, so their positions stay where 1C code has them).
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
        if self.auth != Auth::None {
            params.push(&CREDENTIALS_FILE);
        }
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
pub(crate) fn snake_case(name: &str) -> String {
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

/// Levenshtein distance in characters (for "did you mean" hints of the dispatcher and the CLI).
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

//! The catalogue: every service's methods and endpoints, and which service provides the tokens
//! of each sign-in — assembled here, above the services, so neither the schema nor the services
//! import it (they get it through `schema::Dispatch`). Adding a service adds its lines here.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::config::Endpoints;
use crate::error::Result;
use crate::schema::{Args, Auth, Method};
use crate::services::{
    google_auth, google_drive, jobs, library, telemost, yandex_360, yandex_calendar, yandex_disk, yandex_id,
    yandex_mail,
};
use crate::transport::TokenProvider;

/// Every module's methods, in documentation order.
const MODULES: &[&[Method]] = &[
    library::METHODS,
    jobs::METHODS,
    yandex_id::METHODS,
    yandex_disk::METHODS,
    yandex_360::METHODS,
    yandex_mail::METHODS,
    yandex_calendar::METHODS,
    telemost::METHODS,
    google_auth::METHODS,
    google_drive::METHODS,
];

/// Every endpoint the services declare, in documentation order.
pub(crate) const ENDPOINTS: &Endpoints = &[
    &yandex_id::OAUTH_ENDPOINT,
    &yandex_id::LOGIN_ENDPOINT,
    &yandex_disk::ENDPOINT,
    &yandex_360::ENDPOINT,
    &yandex_mail::IMAP_ENDPOINT,
    &yandex_mail::SMTP_ENDPOINT,
    &yandex_calendar::ENDPOINT,
    &telemost::ENDPOINT,
    &google_auth::ACCOUNTS_ENDPOINT,
    &google_auth::OAUTH_ENDPOINT,
    &google_drive::ENDPOINT,
];

/// The token provider of an API method's `token` / `credentials`: the sign-in's own service
/// decides how the token is sent and how credentials are renewed.
pub(crate) fn token_provider(auth: Auth, args: &Args) -> Result<Option<Arc<dyn TokenProvider>>> {
    match auth {
        Auth::None => Ok(None),
        Auth::Yandex => yandex_id::token_provider(args, false),
        Auth::YandexOptional => yandex_id::token_provider(args, true),
        Auth::Google => google_auth::token_provider(args).map(Some),
    }
}

/// Every registered method, in documentation order.
pub(crate) fn methods() -> &'static [&'static Method] {
    static ALL: OnceLock<Vec<&'static Method>> = OnceLock::new();
    ALL.get_or_init(|| MODULES.iter().flat_map(|module| module.iter()).collect())
}

/// Finds a method by its name or any alias, case-insensitively.
pub(crate) fn find(name: &str) -> Option<&'static Method> {
    #[cfg(debug_assertions)]
    if test_panic_enabled() && name.trim().eq_ignore_ascii_case("Library.Panic") {
        return Some(&library::PANIC);
    }
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

/// Whether this process was started with `DISKBRIDGE_TEST_PANIC=1` (read once): a debug build
/// then also finds the hidden `Library.Panic`, which the tests of the panic boundary call.
#[cfg(debug_assertions)]
fn test_panic_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("DISKBRIDGE_TEST_PANIC").is_ok_and(|value| value == "1"))
}

/// The registered name closest to `name`, for "did you mean" hints.
pub(crate) fn closest_method(name: &str) -> Option<String> {
    // Names are short; a long one is not a typo worth comparing letter by letter.
    if name.len() > 100 {
        return None;
    }
    let wanted = name.to_lowercase();
    let distance = |candidate: &String| crate::schema::edit_distance(&wanted, &candidate.to_lowercase());
    methods()
        .iter()
        .map(|m| m.full_name())
        .min_by_key(distance)
        .filter(|candidate| distance(candidate) <= wanted.chars().count() / 3 + 2)
}

/// Renders docs/methods.md from the registry.
pub(crate) fn methods_markdown() -> String {
    crate::schema::methods_markdown(methods())
}

//! One module per service, each declaring its methods (registry entries) beside their handlers.

pub mod google_auth;
pub mod google_drive;
pub mod jobs;
pub mod library;
pub mod yandex_360;
pub mod yandex_disk;
pub mod yandex_id;

use crate::registry::Method;

/// Every module's methods, in documentation order.
pub const ALL: &[&[Method]] = &[
    library::METHODS,
    jobs::METHODS,
    yandex_id::METHODS,
    yandex_disk::METHODS,
    yandex_360::METHODS,
    google_auth::METHODS,
    google_drive::METHODS,
];

/// A registry handler from an `async fn(Call) -> Result<Value>`.
macro_rules! handler {
    ($function:path) => {
        |call| ::futures_util::FutureExt::boxed($function(call))
    };
}
pub(crate) use handler;

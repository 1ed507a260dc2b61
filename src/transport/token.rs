//! What the transport asks of the token behind an API call. Implemented by `auth::Session`,
//! whose tokens come from whatever source the service layer chose (a Yandex ID refresh, a
//! Yandex 360 exchange, a Google refresh); the transport never learns which.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::Context;
use crate::error::Result;

pub(crate) trait TokenProvider: Send + Sync {
    /// The `Authorization` header value, renewing the token first when it is missing or about
    /// to expire.
    fn authorization<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<String>>;

    /// After a 401: renew the token when the credentials allow it. `Ok(true)` means: send again.
    fn refresh_after_unauthorized<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<bool>>;

    /// The caller's credentials with the renewed tokens, for the reply, once they changed.
    fn refreshed_credentials(&self) -> Option<Value>;

    /// The credentials file the renewed tokens were saved to, for the reply.
    fn credentials_saved_to(&self) -> Option<String> {
        None
    }
}

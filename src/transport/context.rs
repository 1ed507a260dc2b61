//! What one operation needs from the call it works for, and nothing more: the configuration,
//! the progress (and cancellation), the secrets to keep out of messages, and the token provider
//! of an API call. Cheap to clone: a part of a folder transfer gets its own progress view.

use std::sync::Arc;

use url::Url;

use super::{RetryContext, TokenProvider};
use crate::config::{Config, Endpoint};
use crate::error::{Error, Result};
use crate::log::{self, Level};
use crate::progress::Progress;
use crate::secrets::Secrets;

#[derive(Clone)]
pub(crate) struct Context {
    pub config: Arc<Config>,
    pub progress: Progress,
    pub secrets: Secrets,
    /// The `token` / `credentials` of an API method; requests marked `authorized` use it.
    pub auth: Option<Arc<dyn TokenProvider>>,
}

impl Context {
    pub(crate) fn new(
        config: Arc<Config>,
        progress: Progress,
        secrets: Secrets,
        auth: Option<Arc<dyn TokenProvider>>,
    ) -> Context {
        Context {
            config,
            progress,
            secrets,
            auth,
        }
    }

    /// The base URL of a service endpoint, without a trailing slash.
    pub(crate) fn endpoint(&self, endpoint: &Endpoint) -> String {
        self.config.endpoint(endpoint)
    }

    /// A service URL: the endpoint's base joined with `path`.
    pub(crate) fn url(&self, endpoint: &Endpoint, path: &str) -> Result<Url> {
        let text = format!("{}{}", self.endpoint(endpoint), path);
        Url::parse(&text).map_err(|e| Error::invalid_params(format!("bad service URL {text}: {e}")))
    }

    /// Remembers a secret learnt during the call (a refreshed token) so it is masked too.
    pub(crate) fn add_secret(&self, secret: &str) {
        self.secrets.add(secret);
    }

    /// Writes a log line with the call's secrets masked out.
    pub(crate) fn log(&self, level: Level, target: &str, message: &str) {
        log::write(level, target, message, &self.secrets.snapshot());
    }

    /// The same call, reporting to `progress` (a part of a larger transfer).
    pub(crate) fn with_progress(&self, progress: Progress) -> Context {
        Context {
            progress,
            ..self.clone()
        }
    }

    /// A retry context for one operation, under the configured policy.
    pub(crate) fn retry(&self) -> RetryContext {
        RetryContext::new(&self.config.retries, self)
    }
}

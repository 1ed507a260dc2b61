//! The secrets of one call — tokens, client secrets, codes, keys — collected as the call learns
//! them (its secret parameters first, then every token it is handed), and masked out of every log
//! line and error message of that call.

use crate::sync::lock;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// The secrets of one call, shared by everything working for it.
#[derive(Clone, Default)]
pub(crate) struct Secrets(Arc<Mutex<Vec<String>>>);

impl Secrets {
    pub(crate) fn new(initial: Vec<String>) -> Secrets {
        Secrets(Arc::new(Mutex::new(initial)))
    }

    /// Remembers a secret learnt during the call (a refreshed token) so it is masked too.
    pub(crate) fn add(&self, secret: &str) {
        if !secret.is_empty() {
            lock(&self.0).push(secret.to_string());
        }
    }

    /// The secrets known so far.
    pub(crate) fn snapshot(&self) -> Vec<String> {
        lock(&self.0).clone()
    }

    /// `text` with every known secret replaced by `***`.
    pub(crate) fn mask(&self, text: &str) -> String {
        mask(text, &self.snapshot())
    }

    /// `value` with every known secret masked in every string (see [`mask_value`]).
    pub(crate) fn mask_value(&self, value: &Value) -> Value {
        mask_value(value, &self.snapshot())
    }
}

/// `value` with every known secret masked in every string, keys included: a service's error
/// body may echo a token anywhere.
pub(crate) fn mask_value(value: &Value, secrets: &[String]) -> Value {
    match value {
        Value::String(text) => Value::String(mask(text, secrets)),
        Value::Array(items) => Value::Array(items.iter().map(|item| mask_value(item, secrets)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| (mask(key, secrets), mask_value(item, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Replaces every occurrence of a secret with `***`.
pub(crate) fn mask(text: &str, secrets: &[String]) -> String {
    let mut masked = text.to_string();
    for secret in secrets {
        // Very short values (a "1" flag) would mask innocent text; real secrets are long.
        if secret.len() >= 4 && masked.contains(secret.as_str()) {
            masked = masked.replace(secret.as_str(), "***");
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_hides_every_occurrence() {
        let secrets = vec!["y0_secret".to_string()];
        assert_eq!(mask("a y0_secret b y0_secret", &secrets), "a *** b ***");
    }

    #[test]
    fn values_are_masked_everywhere() {
        let secrets = vec!["y0_secret".to_string()];
        let body = serde_json::json!({"error": "bad token y0_secret", "echo": ["y0_secret"], "y0_secret": 1, "n": 5});
        let masked = mask_value(&body, &secrets);
        assert_eq!(
            masked,
            serde_json::json!({"error": "bad token ***", "echo": ["***"], "***": 1, "n": 5})
        );
    }

    #[test]
    fn secrets_learnt_later_are_masked_too() {
        let secrets = Secrets::new(vec!["client-secret".into()]);
        secrets.add("y0_fresh_token");
        secrets.add("");
        assert_eq!(secrets.mask("client-secret y0_fresh_token"), "*** ***");
    }
}

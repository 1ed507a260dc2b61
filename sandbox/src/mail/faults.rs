//! Fault injection for the IMAP and SMTP sessions (`POST /_sandbox/mail/faults`), the line
//! protocols' counterpart of `/_sandbox/faults`: a dropped connection (in the middle of a FETCH
//! literal), `* BYE`, a refusal, a delay, or Gmail's XOAUTH2 error challenge — matched by protocol,
//! command and user, for a number of times.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::user_by_name;
use crate::state::lock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Smtp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Close the connection without an answer; in a FETCH, after `after_messages` whole
    /// messages and `after_bytes` bytes of the next one.
    Drop,
    /// IMAP: `* BYE <text>` instead of the answer, then close.
    Bye,
    /// IMAP: a tagged `NO <text>` instead of the answer.
    No,
    /// SMTP: `<code> <text>` instead of the answer.
    Reply,
    /// Only wait `delay_ms`, then answer as usual.
    Delay,
    /// IMAP AUTHENTICATE: a failed XOAUTH2 login answers the way Gmail does, a base64 JSON
    /// challenge first (docs/protocols-mail.md §2.3), to test a client's other path.
    GmailChallenge,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub protocol: Protocol,
    /// The command to match, case-insensitive: `FETCH` also matches `UID FETCH`; `*` any. For
    /// SMTP, `DATA` matches the end of the message (before it is delivered).
    pub command: String,
    /// Only in sessions logged in as this user (uid or address).
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default = "one")]
    pub times: u32,
    pub action: Action,
    #[serde(default)]
    pub after_messages: u32,
    #[serde(default)]
    pub after_bytes: u64,
    /// The text of `bye`, `no` and `reply`.
    #[serde(default)]
    pub text: Option<String>,
    /// The reply code of an SMTP `reply`.
    #[serde(default)]
    pub code: Option<u16>,
    /// Wait this long first.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn validate(&self) -> Result<(), String> {
        let command = self.command.trim();
        if command.is_empty() || command.len() > 32 {
            return Err("`command` must name a command (or be `*`)".into());
        }
        if self.user.as_deref().is_some_and(|u| user_by_name(u).is_none()) {
            return Err("`user` must be the uid or address of a sandbox user".into());
        }
        let allowed = match self.protocol {
            Protocol::Imap => self.action != Action::Reply,
            Protocol::Smtp => matches!(self.action, Action::Drop | Action::Reply | Action::Delay),
        };
        if !allowed {
            return Err(format!(
                "action {:?} does not apply to {:?}",
                self.action, self.protocol
            ));
        }
        if self.action == Action::Reply && !self.code.is_some_and(|c| (400..=599).contains(&c)) {
            return Err("`reply` needs a `code` from 400 to 599".into());
        }
        if self.action == Action::Delay && self.delay_ms.is_none() {
            return Err("`delay` needs `delay_ms`".into());
        }
        Ok(())
    }

    fn matches(&self, protocol: Protocol, command: &str, uid: Option<&str>) -> bool {
        let wanted = self.command.trim();
        let command_matches = wanted == "*"
            || wanted.eq_ignore_ascii_case(command)
            || command
                .strip_prefix("UID ")
                .is_some_and(|c| wanted.eq_ignore_ascii_case(c));
        let user_matches = match &self.user {
            None => true,
            Some(name) => user_by_name(name).is_some_and(|u| Some(u.uid) == uid),
        };
        self.times > 0 && self.protocol == protocol && command_matches && user_matches
    }

    pub fn text_or(&self, default: &str) -> String {
        self.text
            .as_deref()
            .map(|t| t.replace(['\r', '\n'], " "))
            .unwrap_or_else(|| default.to_string())
    }
}

#[derive(Default)]
pub struct Faults {
    pending: Mutex<Vec<Fault>>,
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        lock(&self.pending).push(fault);
    }

    /// The first pending fault for this command (upper-case name, `UID FETCH` for UID forms)
    /// in a session of user `uid`, used up once.
    pub fn take(&self, protocol: Protocol, command: &str, uid: Option<&str>) -> Option<Fault> {
        let mut pending = lock(&self.pending);
        let index = pending.iter().position(|f| f.matches(protocol, command, uid))?;
        pending[index].times -= 1;
        let fault = pending[index].clone();
        if pending[index].times == 0 {
            pending.remove(index);
        }
        Some(fault)
    }

    pub fn list(&self) -> Vec<Fault> {
        lock(&self.pending).clone()
    }

    pub fn clear(&self) {
        lock(&self.pending).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: serde_json::Value) -> Fault {
        let fault: Fault = serde_json::from_value(json).unwrap();
        fault.validate().unwrap();
        fault
    }

    #[test]
    fn matches_commands_uid_forms_and_users() {
        let faults = Faults::default();
        faults.add(fault(serde_json::json!({"protocol": "imap", "command": "fetch", "action": "drop", "times": 2, "user": "ivan.petrov@sandbox-org.ru"})));
        assert!(faults
            .take(Protocol::Imap, "UID FETCH", Some("1130000000000003"))
            .is_none());
        assert!(faults.take(Protocol::Smtp, "FETCH", Some("1130000000000002")).is_none());
        assert!(faults
            .take(Protocol::Imap, "UID FETCH", Some("1130000000000002"))
            .is_some());
        assert!(faults.take(Protocol::Imap, "FETCH", Some("1130000000000002")).is_some());
        assert!(faults.take(Protocol::Imap, "FETCH", Some("1130000000000002")).is_none());
    }

    #[test]
    fn refuses_faults_that_cannot_apply() {
        for bad in [
            serde_json::json!({"protocol": "smtp", "command": "DATA", "action": "bye"}),
            serde_json::json!({"protocol": "imap", "command": "FETCH", "action": "reply", "code": 451}),
            serde_json::json!({"protocol": "smtp", "command": "DATA", "action": "reply", "code": 250}),
            serde_json::json!({"protocol": "imap", "command": "", "action": "drop"}),
            serde_json::json!({"protocol": "imap", "command": "NOOP", "action": "delay"}),
            serde_json::json!({"protocol": "imap", "command": "NOOP", "action": "drop", "user": "nobody"}),
        ] {
            let fault: Fault = serde_json::from_value(bad.clone()).unwrap();
            assert!(fault.validate().is_err(), "{bad}");
        }
    }
}

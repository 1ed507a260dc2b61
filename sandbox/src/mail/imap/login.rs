//! AUTHENTICATE and LOGIN (docs/protocols-mail.md §2.3): XOAUTH2 inline or after a `+ `
//! continuation, `*` to cancel, Yandex's tagged NO on failure (Gmail's JSON challenge first when
//! a fault asks for it), the capabilities again after success. The sandbox has no app
//! passwords, so LOGIN and AUTH=PLAIN always fail the way a wrong password does.

use tokio::io::AsyncWriteExt;

use super::super::auth::{self, SCOPE_IMAP_FULL, SCOPE_IMAP_READ};
use super::super::faults::Action;
use super::parse::Parser;
use super::{Done, Outcome, Session, Stop, CAPABILITIES_AUTHENTICATED, MAX_LINE};
use crate::wire::{read_line, Stream};

/// What Gmail sends as its error challenge (docs/protocols-mail.md §2.3).
const GMAIL_CHALLENGE: &str =
    "eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==";

/// How long a client may take to send its response after the `+`.
const RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl<S: Stream> Session<S> {
    pub(super) async fn authenticate(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        let mechanism = parser.keyword()?;
        let initial = if parser.eat(b' ') {
            Some(parser.atom()?.as_bytes().to_vec())
        } else {
            None
        };
        parser.end()?;
        if mechanism != "XOAUTH2" && mechanism != "PLAIN" {
            return Ok(Done::No("AUTHENTICATE Unsupported authentication mechanism".into()));
        }
        let response = match initial {
            Some(response) => response,
            None => {
                self.send(b"+ ").await?;
                self.writer.flush().await?;
                let line = read_line(&mut self.reader, MAX_LINE, RESPONSE_TIMEOUT)
                    .await
                    .map_err(|_| Stop::End)?;
                if line == b"*" {
                    return Ok(Done::Bad("AUTHENTICATE Cancelled".into()));
                }
                line
            }
        };
        if mechanism == "PLAIN" {
            return Ok(self.failed("AUTHENTICATE"));
        }
        match auth::check(&self.state, &response, &[SCOPE_IMAP_READ, SCOPE_IMAP_FULL]) {
            Ok(login) => {
                self.login = Some(login);
                self.send(format!("* CAPABILITY {CAPABILITIES_AUTHENTICATED}").as_bytes())
                    .await?;
                Ok(Done::Ok("AUTHENTICATE Completed.".into()))
            }
            Err(_) if self.fault.as_ref().is_some_and(|f| f.action == Action::GmailChallenge) => {
                self.gmail_failure().await
            }
            Err(_) => Ok(self.failed("AUTHENTICATE")),
        }
    }

    /// Gmail's way: the error as a challenge, an empty line from the client, then NO.
    async fn gmail_failure(&mut self) -> Outcome {
        self.send(format!("+ {GMAIL_CHALLENGE}").as_bytes()).await?;
        self.writer.flush().await?;
        read_line(&mut self.reader, MAX_LINE, RESPONSE_TIMEOUT)
            .await
            .map_err(|_| Stop::End)?;
        Ok(Done::No("[AUTHENTICATIONFAILED] Invalid credentials (Failure)".into()))
    }

    /// Yandex's answer to any failed login, `sc=` and all.
    fn failed(&self, command: &str) -> Done {
        Done::No(format!(
            "[AUTHENTICATIONFAILED] {command} Invalid credentials or IMAP is disabled {}",
            self.support_id()
        ))
    }

    pub(super) async fn login_command(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        parser.astring()?;
        parser.space()?;
        parser.astring()?;
        parser.end()?;
        self.writer.flush().await?;
        Ok(self.failed("LOGIN"))
    }
}

/// The command line for the request log: the credentials of AUTHENTICATE and LOGIN masked.
pub fn mask(name: &str, shown: &str) -> String {
    let keep_words = match name {
        "AUTHENTICATE" => 3,
        "LOGIN" => 3,
        _ => return shown.to_string(),
    };
    let words: Vec<&str> = shown.splitn(keep_words + 1, ' ').collect();
    if words.len() <= keep_words {
        return shown.to_string();
    }
    format!("{} [masked]", words[..keep_words].join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_the_log() {
        assert_eq!(
            mask("AUTHENTICATE", "A1 AUTHENTICATE XOAUTH2 dXNlcj1h"),
            "A1 AUTHENTICATE XOAUTH2 [masked]"
        );
        assert_eq!(
            mask("AUTHENTICATE", "A1 AUTHENTICATE XOAUTH2"),
            "A1 AUTHENTICATE XOAUTH2"
        );
        assert_eq!(mask("LOGIN", "A1 LOGIN ivan secret"), "A1 LOGIN ivan [masked]");
        assert_eq!(mask("LOGIN", "A1 LOGIN {4}"), "A1 LOGIN {4}");
        assert_eq!(mask("SELECT", "A1 SELECT INBOX"), "A1 SELECT INBOX");
    }
}

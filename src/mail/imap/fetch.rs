//! EXAMINE and UID FETCH (RFC 3501 §6.3.2, §6.4.8): a folder opened read-only, and its
//! messages' attributes handed over one FETCH response at a time — the body of one message is
//! all that is held at once.

use super::{quote_folder, Session, Value};
use crate::error::{Error, ErrorCode, Result};

/// What EXAMINE tells of a folder.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Selected {
    pub exists: u64,
    pub uidvalidity: u64,
    pub uidnext: u64,
}

/// One message's attributes from a FETCH response.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    pub uid: u64,
    pub size: Option<u64>,
    pub flags: Vec<String>,
    pub internal_date: Option<String>,
    /// `BODY[]`: the whole message.
    pub body: Option<Vec<u8>>,
    /// `BODY[HEADER…]`: some or all of its header.
    pub header: Option<Vec<u8>>,
}

impl Session {
    /// Opens `folder` read-only (EXAMINE, so nothing is marked seen).
    pub(crate) async fn examine(&mut self, folder: &str) -> Result<Selected> {
        let mut selected = Selected::default();
        let command = format!("EXAMINE {}", quote_folder(folder));
        self.run_ok(&command, &format!("opening folder `{folder}`"), |untagged| {
            let values = &untagged.values;
            if untagged.name() == "EXISTS" {
                selected.exists = values[0].number().unwrap_or(0);
            }
            if untagged.name() == "OK" {
                let text = values.get(1).and_then(Value::text).unwrap_or_default();
                if let Some(value) = code_number(&text, "UIDVALIDITY") {
                    selected.uidvalidity = value;
                }
                if let Some(value) = code_number(&text, "UIDNEXT") {
                    selected.uidnext = value;
                }
            }
            Ok(())
        })
        .await?;
        Ok(selected)
    }

    /// `UID FETCH <set> (<items>)`, handing each message to `each` as it arrives; UIDs outside
    /// `[min_uid, ∞)` are dropped (`n:*` always includes the highest UID, §2.6). At most
    /// `max_messages` responses are taken.
    pub(crate) async fn uid_fetch(
        &mut self,
        set: &str,
        items: &str,
        min_uid: u64,
        max_messages: usize,
        mut each: impl FnMut(Fetched) -> Result<()>,
    ) -> Result<()> {
        let saved = self.max_responses;
        self.max_responses = max_messages.saturating_add(100);
        let command = format!("UID FETCH {set} ({items})");
        let outcome = self
            .run_ok(&command, "fetching messages", |untagged| {
                if untagged.name() != "FETCH" {
                    return Ok(());
                }
                let fetched = fetched(untagged.values)?;
                if fetched.uid >= min_uid {
                    each(fetched)?;
                }
                Ok(())
            })
            .await;
        self.max_responses = saved;
        outcome
    }
}

/// The number in a response code of a status text: `[UIDVALIDITY 1600000000] …`.
fn code_number(text: &str, code: &str) -> Option<u64> {
    let rest = text.trim_start().strip_prefix('[')?;
    let inner = rest.split(']').next()?;
    let (name, value) = inner.split_once(' ')?;
    name.eq_ignore_ascii_case(code).then(|| value.trim().parse().ok())?
}

fn fetched(values: Vec<Value>) -> Result<Fetched> {
    let mut items = match values.into_iter().nth(2) {
        Some(Value::List(items)) => items.into_iter(),
        _ => {
            return Err(Error::new(
                ErrorCode::InvalidResponse,
                "a FETCH response without its attributes",
            ))
        }
    };
    let mut fetched = Fetched::default();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        let key = key.atom().unwrap_or("").to_ascii_uppercase();
        match key.as_str() {
            "UID" => fetched.uid = value.number().unwrap_or(0),
            "RFC822.SIZE" => fetched.size = value.number(),
            "INTERNALDATE" => fetched.internal_date = value.text(),
            "FLAGS" => {
                let flags = value.list().unwrap_or(&[]);
                fetched.flags = flags.iter().filter_map(Value::atom).map(String::from).collect();
            }
            "BODY[]" | "RFC822" | "BINARY[]" => fetched.body = value.into_bytes(),
            _ if key.starts_with("BODY[HEADER") || key == "RFC822.HEADER" => fetched.header = value.into_bytes(),
            _ => {}
        }
    }
    if fetched.uid == 0 {
        return Err(Error::new(
            ErrorCode::InvalidResponse,
            "a UID FETCH response without its UID",
        ));
    }
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_response_codes() {
        assert_eq!(
            code_number("[UIDVALIDITY 1600000000] UIDs valid", "UIDVALIDITY"),
            Some(1600000000)
        );
        assert_eq!(code_number("[UIDNEXT 105] Predicted next UID", "UIDVALIDITY"), None);
        assert_eq!(code_number("no code", "UIDNEXT"), None);
    }
}

//! files.list: search (`q`), order, corpora and pages (docs/protocols.md §4.2–4.3).

use std::cmp::Ordering;

use axum::response::Response;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::model::{Drive, File, Role};
use super::{access, fields, ok, Need, Params, Request, Result};
use crate::google::oauth::Caller;
use crate::google::ApiError;

pub(super) async fn list(req: Request) -> Result<Response> {
    let caller = req.caller(Need::Metadata)?;
    let selection = req.params.select(
        "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)",
        &fields::FILE_LIST,
    )?;
    let filter = match req.params.get("q") {
        Some(q) => Some(super::query::parse(q).ok_or_else(|| ApiError::invalid_parameter("q"))?),
        None => None,
    };
    let order = parse_order(req.params.get("orderBy"))?;
    let corpus = Corpus::of(&req.params)?;
    let spaces = req.params.get("spaces").unwrap_or("drive");
    if !spaces
        .split(',')
        .all(|s| matches!(s.trim(), "drive" | "appDataFolder" | "photos"))
    {
        return Err(ApiError::invalid_parameter("spaces"));
    }
    let paging = req.paging(page_fingerprint(&caller, &req.params, spaces), 100, 1000)?;
    let base = req.base();
    let now = req.now();
    let mut data = req.state.google.data();
    let drive = &mut data.drive;
    corpus.check_drive(drive, &caller)?;
    let root_id = drive.root_id(&caller.email, now);
    // Only the `drive` space is emulated: an appDataFolder-only search finds nothing.
    let in_drive = spaces.split(',').any(|s| s.trim() == "drive");
    let mut found: Vec<(&File, Role)> = drive
        .files
        .values()
        .filter(|f| in_drive && !f.is_any_root() && corpus.includes(f))
        .filter_map(|f| access(drive, f, &caller, false).map(|role| (f, role)))
        .filter(|(f, _)| filter.as_ref().is_none_or(|q| q.matches(&facts(f, &caller, &root_id))))
        .collect();
    found.sort_by(|(a, _), (b, _)| compare(a, b, &order));
    let page: Vec<Value> = paging
        .slice(&found)
        .iter()
        .map(|(f, role)| drive.resource(f, &caller, *role, &base))
        .collect();
    let mut list = json!({"kind": "drive#fileList", "incompleteSearch": false, "files": page});
    if let Some(token) = paging.next_token(found.len()) {
        list["nextPageToken"] = json!(token);
    }
    Ok(ok(fields::apply(list, &selection)))
}

/// The body of files a search covers (`corpora`, `driveId`, `includeItemsFromAllDrives`).
struct Corpus {
    /// `corpora=drive`: that shared drive alone.
    drive_id: Option<String>,
    /// Shared-drive items are included (they also need `supportsAllDrives=true`, as every
    /// shared-drive item does).
    all_drives: bool,
}

impl Corpus {
    /// The corpus a request asks for, or Google's refusal of a contradictory one: `driveId`
    /// if and only if `corpora=drive`, and `includeItemsFromAllDrives=true` with either of
    /// `driveId` and `corpora=drive|allDrives`. [unverified] statuses: the messages and the
    /// reason `teamDriveIdRequiresTeamDriveCorpora` are as clients have reported them.
    fn of(params: &Params) -> Result<Corpus> {
        let corpora = params.get("corpora").unwrap_or("user");
        if !matches!(corpora, "user" | "domain" | "drive" | "allDrives") {
            return Err(ApiError::invalid_parameter("corpora"));
        }
        let drive_id = params.get("driveId").map(String::from);
        if drive_id.is_some() != (corpora == "drive") {
            return Err(ApiError::bad_request(
                "teamDriveIdRequiresTeamDriveCorpora",
                "The driveId parameter must be specified if and only if corpora is set to drive.",
            )
            .at("driveId", "parameter"));
        }
        let include = params.flag("includeItemsFromAllDrives") || params.flag("includeTeamDriveItems");
        if !include && matches!(corpora, "drive" | "allDrives") {
            return Err(ApiError::forbidden(
                "forbidden",
                "The includeItemsFromAllDrives parameter must be set to true when driveId is specified or corpora \
                 contains drive or allDrives.",
            ));
        }
        Ok(Corpus {
            drive_id,
            all_drives: include,
        })
    }

    /// 404 for a shared drive that does not exist or that the caller is not a member of.
    fn check_drive(&self, drive: &Drive, caller: &Caller) -> Result<()> {
        let Some(id) = &self.drive_id else { return Ok(()) };
        match drive.shared_drives.get(id).and_then(|d| d.role_of(&caller.email)) {
            Some(_) => Ok(()),
            None => Err(super::drives::drive_not_found(id)),
        }
    }

    fn includes(&self, file: &File) -> bool {
        match (&self.drive_id, &file.drive_id) {
            (Some(wanted), on) => on.as_ref() == Some(wanted),
            (None, Some(_)) => self.all_drives,
            (None, None) => true,
        }
    }
}

/// What a page token is bound to: the caller and the search, so another search's token fails.
fn page_fingerprint(caller: &Caller, params: &Params, spaces: &str) -> String {
    let seed = format!(
        "{}|{}|{}|{}|{}",
        caller.email,
        params.get("q").unwrap_or(""),
        params.get("orderBy").unwrap_or(""),
        spaces,
        params.get("driveId").unwrap_or("")
    );
    crate::util::hex(&Sha256::digest(seed.as_bytes())[..6])
}

pub(super) fn facts<'a>(file: &'a File, caller: &Caller, root_id: &'a str) -> super::query::Facts<'a> {
    let emails_with = |roles: &[Role]| -> Vec<String> {
        file.permissions
            .iter()
            .filter(|p| roles.contains(&p.role))
            .filter_map(|p| p.email.clone())
            .collect()
    };
    super::query::Facts {
        name: &file.name,
        mime_type: &file.mime_type,
        description: file.description.as_deref().unwrap_or(""),
        modified_ms: file.modified_ms,
        created_ms: file.created_ms,
        viewed_ms: file.modified_ms,
        trashed: file.trashed,
        starred: file.starred,
        shared_with_me: file.owner != caller.email
            && file
                .permissions
                .iter()
                .any(|p| p.email.as_deref() == Some(caller.email.as_str())),
        parents: &file.parents,
        root_id,
        owners: vec![file.owner.clone()],
        writers: emails_with(&[Role::Writer]),
        readers: emails_with(&[Role::Reader, Role::Commenter]),
        properties: &file.properties,
        app_properties: &file.app_properties,
    }
}

/// `orderBy`: keys of docs/protocols.md §4.2, each optionally ` desc`.
pub(super) fn parse_order(order_by: Option<&str>) -> Result<Vec<(String, bool)>> {
    let Some(text) = order_by else {
        return Ok(vec![("createdTime".into(), false)]);
    };
    let mut keys = Vec::new();
    for item in text.split(',') {
        let mut words = item.split_whitespace();
        let key = words.next().ok_or_else(|| ApiError::invalid_parameter("orderBy"))?;
        let desc = match words.next() {
            None => false,
            Some(word) if word.eq_ignore_ascii_case("desc") => true,
            Some(word) if word.eq_ignore_ascii_case("asc") => false,
            Some(_) => return Err(ApiError::invalid_parameter("orderBy")),
        };
        const KEYS: &[&str] = &[
            "createdTime",
            "folder",
            "modifiedByMeTime",
            "modifiedTime",
            "name",
            "name_natural",
            "quotaBytesUsed",
            "recency",
            "sharedWithMeTime",
            "starred",
            "viewedByMeTime",
        ];
        if words.next().is_some() || !KEYS.contains(&key) {
            return Err(ApiError::invalid_parameter("orderBy"));
        }
        keys.push((key.to_string(), desc));
    }
    Ok(keys)
}

pub(super) fn compare(a: &File, b: &File, order: &[(String, bool)]) -> Ordering {
    for (key, desc) in order {
        let ordering = match key.as_str() {
            "folder" => b.is_folder().cmp(&a.is_folder()),
            "name" | "name_natural" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "starred" => b.starred.cmp(&a.starred),
            "quotaBytesUsed" => {
                let size = |f: &File| {
                    if f.is_binary() {
                        f.content.as_ref().map_or(0, |c| c.size)
                    } else {
                        0
                    }
                };
                size(a).cmp(&size(b))
            }
            "createdTime" | "sharedWithMeTime" => a.created_ms.cmp(&b.created_ms),
            _ => a.modified_ms.cmp(&b.modified_ms),
        };
        let ordering = if *desc { ordering.reverse() } else { ordering };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    a.created_ms.cmp(&b.created_ms).then_with(|| a.id.cmp(&b.id))
}

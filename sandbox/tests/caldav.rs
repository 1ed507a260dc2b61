//! The CalDAV emulator over HTTP, against docs/protocols-mail.md §4: the 401 challenge, OAuth and
//! Basic credentials, discovery, PUT without an ETag, Telemost links, preconditions, reports,
//! sync tokens, deletion, MKCALENDAR and PROPPATCH, and faults on writes.

mod common_mail;

use base64::Engine;
use common_mail::{Env, IVAN, MARIA};
use reqwest::{Method, StatusCode};
use serde_json::json;

struct Dav<'a> {
    env: &'a Env,
    auth: String,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap()
}

impl<'a> Dav<'a> {
    fn oauth(env: &'a Env, token: &str) -> Dav<'a> {
        Dav {
            env,
            auth: format!("OAuth {token}"),
        }
    }

    fn basic(env: &'a Env, user: &str, token: &str) -> Dav<'a> {
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
        Dav {
            env,
            auth: format!("Basic {pair}"),
        }
    }

    async fn send(&self, name: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let url = format!("{}{}", self.env.caldav.trim_end_matches('/'), path);
        let mut request = self.env.http.request(method(name), url).body(body.to_string());
        if !self.auth.is_empty() {
            request = request.header("Authorization", &self.auth);
        }
        for (key, value) in headers {
            request = request.header(*key, *value);
        }
        let response = request.send().await.unwrap();
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    async fn propfind(&self, path: &str, depth: &str, body: &str) -> Answer {
        self.send(
            "PROPFIND",
            path,
            &[("Depth", depth), ("Content-Type", "text/xml")],
            body,
        )
        .await
    }

    async fn put(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut all = vec![("Content-Type", "text/calendar; charset=utf-8")];
        all.extend_from_slice(headers);
        self.send("PUT", path, &all, body).await
    }

    async fn report(&self, path: &str, body: &str) -> Answer {
        self.send("REPORT", path, &[("Depth", "1"), ("Content-Type", "text/xml")], body)
            .await
    }
}

const HOME: &str = "/calendars/ivan.petrov%40sandbox-org.ru/";
const DEFAULT: &str = "/calendars/ivan.petrov%40sandbox-org.ru/events-default/";

fn event(uid: &str, summary: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// The text between `<tag…>` and `</tag>` of the first such element.
fn element<'b>(body: &'b str, tag: &str) -> Option<&'b str> {
    let start = body.find(&format!("<{tag}"))?;
    let open_end = start + body[start..].find('>')? + 1;
    let close = body[open_end..].find(&format!("</{tag}>"))?;
    Some(&body[open_end..open_end + close])
}

#[tokio::test]
async fn credentials_are_challenged_checked_and_scoped() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let anonymous = Dav {
        env: &env,
        auth: String::new(),
    };
    let answer = anonymous.propfind("/", "0", "").await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.headers["www-authenticate"], "Basic realm=\"Yandex.Calendar\"");
    assert_eq!(Dav::oauth(&env, "y0_nope").propfind("/", "0", "").await.status, 401);
    assert_eq!(
        Dav::basic(&env, MARIA, &token).propfind("/", "0", "").await.status,
        401,
        "another user's token"
    );
    assert_eq!(Dav::basic(&env, IVAN, &token).propfind("/", "0", "").await.status, 207);
    assert_eq!(
        Dav::basic(&env, "ivan.petrov", &token)
            .propfind("/", "0", "")
            .await
            .status,
        207
    );
    assert_eq!(Dav::oauth(&env, &token).propfind("/", "0", "").await.status, 207);
    let mail_only = env.token(IVAN, Some("mail:imap_full")).await;
    assert_eq!(Dav::oauth(&env, &mail_only).propfind("/", "0", "").await.status, 403);
    let someone_else = Dav::oauth(&env, &token)
        .propfind("/calendars/maria.ivanova%40sandbox-org.ru/", "1", "")
        .await;
    assert_eq!(someone_else.status, 403);
    assert_eq!(Dav::oauth(&env, &token).propfind("/", "infinity", "").await.status, 403);
    let options = anonymous.send("OPTIONS", "/", &[], "").await;
    assert_eq!(options.headers["dav"], "1, 3, calendar-access");
}

#[tokio::test]
async fn discovery_finds_the_principal_home_and_calendars() {
    let env = Env::start().await;
    let dav = Dav::oauth(&env, &env.token(IVAN, None).await);
    let root = dav
        .propfind("/", "0", r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:current-user-principal/></D:prop></D:propfind>"#)
        .await;
    assert_eq!(root.headers["content-type"], "text/xml; charset=utf-8");
    assert!(root.body.contains("<D:current-user-principal><href xmlns=\"DAV:\">/principals/users/ivan.petrov%40sandbox-org.ru/</href></D:current-user-principal>"), "{}", root.body);
    let principal = dav
        .propfind("/principals/users/ivan.petrov%40sandbox-org.ru/", "0", r#"<propfind xmlns="DAV:"><prop><C:calendar-home-set xmlns:C="urn:ietf:params:xml:ns:caldav"/><displayname/><C:schedule-inbox-URL xmlns:C="urn:ietf:params:xml:ns:caldav"/></prop></propfind>"#)
        .await;
    assert!(principal.body.contains(&format!("<C:calendar-home-set xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><href xmlns=\"DAV:\">{HOME}</href></C:calendar-home-set>")));
    assert!(principal.body.contains("<D:displayname>Иван Петров</D:displayname>"));
    let home = dav.propfind(HOME, "1", "").await;
    assert_eq!(home.status, 207);
    for id in [
        "inbox/",
        "outbox/",
        "events-default/",
        "events-12611/",
        "events-12612/",
        "todos-12613/",
    ] {
        assert!(
            home.body.contains(&format!("<href xmlns=\"DAV:\">{HOME}{id}</href>")),
            "{id}"
        );
    }
    assert!(home.body.contains("<D:displayname>Мои события</D:displayname>"));
    assert!(home
        .body
        .contains("<calendar-color xmlns=\"http://apple.com/ns/ical/\">#49c0a8ff</calendar-color>"));
    assert!(home.body.contains("<D:sync-token>data:,1772434805001</D:sync-token>"));
    assert!(home
        .body
        .contains("<getctag xmlns=\"http://calendarserver.org/ns/\">1772434805001</getctag>"));
    assert!(home
        .body
        .contains("<D:current-user-privilege-set><D:privilege><D:read/></D:privilege></D:current-user-privilege-set>"));
    assert!(
        home.body
            .contains("<D:current-user-privilege-set></D:current-user-privilege-set>"),
        "the to-do list's empty set"
    );
    assert!(home
        .body
        .contains("<C:comp xmlns:C=\"urn:ietf:params:xml:ns:caldav\" name=\"VTODO\"/>"));
    // Properties a resource lacks come back in a 404 propstat.
    let asked = dav
        .propfind(
            HOME,
            "0",
            r#"<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:displayname/></D:prop></D:propfind>"#,
        )
        .await;
    assert!(
        asked
            .body
            .contains("<D:prop><D:displayname/></D:prop><status xmlns=\"DAV:\">HTTP/1.1 404 Not Found</status>"),
        "{}",
        asked.body
    );
    // The address with a raw @ reaches the same home.
    assert_eq!(
        dav.propfind("/calendars/ivan.petrov@sandbox-org.ru/", "0", "")
            .await
            .status,
        207
    );
}

#[tokio::test]
async fn put_get_update_with_etags_and_a_telemost_link() {
    let env = Env::start().await;
    let token = env.token(IVAN, None).await;
    let dav = Dav::oauth(&env, &token);
    let path = format!("{DEFAULT}meeting-1.ics");
    let created = dav
        .put(
            &path,
            &[("If-None-Match", "*")],
            &event("meeting-1", "Planning", "X-TELEMOST-REQUIRED:TRUE\r\n"),
        )
        .await;
    assert_eq!(created.status, 201);
    assert!(
        created.headers.get("etag").is_none(),
        "Yandex answers a PUT without an ETag"
    );
    let again = dav
        .put(&path, &[("If-None-Match", "*")], &event("meeting-1", "Planning", ""))
        .await;
    assert_eq!(again.status, 412);
    let got = dav.send("GET", &path, &[], "").await;
    assert_eq!(got.headers["content-type"], "text/calendar; charset=utf-8");
    let etag = got.headers["etag"].to_str().unwrap().to_string();
    assert!(etag.parse::<u64>().is_ok(), "a bare millisecond ETag: {etag}");
    assert!(got
        .body
        .starts_with("BEGIN:VCALENDAR\r\nPRODID:-//Yandex LLC//Yandex Calendar//EN\r\n"));
    let link = got
        .body
        .lines()
        .find_map(|l| l.strip_prefix("X-TELEMOST-CONFERENCE:"))
        .expect("a Telemost link")
        .to_string();
    assert!(
        link.starts_with("https://telemost.yandex.ru/j/") && link.len() == "https://telemost.yandex.ru/j/".len() + 14,
        "{link}"
    );
    assert!(got
        .body
        .replace("\r\n ", "")
        .contains(&format!("DESCRIPTION:Ссылка на видеовстречу: {link}")));
    // The meeting exists in the Telemost API for its organizer.
    let id = link.rsplit('/').next().unwrap();
    let conference = env
        .http
        .get(format!("{}/yandex-telemost/v1/telemost-api/conferences/{id}", env.url))
        .header("Authorization", format!("OAuth {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(conference.status(), 200);
    // An update with the current ETag keeps the link; a stale one is refused.
    let update = dav
        .put(
            &path,
            &[("If-Match", &etag)],
            &event("meeting-1", "Planning (moved)", "X-TELEMOST-REQUIRED:TRUE\r\n"),
        )
        .await;
    assert_eq!(update.status, 204);
    let stale = dav
        .put(
            &path,
            &[("If-Match", &etag)],
            &event("meeting-1", "Planning (again)", ""),
        )
        .await;
    assert_eq!(stale.status, 412);
    let got = dav.send("GET", &path, &[], "").await;
    assert!(
        got.body.contains("SUMMARY:Planning (moved)") && got.body.contains(&format!("X-TELEMOST-CONFERENCE:{link}"))
    );
    assert_ne!(got.headers["etag"].to_str().unwrap(), etag);
    // Quoted ETags on request.
    env.post("settings", json!({"caldav_quoted_etags": true})).await;
    let quoted = dav.send("GET", &path, &[], "").await.headers["etag"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(quoted.starts_with('"') && quoted.ends_with('"'));
    assert_eq!(
        dav.send("DELETE", &path, &[("If-Match", "\"1\"")], "").await.status,
        412
    );
    assert_eq!(
        dav.send("DELETE", &path, &[("If-Match", &quoted)], "").await.status,
        204
    );
    assert_eq!(dav.send("GET", &path, &[], "").await.status, 404);
}

#[tokio::test]
async fn bad_objects_and_read_only_calendars_are_refused() {
    let env = Env::start().await;
    let dav = Dav::oauth(&env, &env.token(IVAN, None).await);
    let answer = dav.put(&format!("{DEFAULT}x.ics"), &[], "not a calendar").await;
    assert_eq!(answer.status, 403);
    assert!(answer.body.contains("<C:valid-calendar-data"));
    let todo = dav
        .put(&format!("{HOME}todos-12613/x.ics"), &[], &event("x", "x", ""))
        .await;
    assert_eq!(todo.status, 403, "the to-do list is not writable");
    let shared = dav
        .put(&format!("{HOME}events-12612/x.ics"), &[], &event("x", "x", ""))
        .await;
    assert_eq!(shared.status, 403);
    assert!(shared.body.contains("<D:need-privileges/>"));
    let wrong_kind = event("t", "t", "").replace("VEVENT", "VTODO");
    let answer = dav.put(&format!("{HOME}events-12611/t.ics"), &[], &wrong_kind).await;
    assert!(answer.body.contains("supported-calendar-component"), "{}", answer.body);
    assert_eq!(
        dav.put(&format!("{HOME}events-99/x.ics"), &[], &event("x", "x", ""))
            .await
            .status,
        409
    );
    dav.put(&format!("{DEFAULT}a.ics"), &[], &event("same-uid", "a", ""))
        .await;
    let conflict = dav
        .put(&format!("{DEFAULT}b.ics"), &[], &event("same-uid", "b", ""))
        .await;
    assert_eq!(conflict.status, 403);
    assert!(conflict.body.contains(&format!(
        "<C:no-uid-conflict xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><href xmlns=\"DAV:\">{DEFAULT}a.ics</href>"
    )));
    assert_eq!(
        dav.send("DELETE", &format!("{HOME}events-default/"), &[], "")
            .await
            .status,
        403
    );
    assert_eq!(
        dav.send("DELETE", &format!("{HOME}events-12612/"), &[], "")
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn reports_query_multiget_and_sync() {
    let env = Env::start().await;
    let dav = Dav::oauth(&env, &env.token(IVAN, None).await);
    let sync_body = |token: &str| {
        format!(
            r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
        )
    };
    let first = dav.report(DEFAULT, &sync_body("")).await;
    assert_eq!(first.status, 207);
    assert_eq!(first.body.matches("<D:response>").count(), 2);
    let token = element(&first.body, "D:sync-token").unwrap().to_string();
    assert_eq!(token, "data:,1772434805001");
    dav.put(&format!("{DEFAULT}dec.ics"), &[], &event("dec", "December", ""))
        .await;
    dav.send("DELETE", &format!("{DEFAULT}vacation1yandex.ru.ics"), &[], "")
        .await;
    let changes = dav.report(DEFAULT, &sync_body(&token)).await;
    assert_eq!(changes.body.matches("<D:response>").count(), 2);
    assert!(changes
        .body
        .contains(&format!("{DEFAULT}dec.ics</href><D:propstat><D:prop><D:getetag>")));
    assert!(changes.body.contains(&format!("{DEFAULT}vacation1yandex.ru.ics</href><D:propstat><D:prop><D:getetag/></D:prop><status xmlns=\"DAV:\">HTTP/1.1 404 Not Found</status>")), "{}", changes.body);
    assert_eq!(dav.report(DEFAULT, &sync_body("data:,5")).await.status, 403);
    let query = |start: &str, end: &str| {
        format!(
            r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/><D:getetag/><C:schedule-tag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
        )
    };
    // December 2026: the new event and the weekly stand-up; not January 2025.
    let december = dav
        .report(DEFAULT, &query("20261129T000000Z", "20270101T000000Z"))
        .await;
    assert_eq!(december.body.matches("<D:response>").count(), 2, "{}", december.body);
    assert!(december.body.contains("SUMMARY:December"));
    assert!(december.body.contains("<C:schedule-tag xmlns:C=\"urn:ietf:params:xml:ns:caldav\"/></D:prop><status xmlns=\"DAV:\">HTTP/1.1 404 Not Found</status>"));
    assert_eq!(
        dav.report(DEFAULT, &query("20250101T000000Z", "20250201T000000Z"))
            .await
            .body
            .matches("<D:response>")
            .count(),
        0
    );
    let by_uid = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match collation="i;octet">dec</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#;
    assert_eq!(
        dav.report(DEFAULT, by_uid).await.body.matches("<D:response>").count(),
        1
    );
    let multiget = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><D:href>{DEFAULT}dec.ics</D:href><D:href>{DEFAULT}gone.ics</D:href></C:calendar-multiget>"#
    );
    let got = dav.report(DEFAULT, &multiget).await;
    assert!(got.body.contains(&format!(
        "<href xmlns=\"DAV:\">{DEFAULT}gone.ics</href><status xmlns=\"DAV:\">HTTP/1.1 404 Not Found</status>"
    )));
    let listing = dav.send("GET", DEFAULT, &[], "").await;
    assert_eq!(listing.body.lines().filter(|l| l.ends_with(".ics")).count(), 2);
}

#[tokio::test]
async fn calendars_are_made_renamed_and_deleted() {
    let env = Env::start().await;
    let dav = Dav::oauth(&env, &env.token(IVAN, None).await);
    let make = r#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>Work</D:displayname></D:prop></D:set></C:mkcalendar>"#;
    assert_eq!(
        dav.send("MKCALENDAR", &format!("{HOME}work/"), &[], make).await.status,
        403,
        "refused by default"
    );
    env.post("settings", json!({"caldav_mkcalendar": true})).await;
    assert_eq!(
        dav.send("MKCALENDAR", &format!("{HOME}work/"), &[], make).await.status,
        201
    );
    assert_eq!(
        dav.send("MKCALENDAR", &format!("{HOME}work/"), &[], make).await.status,
        405
    );
    let patch = r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Работа</D:displayname></D:prop></D:set></D:propertyupdate>"#;
    let patched = dav.send("PROPPATCH", &format!("{HOME}work/"), &[], patch).await;
    assert_eq!(patched.status, 207);
    assert!(patched
        .body
        .contains("<D:displayname/></D:prop><status xmlns=\"DAV:\">HTTP/1.1 200 OK</status>"));
    assert!(dav
        .propfind(HOME, "1", "")
        .await
        .body
        .contains("<D:displayname>Работа</D:displayname>"));
    assert_eq!(dav.send("DELETE", &format!("{HOME}work/"), &[], "").await.status, 204);
    assert_eq!(
        dav.send("DELETE", &format!("{HOME}events-12611/"), &[], "")
            .await
            .status,
        204,
        "\"My calendar\" can go"
    );
    assert!(!dav.propfind(HOME, "1", "").await.body.contains("events-12611"));
}

#[tokio::test]
async fn a_504_on_a_write_that_landed() {
    let env = Env::start().await;
    let dav = Dav::oauth(&env, &env.token(IVAN, None).await);
    env.post(
        "faults",
        json!([
            {"method": "PUT", "path": "/calendars/", "status": 504, "landed": true},
            {"method": "PUT", "path": "/calendars/", "status": 503},
        ]),
    )
    .await;
    let path = format!("{DEFAULT}landed.ics");
    assert_eq!(dav.put(&path, &[], &event("landed", "x", "")).await.status, 504);
    assert_eq!(
        dav.send("GET", &path, &[], "").await.status,
        200,
        "the write went through"
    );
    let other = format!("{DEFAULT}lost.ics");
    assert_eq!(dav.put(&other, &[], &event("lost", "x", "")).await.status, 503);
    assert_eq!(dav.send("GET", &other, &[], "").await.status, 404);
    let log = env.get("requests").await;
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["method"] == "PUT" && e["status"] == 504));
}

#[tokio::test]
async fn a_meeting_reaches_colleagues_who_answer_only_with_their_partstat() {
    let env = Env::start().await;
    let ivan = Dav::oauth(&env, &env.token(IVAN, None).await);
    let maria = Dav::oauth(&env, &env.token(MARIA, None).await);
    let owner = Dav::oauth(&env, &env.token(common_mail::OWNER, None).await);
    let attendees = "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:maria.ivanova@sandbox-org.ru\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:owner@sandbox-org.ru\r\nX-TELEMOST-REQUIRED:TRUE\r\n";
    assert_eq!(
        ivan.put(&format!("{DEFAULT}team.ics"), &[], &event("team", "Team", attendees))
            .await
            .status,
        201
    );
    let mine = ivan.send("GET", &format!("{DEFAULT}team.ics"), &[], "").await.body;
    let link = mine
        .lines()
        .find_map(|l| l.strip_prefix("X-TELEMOST-CONFERENCE:"))
        .unwrap()
        .to_string();
    assert!(
        mine.contains("ORGANIZER:mailto:ivan.petrov@sandbox-org.ru\r\n"),
        "{mine}"
    );
    let maria_path = "/calendars/maria.ivanova%40sandbox-org.ru/events-default/team.ics";
    let copy = maria.send("GET", maria_path, &[], "").await;
    assert_eq!(copy.status, 200);
    assert!(
        copy.body.contains(&format!("X-TELEMOST-CONFERENCE:{link}")),
        "one meeting, one link"
    );
    // Maria accepts and tries to rename it: only her answer sticks.
    let answer = copy.body.replace("SUMMARY:Team", "SUMMARY:Mine now").replace(
        "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:maria",
        "PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:maria",
    );
    assert_eq!(maria.put(maria_path, &[], &answer).await.status, 204);
    let copy = maria.send("GET", maria_path, &[], "").await.body;
    assert!(
        copy.contains("SUMMARY:Team\r\n") && copy.contains("PARTSTAT=ACCEPTED:mailto:maria.ivanova@sandbox-org.ru"),
        "{copy}"
    );
    let mine = ivan.send("GET", &format!("{DEFAULT}team.ics"), &[], "").await.body;
    assert!(
        mine.contains("PARTSTAT=ACCEPTED:mailto:maria.ivanova@sandbox-org.ru"),
        "{mine}"
    );
    // The organizer's update reaches her copy; her answer is kept.
    let moved = event("team", "Team (moved)", attendees);
    assert_eq!(ivan.put(&format!("{DEFAULT}team.ics"), &[], &moved).await.status, 204);
    let copy = maria.send("GET", maria_path, &[], "").await.body;
    assert!(
        copy.contains("SUMMARY:Team (moved)") && copy.contains("PARTSTAT=ACCEPTED:mailto:maria"),
        "{copy}"
    );
    // A decline removes her copy; the organizer's delete removes the owner's.
    let decline = copy.replace("PARTSTAT=ACCEPTED:mailto:maria", "PARTSTAT=DECLINED:mailto:maria");
    assert_eq!(maria.put(maria_path, &[], &decline).await.status, 204);
    assert_eq!(maria.send("GET", maria_path, &[], "").await.status, 404);
    let owner_path = "/calendars/owner%40sandbox-org.ru/events-default/team.ics";
    assert_eq!(owner.send("GET", owner_path, &[], "").await.status, 200);
    assert_eq!(
        ivan.send("DELETE", &format!("{DEFAULT}team.ics"), &[], "").await.status,
        204
    );
    assert_eq!(owner.send("GET", owner_path, &[], "").await.status, 404);
}

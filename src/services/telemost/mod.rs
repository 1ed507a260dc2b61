//! Telemost, Yandex's video meetings, through its REST API (docs/protocols-mail.md §6):
//! conferences created, read and changed with the user's token (an employee's one-hour token
//! from a Yandex 360 service application works as for the Disk). A meeting tied to a calendar
//! event is made through the calendar instead (YandexCalendar.CreateEvent with `telemost`).
//!
//! Here: the registry declarations; `conferences` the requests.

mod conferences;
mod profile;

use conferences::*;

use crate::schema::{handler, Auth, Method, Origin, Param, ParamType};

pub(crate) use profile::ENDPOINT;

const MODULE: &str = "Telemost";

const CONFERENCE_ID: Param = Param::string("conference_id", "The conference's `id` (CreateConference).")
    .opi("ConferenceID", "ИдентификаторКонференции", "id")
    .required();
const WAITING_ROOM: Param = Param::string(
    "waiting_room_level",
    "Who enters without waiting: `PUBLIC` (anyone with the link), `ORGANIZATION` (the organization's members), `ADMINS`.",
);
const ACCESS_LEVEL: Param = Param::string(
    "access_level",
    "Deprecated by the service (ignored when `waiting_room_level` is given): `PUBLIC` or `ORGANIZATION`.",
);
const LIVE_STREAM: Param = Param::new(
    "live_stream",
    ParamType::Object,
    "A live stream of the meeting: {\"access_level\", \"title\", \"description\"}.",
);
const COHOSTS: Param = Param::new(
    "cohosts",
    ParamType::Any,
    "Co-hosts: e-mail addresses of the organization's members (comma-separated, an array, or [{\"email\"}]).",
);
const SUMMARIZATION: Param = Param::new(
    "is_auto_summarization_enabled",
    ParamType::Bool,
    "Whether the service writes a summary of the meeting.",
);

pub(crate) const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "CreateConference",
        name_ru: "СоздатьКонференцию",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[WAITING_ROOM, ACCESS_LEVEL, LIVE_STREAM, COHOSTS, SUMMARIZATION],
        doc: "Creates a video meeting (right `telemost-api:conferences.create`); its `join_url` is the link to share. Not repeated after it may have reached the service: a lost answer is an error, not a second meeting.",
        result: "`{\"id\", \"join_url\", \"access_level\", \"waiting_room_level\", \"cohosts\", \"is_auto_summarization_enabled\", \"live_stream\"?}`",
        handler: handler!(create_conference),
    },
    Method {
        module: MODULE,
        name: "GetConference",
        name_ru: "ПолучитьКонференцию",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[CONFERENCE_ID],
        doc: "A conference of the user (its author or a co-host), with its SIP addresses (right `telemost-api:conferences.read`).",
        result: "the conference, as CreateConference plus `sip_uri_meeting`, `sip_uri_telemost`, `sip_id`",
        handler: handler!(get_conference),
    },
    Method {
        module: MODULE,
        name: "UpdateConference",
        name_ru: "ИзменитьКонференцию",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[CONFERENCE_ID, WAITING_ROOM, ACCESS_LEVEL, LIVE_STREAM, COHOSTS, SUMMARIZATION],
        doc: "Changes the settings given, keeping the others (right `telemost-api:conferences.update`); `cohosts` replaces the list.",
        result: "the conference as now set",
        handler: handler!(update_conference),
    },
    Method {
        module: MODULE,
        name: "AddCohosts",
        name_ru: "ДобавитьСоорганизаторов",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[CONFERENCE_ID, COHOSTS.required()],
        doc: "Adds co-hosts, keeping those already there (right `telemost-api:conferences.update`; an address outside the organization is `bad_request`, upstream `NoSuchUserPrincipalsFound`).",
        result: "the conference as now set",
        handler: handler!(add_cohosts),
    },
];

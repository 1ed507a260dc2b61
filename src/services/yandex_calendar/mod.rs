//! Yandex Calendar over CalDAV (docs/protocols-mail.md §4–5): a user's calendars and events at
//! caldav.yandex.ru, with the user's token — an employee's one-hour token from a Yandex 360
//! service application (`credentials` with a `subject`) works as for the Disk — and Telemost
//! meetings for events that ask for one (`X-TELEMOST-REQUIRED`, §4.6).
//!
//! Here: the registry declarations; `home` finds the user's calendars, `dav` sends WebDAV
//! requests and reads their XML (`xml`), `writes` checks writes that answered 5xx, `calendars`
//! and `events` are the handlers, `fields`, `ical` and `time` turn the caller's fields into
//! iCalendar and back.

mod calendars;
mod dav;
mod events;
mod fields;
mod home;
mod ical;
mod profile;
mod time;
mod writes;
mod xml;

use calendars::*;
use events::*;

use crate::schema::{handler, Auth, Method, Origin, Param, ParamType};

pub(crate) use profile::ENDPOINT;

const MODULE: &str = "YandexCalendar";

const EMAIL: Param = Param::string(
    "email",
    "The user's address, which the calendar URLs hold (/calendars/<email>/); absent: `credentials.subject.user_email`, else asked of the server (one more request).",
)
.opi("Email", "Почта", "email");
const CALENDAR: Param = Param::string(
    "calendar",
    "The calendar: its `id` (GetCalendars; `events-default` is the main one), its name (\"Мои события\"), or its `href`; absent: `events-default`.",
)
.opi("Calendar", "Календарь", "calendar");
const HREF: Param =
    Param::string("href", "The event's `href` (GetEvents); or give `uid`.").opi("Href", "Ссылка", "href");
const UID: Param =
    Param::string("uid", "The event's UID, looked up in `calendar`; or give `href`.").opi("UID", "UID", "uid");
const ETAG: Param = Param::string(
    "etag",
    "The `etag` the event had when read: the change is made only if it still has it (else `conflict`).",
)
.opi("ETag", "ETag", "etag");
const SUMMARY: Param = Param::string("summary", "The title.").opi("Title", "Название", "summary");
const START: Param = Param::string(
    "start",
    "2026-12-10 (an all-day event), 2026-12-10T10:00:00Z or …+03:00, or 2026-12-10T10:00:00 with `timezone`.",
)
.opi("Start", "Начало", "start");
const END: Param = Param::string(
    "end",
    "As `start`, exclusive (an all-day event ends the day after its last day); absent when creating: an hour (a day) after `start`.",
)
.opi("End", "Окончание", "end");
const TIMEZONE: Param = Param::string(
    "timezone",
    "An IANA time zone (Europe/Moscow) for times given without an offset; absent: they are UTC.",
)
.opi("TimeZone", "ЧасовойПояс", "timezone");
const DESCRIPTION: Param =
    Param::string("description", "The description.").opi("Description", "Описание", "description");
const LOCATION: Param = Param::string("location", "The place.").opi("Location", "Место", "location");
const ATTENDEES: Param = Param::new(
    "attendees",
    ParamType::Any,
    "Participants: addresses (comma-separated or an array) or [{\"email\", \"name\"?, \"role\"?}]; colleagues get the event in their calendars. On update: the whole new list.",
)
.opi("Attendees", "Участники", "attendees");
const RRULE: Param = Param::string(
    "rrule",
    "How it repeats, as RFC 5545 writes it: FREQ=WEEKLY;BYDAY=MO (on update, \"\" stops it).",
)
.opi("Recurrence", "Повторение", "rrule");
const TELEMOST: Param = Param::new(
    "telemost",
    ParamType::Bool,
    "Add a Telemost video meeting: the server makes it, the reply's `telemost_link` is its link.",
)
.opi("Telemost", "Телемост", "telemost");

const EVENT_RESULT: &str = "`{\"href\", \"etag\", \"calendar\", \"uid\", \"summary\", \"start\", \"end\", \"all_day\", \"timezone\"?, \"description\", \"location\", \"rrule\"?, \"organizer\", \"attendees\": [{\"email\", \"name\", \"partstat\", \"role\"}], \"telemost_link\", \"sequence\"}`";

pub(crate) const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "GetCalendars",
        name_ru: "ПолучитьКалендари",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[EMAIL],
        doc: "The user's calendars and to-do lists (right `calendar:all`), with whether the user may write to each.",
        result: "`{\"calendars\": [{\"id\", \"name\", \"href\", \"color\", \"components\", \"writable\", \"sync_token\", \"ctag\"}], \"home\"}`",
        handler: handler!(get_calendars),
    },
    Method {
        module: MODULE,
        name: "CreateCalendar",
        name_ru: "СоздатьКалендарь",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            Param::string("name", "The calendar's name.").opi("Name", "Наименование", "name").required(),
            Param::string("color", "Its colour, #rrggbb or #rrggbbaa.").opi("Color", "Цвет", "color"),
            Param::string("component", "`VEVENT` (events) or `VTODO` (a to-do list).").default("\"VEVENT\""),
            Param::string("id", "The last part of its URL; absent: `events-<digits>`, as Yandex names calendars."),
            EMAIL,
        ],
        doc: "Makes a calendar (CalDAV MKCALENDAR). Whether Yandex allows this over CalDAV is not documented: a refusal is `forbidden` with that said; the sandbox allows it with its setting `caldav_mkcalendar`.",
        result: "`{\"id\", \"name\", \"href\", \"color\", \"components\"}`",
        handler: handler!(create_calendar),
    },
    Method {
        module: MODULE,
        name: "DeleteCalendar",
        name_ru: "УдалитьКалендарь",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[CALENDAR.required(), EMAIL],
        doc: "Deletes a calendar of the user, named by id or name (\"My calendar\") with its events. The main calendar and calendars of others cannot be deleted (`forbidden`).",
        result: "`{\"deleted\": {\"id\", \"name\", \"href\"}}`",
        handler: handler!(delete_calendar),
    },
    Method {
        module: MODULE,
        name: "GetEvents",
        name_ru: "ПолучитьСобытия",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            CALENDAR,
            Param::string("from", "The range's start (a date, or a date-time with Z or an offset; without one, UTC).").opi("From", "С", "from"),
            Param::string("to", "The range's end, exclusive.").opi("To", "По", "to"),
            EMAIL,
        ],
        doc: "The calendar's events that overlap the range (a CalDAV calendar-query); a repeating event once, with its `rrule`, when any of its occurrences may fall in the range (Yandex does not expand series).",
        result: "`{\"events\": [event]}`, event as GetEvent without `ics`",
        handler: handler!(get_events),
    },
    Method {
        module: MODULE,
        name: "GetEvent",
        name_ru: "ПолучитьСобытие",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[HREF, UID, CALENDAR, EMAIL],
        doc: "One event by `href`, or by `uid` in `calendar`, with its iCalendar text as stored.",
        result: EVENT_RESULT_WITH_ICS,
        handler: handler!(get_event),
    },
    Method {
        module: MODULE,
        name: "CreateEvent",
        name_ru: "СоздатьСобытие",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            SUMMARY.required(),
            START.required(),
            END,
            TIMEZONE,
            DESCRIPTION,
            LOCATION,
            ATTENDEES,
            RRULE,
            TELEMOST,
            CALENDAR,
            EMAIL,
        ],
        doc: "Creates an event and reads it back as the server stored it: with `telemost`, the Telemost link the server added. A write that answers 5xx is checked before it is sent again, so it is never made twice.",
        result: EVENT_RESULT,
        handler: handler!(create_event),
    },
    Method {
        module: MODULE,
        name: "UpdateEvent",
        name_ru: "ИзменитьСобытие",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            HREF,
            UID,
            ETAG,
            SUMMARY,
            START,
            END,
            TIMEZONE,
            DESCRIPTION,
            LOCATION,
            ATTENDEES,
            RRULE,
            TELEMOST,
            CALENDAR,
            EMAIL,
        ],
        doc: "Changes the fields given and keeps the rest as stored (the Telemost link too), only if the event still has `etag` (or, without it, the ETag just read): a change made meanwhile is `conflict`.",
        result: EVENT_RESULT,
        handler: handler!(update_event),
    },
    Method {
        module: MODULE,
        name: "DeleteEvent",
        name_ru: "УдалитьСобытие",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[HREF, UID, ETAG, CALENDAR, EMAIL],
        doc: "Deletes an event (with `etag`: only if unchanged, else `conflict`); an event the user organised leaves the colleagues' calendars too.",
        result: "`{\"deleted\": href}`",
        handler: handler!(delete_event),
    },
];

const EVENT_RESULT_WITH_ICS: &str = "event as CreateEvent's, plus `\"ics\"`: the iCalendar text";

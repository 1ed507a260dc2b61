//! Yandex 360 for an organization's administrator (docs/protocols.md §5): the directory
//! (organizations and employees, every page) and the organization's service applications, whose
//! registered clients then get one-hour tokens for any employee (YandexID.ExchangeTokenForUser).
//!
//! The API replaces the whole list of service applications on every write, so adding or removing
//! one application reads the list, changes it and writes all of it back.

//!
//! Here: the registry declarations; `api` sends requests with the administrator's token and
//! explains refusals, `directory` lists organizations and employees, `applications` keeps the
//! list of service applications.

mod api;
mod applications;
mod directory;
mod profile;

use applications::*;
use directory::*;

use crate::schema::{handler, Auth, Method, Origin, Param, ParamType};

pub(crate) use profile::ENDPOINT;

const MODULE: &str = "Yandex360";

const ORG_ID: Param = Param::integer("org_id", "The organization's id (`id` of GetOrganizations).").required();
const CLIENT_ID: Param = Param::string(
    "client_id",
    "The service application's ClientID (an OAuth application of yours).",
)
.required();

pub(crate) const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "GetOrganizations",
        name_ru: "ПолучитьОрганизации",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[],
        doc: "The organizations the token's user belongs to, every page (right `directory:read_organization`).",
        result: "`{\"organizations\": [{\"id\", \"name\", ...}]}`",
        handler: handler!(get_organizations),
    },
    Method {
        module: MODULE,
        name: "GetUsers",
        name_ru: "ПолучитьПользователей",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID],
        doc: "The organization's employees, every page (an administrator's token with `directory:read_users`). Their `id` is the `user_id` of YandexID.ExchangeTokenForUser.",
        result: "`{\"users\": [{\"id\", \"nickname\", \"email\", \"name\", \"isAdmin\", ...}]}`",
        handler: handler!(get_users),
    },
    Method {
        module: MODULE,
        name: "ActivateServiceApplications",
        name_ru: "АктивироватьСервисныеПриложения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID],
        doc: "Turns service applications on for the organization (the owner's token with `ya360_security:service_applications_write`). Harmless when already on.",
        result: "`{}`",
        handler: handler!(activate),
    },
    Method {
        module: MODULE,
        name: "DeactivateServiceApplications",
        name_ru: "ДеактивироватьСервисныеПриложения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID],
        doc: "Turns service applications off: no more tokens are exchanged, and the list can only be cleared until they are turned on again.",
        result: "`{}`",
        handler: handler!(deactivate),
    },
    Method {
        module: MODULE,
        name: "GetServiceApplications",
        name_ru: "ПолучитьСервисныеПриложения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID],
        doc: "The organization's service applications and the rights each may use (the owner's token with `ya360_security:service_applications_read`).",
        result: "`{\"applications\": [{\"id\", \"scopes\"}]}`",
        handler: handler!(get_service_applications),
    },
    Method {
        module: MODULE,
        name: "SetServiceApplications",
        name_ru: "УстановитьСервисныеПриложения",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID, Param::new(
            "applications",
            ParamType::Array,
            "The whole new list: [{\"id\": client_id, \"scopes\": [rights] or \"space-separated rights\"}], at most 20; an empty list clears it.",
        )
        .required()],
        doc: "Replaces the whole list of service applications (the service refuses this while they are not activated, except clearing).",
        result: "`{\"applications\": [{\"id\", \"scopes\"}]}`, the list as now registered",
        handler: handler!(set_service_applications),
    },
    Method {
        module: MODULE,
        name: "AddServiceApplication",
        name_ru: "ДобавитьСервисноеПриложение",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[
            ORG_ID,
            CLIENT_ID,
            Param::new(
                "scopes",
                ParamType::StringOrArray,
                "The rights it may use for employees (space-separated or an array), e.g. cloud_api:disk.read cloud_api:disk.write cloud_api:disk.info.",
            )
            .required(),
        ],
        doc: "Adds one service application, or replaces the rights of one already listed, keeping the others (reads the list, changes it, writes it all back).",
        result: "`{\"applications\": [{\"id\", \"scopes\"}]}`, the list as now registered",
        handler: handler!(add_service_application),
    },
    Method {
        module: MODULE,
        name: "RemoveServiceApplication",
        name_ru: "УдалитьСервисноеПриложение",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::Yandex,
        params: &[ORG_ID, CLIENT_ID],
        doc: "Removes one service application, keeping the others; its tokens can no longer be exchanged. Removing one that is not listed changes nothing.",
        result: "`{\"applications\": [{\"id\", \"scopes\"}]}`, the list as now registered",
        handler: handler!(remove_service_application),
    },
];

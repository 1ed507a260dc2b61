//! OPI's library names (`yandex`, `yadisk`, `google`, `gdrive`) plus `y360`, `yamail`, `yacalendar`
//! and `telemost`, and the methods each one offers: the registry's methods of its module, and the
//! methods of other modules it re-exports under its own name (OPI's `yadisk GetConfirmationCode`, `gdrive RefreshToken`),
//! which the registry records as aliases `YandexDisk.GetConfirmationCode`, ...

use diskbridge::registry::{self, Method};

use crate::lang::Lang;

pub struct Library {
    /// The command-line name, as in OPI's `oint <library>`.
    pub name: &'static str,
    /// The registry module.
    pub module: &'static str,
    about_en: &'static str,
    about_ru: &'static str,
}

pub const LIBRARIES: &[Library] = &[
    Library {
        name: "yandex",
        module: "YandexID",
        about_en: "Yandex ID: sign-in (device flow, authorization codes), refresh, revoke",
        about_ru: "Яндекс ID: вход (по коду устройства, по коду авторизации), обновление и отзыв токенов",
    },
    Library {
        name: "yadisk",
        module: "YandexDisk",
        about_en: "Yandex Disk: files and folders, transfers, public access, trash",
        about_ru: "Яндекс Диск: файлы и папки, загрузка и скачивание, публичный доступ, корзина",
    },
    Library {
        name: "y360",
        module: "Yandex360",
        about_en: "Yandex 360: organizations, users, service applications",
        about_ru: "Яндекс 360: организации, пользователи, сервисные приложения",
    },
    Library {
        name: "yamail",
        module: "YandexMail",
        about_en: "Yandex Mail: folders, messages, mailbox backup, sending (IMAP and SMTP with XOAUTH2)",
        about_ru: "Яндекс Почта: папки, письма, резервная копия ящика, отправка (IMAP и SMTP с XOAUTH2)",
    },
    Library {
        name: "yacalendar",
        module: "YandexCalendar",
        about_en: "Yandex Calendar (CalDAV): calendars, events, meetings with a Telemost link",
        about_ru: "Яндекс Календарь (CalDAV): календари, события, встречи со ссылкой на Телемост",
    },
    Library {
        name: "telemost",
        module: "Telemost",
        about_en: "Yandex Telemost: video meetings",
        about_ru: "Яндекс Телемост: видеовстречи",
    },
    Library {
        name: "google",
        module: "GoogleWorkspace",
        about_en: "Google OAuth: sign-in, refresh, service accounts",
        about_ru: "Google OAuth: вход, обновление токенов, сервисные аккаунты",
    },
    Library {
        name: "gdrive",
        module: "GoogleDrive",
        about_en: "Google Drive: files and folders, transfers, comments, permissions",
        about_ru: "Google Drive: файлы и папки, загрузка и скачивание, комментарии, доступ",
    },
];

/// A method as a library offers it.
pub struct Entry {
    pub method: &'static Method,
    /// Its English name in this library.
    pub name: &'static str,
    /// Its Russian name in this library ("" when it has none).
    pub name_ru: &'static str,
}

impl Entry {
    /// Whether `word` names this entry (OPI matches method names case-insensitively).
    fn is_named(&self, word: &str) -> bool {
        let word = word.to_lowercase();
        [self.name, self.name_ru]
            .iter()
            .any(|name| !name.is_empty() && name.to_lowercase() == word)
    }
}

impl Library {
    pub fn about(&self, lang: Lang) -> &'static str {
        lang.pick(self.about_en, self.about_ru)
    }

    /// The methods of this library, in registry order.
    pub fn entries(&self) -> Vec<Entry> {
        let prefix = format!("{}.", self.module);
        let mut entries = Vec::new();
        for method in registry::methods() {
            if method.module == self.module {
                entries.push(Entry {
                    method,
                    name: method.name,
                    name_ru: method.name_ru,
                });
                continue;
            }
            let names: Vec<&'static str> = method
                .aliases
                .iter()
                .filter_map(|alias| alias.strip_prefix(prefix.as_str()))
                .collect();
            // An alias re-exports the method under this library: its English name is the ASCII
            // one, its Russian name the other.
            if let Some(name) = names.iter().find(|n| n.is_ascii()) {
                entries.push(Entry {
                    method,
                    name,
                    name_ru: names.iter().find(|n| !n.is_ascii()).copied().unwrap_or(""),
                });
            }
        }
        entries
    }

    /// The method named `word` (English or Russian, any case).
    pub fn find(&self, word: &str) -> Option<Entry> {
        self.entries().into_iter().find(|entry| entry.is_named(word))
    }
}

/// The library named `word` (any case).
pub fn find(word: &str) -> Option<&'static Library> {
    LIBRARIES.iter().find(|lib| lib.name.eq_ignore_ascii_case(word))
}

/// The closest of `candidates` to `wanted` (case-insensitively), when close enough to be a typo.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = wanted.to_lowercase();
    // A typo changes a letter or two, not half the word: `telegram` (OPI's library,
    // not here) must not turn into `telemost`.
    let limit = wanted.chars().count() / 4 + 1;
    candidates
        .into_iter()
        .map(|candidate| (registry::edit_distance(&wanted, &candidate.to_lowercase()), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// A hint for an unknown library: the closest library name, or the library whose module was
/// named (`YandexDisk` → `yadisk`).
pub fn suggest_library(word: &str) -> Option<&'static str> {
    if let Some(lib) = LIBRARIES.iter().find(|lib| lib.module.eq_ignore_ascii_case(word)) {
        return Some(lib.name);
    }
    closest(word, LIBRARIES.iter().map(|lib| lib.name).chain(["login", "sandbox"]))
}

/// A hint for an unknown method of `library`: the same method in another library
/// (`yandex UploadFile` → `yadisk UploadFile`), or the closest name in this one.
pub fn suggest_method(library: &Library, word: &str) -> Option<String> {
    for other in LIBRARIES {
        if let Some(entry) = other.find(word) {
            return Some(format!("{} {}", other.name, entry.name));
        }
    }
    let entries = library.entries();
    let names = entries
        .iter()
        .flat_map(|entry| [entry.name, entry.name_ru])
        .filter(|name| !name.is_empty());
    closest(word, names).map(|name| format!("{} {name}", library.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registry_module_with_an_opi_library_is_reachable() {
        for lib in LIBRARIES {
            for entry in lib.entries() {
                let found = lib
                    .find(&entry.name.to_uppercase())
                    .expect("found by its name in any case");
                assert_eq!(found.method.full_name(), entry.method.full_name());
                if !entry.name_ru.is_empty() {
                    assert!(lib.find(entry.name_ru).is_some());
                }
            }
        }
    }

    #[test]
    fn yadisk_re_exports_the_yandex_id_functions_as_opi_does() {
        let yadisk = find("yadisk").unwrap();
        let entry = yadisk.find("ПолучитьКодПодтверждения").unwrap();
        assert_eq!(entry.method.full_name(), "YandexID.GetConfirmationCode");
        assert_eq!(entry.name, "GetConfirmationCode");
    }

    #[test]
    fn suggestions_find_typos_module_names_and_other_libraries() {
        assert_eq!(suggest_library("yadsk"), Some("yadisk"));
        assert_eq!(suggest_library("YandexDisk"), Some("yadisk"));
        assert_eq!(suggest_library("telegram"), None);
        let yandex = find("yandex").unwrap();
        assert_eq!(
            suggest_method(yandex, "UploadFile").as_deref(),
            Some("yadisk UploadFile")
        );
        let yadisk = find("yadisk").unwrap();
        assert_eq!(
            suggest_method(yadisk, "UplodFile").as_deref(),
            Some("yadisk UploadFile")
        );
        assert_eq!(suggest_method(yadisk, "ZZZZZZZZZZZZ"), None);
    }
}

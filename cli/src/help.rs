//! Help screens, generated from the registry: the libraries, a library's methods, a method's
//! flags with their types and defaults; in English or Russian (names are always in both).

use diskbridge::registry::{Origin, Param, ParamType, Presence};

use crate::flags::FlagSet;
use crate::lang::Lang;
use crate::libraries::{Entry, Library, LIBRARIES};
use crate::login::FLOWS;
use crate::outcome::EXIT_CODES;

/// `diskbridge --help`.
pub fn main(lang: Lang) -> String {
    let mut out = format!(
        "diskbridge {} — {}\n{}\n\n",
        diskbridge::VERSION,
        lang.pick(
            "Yandex ID, Yandex Disk, Yandex 360, Google OAuth and Google Drive from the command line.",
            "Яндекс ID, Яндекс Диск, Яндекс 360, Google OAuth и Google Drive из командной строки."
        ),
        lang.pick(
            "OPI command lines work unchanged: oint yadisk UploadFile … → diskbridge yadisk UploadFile …",
            "Команды OPI работают без изменений: oint yadisk UploadFile … → diskbridge yadisk UploadFile …"
        ),
    );
    out.push_str(lang.pick("Usage:\n", "Использование:\n"));
    let usage: &[(&str, &str, &str)] = &[
        (
            "diskbridge <library> <Method> [--flag value]... [--json '{…}' | --json @FILE]",
            "call a method",
            "вызов метода",
        ),
        (
            "diskbridge <library> --help",
            "the methods of a library",
            "методы библиотеки",
        ),
        (
            "diskbridge <library> <Method> --help",
            "the flags of a method, with types and defaults",
            "флаги метода, их типы и значения по умолчанию",
        ),
        (
            "diskbridge login yandex|google --id CLIENT_ID --secret SECRET [--save FILE]",
            "sign in and print (or save) the tokens",
            "войти и вывести (или сохранить) токены",
        ),
        (
            "diskbridge sandbox [--port N] [--data_dir DIR]",
            "run the sandbox that emulates every service",
            "запустить песочницу, эмулирующую все сервисы",
        ),
    ];
    for (line, en, ru) in usage {
        out.push_str(&format!("  {line}\n      {}\n", lang.pick(en, ru)));
    }
    out.push_str(lang.pick("\nLibraries:\n", "\nБиблиотеки:\n"));
    for lib in LIBRARIES {
        let count = lib.entries().len();
        if count == 0 {
            continue;
        }
        out.push_str(&format!(
            "  {:<7} {:<16} {}  ({count} {})\n",
            lib.name,
            lib.module,
            lib.about(lang),
            lang.pick("methods", "методов")
        ));
    }
    out.push_str(lang.pick("\nOptions:\n", "\nПараметры:\n"));
    out.push_str(&common_options(lang));
    out.push_str(&exit_codes(lang));
    out
}

fn common_options(lang: Lang) -> String {
    let options: &[(&str, &str, &str)] = &[
        (
            "--json '{…}' | @FILE",
            "the parameters as a JSON object with canonical keys (its own file with @)",
            "параметры JSON-объектом с каноническими ключами (из файла с @)",
        ),
        (
            "--out FILE",
            "where a download goes (OPI's SavePath); other binary results are decoded into FILE, JSON results copied to it",
            "куда скачать файл (SavePath OPI); другие двоичные результаты пишутся в FILE, JSON-результаты копируются в него",
        ),
        (
            "--credentials @FILE",
            "tokens the library refreshes by itself, saving the new ones to FILE under a lock (commands side by side share it; FILE must be readable by you only)",
            "токены, которые библиотека обновляет сама и сохраняет в FILE под блокировкой (одновременные команды делят его; FILE должен быть доступен только вам)",
        ),
        (
            "--sandbox URL",
            "send every request to a diskbridge sandbox (or set DISKBRIDGE_SANDBOX)",
            "направить все запросы в песочницу diskbridge (или задать DISKBRIDGE_SANDBOX)",
        ),
        ("--lang en|ru", "language of the help (default: from LANG)", "язык справки (по умолчанию из LANG)"),
        ("-h, --help", "help", "справка"),
        ("--version", "the version", "версия"),
    ];
    let mut out = String::new();
    for (flag, en, ru) in options {
        out.push_str(&format!("  {flag:<22} {}\n", lang.pick(en, ru)));
    }
    out
}

fn exit_codes(lang: Lang) -> String {
    let mut out = String::from(lang.pick("\nExit codes:\n", "\nКоды выхода:\n"));
    for (code, en, ru) in EXIT_CODES {
        out.push_str(&format!("  {code}  {}\n", lang.pick(en, ru)));
    }
    out
}

/// `diskbridge <library> --help`.
pub fn library(lang: Lang, lib: &Library) -> String {
    let mut out = format!("diskbridge {} ({}) — {}\n\n", lib.name, lib.module, lib.about(lang));
    out.push_str(lang.pick("Usage:\n", "Использование:\n"));
    out.push_str(&format!(
        "  diskbridge {0} <Method> [--flag value]...\n  diskbridge {0} <Method> --help    {1}\n\n",
        lib.name,
        lang.pick("the flags of a method", "флаги метода")
    ));
    out.push_str(lang.pick(
        "Methods (English and Russian names, either works, in any case):\n",
        "Методы (английское и русское имя, подходит любое, в любом регистре):\n",
    ));
    for entry in lib.entries() {
        out.push_str(&format!("  {}", entry.name));
        if !entry.name_ru.is_empty() {
            out.push_str(&format!("  {}", entry.name_ru));
        }
        if entry.method.module != lib.module {
            out.push_str(&format!("  [{}]", entry.method.full_name()));
        }
        if entry.method.origin == Origin::New {
            out.push_str(lang.pick("  (new in diskbridge)", "  (новый в diskbridge)"));
        }
        out.push_str(&format!("\n      {}\n", first_sentence(entry.method.doc)));
    }
    out
}

/// `diskbridge <library> <Method> --help`.
pub fn method(lang: Lang, lib: &Library, entry: &Entry, flags: &FlagSet) -> String {
    let method = entry.method;
    let mut out = format!("diskbridge {} {}", lib.name, entry.name);
    if !entry.name_ru.is_empty() {
        out.push_str(&format!("  ({})", entry.name_ru));
    }
    let origin = match method.origin {
        Origin::Opi => lang.pick("an OPI function", "функция OPI"),
        Origin::New => lang.pick("new in diskbridge", "новый в diskbridge"),
    };
    out.push_str(&format!("\n{} — {origin}\n\n{}\n", method.full_name(), method.doc));
    out.push_str(&format!("{} {}\n\n", lang.pick("Result:", "Результат:"), method.result));
    out.push_str(&usage(lang, &format!("{} {}", lib.name, entry.name), flags));
    out.push_str(&flags_section(lang, flags));
    out.push_str(&format!(
        "\n{} --sandbox URL, --lang en|ru, --help{}\n",
        lang.pick("Also:", "Также:"),
        if flags.has_param_flag("out") {
            ""
        } else {
            ", --out FILE"
        }
    ));
    out.push_str(lang.pick(
        "Exit codes: 0 success, 1 service error, 2 usage, 3 local or network, 4 cancelled, 5 internal (diskbridge --help).\n",
        "Коды выхода: 0 успех, 1 ошибка сервиса, 2 ошибка вызова, 3 локальная или сетевая, 4 отменено, 5 внутренняя (diskbridge --help).\n",
    ));
    out
}

/// The usage lines of a command with these flags: the required ones shown, and the JSON keys.
pub fn usage(lang: Lang, command: &str, flags: &FlagSet) -> String {
    let required: Vec<String> = flags
        .params
        .iter()
        .filter(|p| p.is_required())
        .map(|p| format!("--{} <{}>", p.cli, type_name(lang, p.ty)))
        .collect();
    let mut line = format!("  diskbridge {command}");
    for flag in &required {
        line.push(' ');
        line.push_str(flag);
    }
    if flags.params.iter().any(|p| !p.is_required()) {
        line.push_str(lang.pick(" [flags]", " [флаги]"));
    }
    let keys: Vec<&str> = flags.params.iter().map(|p| p.key).collect();
    format!(
        "{}{line}\n  diskbridge {command} --json '{{…}}'\n{} {}\n",
        lang.pick("Usage:\n", "Использование:\n"),
        lang.pick("JSON keys:", "Ключи JSON:"),
        keys.join(", ")
    )
}

/// Every flag of a set: its names, type, default, OPI names and doc.
pub fn flags_section(lang: Lang, flags: &FlagSet) -> String {
    let mut out = String::from(lang.pick("\nFlags:\n", "\nФлаги:\n"));
    for param in &flags.params {
        let mut names: Vec<String> = FlagSet::long_flags(param).iter().map(|f| format!("--{f}")).collect();
        if let Some(letter) = flags.short(param) {
            names.push(format!("-{letter}"));
        }
        out.push_str(&format!(
            "  {} <{}>{}\n      ",
            names.join(", "),
            type_name(lang, param.ty),
            presence(lang, param)
        ));
        if !param.opi.is_empty() {
            out.push_str(&format!("{} / {}. ", param.opi, param.opi_ru));
        }
        out.push_str(param.doc);
        out.push('\n');
    }
    out
}

fn presence(lang: Lang, param: &Param) -> String {
    match param.presence {
        Presence::Required => format!("  {}", lang.pick("required", "обязательный")),
        Presence::Optional => String::new(),
        Presence::Default(literal) => format!("  {} {literal}", lang.pick("default:", "по умолчанию:")),
    }
}

/// What a flag takes, in words.
fn type_name(lang: Lang, ty: ParamType) -> &'static str {
    match ty {
        ParamType::String => lang.pick("text", "текст"),
        ParamType::Bool => "true|false",
        ParamType::Integer => lang.pick("number", "число"),
        ParamType::Object => lang.pick("JSON object|@file", "JSON-объект|@файл"),
        ParamType::Array => lang.pick("JSON array|@file", "JSON-массив|@файл"),
        ParamType::StringOrArray => lang.pick("text|JSON array", "текст|JSON-массив"),
        ParamType::ObjectOrString => lang.pick("JSON object|@file|file path", "JSON-объект|@файл|путь к файлу"),
        ParamType::Any => lang.pick("JSON|text", "JSON|текст"),
    }
}

/// The first sentence of a doc, for lists.
fn first_sentence(doc: &str) -> &str {
    match doc.find(". ") {
        Some(end) => &doc[..=end],
        None => doc,
    }
}

/// `diskbridge login --help`, or the help of one flow with its flags.
pub fn login(lang: Lang, flow: Option<(&str, &FlagSet)>) -> String {
    let mut out = String::from(lang.pick(
        "diskbridge login <provider> [flags] [--save FILE]\n\nSigns in and prints the tokens as JSON on stdout, or saves them to FILE (readable by you only).\n",
        "diskbridge login <провайдер> [флаги] [--save FILE]\n\nВыполняет вход и выводит токены в формате JSON в stdout или сохраняет их в FILE (доступный только вам).\n",
    ));
    out.push_str(lang.pick(
        "The JSON is a credentials object: give it to any method as --credentials @FILE and the library refreshes the tokens, saving the new ones to FILE under a lock, so commands running side by side share it.\n\n",
        "Этот JSON — объект credentials: передайте его любому методу как --credentials @FILE, и библиотека сама обновит токены и сохранит новые в FILE под блокировкой, так что одновременно запущенные команды делят его.\n\n",
    ));
    for login in FLOWS {
        out.push_str(&format!("  {:<7} {}\n", login.provider, login.about(lang)));
    }
    match flow {
        Some((provider, flags)) => {
            out.push('\n');
            out.push_str(&usage(lang, &format!("login {provider}"), flags));
            out.push_str(&flags_section(lang, flags));
            out.push_str(&format!(
                "  --save FILE\n      {}\n",
                lang.pick(
                    "Save the tokens to FILE (mode 0600) instead of printing them.",
                    "Сохранить токены в FILE (права 0600) вместо вывода."
                )
            ));
        }
        None => out.push_str(lang.pick(
            "\ndiskbridge login <provider> --help lists the flags of a provider.\n",
            "\ndiskbridge login <провайдер> --help — флаги провайдера.\n",
        )),
    }
    out
}

/// `diskbridge sandbox --help`.
pub fn sandbox(lang: Lang, flags: &FlagSet) -> String {
    let mut out = String::from(lang.pick(
        "diskbridge sandbox [--port N] [--data_dir DIR]\n\nRuns the sandbox: a local server emulating Yandex OAuth, Yandex Disk, Yandex 360, Google OAuth and Google Drive on 127.0.0.1. Prints its URL on the first line of stdout and serves until stopped. Point commands at it with --sandbox URL or DISKBRIDGE_SANDBOX=URL.\n",
        "diskbridge sandbox [--port N] [--data_dir DIR]\n\nЗапускает песочницу: локальный сервер на 127.0.0.1, эмулирующий Яндекс OAuth, Яндекс Диск, Яндекс 360, Google OAuth и Google Drive. Печатает свой URL первой строкой stdout и работает до остановки. Направьте на него команды через --sandbox URL или DISKBRIDGE_SANDBOX=URL.\n",
    ));
    out.push_str(&flags_section(lang, flags));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::Own;
    use crate::libraries;

    #[test]
    fn method_help_shows_every_flag_with_its_type_default_and_opi_names() {
        let lib = libraries::find("yadisk").unwrap();
        let entry = lib.find("UploadFile").unwrap();
        let flags = FlagSet::new(
            entry.method.all_params(),
            &[Own::Json, Own::Out],
            "yadisk UploadFile".into(),
        );
        let en = method(Lang::En, lib, &entry, &flags);
        assert!(
            en.contains("--rewrite, --overwrite, -r <true|false>  default: false"),
            "{en}"
        );
        assert!(
            en.contains("Overwrite / Перезаписывать. Replace what is there already."),
            "{en}"
        );
        assert!(en.contains("--path, -p <text>  required"), "{en}");
        assert!(
            en.contains("diskbridge yadisk UploadFile --path <text> [flags]"),
            "{en}"
        );
        let ru = method(Lang::Ru, lib, &entry, &flags);
        assert!(
            ru.contains("--rewrite, --overwrite, -r <true|false>  по умолчанию: false"),
            "{ru}"
        );
        assert!(ru.contains("(ЗагрузитьФайл)"), "{ru}");
    }

    #[test]
    fn first_sentences_end_at_the_first_full_stop() {
        assert_eq!(first_sentence("Copies a file. Then more."), "Copies a file.");
        assert_eq!(first_sentence("No full stop"), "No full stop");
    }
}

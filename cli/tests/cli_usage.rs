//! Help generated from the registry, and usage errors: exit 2, the envelope on stdout, one line
//! on stderr that suggests the closest valid name. Nothing here needs a service.

mod common;

use common::{command, run, run_command};

#[test]
fn help_lists_libraries_methods_and_flags_in_english_and_russian() {
    let main = run(&["--help"]);
    assert_eq!(main.code, 0, "{main:?}");
    for text in [
        "yandex",
        "yadisk",
        "YandexDisk",
        "login yandex|google",
        "sandbox",
        "Exit codes:",
        "--sandbox URL",
    ] {
        assert!(main.stdout.contains(text), "{text} in {}", main.stdout);
    }
    assert_eq!(
        run(&[]).stdout,
        main.stdout,
        "no arguments: the help, as OPI's oint does"
    );

    let library = run(&["yadisk", "--help"]);
    assert_eq!(library.code, 0);
    assert!(
        library.stdout.contains("\n  UploadFile  ЗагрузитьФайл\n"),
        "{}",
        library.stdout
    );
    assert!(
        library
            .stdout
            .contains("GetConfirmationCode  ПолучитьКодПодтверждения  [YandexID.GetConfirmationCode]"),
        "OPI's yadisk re-exports the Yandex ID functions: {}",
        library.stdout
    );
    assert_eq!(run(&["yadisk"]).stdout, library.stdout);

    let method = run(&["yadisk", "UploadFile", "--help"]);
    assert_eq!(method.code, 0);
    for text in [
        "YandexDisk.UploadFile — an OPI function",
        "--token, -t <text>",
        "--path, -p <text>  required",
        "--rewrite, --overwrite, -r <true|false>  default: false",
        "--credentials <JSON object|@file>",
        "JSON keys: token, path, file, data_base64, overwrite, credentials, options",
    ] {
        assert!(method.stdout.contains(text), "{text} in {}", method.stdout);
    }
    let download = run(&["yadisk", "DownloadFile", "-h"]);
    assert!(
        download.stdout.contains("--out, --save_path, -o <text>"),
        "{}",
        download.stdout
    );

    let russian = run(&["yadisk", "ЗагрузитьФайл", "--help", "--lang", "ru"]);
    for text in ["функция OPI", "обязательный", "по умолчанию: false", "Флаги:"] {
        assert!(russian.stdout.contains(text), "{text} in {}", russian.stdout);
    }
    let mut by_locale = command();
    by_locale.env("LANG", "ru_RU.UTF-8").arg("--help");
    let by_locale = run_command(by_locale);
    assert!(by_locale.stdout.contains("Библиотеки:"), "{}", by_locale.stdout);
    assert!(by_locale.stdout.contains("Коды выхода:"));

    let login = run(&["login", "yandex", "--help"]);
    for text in [
        "--id, --client_id, -i <text>  required",
        "--secret, --client_secret, -s <text>  required",
        "--save FILE",
        "--timeout_s <number>",
    ] {
        assert!(login.stdout.contains(text), "{text} in {}", login.stdout);
    }
    assert!(
        !login.stdout.contains("--device "),
        "the device code comes from the first step"
    );
}

#[test]
fn every_method_of_every_library_has_help() {
    for word in ["yandex", "yadisk", "y360", "google", "gdrive"] {
        let library = run(&[word, "--help"]);
        if library.code != 0 {
            // A library whose module this build lacks says so.
            assert!(library.stderr.contains("has no methods in this build"), "{library:?}");
            continue;
        }
        let methods: Vec<String> = library
            .stdout
            .lines()
            .skip_while(|line| !line.starts_with("Methods"))
            .skip(1)
            .step_by(2)
            .map(|line| line.split_whitespace().next().unwrap().to_string())
            .collect();
        assert!(!methods.is_empty(), "{}", library.stdout);
        for method in methods {
            let help = run(&[word, &method, "--help"]);
            assert_eq!(help.code, 0, "{word} {method}: {help:?}");
            assert!(help.stdout.contains("Flags:"), "{word} {method}: {}", help.stdout);
        }
    }
}

#[test]
fn unknown_names_exit_2_with_the_closest_valid_one() {
    let library = run(&["yadsik", "GetObject"]);
    let error = library.failed(2);
    assert_eq!(error["code"], "unknown_method");
    assert!(
        library.stderr.contains("unknown library yadsik; did you mean yadisk?"),
        "{library:?}"
    );
    let module = run(&["YandexDisk", "GetObject"]);
    module.failed(2);
    assert!(module.stderr.contains("did you mean yadisk?"), "{module:?}");

    let method = run(&["yadisk", "GetObjekt", "--path", "/x"]);
    method.failed(2);
    assert!(method.stderr.contains("did you mean yadisk GetObject?"), "{method:?}");
    let elsewhere = run(&["yandex", "UploadFile"]);
    elsewhere.failed(2);
    assert!(
        elsewhere.stderr.contains("did you mean yadisk UploadFile?"),
        "{elsewhere:?}"
    );

    let flag = run(&["yadisk", "GetObject", "--token", "y0_not_shown", "--pth", "/x"]);
    let error = flag.failed(2);
    assert_eq!(error["code"], "invalid_params");
    assert!(
        flag.stderr
            .contains("unknown flag --pth for yadisk GetObject; did you mean --path?"),
        "{flag:?}"
    );

    let provider = run(&["login", "yandx", "--id", "x"]);
    provider.failed(2);
    assert!(provider.stderr.contains("did you mean yandex?"), "{provider:?}");
}

#[test]
fn bad_values_and_missing_flags_exit_2_without_echoing_secrets() {
    let missing = run(&["yadisk", "UploadFile", "--token", "y0_not_shown", "--file", "x"]);
    missing.failed(2);
    assert!(missing.stderr.contains("yadisk UploadFile needs --path"), "{missing:?}");

    let no_token = run(&["yadisk", "GetObject", "--path", "/x"]);
    let error = no_token.failed(2);
    assert!(error["message"].as_str().unwrap().contains("token"), "{no_token:?}");

    let boolean = run(&[
        "yadisk",
        "CreateFolder",
        "-t",
        "y0_not_shown",
        "--path",
        "/x",
        "--parents",
        "maybe",
    ]);
    boolean.failed(2);
    assert!(
        boolean.stderr.contains("--parents takes true or false (alone: true)"),
        "{boolean:?}"
    );
    let inline = run(&[
        "yadisk",
        "CreateFolder",
        "-t",
        "y0_not_shown",
        "--path",
        "/x",
        "--parents=maybe",
    ]);
    inline.failed(2);
    assert!(
        inline.stderr.contains("--parents takes true or false, not \"maybe\""),
        "{inline:?}"
    );

    let ambiguous = run(&["yadisk", "CreateObjectCopy", "-f", "/a", "-t", "/b"]);
    ambiguous.failed(2);
    assert!(
        ambiguous
            .stderr
            .contains("-t is ambiguous for yadisk CreateObjectCopy: --token or --to"),
        "{ambiguous:?}"
    );

    let stray = run(&["yadisk", "GetObject", "y0_stray_token_value", "--path", "/x"]);
    stray.failed(2);
    assert!(!stray.stdout.contains("y0_stray_token_value") && !stray.stderr.contains("y0_stray_token_value"));

    let twice = run(&["yadisk", "GetObject", "--path", "/a", "--json", "{\"Path\": \"/b\"}"]);
    twice.failed(2);
    assert!(twice.stderr.contains("given both as --path and in --json"), "{twice:?}");

    let json = run(&["yadisk", "GetObject", "--json", "{not json"]);
    json.failed(2);
    let lang = run(&["--lang", "fr", "--help"]);
    lang.failed(2);
}

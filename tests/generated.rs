//! Generated files are fresh: src/ffi/exports.rs, docs/methods.md and docs/errors.md match the
//! registry and the error catalogue, include/diskbridge.h is what cbindgen makes of src/ffi, and
//! the header exports exactly the registry's methods. `scripts/regenerate.sh` rewrites them
//! (`scripts/regenerate.sh --check` is this check on its own).

use std::collections::BTreeSet;
use std::path::Path;

/// Compares a generated file with what it should be; with `DISKBRIDGE_BLESS` set (what
/// scripts/regenerate.sh does) rewrites it instead, atomically, so a concurrent reader sees the
/// old or the new file and never half of one. Returns whether the file was stale.
fn check_or_bless(relative: &str, expected: &str) -> bool {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual == expected {
        return false;
    }
    if std::env::var_os("DISKBRIDGE_BLESS").is_none() {
        return true;
    }
    let temporary = path.with_extension("regenerating");
    std::fs::write(&temporary, expected).expect("cannot write a generated file");
    std::fs::rename(&temporary, &path).expect("cannot replace a generated file");
    false
}

/// include/diskbridge.h as cbindgen makes it from src/ffi (the exports as they are on disk) and
/// cbindgen.toml, with the version macros of this crate.
fn render_header() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml is readable");
    let number = |part: &str| -> u32 { part.parse().expect("cargo sets a numeric version") };
    let (major, minor, patch) = (
        number(env!("CARGO_PKG_VERSION_MAJOR")),
        number(env!("CARGO_PKG_VERSION_MINOR")),
        number(env!("CARGO_PKG_VERSION_PATCH")),
    );
    config.after_includes = Some(format!(
        "\n#if defined(__cplusplus) && __cplusplus >= 201703L\n\
         #define DISKBRIDGE_MUST_USE [[nodiscard]]\n\
         #elif defined(__GNUC__) || defined(__clang__)\n\
         #define DISKBRIDGE_MUST_USE __attribute__((warn_unused_result))\n\
         #else\n\
         #define DISKBRIDGE_MUST_USE\n\
         #endif\n\n\
         /** The version of the library this header belongs to; compare with diskbridge_version(). */\n\
         #define DISKBRIDGE_VERSION \"{major}.{minor}.{patch}\"\n\
         #define DISKBRIDGE_VERSION_MAJOR {major}\n\
         #define DISKBRIDGE_VERSION_MINOR {minor}\n\
         #define DISKBRIDGE_VERSION_PATCH {patch}\n\
         /** MAJOR << 16 | MINOR << 8 | PATCH */\n\
         #define DISKBRIDGE_VERSION_NUMBER {number}\n",
        number = (major << 16) | (minor << 8) | patch
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen could not read src/ffi");
    let mut header = Vec::new();
    bindings.write(&mut header);
    String::from_utf8(header).expect("the header is UTF-8")
}

/// Every file derived from the registry and the error catalogue in this crate, in order: the
/// header last, because cbindgen reads src/ffi/exports.rs as just written.
#[test]
fn generated_files_are_fresh() {
    let mut stale = Vec::new();
    type Render = fn() -> String;
    let files: [(&str, Render); 4] = [
        ("src/ffi/exports.rs", diskbridge::ffi::render_exports),
        ("docs/methods.md", diskbridge::registry::methods_markdown),
        ("docs/errors.md", diskbridge::error::errors_markdown),
        ("include/diskbridge.h", render_header),
    ];
    for (relative, render) in files {
        if check_or_bless(relative, &render()) {
            stale.push(relative);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {}; run scripts/regenerate.sh and commit them",
        stale.join(", ")
    );
}

#[test]
fn header_exports_equal_the_registry() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/diskbridge.h"))
        .expect("include/diskbridge.h exists");
    let exported: BTreeSet<String> = header
        .lines()
        .filter_map(|line| {
            let start = line.find("diskbridge_")?;
            let rest = &line[start..];
            let end = rest.find('(')?;
            let name = &rest[..end];
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| name.to_string())
        })
        .filter(|name| !name.ends_with("_fn"))
        .collect();
    let mut expected: BTreeSet<String> = diskbridge::registry::methods().iter().map(|m| m.c_export()).collect();
    for core in [
        "diskbridge_version",
        "diskbridge_call",
        "diskbridge_call_with_progress",
        "diskbridge_free",
    ] {
        expected.insert(core.to_string());
    }
    assert_eq!(
        exported, expected,
        "the header's exports differ from the registry (run scripts/regenerate.sh, then commit the header)"
    );
}

#[test]
fn every_export_is_documented_in_the_header() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/diskbridge.h")).unwrap();
    let lines: Vec<&str> = header.lines().collect();
    let declarations = ["char *diskbridge_", "const char *diskbridge_", "void diskbridge_"];
    let mut seen = 0;
    for (index, line) in lines.iter().enumerate() {
        let declaration = line.trim_start_matches("DISKBRIDGE_MUST_USE ");
        if declarations.iter().any(|d| declaration.starts_with(d)) {
            seen += 1;
            let before = lines[..index].iter().rev().find(|l| l.trim() != "DISKBRIDGE_MUST_USE");
            assert_eq!(before.map(|l| l.trim()), Some("*/"), "no doc comment before `{line}`");
        }
    }
    assert_eq!(
        seen,
        diskbridge::registry::methods().len() + 4,
        "declarations found in the header"
    );
}

//! Generated files are fresh: src/ffi/exports.rs, docs/methods.md and docs/errors.md match the
//! registry and the error catalogue, and include/diskbridge.h exports exactly the registry's
//! methods. `DISKBRIDGE_BLESS=1 cargo test --test generated` rewrites the generated files.

use std::collections::BTreeSet;
use std::path::Path;

fn check_or_bless(relative: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if std::env::var_os("DISKBRIDGE_BLESS").is_some() {
        std::fs::write(&path, expected).expect("cannot write a generated file");
        return;
    }
    panic!("{relative} is stale: run `DISKBRIDGE_BLESS=1 cargo test --test generated` and commit it");
}

#[test]
fn exports_are_generated_from_the_registry() {
    check_or_bless("src/ffi/exports.rs", &diskbridge::ffi::render_exports());
}

#[test]
fn methods_doc_is_generated_from_the_registry() {
    check_or_bless("docs/methods.md", &diskbridge::registry::methods_markdown());
}

#[test]
fn errors_doc_lists_the_whole_catalogue() {
    check_or_bless("docs/errors.md", &diskbridge::error::errors_markdown());
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
        "the header's exports differ from the registry (rebuild, then commit the header)"
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

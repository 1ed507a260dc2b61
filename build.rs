//! Regenerates include/diskbridge.h from src/ffi with cbindgen (committed; the test command
//! fails when the committed header is stale).

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let mut config = cbindgen::Config::from_file("cbindgen.toml").expect("cbindgen.toml is readable");
    let (major, minor, patch) = (
        env_number("CARGO_PKG_VERSION_MAJOR"),
        env_number("CARGO_PKG_VERSION_MINOR"),
        env_number("CARGO_PKG_VERSION_PATCH"),
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
        .with_src("src/ffi/mod.rs")
        .generate()
        .expect("cbindgen could not read src/ffi");
    bindings.write_to_file("include/diskbridge.h");
}

fn env_number(name: &str) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("cargo sets the version")
}

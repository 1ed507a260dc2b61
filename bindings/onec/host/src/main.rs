//! `onec-host <add-in library> <diskbridge-sandbox binary | sandbox URL>`: loads the diskbridge
//! add-in (dlopen on Linux, LoadLibrary on Windows) and drives it as 1C and OneScript do — every
//! class created, inspected and torn down both ways (Done + DestroyObject as 1C; Done + the
//! virtual destructor as OneScript), on Linux a method that panics (the debug build's hidden
//! `Library.Panic`) called directly and as a job, then a Yandex sign-in and Disk upload/download
//! round trip against a sandbox it starts (or is given) — and fails unless every block the add-in
//! took from the memory manager was freed. On Windows it then unloads the add-in as OneScript
//! does and lives on. scripts/test.sh runs it under valgrind on Linux and under Wine on Windows
//! (scripts/test-windows.sh), against the MSVC layout 1C uses.

#[cfg(any(all(target_os = "linux", target_arch = "x86_64"), windows))]
mod host;
#[cfg(any(all(target_os = "linux", target_arch = "x86_64"), windows))]
mod native;

fn main() {
    #[cfg(any(all(target_os = "linux", target_arch = "x86_64"), windows))]
    host::main();
    #[cfg(not(any(all(target_os = "linux", target_arch = "x86_64"), windows)))]
    {
        eprintln!("onec-host mirrors the Linux x86_64 and Windows layouts of the Native API and runs only there");
        std::process::exit(2);
    }
}

//! `onec-host <add-in library> <diskbridge-sandbox binary>`: loads the diskbridge add-in with
//! dlopen and drives it as 1C and OneScript do — every class created, inspected and torn down
//! both ways (Done + DestroyObject as 1C; Done + the virtual destructor as OneScript), a method
//! that panics (the debug build's hidden `Library.Panic`) called directly and as a job, then a
//! Yandex sign-in and Disk upload/download round trip against a sandbox it starts — and fails
//! unless every block the add-in took from the memory manager was freed. scripts/test.sh runs it
//! under valgrind.

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod host;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod native;

fn main() {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    host::main();
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    {
        eprintln!("onec-host mirrors the Linux x86_64 layout of the Native API and runs only there");
        std::process::exit(2);
    }
}

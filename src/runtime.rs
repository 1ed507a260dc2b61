//! The process-wide async runtime on which every blocking C call waits.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        #[cfg(windows)]
        pin_module();
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 8);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("diskbridge")
            .enable_all()
            .build()
            .expect("cannot start the diskbridge runtime")
    })
}

/// Keeps this DLL mapped until the process exits (docs/windows-build.md §6.1). The runtime's
/// threads park inside the module; a host that unloads it (OneScript's loader calls
/// `FreeLibrary`, so does a tidy C program) would have them wake up in unmapped code. Failing to
/// pin leaves things as they were, so the result is not checked.
#[cfg(windows)]
fn pin_module() {
    use std::ffi::c_void;
    const GET_MODULE_HANDLE_EX_FLAG_PIN: u32 = 0x1;
    const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;
    #[link(name = "kernel32")]
    extern "system" {
        fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut *mut c_void) -> i32;
    }
    let mut module = std::ptr::null_mut();
    // With FROM_ADDRESS the "name" is any address inside the module: this function's.
    let inside = pin_module as *const () as *const u16;
    // SAFETY: `inside` lies in this module's code and `module` is a valid slot for the handle.
    unsafe {
        GetModuleHandleExW(
            GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
            inside,
            &mut module,
        );
    }
}

/// Runs a future to completion from a blocking caller.
///
/// A caller may itself be on a thread of an async runtime: a progress callback calling back
/// into the library runs on one of the library's own workers, in the middle of the call that
/// reported. Blocking such a worker would starve what it holds — the nested call, spawned from
/// it, sits in its worker's own queue, which no other worker may take — and the call would
/// never end. So on a worker of a multi-threaded runtime the worker first hands its queue to a
/// new thread (`block_in_place`) and then waits; on any other runtime thread (a Rust host's
/// current-thread runtime) the wait moves to a short-lived thread.
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Err(_) => runtime().block_on(future),
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| runtime().block_on(future)),
        Ok(_) => std::thread::scope(|scope| {
            scope
                .spawn(|| runtime().block_on(future))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
    }
}

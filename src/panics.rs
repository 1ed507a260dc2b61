//! Panics inside the library are caught at its boundaries and answered `internal`
//! (docs/architecture.md, "The panic boundary"); this module keeps them off the host's stderr.
//!
//! Rust's default panic hook prints every panic on stderr, even one that is caught: a 1C server
//! or a service would find the library's bug report in its own error stream. The hook installed
//! here writes a panic of library code — code polled as a library call, or run inside a C export
//! — to the library's log instead, and hands every other panic (the host's own, on any thread,
//! futures a Rust host gives to `diskbridge::spawn` included) to the hook that was there before.

use std::cell::Cell;
use std::future::Future;
use std::panic::PanicHookInfo;
use std::sync::Once;

use crate::log::{self, Level};

thread_local! {
    /// How deep this thread is in library code right now.
    static INSIDE: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic of library code on this thread happened, for its `internal` reply.
    static LOCATION: Cell<Option<String>> = const { Cell::new(None) };
}

/// While alive, panics on this thread are the library's.
pub(crate) struct Inside(());

impl Inside {
    pub(crate) fn enter() -> Inside {
        install();
        INSIDE.with(|depth| depth.set(depth.get() + 1));
        Inside(())
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// `future`, with every poll of it counted as library code.
pub(crate) fn marked<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let mut future = Box::pin(future);
    std::future::poll_fn(move |cx| {
        let _inside = Inside::enter();
        future.as_mut().poll(cx)
    })
}

/// Where the last panic of library code on this thread happened (`src/x.rs:12:5`), once.
pub(crate) fn take_location() -> Option<String> {
    LOCATION.with(Cell::take)
}

/// Installs the hook once per process, keeping the one that was there for other panics.
fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if INSIDE.with(Cell::get) == 0 {
                return previous(info);
            }
            let location = info.location().map(|l| l.to_string());
            // The message itself goes into the `internal` reply and its log line, masked with
            // the call's secrets where they are known (`dispatch`); here only where it was.
            let line = format!(
                "panic in library code at {} (answered `internal`)",
                location.as_deref().unwrap_or("an unknown place")
            );
            log::write(Level::Error, "panic", &line, &[]);
            LOCATION.with(|slot| slot.set(location));
        }));
    });
}

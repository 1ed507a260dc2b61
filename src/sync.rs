//! The one way the library takes a `std::sync::Mutex` or `RwLock`.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `mutex` even if a holder panicked: every library lock guards plain data that a panic
/// cannot leave half-written, and a panic caught at the C boundary (dispatch.rs) must not turn
/// every later call into another panic.
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads an `RwLock` on the same terms as [`lock`].
pub(crate) fn read<T: ?Sized>(rw: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    rw.read().unwrap_or_else(PoisonError::into_inner)
}

/// Writes an `RwLock` on the same terms as [`lock`].
pub(crate) fn write<T: ?Sized>(rw: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    rw.write().unwrap_or_else(PoisonError::into_inner)
}

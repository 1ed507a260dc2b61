//! diskbridge as a 1C:Enterprise Native API add-in, also loadable by OneScript: the five
//! exports, and one class per module (`YandexID`, `YandexDisk`, `Yandex360`, `YandexCalendar`,
//! `Telemost`, `GoogleWorkspace`, `GoogleDrive`, `Library`) whose members are generated from the
//! method registry.
//!
//! The vtables are written by hand (docs/native-addin.md §4.2 says why): real
//! destructor slots for OneScript, `extern "system"` methods, `c_long` wherever the headers say
//! `long`, and no panic crossing the boundary. See docs/1c.md for how 1C code uses it.

mod abi;
mod addin;
mod classes;
mod component;
mod values;

use std::ffi::{c_int, c_long, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::OnceLock;

use component::Component;

/// `SetPlatformCapabilities` levels (eAppCapabilities1..3): the add-in uses no platform
/// feature beyond level 1, and works with whatever the platform offers.
const APP_CAPABILITIES_LAST: c_int = 3;
/// `GetAttachType`: eCanAttachAny, isolated or not.
const ATTACH_ANY: c_int = 3;

/// `A|B|…`, NUL-terminated, static: the platform never frees it.
fn class_names() -> &'static [u16] {
    static NAMES: OnceLock<Vec<u16>> = OnceLock::new();
    NAMES.get_or_init(|| abi::to_wide(&classes::CLASS_NAMES.join("|")))
}

/// The class names the add-in offers, separated by `|`.
#[no_mangle]
#[allow(non_snake_case)]
pub extern "C" fn GetClassNames() -> *const u16 {
    catch_unwind(|| class_names().as_ptr()).unwrap_or(ptr::null())
}

/// Creates an object of class `name` in `*object`; returns non-zero on success, 0 for an
/// unknown class.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated UTF-16 string; `object` NULL or writable.
#[no_mangle]
#[allow(non_snake_case)]
pub unsafe extern "C" fn GetClassObject(name: *const u16, object: *mut *mut c_void) -> c_long {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded contract.
        let name = String::from_utf16_lossy(unsafe { abi::wide_units(name) });
        match classes::class(&name) {
            Some(class) if !object.is_null() => {
                // SAFETY: non-NULL and writable per the contract.
                unsafe { object.write(Component::create(class)) };
                1
            }
            _ => 0,
        }
    }))
    .unwrap_or(0)
}

/// Destroys an object from `GetClassObject` (after `Done`) and clears `*object`; returns 0,
/// or -1 when there is no object.
///
/// # Safety
/// `object` must be NULL or point to NULL or to an object from `GetClassObject` not yet
/// destroyed.
#[no_mangle]
#[allow(non_snake_case)]
pub unsafe extern "C" fn DestroyObject(object: *mut *mut c_void) -> c_long {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: per the contract, NULL or readable.
        let component = if object.is_null() {
            ptr::null_mut()
        } else {
            unsafe { object.read() }
        };
        if component.is_null() {
            return -1;
        }
        // SAFETY: per the contract, a live object from GetClassObject; the slot is writable.
        unsafe {
            Component::destroy(component);
            object.write(ptr::null_mut());
        }
        0
    }))
    .unwrap_or(-1)
}

/// The platform's capability level in, the level the add-in works at out.
#[no_mangle]
#[allow(non_snake_case)]
pub extern "C" fn SetPlatformCapabilities(capabilities: c_int) -> c_int {
    capabilities.min(APP_CAPABILITIES_LAST)
}

/// The add-in may be attached isolated or not.
#[no_mangle]
#[allow(non_snake_case)]
pub extern "C" fn GetAttachType() -> c_int {
    ATTACH_ANY
}

//! The Native API at the binary level (docs/native-addin.md §1–2): `tVariant`, the
//! vtables of the add-in's object and of the two host interfaces it is given (memory manager and
//! connection), and UTF-16 helpers. Every `long` of the C++ headers is `c_long` here: 32 bits on
//! Windows, 64 on Linux x86_64.

use std::ffi::{c_long, c_ulong, c_ushort, c_void};
use std::mem::size_of;
use std::ptr::{self, NonNull};

// `vt` codes of `tVariant` (types.h, enum ENUMVAR).
pub const VTYPE_EMPTY: u16 = 0;
pub const VTYPE_NULL: u16 = 1;
pub const VTYPE_I2: u16 = 2;
pub const VTYPE_I4: u16 = 3;
pub const VTYPE_R4: u16 = 4;
pub const VTYPE_R8: u16 = 5;
pub const VTYPE_DATE: u16 = 6;
pub const VTYPE_TM: u16 = 7;
pub const VTYPE_PSTR: u16 = 8;
pub const VTYPE_ERROR: u16 = 10;
pub const VTYPE_BOOL: u16 = 11;
pub const VTYPE_I1: u16 = 13;
pub const VTYPE_UI1: u16 = 14;
pub const VTYPE_UI2: u16 = 15;
pub const VTYPE_UI4: u16 = 16;
pub const VTYPE_I8: u16 = 17;
pub const VTYPE_UI8: u16 = 18;
pub const VTYPE_INT: u16 = 19;
pub const VTYPE_UINT: u16 = 20;
pub const VTYPE_PWSTR: u16 = 22;
pub const VTYPE_BLOB: u16 = 23;

/// `AddError` code that makes 1C show the message as a failure (ADDIN_E_FAIL).
pub const ADDIN_E_FAIL: c_ushort = 1006;
/// HRESULT E_FAIL, the `scode` passed with `AddError`.
pub const E_FAIL: c_long = 0x8000_4005_u32 as i32 as c_long;

/// Bytes of the platform's `struct tm`: glibc's on Linux, MSVC's on Windows. Only its size
/// matters here: it sizes the `tVariant` union (dates are not exchanged, see `values`).
#[cfg(all(not(windows), target_pointer_width = "64"))]
const TM_BYTES: usize = 56;
#[cfg(all(not(windows), target_pointer_width = "32"))]
const TM_BYTES: usize = 44;
#[cfg(windows)]
const TM_BYTES: usize = 36;

/// `{char* pstrVal; uint32_t strLen}`: PSTR text or BLOB bytes (strLen counts bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Bytes {
    pub ptr: *mut u8,
    pub len: u32,
}

/// `{WCHAR_T* pwstrVal; uint32_t wstrLen}`: wstrLen counts UTF-16 units, without the NUL.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Wide {
    pub ptr: *mut u16,
    pub len: u32,
}

/// The union of `tVariant`, with the members this add-in reads or writes.
#[repr(C)]
#[derive(Clone, Copy)]
pub union Value {
    pub i8: i8,
    pub i16: i16,
    pub i32: i32,
    pub u8: u8,
    pub u16: u16,
    pub u32: u32,
    pub i64: i64,
    pub u64: u64,
    pub f32: f32,
    pub f64: f64,
    pub bool: bool,
    pub bytes: Bytes,
    pub wide: Wide,
    _tm: [u8; TM_BYTES],
}

/// `tVariant`: the union, `uint32_t cbElements`, `TYPEVAR vt`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TVariant {
    pub value: Value,
    pub cb_elements: u32,
    pub vt: u16,
}

impl TVariant {
    /// VTYPE_EMPTY with every byte zero.
    // SAFETY: all-zero bytes are a valid TVariant: null pointers, zero numbers, false, vt EMPTY.
    pub const EMPTY: TVariant = unsafe { std::mem::zeroed() };
}

// The sizes the platforms' C++ compilers give `tVariant` (docs/native-addin.md §2.1).
#[cfg(all(not(windows), target_pointer_width = "64"))]
const _: () = assert!(size_of::<TVariant>() == 64 && std::mem::offset_of!(TVariant, vt) == 60);
#[cfg(all(not(windows), target_pointer_width = "32"))]
const _: () = assert!(size_of::<TVariant>() == 52 && std::mem::offset_of!(TVariant, vt) == 48);
#[cfg(windows)]
const _: () = assert!(size_of::<TVariant>() == 48 && std::mem::offset_of!(TVariant, vt) == 44);

/// A C++ virtual destructor slot. The Itanium ABI (Linux) has two per vtable, "complete" and
/// "deleting", each taking only `this`; MSVC has one "scalar deleting destructor" taking
/// `this` and flags (bit 0: free the memory) and returning `this`. On 32-bit Windows it is
/// `__thiscall`, since destructors carry no ADDIN_API.
#[cfg(not(windows))]
pub type Destructor = unsafe extern "C" fn(this: *mut c_void);
#[cfg(all(windows, target_arch = "x86"))]
pub type Destructor = unsafe extern "thiscall" fn(this: *mut c_void, flags: u32) -> *mut c_void;
#[cfg(all(windows, not(target_arch = "x86")))]
pub type Destructor = unsafe extern "C" fn(this: *mut c_void, flags: u32) -> *mut c_void;

/// `IInitDoneBase`.
#[repr(C)]
pub struct InitDoneVtable {
    pub destructor: Destructor,
    #[cfg(not(windows))]
    pub deleting_destructor: Destructor,
    pub init: unsafe extern "system" fn(this: *mut c_void, connection: *mut c_void) -> bool,
    pub set_mem_manager: unsafe extern "system" fn(this: *mut c_void, memory: *mut c_void) -> bool,
    pub get_info: unsafe extern "system" fn(this: *mut c_void) -> c_long,
    pub done: unsafe extern "system" fn(this: *mut c_void),
}

/// `ILanguageExtenderBase`.
#[repr(C)]
pub struct LanguageExtenderVtable {
    pub destructor: Destructor,
    #[cfg(not(windows))]
    pub deleting_destructor: Destructor,
    pub register_extension_as: unsafe extern "system" fn(this: *mut c_void, name: *mut *mut u16) -> bool,
    pub get_n_props: unsafe extern "system" fn(this: *mut c_void) -> c_long,
    pub find_prop: unsafe extern "system" fn(this: *mut c_void, name: *const u16) -> c_long,
    pub get_prop_name: unsafe extern "system" fn(this: *mut c_void, num: c_long, alias: c_long) -> *const u16,
    pub get_prop_val: unsafe extern "system" fn(this: *mut c_void, num: c_long, value: *mut TVariant) -> bool,
    pub set_prop_val: unsafe extern "system" fn(this: *mut c_void, num: c_long, value: *mut TVariant) -> bool,
    pub is_prop_readable: unsafe extern "system" fn(this: *mut c_void, num: c_long) -> bool,
    pub is_prop_writable: unsafe extern "system" fn(this: *mut c_void, num: c_long) -> bool,
    pub get_n_methods: unsafe extern "system" fn(this: *mut c_void) -> c_long,
    pub find_method: unsafe extern "system" fn(this: *mut c_void, name: *const u16) -> c_long,
    pub get_method_name: unsafe extern "system" fn(this: *mut c_void, num: c_long, alias: c_long) -> *const u16,
    pub get_n_params: unsafe extern "system" fn(this: *mut c_void, method: c_long) -> c_long,
    pub get_param_def_value:
        unsafe extern "system" fn(this: *mut c_void, method: c_long, param: c_long, value: *mut TVariant) -> bool,
    pub has_ret_val: unsafe extern "system" fn(this: *mut c_void, method: c_long) -> bool,
    pub call_as_proc:
        unsafe extern "system" fn(this: *mut c_void, method: c_long, params: *mut TVariant, count: c_long) -> bool,
    pub call_as_func: unsafe extern "system" fn(
        this: *mut c_void,
        method: c_long,
        result: *mut TVariant,
        params: *mut TVariant,
        count: c_long,
    ) -> bool,
}

/// `LocaleBase`.
#[repr(C)]
pub struct LocaleVtable {
    pub destructor: Destructor,
    #[cfg(not(windows))]
    pub deleting_destructor: Destructor,
    pub set_locale: unsafe extern "system" fn(this: *mut c_void, locale: *const u16),
}

/// `UserLanguageBase` (newer headers).
#[repr(C)]
pub struct UserLanguageVtable {
    pub destructor: Destructor,
    #[cfg(not(windows))]
    pub deleting_destructor: Destructor,
    pub set_user_interface_language_code: unsafe extern "system" fn(this: *mut c_void, code: *const u16),
}

/// A host object's destructor slot(s), which the add-in never calls.
#[repr(C)]
struct HostDestructors {
    _destructor: *const c_void,
    #[cfg(not(windows))]
    _deleting_destructor: *const c_void,
}

/// `IMemoryManager`, implemented by the host.
#[repr(C)]
struct MemoryManagerVtable {
    _destructors: HostDestructors,
    alloc_memory: unsafe extern "system" fn(this: *mut c_void, memory: *mut *mut c_void, bytes: c_ulong) -> bool,
    /// The platform frees what it receives; the add-in frees nothing through it.
    _free_memory: *const c_void,
}

/// `IAddInDefBase` (the connection given to `Init`), implemented by the host.
#[repr(C)]
struct ConnectionVtable {
    _destructors: HostDestructors,
    add_error: unsafe extern "system" fn(
        this: *mut c_void,
        code: c_ushort,
        source: *const u16,
        description: *const u16,
        scode: c_long,
    ) -> bool,
    _read: *const c_void,
    _write: *const c_void,
    _register_profile_as: *const c_void,
    set_event_buffer_depth: unsafe extern "system" fn(this: *mut c_void, depth: c_long) -> bool,
    get_event_buffer_depth: unsafe extern "system" fn(this: *mut c_void) -> c_long,
    external_event:
        unsafe extern "system" fn(this: *mut c_void, source: *mut u16, message: *mut u16, data: *mut u16) -> bool,
}

/// A host interface object: a pointer to a pointer to its vtable.
#[repr(C)]
struct HostObject<V> {
    vtable: *const V,
}

/// The platform's memory manager: everything the platform frees (names, returned strings and
/// binary data) must come from it.
pub struct MemoryManager(NonNull<HostObject<MemoryManagerVtable>>);

impl MemoryManager {
    /// # Safety
    /// `memory` must be NULL or the `IMemoryManager*` given to `setMemManager`, valid for as
    /// long as this value is used.
    pub unsafe fn from_raw(memory: *mut c_void) -> Option<MemoryManager> {
        NonNull::new(memory.cast()).map(MemoryManager)
    }

    /// `bytes` bytes from `AllocMemory` (at least one, so empty data still gets a pointer).
    fn alloc(&self, bytes: usize) -> Option<NonNull<u8>> {
        let bytes = c_ulong::try_from(bytes.max(1)).ok()?;
        let mut memory: *mut c_void = ptr::null_mut();
        // SAFETY: `self.0` is the live host object (see `from_raw`); its vtable follows the
        // IMemoryManager layout, and AllocMemory writes the block's address to `memory`.
        let allocated = unsafe {
            let this = self.0.as_ptr();
            ((*(*this).vtable).alloc_memory)(this.cast(), &mut memory, bytes)
        };
        if allocated {
            NonNull::new(memory.cast())
        } else {
            None
        }
    }

    /// A NUL-terminated UTF-16 copy of `units` in platform memory.
    pub fn alloc_wide(&self, units: &[u16]) -> Option<NonNull<u16>> {
        let bytes = units.len().checked_add(1)?.checked_mul(size_of::<u16>())?;
        let block = self.alloc(bytes)?.cast::<u16>();
        // SAFETY: the block holds `units.len() + 1` u16 (AllocMemory returns memory aligned for
        // any type, as malloc does) and cannot overlap `units`, which Rust owns.
        unsafe {
            ptr::copy_nonoverlapping(units.as_ptr(), block.as_ptr(), units.len());
            block.as_ptr().add(units.len()).write(0);
        }
        Some(block)
    }

    /// A copy of `data` in platform memory.
    pub fn alloc_bytes(&self, data: &[u8]) -> Option<NonNull<u8>> {
        let block = self.alloc(data.len())?;
        // SAFETY: the block holds at least `data.len()` bytes and cannot overlap `data`.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), block.as_ptr(), data.len()) };
        Some(block)
    }
}

/// The platform's `IAddInDefBase`: error messages and external events.
pub struct Connection(NonNull<HostObject<ConnectionVtable>>);

// SAFETY: the platform's connection is the channel through which add-in threads report external
// events (that is what ExternalEvent is for); the add-in uses it from other threads only under
// the lock in `addin::Host`, and never after `Done`.
unsafe impl Send for Connection {}

impl Connection {
    /// # Safety
    /// `connection` must be NULL or the `IAddInDefBase*` given to `Init`, valid until `Done`.
    pub unsafe fn from_raw(connection: *mut c_void) -> Option<Connection> {
        NonNull::new(connection.cast()).map(Connection)
    }

    fn vtable(&self) -> &ConnectionVtable {
        // SAFETY: the host object is live (see `from_raw`) and starts with its vtable pointer.
        unsafe { &*(*self.0.as_ptr()).vtable }
    }

    /// `AddError`: 1C shows the message, and raises it as an exception when the method then
    /// returns false.
    pub fn add_error(&self, source: &str, description: &str) -> bool {
        let (source, description) = (to_wide(source), to_wide(description));
        // SAFETY: live host object; both strings are NUL-terminated and outlive the call.
        unsafe {
            (self.vtable().add_error)(
                self.0.as_ptr().cast(),
                ADDIN_E_FAIL,
                source.as_ptr(),
                description.as_ptr(),
                E_FAIL,
            )
        }
    }

    pub fn external_event(&self, source: &str, message: &str, data: &str) -> bool {
        let (mut source, mut message, mut data) = (to_wide(source), to_wide(message), to_wide(data));
        // SAFETY: live host object; the platform copies the NUL-terminated strings during the
        // call (the header declares them non-const but they are inputs).
        unsafe {
            (self.vtable().external_event)(
                self.0.as_ptr().cast(),
                source.as_mut_ptr(),
                message.as_mut_ptr(),
                data.as_mut_ptr(),
            )
        }
    }

    pub fn event_buffer_depth(&self) -> c_long {
        // SAFETY: live host object.
        unsafe { (self.vtable().get_event_buffer_depth)(self.0.as_ptr().cast()) }
    }

    pub fn set_event_buffer_depth(&self, depth: c_long) -> bool {
        // SAFETY: live host object.
        unsafe { (self.vtable().set_event_buffer_depth)(self.0.as_ptr().cast(), depth) }
    }
}

/// `text` as NUL-terminated UTF-16.
pub fn to_wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

/// The UTF-16 units of a NUL-terminated string, without the NUL; NULL reads as empty.
///
/// # Safety
/// `text` must be NULL or point to a NUL-terminated UTF-16 string that stays valid while the
/// returned slice is used.
pub unsafe fn wide_units<'a>(text: *const u16) -> &'a [u16] {
    if text.is_null() {
        return &[];
    }
    let mut len = 0;
    // SAFETY: the string is NUL-terminated, so every unit up to the NUL is readable.
    unsafe {
        while *text.add(len) != 0 {
            len += 1;
        }
        std::slice::from_raw_parts(text, len)
    }
}

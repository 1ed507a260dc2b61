//! The platform's side of the Native API, written from the layout in docs/native-addin.md (not
//! shared with the add-in, so a mistake on one side is not repeated on the other): loading the
//! add-in, its exports, its objects' vtables, and a memory manager and connection implemented
//! here that record what the add-in does with them.
//!
//! Two layouts: the Itanium C++ ABI of Linux x86_64 (two destructor slots per vtable, a 64-byte
//! `tVariant`) and MSVC's on Windows (one scalar deleting destructor `(this, flags) -> this` per
//! vtable, `__thiscall` on x86 while the methods are `__stdcall`; a 48-byte `tVariant`), which is
//! what 1C and OneScript's proxy are built with, whatever compiler built the add-in.

use std::collections::HashMap;
use std::ffi::{c_int, c_long, c_ulong, c_ushort, c_void};
use std::mem::size_of;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

pub const VTYPE_EMPTY: u16 = 0;
pub const VTYPE_I4: u16 = 3;
pub const VTYPE_R8: u16 = 5;
pub const VTYPE_BOOL: u16 = 11;
pub const VTYPE_PWSTR: u16 = 22;
pub const VTYPE_BLOB: u16 = 23;

/// Bytes of the `tVariant` union: glibc's `struct tm` (56) on Linux x86_64; MSVC's (36),
/// rounded up to the union's 8-byte alignment, on Windows x86 and x64 alike.
#[cfg(not(windows))]
const UNION_BYTES: usize = 56;
#[cfg(windows)]
const UNION_BYTES: usize = 40;

#[repr(C, align(8))]
#[derive(Clone, Copy)]
struct Union([u8; UNION_BYTES]);

/// `tVariant`: the union, then `uint32_t cbElements` and `uint16_t vt`. Scalars and pointers sit
/// at offset 0; string and binary lengths (`uint32_t`) right after the pointer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Variant {
    union: Union,
    cb_elements: u32,
    pub vt: u16,
}
#[cfg(not(windows))]
const _: () = assert!(size_of::<Variant>() == 64 && std::mem::offset_of!(Variant, vt) == 60);
#[cfg(windows)]
const _: () = assert!(size_of::<Variant>() == 48 && std::mem::offset_of!(Variant, vt) == 44);

/// Where a string's or binary value's length is: after the pointer.
const LEN_AT: usize = size_of::<usize>();

impl Variant {
    pub const EMPTY: Variant = Variant {
        union: Union([0; UNION_BYTES]),
        cb_elements: 0,
        vt: VTYPE_EMPTY,
    };

    fn put<T>(&mut self, offset: usize, value: T) {
        assert!(offset + size_of::<T>() <= UNION_BYTES);
        // SAFETY: in bounds (checked); the union is plain bytes, any value may be written.
        unsafe { ptr::write_unaligned(self.union.0.as_mut_ptr().add(offset).cast::<T>(), value) }
    }

    fn get<T: Copy>(&self, offset: usize) -> T {
        assert!(offset + size_of::<T>() <= UNION_BYTES);
        // SAFETY: in bounds (checked); only integer and float types are read.
        unsafe { ptr::read_unaligned(self.union.0.as_ptr().add(offset).cast::<T>()) }
    }

    fn with<T>(vt: u16, value: T) -> Variant {
        let mut variant = Variant::EMPTY;
        variant.put(0, value);
        variant.vt = vt;
        variant
    }

    fn with_len(vt: u16, pointer: usize, len: usize) -> Variant {
        let mut variant = Variant::with(vt, pointer);
        variant.put(LEN_AT, u32::try_from(len).unwrap());
        variant
    }

    pub fn bool(flag: bool) -> Variant {
        Variant::with(VTYPE_BOOL, u8::from(flag))
    }

    pub fn i4(number: i32) -> Variant {
        Variant::with(VTYPE_I4, number)
    }

    pub fn r8(number: f64) -> Variant {
        Variant::with(VTYPE_R8, number)
    }

    /// A string variant over `units` (NUL-terminated; the length excludes the NUL), which must
    /// outlive the variant's use.
    pub fn pwstr(units: &[u16]) -> Variant {
        Variant::with_len(VTYPE_PWSTR, units.as_ptr() as usize, units.len() - 1)
    }

    pub fn blob(bytes: &[u8]) -> Variant {
        Variant::with_len(VTYPE_BLOB, bytes.as_ptr() as usize, bytes.len())
    }

    pub fn pointer(&self) -> *mut c_void {
        self.get::<usize>(0) as *mut c_void
    }

    fn len(&self) -> usize {
        self.get::<u32>(LEN_AT) as usize
    }
}

/// A value read back from the add-in.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Empty,
    Bool(bool),
    Int(i32),
    Real(f64),
    Str(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn text(&self) -> &str {
        match self {
            Value::Str(text) => text,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.text()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

pub fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

/// # Safety
/// `text` must be a NUL-terminated UTF-16 string.
pub unsafe fn read_wide(text: *const u16) -> String {
    assert!(!text.is_null(), "a NULL string");
    let mut len = 0;
    // SAFETY: NUL-terminated per the contract.
    unsafe {
        while *text.add(len) != 0 {
            len += 1;
        }
        String::from_utf16(std::slice::from_raw_parts(text, len)).expect("valid UTF-16")
    }
}

// ---------------------------------------------------------------------------------------------
// The memory manager: every block the add-in hands to the platform comes from here and must
// come back through `free` (as the platform frees them).

/// A C++ virtual destructor slot: Itanium has two per vtable (complete, deleting), each taking
/// `this`; MSVC one scalar deleting destructor taking `this` and flags (bit 0: free) and
/// returning `this`, `__thiscall` on x86.
#[cfg(not(windows))]
pub type Destructor = unsafe extern "C" fn(This);
#[cfg(all(windows, target_arch = "x86"))]
pub type Destructor = unsafe extern "thiscall" fn(This, u32) -> This;
#[cfg(all(windows, not(target_arch = "x86")))]
pub type Destructor = unsafe extern "C" fn(This, u32) -> This;

#[repr(C)]
struct MemoryManagerVtable {
    destructor: Destructor,
    #[cfg(not(windows))]
    deleting_destructor: Destructor,
    alloc_memory: unsafe extern "system" fn(*mut MemoryManager, *mut *mut c_void, c_ulong) -> bool,
    free_memory: unsafe extern "system" fn(*mut MemoryManager, *mut *mut c_void),
}

#[repr(C)]
pub struct MemoryManager {
    vtable: &'static MemoryManagerVtable,
    /// Live blocks: address → size.
    live: Mutex<HashMap<usize, usize>>,
    allocations: AtomicUsize,
}

fn destroyed_by_the_addin() -> ! {
    eprintln!("the add-in called a host object's destructor");
    std::process::abort();
}

#[cfg(not(windows))]
unsafe extern "C" fn never_destroyed(_: This) {
    destroyed_by_the_addin()
}

#[cfg(all(windows, target_arch = "x86"))]
unsafe extern "thiscall" fn never_destroyed(_: This, _: u32) -> This {
    destroyed_by_the_addin()
}

#[cfg(all(windows, not(target_arch = "x86")))]
unsafe extern "C" fn never_destroyed(_: This, _: u32) -> This {
    destroyed_by_the_addin()
}

/// The alignment of the blocks handed out, like malloc's.
const BLOCK_ALIGN: usize = 16;

fn block_layout(bytes: usize) -> std::alloc::Layout {
    std::alloc::Layout::from_size_align(bytes.max(1), BLOCK_ALIGN).unwrap()
}

unsafe extern "system" fn alloc_memory(this: *mut MemoryManager, memory: *mut *mut c_void, bytes: c_ulong) -> bool {
    // SAFETY: the add-in passes the manager it was given and a pointer to receive the block.
    unsafe {
        let block = std::alloc::alloc_zeroed(block_layout(bytes as usize)).cast::<c_void>();
        *memory = block;
        if block.is_null() {
            return false;
        }
        (*this).allocations.fetch_add(1, Ordering::SeqCst);
        (*this).live.lock().unwrap().insert(block as usize, bytes as usize);
        true
    }
}

unsafe extern "system" fn free_memory(this: *mut MemoryManager, memory: *mut *mut c_void) {
    // SAFETY: the caller passes a pointer to a block from `alloc_memory`.
    unsafe {
        let block = *memory;
        let known = (*this).live.lock().unwrap().remove(&(block as usize));
        let Some(bytes) = known else {
            panic!("FreeMemory of a block the manager did not hand out (or twice)");
        };
        std::alloc::dealloc(block.cast(), block_layout(bytes));
        *memory = ptr::null_mut();
    }
}

static MEMORY_MANAGER_VTABLE: MemoryManagerVtable = MemoryManagerVtable {
    destructor: never_destroyed,
    #[cfg(not(windows))]
    deleting_destructor: never_destroyed,
    alloc_memory,
    free_memory,
};

impl MemoryManager {
    pub fn new() -> Box<MemoryManager> {
        Box::new(MemoryManager {
            vtable: &MEMORY_MANAGER_VTABLE,
            live: Mutex::default(),
            allocations: AtomicUsize::new(0),
        })
    }

    pub fn as_ptr(&self) -> *mut c_void {
        self as *const MemoryManager as *mut c_void
    }

    /// Frees a block as the platform does once it has read a name or value.
    pub fn free(&self, block: *mut c_void) {
        let mut block = block;
        // SAFETY: the manager is live and `block` came from it.
        unsafe { free_memory(self as *const MemoryManager as *mut MemoryManager, &mut block) };
    }

    /// Reads a string or binary value the add-in returned and frees its memory.
    pub fn take(&self, variant: &mut Variant) -> Value {
        let value = match variant.vt {
            VTYPE_EMPTY => Value::Empty,
            VTYPE_BOOL => Value::Bool(variant.get::<u8>(0) != 0),
            VTYPE_I4 => Value::Int(variant.get::<i32>(0)),
            VTYPE_R8 => Value::Real(variant.get::<f64>(0)),
            VTYPE_PWSTR => {
                let units = variant.pointer() as *const u16;
                // SAFETY: a PWSTR variant from the add-in: `len` units and a NUL after them.
                let text = unsafe { std::slice::from_raw_parts(units, variant.len() + 1) };
                assert_eq!(text[variant.len()], 0, "returned strings are NUL-terminated");
                let text = String::from_utf16(&text[..variant.len()]).expect("valid UTF-16");
                self.free(variant.pointer());
                Value::Str(text)
            }
            VTYPE_BLOB => {
                // SAFETY: a BLOB variant from the add-in: `len` bytes.
                let bytes = unsafe { std::slice::from_raw_parts(variant.pointer() as *const u8, variant.len()) };
                let bytes = bytes.to_vec();
                self.free(variant.pointer());
                Value::Blob(bytes)
            }
            other => panic!("the add-in returned a value of type {other}, which neither host reads"),
        };
        *variant = Variant::EMPTY;
        value
    }

    pub fn live_blocks(&self) -> usize {
        self.live.lock().unwrap().len()
    }

    pub fn allocations(&self) -> usize {
        self.allocations.load(Ordering::SeqCst)
    }
}

// ---------------------------------------------------------------------------------------------
// The connection (IAddInDefBaseEx): records errors and external events.

#[derive(Clone, Debug)]
pub struct Reported {
    pub code: u16,
    pub source: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub source: String,
    pub message: String,
    pub data: String,
}

#[repr(C)]
struct ConnectionVtable {
    destructor: Destructor,
    #[cfg(not(windows))]
    deleting_destructor: Destructor,
    add_error: unsafe extern "system" fn(*mut Connection, c_ushort, *const u16, *const u16, c_long) -> bool,
    read: unsafe extern "system" fn(*mut Connection, *mut u16, *mut Variant, *mut c_long, *mut *mut u16) -> bool,
    write: unsafe extern "system" fn(*mut Connection, *mut u16, *mut Variant) -> bool,
    register_profile_as: unsafe extern "system" fn(*mut Connection, *mut u16) -> bool,
    set_event_buffer_depth: unsafe extern "system" fn(*mut Connection, c_long) -> bool,
    get_event_buffer_depth: unsafe extern "system" fn(*mut Connection) -> c_long,
    external_event: unsafe extern "system" fn(*mut Connection, *mut u16, *mut u16, *mut u16) -> bool,
    clean_event_buffer: unsafe extern "system" fn(*mut Connection),
    set_status_line: unsafe extern "system" fn(*mut Connection, *mut u16) -> bool,
    reset_status_line: unsafe extern "system" fn(*mut Connection),
    get_interface: unsafe extern "system" fn(*mut Connection, c_int) -> *mut c_void,
}

#[repr(C)]
pub struct Connection {
    vtable: &'static ConnectionVtable,
    errors: Mutex<Vec<Reported>>,
    events: Arc<(Mutex<Vec<Event>>, Condvar)>,
    event_buffer_depth: Mutex<c_long>,
}

unsafe extern "system" fn add_error(
    this: *mut Connection,
    code: c_ushort,
    source: *const u16,
    description: *const u16,
    _scode: c_long,
) -> bool {
    // SAFETY: the add-in passes this connection and NUL-terminated strings.
    unsafe {
        let reported = Reported {
            code,
            source: read_wide(source),
            description: read_wide(description),
        };
        (*this).errors.lock().unwrap().push(reported);
    }
    true
}

unsafe extern "system" fn read(
    _: *mut Connection,
    _: *mut u16,
    _: *mut Variant,
    _: *mut c_long,
    _: *mut *mut u16,
) -> bool {
    false
}

unsafe extern "system" fn write(_: *mut Connection, _: *mut u16, _: *mut Variant) -> bool {
    false
}

unsafe extern "system" fn register_profile_as(_: *mut Connection, _: *mut u16) -> bool {
    false
}

unsafe extern "system" fn set_event_buffer_depth(this: *mut Connection, depth: c_long) -> bool {
    // SAFETY: the add-in passes this connection.
    unsafe { *(*this).event_buffer_depth.lock().unwrap() = depth };
    true
}

unsafe extern "system" fn get_event_buffer_depth(this: *mut Connection) -> c_long {
    // SAFETY: the add-in passes this connection.
    unsafe { *(*this).event_buffer_depth.lock().unwrap() }
}

unsafe extern "system" fn external_event(
    this: *mut Connection,
    source: *mut u16,
    message: *mut u16,
    data: *mut u16,
) -> bool {
    // SAFETY: the add-in passes this connection and NUL-terminated strings, from any thread.
    unsafe {
        let event = Event {
            source: read_wide(source),
            message: read_wide(message),
            data: read_wide(data),
        };
        let (events, arrived) = &*(*this).events;
        events.lock().unwrap().push(event);
        arrived.notify_all();
    }
    true
}

unsafe extern "system" fn clean_event_buffer(_: *mut Connection) {}

unsafe extern "system" fn set_status_line(_: *mut Connection, _: *mut u16) -> bool {
    true
}

unsafe extern "system" fn reset_status_line(_: *mut Connection) {}

unsafe extern "system" fn get_interface(_: *mut Connection, _: c_int) -> *mut c_void {
    ptr::null_mut()
}

static CONNECTION_VTABLE: ConnectionVtable = ConnectionVtable {
    destructor: never_destroyed,
    #[cfg(not(windows))]
    deleting_destructor: never_destroyed,
    add_error,
    read,
    write,
    register_profile_as,
    set_event_buffer_depth,
    get_event_buffer_depth,
    external_event,
    clean_event_buffer,
    set_status_line,
    reset_status_line,
    get_interface,
};

impl Connection {
    pub fn new() -> Box<Connection> {
        Box::new(Connection {
            vtable: &CONNECTION_VTABLE,
            errors: Mutex::default(),
            events: Arc::default(),
            event_buffer_depth: Mutex::new(1),
        })
    }

    pub fn as_ptr(&self) -> *mut c_void {
        self as *const Connection as *mut c_void
    }

    pub fn take_errors(&self) -> Vec<Reported> {
        std::mem::take(&mut *self.errors.lock().unwrap())
    }

    pub fn event_buffer_depth(&self) -> c_long {
        *self.event_buffer_depth.lock().unwrap()
    }

    /// Waits up to `timeout` for an event with `data`.
    pub fn wait_for_event(&self, data: &str, timeout: Duration) -> Option<Event> {
        let (events, arrived) = &*self.events;
        let guard = events.lock().unwrap();
        let (guard, _) = arrived
            .wait_timeout_while(guard, timeout, |events| !events.iter().any(|e| e.data == data))
            .unwrap();
        guard.iter().find(|e| e.data == data).cloned()
    }
}

// ---------------------------------------------------------------------------------------------
// The add-in library and its objects.

/// Loading a shared library and finding its exports: dlopen on Linux, LoadLibrary on Windows.
#[cfg(not(windows))]
mod loader {
    use std::ffi::{c_char, c_int, c_void, CStr, CString};

    // From glibc, which Rust's standard library links already (with libdl on glibc before 2.34).
    extern "C" {
        fn dlopen(filename: *const c_char, flags: c_int) -> *mut c_void;
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
        fn dlerror() -> *const c_char;
    }
    const RTLD_NOW: c_int = 2;

    pub fn open(path: &str) -> *mut c_void {
        let c_path = CString::new(path).unwrap();
        // SAFETY: a NUL-terminated path; the returned handle is checked.
        let handle = unsafe { dlopen(c_path.as_ptr(), RTLD_NOW) };
        if handle.is_null() {
            // SAFETY: dlerror returns a NUL-terminated message after a failed dlopen.
            let error = unsafe { CStr::from_ptr(dlerror()) };
            panic!("dlopen {path}: {}", error.to_string_lossy());
        }
        handle
    }

    pub fn symbol(handle: *mut c_void, name: &str) -> *mut c_void {
        let c_name = CString::new(name).unwrap();
        // SAFETY: a live handle and a NUL-terminated name.
        unsafe { dlsym(handle, c_name.as_ptr()) }
    }
}

#[cfg(windows)]
mod loader {
    use std::ffi::{c_char, c_void, CString};

    #[link(name = "kernel32")]
    extern "system" {
        fn LoadLibraryW(name: *const u16) -> *mut c_void;
        fn GetProcAddress(module: *mut c_void, name: *const c_char) -> *mut c_void;
        fn FreeLibrary(module: *mut c_void) -> i32;
        fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut *mut c_void) -> i32;
        fn GetLastError() -> u32;
    }
    const GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT: u32 = 0x2;
    const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;

    pub fn open(path: &str) -> *mut c_void {
        let wide: Vec<u16> = path.encode_utf16().chain([0]).collect();
        // SAFETY: a NUL-terminated path; the returned handle is checked.
        let handle = unsafe { LoadLibraryW(wide.as_ptr()) };
        // SAFETY: no other call in between.
        assert!(!handle.is_null(), "LoadLibrary {path}: error {}", unsafe {
            GetLastError()
        });
        handle
    }

    pub fn symbol(handle: *mut c_void, name: &str) -> *mut c_void {
        let c_name = CString::new(name).unwrap();
        // SAFETY: a live module handle and a NUL-terminated name.
        unsafe { GetProcAddress(handle, c_name.as_ptr()) }
    }

    pub fn free(handle: *mut c_void) -> bool {
        // SAFETY: the handle LoadLibrary returned, released once.
        unsafe { FreeLibrary(handle) != 0 }
    }

    /// Whether the module holding `address` is still mapped.
    pub fn is_mapped(address: *const c_void) -> bool {
        let mut module = std::ptr::null_mut();
        // SAFETY: with FROM_ADDRESS the name is an address; the reference count is left alone.
        unsafe {
            GetModuleHandleExW(
                GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                address.cast(),
                &mut module,
            ) != 0
        }
    }
}

pub struct Library {
    #[cfg(windows)]
    handle: *mut c_void,
    pub get_class_names: unsafe extern "C" fn() -> *const u16,
    pub get_class_object: unsafe extern "C" fn(*const u16, *mut *mut c_void) -> c_long,
    pub destroy_object: unsafe extern "C" fn(*mut *mut c_void) -> c_long,
    pub set_platform_capabilities: unsafe extern "C" fn(c_int) -> c_int,
    pub get_attach_type: unsafe extern "C" fn() -> c_int,
}

impl Library {
    /// Loads the add-in. On Linux it is never unloaded; on Windows [`Library::unload`] does
    /// what OneScript's loader does.
    pub fn open(path: &str) -> Library {
        let handle = loader::open(path);
        let symbol = |name: &str| {
            let address = loader::symbol(handle, name);
            assert!(!address.is_null(), "the add-in does not export {name}");
            address
        };
        // SAFETY: each export has the signature of 1C's ComponentBase.h (plain C calls, cdecl on
        // x86).
        unsafe {
            Library {
                #[cfg(windows)]
                handle,
                get_class_names: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> *const u16>(symbol(
                    "GetClassNames",
                )),
                get_class_object: std::mem::transmute::<
                    *mut c_void,
                    unsafe extern "C" fn(*const u16, *mut *mut c_void) -> c_long,
                >(symbol("GetClassObject")),
                destroy_object: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut *mut c_void) -> c_long>(
                    symbol("DestroyObject"),
                ),
                set_platform_capabilities: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(c_int) -> c_int>(
                    symbol("SetPlatformCapabilities"),
                ),
                get_attach_type: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> c_int>(symbol(
                    "GetAttachType",
                )),
            }
        }
    }

    /// `FreeLibrary`, as OneScript's `NativeApiFactory` does once its objects are gone. The
    /// add-in's runtime threads still live, so the DLL must have pinned itself: it has to stay
    /// mapped, and the process has to survive `linger` afterwards.
    #[cfg(windows)]
    pub fn unload(self, linger: Duration) {
        let inside = self.get_class_names as *const c_void;
        assert!(loader::free(self.handle), "FreeLibrary");
        assert!(
            loader::is_mapped(inside),
            "the add-in stays mapped after FreeLibrary (it pins itself)"
        );
        std::thread::sleep(linger);
    }
}

type This = *mut c_void;

/// `IInitDoneBase`: the destructor slot(s) first.
#[repr(C)]
pub struct InitDoneVtable {
    pub destructor: Destructor,
    #[cfg(not(windows))]
    pub deleting_destructor: Destructor,
    pub init: unsafe extern "system" fn(This, *mut c_void) -> bool,
    pub set_mem_manager: unsafe extern "system" fn(This, *mut c_void) -> bool,
    pub get_info: unsafe extern "system" fn(This) -> c_long,
    pub done: unsafe extern "system" fn(This),
}

#[repr(C)]
pub struct LanguageExtenderVtable {
    pub destructor: Destructor,
    #[cfg(not(windows))]
    pub deleting_destructor: Destructor,
    pub register_extension_as: unsafe extern "system" fn(This, *mut *mut u16) -> bool,
    pub get_n_props: unsafe extern "system" fn(This) -> c_long,
    pub find_prop: unsafe extern "system" fn(This, *const u16) -> c_long,
    pub get_prop_name: unsafe extern "system" fn(This, c_long, c_long) -> *const u16,
    pub get_prop_val: unsafe extern "system" fn(This, c_long, *mut Variant) -> bool,
    pub set_prop_val: unsafe extern "system" fn(This, c_long, *mut Variant) -> bool,
    pub is_prop_readable: unsafe extern "system" fn(This, c_long) -> bool,
    pub is_prop_writable: unsafe extern "system" fn(This, c_long) -> bool,
    pub get_n_methods: unsafe extern "system" fn(This) -> c_long,
    pub find_method: unsafe extern "system" fn(This, *const u16) -> c_long,
    pub get_method_name: unsafe extern "system" fn(This, c_long, c_long) -> *const u16,
    pub get_n_params: unsafe extern "system" fn(This, c_long) -> c_long,
    pub get_param_def_value: unsafe extern "system" fn(This, c_long, c_long, *mut Variant) -> bool,
    pub has_ret_val: unsafe extern "system" fn(This, c_long) -> bool,
    pub call_as_proc: unsafe extern "system" fn(This, c_long, *mut Variant, c_long) -> bool,
    pub call_as_func: unsafe extern "system" fn(This, c_long, *mut Variant, *mut Variant, c_long) -> bool,
}

#[repr(C)]
pub struct LocaleVtable {
    pub destructor: Destructor,
    #[cfg(not(windows))]
    pub deleting_destructor: Destructor,
    pub set_locale: unsafe extern "system" fn(This, *const u16),
}

#[repr(C)]
pub struct UserLanguageVtable {
    pub destructor: Destructor,
    #[cfg(not(windows))]
    pub deleting_destructor: Destructor,
    pub set_user_interface_language_code: unsafe extern "system" fn(This, *const u16),
}

/// An `IComponentBase*`: four vtable pointers at the start of the object.
#[derive(Clone, Copy)]
pub struct ObjectPtr(pub *mut c_void);

impl ObjectPtr {
    /// `this` for base `k`, as a C++ compiler adjusts it.
    pub fn base(self, k: usize) -> This {
        // SAFETY: the object starts with four vtable pointers.
        unsafe { self.0.cast::<u8>().add(k * size_of::<usize>()).cast() }
    }

    fn vtable<V>(self, k: usize) -> &'static V {
        // SAFETY: base k of a live object points at its vtable (static in the add-in).
        unsafe { &**(self.base(k) as *const *const V) }
    }

    pub fn init_done(self) -> &'static InitDoneVtable {
        self.vtable(0)
    }

    pub fn language_extender(self) -> &'static LanguageExtenderVtable {
        self.vtable(1)
    }

    pub fn locale(self) -> &'static LocaleVtable {
        self.vtable(2)
    }

    pub fn user_language(self) -> &'static UserLanguageVtable {
        self.vtable(3)
    }

    /// `delete` through `IInitDoneBase*`, as OneScript's proxy destroys objects: the deleting
    /// destructor (Itanium's second slot; MSVC's only slot with flags 1, which returns `this`).
    ///
    /// # Safety
    /// A live object, never used again.
    pub unsafe fn delete(self) {
        let this = self.base(0);
        #[cfg(not(windows))]
        // SAFETY: per the contract.
        unsafe {
            (self.init_done().deleting_destructor)(this)
        };
        #[cfg(windows)]
        // SAFETY: per the contract.
        unsafe {
            assert_eq!(
                (self.init_done().destructor)(this, 1),
                this,
                "the destructor returns this"
            );
        }
    }
}

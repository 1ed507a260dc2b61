//! The object the platform holds: four vtable pointers (IInitDoneBase, ILanguageExtenderBase,
//! LocaleBase, UserLanguageBase) followed by the Rust state, and every vtable entry. The
//! platform calls base k's methods with `this` pointing at vtable pointer k; each entry steps
//! back to the object, catches panics (reported with `AddError`, then false / -1 / NULL), and
//! hands decoded values to `Addin`.

use std::ffi::{c_long, c_void};
use std::mem::size_of;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, NonNull};

use diskbridge::ErrorCode;

use crate::abi::*;
use crate::addin::{property_name, Addin};
use crate::classes::{find_property, Class, PROPERTIES};
use crate::values::{literal_value, Arg, Ret};

/// `GetInfo`: Native API version 2.0.
const NATIVE_API_VERSION: c_long = 2000;

#[repr(C)]
pub struct Component {
    init_done: &'static InitDoneVtable,
    language_extender: &'static LanguageExtenderVtable,
    locale: &'static LocaleVtable,
    user_language: &'static UserLanguageVtable,
    addin: Addin,
}

impl Component {
    /// A new object of `class`, as the pointer `GetClassObject` hands out; freed by `destroy`
    /// or by the deleting destructor.
    pub fn create(class: &'static Class) -> *mut c_void {
        Box::into_raw(Box::new(Component {
            init_done: &INIT_DONE,
            language_extender: &LANGUAGE_EXTENDER,
            locale: &LOCALE,
            user_language: &USER_LANGUAGE,
            addin: Addin::new(class),
        }))
        .cast()
    }

    /// # Safety
    /// `object` must come from `create` and not have been destroyed.
    pub unsafe fn destroy(object: *mut c_void) {
        // SAFETY: per the contract, a live Box from `create`.
        drop(unsafe { Box::from_raw(object.cast::<Component>()) });
    }
}

/// The object whose vtable pointer number `BASE` is at `this`.
fn object<const BASE: usize>(this: *mut c_void) -> Option<NonNull<Component>> {
    NonNull::new(this).map(|this| {
        // SAFETY: non-NULL `this` points BASE pointers into a Component (the platform passes the
        // base subobject's address); stepping back stays inside that allocation.
        unsafe { this.cast::<u8>().sub(BASE * size_of::<usize>()).cast::<Component>() }
    })
}

/// Runs an entry point's body on the object behind `this`. A panic is reported (AddError, and
/// an `internal` envelope in LastError) and turns into `fallback`.
///
/// # Safety
/// `this` must be NULL or point to vtable pointer `BASE` of a live Component that nothing else
/// uses during the call (the platform calls one object from one thread at a time).
unsafe fn entry<const BASE: usize, R>(
    this: *mut c_void,
    what: &str,
    fallback: R,
    body: impl FnOnce(&mut Addin) -> R,
) -> R {
    let Some(mut component) = object::<BASE>(this) else {
        return fallback;
    };
    // SAFETY: per the contract, the object is live and not aliased during this call.
    let addin = unsafe { &mut component.as_mut().addin };
    match catch_unwind(AssertUnwindSafe(|| body(&mut *addin))) {
        Ok(result) => result,
        Err(panic) => {
            let cause = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let message = format!("internal error (please report): {cause}");
            let _ = catch_unwind(AssertUnwindSafe(|| addin.fail(what, ErrorCode::Internal, &message)));
            fallback
        }
    }
}

fn index(number: c_long, len: usize) -> Option<usize> {
    usize::try_from(number).ok().filter(|&i| i < len)
}

/// `ret` in a `tVariant`, strings and bytes in platform memory; `None` if the platform has no
/// memory manager, refused the memory, or the value is too long for the variant.
fn encode(addin: &Addin, ret: Ret) -> Option<TVariant> {
    let mut variant = TVariant::EMPTY;
    match ret {
        Ret::Empty => {}
        Ret::Bool(flag) => {
            variant.value.bool = flag;
            variant.vt = VTYPE_BOOL;
        }
        Ret::Int(number) => {
            variant.value.i32 = number;
            variant.vt = VTYPE_I4;
        }
        Ret::Real(number) => {
            variant.value.f64 = number;
            variant.vt = VTYPE_R8;
        }
        Ret::Str(text) => {
            let units: Vec<u16> = text.encode_utf16().collect();
            let len = u32::try_from(units.len()).ok()?;
            let ptr = addin.memory.as_ref()?.alloc_wide(&units)?.as_ptr();
            variant.value.wide = Wide { ptr, len };
            variant.vt = VTYPE_PWSTR;
        }
        Ret::Blob(data) => {
            let len = u32::try_from(data.len()).ok()?;
            let ptr = addin.memory.as_ref()?.alloc_bytes(&data)?.as_ptr();
            variant.value.bytes = Bytes { ptr, len };
            variant.vt = VTYPE_BLOB;
        }
    }
    Some(variant)
}

/// Writes `ret` to the platform's variant; on failure reports it and returns false.
///
/// # Safety
/// `out` must be NULL or point to a writable `tVariant`.
unsafe fn put(addin: &mut Addin, what: &str, ret: Ret, out: *mut TVariant) -> bool {
    if out.is_null() {
        addin.fail(
            what,
            ErrorCode::InvalidRequest,
            "the platform passed no variant for the value",
        );
        return false;
    }
    match encode(addin, ret) {
        Some(variant) => {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { out.write(variant) };
            true
        }
        None => {
            addin.fail(what, ErrorCode::Internal, "the platform gave no memory for the value");
            false
        }
    }
}

/// A NUL-terminated copy of `name` in platform memory (names are freed by the platform).
fn alloc_name(addin: &Addin, name: &str) -> *const u16 {
    let units: Vec<u16> = name.encode_utf16().collect();
    addin
        .memory
        .as_ref()
        .and_then(|memory| memory.alloc_wide(&units))
        .map_or(ptr::null(), |p| p.as_ptr().cast_const())
}

/// A name argument (`FindMethod`, `FindProp`), decoded for matching.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated UTF-16 string.
unsafe fn name_arg(name: *const u16) -> String {
    // SAFETY: forwarded contract.
    String::from_utf16_lossy(unsafe { wide_units(name) })
}

/// Decodes one argument.
///
/// # Safety
/// The variant's pointer members must be valid for their lengths, as the platform guarantees.
unsafe fn read_arg(variant: &TVariant) -> Arg<'_> {
    // SAFETY: each arm reads the union member that `vt` says is set.
    unsafe {
        let value = &variant.value;
        match variant.vt {
            VTYPE_EMPTY | VTYPE_NULL => Arg::Empty,
            VTYPE_BOOL => Arg::Bool(value.u8 != 0),
            VTYPE_I1 => Arg::Int(value.i8.into()),
            VTYPE_I2 => Arg::Int(value.i16.into()),
            VTYPE_I4 | VTYPE_ERROR | VTYPE_INT => Arg::Int(value.i32.into()),
            VTYPE_UI1 => Arg::Int(value.u8.into()),
            VTYPE_UI2 => Arg::Int(value.u16.into()),
            VTYPE_UI4 | VTYPE_UINT => Arg::Int(value.u32.into()),
            VTYPE_I8 => Arg::Int(value.i64),
            VTYPE_UI8 => i64::try_from(value.u64).map_or(Arg::Real(value.u64 as f64), Arg::Int),
            VTYPE_R4 => Arg::Real(value.f32.into()),
            VTYPE_R8 => Arg::Real(value.f64),
            VTYPE_PWSTR => {
                let units = slice(value.wide.ptr, value.wide.len as usize);
                String::from_utf16(units).map_or(Arg::BadText, Arg::Str)
            }
            VTYPE_PSTR => {
                let bytes = slice(value.bytes.ptr, value.bytes.len as usize);
                std::str::from_utf8(bytes).map_or(Arg::BadText, |text| Arg::Str(text.to_string()))
            }
            VTYPE_BLOB => Arg::Blob(slice(value.bytes.ptr, value.bytes.len as usize)),
            VTYPE_DATE | VTYPE_TM => Arg::Date,
            other => Arg::Unsupported(other),
        }
    }
}

/// # Safety
/// `ptr` must be NULL or valid for `len` elements.
unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: forwarded contract.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Decodes the arguments of a call.
///
/// # Safety
/// `params` must be NULL or point to `count` variants (see `read_arg`).
unsafe fn read_args<'a>(params: *const TVariant, count: c_long) -> Vec<Arg<'a>> {
    // SAFETY: forwarded contract; the variants outlive the call.
    unsafe { slice(params, usize::try_from(count).unwrap_or(0)) }
        .iter()
        // SAFETY: the platform's variants are well-formed.
        .map(|variant| unsafe { read_arg(variant) })
        .collect()
}

/// Runs member `method` for `CallAsProc` / `CallAsFunc`.
///
/// # Safety
/// As `read_args`.
unsafe fn invoke(addin: &mut Addin, method: c_long, params: *const TVariant, count: c_long) -> Option<Ret> {
    let Some(method) = index(method, addin.class.members.len()) else {
        addin.fail("CallAsFunc", ErrorCode::InvalidRequest, "no method with this number");
        return None;
    };
    // SAFETY: forwarded contract.
    let args = unsafe { read_args(params, count) };
    addin.invoke(method, &args)
}

// ---------------------------------------------------------------------------------------------
// IInitDoneBase

unsafe extern "system" fn init(this: *mut c_void, connection: *mut c_void) -> bool {
    // SAFETY: the platform passes its live object; the connection stays valid until Done.
    unsafe {
        entry::<0, _>(this, "Init", false, |addin| {
            addin.init(Connection::from_raw(connection));
            true
        })
    }
}

unsafe extern "system" fn set_mem_manager(this: *mut c_void, memory: *mut c_void) -> bool {
    // SAFETY: the platform's memory manager outlives the objects it is given to.
    unsafe {
        entry::<0, _>(this, "setMemManager", false, |addin| {
            addin.memory = MemoryManager::from_raw(memory);
            addin.memory.is_some()
        })
    }
}

unsafe extern "system" fn get_info(this: *mut c_void) -> c_long {
    // SAFETY: the platform passes its live object.
    unsafe { entry::<0, _>(this, "GetInfo", NATIVE_API_VERSION, |_| NATIVE_API_VERSION) }
}

unsafe extern "system" fn done(this: *mut c_void) {
    // SAFETY: the platform passes its live object.
    unsafe { entry::<0, _>(this, "Done", (), Addin::done) }
}

// ---------------------------------------------------------------------------------------------
// ILanguageExtenderBase

unsafe extern "system" fn register_extension_as(this: *mut c_void, name: *mut *mut u16) -> bool {
    // SAFETY: the platform passes its live object and a pointer to receive the name.
    unsafe {
        entry::<1, _>(this, "RegisterExtensionAs", false, |addin| {
            let registered = alloc_name(addin, addin.class.name);
            if name.is_null() || registered.is_null() {
                return false;
            }
            *name = registered.cast_mut();
            true
        })
    }
}

unsafe extern "system" fn get_n_props(this: *mut c_void) -> c_long {
    // SAFETY: the platform passes its live object.
    unsafe { entry::<1, _>(this, "GetNProps", 0, |_| PROPERTIES.len() as c_long) }
}

unsafe extern "system" fn find_prop(this: *mut c_void, name: *const u16) -> c_long {
    // SAFETY: the platform passes its live object and a NUL-terminated name.
    unsafe {
        entry::<1, _>(this, "FindProp", -1, |_| {
            find_property(&name_arg(name)).map_or(-1, |i| i as c_long)
        })
    }
}

unsafe extern "system" fn get_prop_name(this: *mut c_void, num: c_long, alias: c_long) -> *const u16 {
    // SAFETY: the platform passes its live object.
    unsafe {
        entry::<1, _>(this, "GetPropName", ptr::null(), |addin| {
            match index(num, PROPERTIES.len()).and_then(|i| property_name(i, alias == 1)) {
                Some(name) => alloc_name(addin, name),
                None => ptr::null(),
            }
        })
    }
}

unsafe extern "system" fn get_prop_val(this: *mut c_void, num: c_long, value: *mut TVariant) -> bool {
    // SAFETY: the platform passes its live object and a variant to fill.
    unsafe {
        entry::<1, _>(this, "GetPropVal", false, |addin| {
            let Some(i) = index(num, PROPERTIES.len()) else {
                addin.fail("GetPropVal", ErrorCode::InvalidRequest, "no property with this number");
                return false;
            };
            let text = addin.property(PROPERTIES[i].0);
            put(addin, PROPERTIES[i].1, Ret::Str(text), value)
        })
    }
}

unsafe extern "system" fn set_prop_val(this: *mut c_void, num: c_long, _value: *mut TVariant) -> bool {
    // SAFETY: the platform passes its live object.
    unsafe {
        entry::<1, _>(this, "SetPropVal", false, |addin| {
            let name = index(num, PROPERTIES.len()).map_or("?", |i| PROPERTIES[i].1);
            addin.fail(
                name,
                ErrorCode::InvalidRequest,
                &format!("property {name} is read-only"),
            );
            false
        })
    }
}

unsafe extern "system" fn is_prop_readable(this: *mut c_void, num: c_long) -> bool {
    // SAFETY: the platform passes its live object.
    unsafe {
        entry::<1, _>(this, "IsPropReadable", false, |_| {
            index(num, PROPERTIES.len()).is_some()
        })
    }
}

unsafe extern "system" fn is_prop_writable(this: *mut c_void, _num: c_long) -> bool {
    // SAFETY: the platform passes its live object.
    unsafe { entry::<1, _>(this, "IsPropWritable", false, |_| false) }
}

unsafe extern "system" fn get_n_methods(this: *mut c_void) -> c_long {
    // SAFETY: the platform passes its live object.
    unsafe { entry::<1, _>(this, "GetNMethods", 0, |addin| addin.class.members.len() as c_long) }
}

unsafe extern "system" fn find_method(this: *mut c_void, name: *const u16) -> c_long {
    // SAFETY: the platform passes its live object and a NUL-terminated name.
    unsafe {
        entry::<1, _>(this, "FindMethod", -1, |addin| {
            addin.class.find_member(&name_arg(name)).map_or(-1, |i| i as c_long)
        })
    }
}

unsafe extern "system" fn get_method_name(this: *mut c_void, num: c_long, alias: c_long) -> *const u16 {
    // SAFETY: the platform passes its live object.
    unsafe {
        entry::<1, _>(this, "GetMethodName", ptr::null(), |addin| {
            match index(num, addin.class.members.len()) {
                Some(i) => {
                    let member = &addin.class.members[i];
                    alloc_name(addin, if alias == 1 { &member.name_ru } else { &member.name })
                }
                None => ptr::null(),
            }
        })
    }
}

unsafe extern "system" fn get_n_params(this: *mut c_void, method: c_long) -> c_long {
    // SAFETY: the platform passes its live object.
    unsafe {
        entry::<1, _>(this, "GetNParams", 0, |addin| {
            index(method, addin.class.members.len()).map_or(0, |i| addin.class.members[i].slots.len() as c_long)
        })
    }
}

unsafe extern "system" fn get_param_def_value(
    this: *mut c_void,
    method: c_long,
    param: c_long,
    value: *mut TVariant,
) -> bool {
    // SAFETY: the platform passes its live object and a variant to fill.
    unsafe {
        entry::<1, _>(this, "GetParamDefValue", false, |addin| {
            let class = addin.class;
            let Some(member) = index(method, class.members.len()).map(|i| &class.members[i]) else {
                return false;
            };
            let default = index(param, member.slots.len()).and_then(|i| member.slots[i].default.as_ref());
            match default {
                Some(default) => put(addin, &member.name, literal_value(default), value),
                None => false,
            }
        })
    }
}

unsafe extern "system" fn has_ret_val(this: *mut c_void, method: c_long) -> bool {
    // SAFETY: the platform passes its live object.
    unsafe {
        entry::<1, _>(this, "HasRetVal", false, |addin| {
            index(method, addin.class.members.len()).is_some()
        })
    }
}

unsafe extern "system" fn call_as_proc(
    this: *mut c_void,
    method: c_long,
    params: *mut TVariant,
    count: c_long,
) -> bool {
    // SAFETY: the platform passes its live object and `count` argument variants.
    unsafe {
        entry::<1, _>(this, "CallAsProc", false, |addin| {
            invoke(addin, method, params, count).is_some()
        })
    }
}

unsafe extern "system" fn call_as_func(
    this: *mut c_void,
    method: c_long,
    result: *mut TVariant,
    params: *mut TVariant,
    count: c_long,
) -> bool {
    // SAFETY: the platform passes its live object, a variant for the result and `count`
    // argument variants.
    unsafe {
        entry::<1, _>(this, "CallAsFunc", false, |addin| {
            match invoke(addin, method, params, count) {
                Some(ret) => {
                    let class = addin.class;
                    let name = index(method, class.members.len()).map_or("?", |i| &class.members[i].name);
                    put(addin, name, ret, result)
                }
                None => false,
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// LocaleBase and UserLanguageBase: every message of the library is English and every name is
// accepted in both languages whatever the platform's language, so there is nothing to switch.

unsafe extern "system" fn set_locale(this: *mut c_void, _locale: *const u16) {
    // SAFETY: the platform passes its live object.
    unsafe { entry::<2, _>(this, "SetLocale", (), |_| ()) }
}

unsafe extern "system" fn set_user_interface_language_code(this: *mut c_void, _code: *const u16) {
    // SAFETY: the platform passes its live object.
    unsafe { entry::<3, _>(this, "SetUserInterfaceLanguageCode", (), |_| ()) }
}

// ---------------------------------------------------------------------------------------------
// Destructors: 1C frees objects with DestroyObject, OneScript with `delete` through the
// virtual destructor of IInitDoneBase, so every slot is a real function.

/// Drops the object behind vtable pointer `BASE`; `free` also releases its memory.
///
/// # Safety
/// `this` must point to vtable pointer `BASE` of a live Component, used by nothing else after.
unsafe fn destruct<const BASE: usize>(this: *mut c_void, free: bool) {
    let Some(object) = object::<BASE>(this) else {
        return;
    };
    let _ = catch_unwind(|| {
        if free {
            // SAFETY: per the contract, a live Box from `Component::create`.
            drop(unsafe { Box::from_raw(object.as_ptr()) });
        } else {
            // SAFETY: per the contract; the memory stays with whoever owns it.
            unsafe { ptr::drop_in_place(object.as_ptr()) };
        }
    });
}

/// Itanium "complete object" destructor: drops without freeing.
#[cfg(not(windows))]
unsafe extern "C" fn destroy_in_place<const BASE: usize>(this: *mut c_void) {
    // SAFETY: called by the host as a C++ destructor of a live object.
    unsafe { destruct::<BASE>(this, false) }
}

/// Itanium "deleting" destructor: what `delete` calls.
#[cfg(not(windows))]
unsafe extern "C" fn delete<const BASE: usize>(this: *mut c_void) {
    // SAFETY: called by the host as a C++ destructor of a live object.
    unsafe { destruct::<BASE>(this, true) }
}

/// MSVC "scalar deleting destructor": frees when bit 0 of `flags` is set; returns `this`.
#[cfg(all(windows, target_arch = "x86"))]
unsafe extern "thiscall" fn scalar_deleting_destructor<const BASE: usize>(
    this: *mut c_void,
    flags: u32,
) -> *mut c_void {
    // SAFETY: called by the host as a C++ destructor of a live object.
    unsafe { destruct::<BASE>(this, flags & 1 != 0) };
    this
}

#[cfg(all(windows, not(target_arch = "x86")))]
unsafe extern "C" fn scalar_deleting_destructor<const BASE: usize>(this: *mut c_void, flags: u32) -> *mut c_void {
    // SAFETY: called by the host as a C++ destructor of a live object.
    unsafe { destruct::<BASE>(this, flags & 1 != 0) };
    this
}

macro_rules! vtable {
    ($kind:ident, $base:literal { $($field:ident: $value:expr),* $(,)? }) => {
        $kind {
            #[cfg(not(windows))]
            destructor: destroy_in_place::<$base>,
            #[cfg(not(windows))]
            deleting_destructor: delete::<$base>,
            #[cfg(windows)]
            destructor: scalar_deleting_destructor::<$base>,
            $($field: $value),*
        }
    };
}

static INIT_DONE: InitDoneVtable = vtable!(InitDoneVtable, 0 {
    init: init,
    set_mem_manager: set_mem_manager,
    get_info: get_info,
    done: done,
});

static LANGUAGE_EXTENDER: LanguageExtenderVtable = vtable!(LanguageExtenderVtable, 1 {
    register_extension_as: register_extension_as,
    get_n_props: get_n_props,
    find_prop: find_prop,
    get_prop_name: get_prop_name,
    get_prop_val: get_prop_val,
    set_prop_val: set_prop_val,
    is_prop_readable: is_prop_readable,
    is_prop_writable: is_prop_writable,
    get_n_methods: get_n_methods,
    find_method: find_method,
    get_method_name: get_method_name,
    get_n_params: get_n_params,
    get_param_def_value: get_param_def_value,
    has_ret_val: has_ret_val,
    call_as_proc: call_as_proc,
    call_as_func: call_as_func,
});

static LOCALE: LocaleVtable = vtable!(LocaleVtable, 2 { set_locale: set_locale });

static USER_LANGUAGE: UserLanguageVtable = vtable!(UserLanguageVtable, 3 {
    set_user_interface_language_code: set_user_interface_language_code,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vtable_pointers_come_first_and_the_state_after() {
        assert_eq!(std::mem::offset_of!(Component, init_done), 0);
        assert_eq!(std::mem::offset_of!(Component, language_extender), size_of::<usize>());
        assert_eq!(std::mem::offset_of!(Component, locale), 2 * size_of::<usize>());
        assert_eq!(std::mem::offset_of!(Component, user_language), 3 * size_of::<usize>());
    }
}

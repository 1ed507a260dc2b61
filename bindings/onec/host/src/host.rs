//! The scenario: what 1C and OneScript do with the add-in, with assertions on every answer.

use std::ffi::{c_long, c_void};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::ptr;
use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::native::*;

const CLASSES: [&str; 9] = [
    "YandexID",
    "YandexDisk",
    "Yandex360",
    "YandexMail",
    "YandexCalendar",
    "Telemost",
    "GoogleWorkspace",
    "GoogleDrive",
    "Library",
];
const YANDEX_CLIENT_ID: &str = "sandbox-yandex-client";
const YANDEX_CLIENT_SECRET: &str = "sandbox-yandex-secret";
/// Generous: under valgrind everything is some twenty times slower.
const EVENT_TIMEOUT: Duration = Duration::from_secs(180);
/// How long the host lives on after FreeLibrary.
#[cfg(windows)]
const UNLOAD_LINGER: Duration = Duration::from_secs(12);

/// An argument as a host passes it.
enum Arg<'a> {
    Str(&'a str),
    Bool(bool),
    I4(i32),
    R8(f64),
    Blob(&'a [u8]),
}

/// A method that returned false: what it reported with AddError, and LastError.
#[derive(Debug)]
struct Failure {
    errors: Vec<Reported>,
    last_error: Json,
}

#[derive(Clone, Copy)]
enum Teardown {
    /// Done, then the add-in's DestroyObject.
    OneC,
    /// Done, then `delete` through the virtual (deleting) destructor of IInitDoneBase.
    OneScript,
}

/// One add-in object, created and initialised as the platform does.
struct Object<'a> {
    library: &'a Library,
    memory: &'a MemoryManager,
    connection: Box<Connection>,
    ptr: ObjectPtr,
    class: &'static str,
}

impl<'a> Object<'a> {
    fn create(library: &'a Library, memory: &'a MemoryManager, class: &'static str) -> Object<'a> {
        let name = wide(class);
        let mut raw: *mut c_void = ptr::null_mut();
        // SAFETY: a NUL-terminated name and a slot for the object.
        let created = unsafe { (library.get_class_object)(name.as_ptr(), &mut raw) };
        assert!(created != 0 && !raw.is_null(), "GetClassObject({class})");
        let ptr = ObjectPtr(raw);
        let connection = Connection::new();
        // SAFETY: a live object; the memory manager and connection outlive it.
        unsafe {
            assert!((ptr.init_done().set_mem_manager)(ptr.base(0), memory.as_ptr()));
            assert!((ptr.init_done().init)(ptr.base(0), connection.as_ptr()));
            assert_eq!((ptr.init_done().get_info)(ptr.base(0)), 2000);
        }
        assert!(connection.event_buffer_depth() > 1, "Init asks for an event queue");
        let object = Object {
            library,
            memory,
            connection,
            ptr,
            class,
        };
        let mut registered: *mut u16 = ptr::null_mut();
        // SAFETY: a live object and a slot for the name, which the platform then frees.
        unsafe {
            assert!((ptr.language_extender().register_extension_as)(
                ptr.base(1),
                &mut registered
            ));
            assert_eq!(
                read_wide(registered),
                class,
                "RegisterExtensionAs equals the class name"
            );
        }
        memory.free(registered.cast());
        object
    }

    fn vt(&self) -> &'static LanguageExtenderVtable {
        self.ptr.language_extender()
    }

    fn this(&self) -> *mut c_void {
        self.ptr.base(1)
    }

    fn find_method(&self, name: &str) -> c_long {
        let name = wide(name);
        // SAFETY: a live object and a NUL-terminated name.
        unsafe { (self.vt().find_method)(self.this(), name.as_ptr()) }
    }

    fn method(&self, name: &str) -> c_long {
        let index = self.find_method(name);
        assert!(index >= 0, "{}: FindMethod({name})", self.class);
        index
    }

    /// A name from GetMethodName / GetPropName, freed as the platform frees it.
    fn take_name(&self, name: *const u16) -> String {
        assert!(!name.is_null(), "a name was expected");
        // SAFETY: a NUL-terminated name in memory from the manager.
        let text = unsafe { read_wide(name) };
        self.memory.free(name.cast_mut().cast());
        text
    }

    fn method_name(&self, index: c_long, alias: c_long) -> String {
        // SAFETY: a live object.
        self.take_name(unsafe { (self.vt().get_method_name)(self.this(), index, alias) })
    }

    fn n_params(&self, index: c_long) -> usize {
        // SAFETY: a live object.
        usize::try_from(unsafe { (self.vt().get_n_params)(self.this(), index) }).unwrap()
    }

    /// GetParamDefValue: `None` for a required parameter.
    fn default(&self, index: c_long, param: usize) -> Option<Value> {
        let mut variant = Variant::EMPTY;
        // SAFETY: a live object and a variant to fill.
        let has = unsafe { (self.vt().get_param_def_value)(self.this(), index, param as c_long, &mut variant) };
        let value = self.memory.take(&mut variant);
        has.then_some(value)
    }

    /// Calls a method as a function: the missing trailing arguments are filled with their
    /// defaults, as both hosts do, and everything the add-in allocated is freed afterwards.
    fn call(&self, name: &str, args: &[Arg]) -> Result<Value, Failure> {
        let index = self.method(name);
        let count = self.n_params(index);
        assert!(args.len() <= count, "{name} takes {count} parameters");
        let texts: Vec<Vec<u16>> = args
            .iter()
            .map(|arg| match arg {
                Arg::Str(text) => wide(text),
                _ => Vec::new(),
            })
            .collect();
        let mut params: Vec<Variant> = args
            .iter()
            .zip(&texts)
            .map(|(arg, text)| match arg {
                Arg::Str(_) => Variant::pwstr(text),
                Arg::Bool(flag) => Variant::bool(*flag),
                Arg::I4(number) => Variant::i4(*number),
                Arg::R8(number) => Variant::r8(*number),
                Arg::Blob(bytes) => Variant::blob(bytes),
            })
            .collect();
        for param in args.len()..count {
            let mut variant = Variant::EMPTY;
            // SAFETY: a live object and a variant to fill.
            let has = unsafe { (self.vt().get_param_def_value)(self.this(), index, param as c_long, &mut variant) };
            assert!(has, "{name}: parameter {param} is required but was not given");
            params.push(variant);
        }
        let mut result = Variant::EMPTY;
        // SAFETY: a live object, a result variant and `count` argument variants whose strings
        // and bytes outlive the call.
        let ok =
            unsafe { (self.vt().call_as_func)(self.this(), index, &mut result, params.as_mut_ptr(), count as c_long) };
        for variant in &mut params[args.len()..] {
            self.memory.take(variant);
        }
        if ok {
            assert!(self.connection.take_errors().is_empty(), "{name}: AddError on success");
            Ok(self.memory.take(&mut result))
        } else {
            assert_eq!(result.vt, VTYPE_EMPTY, "{name}: a value with false");
            let errors = self.connection.take_errors();
            assert_eq!(errors.len(), 1, "{name}: one AddError before false, got {errors:?}");
            Err(Failure {
                errors,
                last_error: self.property("LastError").json(),
            })
        }
    }

    fn ok(&self, name: &str, args: &[Arg]) -> Value {
        self.call(name, args)
            .unwrap_or_else(|failure| panic!("{}.{name} failed: {failure:?}", self.class))
    }

    fn fail(&self, name: &str, args: &[Arg]) -> Failure {
        match self.call(name, args) {
            Ok(value) => panic!("{}.{name} should fail, returned {value:?}", self.class),
            Err(failure) => failure,
        }
    }

    /// Calls a method as a procedure (the platform discards any value).
    fn call_proc(&self, name: &str, args: &[&str]) -> bool {
        let index = self.method(name);
        assert_eq!(args.len(), self.n_params(index), "{name}: every argument given");
        let texts: Vec<Vec<u16>> = args.iter().map(|text| wide(text)).collect();
        let mut params: Vec<Variant> = texts.iter().map(|text| Variant::pwstr(text)).collect();
        // SAFETY: a live object and `args.len()` argument variants.
        let ok = unsafe { (self.vt().call_as_proc)(self.this(), index, params.as_mut_ptr(), params.len() as c_long) };
        self.connection.take_errors();
        ok
    }

    fn find_prop(&self, name: &str) -> c_long {
        let name = wide(name);
        // SAFETY: a live object and a NUL-terminated name.
        unsafe { (self.vt().find_prop)(self.this(), name.as_ptr()) }
    }

    fn property(&self, name: &str) -> Value {
        let index = self.find_prop(name);
        assert!(index >= 0, "FindProp({name})");
        let mut variant = Variant::EMPTY;
        // SAFETY: a live object and a variant to fill.
        assert!(unsafe { (self.vt().get_prop_val)(self.this(), index, &mut variant) });
        self.memory.take(&mut variant)
    }

    fn teardown(self, how: Teardown) {
        let ptr = self.ptr;
        // SAFETY: the live object; after Done it is destroyed once and never used again.
        unsafe {
            (ptr.init_done().done)(ptr.base(0));
            match how {
                Teardown::OneC => {
                    let mut raw = ptr.0;
                    assert_eq!((self.library.destroy_object)(&mut raw), 0);
                    assert!(raw.is_null(), "DestroyObject clears the pointer");
                }
                Teardown::OneScript => ptr.delete(),
            }
        }
    }
}

pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, addin, sandbox] = args.as_slice() else {
        eprintln!("usage: onec-host <add-in library> <diskbridge-sandbox binary | sandbox URL>");
        std::process::exit(2);
    };
    // Before the add-in is loaded: a debug build of the library then also has the hidden
    // `Library.Panic` that `panic_boundary` calls (the variable is read once).
    std::env::set_var("DISKBRIDGE_TEST_PANIC", "1");
    let library = Library::open(addin);
    let memory = MemoryManager::new();
    check_exports(&library);

    let registry = {
        let object = Object::create(&library, &memory, "Library");
        let methods = object.ok("Methods", &[]).json()["methods"].clone();
        object.teardown(Teardown::OneC);
        methods
    };
    for class in CLASSES {
        for how in [Teardown::OneC, Teardown::OneScript] {
            check_class(&library, &memory, class, &registry, how);
        }
    }
    println!(
        "onec-host: {} classes created, inspected and torn down both ways",
        CLASSES.len()
    );

    // The hidden `Library.Panic` is in debug builds only; under Wine the host drives the release
    // build that ships, so the Linux (debug) run is the one that proves the panic boundary.
    #[cfg(not(windows))]
    {
        panic_boundary(&library, &memory);
        println!("onec-host: a panicking method answered `internal` through Call and a job, and the add-in went on");
    }

    let sandbox = Sandbox::start(sandbox);
    round_trip(&library, &memory, &sandbox.url);
    drop(sandbox);

    assert_eq!(memory.live_blocks(), 0, "every block from the memory manager was freed");
    println!(
        "onec-host: sign-in and Yandex Disk round trip passed; all {} memory-manager blocks freed",
        memory.allocations()
    );
    // OneScript unloads the library once done with it, while the add-in's runtime threads live.
    // Past tokio's 10 s keep-alive, the blocking-pool threads the round trip started have woken
    // up and ended inside the add-in.
    #[cfg(windows)]
    {
        library.unload(UNLOAD_LINGER);
        println!(
            "onec-host: FreeLibrary after the round trip; the add-in stayed mapped and the process lived {} s on",
            UNLOAD_LINGER.as_secs()
        );
    }
}

fn check_exports(library: &Library) {
    // SAFETY: the exports take and return plain values; the class list is static.
    unsafe {
        assert_eq!(read_wide((library.get_class_names)()), CLASSES.join("|"));
        assert_eq!((library.set_platform_capabilities)(3), 3);
        assert_eq!((library.set_platform_capabilities)(1), 1);
        assert_eq!((library.get_attach_type)(), 3, "attachable isolated or not");
        let mut raw: *mut c_void = ptr::null_mut();
        let unknown = wide("NoSuchClass");
        assert_eq!((library.get_class_object)(unknown.as_ptr(), &mut raw), 0);
        assert!(raw.is_null());
        assert_eq!((library.destroy_object)(&mut raw), -1, "nothing to destroy");
    }
}

/// Names differing from `name` only in letter case, as BSL allows.
fn case_variants(name: &str) -> [String; 3] {
    let mixed: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_uppercase().collect::<String>()
            } else {
                c.to_lowercase().collect()
            }
        })
        .collect();
    [name.to_uppercase(), name.to_lowercase(), mixed]
}

fn check_class(library: &Library, memory: &MemoryManager, class: &'static str, registry: &Json, how: Teardown) {
    let object = Object::create(library, memory, class);
    // SAFETY: a live object; the names are NUL-terminated.
    unsafe {
        (object.ptr.locale().set_locale)(object.ptr.base(2), wide("ru_RU").as_ptr());
        (object.ptr.user_language().set_user_interface_language_code)(object.ptr.base(3), wide("ru").as_ptr());
    }

    // Every member: both names, found in any letter case; a return value; defaults readable.
    // SAFETY: a live object.
    let members = unsafe { (object.vt().get_n_methods)(object.this()) };
    for index in 0..members {
        let (english, russian) = (object.method_name(index, 0), object.method_name(index, 1));
        for name in [&english, &russian]
            .into_iter()
            .chain(&case_variants(&english))
            .chain(&case_variants(&russian))
        {
            assert_eq!(object.find_method(name), index, "{class}: FindMethod({name})");
        }
        // SAFETY: a live object.
        assert!(unsafe { (object.vt().has_ret_val)(object.this(), index) });
        for param in 0..object.n_params(index) {
            object.default(index, param);
        }
    }
    for fixed in ["Call", "Вызвать", "StartJob", "НачатьЗадание", "JobStatus", "CancelJob"] {
        object.method(fixed);
    }
    assert_eq!(object.find_method("NoSuchMethod"), -1);

    // Every registry method of the module and every alias into it (YandexDisk re-exports
    // YandexID's sign-in), under each name, with OPI's positional parameters (binary data for
    // `file` goes where `data_base64` would).
    for method in registry.as_array().unwrap() {
        let prefix = format!("{class}.");
        let mut names: Vec<&str> = method["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|alias| alias.as_str().unwrap().strip_prefix(prefix.as_str()))
            .collect();
        if method["module"] == json!(class) {
            names.insert(0, method["function"].as_str().unwrap());
        }
        let Some(first) = names.first() else {
            continue;
        };
        let index = object.method(first);
        for name in &names {
            assert_eq!(object.find_method(name), index, "{class}.{name}");
        }
        let params = method["params"].as_array().unwrap();
        let has = |key: &str| params.iter().any(|p| p["key"] == json!(key));
        let folded = has("file") && has("data_base64");
        assert_eq!(
            object.n_params(index),
            params.len() - usize::from(folded),
            "{class}.{first}"
        );
    }

    // Properties: read-only, both names, any case.
    // SAFETY: a live object.
    unsafe {
        assert_eq!((object.vt().get_n_props)(object.this()), 3);
        for (index, (english, russian)) in [
            ("Version", "Версия"),
            ("LastError", "ПоследняяОшибка"),
            ("LastReply", "ПоследнийОтвет"),
        ]
        .into_iter()
        .enumerate()
        {
            let index = index as c_long;
            assert_eq!(
                object.take_name((object.vt().get_prop_name)(object.this(), index, 0)),
                english
            );
            assert_eq!(
                object.take_name((object.vt().get_prop_name)(object.this(), index, 1)),
                russian
            );
            for name in case_variants(english).iter().chain(&case_variants(russian)) {
                assert_eq!(object.find_prop(name), index, "{class}: FindProp({name})");
            }
            assert!((object.vt().is_prop_readable)(object.this(), index));
            assert!(!(object.vt().is_prop_writable)(object.this(), index));
        }
        let text = wide("x");
        let mut value = Variant::pwstr(&text);
        assert!(
            !(object.vt().set_prop_val)(object.this(), 1, &mut value),
            "LastError is read-only"
        );
        assert_eq!(object.connection.take_errors().len(), 1);
    }
    let version = object.property("Версия");
    assert!(!version.text().is_empty());

    // Call returns the envelope, also of a failure, which it does not raise; it resolves a bare
    // name in the object's module and keeps a failure in LastError.
    let reply = object.ok("Call", &[Arg::Str("Library.Version"), Arg::Str("")]).json();
    assert_eq!(reply["result"]["version"].as_str(), Some(version.text()));
    assert_eq!(object.property("LastError"), Value::Str(String::new()));
    let reply = object.ok("вызвать", &[Arg::Str("NoSuchMethod"), Arg::Str("{}")]).json();
    assert_eq!(reply["error"]["code"], json!("unknown_method"));
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("{class}.NoSuchMethod")));
    assert_eq!(object.property("LastError").json(), reply);

    // A failing member: AddError with the message and code, then false; LastError keeps it.
    let failure = object.fail("CancelJob", &[Arg::Str("no-such-job")]);
    assert_eq!(failure.errors[0].code, 1006);
    assert_eq!(failure.errors[0].source, format!("DiskBridge.{class}.CancelJob"));
    assert!(
        failure.errors[0].description.ends_with("[unknown_job]"),
        "{:?}",
        failure.errors
    );
    assert_eq!(failure.last_error["error"]["code"], json!("unknown_job"));

    object.teardown(how);
}

/// The panic boundary through the add-in: the hidden `Library.Panic` answers `internal` through
/// `Call` and through a job (whose end is still announced), and the object goes on serving calls.
#[cfg(not(windows))]
fn panic_boundary(library: &Library, memory: &MemoryManager) {
    let object = Object::create(library, memory, "Library");
    let reply = object.ok("Call", &[Arg::Str("Library.Panic"), Arg::Str("")]).json();
    assert_eq!(reply["error"]["code"], json!("internal"), "{reply}");
    assert_eq!(object.property("LastError").json(), reply);
    let version = object.ok("Version", &[]).json();
    assert!(version["version"].is_string(), "{version}");

    let job = object.ok("StartJob", &[Arg::Str("Panic"), Arg::Str("")]);
    let job = job.text();
    let event = object
        .connection
        .wait_for_event(job, EVENT_TIMEOUT)
        .expect("JobFinished arrives for a job that panicked");
    assert_eq!(
        (event.source.as_str(), event.message.as_str()),
        ("DiskBridge", "JobFinished")
    );
    let status = object.ok("JobStatus", &[Arg::Str(job)]).json();
    assert_eq!(status["state"], json!("failed"), "{status}");
    assert_eq!(status["reply"]["error"]["code"], json!("internal"), "{status}");

    let reply = object.ok("Call", &[Arg::Str("Version"), Arg::Str("")]).json();
    assert_eq!(reply["ok"], json!(true), "{reply}");
    object.teardown(Teardown::OneC);
}

/// The sandbox: a binary started on a free port and killed at the end, or the URL of one that
/// runs elsewhere (under Wine, the Linux sandbox on 127.0.0.1).
struct Sandbox {
    child: Option<Child>,
    url: String,
}

impl Sandbox {
    fn start(binary_or_url: &str) -> Sandbox {
        if binary_or_url.starts_with("http://") {
            return Sandbox {
                child: None,
                url: binary_or_url.to_string(),
            };
        }
        let binary = binary_or_url;
        let mut child = Command::new(binary)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        let url = url.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "sandbox URL: {url:?}");
        Sandbox {
            child: Some(child),
            url,
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The person's step of the device flow: the form POST of the code to the verification page.
fn approve(verification_url: &str, user_code: &str) {
    let rest = verification_url.strip_prefix("http://").expect("a sandbox page");
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    assert!(
        user_code.chars().all(|c| c.is_ascii_alphanumeric()),
        "needs no form encoding"
    );
    let body = format!("user_code={user_code}");
    let mut stream = TcpStream::connect(authority).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "approval: {}",
        response.lines().next().unwrap_or("")
    );
}

/// A temporary folder, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("diskbridge-onec-host-{}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn round_trip(library: &Library, memory: &MemoryManager, sandbox_url: &str) {
    let settings = Object::create(library, memory, "Library");
    let configured = settings.ok("Настроить", &[Arg::Str(""), Arg::Str(sandbox_url)]).json();
    assert_eq!(configured["sandbox"], json!(sandbox_url));

    // Sign-in: the device flow, as a 1C form does it.
    let id = Object::create(library, memory, "YandexID");
    let code = id.ok("GetConfirmationCode", &[Arg::Str(YANDEX_CLIENT_ID)]).json();
    approve(
        code["verification_url"].as_str().unwrap(),
        code["user_code"].as_str().unwrap(),
    );
    let tokens = id
        .ok(
            "ПреобразоватьКодВТокен",
            &[
                Arg::Str(YANDEX_CLIENT_ID),
                Arg::Str(YANDEX_CLIENT_SECRET),
                Arg::Str(code["device_code"].as_str().unwrap()),
            ],
        )
        .json();
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let token = token.as_str();

    // Binary data in and out, a name beyond the BMP, mixed-case and Russian method names.
    let disk = Object::create(library, memory, "YandexDisk");
    disk.method("ПолучитьКодПодтверждения");
    disk.ok(
        "СоздатьПапку",
        &[Arg::Str(token), Arg::Str("app:/backup"), Arg::Bool(true)],
    );
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 31 + i / 977) as u8).collect();
    let path = "app:/backup/данные 😀.bin";
    let uploaded = disk
        .ok(
            "uploadFILE",
            &[Arg::Str(token), Arg::Str(path), Arg::Blob(&bytes), Arg::Bool(true)],
        )
        .json();
    assert_eq!(uploaded["name"], json!("данные 😀.bin"));
    assert_eq!(uploaded["size"], json!(bytes.len()));
    assert_eq!(
        disk.ok("СкачатьФайл", &[Arg::Str(token), Arg::Str(path)]),
        Value::Blob(bytes.clone())
    );
    let reply = disk.property("LastReply").json();
    assert_eq!(
        reply["result"]["size"],
        json!(bytes.len()),
        "LastReply keeps the whole reply"
    );
    assert_eq!(disk.property("LastError"), Value::Str(String::new()));

    // Files by path.
    let temp = TempDir::new();
    let (source, target) = (temp.file("source.bin"), temp.file("target.bin"));
    std::fs::write(&source, &bytes[..100_000]).unwrap();
    disk.ok(
        "UploadFile",
        &[
            Arg::Str(token),
            Arg::Str("app:/backup/from-file.bin"),
            Arg::Str(&source),
            Arg::Bool(true),
        ],
    );
    let saved = disk
        .ok(
            "DownloadFile",
            &[
                Arg::Str(token),
                Arg::Str("app:/backup/from-file.bin"),
                Arg::Str(&target),
            ],
        )
        .json();
    assert_eq!(saved["size"], json!(100_000));
    assert_eq!(std::fs::read(&target).unwrap(), &bytes[..100_000]);

    // Numbers as I4 and R8.
    let list = disk
        .ok("GetFilesList", &[Arg::Str(token), Arg::I4(10), Arg::R8(0.0)])
        .json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");

    // Errors: AddError + false, the envelope in LastError; the next success clears it.
    let failure = disk.fail("GetObject", &[Arg::Str(token), Arg::Str("app:/backup/missing")]);
    assert_eq!(failure.errors[0].source, "DiskBridge.YandexDisk.GetObject");
    assert!(
        failure.errors[0].description.ends_with("[not_found]"),
        "{:?}",
        failure.errors
    );
    assert_eq!(failure.last_error["error"]["code"], json!("not_found"));
    disk.ok("GetDiskInformation", &[Arg::Str(token)]);
    assert_eq!(disk.property("ПоследняяОшибка"), Value::Str(String::new()));
    let failure = disk.fail("GetObject", &[Arg::Str(token), Arg::Blob(b"not a path")]);
    assert_eq!(failure.last_error["error"]["code"], json!("invalid_params"));
    assert!(failure.errors[0].description.contains("Path (Путь)"));

    // The calendar over CalDAV, its listener found through the configured sandbox.
    let calendar = Object::create(library, memory, "YandexCalendar");
    let calendars = calendar.ok("ПолучитьКалендари", &[Arg::Str(token)]).json();
    let ids: Vec<&str> = calendars["calendars"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.contains(&"events-default"), "{calendars}");
    calendar.teardown(Teardown::OneC);

    // A job: StartJob returns at once, ExternalEvent reports the end, JobStatus the reply.
    let params = json!({"token": token, "path": "app:/backup/job.bin", "file": source, "overwrite": true});
    let job = disk.ok("StartJob", &[Arg::Str("UploadFile"), Arg::Str(&params.to_string())]);
    let job = job.text();
    let event = disk
        .connection
        .wait_for_event(job, EVENT_TIMEOUT)
        .expect("JobFinished arrives");
    assert_eq!(
        (event.source.as_str(), event.message.as_str()),
        ("DiskBridge", "JobFinished")
    );
    let status = disk.ok("СостояниеЗадания", &[Arg::Str(job)]).json();
    assert_eq!(status["state"], json!("done"), "{status}");
    assert_eq!(status["reply"]["result"]["size"], json!(100_000));
    assert_eq!(
        disk.ok("CancelJob", &[Arg::Str(job)]),
        Value::Bool(false),
        "already ended"
    );
    assert!(disk.call_proc("ОтменитьЗадание", &[job]));

    // The generic route, with the whole envelope.
    let reply = disk
        .ok(
            "Call",
            &[
                Arg::Str("GetObject"),
                Arg::Str(&json!({"token": token, "path": path}).to_string()),
            ],
        )
        .json();
    assert_eq!(reply["result"]["size"], json!(bytes.len()));

    mail_count(library, memory, &id, token);

    settings.teardown(Teardown::OneC);
    id.teardown(Teardown::OneC);
    disk.teardown(Teardown::OneScript);
}

/// Yandex 360: the owner lets the service application read mail, exchanges a token for an
/// employee and counts the employee's mailbox over IMAP, with positional Russian names.
fn mail_count(library: &Library, memory: &MemoryManager, id: &Object, owner: &str) {
    const SERVICE_ID: &str = "sandbox-yandex-service-app";
    const IVAN: &str = "ivan.petrov@sandbox-org.ru";
    let y360 = Object::create(library, memory, "Yandex360");
    y360.ok(
        "АктивироватьСервисныеПриложения",
        &[Arg::Str(owner), Arg::I4(7_654_321)],
    );
    y360.ok(
        "AddServiceApplication",
        &[
            Arg::Str(owner),
            Arg::I4(7_654_321),
            Arg::Str(SERVICE_ID),
            Arg::Str("mail:imap_ro"),
        ],
    );
    let exchanged = id
        .ok(
            "ПолучитьТокенПользователяОрганизации",
            &[
                Arg::Str(SERVICE_ID),
                Arg::Str("sandbox-yandex-service-secret"),
                Arg::Str(""),
                Arg::Str(IVAN),
            ],
        )
        .json();
    let token = exchanged["access_token"].as_str().unwrap();
    let mail = Object::create(library, memory, "YandexMail");
    let counted = mail
        .ok("ПолучитьКоличествоПисем", &[Arg::Str(token), Arg::Str(IVAN)])
        .json();
    assert_eq!(counted["total"], json!(12), "{counted}");
    y360.teardown(Teardown::OneC);
    mail.teardown(Teardown::OneC);
}

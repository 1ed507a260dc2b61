//! A randomized test of `diskbridge_call` with a fixed seed (issue 13): method names — every
//! registered one and its aliases, and mutations of them — with parameter JSON of random types,
//! sizes, nesting and text (unicode, NUL, control characters, dot segments, huge numbers, long
//! keys), against a sandbox so calls reach the network code. Every reply must be an envelope
//! whose code is not `internal` (a caught panic), every call must end in bounded time, and
//! memory must stay bounded.
//!
//! It runs for `DISKBRIDGE_FUZZ_SECONDS` (default 20) or `DISKBRIDGE_FUZZ_ITERATIONS` calls,
//! whichever ends first, from `DISKBRIDGE_FUZZ_SEED` (default fixed): a failure names the seed
//! and the call, so it can be replayed.
//!
//! Kept out of the fuzzed calls, because they would act on the machine rather than on the
//! sandbox: `Library.Configure` (process-wide settings; tested on its own), local paths
//! (`file`, `save_path`, `local_dir` and a key file always point into a temporary folder),
//! a listener's `port` (always 0), and the waits of sign-in polling and jobs (a few seconds at
//! most). Background jobs run only `Library.*` methods.

mod common;

use std::ffi::CString;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::rogue::rss_bytes;
use common::{sandbox, take_reply, TempDir, TestSandbox};
use diskbridge::ffi::diskbridge_call;
use diskbridge::registry::{Param, ParamType};
use serde_json::{json, Map, Value};

const DEFAULT_SEED: u64 = 0x5eed_d15c_b21d_6e13;
/// One call may take this long at most (the sandbox answers in milliseconds; retries are cut
/// short by the options every call gets).
const CALL_LIMIT: Duration = Duration::from_secs(30);
/// Generous: the calls hold a few MiB at a time.
const RSS_GROWTH_BOUND: u64 = 512 << 20;

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const TEXTS: &[&str] = &[
    "",
    " ",
    ".",
    "..",
    "/",
    "disk:/",
    "app:/",
    "trash:/",
    "../../etc",
    "a/../..",
    "%2e%2e",
    "?x=1#f",
    "\u{0}",
    "a\u{0}b",
    "\r\n",
    "x\r\nX-Injected: 1",
    "\u{7f}",
    "\t",
    "💾",
    "Привет",
    "\u{202e}evil",
    "\u{fffd}",
    "null",
    "true",
    "1e300",
    "-1",
    "18446744073709551616",
    "{}",
    "[]",
    "{\"a\":1}",
    "http://example.invalid/",
    "file:///etc/passwd",
    "data:,x",
    "https://127.0.0.1:1/",
];

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.5",
    "-0.0",
    "1e300",
    "-1e300",
    "1e-300",
    "9007199254740991",
    "9007199254740992",
    "18446744073709551615",
    "18446744073709551616",
    "4294967296",
    "31536000",
    "31536001",
    "3.0",
];

/// Keys whose values would reach the local machine: kept inside the temporary folder.
const LOCAL_PATHS: &[&str] = &["file", "save_path", "local_dir", "key", "path_to_file"];

struct Fuzzer {
    random: Random,
    names: Vec<String>,
    temp: TempDir,
    token: Value,
    google_token: Value,
    options: Value,
}

impl Fuzzer {
    fn text(&mut self) -> String {
        match self.random.below(10) {
            0..=4 => self.random.pick(TEXTS).to_string(),
            5 | 6 => {
                let length = self.random.below(40) as usize;
                (0..length)
                    .map(|_| char::from_u32(self.random.below(0x3000) as u32).unwrap_or('?'))
                    .collect()
            }
            7 => "x".repeat(self.random.below(1 << 20) as usize),
            8 => self.random.pick(&self.names).clone(),
            _ => format!("{}{}", self.random.pick(TEXTS), self.random.pick(TEXTS)),
        }
    }

    fn number(&mut self) -> Value {
        let literal = *self.random.pick(NUMBERS);
        serde_json::from_str(literal).unwrap_or_else(|_| json!(literal))
    }

    /// A random JSON value, nested up to `depth`.
    fn value(&mut self, depth: u32) -> Value {
        match self.random.below(if depth == 0 { 5 } else { 7 }) {
            0 => Value::Null,
            1 => json!(self.random.chance(50)),
            2 => self.number(),
            3 | 4 => json!(self.text()),
            5 => {
                let length = self.random.below(5);
                Value::Array((0..length).map(|_| self.value(depth - 1)).collect())
            }
            _ => {
                let mut map = Map::new();
                for _ in 0..self.random.below(5) {
                    let key = self.text();
                    let value = self.value(depth - 1);
                    map.insert(key, value);
                }
                Value::Object(map)
            }
        }
    }

    /// A method name: a registered one, or a mutation of one.
    fn method(&mut self) -> String {
        let name = self.random.pick(&self.names).clone();
        if self.random.chance(75) {
            return name;
        }
        match self.random.below(7) {
            0 => name.to_uppercase(),
            1 => name.chars().rev().collect(),
            2 => {
                let keep = self.random.below(name.chars().count() as u64) as usize;
                name.chars().take(keep).collect()
            }
            3 => format!("{name}{}", self.text().replace('\0', "")),
            4 => self.text().replace('\0', ""),
            5 => format!(" {name} "),
            _ => name,
        }
    }

    /// Parameters for `method`: its own keys (canonical, OPI and Russian names) with random
    /// values, and random keys beside them; local paths and waits kept safe.
    fn params(&mut self, method: &str) -> Value {
        let mut params = Map::new();
        if let Some(found) = diskbridge::registry::find(method) {
            for param in found.all_params() {
                if !self.random.chance(70) {
                    continue;
                }
                let names: Vec<&str> = [param.key, param.opi, param.opi_ru, param.cli]
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .collect();
                let key = self.random.pick(&names).to_string();
                let value = self.param_value(param);
                params.insert(key, value);
            }
        }
        if self.random.chance(15) {
            let (key, value) = (self.text(), self.value(3));
            params.insert(key, value);
        }
        // The sandbox, with short retries and timeouts, unless the fuzzer gave options of its own.
        if !params.contains_key("options") || self.random.chance(50) {
            params.insert("options".into(), self.options.clone());
        }
        Value::Object(params)
    }

    /// A value for `param`: mostly of its type (so calls get past decoding to the network),
    /// sometimes anything at all.
    fn param_value(&mut self, param: &Param) -> Value {
        let key = param.key;
        if LOCAL_PATHS.contains(&key) {
            let name = self.text().replace(['/', '\\', '\0'], "_");
            let name: String = name.chars().take(50).collect();
            return json!(self.temp.path(&format!("f{name}")));
        }
        match key {
            "port" => json!(0),
            "timeout_s" | "interval" => json!(self.random.below(3)),
            "token" if self.random.chance(50) => self.token.clone(),
            "token" if self.random.chance(50) => self.google_token.clone(),
            "method" => json!(*self.random.pick(&["Library.Version", "Library.Methods", "No.Such", ""])),
            "options" if self.random.chance(50) => {
                let mut options = self.options.clone();
                let (key, value) = (self.text(), self.value(2));
                options[key] = value;
                options
            }
            "options" => self.options.clone(),
            _ if self.random.chance(25) => self.value(3),
            _ => match param.ty {
                ParamType::String | ParamType::StringOrArray | ParamType::ObjectOrString => json!(self.text()),
                ParamType::Bool => json!(self.random.chance(50)),
                ParamType::Integer if self.random.chance(80) => json!(self.random.below(1000)),
                ParamType::Integer => self.number(),
                _ => self.value(3),
            },
        }
    }
}

/// Raw parameter texts that are not objects, not JSON, or deeply nested.
fn raw_params(random: &mut Random) -> String {
    match random.below(6) {
        0 => "{".into(),
        1 => "[1, 2".into(),
        2 => format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        3 => format!("{{\"a\":{}1{}}}", "{\"b\":".repeat(5000), "}".repeat(5000)),
        4 => "\"\\ud800\"".into(),
        _ => "{\"a\": 1, \"a\": 2}".into(),
    }
}

/// Calls through the C ABI on a thread, failing if it does not end within `CALL_LIMIT`.
fn bounded_call(method: String, params: String) -> Value {
    let (done, finished) = mpsc::channel();
    let what = format!("{method} {}", params.chars().take(300).collect::<String>());
    std::thread::spawn(move || {
        let method = CString::new(method).unwrap();
        let params = CString::new(params).unwrap();
        // SAFETY: valid NUL-terminated strings; the reply is freed once.
        let reply = unsafe { take_reply(diskbridge_call(method.as_ptr(), params.as_ptr())) };
        let _ = done.send(reply);
    });
    finished
        .recv_timeout(CALL_LIMIT)
        .unwrap_or_else(|_| panic!("a call did not end within {CALL_LIMIT:?}: {what}"))
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn fuzzer(sb: &TestSandbox, seed: u64) -> Fuzzer {
    let mut names = Vec::new();
    for method in diskbridge::registry::methods() {
        names.push(method.full_name());
        if !method.name_ru.is_empty() {
            names.push(format!("{}.{}", method.module, method.name_ru));
        }
        names.extend(method.aliases.iter().map(|a| a.to_string()));
    }
    names.retain(|name| diskbridge::registry::find(name).is_none_or(|m| m.full_name() != "Library.Configure"));
    Fuzzer {
        random: Random(seed),
        names,
        temp: TempDir::new("fuzz"),
        token: sb.sign_in()["access_token"].clone(),
        google_token: sb.google_sign_in()["access_token"].clone(),
        options: json!({
            "sandbox": sb.url(),
            "retries": {"max_attempts": 2, "base_delay_ms": 1, "max_delay_ms": 5},
            "timeouts": {"connect_s": 2, "read_s": 5, "total_s": 10},
            "transfers": {"operation_timeout_s": 3},
        }),
    }
}

#[test]
fn random_calls_never_panic_hang_or_grow() {
    let seed = setting("DISKBRIDGE_FUZZ_SEED", DEFAULT_SEED);
    let seconds = setting("DISKBRIDGE_FUZZ_SECONDS", 20);
    let iterations = setting("DISKBRIDGE_FUZZ_ITERATIONS", 1_000_000);
    let sb = sandbox();
    let mut fuzz = fuzzer(&sb, seed);
    let before = rss_bytes();
    let started = Instant::now();
    let mut calls = 0u64;
    let mut codes = std::collections::BTreeMap::<String, u64>::new();
    while calls < iterations && started.elapsed() < Duration::from_secs(seconds) {
        calls += 1;
        let method = fuzz.method();
        let params = if fuzz.random.chance(5) {
            raw_params(&mut fuzz.random)
        } else {
            let params = fuzz.params(&method);
            params.to_string()
        };
        let shown = format!("seed {seed:#x}, call {calls}: {method}");
        let reply = bounded_call(method, params.clone());
        let code = match reply["ok"] {
            Value::Bool(true) => "ok".to_string(),
            Value::Bool(false) => reply["error"]["code"].as_str().unwrap_or("?").to_string(),
            _ => panic!("{shown}: not an envelope: {reply}"),
        };
        assert_ne!(
            code,
            "internal",
            "{shown} {}: {reply}",
            params.chars().take(500).collect::<String>()
        );
        assert!(reply["error"]["code"].is_string() || code == "ok", "{shown}: {reply}");
        *codes.entry(code).or_default() += 1;
    }
    let grown = rss_bytes().saturating_sub(before);
    println!(
        "{calls} calls from seed {seed:#x} in {:?}: {codes:?}",
        started.elapsed()
    );
    assert!(calls >= 50, "too few calls to mean anything: {calls}");
    assert!(grown < RSS_GROWTH_BOUND, "memory grew by {} MiB", grown >> 20);
    // The sandbox was reached, so the network code was exercised.
    assert!(!sb.requests().is_empty());
}

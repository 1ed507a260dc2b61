//! One add-in object: its class, the platform's memory manager and connection, the last reply,
//! and what its members do. Safe Rust: `component` decodes the platform's arguments into
//! `Arg`s and writes the `Ret` back.

use std::sync::{Arc, Mutex, MutexGuard};

use diskbridge::{error_reply, ErrorCode, Progress};
use serde_json::{json, Value};

use crate::abi::{Connection, MemoryManager};
use crate::classes::{Action, Class, Member, Property, PROPERTIES};
use crate::values::{params_object, result_value, text_arg, Arg, Ret};

/// `ExternalEvent` source of every event this add-in sends.
pub const EVENT_SOURCE: &str = "DiskBridge";
/// `ExternalEvent` message when a job started with `StartJob` ends; the data is the job id.
pub const JOB_FINISHED: &str = "JobFinished";
/// Events the platform should keep queued for this object (1C's default depth is 1, which
/// drops all but one of several jobs finishing together).
const EVENT_BUFFER_DEPTH: std::ffi::c_long = 64;
/// How long one `Jobs.Wait` of a job watcher lasts before it waits again.
const WATCH_SLICE_S: u64 = 3600;

/// The platform's connection, shared with the job watchers, which send `ExternalEvent` from
/// library threads; `Done` empties it under the lock, so no event is sent after `Done`.
#[derive(Default)]
pub struct Host(Mutex<Option<Connection>>);

impl Host {
    fn connection(&self) -> MutexGuard<'_, Option<Connection>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct Addin {
    pub class: &'static Class,
    pub memory: Option<MemoryManager>,
    host: Arc<Host>,
    last_error: String,
    last_reply: String,
}

impl Addin {
    pub fn new(class: &'static Class) -> Addin {
        Addin {
            class,
            memory: None,
            host: Arc::default(),
            last_error: String::new(),
            last_reply: String::new(),
        }
    }

    /// `Init`: keeps the connection and asks the platform to queue enough events.
    pub fn init(&mut self, connection: Option<Connection>) {
        if let Some(connection) = &connection {
            if connection.event_buffer_depth() < EVENT_BUFFER_DEPTH {
                connection.set_event_buffer_depth(EVENT_BUFFER_DEPTH);
            }
        }
        *self.host.connection() = connection;
    }

    /// `Done`: forgets the platform's interfaces; running jobs go on, but send no events.
    pub fn done(&mut self) {
        *self.host.connection() = None;
        self.memory = None;
    }

    /// Reports an error to the platform (1C raises it when the entry point then returns false).
    pub fn add_error(&self, what: &str, message: &str) {
        if let Some(connection) = self.host.connection().as_ref() {
            connection.add_error(&format!("{EVENT_SOURCE}.{}.{what}", self.class.name), message);
        }
    }

    pub fn property(&self, property: Property) -> String {
        match property {
            Property::Version => diskbridge::VERSION.to_string(),
            Property::LastError => self.last_error.clone(),
            Property::LastReply => self.last_reply.clone(),
        }
    }

    /// Calls member `index` with `args`. On failure the error envelope is kept in LastError,
    /// reported with `AddError`, and `None` is returned (the entry point then returns false).
    pub fn invoke(&mut self, index: usize, args: &[Arg]) -> Option<Ret> {
        let class: &'static Class = self.class;
        let member = &class.members[index];
        self.last_error.clear();
        match self.run_member(member, args) {
            Ok(ret) => Some(ret),
            Err(reply) => {
                self.report(&member.name, reply);
                None
            }
        }
    }

    /// A failure outside the library (a panic caught at the boundary, memory refused by the
    /// platform): kept and reported like any other.
    pub fn fail(&mut self, what: &str, code: ErrorCode, message: &str) {
        self.report(what, error_reply(code, message));
    }

    /// Keeps an error reply in LastError and LastReply and reports "message [code]".
    fn report(&mut self, what: &str, reply: Value) {
        let error = &reply["error"];
        let message = format!(
            "{} [{}]",
            error["message"].as_str().unwrap_or("failed"),
            error["code"].as_str().unwrap_or("internal")
        );
        self.last_error = reply.to_string();
        self.last_reply.clone_from(&self.last_error);
        self.add_error(what, &message);
    }

    /// Runs a member; `Err` carries an error reply envelope.
    fn run_member(&mut self, member: &Member, args: &[Arg]) -> Result<Ret, Value> {
        let text = |index: usize| text_arg(args, index, &member.slots[index]).map_err(invalid_params);
        match member.action {
            Action::Method(method) => {
                let params = params_object(method, &member.slots, args).map_err(invalid_params)?;
                let reply = self.call(&method.full_name(), Value::Object(params))?;
                result_value(&reply["result"]).map_err(|e| error_reply(ErrorCode::Internal, e))
            }
            Action::Call => {
                let (method, params) = (self.qualified(&text(0)?), text(1)?);
                let params = if params.is_empty() { "{}" } else { &params };
                let reply = diskbridge::call(&method, params);
                let parsed: Value = serde_json::from_str(&reply).unwrap_or(Value::Null);
                self.last_reply.clone_from(&reply);
                if parsed["ok"] != json!(true) {
                    self.last_error.clone_from(&reply);
                }
                Ok(Ret::Str(reply))
            }
            Action::StartJob => {
                let (method, params) = (self.qualified(&text(0)?), text(1)?);
                let params = if params.is_empty() { "{}".to_string() } else { params };
                let reply = self.call("Jobs.Start", json!({"method": method, "params": params}))?;
                let job_id = reply["result"]["job_id"].as_str().unwrap_or_default().to_string();
                self.watch(job_id.clone());
                Ok(Ret::Str(job_id))
            }
            Action::JobStatus => {
                let reply = self.call("Jobs.Status", json!({"job_id": text(0)?}))?;
                Ok(Ret::Str(reply["result"].to_string()))
            }
            Action::CancelJob => {
                let reply = self.call("Jobs.Cancel", json!({"job_id": text(0)?}))?;
                Ok(Ret::Bool(reply["result"]["cancelled"] == json!(true)))
            }
        }
    }

    /// Runs a method, blocking, and keeps its reply in LastReply; `Err` if it failed.
    fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let reply = diskbridge::call_json(method, params, &Progress::default());
        self.last_reply = reply.to_string();
        if reply["ok"] == json!(true) {
            Ok(reply)
        } else {
            Err(reply)
        }
    }

    /// A method name given to `Call` or `StartJob`: "Module.Function" as it is, a bare function
    /// name in this object's module.
    fn qualified(&self, method: &str) -> String {
        if method.contains('.') {
            method.to_string()
        } else {
            format!("{}.{}", self.class.name, method.trim())
        }
    }

    /// Sends `JobFinished` with the job id once the job ends, if the object still has its
    /// connection then.
    fn watch(&self, job_id: String) {
        let host = Arc::clone(&self.host);
        diskbridge::spawn(async move {
            loop {
                let status = diskbridge::call_async(
                    "Jobs.Wait",
                    // Only the state: the reply is handed out once, to the form's JobStatus.
                    json!({"job_id": job_id, "timeout_s": WATCH_SLICE_S, "reply": false}),
                    &Progress::default(),
                )
                .await;
                if status["result"]["state"] != json!("running") {
                    break;
                }
            }
            if let Some(connection) = host.connection().as_ref() {
                connection.external_event(EVENT_SOURCE, JOB_FINISHED, &job_id);
            }
        });
    }
}

fn invalid_params(message: String) -> Value {
    error_reply(ErrorCode::InvalidParams, message)
}

/// Property `index`'s international or Russian name.
pub fn property_name(index: usize, russian: bool) -> Option<&'static str> {
    let (_, en, ru) = PROPERTIES.get(index)?;
    Some(if russian { ru } else { en })
}

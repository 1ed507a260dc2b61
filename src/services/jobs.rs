//! `Jobs.*`: any method run in the background, for hosts that cannot pass a progress callback
//! or must not block (a 1C client form): start, poll, wait, cancel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::error::{Error, ErrorCode, Result};
use crate::progress::Progress;
use crate::schema::{handler, Auth, Call, Method, Origin, Param, ParamType};
use crate::sync::lock;
use crate::transfer::hex;

const MODULE: &str = "Jobs";
/// Finished jobs are forgotten this long after they end (or sooner past `MAX_FINISHED`).
const KEEP_FINISHED: Duration = Duration::from_secs(3600);
const MAX_FINISHED: usize = 1000;

const JOB_ID: Param = Param::string("job_id", "The id Jobs.Start returned.").required();

pub(crate) const METHODS: &[Method] = &[
    Method {
        module: MODULE,
        name: "Start",
        name_ru: "Запустить",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[
            Param::string("method", "The method to run, e.g. \"YandexDisk.UploadFile\".").required(),
            Param::new("params", ParamType::Object, "Its parameters.").default("{}"),
        ],
        doc: "Runs any method in the background and returns at once.",
        result: "`{\"job_id\"}`",
        handler: handler!(start),
    },
    Method {
        module: MODULE,
        name: "Status",
        name_ru: "Состояние",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[JOB_ID],
        doc: "Where a job is: `running`, `done`, `failed` or `cancelled`, with its progress; a finished job carries the method's reply envelope.",
        result: "`{\"state\", \"done\", \"total\", \"reply\"?}`",
        handler: handler!(status),
    },
    Method {
        module: MODULE,
        name: "Wait",
        name_ru: "Ожидать",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[JOB_ID, Param::new("timeout_s", ParamType::Integer, "Wait at most this long.").default("60")],
        doc: "Waits until the job ends or the timeout passes.",
        result: "as Jobs.Status",
        handler: handler!(wait),
    },
    Method {
        module: MODULE,
        name: "Cancel",
        name_ru: "Отменить",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[JOB_ID],
        doc: "Asks a running job to stop; it ends `cancelled`, leaving nothing partial behind.",
        result: "`{\"cancelled\": true}` if the job was running, `false` if it had already ended",
        handler: handler!(cancel),
    },
];

struct Job {
    progress: Progress,
    /// The reply envelope, once the job has ended.
    reply: Mutex<Option<Value>>,
    ended: tokio::sync::Notify,
    ended_at: Mutex<Option<Instant>>,
}

fn jobs() -> &'static Mutex<HashMap<String, Arc<Job>>> {
    static JOBS: OnceLock<Mutex<HashMap<String, Arc<Job>>>> = OnceLock::new();
    JOBS.get_or_init(Default::default)
}

fn find(call: &Call) -> Result<Arc<Job>> {
    let id = call.args.str("job_id")?;
    lock(jobs()).get(id).cloned().ok_or_else(|| {
        Error::new(
            ErrorCode::UnknownJob,
            format!("no job `{id}` (finished jobs are kept for an hour)"),
        )
    })
}

/// Forgets jobs that ended long ago, and the oldest ended ones past the limit.
fn forget_old(jobs: &mut HashMap<String, Arc<Job>>) {
    let ended_at = |job: &Job| *lock(&job.ended_at);
    jobs.retain(|_, job| ended_at(job).is_none_or(|at| at.elapsed() < KEEP_FINISHED));
    let mut ended: Vec<(Instant, String)> = jobs
        .iter()
        .filter_map(|(id, job)| ended_at(job).map(|at| (at, id.clone())))
        .collect();
    if ended.len() > MAX_FINISHED {
        ended.sort();
        for (_, id) in ended.iter().take(ended.len() - MAX_FINISHED) {
            jobs.remove(id);
        }
    }
}

async fn start(call: Call) -> Result<Value> {
    let method = call.args.str("method")?.to_string();
    let params = call.args.value("params").cloned().unwrap_or_else(|| json!({}));
    let mut id_bytes = [0u8; 12];
    getrandom::fill(&mut id_bytes).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
    let id = hex(&id_bytes);
    let job = Arc::new(Job {
        progress: Progress::default(),
        reply: Mutex::new(None),
        ended: tokio::sync::Notify::new(),
        ended_at: Mutex::new(None),
    });
    {
        let mut jobs = lock(jobs());
        forget_old(&mut jobs);
        jobs.insert(id.clone(), job.clone());
    }
    // The run answers even when the method panics (an `internal` reply), so a job always ends.
    let running = (call.dispatch.run)(method, params, job.progress.clone());
    crate::runtime::runtime().spawn(async move {
        let reply = running.await;
        *lock(&job.reply) = Some(reply);
        *lock(&job.ended_at) = Some(Instant::now());
        job.ended.notify_waiters();
    });
    Ok(json!({"job_id": id}))
}

fn describe(job: &Job) -> Value {
    let (done, total) = job.progress.counters();
    let reply = lock(&job.reply).clone();
    let state = match &reply {
        None => "running",
        Some(reply) if reply["ok"] == json!(true) => "done",
        Some(reply) if reply["error"]["code"] == json!("cancelled") => "cancelled",
        Some(_) => "failed",
    };
    let mut status = json!({"state": state, "done": done, "total": total});
    if let Some(reply) = reply {
        status["reply"] = reply;
    }
    status
}

async fn status(call: Call) -> Result<Value> {
    let job = find(&call)?;
    Ok(describe(&job))
}

async fn wait(call: Call) -> Result<Value> {
    let job = find(&call)?;
    let timeout = Duration::from_secs(call.args.opt_u64("timeout_s").unwrap_or(60));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        // Registered before the check, so an end between the two is not missed.
        let ended = job.ended.notified();
        if lock(&job.reply).is_some() {
            break;
        }
        let slice = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .min(Duration::from_millis(100));
        if slice.is_zero() {
            break;
        }
        // Wakes at the end, or every slice to let this call itself be cancelled.
        let _ = tokio::time::timeout(slice, ended).await;
        call.ctx.progress.check()?;
    }
    Ok(describe(&job))
}

async fn cancel(call: Call) -> Result<Value> {
    let job = find(&call)?;
    let running = lock(&job.reply).is_none();
    if running {
        job.progress.cancel();
    }
    Ok(json!({"cancelled": running}))
}

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
/// Replies not yet handed out are kept up to this many bytes (of their JSON) in all; past it,
/// the oldest are released as if handed out. A reply carrying a download's base64 data may
/// weigh tens of MiB.
const MAX_KEPT_REPLY_BYTES: usize = 256 << 20;

const JOB_ID: Param = Param::string("job_id", "The id Jobs.Start returned.").required();
const REPLY: Param = Param::boolean(
    "reply",
    "true",
    "Hand out the reply of a finished job (once: it is released afterwards); false gives only the state, for a watcher that waits on behalf of someone else.",
);

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
        params: &[JOB_ID, REPLY],
        doc: "Where a job is: `running`, `done`, `failed` or `cancelled`, with its progress; a finished job carries the method's reply envelope the first time it is asked for, and `released: true` afterwards (the reply is handed out once, then its memory is freed).",
        result: "`{\"state\", \"done\", \"total\", \"reply\"?, \"released\"?}`",
        handler: handler!(status),
    },
    Method {
        module: MODULE,
        name: "Wait",
        name_ru: "Ожидать",
        aliases: &[],
        origin: Origin::New,
        auth: Auth::None,
        params: &[JOB_ID, Param::seconds("timeout_s", "Wait at most this long.").default("60"), REPLY],
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

/// A background job. Its reply is kept until it is handed out once (or released to keep the
/// memory of all kept replies bounded); its state is kept for an hour after the end.
struct Job {
    progress: Progress,
    end: Mutex<Option<End>>,
    ended: tokio::sync::Notify,
}

/// How a job ended.
struct End {
    at: Instant,
    state: &'static str,
    /// The reply envelope, until handed out or released.
    reply: Option<Value>,
    /// The size of the reply's JSON, while it is kept.
    bytes: usize,
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
            format!(
                "no job `{}` (finished jobs are kept for an hour)",
                crate::error::excerpt(id, crate::error::ECHO_CHARS)
            ),
        )
    })
}

/// Forgets jobs that ended long ago, and the oldest ended ones past the limit.
fn forget_old(jobs: &mut HashMap<String, Arc<Job>>) {
    let ended_at = |job: &Job| lock(&job.end).as_ref().map(|end| end.at);
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

/// Releases the oldest kept replies until those left weigh at most `max_bytes`.
fn bound_kept_replies(jobs: &HashMap<String, Arc<Job>>, max_bytes: usize) {
    let mut kept: Vec<(Instant, &Arc<Job>, usize)> = jobs
        .values()
        .filter_map(|job| {
            let end = lock(&job.end);
            let end = end.as_ref().filter(|end| end.reply.is_some())?;
            Some((end.at, job, end.bytes))
        })
        .collect();
    let mut total: usize = kept.iter().map(|(_, _, bytes)| bytes).sum();
    kept.sort_by_key(|(at, _, _)| *at);
    for (_, job, bytes) in kept {
        if total <= max_bytes {
            break;
        }
        if let Some(end) = lock(&job.end).as_mut() {
            end.reply = None;
        }
        total -= bytes;
    }
}

/// The length of a value's JSON text, without making the text.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

async fn start(call: Call) -> Result<Value> {
    let method = call.args.str("method")?.to_string();
    let params = call.args.value("params").cloned().unwrap_or_else(|| json!({}));
    let mut id_bytes = [0u8; 12];
    getrandom::fill(&mut id_bytes).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
    let id = hex(&id_bytes);
    let job = Arc::new(Job {
        progress: Progress::default(),
        end: Mutex::new(None),
        ended: tokio::sync::Notify::new(),
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
        let state = match &reply {
            reply if reply["ok"] == json!(true) => "done",
            reply if reply["error"]["code"] == json!("cancelled") => "cancelled",
            _ => "failed",
        };
        let bytes = json_len(&reply);
        *lock(&job.end) = Some(End {
            at: Instant::now(),
            state,
            reply: Some(reply),
            bytes,
        });
        bound_kept_replies(&lock(jobs()), MAX_KEPT_REPLY_BYTES);
        job.ended.notify_waiters();
    });
    Ok(json!({"job_id": id}))
}

/// The job's state and progress; with `deliver`, the reply of an ended job, handed out once.
fn describe(job: &Job, deliver: bool) -> Value {
    let (done, total) = job.progress.counters();
    let mut end = lock(&job.end);
    let Some(end) = end.as_mut() else {
        return json!({"state": "running", "done": done, "total": total});
    };
    let mut status = json!({"state": end.state, "done": done, "total": total});
    match end.reply.take() {
        Some(reply) if deliver => status["reply"] = reply,
        Some(reply) => end.reply = Some(reply),
        None => status["released"] = json!(true),
    }
    status
}

async fn status(call: Call) -> Result<Value> {
    let job = find(&call)?;
    Ok(describe(&job, call.args.bool("reply")))
}

async fn wait(call: Call) -> Result<Value> {
    let job = find(&call)?;
    let timeout = Duration::from_secs(call.args.opt_u64("timeout_s").unwrap_or(60));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        // Registered before the check, so an end between the two is not missed.
        let ended = job.ended.notified();
        if lock(&job.end).is_some() {
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
    Ok(describe(&job, call.args.bool("reply")))
}

async fn cancel(call: Call) -> Result<Value> {
    let job = find(&call)?;
    let running = lock(&job.end).is_none();
    if running {
        job.progress.cancel();
    }
    Ok(json!({"cancelled": running}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(at: Instant, reply: Value) -> Arc<Job> {
        let bytes = json_len(&reply);
        Arc::new(Job {
            progress: Progress::default(),
            end: Mutex::new(Some(End {
                at,
                state: "done",
                reply: Some(reply),
                bytes,
            })),
            ended: tokio::sync::Notify::new(),
        })
    }

    #[test]
    fn kept_replies_are_bounded_by_bytes_oldest_released_first() {
        let now = Instant::now();
        let reply = |n: usize| json!({"ok": true, "result": {"data_base64": "x".repeat(n)}});
        let mut jobs = HashMap::new();
        for (id, age) in [("old", 30), ("middle", 20), ("new", 10)] {
            jobs.insert(id.to_string(), ended(now - Duration::from_secs(age), reply(1000)));
        }
        let each = json_len(&reply(1000));
        bound_kept_replies(&jobs, 2 * each);
        assert_eq!(describe(&jobs["old"], true)["released"], true);
        assert!(describe(&jobs["middle"], false).get("released").is_none());
        assert_eq!(describe(&jobs["new"], true)["reply"], reply(1000));
        // Delivered: released, and what is left is the state.
        assert_eq!(
            describe(&jobs["new"], true),
            json!({"state": "done", "done": 0, "total": 0, "released": true})
        );
    }

    #[test]
    fn json_len_is_the_length_of_the_text() {
        let value = json!({"a": [1, "два", null]});
        assert_eq!(json_len(&value), value.to_string().len());
    }
}

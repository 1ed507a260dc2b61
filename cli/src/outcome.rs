//! How a command ends: the result JSON on stdout, or the error envelope on stdout plus one line
//! on stderr; and the exit code, decided for every code of the error catalogue.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use diskbridge::{error_reply, ErrorCode};
use serde_json::Value;

/// The exit codes, as the help and the README document them.
pub const EXIT_CODES: &[(u8, &str, &str)] = &[
    (0, "success", "успех"),
    (
        1,
        "the service answered with an error (the envelope on stdout carries http_status and upstream)",
        "ошибка сервиса (конверт в stdout содержит http_status и upstream)",
    ),
    (
        2,
        "usage: unknown library, method or flag; a missing or malformed value",
        "ошибка вызова: неизвестная библиотека, метод или флаг; пропущенное или неверное значение",
    ),
    (
        3,
        "local or network: a file could not be read or written, the connection failed, a transfer did not verify",
        "локальная или сетевая ошибка: файл не прочитан или не записан, нет соединения, передача не прошла проверку",
    ),
    (4, "cancelled (Ctrl-C)", "отменено (Ctrl-C)"),
    (
        5,
        "internal error of diskbridge (please report it)",
        "внутренняя ошибка diskbridge (сообщите о ней)",
    ),
];

/// The exit code of an error code. Every code of the catalogue is decided here: a new code does
/// not compile until it is.
pub fn exit_code(code: ErrorCode) -> u8 {
    use ErrorCode::*;
    match code {
        AuthorizationPending | SlowDown | Expired | AccessDenied | InvalidClient | InvalidGrant | Unauthorized
        | Forbidden | NotFound | Conflict | BadRequest | PayloadTooLarge | Locked | RateLimited | QuotaExceeded
        | UpstreamError | ServerError | InvalidResponse | OperationFailed => 1,
        InvalidRequest | UnknownMethod | InvalidParams | InsecureEndpoint | TooLarge | UnknownJob => 2,
        Network | Timeout | ChecksumMismatch | LocalIo | UnsafePath | UntrustedCertificate => 3,
        Cancelled => 4,
        Internal => 5,
    }
}

/// A command that could not run: the envelope's error, made on this side of the library.
#[derive(Debug)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(ErrorCode::InvalidParams, message)
    }

    pub fn local(what: &str, path: &Path, err: &std::io::Error) -> Failure {
        Failure::new(ErrorCode::LocalIo, format!("{what} {}: {err}", path.display()))
    }

    /// Shows the failure as an error envelope and returns its exit code.
    pub fn finish(self) -> ExitCode {
        fail(&error_reply(self.code, self.message))
    }
}

/// Prints a value as JSON on stdout.
pub fn print_json(value: &Value) {
    let text = serde_json::to_string_pretty(value).expect("JSON values serialise");
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (`| head`) is not worth a panic.
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// A failed reply: the envelope on stdout, one line on stderr, the exit code of its error.
pub fn fail(reply: &Value) -> ExitCode {
    print_json(reply);
    let error = &reply["error"];
    let code_name = error["code"].as_str().unwrap_or("internal");
    let code = code_of(error);
    let message = error["message"].as_str().unwrap_or("no message");
    let status = match error["http_status"].as_u64() {
        Some(status) => format!(", HTTP {status}"),
        None => String::new(),
    };
    eprintln!(
        "diskbridge: {} [{code_name}{status}]",
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    ExitCode::from(exit_code(code))
}

/// The catalogue code of an envelope's error (`internal` for a code this build does not know).
pub fn code_of(error: &Value) -> ErrorCode {
    ErrorCode::ALL
        .iter()
        .copied()
        .find(|code| error["code"] == code.as_str())
        .unwrap_or(ErrorCode::Internal)
}

/// Writes `bytes` to `path` through a temporary file beside it, renamed over it once complete;
/// `private` files (tokens) are readable by their owner only.
pub fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), Failure> {
    let temporary = temporary_beside(path);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    written.map_err(|err| {
        let _ = std::fs::remove_file(&temporary);
        Failure::local("cannot write", path, &err)
    })
}

fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.diskbridge-tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_exit_code_is_used_and_every_code_has_one() {
        let used: Vec<u8> = ErrorCode::ALL.iter().map(|c| exit_code(*c)).collect();
        for (exit, _, _) in &EXIT_CODES[1..] {
            assert!(used.contains(exit), "exit code {exit} is documented but unused");
        }
        assert_eq!(exit_code(ErrorCode::NotFound), 1);
        assert_eq!(exit_code(ErrorCode::InvalidParams), 2);
        assert_eq!(exit_code(ErrorCode::LocalIo), 3);
        assert_eq!(exit_code(ErrorCode::Cancelled), 4);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_readable_by_the_owner_only_and_replace_the_old_one() {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::temp_dir().join(format!("diskbridge-cli-private-{}", std::process::id()));
        std::fs::write(&path, "old").unwrap();
        write_file(&path, b"{\"access_token\": \"x\"}", true).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"access_token\": \"x\"}");
        std::fs::remove_file(&path).unwrap();
    }
}

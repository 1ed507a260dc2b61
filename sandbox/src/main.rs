//! `diskbridge-sandbox [--port N] [--data-dir DIR] [--tls [--http1-only] [--untrusted-certificate]]`:
//! serve the emulator on 127.0.0.1 and print its base URL as the first line on stdout; with
//! `--tls`, the path of the CA's PEM file as the second. SIGTERM or SIGINT stops it, and it
//! removes its temporary directory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use diskbridge_sandbox::{Sandbox, SandboxOptions, Termination};

const USAGE: &str =
    "usage: diskbridge-sandbox [--port N] [--data-dir DIR] [--tls [--http1-only] [--untrusted-certificate]]";

fn main() -> ExitCode {
    let mut options = SandboxOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(port) => options.port = port,
                None => return usage_error("--port takes a number from 0 to 65535"),
            },
            "--data-dir" => match args.next() {
                Some(dir) => options.data_dir = Some(PathBuf::from(dir)),
                None => return usage_error("--data-dir takes a directory"),
            },
            "--tls" => options.tls = true,
            "--http1-only" => options.http1_only = true,
            "--untrusted-certificate" => options.untrusted_certificate = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage_error(&format!("unknown argument {other:?}")),
        }
    }
    // Listening before the URL is printed: whoever reads it may signal at once.
    let termination = match Termination::listen() {
        Ok(termination) => termination,
        Err(err) => {
            eprintln!("diskbridge-sandbox: cannot listen for signals: {err}");
            return ExitCode::FAILURE;
        }
    };
    let sandbox = match Sandbox::start_with(options) {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("diskbridge-sandbox: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", sandbox.url());
    if let Some(ca_file) = sandbox.ca_file() {
        println!("{}", ca_file.display());
    }
    let _ = std::io::stdout().flush();
    sandbox.wait_for(termination);
    ExitCode::SUCCESS
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("diskbridge-sandbox: {message}\n{USAGE}");
    ExitCode::from(2)
}

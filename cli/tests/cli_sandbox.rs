//! `diskbridge sandbox`: serves the emulator and prints its URL first, as the sandbox's own
//! binary does; commands pointed at it work.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use diskbridge_sandbox::YANDEX_CLIENT_ID;

#[test]
fn the_sandbox_command_serves_until_stopped() {
    let mut child = common::command()
        .args(["sandbox", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let code = common::run(&[
        "--sandbox",
        &url,
        "yandex",
        "GetConfirmationCode",
        "--id",
        YANDEX_CLIENT_ID,
    ]);
    let code = code.ok();
    assert!(code["verification_url"].as_str().unwrap().starts_with(&url));

    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn sandbox_flags_are_checked() {
    let port = common::run(&["sandbox", "--port", "70000"]);
    port.failed(2);
    assert!(
        port.stderr.contains("--port takes a number from 0 to 65535"),
        "{port:?}"
    );
    let help = common::run(&["sandbox", "--help"]);
    assert!(help.stdout.contains("--port <number>  default: 0"), "{}", help.stdout);
}

//! The CLI prints the error envelope: a service's error body that echoes the token must reach
//! stdout and stderr masked (issue 13 item 20).

mod common;

use common::Cli;
use serde_json::json;

#[test]
fn a_token_echoed_by_the_service_is_masked_in_what_the_cli_prints() {
    let cli = Cli::new();
    let token = cli.token();
    let body = json!({
        "error": "UnauthorizedError",
        "description": format!("the token {token} is not valid"),
        "echo": {"token": token.clone(), token.clone(): [token.clone()]},
    });
    cli.control(
        reqwest::Method::POST,
        "faults",
        Some(json!({"path": "/yandex-disk/v1/disk", "status": 401, "body": body})),
    );
    let run = cli.run(&["yadisk", "GetDiskInformation", "--token", &token]);
    let error = run.failed(1);
    assert_eq!(error["code"], "unauthorized", "{run:?}");
    assert_eq!(error["upstream"]["echo"]["token"], "***", "{run:?}");
    assert!(
        !run.stdout.contains(&token),
        "the token leaks on stdout: {}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(&token),
        "the token leaks on stderr: {}",
        run.stderr
    );
}

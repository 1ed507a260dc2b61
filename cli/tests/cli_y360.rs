//! `y360` through the real binary against the sandbox: the organization of the signed-in owner
//! and its users, in OPI's command-line style.

mod common;

use common::Cli;

#[test]
fn organizations_and_users_of_the_signed_in_owner() {
    let cli = Cli::new();
    let token = cli.token();
    let orgs = cli.run(&["y360", "GetOrganizations", "--token", &token]).ok();
    let org = &orgs["organizations"][0];
    assert_eq!(org["name"], "Sandbox Org");
    let org_id = org["id"].to_string();
    let users = cli
        .run(&["y360", "GetUsers", "--token", &token, "--org_id", &org_id])
        .ok();
    assert!(users["users"].as_array().unwrap().len() >= 2, "{users}");

    let bad_org = cli.run(&["y360", "GetUsers", "--token", &token, "--org_id", "not-a-number"]);
    bad_org.failed(2);
    let refused = cli.run(&["y360", "GetOrganizations", "--token", "y0_refused_by_the_sandbox"]);
    assert_eq!(refused.failed(1)["code"], "unauthorized");
}

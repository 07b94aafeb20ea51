//! `serving`: the connection bounds the adapters' server helpers apply.

use attractos_errors::serving;

#[test]
fn three_quarters_of_the_open_files_may_be_connections() {
    assert_eq!(serving::max_connections_for(Some(1024)), 768);
    assert_eq!(serving::max_connections_for(Some(1_048_576)), 786_432);
    // Rounded in favour of the reserve, and never none at all.
    assert_eq!(serving::max_connections_for(Some(10)), 8);
    assert_eq!(serving::max_connections_for(Some(1)), 1);
    assert_eq!(serving::max_connections_for(Some(0)), 1);
    assert_eq!(
        serving::max_connections_for(None),
        serving::DEFAULT_MAX_CONNECTIONS
    );
}

#[test]
#[cfg(target_os = "linux")]
fn the_open_file_limit_is_the_process_soft_limit() {
    // A child shell inherits this process's limits; `ulimit -n` prints the soft one.
    let shell = std::process::Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .expect("running sh");
    let shown = String::from_utf8(shell.stdout).expect("ASCII");
    let expected = shown.trim().parse::<u64>().ok(); // "unlimited" is no limit
    assert_eq!(serving::open_file_limit(), expected, "ulimit -n: {shown}");
}

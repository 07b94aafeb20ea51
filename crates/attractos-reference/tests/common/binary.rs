//! The `attractos-reference` binary, run for real: started with its stderr piped and read up
//! to the line that logs its address.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStderr, Command, Stdio};

/// The path of the binary under test.
pub const PATH: &str = env!("CARGO_BIN_EXE_attractos-reference");

/// A started server process, its log read up to the line that names its address.
pub struct Started {
    pub child: Child,
    /// The rest of the log.
    pub stderr: BufReader<ChildStderr>,
    /// The line that logged the address.
    pub line: String,
    /// `host:port`, from that line's `url=http://…` field.
    pub addr: String,
}

/// Spawns `command` (the binary, or a shell that `exec`s it) with stdin and stdout closed and
/// stderr piped, and reads the log until the line with its address.
pub fn start(mut command: Command) -> Started {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the reference server starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
    let (line, addr) = address_line(&mut stderr);
    Started {
        child,
        stderr,
        line,
        addr,
    }
}

/// Reads `log` up to the line with the server's `url=http://…` field: that line and the
/// address.
fn address_line(log: &mut impl BufRead) -> (String, String) {
    let mut line = String::new();
    loop {
        line.clear();
        let read = log.read_line(&mut line).expect("stderr is text");
        assert!(read > 0, "the server exited before logging its address");
        let url = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("url=http://"));
        if let Some(addr) = url.map(str::to_owned) {
            return (line, addr);
        }
    }
}

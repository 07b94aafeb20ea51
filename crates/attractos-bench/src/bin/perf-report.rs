//! `perf-report RESULTS_DIR OUTPUT.md`: writes the performance page from the measurements
//! `bench/run.sh` left in RESULTS_DIR, and prints the targets' verdicts.

use std::path::PathBuf;
use std::process::ExitCode;

use attractos_bench::report::{Results, load_checks, markdown, render_checks};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, output] = args.as_slice() else {
        eprintln!("usage: perf-report RESULTS_DIR OUTPUT.md");
        return ExitCode::from(2);
    };
    let results = match Results::read(&PathBuf::from(dir)) {
        Ok(results) => results,
        Err(err) => {
            eprintln!("perf-report: reading {dir}: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(err) = std::fs::write(output, markdown(&results)) {
        eprintln!("perf-report: writing {output}: {err}");
        return ExitCode::FAILURE;
    }
    for check in render_checks(&results)
        .into_iter()
        .chain(load_checks(&results))
    {
        let verdict = match check.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured",
        };
        println!(
            "{verdict:>12}  {} {}: {}",
            check.scope, check.target, check.measured
        );
    }
    println!("wrote {output}");
    ExitCode::SUCCESS
}

//! `perf-report RESULTS_DIR OUTPUT.md`: writes the performance page from the measurements
//! `bench/run.sh` left in RESULTS_DIR, and prints the targets' verdicts.

use std::path::Path;
use std::process::ExitCode;

use attractos_bench::measurements::Results;
use attractos_bench::{page, targets};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, output] = args.as_slice() else {
        eprintln!("usage: perf-report RESULTS_DIR OUTPUT.md");
        return ExitCode::from(2);
    };
    let written = Results::read(Path::new(dir))
        .map_err(|err| format!("reading {dir}: {err}"))
        .and_then(|results| {
            let markdown = page::render(&results).map_err(|err| format!("the template: {err}"))?;
            std::fs::write(output, markdown).map_err(|err| format!("writing {output}: {err}"))?;
            Ok(results)
        });
    let results = match written {
        Ok(results) => results,
        Err(err) => {
            eprintln!("perf-report: {err}");
            return ExitCode::FAILURE;
        }
    };
    for check in targets::rendering(&results)
        .into_iter()
        .chain(targets::load(&results))
    {
        let verdict = match check.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured",
        };
        println!(
            "{verdict:>12}  {} {}: {}",
            check.framework, check.target, check.measured
        );
    }
    println!("wrote {output}");
    ExitCode::SUCCESS
}

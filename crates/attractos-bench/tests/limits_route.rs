//! The in-process timing of the load route: every mode but Redis is timed, each answering
//! 200 (it asserts so for every request it times); and the untimed run whose instructions
//! `scripts/limits-bench.sh` counts.

use attractos_bench::limits_route::{MODES, in_process, run_in_process};

#[tokio::test]
async fn every_mode_but_redis_is_timed_in_each_slice() {
    let slices = in_process(2, 3).await;
    let timed = MODES.len() - 1;
    assert_eq!(slices.len(), 2 * timed);
    for (index, slice) in slices.iter().enumerate() {
        assert_eq!(slice.index as usize, index / timed);
        assert_ne!(slice.mode, "redis");
        assert!(slice.nanos > 0.0, "{slice:?}");
    }
    let first: Vec<_> = slices[..timed].iter().map(|slice| slice.mode).collect();
    let second: Vec<_> = slices[timed..].iter().map(|slice| slice.mode).collect();
    assert_ne!(first, second, "each slice starts with the next mode");
}

#[tokio::test]
async fn every_mode_but_redis_runs_untimed() {
    for mode in MODES.into_iter().filter(|mode| *mode != "redis") {
        run_in_process(mode, 3).await;
    }
}

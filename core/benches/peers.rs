//! Benchmarks of sharedpool against its peers (issue 7), one subcommand a comparison:
//!
//! ```text
//! peers engine     --out FILE [--quick] [--reps N]   no I/O: sharedpool vs r2d2, deadpool, bb8
//! peers select1    --out FILE [--quick] [--reps N]   SELECT 1: raw floor, sharedpool, r2d2 over `mysql`
//! peers autoscaler --out FILE [--quick] [--reps N]   100 pollers: a connection each vs one shared pool
//! peers storm      --out FILE [--quick] [--reps N]   cold pool vs naive clients under a connection storm
//! ```
//!
//! The MySQL comparisons read `SHAREDPOOL_TEST_DSN`. `benches/run.sh` (`make bench`) runs them all
//! and `benches/report.py` turns the JSON into `benches/RESULTS.md`.

#[path = "peers/autoscaler.rs"]
mod autoscaler;
#[path = "peers/common.rs"]
mod common;
#[path = "peers/engine.rs"]
mod engine;
#[path = "peers/raw.rs"]
mod raw;
#[path = "peers/select1.rs"]
mod select1;
#[path = "peers/storm.rs"]
mod storm;

use common::Args;

fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("peers: {e}\nusage: peers engine|select1|autoscaler|storm --out FILE [--quick] [--reps N]");
            std::process::exit(2);
        }
    };
    let report = match args.command.as_str() {
        "engine" => engine::run(&args),
        "select1" => select1::run(&args),
        "autoscaler" => autoscaler::run(&args),
        "storm" => storm::run(&args),
        other => {
            eprintln!("peers: unknown command {other:?}");
            std::process::exit(2);
        }
    };
    common::write_json(&args, report);
}

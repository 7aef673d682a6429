//! The test binary's `main` (`harness = false`): re-executes itself in a loopback-only
//! network namespace (`unshare -n`, then [`NAMESPACE_SETUP`]) so Home Assistant's mDNS and
//! anything else it sends stay on `lo`, then runs the scenarios in order, libtest style.
//!
//! A [`Scenario::Shared`] gets the one instance every shared scenario uses (started on first
//! need); a [`Scenario::Own`] starts what it needs (e.g. a fresh instance to restart).
//! Arguments: a name filter (`--exact` for a whole name), `--list`; libtest's other flags are
//! accepted and ignored.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Command, ExitCode};
use std::time::Instant;

use super::HomeAssistant;

/// Set on the re-executed binary, so a namespace that is still not loopback-only fails
/// instead of looping.
const MARKER: &str = "MIRAI_HA_NETNS";
/// Run in the new namespace before the binary: `lo` up, and a multicast route on it (HA's
/// zeroconf, which its HTTP client uses, fails with ENODEV without one: mDNS stays on `lo`).
const NAMESPACE_SETUP: &str = "ip link set lo up && ip route add 224.0.0.0/4 dev lo && exec \"$@\"";
/// libtest flags that take a value, skipped with it.
const VALUED_FLAGS: &[&str] = &[
    "--test-threads",
    "--format",
    "--color",
    "--skip",
    "--logfile",
    "-Z",
];

/// One scenario of the binary.
pub enum Scenario {
    /// Runs against the shared instance.
    Shared(fn(&HomeAssistant)),
    /// Starts its own parts.
    Own(fn()),
}

/// Whether this process's network namespace has no interface but `lo`.
pub fn loopback_only() -> bool {
    let dev = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    let names: Vec<&str> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .collect();
    names.iter().map(|n| n.trim()).eq(["lo"])
}

/// Runs `scenarios` inside a loopback-only namespace; the binary's exit code.
pub fn main(scenarios: &[(&str, Scenario)]) -> ExitCode {
    if !loopback_only() {
        return reexec_in_namespace();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exact = args.iter().any(|a| a == "--exact");
    let filter = positional(&args);
    let selected: Vec<_> = scenarios
        .iter()
        .filter(|(name, _)| match &filter {
            None => true,
            Some(f) if exact => name == f,
            Some(f) => name.contains(f.as_str()),
        })
        .collect();
    if args.iter().any(|a| a == "--list") {
        selected
            .iter()
            .for_each(|(name, _)| println!("{name}: test"));
        return ExitCode::SUCCESS;
    }
    run(&selected, scenarios.len() - selected.len())
}

fn run(selected: &[&(&str, Scenario)], filtered: usize) -> ExitCode {
    let started = Instant::now();
    let plural = if selected.len() == 1 { "" } else { "s" };
    println!("\nrunning {} test{plural}", selected.len());
    let mut shared: Option<Result<HomeAssistant, String>> = None;
    let mut failed = Vec::new();
    for (name, scenario) in selected {
        let outcome = match scenario {
            Scenario::Own(f) => catch_unwind(f).map_err(reason),
            Scenario::Shared(f) => {
                let first = shared.is_none();
                let ha = shared
                    .get_or_insert_with(|| catch_unwind(HomeAssistant::start).map_err(reason));
                match ha {
                    Ok(ha) => catch_unwind(AssertUnwindSafe(|| f(ha))).map_err(reason),
                    Err(e) if first => Err(format!("the shared instance did not start: {e}")),
                    Err(_) => Err("the shared instance did not start (see above)".into()),
                }
            }
        };
        match outcome {
            Ok(()) => println!("test {name} ... ok"),
            Err(why) => {
                println!("test {name} ... FAILED");
                failed.push((name, why));
            }
        }
    }
    drop(shared);
    if !failed.is_empty() {
        println!("\nfailures:");
        failed
            .iter()
            .for_each(|(name, why)| println!("    {name}: {why}"));
    }
    let verdict = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {} passed; {} failed; 0 ignored; 0 measured; {filtered} \
         filtered out; finished in {:.2}s\n",
        selected.len() - failed.len(),
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(101)
    }
}

/// Runs this binary again, same arguments, in a new network namespace with `lo` up.
fn reexec_in_namespace() -> ExitCode {
    assert!(
        std::env::var_os(MARKER).is_none(),
        "still not in a loopback-only network namespace after unshare -n"
    );
    let exe = std::env::current_exe().unwrap();
    let status = Command::new("unshare")
        .args(["-n", "sh", "-c", NAMESPACE_SETUP, "sh"])
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(MARKER, "1")
        .status()
        .unwrap_or_else(|e| panic!("cannot run unshare (util-linux): {e}"));
    if !status.success() && status.code() != Some(101) {
        eprintln!("the loopback-only namespace failed ({status}): unshare -n needs root");
    }
    ExitCode::from(status.code().unwrap_or(101) as u8)
}

/// The first argument that is neither a flag nor a flag's value.
fn positional(args: &[String]) -> Option<String> {
    let mut skip = false;
    for arg in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if VALUED_FLAGS.contains(&arg.as_str()) {
            skip = true;
        } else if !arg.starts_with('-') {
            return Some(arg.clone());
        }
    }
    None
}

fn reason(panic: Box<dyn std::any::Any + Send>) -> String {
    let text = panic.downcast_ref::<String>().cloned();
    text.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".into())
}

//! The `oxmm` command running on oxmm's own heap (`oxmm-on-oxmm`, whose global
//! allocator is `oxmm_host::global_alloc::OxmmAlloc`) prints exactly what the plain
//! command prints.

mod support;
use support::{oxmm, stderr, stdout};

use std::process::{Command, Output};

fn on_oxmm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oxmm-on-oxmm"))
        .args(args)
        .env("OXMM_HEAP_REPORT", "1")
        .output()
        .expect("the oxmm-on-oxmm binary runs")
}

/// The output without the boot timings (wall-clock, different on every run).
fn untimed(s: &str) -> String {
    s.lines()
        .filter(|l| !l.contains(" s of which "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn same_output_on_the_oxmm_heap() {
    for args in [
        &["machines"][..],
        &["boot"][..],
        &["boot", "--machine", "numa-2x16g"][..],
        &[
            "boot",
            "--proc",
            "buddyinfo",
            "--proc",
            "pagetypeinfo",
            "--proc",
            "zoneinfo",
            "--proc",
            "slabinfo",
        ][..],
        &["boot", "--describe-only", "--machine", "big-1t"][..],
    ] {
        let plain = oxmm(args);
        let heap = on_oxmm(args);
        assert!(plain.status.success(), "{args:?}: {}", stderr(&plain));
        assert_eq!(heap.status.code(), plain.status.code(), "{args:?}");
        assert!(!stdout(&plain).is_empty());
        assert_eq!(
            untimed(&stdout(&heap)),
            untimed(&stdout(&plain)),
            "{args:?}"
        );
        // The heap served the command: its kmalloc caches hold objects.
        let report = stderr(&heap);
        assert!(
            report
                .lines()
                .any(|l| l.starts_with("kmalloc-")
                    && l.split_whitespace().nth(1).unwrap_or("0") != "0"),
            "{args:?}: no kmalloc objects in\n{report}"
        );
    }
}

#[test]
fn same_failure_on_the_oxmm_heap() {
    let plain = oxmm(&["boot", "--proc", "nonsense"]);
    let heap = on_oxmm(&["boot", "--proc", "nonsense"]);
    assert!(!plain.status.success());
    assert_eq!(heap.status.code(), plain.status.code());
    assert!(stderr(&heap).starts_with(&stderr(&plain)));
}

//! `oxmm boot --kmem-cache … --sys kernel/slab/CACHE/ATTR --validate CACHE`: caches
//! created after the boot (merged as Linux v6.12 merges), their `/sys/kernel/slab`
//! attributes (`aliases` = refcount - 1), and `echo 1 > validate` with the kernel log
//! it produces.

mod support;
use std::process::Output;
use support::{oxmm, stderr, stdout};

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    stdout(o)
}

/// Non-zero exit, no panic, one line on stderr naming `needle`.
fn fails_with(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure: {}", stdout(o));
    assert_ne!(o.status.code(), Some(101), "a panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in {err}");
}

#[test]
fn aliases_count_the_merged_requests() {
    let o = oxmm(&[
        "boot",
        "--kmem-cache",
        "foo:250:2",
        "--kmem-cache",
        "bar:252",
        "--sys",
        "kernel/slab/foo/aliases",
        "--sys",
        "/sys/kernel/slab/kmalloc-256/aliases",
        "--sys",
        "kernel/slab/kmem_cache/aliases",
        "--sys",
        "kernel/slab/bar/object_size",
    ]);
    assert_eq!(
        ok(&o),
        "==> /sys/kernel/slab/foo/aliases <==\n2\n\n\
         ==> /sys/kernel/slab/kmalloc-256/aliases <==\n2\n\n\
         ==> /sys/kernel/slab/kmem_cache/aliases <==\n0\n\n\
         ==> /sys/kernel/slab/bar/object_size <==\n256\n"
    );
    // slab_nomerge: every request its own cache, nobody's alias.
    let o = oxmm(&[
        "boot",
        "--cmdline",
        "slab_nomerge",
        "--kmem-cache",
        "foo:250",
        "--sys",
        "kernel/slab/foo/aliases",
        "--sys",
        "kernel/slab/foo/object_size",
    ]);
    assert_eq!(
        ok(&o),
        "==> /sys/kernel/slab/foo/aliases <==\n0\n\n\
         ==> /sys/kernel/slab/foo/object_size <==\n250\n"
    );
}

#[test]
fn validate_prints_the_reports_of_a_corrupted_cache() {
    let o = oxmm(&[
        "boot",
        "--cmdline",
        "slub_debug=FZPU,foo",
        "--kmem-cache",
        "foo:64:3:overrun",
        "--validate",
        "foo",
    ]);
    let out = ok(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "============================================================================="
    );
    assert_eq!(lines[1], "BUG foo (Not tainted): Right Redzone overwritten");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("FIX foo: Restoring Right Redzone 0x") && l.ends_with("=0xcc")),
        "{out}"
    );
    // The allocating call site by name (the CLI's own function, `oxmm::…`), its
    // saved stack, and dump_stack's trace through validate.
    let at = lines
        .iter()
        .position(|l| l.starts_with("Allocated in oxmm::") && l.contains("+0x"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(lines[at + 1].starts_with(" oxmm::slab::"), "{out}");
    let trace = lines
        .iter()
        .position(|l| *l == "Call Trace:")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        lines[trace - 1].starts_with("CPU: 0 UID: 0 PID: 0 Comm: "),
        "{out}"
    );
    assert!(
        lines[trace..]
            .iter()
            .any(|l| l.starts_with(" oxmm::slab::") && l.contains("+0x")),
        "{out}"
    );
    assert!(lines.iter().any(|l| l.starts_with("Slab 0x")), "{out}");
    // validate_slab stops at a slab's first bad object, and the report repaired it.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("BUG ")).count(),
        1,
        "{out}"
    );
    // A clean cache validates silently.
    let o = oxmm(&[
        "boot",
        "--cmdline",
        "slub_debug=FZPU,foo",
        "--kmem-cache",
        "foo:64:3",
        "--validate",
        "foo",
    ]);
    assert_eq!(ok(&o), "");
}

#[test]
fn validate_all_covers_every_debug_cache() {
    let o = oxmm(&[
        "boot",
        "--cmdline",
        "slub_debug=FZPU",
        "--kmem-cache",
        "foo:100:2:overrun",
        "--kmem-cache",
        "baz:2000:1:overrun",
        "--validate",
        "all",
        "--sys",
        "kernel/slab/foo/aliases",
    ]);
    let out = ok(&o);
    let (sys, log) = out
        .split_once("\n\n==> /sys/kernel/slab/all/validate <==\n")
        .unwrap();
    assert_eq!(sys, "==> /sys/kernel/slab/foo/aliases <==\n0");
    let bugs: Vec<&str> = log.lines().filter(|l| l.starts_with("BUG ")).collect();
    assert_eq!(bugs.len(), 2, "{log}");
    assert!(bugs.iter().any(|l| l.starts_with("BUG foo (")), "{log}");
    assert!(bugs.iter().any(|l| l.starts_with("BUG baz (")), "{log}");
    // The first report taints: later ones say so.
    assert!(bugs[1].contains("(Tainted: "), "{}", bugs[1]);
}

#[test]
fn bad_requests_fail_in_one_line() {
    fails_with(
        &oxmm(&["boot", "--kmem-cache", "foo:64", "--validate", "foo"]),
        "Invalid argument (EINVAL)",
    );
    fails_with(
        &oxmm(&["boot", "--validate", "nonesuch"]),
        "--validate nonesuch: no such slab cache",
    );
    fails_with(
        &oxmm(&["boot", "--kmem-cache", "foo:64"]),
        "nothing to show",
    );
    fails_with(
        &oxmm(&["boot", "--kmem-cache", "foo", "--validate", "all"]),
        "expected NAME:SIZE[:COUNT[:overrun]]",
    );
    fails_with(
        &oxmm(&["boot", "--kmem-cache", "foo:0", "--validate", "all"]),
        "object size 0 out of range",
    );
    fails_with(
        &oxmm(&["boot", "--sys", "kernel/slab/kmalloc-64/frobs"]),
        "unknown slab attribute \"frobs\"",
    );
    fails_with(
        &oxmm(&["boot", "--sys", "kernel/mm/transparent_hugepage/enabled"]),
        "only kernel/slab/CACHE/ATTR",
    );
    fails_with(
        &oxmm(&["boot", "--sys", "kernel/slab/nonesuch/aliases"]),
        "no such slab cache",
    );
    fails_with(
        &oxmm(&["boot", "--describe-only", "--validate", "all"]),
        "drop --describe-only",
    );
}

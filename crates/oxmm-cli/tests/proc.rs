//! `oxmm boot --proc NAME`: the /proc files after a boot, checked against the
//! Linux v6.12 captures in `fixtures/linux-6.12-qemu`.

use std::path::PathBuf;
use std::process::Output;

mod support;
use support::{fixtures, oxmm, stderr, stdout};

fn capture(machine: &str) -> PathBuf {
    fixtures().join("linux-6.12-qemu").join(machine)
}

/// `oxmm boot --from-dmesg <capture>/dmesg.txt` plus `extra`.
fn boot_capture(machine: &str, extra: &[&str]) -> Output {
    let dmesg = capture(machine).join("dmesg.txt");
    let mut args = vec!["boot", "--from-dmesg", dmesg.to_str().unwrap()];
    args.extend_from_slice(extra);
    oxmm(&args)
}

fn read(machine: &str, file: &str) -> String {
    std::fs::read_to_string(capture(machine).join(file)).expect("fixture readable")
}

/// Non-zero exit, no panic, and stderr one line naming `needle`.
fn assert_one_line_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure; stdout: {}",
        stdout(o)
    );
    assert_ne!(o.status.code(), Some(101), "a panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(
        err.contains(needle),
        "stderr does not name {needle:?}: {err}"
    );
}

#[test]
fn buddyinfo_has_the_captures_lines_and_zones() {
    let o = boot_capture("q35-numa2-4g", &["--proc", "buddyinfo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours = stdout(&o);
    let linux = read("q35-numa2-4g", "buddyinfo.txt");
    // Only the file: no boot log, no summary.
    assert_eq!(ours.lines().count(), linux.lines().count(), "{ours}");
    for (a, b) in ours.lines().zip(linux.lines()) {
        // `Node N, zone NAME ` is fixed width (22 columns), then 11 orders of `{:>6} `.
        assert_eq!(a.len(), b.len(), "\n{a}\n{b}");
        assert_eq!(a[..22], b[..22], "\n{a}\n{b}");
        assert_eq!(a.split_whitespace().count(), b.split_whitespace().count());
        assert!(a.ends_with(' '), "{a:?}");
    }
    // Counts may differ, but the free memory must be there: some order-10 blocks.
    for l in ours.lines() {
        let top: u64 = l.split_whitespace().last().unwrap().parse().unwrap();
        assert!(top > 0, "{l}");
    }
}

#[test]
fn min_free_kbytes_matches_the_capture() {
    let o = boot_capture("q35-3g-smp2", &["--proc", "sys/vm/min_free_kbytes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let linux = read("q35-3g-smp2", "min_free_kbytes.txt");
    assert_eq!(linux.trim(), "67584");
    assert_eq!(stdout(&o), linux);
}

#[test]
fn vm_sysctls_print_as_proc_dointvec_does() {
    let o = boot_capture(
        "q35-3g-smp2",
        &[
            "--describe-only",
            "--proc",
            "sys/vm/watermark_scale_factor",
            "--proc",
            "/proc/sys/vm/watermark_boost_factor",
            "--proc",
            "sys/vm/lowmem_reserve_ratio",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "==> /proc/sys/vm/watermark_scale_factor <==\n10\n\n\
         ==> /proc/sys/vm/watermark_boost_factor <==\n15000\n\n\
         ==> /proc/sys/vm/lowmem_reserve_ratio <==\n256\t256\t32\t0\t0\n"
    );
}

#[test]
fn zoneinfo_and_slabinfo_follow_linux_layout() {
    let o = boot_capture("q35-3g-smp2", &["--proc", "zoneinfo", "--proc", "slabinfo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("==> /proc/zoneinfo <==\nNode 0, zone      DMA\n  per-node stats\n"));
    // Same zones in the same order as the capture, with its spanned and present
    // pages. (managed, and so the watermarks, differ: the capture was taken after
    // the rest of the kernel had booted and reserved memory.)
    let linux = read("q35-3g-smp2", "zoneinfo.txt");
    let pick = |s: &str, keys: &[&str]| -> Vec<String> {
        s.lines()
            .filter(|l| keys.iter().any(|k| l.starts_with(k)))
            .map(str::to_owned)
            .collect()
    };
    let keys = ["Node ", "        spanned ", "        present "];
    let zoneinfo = out.split("==> /proc/slabinfo").next().unwrap();
    assert_eq!(pick(zoneinfo, &keys), pick(&linux, &keys));
    assert_eq!(zoneinfo.matches("        protection: (").count(), 5);
    assert!(out.contains("\n\n==> /proc/slabinfo <==\nslabinfo - version: 2.1\n"));
    assert!(out.lines().any(|l| l.starts_with("kmalloc-64 ")), "{out}");
}

#[test]
fn pagetypeinfo_prints_the_geometry() {
    let o = boot_capture("q35-3g-smp2", &["--proc", "pagetypeinfo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let linux = read("q35-3g-smp2", "pagetypeinfo.txt");
    let ours = stdout(&o);
    assert_eq!(
        ours.lines().take(4).collect::<Vec<_>>(),
        linux.lines().take(4).collect::<Vec<_>>()
    );
}

#[test]
fn unknown_name_fails_listing_the_valid_ones() {
    let o = oxmm(&["boot", "--proc", "smaps"]);
    assert_one_line_failure(&o, "\"smaps\"");
    let err = stderr(&o);
    for n in [
        "buddyinfo",
        "zoneinfo",
        "vmstat",
        "meminfo",
        "slabinfo",
        "sys/vm/lowmem_reserve_ratio",
    ] {
        assert!(err.contains(n), "{err}");
    }
    assert!(stdout(&o).is_empty());
}

#[test]
fn describe_only_refuses_files_that_need_free_lists() {
    for name in [
        "buddyinfo",
        "pagetypeinfo",
        "zoneinfo",
        "vmstat",
        "meminfo",
        "slabinfo",
    ] {
        let o = oxmm(&["boot", "--describe-only", "--proc", name]);
        assert_one_line_failure(&o, name);
        assert!(stderr(&o).contains("--describe-only"), "{}", stderr(&o));
    }
}

#[test]
fn help_lists_the_proc_files() {
    let o = oxmm(&["boot", "--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    assert!(help.contains("--proc <NAME>"), "{help}");
    for name in ["zoneinfo", "vmstat", "meminfo"] {
        assert!(help.contains(name), "{help}");
    }
}

#[test]
fn vmstat_and_meminfo_have_linux_lines() {
    let o = boot_capture("q35-3g-smp2", &["--proc", "vmstat", "--proc", "meminfo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let (vmstat, meminfo) = out
        .strip_prefix("==> /proc/vmstat <==\n")
        .and_then(|s| s.split_once("\n==> /proc/meminfo <==\n"))
        .unwrap_or_else(|| panic!("{out}"));
    let names = |s: &str, sep: char| -> Vec<String> {
        s.lines()
            .map(|l| l.split(sep).next().unwrap().to_owned())
            .collect()
    };
    let linux_vm = read("q35-3g-smp2", "vmstat.txt");
    let linux_mi = read("q35-3g-smp2", "meminfo.txt");
    assert_eq!(names(vmstat, ' '), names(&linux_vm, ' '));
    assert_eq!(names(meminfo, ':'), names(&linux_mi, ':'));
    assert!(meminfo.starts_with("MemTotal:       "), "{meminfo}");
}

#[test]
fn sysrq_m_prints_the_memory_report_of_linux() {
    // SysRq-m on the twin of q35-512m-oom: the lines of Linux's report (here after
    // an OOM, so the counters differ), with the machine's sizes and totals.
    let dir = capture("q35-512m-oom");
    let zi = dir.join("zoneinfo.txt");
    let o = boot_capture(
        "q35-512m-oom",
        &["--zoneinfo", zi.to_str().unwrap(), "--sysrq", "m"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["sysrq: Show Memory", "Mem-Info:"]);
    let linux = read("q35-512m-oom", "dmesg.txt");
    for fixed in [
        "lowmem_reserve[]: 0 439 439 439 439",
        "Node 0 hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=2048kB",
        "130941 pages RAM",
        "12654 pages reserved",
        "0 pages hwpoisoned",
    ] {
        assert!(linux.contains(fixed), "{fixed}");
        assert!(lines.contains(&fixed), "{fixed} not in:\n{out}");
    }
    assert_eq!(lines.last(), Some(&"0 pages hwpoisoned"));
    // Only `m` is a key here; the rest is a one-line error.
    let o = oxmm(&["boot", "--sysrq", "t"]);
    assert_one_line_failure(&o, "--sysrq t");
    let o = oxmm(&["boot", "--describe-only", "--sysrq", "m"]);
    assert_one_line_failure(&o, "--describe-only");
}

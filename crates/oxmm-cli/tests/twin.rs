//! `oxmm boot --from-dmesg DMESG --zoneinfo ZONEINFO`: a twin of a captured Linux 6.12
//! machine, checked against the capture's own files.

use std::path::PathBuf;
use std::process::Output;

mod support;
use support::{fixtures, oxmm, stderr, stdout};

fn capture(machine: &str) -> PathBuf {
    fixtures().join("linux-6.12-qemu").join(machine)
}

fn path(machine: &str, file: &str) -> String {
    capture(machine).join(file).to_str().unwrap().to_string()
}

fn twin(machine: &str, extra: &[&str]) -> Output {
    let (d, z) = (path(machine, "dmesg.txt"), path(machine, "zoneinfo.txt"));
    let mut args = vec!["boot", "--from-dmesg", &d, "--zoneinfo", &z];
    args.extend_from_slice(extra);
    oxmm(&args)
}

fn read(machine: &str, file: &str) -> String {
    std::fs::read_to_string(capture(machine).join(file)).expect("fixture readable")
}

/// Non-zero exit, no panic, one line on stderr containing every needle.
fn assert_clean_failure(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure: {}", stdout(o));
    assert_ne!(o.status.code(), Some(101), "a panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr does not name {n:?}: {err}");
    }
}

#[test]
fn twin_min_free_kbytes_is_linuxs() {
    for machine in ["q35-2g-thp-never", "q35-384m", "q35-numa3-6g-asymdist"] {
        let o = twin(machine, &["--proc", "sys/vm/min_free_kbytes"]);
        assert!(o.status.success(), "{machine}: {}", stderr(&o));
        assert_eq!(
            stdout(&o),
            read(machine, "min_free_kbytes.txt"),
            "{machine}"
        );
    }
}

#[test]
fn twin_boot_log_frees_what_linux_freed() {
    let o = twin("q35-3g-smp2", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for l in [
        "Freeing initrd memory: 1008K",
        "Freeing unused decrypted memory: 2028K",
        "Freeing unused kernel image (initmem) memory: 4264K",
        "Freeing unused kernel image (rodata/data gap) memory: 572K",
    ] {
        assert!(out.lines().any(|x| x == l), "no {l:?} in\n{out}");
    }
    // The summary's managed pages are the capture's: 3840 + 503775 + 237874.
    assert!(
        out.contains(&format!(" {} ", 3840 + 503775 + 237874)),
        "{out}"
    );
}

#[test]
fn cmdline_overrides_the_logs_options() {
    // transparent_hugepage=never on a THP capture: the square-root rule instead of 67584.
    let o = twin(
        "q35-3g-smp2",
        &[
            "--cmdline",
            "transparent_hugepage=never",
            "--proc",
            "sys/vm/min_free_kbytes",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: u64 = stdout(&o).trim().parse().unwrap();
    assert!(v < 67584 && v > 4096, "{v}");
}

#[test]
fn managed_above_present_is_a_clear_error() {
    let text = read("q35-3g-smp2", "zoneinfo.txt").replacen(
        "        managed  503775",
        "        managed  600000",
        1,
    );
    let dir = std::env::temp_dir().join(format!("oxmm-twin-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("zoneinfo-bad.txt");
    std::fs::write(&bad, text).unwrap();
    let d = path("q35-3g-smp2", "dmesg.txt");
    let o = oxmm(&[
        "boot",
        "--from-dmesg",
        &d,
        "--zoneinfo",
        bad.to_str().unwrap(),
    ]);
    assert_clean_failure(
        &o,
        &["Node 0, zone DMA32", "managed 600000", "present 520159"],
    );
}

#[test]
fn zoneinfo_of_another_machine_is_a_clear_error() {
    let d = path("q35-3g-smp2", "dmesg.txt");
    let z = path("q35-numa2-4g", "zoneinfo.txt");
    let o = oxmm(&["boot", "--from-dmesg", &d, "--zoneinfo", &z]);
    assert_clean_failure(&o, &["twin", "Node 0, zone DMA32"]);
}

#[test]
fn zoneinfo_needs_a_boot_log() {
    let z = path("q35-3g-smp2", "zoneinfo.txt");
    let o = oxmm(&["boot", "--zoneinfo", &z]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains("--from-dmesg"), "{err}");
    let o = oxmm(&[
        "boot",
        "--from-dmesg",
        &path("q35-3g-smp2", "dmesg.txt"),
        "--zoneinfo",
        "/nonexistent/zoneinfo",
    ]);
    assert_clean_failure(&o, &["/nonexistent/zoneinfo"]);
}

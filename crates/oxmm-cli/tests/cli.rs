//! The `oxmm` binary end to end: default boot, every profile, options, and bad input.

use std::path::PathBuf;
use std::process::Output;

mod support;
use support::{fixtures, oxmm, stderr, stdout};

/// Bad input: non-zero exit, one clear message naming `needle`, and no panic.
fn assert_clean_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert_ne!(
        o.status.code(),
        Some(101),
        "exit code 101 means a panic: {err}"
    );
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(!err.contains("internal error"), "bug path taken: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "backtrace hint: {err}");
    assert!(
        err.contains(needle),
        "stderr does not name {needle:?}: {err}"
    );
}

fn tmp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxmm-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

#[test]
fn default_boot_prints_the_boot_log_and_summary() {
    let o = oxmm(&[]);
    let out = stdout(&o);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert!(out.lines().any(|l| l == "Zone ranges:"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("Memory: ")), "{out}");
    assert!(out.contains("Memory summary of pc-8g"), "{out}");
    // Without --timestamps there is no dmesg prefix.
    assert!(!out.lines().any(|l| l.starts_with('[')), "{out}");
    // `oxmm` alone is `oxmm boot --machine pc-8g`, line for line (apart from timing).
    let explicit = oxmm(&["boot", "--machine", "pc-8g"]);
    let strip = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.starts_with("Memory summary"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(strip(&out), strip(&stdout(&explicit)));
}

#[test]
fn every_profile_boots() {
    let list = oxmm(&["machines"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let names: Vec<String> = stdout(&list)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    for expected in ["pc-8g", "numa-2x16g", "ia32-4g", "arm64-board", "big-1t"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
    for name in &names {
        // big-1t's full boot is the benchmark; its description is enough here.
        let args: &[&str] = if name == "big-1t" {
            &["boot", "--machine", name, "--describe-only"]
        } else {
            &["boot", "--machine", name]
        };
        let o = oxmm(args);
        let out = stdout(&o);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert!(out.lines().any(|l| l == "Zone ranges:"), "{name}: {out}");
        assert!(
            out.lines().any(|l| l.starts_with("Memory: ")),
            "{name}: {out}"
        );
        assert!(out.contains(&format!("Memory summary of {name}")), "{out}");
    }
}

#[test]
fn timestamps_and_log_level() {
    let o = oxmm(&["boot", "--describe-only", "--timestamps"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let first = out.lines().next().unwrap();
    let (stamp, _) = first.split_once("] ").expect("a [ts] prefix");
    let stamp = stamp.strip_prefix('[').unwrap();
    assert_eq!(stamp.len(), 12, "{first}");
    let (secs, micros) = stamp.trim_start().split_once('.').unwrap();
    secs.parse::<u64>().unwrap();
    assert_eq!(micros.len(), 6);
    let info = oxmm(&["boot", "--describe-only", "--log-level", "info"]);
    let debug = oxmm(&["boot", "--describe-only", "--log-level", "debug"]);
    assert!(info.status.success() && debug.status.success());
    assert!(stdout(&debug).lines().count() >= stdout(&info).lines().count());
    assert_clean_failure(&oxmm(&["boot", "--log-level", "loud"]), "loud");
}

#[test]
fn cmdline_options_change_the_boot() {
    let o = oxmm(&["boot", "--describe-only", "--cmdline", "kernelcore=1G"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Movable zone start for each node"));
    let o = oxmm(&["boot", "--cmdline", "kernelcore=lots"]);
    assert_clean_failure(&o, "kernelcore");
}

#[test]
fn describe_only_matches_full_boot_log() {
    let full = oxmm(&["boot", "--machine", "numa-2x16g"]);
    let desc = oxmm(&["boot", "--machine", "numa-2x16g", "--describe-only"]);
    assert!(full.status.success() && desc.status.success());
    let log = |o: &Output| -> Vec<String> {
        stdout(o)
            .lines()
            .take_while(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(log(&full), log(&desc));
}

#[test]
fn config_and_dmesg_files() {
    let dmesg = fixtures().join("linux-6.12-qemu/q35-numa2-4g/dmesg.txt");
    let o = oxmm(&[
        "boot",
        "--from-dmesg",
        dmesg.to_str().unwrap(),
        "--describe-only",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("On node 1, zone Normal: 33 pages in unavailable ranges"));
}

#[test]
fn unknown_profile_is_an_error() {
    assert_clean_failure(&oxmm(&["boot", "--machine", "no-such-box"]), "no-such-box");
}

#[test]
fn malformed_toml_is_an_error() {
    let p = tmp_file("bad.toml", "arch = \"x86-64\"\n[[memory\nstart = 0\n");
    let o = oxmm(&["boot", "--config", p.to_str().unwrap()]);
    assert_clean_failure(&o, "bad.toml");
}

#[test]
fn missing_file_is_an_error() {
    let o = oxmm(&["boot", "--config", "/nonexistent/machine.toml"]);
    assert_clean_failure(&o, "/nonexistent/machine.toml");
    let o = oxmm(&["boot", "--from-dmesg", "/nonexistent/dmesg.txt"]);
    assert_clean_failure(&o, "/nonexistent/dmesg.txt");
}

#[test]
fn dmesg_without_memory_map_is_an_error() {
    let p = tmp_file(
        "nomap.txt",
        "[    0.000000] Linux version 6.12.0 (gcc)\n[    0.000000] Command line: quiet\n",
    );
    let o = oxmm(&["boot", "--from-dmesg", p.to_str().unwrap()]);
    assert_clean_failure(&o, "nomap.txt");
}

#[test]
fn conflicting_sources_are_refused() {
    let o = oxmm(&["boot", "--machine", "pc-8g", "--config", "x.toml"]);
    assert_clean_failure(&o, "--config");
}

#[test]
fn help_lists_the_commands() {
    let o = oxmm(&["--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("boot") && out.contains("machines"), "{out}");
    let o = oxmm(&["boot", "--help"]);
    let out = stdout(&o);
    for opt in [
        "--machine",
        "--config",
        "--from-dmesg",
        "--cmdline",
        "--describe-only",
        "--log-level",
        "--timestamps",
    ] {
        assert!(out.contains(opt), "{opt} missing from boot --help: {out}");
    }
}

//! Test support shared by the conformance tests: where the real-Linux fixtures live and
//! parsers for what they contain (a boot log's memory-initialisation lines, `/proc/zoneinfo`).
//!
//! Each test crate includes this module with `mod support;` and uses only part of it.
#![allow(dead_code)]

pub mod dmesg;
pub mod zoneinfo;

use std::path::{Path, PathBuf};

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Read a fixture file, naming it in the panic message if it cannot be read.
pub fn read_fixture(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// Every real boot log in `fixtures/bootlogs/` (relative to `fixtures/`), sorted.
pub fn bootlog_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures_dir().join("bootlogs"))
        .expect("fixtures/bootlogs must exist")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") && n != "INDEX.md")
        .map(|n| format!("bootlogs/{n}"))
        .collect();
    v.sort();
    v
}

/// Every Linux 6.12 QEMU capture in `fixtures/linux-6.12-qemu/` (the case directory,
/// relative to `fixtures/`), sorted.
pub fn qemu_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures_dir().join("linux-6.12-qemu"))
        .expect("fixtures/linux-6.12-qemu must exist")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("dmesg.txt").is_file())
        .map(|e| format!("linux-6.12-qemu/{}", e.file_name().to_string_lossy()))
        .collect();
    v.sort();
    v
}

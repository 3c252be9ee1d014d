//! `min_free_kbytes` and the zone watermarks of every Linux 6.12 QEMU capture, computed
//! by `init_per_zone_wmark_min` on the machine imported from its boot log.
//!
//! Linux computes them at the postcore initcall (and again when khugepaged starts), a
//! little before the kernel frees its init memory, so its lowmem was slightly smaller
//! than the `managed` counts the captured `/proc/zoneinfo` shows. The THP
//! recommendation (67584 kB for three zones, 45056 kB for two) does not depend on the
//! exact lowmem once it is above 337920 pages, so those cases must match exactly; the
//! `transparent_hugepage=never` case uses √(16 × lowmem kB) and is checked against the
//! range that the two lowmem figures (boot-time and captured) bound. The twins of
//! `twin.rs` reproduce every capture's value exactly.

mod support;

use oxmm::mm::BootMode;
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;
use support::{fixtures_dir, read_fixture, zoneinfo};

fn boot(case: &str) -> HostedMachine {
    let path = fixtures_dir()
        .join("linux-6.12-qemu")
        .join(case)
        .join("dmesg.txt");
    let m = Machine::from_dmesg_file(&path).unwrap();
    HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap()
}

fn expected_min_free_kbytes(case: &str) -> u64 {
    let p = fixtures_dir()
        .join("linux-6.12-qemu")
        .join(case)
        .join("min_free_kbytes.txt");
    read_fixture(&p).trim().parse().unwrap()
}

fn captured_managed(case: &str) -> Vec<(u32, String, u64)> {
    let p = fixtures_dir()
        .join("linux-6.12-qemu")
        .join(case)
        .join("zoneinfo.txt");
    zoneinfo::parse(&read_fixture(&p))
        .unwrap()
        .into_iter()
        .map(|z| (z.nid, z.zone, z.managed))
        .collect()
}

#[test]
fn thp_cases_match_linux_exactly() {
    for case in [
        "q35-3g-smp2",
        "q35-4g-cma256m",
        "q35-4g-kernelcore1g",
        "q35-numa2-4g",
    ] {
        let hm = boot(case);
        assert_eq!(
            hm.mm().sysctl().min_free_kbytes,
            expected_min_free_kbytes(case),
            "{case}"
        );
    }
}

#[test]
fn thp_never_follows_the_square_root_rule() {
    let case = "q35-2g-thp-never";
    let hm = boot(case);
    let mm = hm.mm();
    let linux = expected_min_free_kbytes(case);
    let ours = mm.sysctl().min_free_kbytes;
    // What the captured managed counts give (no high watermarks subtracted yet, as at
    // the first computation): an upper bound on Linux's value.
    let lowmem: u64 = captured_managed(case)
        .iter()
        .filter(|(_, z, _)| z != "Movable" && z != "HighMem")
        .map(|(_, _, m)| m)
        .sum();
    let upper = oxmm::watermark::calculate_min_free_kbytes(lowmem, 4);
    assert!(linux <= upper, "{linux} > {upper}");
    // Linux saw about 1.7k fewer pages (init memory not yet freed): ≤ 0.5 % off.
    assert!(upper - linux < upper / 200, "{linux} vs {upper}");
    let ours_managed: u64 = mm
        .nodes()
        .flat_map(|n| n.zones().iter())
        .filter(|z| !matches!(z.zone_type(), oxmm::mmzone::ZoneType::Movable))
        .map(|z| z.managed_pages())
        .sum();
    // Two passes, as Linux: the postcore rule on lowmem, then khugepaged's start
    // (THP off) recomputes it with the first high watermarks subtracted.
    let first = oxmm::watermark::calculate_min_free_kbytes(ours_managed, 4);
    let nfbp: u64 = mm
        .nodes()
        .flat_map(|n| n.zones().iter())
        .filter(|z| !matches!(z.zone_type(), oxmm::mmzone::ZoneType::Movable))
        .map(|z| {
            let w = oxmm::watermark::zone_watermarks(
                z.zone_type(),
                z.managed_pages(),
                ours_managed,
                first,
                4,
                10,
            );
            z.managed_pages().saturating_sub(w.high())
        })
        .sum();
    let expect_ours = oxmm::watermark::calculate_min_free_kbytes(nfbp, 4);
    assert!(expect_ours < first);
    assert_eq!(
        ours,
        expect_ours,
        "managed {ours_managed} thp {:?}",
        mm.sysctl().thp
    );
    // The log alone (without the zoneinfo twin) gives about 1 % more managed pages
    // than Linux had, so ours is within 1 % of Linux's.
    assert!(
        ours.abs_diff(linux) < linux / 100,
        "ours {ours}, Linux {linux}"
    );
}

#[test]
fn watermarks_are_linux_formulas_over_our_zones() {
    for case in ["q35-3g-smp2", "q35-numa2-4g", "q35-4g-kernelcore1g"] {
        let hm = boot(case);
        let mm = hm.mm();
        let mfk = mm.sysctl().min_free_kbytes;
        let lowmem: u64 = mm
            .nodes()
            .flat_map(|n| n.zones().iter())
            .filter(|z| !matches!(z.zone_type(), oxmm::mmzone::ZoneType::Movable))
            .map(|z| z.managed_pages())
            .sum();
        for n in mm.nodes() {
            for z in n.zones() {
                let w = oxmm::watermark::zone_watermarks(
                    z.zone_type(),
                    z.managed_pages(),
                    lowmem,
                    mfk,
                    4,
                    10,
                );
                assert_eq!(z.watermark, w, "{case} {}", z.zone_type());
            }
        }
    }
}

/// The watermark lines of a `/proc/zoneinfo`.
fn watermark_lines(text: &str) -> Vec<String> {
    const KEYS: [&str; 11] = [
        "pages free",
        "boost",
        "min",
        "low",
        "high",
        "promo",
        "spanned",
        "present",
        "managed",
        "cma",
        "protection:",
    ];
    text.lines()
        .filter(|l| {
            l.starts_with("Node ")
                || (l.starts_with("  ") && KEYS.iter().any(|k| l.trim_start().starts_with(k)))
        })
        .filter(|l| !l.starts_with("      ") || l.starts_with("        "))
        .filter(|l| !l.trim_start().starts_with("high:"))
        .map(str::to_owned)
        .collect()
}

/// The label part of a line (everything up to its first digit or `(`).
fn label(l: &str) -> &str {
    &l[..l
        .find(|c: char| c.is_ascii_digit() || c == '(')
        .unwrap_or(l.len())]
}

#[test]
fn zoneinfo_watermark_lines_have_linux_format() {
    for case in [
        "q35-2g-thp-never",
        "q35-3g-smp2",
        "q35-4g-cma256m",
        "q35-4g-kernelcore1g",
        "q35-numa2-4g",
    ] {
        let hm = boot(case);
        let mut ours = String::new();
        hm.mm().zoneinfo(&mut ours).unwrap();
        let p = fixtures_dir()
            .join("linux-6.12-qemu")
            .join(case)
            .join("zoneinfo.txt");
        let linux = watermark_lines(&read_fixture(&p));
        // The same watermark lines out of the whole file.
        let ours = watermark_lines(&ours);
        assert_eq!(ours.len(), linux.len(), "{case}: {ours:#?}\n{linux:#?}");
        for (o, l) in ours.iter().zip(&linux) {
            assert_eq!(label(o), label(l), "{case}");
            // Headers, spanned and present are exact; the rest depend on managed.
            let exact = [
                "Node",
                "        spanned",
                "        present",
                "        boost",
            ];
            if exact.iter().any(|k| l.starts_with(k)) {
                assert_eq!(o, l, "{case}");
            }
            if l.starts_with("        protection:") {
                assert_eq!(o.matches(", ").count(), l.matches(", ").count(), "{case}");
            }
        }
    }
}

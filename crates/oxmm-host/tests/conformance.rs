//! Conformance against real Linux: for every real boot log in `fixtures/bootlogs/` and
//! every Linux 6.12 QEMU capture in `fixtures/linux-6.12-qemu/`, import the machine from
//! the log (`Machine::from_dmesg_file`), boot it with `BootMode::DescribeOnly`, and require
//! oxmm's log to reproduce the kernel's memory-initialisation lines exactly, in that
//! kernel version's format: the `Zone ranges` block, the `Movable zone start` block, the
//! `Early memory node ranges` block, the `Initmem setup` lines, every unavailable-range
//! line, the `Fallback order` lines and `Built … Total pages`. Each category is compared
//! as a whole sequence, so a line the kernel printed that oxmm does not (or the reverse)
//! fails the test. For the 6.12 captures, each zone's `spanned` and `present` must also
//! equal `/proc/zoneinfo`.
//!
//! One `#[test]` per fixture, so a failure names the fixture; a failing test reports
//! every category that differs with its first differing line. The only exceptions are
//! the [`KNOWN_GAPS`]: a (fixture, category) the core does not reproduce yet for that
//! kernel version. Such a category must still *differ* (so the entry has to go once the
//! core is fixed); every other category of the fixture is checked exactly.

mod support;

use oxmm::mm::BootMode;
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;
use std::path::Path;
use support::dmesg::{self, Category};
use support::{fixtures_dir, read_fixture, zoneinfo};

/// Line categories oxmm's core does not reproduce yet for an old kernel version, with the
/// Linux function/version behaviour that is missing (all in core files: the importer's
/// zone layout, CONFIG_NUMA, online nodes, distances and movable_node come from the log
/// and match). Old kernels' `Total pages` is `nr_free_zone_pages()` over the managed
/// pages that `free_area_init_core` set before v6.10 (present − `calc_memmap_size` −
/// `dma_reserve`); the core reproduces it.
///
/// Empty since `dma_reserve`, the `Fallback order` backport and `sizeof(struct page)`
/// became machine facts (the first two read from the log, the last from
/// [`BUILD_FACTS`]); the table and its checks stay for the next gap.
const KNOWN_GAPS: &[(&str, Category, &str)] = &[];

/// Sets a build fact on an imported machine.
type SetFact = fn(&mut Machine);

/// Kernel build facts a boot log cannot reveal, set on the imported machine (like the
/// QEMU captures' NUMA distances, which come from their `config.txt`).
const BUILD_FACTS: &[(&str, SetFact)] = &[(
    "bootlogs/02-x86_64-vmware-512m-tinycore-6.1.txt",
    // tinycore's kernel config has no CONFIG_MEMCG, so its struct page lacks
    // `memcg_data`: 56 bytes (Total pages 130942 - 56 - 1736 - 158 = 128992 needs it).
    |m| m.kernel.struct_page_size = Some(56),
)];

/// The known gap of `path` in `cat`, if any.
fn known_gap(path: &Path, cat: Category) -> Option<&'static str> {
    KNOWN_GAPS
        .iter()
        .find(|(f, c, _)| *c == cat && path.ends_with(f))
        .map(|g| g.2)
}

/// Boot `rel` (a boot log, relative to `fixtures/`) and compare; `zoneinfo_rel` adds the
/// per-zone spanned/present comparison.
fn check(rel: &str, zoneinfo_rel: Option<&str>) {
    let zi = zoneinfo_rel.map(|z| fixtures_dir().join(z));
    check_paths(&fixtures_dir().join(rel), zi.as_deref());
}

/// [`check`] on any boot log and zoneinfo file.
fn check_paths(path: &Path, zoneinfo_path: Option<&Path>) {
    let rel = path.display();
    let expected = dmesg::extract(&dmesg::messages(&read_fixture(path)));
    let mut machine = Machine::from_dmesg_file(path)
        .unwrap_or_else(|e| panic!("{rel}: Machine::from_dmesg_file failed: {e}"));
    if let Some((_, set)) = BUILD_FACTS.iter().find(|(f, _)| path.ends_with(f)) {
        set(&mut machine);
    }
    let hm = HostedMachine::boot(&machine, BootMode::DescribeOnly)
        .unwrap_or_else(|e| panic!("{rel}: HostedMachine::boot(DescribeOnly) failed: {e}"));
    // All levels: the kernel's dmesg holds KERN_DEBUG lines too (older per-zone lines).
    let printed: Vec<String> = hm.log().iter().map(|(_, l)| l.clone()).collect();
    let actual = dmesg::extract(&printed);

    let mut failures = Vec::new();
    for cat in Category::ALL {
        let diff = dmesg::first_difference(expected.get(cat), actual.get(cat));
        match (diff, known_gap(path, cat)) {
            (Some(_), Some(_)) | (None, None) => {}
            (Some(d), None) => failures.push(format!("{}: {d}", cat.name())),
            (None, Some(why)) => failures.push(format!(
                "{}: now matches Linux; remove its KNOWN_GAPS entry (`{why}`)",
                cat.name()
            )),
        }
    }

    if let Some(zpath) = zoneinfo_path {
        let zi = zoneinfo::parse(&read_fixture(zpath))
            .unwrap_or_else(|e| panic!("{}: {e}", zpath.display()));
        let mut seen = Vec::new();
        for node in hm.mm().nodes() {
            let nid = u32::from(node.nid().0);
            for zone in node.zones() {
                let name = zone.zone_type().name();
                seen.push((nid, name.to_string()));
                let got = (zone.spanned_pages(), zone.present_pages());
                match zi.iter().find(|z| z.nid == nid && z.zone == name) {
                    Some(z) if (z.spanned, z.present) == got => {}
                    Some(z) => failures.push(format!(
                        "zoneinfo: node {nid} zone {name}: Linux spanned {} present {}, oxmm spanned {} present {}",
                        z.spanned, z.present, got.0, got.1
                    )),
                    None => failures.push(format!(
                        "zoneinfo: oxmm has node {nid} zone {name}, Linux's zoneinfo does not"
                    )),
                }
            }
        }
        for z in &zi {
            if !seen.iter().any(|(n, name)| *n == z.nid && *name == z.zone) {
                failures.push(format!(
                    "zoneinfo: Linux has node {} zone {} (spanned {} present {}), oxmm does not",
                    z.nid, z.zone, z.spanned, z.present
                ));
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{rel}: oxmm differs from Linux:\n  {}",
        failures.join("\n  ")
    );
}

/// One test per fixture, and the list of all of them (checked against the directories by
/// `every_fixture_has_a_test`).
macro_rules! bootlogs {
    ($($name:ident => $file:literal,)*) => {
        $(#[test] fn $name() { check(concat!("bootlogs/", $file), None); })*
        const BOOTLOGS: &[&str] = &[$(concat!("bootlogs/", $file)),*];
    };
}

macro_rules! qemu_cases {
    ($($name:ident => $case:literal,)*) => {
        $(#[test] fn $name() {
            check(
                concat!("linux-6.12-qemu/", $case, "/dmesg.txt"),
                Some(concat!("linux-6.12-qemu/", $case, "/zoneinfo.txt")),
            );
        })*
        const QEMU_CASES: &[&str] = &[$(concat!("linux-6.12-qemu/", $case)),*];
    };
}

bootlogs! {
    bootlog_01_x86_64_qemu_q35_2g_fedora_6_19 => "01-x86_64-qemu-q35-2g-fedora-6.19.txt",
    bootlog_02_x86_64_vmware_512m_tinycore_6_1 => "02-x86_64-vmware-512m-tinycore-6.1.txt",
    bootlog_04_x86_64_lenovo_ideapad320_8g_5_15 => "04-x86_64-lenovo-ideapad320-8g-5.15.txt",
    bootlog_05_x86_64_hp_pavilion_16g_5_13 => "05-x86_64-hp-pavilion-16g-5.13.txt",
    bootlog_06_x86_64_gce_vm_32g_5_4 => "06-x86_64-gce-vm-32g-5.4.txt",
    bootlog_07_x86_64_supermicro_x8sie_memmap_pmem_4_4 => "07-x86_64-supermicro-x8sie-memmap-pmem-4.4.txt",
    bootlog_08_x86_64_supermicro_epyc_2node_1_5t_5_14 => "08-x86_64-supermicro-epyc-2node-1.5t-5.14.txt",
    bootlog_09_x86_64_hpe_dl325_4node_memoryless_64g_5_0 => "09-x86_64-hpe-dl325-4node-memoryless-64g-5.0.txt",
    bootlog_10_x86_64_sun_x4600m2_8node_128g_5_11 => "10-x86_64-sun-x4600m2-8node-128g-5.11.txt",
    bootlog_12_x86_64_8node_512g_movable_hotplug_4_20 => "12-x86_64-8node-512g-movable-hotplug-4.20.txt",
    bootlog_14_i686_pae_msi_b85m_highmem_4_2 => "14-i686-pae-msi-b85m-highmem-4.2.txt",
    bootlog_15_armv7_apq8074_dragonboard_2g_highmem_cma_5_17 => "15-armv7-apq8074-dragonboard-2g-highmem-cma-5.17.txt",
    bootlog_16_arm64_clearfog_gt8k_4g_cma_5_8 => "16-arm64-clearfog-gt8k-4g-cma-5.8.txt",
    bootlog_17_arm64_rg353v_2g_cma_6_6 => "17-arm64-rg353v-2g-cma-6.6.txt",
    bootlog_18_arm64_orangepi5_8g_cma_5_10 => "18-arm64-orangepi5-8g-cma-5.10.txt",
    bootlog_20_riscv64_spacemit_k3_32g_cma_6_12 => "20-riscv64-spacemit-k3-32g-cma-6.12.txt",
}

qemu_cases! {
    qemu_q35_2g_sysctl => "q35-2g-sysctl",
    qemu_q35_2g_sysctl2 => "q35-2g-sysctl2",
    qemu_q35_2g_sysctl3 => "q35-2g-sysctl3",
    qemu_q35_2g_sysctl4 => "q35-2g-sysctl4",
    qemu_q35_2g_thp_never => "q35-2g-thp-never",
    qemu_q35_384m => "q35-384m",
    qemu_q35_3g_mem1g => "q35-3g-mem1g",
    qemu_q35_3g_smp2 => "q35-3g-smp2",
    qemu_q35_4g_cma256m => "q35-4g-cma256m",
    qemu_q35_4g_kernelcore1g => "q35-4g-kernelcore1g",
    qemu_q35_4g_mem1500m => "q35-4g-mem1500m",
    qemu_q35_4g_mem3g => "q35-4g-mem3g",
    qemu_q35_4g_memmap512m_reserved => "q35-4g-memmap512m-reserved",
    qemu_q35_512m_oom => "q35-512m-oom",
    qemu_q35_6g_memmap256m_pmem => "q35-6g-memmap256m-pmem",
    qemu_q35_numa2_4g => "q35-numa2-4g",
    qemu_q35_numa2_4g_cma512m_nocma => "q35-numa2-4g-cma512m-nocma",
    qemu_q35_numa2_4g_kernelcore1g => "q35-numa2-4g-kernelcore1g",
    qemu_q35_numa2_4g_movablecore25pct => "q35-numa2-4g-movablecore25pct",
    qemu_q35_numa2_4g_numaoff => "q35-numa2-4g-numaoff",
    qemu_q35_numa3_4g_memoryless => "q35-numa3-4g-memoryless",
    qemu_q35_numa3_6g_asymdist => "q35-numa3-6g-asymdist",
    qemu_q35_numa4_8g_kernelcore50pct => "q35-numa4-8g-kernelcore50pct",
    qemu_q35_numa4_8g_movablecore2g => "q35-numa4-8g-movablecore2g",
}

/// Every known gap names a fixture that has a test, once per category; so does every
/// build fact.
#[test]
fn known_gaps_name_existing_fixtures() {
    for (f, _) in BUILD_FACTS {
        assert!(
            BOOTLOGS.contains(f),
            "BUILD_FACTS entry `{f}` is not a fixture"
        );
    }
    for (i, (f, c, why)) in KNOWN_GAPS.iter().enumerate() {
        assert!(
            BOOTLOGS.contains(f) || QEMU_CASES.iter().any(|q| f.starts_with(q)),
            "KNOWN_GAPS entry `{f}` is not a fixture"
        );
        assert!(!why.is_empty(), "KNOWN_GAPS entry `{f}` has no reason");
        assert!(
            !KNOWN_GAPS[..i].iter().any(|(g, d, _)| g == f && d == c),
            "KNOWN_GAPS lists `{f}` {} twice",
            c.name()
        );
    }
}

#[test]
fn every_fixture_has_a_test() {
    assert_eq!(
        support::bootlog_fixtures(),
        BOOTLOGS,
        "tests vs files in fixtures/bootlogs/"
    );
    assert_eq!(
        support::qemu_fixtures(),
        QEMU_CASES,
        "tests vs cases in fixtures/linux-6.12-qemu/"
    );
}

/// The board of seed `001_2d7a5b1876f2f213` (the `arm64-board` profile). Its log shows:
///
/// ```text
/// Zone ranges:
///   DMA      [mem 0x0000000018000000-0x00000000ffffffff]
///   DMA32    empty
///   Normal   [mem 0x0000000100000000-0x00000001efffffff]
/// Early memory node ranges
///   node   0: [mem 0x0000000018000000-0x00000000180fffff]
///   node   0: [mem 0x0000000080000000-0x000000008affffff]
///   node   0: [mem 0x000000008b000000-0x000000008cffffff]
///   node   0: [mem 0x000000008d000000-0x000000008fcfffff]
///   node   0: [mem 0x000000008fd00000-0x000000008fdfffff]
///   node   0: [mem 0x000000008fe00000-0x000000008febffff]
///   node   0: [mem 0x000000008fec0000-0x00000000b1ffffff]
///   node   0: [mem 0x00000000b2000000-0x00000000efffffff]
///   node   0: [mem 0x0000000198000000-0x00000001efffffff]
/// On node 0 totalpages: 819456
/// ```
///
/// and the spanned/present values below are derived from it by hand.
#[test]
fn seed_001_arm64_board_spanned_and_present() {
    // Node ranges as pfns [start, end) (4 KiB pages: address >> 12, end + 1):
    //   0x18000  ..0x18100   =    0x100 =    256
    //   0x80000  ..0x8b000   =   0xb000 =  45056
    //   0x8b000  ..0x8d000   =   0x2000 =   8192
    //   0x8d000  ..0x8fd00   =   0x2d00 =  11520
    //   0x8fd00  ..0x8fe00   =    0x100 =    256
    //   0x8fe00  ..0x8fec0   =     0xc0 =    192
    //   0x8fec0  ..0xb2000   =  0x22140 = 139584
    //   0xb2000  ..0xf0000   =  0x3e000 = 253952
    //   0x198000 ..0x1f0000  =  0x58000 = 360448
    // DMA (pfns below 0x100000) present: 256+45056+8192+11520+256+192+139584+253952 = 459008
    // Normal (from 0x100000) present: 360448; node total 459008 + 360448 = 819456, the
    // log's `totalpages`.
    // Spans: the node starts at pfn 0x18000 and ends at 0x1f0000, so
    //   node spanned   = 0x1f0000 - 0x18000  = 0x1d8000 = 1933312
    //   DMA spanned    = 0x100000 - 0x18000  = 0xe8000  =  950272 (zone clipped to the node start)
    //   DMA32          = empty: 0 spanned, 0 present
    //   Normal spanned = 0x1f0000 - 0x100000 = 0xf0000  =  983040
    let m = Machine::profile("arm64-board")
        .unwrap_or_else(|e| panic!("Machine::profile(\"arm64-board\"): {e}"));
    let hm = HostedMachine::boot(&m, BootMode::DescribeOnly)
        .unwrap_or_else(|e| panic!("booting arm64-board: {e}"));
    let nodes: Vec<_> = hm.mm().nodes().collect();
    assert_eq!(nodes.len(), 1, "arm64-board has one node");
    let node = nodes[0];
    assert_eq!(node.nid().0, 0);
    assert_eq!(node.start_pfn(), 0x18000, "node start pfn");
    assert_eq!(node.spanned_pages(), 1_933_312, "node spanned");
    assert_eq!(node.present_pages(), 819_456, "node present");
    let want = [
        (oxmm::mmzone::ZoneType::Dma, 950_272u64, 459_008u64),
        (oxmm::mmzone::ZoneType::Dma32, 0, 0),
        (oxmm::mmzone::ZoneType::Normal, 983_040, 360_448),
        (oxmm::mmzone::ZoneType::Movable, 0, 0),
    ];
    for (t, spanned, present) in want {
        let z = node
            .zones()
            .iter()
            .find(|z| z.zone_type() == t)
            .unwrap_or_else(|| panic!("arm64-board: no {t} zone"));
        assert_eq!(
            (z.spanned_pages(), z.present_pages()),
            (spanned, present),
            "arm64-board zone {t}: (spanned, present)"
        );
    }
    // Zones absent from the list above (Device) are empty.
    let listed: u64 = node.zones().iter().map(|z| z.present_pages()).sum();
    assert_eq!(listed, 819_456, "present pages over all zones");
}

/// The same board's log shows the seed's zone ranges and its nine early node ranges
/// (adjacent ranges stay separate in the seed's log, as memblock keeps regions with
/// different flags apart). The seed's kernel has no ZONE_DEVICE, so a `Device` line is
/// not compared.
#[test]
fn seed_001_arm64_board_zone_and_node_ranges() {
    let m = Machine::profile("arm64-board")
        .unwrap_or_else(|e| panic!("Machine::profile(\"arm64-board\"): {e}"));
    let hm = HostedMachine::boot(&m, BootMode::DescribeOnly)
        .unwrap_or_else(|e| panic!("booting arm64-board: {e}"));
    let printed: Vec<String> = hm.log().iter().map(|(_, l)| l.clone()).collect();
    let x = dmesg::extract(&printed);
    let zr: Vec<&str> = x
        .zone_ranges
        .iter()
        .map(String::as_str)
        .filter(|l| !l.contains("Device"))
        .collect();
    assert_eq!(
        zr,
        [
            "Zone ranges:",
            "  DMA      [mem 0x0000000018000000-0x00000000ffffffff]",
            "  DMA32    empty",
            "  Normal   [mem 0x0000000100000000-0x00000001efffffff]",
        ]
    );
    // Compared as the seed prints them, so a failure shows readable addresses.
    let ranges: Vec<String> = x
        .early_node_ranges_parsed()
        .iter()
        .map(|r| format!("node {}: {:#x}-{:#x}", r.0, r.1, r.2))
        .collect();
    assert_eq!(
        ranges,
        [
            "node 0: 0x18000000-0x180fffff",
            "node 0: 0x80000000-0x8affffff",
            "node 0: 0x8b000000-0x8cffffff",
            "node 0: 0x8d000000-0x8fcfffff",
            "node 0: 0x8fd00000-0x8fdfffff",
            "node 0: 0x8fe00000-0x8febffff",
            "node 0: 0x8fec0000-0xb1ffffff",
            "node 0: 0xb2000000-0xefffffff",
            "node 0: 0x198000000-0x1efffffff",
        ],
        "arm64-board's early memory node ranges vs the seed's"
    );
}

/// Opt-in differential run against the real kernel (not part of the default test run: it
/// boots QEMU, ~15–40 s a case). With `OXMM_ORACLE=1`, every committed 6.12 case (or
/// those named in `OXMM_ORACLE_CASES=a,b`) is booted again with the arguments in its
/// `config.txt` through `linux-oracle.sh` (`OXMM_ORACLE_TOOL`, default
/// `../shared/tools/linux-oracle.sh` next to the repository); the fresh capture must show
/// the same memory-initialisation lines as the committed fixture, and oxmm must
/// reproduce it like the committed one.
#[test]
fn oracle_recapture_opt_in() {
    if std::env::var("OXMM_ORACLE").as_deref() != Ok("1") {
        eprintln!("oracle_recapture_opt_in: set OXMM_ORACLE=1 to boot the real kernel under QEMU");
        return;
    }
    let tool = std::env::var("OXMM_ORACLE_TOOL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| fixtures_dir().join("../../shared/tools/linux-oracle.sh"));
    let only: Option<Vec<String>> = std::env::var("OXMM_ORACLE_CASES")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    for case in QEMU_CASES {
        let name = case.trim_start_matches("linux-6.12-qemu/");
        if only.as_ref().is_some_and(|o| !o.iter().any(|c| c == name)) {
            continue;
        }
        let dir = fixtures_dir().join(case);
        let config = read_fixture(&dir.join("config.txt"));
        let field = |key: &str| {
            config
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| panic!("{case}/config.txt: no `{key}` line"))
        };
        let out = std::env::temp_dir().join("oxmm-oracle").join(name);
        let _ = std::fs::remove_dir_all(&out);
        let status = std::process::Command::new("bash")
            .arg(&tool)
            .arg(&out)
            .arg(field("qemu:"))
            .arg(field("cmdline:"))
            .status()
            .unwrap_or_else(|e| panic!("running {}: {e}", tool.display()));
        assert!(
            status.success(),
            "{case}: {} failed: {status}",
            tool.display()
        );
        let fresh = dmesg::extract(&dmesg::messages(&read_fixture(&out.join("dmesg.txt"))));
        let committed = dmesg::extract(&dmesg::messages(&read_fixture(&dir.join("dmesg.txt"))));
        for cat in Category::ALL {
            if let Some(d) = dmesg::first_difference(committed.get(cat), fresh.get(cat)) {
                panic!(
                    "{case}: the real kernel no longer prints the committed {}: {d}",
                    cat.name()
                );
            }
        }
        check_paths(&out.join("dmesg.txt"), Some(&out.join("zoneinfo.txt")));
    }
}

/// The importer reads the boot facts behind the closed gaps from the logs themselves, and
/// the machine description carries them through TOML into `BootConfig`.
#[test]
fn importer_reads_boot_facts_from_logs() {
    let import = |f: &str| {
        Machine::from_dmesg_file(fixtures_dir().join("bootlogs").join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"))
    };
    // RHEL 9's 5.14 prints the v5.16 `Fallback order` lines; mainline 5.11 does not.
    let rhel = import("08-x86_64-supermicro-epyc-2node-1.5t-5.14.txt");
    assert_eq!(rhel.print_fallback_order, Some(true));
    let old = import("10-x86_64-sun-x4600m2-8node-128g-5.11.txt");
    assert_eq!(old.print_fallback_order, Some(false));
    assert_eq!(old.dma_reserve, Some(21));
    assert_eq!(
        import("06-x86_64-gce-vm-32g-5.4.txt").dma_reserve,
        Some(3105)
    );
    // 6.19 prints no `pages reserved` line (dma_reserve is gone since v6.10).
    assert_eq!(
        import("01-x86_64-qemu-q35-2g-fedora-6.19.txt").dma_reserve,
        None
    );

    let mut m = old.clone();
    m.kernel.struct_page_size = Some(56);
    let back = Machine::from_toml_str(&m.to_toml_string(), "roundtrip").unwrap();
    assert_eq!(back.kernel.struct_page_size, Some(56));
    assert_eq!(back.dma_reserve, Some(21));
    assert_eq!(back.print_fallback_order, Some(false));
    let setup = back.setup().unwrap();
    let cfg = setup.boot_config();
    assert_eq!(
        (
            cfg.struct_page_size,
            cfg.dma_reserve,
            cfg.print_fallback_order
        ),
        (Some(56), Some(21), Some(false))
    );

    m.kernel.struct_page_size = Some(0);
    let e = m.validate().unwrap_err().to_string();
    assert!(e.contains("struct_page_size") && e.contains('0'), "{e}");
}

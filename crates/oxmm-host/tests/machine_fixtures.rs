//! Every real boot log in `fixtures/` imports, sets up, and yields memblock.memory equal to
//! the log's `Early memory node ranges` (base, end, node), and the zone limits its
//! `Zone ranges` imply.

use oxmm::mmzone::ZoneType;
use oxmm_host::machine::Machine;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn logs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join("bootlogs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    for e in std::fs::read_dir(fixtures().join("linux-6.12-qemu")).unwrap() {
        let p = e.unwrap().path().join("dmesg.txt");
        if p.exists() {
            v.push(p);
        }
    }
    v.sort();
    assert!(v.len() >= 20, "fixtures missing: {v:?}");
    v
}

fn message(raw: &str) -> &str {
    let s = match raw.find(" kernel: ") {
        Some(p) => &raw[p + 9..],
        None => raw,
    };
    let s = if s.starts_with('[') {
        &s[s.find(']').unwrap() + 1..]
    } else {
        s
    };
    s.trim()
}

/// `(nid, start, end_exclusive)` of each `node N: [mem A-B]` line.
fn early_ranges(text: &str) -> Vec<(u16, u64, u64)> {
    let mut out = Vec::new();
    let mut on = false;
    for raw in text.lines().filter(|l| !l.starts_with('#')) {
        let m = message(raw);
        if m == "Early memory node ranges" {
            on = true;
            out.clear();
            continue;
        }
        // Some 6.12 captures drop the header line; the node lines are unmistakable.
        if let Some(rest) = m.strip_prefix("node ") {
            if let Some((nid, r)) = rest.split_once(": [mem ") {
                let (a, b) = r.trim_end_matches(']').split_once('-').unwrap();
                let a = u64::from_str_radix(a.trim_start_matches("0x"), 16).unwrap();
                let b = u64::from_str_radix(b.trim_start_matches("0x"), 16).unwrap();
                out.push((nid.trim().parse().unwrap(), a, b + 1));
                continue;
            }
        }
        if on && !out.is_empty() {
            on = false;
        }
    }
    out
}

fn zone_ends(text: &str) -> Vec<(String, Option<u64>)> {
    let mut out = Vec::new();
    let mut on = false;
    for raw in text.lines().filter(|l| !l.starts_with('#')) {
        let m = message(raw);
        if m == "Zone ranges:" {
            on = true;
            continue;
        }
        if on {
            let name = m.split_whitespace().next().unwrap_or("");
            if !matches!(name, "DMA" | "DMA32" | "Normal" | "HighMem" | "Device") {
                break;
            }
            let end = m.split_once('-').map(|(_, b)| {
                u64::from_str_radix(b.trim_end_matches(']').trim_start_matches("0x"), 16).unwrap()
                    + 1
            });
            out.push((name.to_string(), end));
        }
    }
    out
}

#[test]
fn every_fixture_log_imports_and_matches_its_node_ranges() {
    let mut failures = Vec::new();
    for path in logs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let m = match Machine::from_dmesg_file(&path) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}: import: {e}", path.display()));
                continue;
            }
        };
        let s = match m.setup() {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: setup: {e}", path.display()));
                continue;
            }
        };
        let want = early_ranges(&text);
        assert!(
            !want.is_empty(),
            "{}: no node ranges in the fixture",
            path.display()
        );
        let got: Vec<(u16, u64, u64)> = s
            .memblock()
            .memory()
            .regions()
            .iter()
            .map(|r| (r.nid.map_or(u16::MAX, |n| n.0), r.base.0, r.end().0))
            .collect();
        if got != want {
            failures.push(format!(
                "{}: memblock.memory differs\n  want {:x?}\n  got  {:x?}",
                path.display(),
                want,
                got
            ));
        }
        // Zone ends the log prints must be what the zone limits give.
        let cfg = s.boot_config();
        let max_pfn = s.max_pfn();
        let mut prev = 0;
        for (name, end) in zone_ends(&text) {
            let t = match name.as_str() {
                "DMA" => ZoneType::Dma,
                "DMA32" => ZoneType::Dma32,
                "Normal" => ZoneType::Normal,
                "HighMem" => ZoneType::HighMem,
                _ => continue,
            };
            let lim = cfg.zone_limits.get(t).map(|l| l.min(max_pfn));
            if let Some(e) = end {
                if lim != Some(e >> 12) {
                    failures.push(format!(
                        "{}: zone {name} ends at pfn {:#x}, limit {:x?}",
                        path.display(),
                        e >> 12,
                        lim
                    ));
                }
                prev = e >> 12;
            } else if lim.is_some_and(|l| l > prev) && t != ZoneType::Normal {
                failures.push(format!(
                    "{}: zone {name} is empty in the log, limit {:x?} > {prev:#x}",
                    path.display(),
                    lim
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn numa_logs_keep_their_nodes_and_cpus() {
    let f = fixtures().join("bootlogs");
    let m = Machine::from_dmesg_file(f.join("09-x86_64-hpe-dl325-4node-memoryless-64g-5.0.txt"))
        .unwrap();
    let s = m.setup().unwrap();
    let ids: Vec<u16> = s.nodes().iter().map(|n| n.nid.0).collect();
    assert_eq!(ids, vec![0, 1, 2, 3], "memoryless nodes 1 and 3 are online");
    assert_eq!(s.boot_config().nr_cpus, 32);

    let m = Machine::from_dmesg_file(f.join("10-x86_64-sun-x4600m2-8node-128g-5.11.txt")).unwrap();
    let s = m.setup().unwrap();
    let cfg = s.boot_config();
    assert_eq!(cfg.nodes.len(), 8);
    use oxmm::types::NodeId;
    assert_eq!(cfg.distances.get(NodeId(0), NodeId(7)), 16);
    assert_eq!(cfg.distances.get(NodeId(3), NodeId(1)), 12);

    let m = Machine::from_dmesg_file(fixtures().join("linux-6.12-qemu/q35-numa2-4g/dmesg.txt"))
        .unwrap();
    let s = m.setup().unwrap();
    assert_eq!(
        s.nodes().iter().map(|n| n.nr_cpus).collect::<Vec<_>>(),
        vec![2, 2]
    );
}

#[test]
fn imported_options_kernel_and_version() {
    let f = fixtures();
    let m =
        Machine::from_dmesg_file(f.join("linux-6.12-qemu/q35-4g-kernelcore1g/dmesg.txt")).unwrap();
    let s = m.setup().unwrap();
    let cfg = s.boot_config();
    assert_eq!(cfg.kernelcore, Some(oxmm::boot::CoreSize::Bytes(1 << 30)));
    assert_eq!(cfg.log_format, oxmm::boot::LogFormat::new(6, 12));
    assert_eq!(cfg.kernel.code, 16384 << 10);
    assert_eq!(cfg.kernel.bss, 4904 << 10);
    let m = Machine::from_dmesg_file(f.join("linux-6.12-qemu/q35-2g-thp-never/dmesg.txt")).unwrap();
    assert_eq!(
        m.setup().unwrap().boot_config().thp,
        oxmm::boot::ThpMode::Never
    );
    // Debian's kernel ignored cma= ("Unknown kernel command line parameters"): so do we.
    let m = Machine::from_dmesg_file(f.join("linux-6.12-qemu/q35-4g-cma256m/dmesg.txt")).unwrap();
    assert!(m.setup().unwrap().cma().is_empty());
    // The device-tree CMA reservation of the Dragonboard log.
    let m = Machine::from_dmesg_file(
        f.join("bootlogs/15-armv7-apq8074-dragonboard-2g-highmem-cma-5.17.txt"),
    )
    .unwrap();
    let s = m.setup().unwrap();
    assert_eq!(s.cma().len(), 1);
    assert_eq!(s.cma()[0].base.0, 0x7c00_0000);
    assert_eq!(s.cma()[0].size, 64 << 20);
    assert_eq!(
        s.boot_config().log_format,
        oxmm::boot::LogFormat::new(5, 17)
    );
    // The i686 log's lowmem limit.
    let m =
        Machine::from_dmesg_file(f.join("bootlogs/14-i686-pae-msi-b85m-highmem-4.2.txt")).unwrap();
    let s = m.setup().unwrap();
    assert_eq!(s.max_low_pfn(), 0x37bfe);
    assert_eq!(s.boot_config().arch, oxmm::boot::Arch::Ia32);
}

fn import(rel: &str) -> Machine {
    Machine::from_dmesg_file(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// CONFIG_NUMA is read from what only a NUMA kernel prints; a kernel whose log has none
/// of it (02, 04, 14, 15, 17, 18, 20) is classified non-NUMA, even with an ACPI SRAT
/// table reservation line (02) or `nr_node_ids:1` (02, 04, 14).
#[test]
fn config_numa_is_classified_from_the_log() {
    let numa = [
        "01", "05", "06", "07", "08", "09", "10", "12", "16", // real logs
    ];
    for p in logs() {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let m = Machine::from_dmesg_file(&p).unwrap();
        let want = if p.ends_with("dmesg.txt") {
            true // Debian's 6.12 kernel is a NUMA kernel
        } else {
            numa.iter().any(|n| name.starts_with(n))
        };
        assert_eq!(m.config_numa, Some(want), "{}", p.display());
        let cfg_numa = m.setup().unwrap().boot_config().config_numa;
        assert_eq!(cfg_numa, want, "{}: BootConfig.config_numa", p.display());
    }
}

/// Zones missing from `Zone ranges:` are zones the kernel was built without.
#[test]
fn zone_layout_follows_the_zone_ranges_block() {
    let m = import("bootlogs/20-riscv64-spacemit-k3-32g-cma-6.12.txt");
    let cfg_layout = m.setup().unwrap().boot_config().zone_layout;
    assert_eq!(cfg_layout.zones(), &[ZoneType::Normal, ZoneType::Movable]);
    let m = import("bootlogs/02-x86_64-vmware-512m-tinycore-6.1.txt");
    let cfg_layout = m.setup().unwrap().boot_config().zone_layout;
    assert_eq!(
        cfg_layout.zones(),
        &[
            ZoneType::Dma,
            ZoneType::Dma32,
            ZoneType::Normal,
            ZoneType::Movable
        ]
    );
    let m = import("linux-6.12-qemu/q35-2g-thp-never/dmesg.txt");
    assert!(m.zones.disabled.is_empty());
    assert!(m
        .setup()
        .unwrap()
        .boot_config()
        .zone_layout
        .has(ZoneType::Device));
}

/// A CPU-only node (`Initmem setup node 1 as memoryless`) is online.
#[test]
fn memoryless_node_is_online() {
    let m = import("linux-6.12-qemu/q35-numa3-4g-memoryless/dmesg.txt");
    let ids: Vec<u16> = m.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids, [0, 1, 2]);
    assert!(m.nodes[1].ranges.is_empty());
}

/// Without a printed SLIT, the distances reproduce the log's fallback orders (nodes 0/1
/// and 2/3 are pairs), and are left unset when 10/20 already do.
#[test]
fn distances_are_derived_from_fallback_orders() {
    let m = import("linux-6.12-qemu/q35-numa4-8g-movablecore2g/dmesg.txt");
    assert_eq!(m.distances.len(), 4);
    let d = &m.distances;
    assert!(d[0][1] < d[0][2] && d[2][3] < d[2][0], "{d:?}");
    assert!((0..4).all(|i| d[i][i] == 10 && (0..4).all(|j| d[i][j] == d[j][i])));
    let m = import("linux-6.12-qemu/q35-numa3-4g-memoryless/dmesg.txt");
    assert!(m.distances.is_empty(), "{:?}", m.distances);
}

/// Movable zones on the SRAT's hot-pluggable nodes mean `movable_node`.
#[test]
fn hotplug_srat_with_movable_zones_is_movable_node() {
    let m = import("bootlogs/12-x86_64-8node-512g-movable-hotplug-4.20.txt");
    assert!(m.options().unwrap().movable_node);
    assert!(m.nodes.iter().filter(|n| n.hotplug).count() == 7);
    let m = import("linux-6.12-qemu/q35-numa2-4g-kernelcore1g/dmesg.txt");
    assert!(!m.options().unwrap().movable_node);
}

/// Fixture 14 (i686 PAE, 4.2) prints the `virtual kernel memory layout:` block: its
/// fixmap size and PAE are imported, and the machine-determined lines come out exactly.
#[test]
fn ia32_layout_block_from_fixture_14() {
    let path = fixtures().join("bootlogs/14-i686-pae-msi-b85m-highmem-4.2.txt");
    let m = Machine::from_dmesg_file(&path).unwrap();
    assert_eq!(m.kernel.fixmap_pages, Some(234));
    assert_eq!(m.kernel.pae, Some(true));
    let hm = oxmm_host::hosted::HostedMachine::boot(&m, oxmm::mm::BootMode::DescribeOnly).unwrap();
    let lines = hm.log_lines();
    let text = std::fs::read_to_string(&path).unwrap();
    for want in [
        "3698MB HIGHMEM available.",
        "891MB LOWMEM available.",
        "virtual kernel memory layout:",
        "    fixmap  : 0xfff15000 - 0xfffff000   ( 936 kB)",
        "    pkmap   : 0xffc00000 - 0xffe00000   (2048 kB)",
        "    vmalloc : 0xf83fe000 - 0xffbfe000   ( 120 MB)",
        "    lowmem  : 0xc0000000 - 0xf7bfe000   ( 891 MB)",
    ] {
        assert!(
            text.lines().any(|l| l.ends_with(want)),
            "fixture lacks {want:?}"
        );
        assert!(
            lines.iter().any(|l| l == want),
            "oxmm did not print {want:?}: {lines:#?}"
        );
    }
    assert!(
        !lines.iter().any(|l| l.contains("Device")),
        "i686 has no ZONE_DEVICE"
    );
}

/// The `ia32-4g` profile prints the layout block after `Memory:` (896 MiB lowmem).
#[test]
fn ia32_profile_prints_layout_block() {
    let m = Machine::profile("ia32-4g").unwrap();
    let hm = oxmm_host::hosted::HostedMachine::boot(&m, oxmm::mm::BootMode::DescribeOnly).unwrap();
    let lines = hm.log_lines();
    let mem = lines
        .iter()
        .position(|l| l.starts_with("Memory: "))
        .unwrap();
    assert_eq!(lines[mem + 1], "virtual kernel memory layout:");
    assert_eq!(
        lines[mem + 5],
        "    lowmem  : 0xc0000000 - 0xf8000000   ( 896 MB)"
    );
    assert!(lines.contains(&"896MB LOWMEM available.".to_string()));
}

/// `Hardware name:` (dump_stack's arch description) comes from the log's `DMI:` line
/// on x86 (not its `DMI: Memory slots populated` line) and its `Machine model:` line
/// on device-tree machines, as `MODEL (DT)`; the real 6.12 logs' `dump_stack` output
/// (a WARNING in q35-numa2-4g) shows the DMI text verbatim.
#[test]
fn hardware_name_from_dmi_or_device_tree_model() {
    let qemu = "QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014";
    let m = import("linux-6.12-qemu/q35-numa2-4g/dmesg.txt");
    assert_eq!(m.hardware_name.as_deref(), Some(qemu));
    let real =
        std::fs::read_to_string(fixtures().join("linux-6.12-qemu/q35-numa2-4g/dmesg.txt")).unwrap();
    assert!(real.contains(&format!("] Hardware name: {qemu}\n")));
    for (rel, want) in [
        (
            "bootlogs/09-x86_64-hpe-dl325-4node-memoryless-64g-5.0.txt",
            "HPE ProLiant DL325 Gen10/ProLiant DL325 Gen10, BIOS A41 06/07/2018",
        ),
        (
            "bootlogs/16-arm64-clearfog-gt8k-4g-cma-5.8.txt",
            "SolidRun ClearFog GT 8K (DT)",
        ),
        (
            "bootlogs/15-armv7-apq8074-dragonboard-2g-highmem-cma-5.17.txt",
            "Qualcomm APQ8074 Dragonboard (DT)",
        ),
        (
            "bootlogs/20-riscv64-spacemit-k3-32g-cma-6.12.txt",
            "spacemit,k3-com260 (DT)",
        ),
    ] {
        assert_eq!(import(rel).hardware_name.as_deref(), Some(want), "{rel}");
    }
    // It round-trips through a machine description.
    let back = Machine::from_toml_str(&m.to_toml_string(), "twin.toml").unwrap();
    assert_eq!(back.hardware_name.as_deref(), Some(qemu));
}

//! `/proc/zoneinfo`, `/proc/vmstat` and `/proc/meminfo` against the Linux 6.12 QEMU
//! captures in `fixtures/linux-6.12-qemu`: each real file, parsed into oxmm's values
//! and rendered again, comes out byte for byte; MemAvailable recomputed from the real
//! files' inputs equals the real one; and a machine booted from each capture's boot
//! log renders files with exactly the real files' lines (names, in order).

mod support;

use oxmm::mm::BootMode;
use oxmm::mmzone::{ZoneLayout, ZoneType, MAX_NR_ZONES};
use oxmm::proc::meminfo::{DirectMap, Meminfo};
use oxmm::proc::vmstat::Vmstat;
use oxmm::proc::zoneinfo::{ZoneinfoDetail, ZoneinfoPageset, ZoneinfoZone};
use oxmm::vmstat::{MemAvailableInputs, NodeStatItem, NumaStatItem, ZoneStatItem};
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;
use support::{fixtures_dir, qemu_fixtures, read_fixture};

fn num(s: &str, lineno: usize) -> u64 {
    s.trim_end_matches(',')
        .parse()
        .unwrap_or_else(|e| panic!("line {lineno}: {s:?} is not a number: {e}"))
}

/// Parse a zoneinfo into sections and their pagesets. Whitespace is not significant
/// here, so the re-rendering checks the renderer's layout, not the parser's.
fn parse_zoneinfo(text: &str) -> Vec<(ZoneinfoZone, Vec<ZoneinfoPageset>)> {
    let mut out: Vec<(ZoneinfoZone, Vec<ZoneinfoPageset>)> = Vec::new();
    let mut in_node_stats = false;
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.first() == Some(&"Node") {
            let nid = num(t[1], lineno) as u16;
            let zone = ZoneType::ALL
                .into_iter()
                .find(|z| z.name() == t[3])
                .unwrap_or_else(|| panic!("line {lineno}: zone {:?}", t[3]));
            out.push((ZoneinfoZone::empty(nid, zone), Vec::new()));
            in_node_stats = false;
            continue;
        }
        let (z, ps) = out
            .last_mut()
            .unwrap_or_else(|| panic!("line {lineno}: before any section"));
        let v = || num(t[t.len() - 1], lineno);
        match t.as_slice() {
            ["per-node", "stats"] => {
                z.node_stats = Some([0; 47]);
                in_node_stats = true;
            }
            ["pages", "free", _] => {
                in_node_stats = false;
                z.free = v();
            }
            ["boost", _] => z.boost = v(),
            ["min", _] => z.min = v(),
            ["low", _] => z.low = v(),
            ["high", _] => z.high = v(),
            ["promo", _] => z.promo = v(),
            ["spanned", _] => z.spanned = v(),
            ["present", _] => z.present = v(),
            ["managed", _] => z.managed = v(),
            ["cma", _] => z.cma = v(),
            ["protection:", rest @ ..] => {
                let vals: Vec<u64> = rest
                    .iter()
                    .map(|s| num(s.trim_matches(|c| c == '(' || c == ')'), lineno))
                    .collect();
                assert!(vals.len() <= MAX_NR_ZONES, "line {lineno}");
                z.protection[..vals.len()].copy_from_slice(&vals);
                z.nr_protection = vals.len();
            }
            ["pagesets"] => {}
            ["cpu:", c] => ps.push(ZoneinfoPageset {
                cpu: num(c, lineno) as usize,
                count: 0,
                high: 0,
                batch: 0,
                stat_threshold: 0,
            }),
            ["count:", c] => ps.last_mut().unwrap().count = num(c, lineno) as i32,
            ["high:", c] => ps.last_mut().unwrap().high = num(c, lineno) as i32,
            ["batch:", c] => ps.last_mut().unwrap().batch = num(c, lineno) as i32,
            ["vm", "stats", "threshold:", c] => {
                ps.last_mut().unwrap().stat_threshold = num(c, lineno) as u32
            }
            ["node_unreclaimable:", c] => {
                z.detail.as_mut().unwrap().node_unreclaimable = num(c, lineno) != 0
            }
            ["start_pfn:", _] => z.detail.as_mut().unwrap().start_pfn = v(),
            [name, _] if in_node_stats => {
                let i = NodeStatItem::from_name(name)
                    .unwrap_or_else(|| panic!("line {lineno}: node stat {name:?}"));
                z.node_stats.as_mut().unwrap()[i as usize] = v();
            }
            [name, _] => {
                let d = z.detail.get_or_insert(ZoneinfoDetail {
                    stats: [0; 12],
                    numa: [0; 6],
                    node_unreclaimable: false,
                    start_pfn: 0,
                });
                if let Some(i) = ZoneStatItem::from_name(name) {
                    d.stats[i as usize] = v();
                } else if let Some(i) = NumaStatItem::from_name(name) {
                    d.numa[i as usize] = v();
                } else {
                    panic!("line {lineno}: zone stat {name:?}");
                }
            }
            _ => panic!("line {lineno}: unexpected {line:?}"),
        }
    }
    out
}

fn render_zoneinfo(zones: &[(ZoneinfoZone, Vec<ZoneinfoPageset>)]) -> String {
    let mut s = String::new();
    for (z, ps) in zones {
        z.write(&mut s, &mut ps.iter().copied()).unwrap();
    }
    s
}

fn parse_vmstat(text: &str) -> Vmstat {
    let mut v = Vmstat::new(ZoneLayout::X86_64);
    for (n, line) in text.lines().enumerate() {
        let (name, val) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("vmstat line {}: {line:?}", n + 1));
        let val = num(val, n + 1);
        if name == "nr_unstable" {
            assert_eq!(val, 0, "nr_unstable is always 0");
            continue;
        }
        *v.field_mut(name)
            .unwrap_or_else(|| panic!("vmstat line {}: unknown {name:?}", n + 1)) = val;
    }
    v
}

fn parse_meminfo(text: &str) -> Meminfo {
    let mut m = Meminfo::default();
    let mut high = [0u64; 4];
    for (n, line) in text.lines().enumerate() {
        let (label, rest) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("meminfo line {}: {line:?}", n + 1));
        let val = num(rest.split_whitespace().next().unwrap_or(""), n + 1);
        match label {
            "HighTotal" | "HighFree" | "LowTotal" | "LowFree" => {
                let i = ["HighTotal", "HighFree", "LowTotal", "LowFree"]
                    .iter()
                    .position(|l| *l == label)
                    .unwrap();
                high[i] = val;
                m.highmem = Some(high);
            }
            "CmaTotal" => m.cma.get_or_insert([0; 2])[0] = val,
            "CmaFree" => m.cma.get_or_insert([0; 2])[1] = val,
            "DirectMap4k" => m.direct_map.get_or_insert(DirectMap::default()).k4 = val,
            "DirectMap2M" => m.direct_map.get_or_insert(DirectMap::default()).pmd = val,
            "DirectMap4M" => {
                let d = m.direct_map.get_or_insert(DirectMap::default());
                d.pmd = val;
                d.pmd_4m = true;
            }
            "DirectMap1G" => m.direct_map.get_or_insert(DirectMap::default()).g1 = Some(val),
            _ => {
                *m.field_mut(label)
                    .unwrap_or_else(|| panic!("meminfo line {}: unknown {label:?}", n + 1)) = val
            }
        }
    }
    m
}

fn case_file(case: &str, file: &str) -> String {
    read_fixture(&fixtures_dir().join(case).join(file))
}

#[test]
fn real_files_render_back_byte_for_byte() {
    let cases = qemu_fixtures();
    assert!(cases.len() >= 5, "{cases:?}");
    for case in &cases {
        let zi = case_file(case, "zoneinfo.txt");
        assert_eq!(
            render_zoneinfo(&parse_zoneinfo(&zi)),
            zi,
            "{case}: zoneinfo"
        );
        let vm = case_file(case, "vmstat.txt");
        let mut s = String::new();
        parse_vmstat(&vm).write(&mut s).unwrap();
        assert_eq!(s, vm, "{case}: vmstat");
        let mi = case_file(case, "meminfo.txt");
        let mut s = String::new();
        parse_meminfo(&mi).write(&mut s).unwrap();
        assert_eq!(s, mi, "{case}: meminfo");
    }
}

#[test]
fn mem_available_is_si_mem_available_of_the_real_inputs() {
    for case in &qemu_fixtures() {
        let zones = parse_zoneinfo(&case_file(case, "zoneinfo.txt"));
        let m = parse_meminfo(&case_file(case, "meminfo.txt"));
        // calculate_totalreserve_pages: per zone, min(max lowmem_reserve + high, managed).
        let totalreserve: u64 = zones
            .iter()
            .map(|(z, _)| {
                let max = z.protection[..z.nr_protection].iter().max().unwrap();
                (max + z.high).min(z.managed)
            })
            .sum();
        let inputs = MemAvailableInputs {
            free: m.mem_free / 4,
            totalreserve,
            wmark_low: zones.iter().map(|(z, _)| z.low).sum(),
            pagecache: (m.active_file + m.inactive_file) / 4,
            slab_reclaimable: m.sreclaimable / 4,
            kernel_misc_reclaimable: (m.kreclaimable - m.sreclaimable) / 4,
        };
        assert_eq!(inputs.si_mem_available() * 4, m.mem_available, "{case}");
    }
}

#[test]
fn dirty_thresholds_follow_from_the_real_free_pages() {
    use oxmm::vmstat::{domain_dirty_limits, global_dirtyable_memory, DirtySysctl};
    for case in &qemu_fixtures() {
        let zones = parse_zoneinfo(&case_file(case, "zoneinfo.txt"));
        let v = parse_vmstat(&case_file(case, "vmstat.txt"));
        let totalreserve: u64 = zones
            .iter()
            .map(|(z, _)| {
                let max = z.protection[..z.nr_protection].iter().max().unwrap();
                (max + z.high).min(z.managed)
            })
            .sum();
        let node = |i: NodeStatItem| v.node[i as usize];
        let file = node(NodeStatItem::NrInactiveFile) + node(NodeStatItem::NrActiveFile);
        let free = v.zone[ZoneStatItem::NrFreePages as usize];
        let avail = global_dirtyable_memory(free, totalreserve, file, 0);
        let (thresh, bg) = domain_dirty_limits(avail, 4096, &DirtySysctl::DEFAULT);
        let vm = |i: oxmm::vmstat::VmStatItem| v.vm[i as usize];
        assert_eq!(
            (thresh, bg),
            (
                vm(oxmm::vmstat::VmStatItem::NrDirtyThreshold),
                vm(oxmm::vmstat::VmStatItem::NrDirtyBgThreshold)
            ),
            "{case}"
        );
    }
}

#[test]
fn stat_thresholds_are_calculate_normal_threshold() {
    for case in &qemu_fixtures() {
        for (z, ps) in parse_zoneinfo(&case_file(case, "zoneinfo.txt")) {
            let cpus = ps.len();
            for p in &ps {
                let want = oxmm::vmstat::calculate_normal_threshold(z.managed, 12, cpus);
                assert_eq!(p.stat_threshold, want, "{case}: node {} {}", z.nid, z.zone);
            }
        }
    }
}

/// The line names of a file: zoneinfo with numbers masked, vmstat's first word,
/// meminfo's label.
fn shape(file: &str, text: &str) -> Vec<String> {
    text.lines()
        .map(|l| match file {
            "zoneinfo" => {
                let mut s = String::new();
                let mut digits = false;
                for c in l.chars() {
                    if c.is_ascii_digit() {
                        if !digits {
                            s.push('#');
                        }
                        digits = true;
                    } else {
                        digits = false;
                        s.push(c);
                    }
                }
                s
            }
            "vmstat" => l.split(' ').next().unwrap().to_owned(),
            _ => l.split(':').next().unwrap().to_owned(),
        })
        .collect()
}

#[test]
fn booted_machines_render_the_real_files_lines() {
    for case in &qemu_fixtures() {
        let dir = fixtures_dir().join(case);
        let machine = Machine::from_dmesg_file(dir.join("dmesg.txt"))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let hm = HostedMachine::boot(&machine, BootMode::DescribeOnly)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let mm = hm.mm();
        for (file, render) in [
            ("zoneinfo", Mm::zoneinfo as Render),
            ("vmstat", Mm::vmstat as Render),
            ("meminfo", Mm::meminfo as Render),
        ] {
            let mut ours = String::new();
            render(mm, &mut ours).unwrap();
            let linux = case_file(case, &format!("{file}.txt"));
            let (a, b) = (shape(file, &ours), shape(file, &linux));
            if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
                panic!(
                    "{case}: {file} line {}: oxmm {:?}, Linux {:?}",
                    i + 1,
                    a.get(i),
                    b.get(i)
                );
            }
        }
    }
}

use oxmm::mm::Mm;
use oxmm_host::platform::HostPlatform;
type Render = fn(&Mm<HostPlatform>, &mut dyn std::fmt::Write) -> std::fmt::Result;

#[test]
fn a_full_boot_counts_its_frees_and_allocations() {
    let dir = fixtures_dir().join("linux-6.12-qemu/q35-numa2-4g");
    let machine = Machine::from_dmesg_file(dir.join("dmesg.txt")).unwrap();
    let hm = HostedMachine::boot(&machine, BootMode::Full).unwrap();
    let mm = hm.mm();
    let v = mm.vmstat_values();
    let ev = |i: oxmm::vmstat::VmEventItem| v.events[i as usize];
    use oxmm::vmstat::VmEventItem as E;
    // Boot freed every managed page; the per-CPU areas are the only allocations.
    assert_eq!(ev(E::Pgfree), mm.totalram_pages());
    let pgalloc: u64 = [
        E::PgallocDma,
        E::PgallocDma32,
        E::PgallocNormal,
        E::PgallocMovable,
    ]
    .into_iter()
    .map(ev)
    .sum();
    assert_eq!(pgalloc, mm.percpu_pages());
    assert_eq!(
        v.numa[NumaStatItem::NumaHit as usize] + v.numa[NumaStatItem::NumaMiss as usize],
        v.numa[NumaStatItem::NumaLocal as usize] + v.numa[NumaStatItem::NumaOther as usize]
    );
    let m = mm.meminfo_values();
    assert_eq!(m.mem_total, mm.totalram_pages() * 4);
    assert_eq!(m.mem_free, mm.nr_free_pages() * 4);
    assert_eq!(m.mem_available, mm.si_mem_available() * 4);
    assert_eq!(m.percpu, mm.percpu_pages() * 4);
    // The real machine's memmap: 32 sections of 512 pages of struct page.
    assert_eq!(
        v.vm[oxmm::vmstat::VmStatItem::NrMemmapBootPages as usize],
        parse_vmstat(&read_fixture(&dir.join("vmstat.txt"))).vm
            [oxmm::vmstat::VmStatItem::NrMemmapBootPages as usize]
    );
}

#[test]
fn ia32_meminfo_has_the_highmem_lines_and_its_vmalloc_area() {
    let machine = Machine::profile("ia32-4g").unwrap();
    let hm = HostedMachine::boot(&machine, BootMode::DescribeOnly).unwrap();
    let mut s = String::new();
    hm.mm().meminfo(&mut s).unwrap();
    let labels = shape("meminfo", &s);
    let at = |l: &str| labels.iter().position(|x| x == l).unwrap();
    assert_eq!(at("HighTotal"), at("Mlocked") + 1);
    assert_eq!(at("LowFree"), at("SwapTotal") - 1);
    assert!(!labels.iter().any(|l| l == "DirectMap1G"), "{s}");
    let m = hm.mm().meminfo_values();
    let [high_total, high_free, low_total, low_free] = m.highmem.unwrap();
    assert_eq!(high_total + low_total, m.mem_total);
    assert_eq!(high_free + low_free, m.mem_free);
    assert!(high_total > 0);
    // The 3G/1G split leaves the vmalloc area between lowmem and the pkmap: ~120 MiB.
    assert!(
        (100 << 10..=130 << 10).contains(&m.vmalloc_total),
        "{}",
        m.vmalloc_total
    );
}

//! Generic boot against hand-built memblocks: REFERENCE §2.4's QEMU example, the
//! `q35-numa2-4g` and `q35-4g-kernelcore1g` Linux 6.12 captures, buddy decomposition,
//! CMA, Full vs DescribeOnly.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::VecMem;

use oxmm::boot::{
    Arch, BootConfig, CmaArea, CoreSize, Distances, NodeDesc, NodeInitJob, NodeInitRunner,
};
use oxmm::memblock::{Memblock, MemblockFlags};
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::{MigrateType, ZoneType};
use oxmm::platform::Platform;
use oxmm::printk::{Level, Log};
use oxmm::types::{NodeId, PhysAddr, VirtAddr};

#[derive(Default)]
struct VecLog(Vec<String>);
impl Log for VecLog {
    fn line(&mut self, l: Level, a: core::fmt::Arguments<'_>) {
        if l <= Level::Info {
            self.0.push(a.to_string());
        }
    }
}

/// Platform without memory (DescribeOnly).
struct NoMem;
// SAFETY: no direct map (null): description-only boots touch no memory.
unsafe impl Platform for NoMem {
    fn direct_map_base(&self) -> *mut u8 {
        core::ptr::null_mut()
    }
    fn cpu_id(&self) -> usize {
        0
    }
    fn nr_cpus(&self) -> usize {
        1
    }
    fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
}

fn x86_cfg<'a>(max_pfn: u64) -> BootConfig<'a> {
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    // As x86's zone_sizes_init: DMA32 is capped by max_low_pfn.
    cfg.zone_limits.set(ZoneType::Dma32, max_pfn.min(0x100000));
    cfg.zone_limits.set(ZoneType::Normal, max_pfn);
    cfg
}

fn mb_from(ranges: &[(u64, u64, u16)]) -> Memblock {
    let mut mb = Memblock::new();
    for &(s, e, nid) in ranges {
        mb.add_node(PhysAddr(s), e + 1 - s, NodeId(nid), MemblockFlags::empty())
            .unwrap();
    }
    mb
}

fn lines_between<'a>(log: &'a [String], first: &str, count: usize) -> Vec<&'a str> {
    let i = log
        .iter()
        .position(|l| l == first)
        .unwrap_or_else(|| panic!("no {first:?} in {log:#?}"));
    log[i..i + count].iter().map(|s| s.as_str()).collect()
}

#[test]
fn reference_qemu_example_lines() {
    let mb = mb_from(&[
        (0x1000, 0x9efff, 0),
        (0x100000, 0x9bfffff, 0),
        (0x9d81000, 0x9efffff, 0),
        (0x9f0b000, 0xc8aeffff, 0),
        (0xce5fe000, 0xcf7fffff, 0),
        (0x100000000, 0x10effffff, 0),
    ]);
    let cfg = x86_cfg(0x10f000);
    let mut log = VecLog::default();
    let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut log).unwrap();
    let expected = "Zone ranges:
  DMA      [mem 0x0000000000001000-0x0000000000ffffff]
  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]
  Normal   [mem 0x0000000100000000-0x000000010effffff]
  Device   empty
Movable zone start for each node
Early memory node ranges
  node   0: [mem 0x0000000000001000-0x000000000009efff]
  node   0: [mem 0x0000000000100000-0x0000000009bfffff]
  node   0: [mem 0x0000000009d81000-0x0000000009efffff]
  node   0: [mem 0x0000000009f0b000-0x00000000c8aeffff]
  node   0: [mem 0x00000000ce5fe000-0x00000000cf7fffff]
  node   0: [mem 0x0000000100000000-0x000000010effffff]
Initmem setup node 0 [mem 0x0000000000001000-0x000000010effffff]
On node 0, zone DMA: 1 pages in unavailable ranges
On node 0, zone DMA: 97 pages in unavailable ranges
On node 0, zone DMA32: 385 pages in unavailable ranges
On node 0, zone DMA32: 11 pages in unavailable ranges
On node 0, zone DMA32: 23310 pages in unavailable ranges
On node 0, zone Normal: 2048 pages in unavailable ranges
On node 0, zone Normal: 4096 pages in unavailable ranges";
    let exp: Vec<&str> = expected.lines().collect();
    assert_eq!(lines_between(&log.0, "Zone ranges:", exp.len()), exp);
    let z = mm.nodes().next().unwrap().zones();
    assert_eq!(
        (z[0].start_pfn(), z[0].spanned_pages(), z[0].present_pages()),
        (1, 0xfff, 0x9e + 0xf00)
    );
    assert_eq!(z[2].spanned_pages(), 0xf000);
    assert_eq!(z[2].present_pages(), 0xf000);
}

fn numa2() -> (Memblock, [NodeDesc; 2], [u8; 4]) {
    let mut mb = mb_from(&[
        (0x1000, 0x9efff, 0),
        (0x100000, 0x7ffdefff, 0),
        (0x100000000, 0x17fffffff, 1),
    ]);
    // A kernel image and an initrd-like reservation.
    mb.reserve(PhysAddr(0x1000000), 0x2000000).unwrap();
    (
        mb,
        [
            NodeDesc {
                nid: NodeId(0),
                nr_cpus: 2,
            },
            NodeDesc {
                nid: NodeId(1),
                nr_cpus: 2,
            },
        ],
        [10, 21, 21, 10],
    )
}

#[test]
fn q35_numa2_4g_lines_and_counts() {
    let (mb, nodes, dist) = numa2();
    let mut cfg = x86_cfg(0x180000);
    cfg.nodes = &nodes;
    cfg.distances = Distances::new(2, &dist).unwrap();
    let mut log = VecLog::default();
    let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut log).unwrap();
    for l in [
        "Initmem setup node 0 [mem 0x0000000000001000-0x000000007ffdefff]",
        "Initmem setup node 1 [mem 0x0000000100000000-0x000000017fffffff]",
        "On node 0, zone DMA: 1 pages in unavailable ranges",
        "On node 0, zone DMA: 97 pages in unavailable ranges",
        "On node 1, zone Normal: 33 pages in unavailable ranges",
        "Fallback order for Node 0: 0 1 ",
        "Fallback order for Node 1: 1 0 ",
        "Built 2 zonelists, mobility grouping on.  Total pages: 1048445",
        "Policy zone: Normal",
    ] {
        assert!(
            log.0.iter().any(|x| x == l),
            "missing {l:?} in {:#?}",
            log.0
        );
    }
    assert!(log
        .0
        .iter()
        .all(|l| !l.contains("zone DMA32: ") || !l.contains("unavailable")));
    let n1 = mm.node(NodeId(1)).unwrap();
    assert_eq!(n1.present_pages(), 524288);
    let zl: Vec<_> = mm
        .zonelist(NodeId(1))
        .map(|z| (z.nid.0, z.zone_idx))
        .collect();
    assert_eq!(zl, [(1, 2), (0, 1), (0, 0)]);
    // Memory: phys is the present total.
    let mem = log.0.iter().find(|l| l.starts_with("Memory: ")).unwrap();
    assert!(mem.contains("/4193780K available"), "{mem}");
}

#[test]
fn kernelcore_1g_matches_zoneinfo() {
    let mb = mb_from(&[
        (0x1000, 0x9efff, 0),
        (0x100000, 0x7ffdefff, 0),
        (0x100000000, 0x17fffffff, 0),
    ]);
    let mut cfg = x86_cfg(0x180000);
    cfg.kernelcore = Some(CoreSize::Bytes(1 << 30));
    let mut log = VecLog::default();
    let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut log).unwrap();
    assert!(
        log.0.iter().any(|l| l == "  Node 0: 0x0000000100000000"),
        "{:#?}",
        log.0
    );
    assert!(log
        .0
        .iter()
        .any(|l| l == "On node 0, zone Movable: 33 pages in unavailable ranges"));
    assert!(log.0.iter().any(|l| l == "Policy zone: DMA32"));
    assert!(log
        .0
        .iter()
        .any(|l| l == "Built 1 zonelists, mobility grouping on.  Total pages: 1048445"));
    let z = mm.nodes().next().unwrap().zones();
    let got: Vec<_> = z
        .iter()
        .map(|z| (z.spanned_pages(), z.present_pages()))
        .collect();
    // fixtures/linux-6.12-qemu/q35-4g-kernelcore1g/zoneinfo.txt
    assert_eq!(
        got,
        [
            (4095, 3998),
            (1044480, 520159),
            (0, 0),
            (524288, 524288),
            (0, 0)
        ]
    );
}

#[test]
fn movablecore_spreads_over_nodes() {
    let (mb, nodes, dist) = numa2();
    let mut cfg = x86_cfg(0x180000);
    cfg.nodes = &nodes;
    cfg.distances = Distances::new(2, &dist).unwrap();
    cfg.movablecore = Some(CoreSize::Percent(50));
    let mm = Mm::boot(
        NoMem,
        mb,
        &cfg,
        BootMode::DescribeOnly,
        &mut VecLog::default(),
    )
    .unwrap();
    let mv = mm.movable_info();
    // totalpages 1048445; movablecore 50% = 524222 -> rounded up to 524288, so
    // required_kernelcore = 524157. Node 0 lies wholly below the Normal zone: its
    // 524157 pages all count as kernelcore, which satisfies the whole requirement, so
    // node 1 gets kernelcore_node 0 and is entirely Movable from its first pfn.
    assert_eq!(mv.zone_movable_pfn[0], 0);
    assert_eq!(mv.zone_movable_pfn[1], 0x100000);
}

fn small_machine() -> Memblock {
    let mut mb = mb_from(&[(0x1000, 0x9efff, 0), (0x100000, 0x0fffffff, 0)]);
    mb.reserve(PhysAddr(0x1000000), 0x400000).unwrap();
    mb
}

#[test]
fn full_boot_agrees_with_describe_and_checks() {
    let cfg = x86_cfg(0x10000);
    let mut l1 = VecLog::default();
    let full = Mm::boot(
        VecMem::new(256 << 20, 1),
        small_machine(),
        &cfg,
        BootMode::Full,
        &mut l1,
    )
    .unwrap();
    let mut l2 = VecLog::default();
    let desc = Mm::boot(
        NoMem,
        small_machine(),
        &cfg,
        BootMode::DescribeOnly,
        &mut l2,
    )
    .unwrap();
    assert_eq!(l1.0, l2.0);
    for (a, b) in full.nodes().zip(desc.nodes()) {
        for (za, zb) in a.zones().iter().zip(b.zones()) {
            assert_eq!(za.managed_pages(), zb.managed_pages());
        }
    }
    // The per-CPU areas (a Full boot only) are the one difference in free memory.
    assert!(full.percpu_pages() > 0);
    assert_eq!(desc.percpu_pages(), 0);
    assert_eq!(
        full.nr_free_pages() + full.percpu_pages(),
        desc.nr_free_pages()
    );
    full.check().unwrap();
    // Descriptors: pfn 0 is a hole (reserved), the reserved kernel range is reserved.
    assert!(full.memmap().page(0).unwrap().is_reserved());
    assert!(full.memmap().page(0x1000).unwrap().is_reserved());
    let managed: u64 = full.nodes().map(|n| n.managed_pages()).sum();
    assert_eq!(full.nr_free_pages() + full.percpu_pages(), managed);
    // DMA: pageblock 0 starts in a hole -> never set -> Unmovable, as in Linux.
    assert_eq!(
        full.pageblock_migratetype(NodeId(0), 0, 1),
        Some(MigrateType::Unmovable)
    );
    assert_eq!(
        full.pageblock_migratetype(NodeId(0), 0, 512),
        Some(MigrateType::Movable)
    );
}

#[test]
fn buddy_decomposition_counts() {
    // One free range [1, 0x10000) minus nothing in DMA32 after DMA; check the per-order
    // counts of DMA: pfns 1..0x9f free and 0x100..0x1000 free.
    let mut mb = mb_from(&[(0x1000, 0x9efff, 0), (0x100000, 0x0fffffff, 0)]);
    mb.reserve(PhysAddr(0x8000000), 0x100000).unwrap();
    let cfg = x86_cfg(0x10000);
    let mm = Mm::boot(
        NoMem,
        mb,
        &cfg,
        BootMode::DescribeOnly,
        &mut VecLog::default(),
    )
    .unwrap();
    let dma = &mm.nodes().next().unwrap().zones()[0];
    let mut exp = [0u64; 11];
    oxmm::memblock::free_pages_memory(1, 0x9f, 10, |_, o| exp[o as usize] += 1);
    oxmm::memblock::free_pages_memory(0x100, 0x1000, 10, |_, o| exp[o as usize] += 1);
    for o in 0..=10 {
        assert_eq!(dma.nr_free(o), exp[o as usize], "order {o}");
    }
    assert_eq!(dma.managed_pages(), 0x9e + 0xf00);
}

#[test]
fn cma_activation() {
    let mut mb = small_machine();
    mb.reserve(PhysAddr(0x8000000), 16 << 20).unwrap();
    let cma = [CmaArea {
        name: "reserved",
        base: PhysAddr(0x8000000),
        size: 16 << 20,
    }];
    let mut cfg = x86_cfg(0x10000);
    cfg.cma = &cma;
    let mut log = VecLog::default();
    let mm = Mm::boot(
        VecMem::new(256 << 20, 1),
        mb,
        &cfg,
        BootMode::Full,
        &mut log,
    )
    .unwrap();
    let z = &mm.nodes().next().unwrap().zones()[1];
    assert_eq!(z.cma_pages(), 4096);
    assert_eq!(
        mm.pageblock_migratetype(NodeId(0), 1, 0x8000),
        Some(MigrateType::Cma)
    );
    assert!(!z.free_area[10].free_list[MigrateType::Cma as usize].is_empty());
    let mem = log.0.iter().find(|l| l.starts_with("Memory: ")).unwrap();
    assert!(mem.contains(", 16384K cma-reserved)"), "{mem}");
    mm.check().unwrap();
}

#[test]
#[cfg(feature = "debug_vm")] // the checker is CONFIG_DEBUG_VM's
fn check_detects_corruption() {
    let cfg = x86_cfg(0x10000);
    let mut mm = Mm::boot(
        VecMem::new(256 << 20, 1),
        small_machine(),
        &cfg,
        BootMode::Full,
        &mut VecLog::default(),
    )
    .unwrap();
    mm.check().unwrap();
    let head = mm.nodes().next().unwrap().zones()[1].free_area[10].free_list
        [MigrateType::Movable as usize]
        .head();
    mm.memmap_mut().page_by_index(head).unwrap().set_private(3);
    assert!(mm.check().is_err());
}

#[test]
fn errors_name_the_value() {
    let mb = mb_from(&[(0x1000, 0xfffff, 3)]);
    let cfg = x86_cfg(0x100);
    let e = Mm::boot(
        NoMem,
        mb,
        &cfg,
        BootMode::DescribeOnly,
        &mut VecLog::default(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("node 3"), "{e}");
    let e = Mm::boot(
        NoMem,
        Memblock::new(),
        &cfg,
        BootMode::DescribeOnly,
        &mut VecLog::default(),
    )
    .err()
    .unwrap();
    assert_eq!(e, oxmm::boot::BootError::NoMemory);
    let e = Mm::boot(
        NoMem,
        small_machine(),
        &cfg,
        BootMode::Full,
        &mut VecLog::default(),
    )
    .err()
    .unwrap();
    assert_eq!(e, oxmm::boot::BootError::NoDirectMap);
    // A direct map off a page boundary is refused, its base named, nothing touched.
    struct Skewed(Vec<u64>);
    // SAFETY: a buffer of its own as large as the machine; its misaligned base makes
    // the boot fail before any write.
    unsafe impl Platform for Skewed {
        fn direct_map_base(&self) -> *mut u8 {
            ((self.0.as_ptr() as usize).next_multiple_of(4096) + 64) as *mut u8
        }
        fn cpu_id(&self) -> usize {
            0
        }
        fn nr_cpus(&self) -> usize {
            1
        }
        fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    }
    // Room for the whole machine (256 MiB), so a boot that went on anyway would fail
    // the test, not write past the buffer.
    let mem = Skewed(vec![0; (256 << 20) / 8 + 1024]);
    let base = mem.direct_map_base() as usize;
    let e = Mm::boot(
        mem,
        small_machine(),
        &cfg,
        BootMode::Full,
        &mut VecLog::default(),
    )
    .err()
    .unwrap();
    assert_eq!(
        e,
        oxmm::boot::BootError::DirectMapMisaligned { base, align: 4096 }
    );
    assert!(e.to_string().contains(&format!("{base:#x}")), "{e}");
}

#[test]
fn descriptor_size() {
    assert_eq!(core::mem::size_of::<oxmm::page::Page>(), 32);
}

/// Runs the node jobs on scoped threads, in reverse order, recording which nodes each got.
struct Threads(std::sync::Mutex<Vec<std::ops::Range<usize>>>);
impl NodeInitRunner for Threads {
    fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
        self.0.lock().unwrap().extend(jobs.iter().map(|j| j.nids()));
        std::thread::scope(|s| {
            for j in jobs.iter_mut().rev() {
                s.spawn(move || j.run());
            }
        });
    }
}

/// Serial and threaded boots of `ranges` leave byte-identical memory, lists and logs;
/// returns the node ranges of the threaded boot's jobs.
fn serial_equals_threaded(ranges: &[(u64, u64, u16)], nodes: u16) -> Vec<std::ops::Range<usize>> {
    let end = ranges.iter().map(|r| r.1 + 1).max().unwrap();
    let descs: Vec<NodeDesc> = (0..nodes)
        .map(|n| NodeDesc {
            nid: NodeId(n),
            nr_cpus: 1,
        })
        .collect();
    let mut cfg = x86_cfg(end >> 12);
    cfg.nodes = &descs;
    let machine = || {
        let mut mb = mb_from(ranges);
        mb.reserve(PhysAddr(0x1000000), 0x200000).unwrap();
        mb.reserve(PhysAddr(0x7000000), 0x3000).unwrap();
        mb
    };
    let mut l1 = VecLog::default();
    let serial = Mm::boot(
        VecMem::new(end, 1),
        machine(),
        &cfg,
        BootMode::Full,
        &mut l1,
    )
    .unwrap();
    let mut l2 = VecLog::default();
    let runner = Threads(Default::default());
    let threaded = Mm::boot_with(
        VecMem::new(end, 1),
        machine(),
        &cfg,
        BootMode::Full,
        &mut l2,
        &runner,
    )
    .unwrap();
    assert_eq!(l1.0, l2.0);
    serial.check().unwrap();
    threaded.check().unwrap();
    let (a, b) = (serial.platform().bytes(), threaded.platform().bytes());
    // The per-CPU lists' structures hold padding bytes whose values Rust leaves open.
    let base = serial.platform().bytes().as_ptr() as usize;
    let mut skip = vec![];
    for n in serial.nodes() {
        for z in n.zones() {
            for pcp in z.per_cpu_pageset().iter() {
                let off = (pcp as *const _ as usize - base) / 8;
                let len = std::mem::size_of_val(pcp).div_ceil(8);
                skip.push(off..off + len);
            }
        }
    }
    let first = a
        .iter()
        .zip(b)
        .enumerate()
        .position(|(i, (x, y))| x != y && !skip.iter().any(|r| r.contains(&i)));
    assert!(
        first.is_none(),
        "memory differs at byte {:#x}",
        first.unwrap_or(0) * 8
    );
    for (a, b) in serial.nodes().zip(threaded.nodes()) {
        for (za, zb) in a.zones().iter().zip(b.zones()) {
            assert_eq!(za.managed_pages(), zb.managed_pages());
            for (fa, fb) in za.free_area.iter().zip(&zb.free_area) {
                assert_eq!(fa.nr_free(), fb.nr_free());
                for (la, lb) in fa.free_list.iter().zip(&fb.free_list) {
                    assert_eq!((la.head(), la.tail()), (lb.head(), lb.tail()));
                }
            }
        }
    }
    assert!(serial.nr_free_pages() > 0);
    runner.0.into_inner().unwrap()
}

#[test]
fn threaded_node_init_matches_serial() {
    // Four nodes rising with addresses; nodes 0 and 1 share section 0, node 3 has a hole.
    let jobs = serial_equals_threaded(
        &[
            (0x1000, 0x9efff, 0),
            (0x100000, 0x5ffffff, 0),
            (0x6000000, 0xbffffff, 1),
            (0xc000000, 0x13ffffff, 2),
            (0x14000000, 0x17ffffff, 3),
            (0x19000000, 0x1fffffff, 3),
        ],
        4,
    );
    assert_eq!(jobs, vec![0..1, 1..2, 2..3, 3..64]);
    // Interleaved nodes: one job owns them all.
    let jobs = serial_equals_threaded(
        &[
            (0x1000, 0x7ffffff, 0),
            (0x8000000, 0xfffffff, 1),
            (0x10000000, 0x17ffffff, 0),
        ],
        2,
    );
    assert_eq!(jobs, vec![0..64]);
    // Node ids falling with addresses: still one job.
    let jobs = serial_equals_threaded(&[(0x1000, 0x7ffffff, 1), (0x8000000, 0xfffffff, 0)], 2);
    assert_eq!(jobs, vec![0..64]);
}

/// Fixture 14 (i686 PAE, Linux 4.2): the HIGHMEM/LOWMEM lines and the machine-derived
/// lines of the `virtual kernel memory layout:` block.
#[test]
fn ia32_layout_matches_fixture_14() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/bootlogs/14-i686-pae-msi-b85m-highmem-4.2.txt"
    ))
    .unwrap();
    // Strip comments and the "[    0.000000] " prefix.
    let fixture: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once("] ").map(|(_, m)| m))
        .collect();
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), 0x9c000 - 0x1000).unwrap();
    mb.add(PhysAddr(0x100000), 0xcf000000 - 0x100000).unwrap();
    mb.add(PhysAddr(0x100000000), 0x11ee00000 - 0x100000000)
        .unwrap();
    let mut cfg = BootConfig::new(Arch::Ia32);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Normal, 0x37bfe);
    cfg.zone_limits.set(ZoneType::HighMem, 0x11ee00);
    // The build: 234 permanent fixmap pages (936 kB), PAE; the image sizes of the
    // `Memory:` line (the exact section addresses depend on the linker: not compared).
    cfg.ia32_layout = Some(oxmm::boot::Ia32Layout::pae(234));
    cfg.kernel = oxmm::boot::KernelImage {
        code: 7163 << 10,
        rwdata: 735 << 10,
        rodata: 3064 << 10,
        init: 964 << 10,
        bss: 792 << 10,
    };
    let mut log = VecLog::default();
    Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut log).unwrap();
    let highmem = "3698MB HIGHMEM available.";
    let i = fixture.iter().position(|l| *l == highmem).unwrap();
    assert_eq!(log.0[..2], fixture[i..i + 2]);
    let head = "virtual kernel memory layout:";
    let f = fixture.iter().position(|l| *l == head).unwrap();
    let o = log.0.iter().position(|l| l == head).unwrap();
    // Header, fixmap, pkmap, vmalloc, lowmem follow from the machine and the fixmap size.
    assert_eq!(log.0[o..o + 5], fixture[f..f + 5]);
    // .init's size is the image's; its address and .data/.text's depend on the link.
    assert!(log.0[o + 5].starts_with("      .init : 0x"));
    assert!(log.0[o + 5].ends_with("( 964 kB)"), "{}", log.0[o + 5]);
    assert!(log.0[o + 7].starts_with("      .text : 0xc1000000 - "));
    // The block follows the Memory: line.
    assert!(log.0[o - 1].starts_with("Memory: "));
}

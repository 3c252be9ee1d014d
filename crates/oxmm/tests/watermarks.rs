//! Watermarks in the zones: the §8 check and its reserve discounts, the low-watermark
//! zone walk of the fast path, and the `vm.*` sysctl API.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::VecMem;

use oxmm::boot::{Arch, BootConfig, ThpMode};
use oxmm::gfp::Gfp;
use oxmm::memblock::Memblock;
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::{Zone, ZoneType};
use oxmm::page_alloc::watermark_check::{
    gfp_to_alloc_flags, zone_watermark_fast, zone_watermark_ok, AllocFlags,
};
use oxmm::printk::{Level, Log};
use oxmm::sysctl::SysctlError;
use oxmm::types::{NodeId, PhysAddr};

#[derive(Default)]
struct Lines(Vec<(Level, String)>);
impl Log for Lines {
    fn line(&mut self, level: Level, args: core::fmt::Arguments<'_>) {
        self.0.push((level, args.to_string()));
    }
}

const MEM_END: u64 = 0x500_0000; // 80 MiB: DMA 16, DMA32 32, Normal 32 MiB

fn boot(mode: BootMode, thp: ThpMode) -> Mm<VecMem> {
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), MEM_END - 0x1000).unwrap();
    mb.reserve(PhysAddr(0x100_0000), 0x10_0000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, 0x3000);
    cfg.zone_limits.set(ZoneType::Normal, 0x5000);
    cfg.thp = thp;
    let mem = VecMem::new(MEM_END, 1);
    Mm::boot(mem, mb, &cfg, mode, &mut oxmm::printk::NullLog).unwrap()
}

fn zone(mm: &Mm<VecMem>, zi: usize) -> &Zone {
    &mm.node(NodeId(0)).unwrap().zones()[zi]
}

fn bare_zone(free: u64, min: u64) -> Zone {
    let mut z = Zone::new(ZoneType::Normal, 2, NodeId(0));
    z.account_freepages(free as i64, oxmm::mmzone::MigrateType::Movable);
    z.watermark.min = min;
    z
}

#[test]
fn reserve_discounts_of_section_8() {
    // mark 1000: __GFP_HIGH needs 50 %, GFP_ATOMIC 37.5 %, NON_BLOCK alone 100 %.
    let high = AllocFlags::MIN_RESERVE;
    let atomic = AllocFlags::MIN_RESERVE | AllocFlags::NON_BLOCK;
    let ok = |free, f| zone_watermark_ok(&bare_zone(free, 0), 0, 1000, 2, f);
    assert!(!ok(500, high) && ok(501, high));
    assert!(!ok(375, atomic) && ok(376, atomic));
    assert!(!ok(1000, AllocFlags::NON_BLOCK) && ok(1001, AllocFlags::NON_BLOCK));
    assert!(!ok(1000, AllocFlags::default()) && ok(1001, AllocFlags::default()));
    // An OOM victim halves again: 1000 → 500 → 250 (with __GFP_HIGH).
    assert!(!ok(250, high | AllocFlags::OOM) && ok(251, high | AllocFlags::OOM));
    assert!(!ok(500, AllocFlags::OOM) && ok(501, AllocFlags::OOM));
    // The flags GFP_ATOMIC and GFP_NOWAIT get in the slow path.
    assert_eq!(
        gfp_to_alloc_flags(Gfp::ATOMIC, 0, false, false),
        atomic | AllocFlags::KSWAPD
    );
    let nowait = gfp_to_alloc_flags(Gfp::KSWAPD_RECLAIM, 0, false, false);
    assert!(nowait.contains(AllocFlags::NON_BLOCK) && !nowait.contains(AllocFlags::MIN_RESERVE));
    assert!(gfp_to_alloc_flags(Gfp::ATOMIC, 3, true, false)
        .contains(AllocFlags::HIGHATOMIC | AllocFlags::CMA));
    let nomem = gfp_to_alloc_flags(Gfp::ATOMIC | Gfp::NOMEMALLOC, 3, false, false);
    assert!(!nomem.intersects(AllocFlags::NON_BLOCK | AllocFlags::HIGHATOMIC));
    assert!(gfp_to_alloc_flags(Gfp::KERNEL, 0, false, true).contains(AllocFlags::MIN_RESERVE));
}

#[test]
fn unusable_pages_and_lowmem_reserve() {
    let mut z = bare_zone(1100, 0);
    // 1100 free of which 200 CMA and 50 HighAtomic.
    z.account_freepages(-250, oxmm::mmzone::MigrateType::Movable);
    z.account_freepages(200, oxmm::mmzone::MigrateType::Cma);
    z.account_freepages(50, oxmm::mmzone::MigrateType::HighAtomic);
    // 1100 - 200 CMA - 50 HighAtomic = 850 usable without rights.
    assert!(!zone_watermark_ok(&z, 0, 850, 2, AllocFlags::default()));
    assert!(zone_watermark_ok(&z, 0, 849, 2, AllocFlags::default()));
    assert!(zone_watermark_ok(&z, 0, 1049, 2, AllocFlags::CMA));
    assert!(zone_watermark_ok(
        &z,
        0,
        1000,
        2,
        AllocFlags::CMA | AllocFlags::NON_BLOCK
    ));
    // lowmem_reserve[highest_zoneidx] adds to the mark.
    z.lowmem_reserve = [0, 0, 0, 100, 0, 0];
    assert!(zone_watermark_ok(&z, 0, 849, 2, AllocFlags::default()));
    assert!(!zone_watermark_ok(&z, 0, 750, 3, AllocFlags::default()));
    assert!(zone_watermark_ok(&z, 0, 749, 3, AllocFlags::default()));
    // The fast variant agrees.
    assert!(!zone_watermark_fast(&z, 0, 750, 3, AllocFlags::default()));
    assert!(zone_watermark_fast(&z, 0, 749, 3, AllocFlags::default()));
}

#[test]
fn high_orders_need_a_free_block_of_a_usable_type() {
    use oxmm::mmzone::MigrateType;
    let make = |free: u64| {
        let mut z = bare_zone(free, 0);
        let mut put = |order: usize, mt: MigrateType| {
            z.free_area[order].add_nr_free(1);
            // Only emptiness is looked at: any index marks the list non-empty.
            z.free_area[order].free_list[mt as usize] = oxmm::mmzone::FreeList::new(0, 0);
        };
        put(3, MigrateType::Movable);
        put(5, MigrateType::Cma);
        put(6, MigrateType::HighAtomic);
        z
    };
    let z = make(10_000);
    let none = AllocFlags::default();
    let ok = |z: &Zone, o, f| zone_watermark_ok(z, o, 100, 2, f);
    assert!(ok(&z, 3, none) && ok(&z, 1, none));
    assert!(!ok(&z, 4, none));
    assert!(ok(&z, 4, AllocFlags::CMA) && !ok(&z, 6, AllocFlags::CMA));
    assert!(ok(&z, 6, AllocFlags::HIGHATOMIC) && ok(&z, 6, AllocFlags::OOM));
    assert!(!ok(&z, 7, AllocFlags::HIGHATOMIC | AllocFlags::CMA));
    // The order's own pages count as unusable: free − (2^order − 1) must clear the mark.
    assert!(ok(&make(108), 3, none));
    assert!(!ok(&make(107), 3, none));
}

#[test]
fn fast_path_skips_a_zone_below_its_low_watermark() {
    let mut mm = boot(BootMode::Full, ThpMode::Always);
    // Marks as high as THP's recommendation would make them on a larger machine, so
    // that Normal reaches its low mark before it runs out of unfragmented blocks.
    mm.set_min_free_kbytes(4096).unwrap();
    // Page by page through the buddy lists (a per-CPU refill takes a batch at once and
    // may end below the mark, as in Linux).
    mm.pcp_disable_all().unwrap();
    let (dma32, normal) = (1, 2);
    let low = zone(&mm, normal).watermark.low();
    assert!(low > 0);
    let mut got = vec![];
    let first_dma32 = loop {
        let p = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
        got.push(p);
        if !zone(&mm, normal).spans_pfn(p.0) {
            break p;
        }
        assert!(got.len() < 10_000);
    };
    // Normal still had free pages but no more than its low watermark.
    let zn = zone(&mm, normal);
    assert_eq!(zn.free_pages(), low);
    assert!(zone(&mm, dma32).spans_pfn(first_dma32.0));
    // GFP_ATOMIC's slow-path rights (37.5 % of min) would still pass in Normal.
    let atomic = gfp_to_alloc_flags(Gfp::ATOMIC, 0, false, false);
    let zn = zone(&mm, normal);
    assert!(!zone_watermark_fast(
        zn,
        0,
        low,
        normal,
        AllocFlags::WMARK_LOW
    ));
    assert!(zone_watermark_fast(
        zn,
        0,
        zn.watermark.min(),
        normal,
        atomic
    ));
    mm.check().unwrap();
    for p in got {
        mm.free_pages(p, 0).unwrap();
    }
}

#[test]
fn boot_computes_wmarks_reserve_and_totalreserve() {
    for mode in [BootMode::Full, BootMode::DescribeOnly] {
        let mm = boot(mode, ThpMode::Always);
        let managed: Vec<u64> = (0..5).map(|i| zone(&mm, i).managed_pages()).collect();
        let lowmem: u64 = managed[..3].iter().sum();
        // Under 512 MiB hugepage_init turns THP off before khugepaged starts: only the
        // postcore square-root rule ran, on lowmem with no watermarks yet.
        let mfk = mm.sysctl().min_free_kbytes;
        assert_eq!(mfk, oxmm::watermark::calculate_min_free_kbytes(lowmem, 4));
        assert_eq!(mm.sysctl().thp, ThpMode::Never);
        assert!(!mm.sysctl().khugepaged);
        for (i, &m) in managed.iter().enumerate() {
            let z = zone(&mm, i);
            let w = oxmm::watermark::zone_watermarks(z.zone_type(), m, lowmem, mfk, 4, 10);
            assert_eq!(z.watermark, w);
        }
        assert_eq!(zone(&mm, 3).watermark.min(), 32, "empty Movable");
        let r = oxmm::watermark::lowmem_reserve(&managed, &[256, 256, 32, 0, 0]);
        assert_eq!(zone(&mm, 0).lowmem_reserve[..5], r[0][..5]);
        assert_eq!(zone(&mm, 1).lowmem_reserve[2], managed[2] / 256);
        let total: u64 = (0..5)
            .map(|i| {
                let z = zone(&mm, i);
                oxmm::watermark::zone_totalreserve(
                    &z.lowmem_reserve,
                    z.watermark.high(),
                    managed[i],
                )
            })
            .sum();
        assert_eq!(mm.totalreserve_pages(), total);
    }
}

#[test]
fn sysctl_writes_recompute_and_reject_bad_values() {
    let mut mm = boot(BootMode::DescribeOnly, ThpMode::Never);
    let before = zone(&mm, 2).watermark;
    mm.set_min_free_kbytes(16384).unwrap();
    let after = zone(&mm, 2).watermark;
    assert!(after.min > before.min);
    // A later recomputation keeps the larger user value and warns like Linux.
    let mut log = Lines::default();
    mm.calculate_min_free_kbytes(&mut log);
    assert_eq!(mm.sysctl().min_free_kbytes, 16384);
    assert_eq!(log.0.len(), 1);
    assert_eq!(log.0[0].0, Level::Warning);
    assert!(log.0[0]
        .1
        .ends_with("because user defined value 16384 is preferred"));
    assert!(log.0[0].1.starts_with("min_free_kbytes is not updated to "));
    // Scale factor: 1..=3000.
    let e = mm.set_watermark_scale_factor(0).unwrap_err();
    assert_eq!(
        e,
        SysctlError::OutOfRange {
            name: "watermark_scale_factor",
            value: 0,
            min: 1,
            max: 3000
        }
    );
    assert!(mm.set_watermark_scale_factor(3001).is_err());
    let low_before = zone(&mm, 2).watermark.low;
    mm.set_watermark_scale_factor(3000).unwrap();
    let w = zone(&mm, 2).watermark;
    assert_eq!(w.low - w.min, zone(&mm, 2).managed_pages() * 3000 / 10000);
    assert!(w.low > low_before);
    // Boost factor: ≥ 0.
    assert!(mm.set_watermark_boost_factor(-1).is_err());
    mm.set_watermark_boost_factor(0).unwrap();
    assert_eq!(mm.sysctl().watermark_boost_factor, 0);
    // lowmem_reserve_ratio: < 1 → 0; too many values → error.
    mm.set_lowmem_reserve_ratio(&[-5, 128]).unwrap();
    assert_eq!(zone(&mm, 0).lowmem_reserve, [0; 6]);
    assert_eq!(
        zone(&mm, 1).lowmem_reserve[2],
        zone(&mm, 2).managed_pages() / 128
    );
    assert!(matches!(
        mm.set_lowmem_reserve_ratio(&[1; 6]),
        Err(SysctlError::TooManyValues {
            given: 6,
            max: 5,
            ..
        })
    ));
    assert!(mm.set_min_free_kbytes(1 << 31).is_err());
}

proptest::proptest! {
    /// The order-0 `zone_watermark_fast` (its shortcut computed without Linux's clamp
    /// and `min`) answers as Linux's own form: the shortcut `usable = free -
    /// min(free, unusable)` on the clamped free count against `mark +
    /// lowmem_reserve[highest]`, then `__zone_watermark_ok` with the reserve rules.
    #[test]
    fn order0_fast_check_is_linux_usable_free_form(
        movable in 0i64..5000,
        cma in 0i64..3000,
        taken in 0i64..9000,
        mark in 0u64..6000,
        reserve in 0u64..2000,
        cma_ok in proptest::bool::ANY,
        reserves in proptest::bool::ANY,
    ) {
        use oxmm::mmzone::MigrateType;
        let mut z = Zone::new(ZoneType::Normal, 2, NodeId(0));
        z.account_freepages(movable, MigrateType::Movable);
        z.account_freepages(cma, MigrateType::Cma);
        // Pages taken beyond the free count leave it negative, as a racing reader of
        // Linux's per-CPU deltas may see it: the clamp at 0 is then what decides.
        z.account_freepages(-taken, MigrateType::Movable);
        z.lowmem_reserve = [0, 0, reserve, 0, 0, 0];
        let mut flags = AllocFlags::default();
        if cma_ok {
            flags |= AllocFlags::CMA;
        }
        if reserves {
            flags |= AllocFlags::MIN_RESERVE;
        }
        let free = z.free_pages() as i64;
        let mut unusable = 0;
        if !flags.intersects(AllocFlags::RESERVES) {
            unusable += z.nr_free_highatomic() as i64;
        }
        if !cma_ok {
            unusable += z.free_cma_pages() as i64;
        }
        let usable = free - free.min(unusable);
        let linux = usable > (mark + reserve) as i64 || zone_watermark_ok(&z, 0, mark, 2, flags);
        proptest::prop_assert_eq!(zone_watermark_fast(&z, 0, mark, 2, flags), linux);
    }
}

//! PhysMem and HostPlatform: sparse direct map, aliases through the memfd, errors.

use std::sync::Arc;

use oxmm::platform::Platform;
use oxmm::types::{PhysAddr, VirtAddr};
use oxmm_host::hosted::HostError;
use oxmm_host::physmem::PhysMem;
use oxmm_host::platform::HostPlatform;

/// Resident set of this process in KiB (VmRSS from /proc/self/status).
fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn alias_sees_writes_through_the_direct_map_and_back() {
    let mem = PhysMem::new(64 << 20).unwrap();
    let phys = PhysAddr(0x30_0000);
    let alias = mem.map_alias(phys, 0x1000).unwrap();
    assert_ne!(alias.as_ptr(), mem.phys_to_virt(phys).unwrap());
    let direct = mem.phys_to_virt(PhysAddr(phys.0 + 0x123)).unwrap();
    // SAFETY: both pointers are inside live mappings of the same 4 KiB page.
    unsafe {
        direct.write(0xa5);
        assert_eq!(alias.as_ptr().add(0x123).read_volatile(), 0xa5);
        alias.as_ptr().add(0xff0).write_volatile(0x5a);
    }
    assert_eq!(mem.read_u8(PhysAddr(phys.0 + 0xff0)).unwrap(), 0x5a);
    // The neighbouring page is not aliased: it stays zero.
    assert_eq!(mem.read_u8(PhysAddr(phys.0 + 0x1123)).unwrap(), 0);
}

#[test]
fn alias_outlives_physmem() {
    let mem = PhysMem::new(1 << 20).unwrap();
    let alias = mem.map_alias(PhysAddr(0x1000), 0x1000).unwrap();
    // SAFETY: inside the live direct map.
    unsafe { mem.phys_to_virt(PhysAddr(0x1000)).unwrap().write(9) };
    drop(mem);
    // SAFETY: the alias mapping keeps the memfd's page alive on its own.
    assert_eq!(unsafe { alias.as_ptr().read() }, 9);
}

#[test]
fn one_tib_is_sparse() {
    let before = rss_kib();
    let mem = PhysMem::new(1 << 40).unwrap();
    assert_eq!(mem.size(), 1 << 40);
    // Touch one page near the top and one at the bottom.
    for phys in [0u64, (1 << 40) - 4096] {
        // SAFETY: inside the 1 TiB mapping.
        unsafe { mem.phys_to_virt(PhysAddr(phys)).unwrap().write(1) };
        assert_eq!(mem.read_u8(PhysAddr(phys)).unwrap(), 1);
    }
    let after = rss_kib();
    assert!(
        after < before + 16 * 1024,
        "1 TiB PhysMem grew RSS from {before} KiB to {after} KiB"
    );
}

#[test]
fn bad_sizes_and_ranges_are_errors_naming_the_value() {
    let e = PhysMem::new(0).unwrap_err();
    assert!(matches!(e, HostError::PhysMemSize { size: 0, .. }));
    let e = PhysMem::new(1 << 50).unwrap_err();
    assert!(e.to_string().contains(&(1u64 << 50).to_string()), "{e}");
    assert!(e.to_string().contains("1.0 PiB"), "{e}");

    let mem = PhysMem::new(1 << 20).unwrap();
    let e = mem.map_alias(PhysAddr(0xff000), 0x2000).unwrap_err();
    assert!(e.to_string().contains("0xff000+0x2000"), "{e}");
    assert!(matches!(
        mem.map_alias(PhysAddr(0x1000), 0x800),
        Err(HostError::Unaligned {
            phys: 0x1000,
            len: 0x800
        })
    ));
    assert!(mem.map_alias(PhysAddr(0), 0).is_err());
    assert!(mem.map_alias(PhysAddr(u64::MAX - 0xfff), 0x2000).is_err());
    assert!(mem.phys_to_virt(PhysAddr(1 << 20)).is_none());
}

#[test]
fn host_platform_cpu_ids_fold_and_flushes_count() {
    let mem = Arc::new(PhysMem::new(1 << 20).unwrap());
    let p = Arc::new(HostPlatform::new(mem.clone(), 1).unwrap());
    assert_eq!(p.cpu_id(), 0);
    assert_eq!(p.direct_map_base(), mem.base());
    let p3 = Arc::new(HostPlatform::new(mem, 3).unwrap());
    std::thread::scope(|s| {
        for _ in 0..4 {
            let p3 = p3.clone();
            s.spawn(move || {
                assert!(p3.cpu_id() < 3);
                p3.flush_tlb_range(VirtAddr(0x1000), VirtAddr(0x3000));
            });
        }
    });
    assert_eq!(p3.tlb_flushes(), 4);
    assert_eq!(p3.tlb_flushed_bytes(), 4 * 0x2000);
    assert!(matches!(
        HostPlatform::new(Arc::new(PhysMem::new(4096).unwrap()), 0),
        Err(HostError::NoCpus)
    ));
}

#[test]
fn direct_map_is_pmd_aligned() {
    for size in [4096u64, 3 << 20, 1 << 30] {
        let mem = PhysMem::new(size).unwrap();
        assert_eq!(mem.base() as u64 % (2 << 20), 0, "size {size}");
    }
}

#[test]
fn anonymous_backing_keeps_the_direct_map_working_and_refuses_aliases() {
    let mem = PhysMem::new(16 << 20).unwrap();
    let p = mem.phys_to_virt(PhysAddr(0x40_0000)).unwrap();
    // SAFETY: inside the mapping.
    unsafe { p.write(3) };
    // SAFETY: single-threaded test; the old contents are not relied on.
    unsafe { mem.back_anonymous(PhysAddr(0x40_0000), 0x40_0000).unwrap() };
    // The old contents are gone, the memory is usable.
    assert_eq!(mem.read_u8(PhysAddr(0x40_0000)).unwrap(), 0);
    // SAFETY: inside the mapping.
    unsafe { p.add(0x1234).write(8) };
    assert_eq!(mem.read_u8(PhysAddr(0x40_1234)).unwrap(), 8);
    assert!(mem.is_anonymous(PhysAddr(0x7f_ffff)));
    assert!(!mem.is_anonymous(PhysAddr(0x80_0000)));
    assert!(!mem.is_anonymous(PhysAddr(0x3f_ffff)));
    assert_eq!(mem.anonymous_ranges(), vec![(0x40_0000, 0x80_0000)]);
    let e = mem.map_alias(PhysAddr(0x3f_f000), 0x2000).unwrap_err();
    assert!(
        matches!(
            e,
            HostError::NotAliasable {
                start: 0x40_0000,
                ..
            }
        ),
        "{e}"
    );
    // Neighbours are still memfd-backed and aliasable.
    let a = mem.map_alias(PhysAddr(0x80_0000), 0x1000).unwrap();
    // SAFETY: inside the direct map and the alias of the same page.
    unsafe {
        mem.phys_to_virt(PhysAddr(0x80_0000)).unwrap().write(5);
        assert_eq!(a.as_ptr().read_volatile(), 5);
    }
    // Bad ranges are errors.
    // SAFETY: the calls fail before touching anything.
    unsafe {
        assert!(mem.back_anonymous(PhysAddr(0x1000), 0x800).is_err());
        assert!(mem.back_anonymous(PhysAddr(15 << 20), 2 << 20).is_err());
        assert!(mem.back_anonymous(PhysAddr(0), 0).is_err());
    }
}

//! Port of Linux's tools/testing/memblock suite (basic, alloc, alloc_helpers, alloc_nid,
//! alloc_exact_nid) against `oxmm::memblock`, plus a model-based property test.

use oxmm::memblock::{
    free_pages_memory, Memblock, MemblockError, MemblockFlags, MemblockRegion, MemblockType,
    INIT_MEMBLOCK_REGIONS, MEMBLOCK_ALLOC_ANYWHERE, MEMBLOCK_REGION_CAPACITY, SMP_CACHE_BYTES,
};
use oxmm::types::{NodeId, PageGeometry, PhysAddr, PHYS_ADDR_MAX};

const SZ_1K: u64 = 1 << 10;
const SZ_2K: u64 = 2 << 10;
const SZ_4K: u64 = 4 << 10;
const SZ_8K: u64 = 8 << 10;
const SZ_16K: u64 = 16 << 10;
const SZ_32K: u64 = 32 << 10;
const SZ_128K: u64 = 128 << 10;
const SZ_512K: u64 = 512 << 10;
const SZ_1M: u64 = 1 << 20;
const SZ_2M: u64 = 2 << 20;
const SZ_4M: u64 = 4 << 20;
const SZ_8M: u64 = 8 << 20;
const SZ_16M: u64 = 16 << 20;
const SZ_32M: u64 = 32 << 20;
const SZ_64M: u64 = 64 << 20;
const SZ_128M: u64 = 128 << 20;
const SZ_256M: u64 = 256 << 20;
const SZ_512M: u64 = 512 << 20;
const SZ_1G: u64 = 1 << 30;

/// Where the simulated memory block lives (the suite mallocs it; any page-aligned
/// address above the first page works).
const MEM_BASE: u64 = 0x4000_0000;
const MEM_SIZE: u64 = SZ_32K;
const PHYS_MEM_SIZE: u64 = SZ_16M;

fn pa(x: u64) -> PhysAddr {
    PhysAddr(x)
}

fn rgns(t: &MemblockType) -> Vec<(u64, u64)> {
    t.regions().iter().map(|r| (r.base.0, r.size)).collect()
}

/// A memblock with `[MEM_BASE, MEM_BASE + size)` as memory (`setup_memblock`).
fn setup(size: u64) -> Memblock {
    let mut mb = Memblock::new();
    mb.add(pa(MEM_BASE), size).unwrap();
    mb
}

fn assert_empty(t: &MemblockType) {
    assert_eq!(t.cnt(), 0);
    assert_eq!(t.total_size(), 0);
    assert_eq!(
        t.first_slot(),
        MemblockRegion {
            base: pa(0),
            size: 0,
            flags: MemblockFlags::empty(),
            nid: None
        }
    );
}

// ------------------------------------------------------------------------ basic

#[test]
fn initial_state() {
    let mb = Memblock::new();
    for (t, name) in [(mb.memory(), "memory"), (mb.reserved(), "reserved")] {
        assert_empty(t);
        assert_eq!(t.max(), INIT_MEMBLOCK_REGIONS);
        assert_eq!(t.name(), name);
        assert_eq!(t.array(), None);
    }
    assert!(!mb.bottom_up());
    assert_eq!(mb.current_limit(), MEMBLOCK_ALLOC_ANYWHERE);
}

#[test]
fn add_simple_and_node() {
    let mut mb = Memblock::new();
    mb.add(pa(SZ_1G), SZ_256M).unwrap();
    assert_eq!(rgns(mb.memory()), [(SZ_1G, SZ_256M)]);
    assert_eq!(mb.memory().regions()[0].nid, None);
    assert_eq!(mb.memory().total_size(), SZ_256M);

    let mut mb = Memblock::new();
    mb.add_node(pa(SZ_1M), SZ_16M, NodeId(1), MemblockFlags::HOTPLUG)
        .unwrap();
    let r = mb.memory().regions()[0];
    assert_eq!(
        (r.base.0, r.size, r.nid, r.flags),
        (SZ_1M, SZ_16M, Some(NodeId(1)), MemblockFlags::HOTPLUG)
    );
    assert_eq!(mb.memory().total_size(), SZ_16M);
}

type AddFn = fn(&mut Memblock, u64, u64);
type TyFn = fn(&Memblock) -> &MemblockType;

/// Every "add" case runs on `memory` (add) and `reserved` (reserve), as the suite does.
fn add_cases(add: AddFn, ty: TyFn) {
    // disjoint
    let mut mb = Memblock::new();
    add(&mut mb, SZ_1G, SZ_8K);
    add(&mut mb, SZ_1G + SZ_16K, SZ_8K);
    assert_eq!(rgns(ty(&mb)), [(SZ_1G, SZ_8K), (SZ_1G + SZ_16K, SZ_8K)]);
    assert_eq!(ty(&mb).total_size(), SZ_16K);
    // overlap top: the new range starts below the existing one
    let mut mb = Memblock::new();
    add(&mut mb, SZ_512M, SZ_1G);
    add(&mut mb, SZ_256M, SZ_512M);
    assert_eq!(rgns(ty(&mb)), [(SZ_256M, SZ_512M + SZ_1G - SZ_256M)]);
    assert_eq!(ty(&mb).total_size(), SZ_512M + SZ_1G - SZ_256M);
    // overlap bottom
    let mut mb = Memblock::new();
    add(&mut mb, SZ_128M, SZ_512M);
    add(&mut mb, SZ_256M, SZ_1G);
    assert_eq!(rgns(ty(&mb)), [(SZ_128M, SZ_256M + SZ_1G - SZ_128M)]);
    // within
    let mut mb = Memblock::new();
    add(&mut mb, SZ_8M, SZ_32M);
    add(&mut mb, SZ_16M, SZ_1M);
    assert_eq!(rgns(ty(&mb)), [(SZ_8M, SZ_32M)]);
    assert_eq!(ty(&mb).total_size(), SZ_32M);
    // twice
    let mut mb = Memblock::new();
    add(&mut mb, SZ_2M, SZ_2M);
    add(&mut mb, SZ_2M, SZ_2M);
    assert_eq!(rgns(ty(&mb)), [(SZ_2M, SZ_2M)]);
    assert_eq!(ty(&mb).total_size(), SZ_2M);
    // between: fills the gap between two regions -> one
    let mut mb = Memblock::new();
    add(&mut mb, SZ_1G, SZ_8K);
    add(&mut mb, SZ_1G + SZ_16K, SZ_8K);
    add(&mut mb, SZ_1G + SZ_8K, SZ_8K);
    assert_eq!(rgns(ty(&mb)), [(SZ_1G, 3 * SZ_8K)]);
    assert_eq!(ty(&mb).total_size(), 3 * SZ_8K);
    // spanning several regions with holes
    let mut mb = Memblock::new();
    add(&mut mb, SZ_1M, SZ_1M);
    add(&mut mb, SZ_4M, SZ_1M);
    add(&mut mb, SZ_8M, SZ_1M);
    add(&mut mb, 0, SZ_16M);
    assert_eq!(rgns(ty(&mb)), [(0, SZ_16M)]);
    assert_eq!(ty(&mb).total_size(), SZ_16M);
    // near max: cut to PHYS_ADDR_MAX - base
    let mut mb = Memblock::new();
    add(&mut mb, PHYS_ADDR_MAX - SZ_1M, SZ_2M);
    assert_eq!(rgns(ty(&mb)), [(PHYS_ADDR_MAX - SZ_1M, SZ_1M)]);
    // zero size is a no-op
    add(&mut mb, SZ_1G, 0);
    assert_eq!(ty(&mb).cnt(), 1);
}

#[test]
fn add_cases_memory() {
    add_cases(|mb, b, s| mb.add(pa(b), s).unwrap(), |mb| mb.memory());
}

#[test]
fn reserve_cases() {
    add_cases(|mb, b, s| mb.reserve(pa(b), s).unwrap(), |mb| mb.reserved());
}

#[test]
fn add_node_different_nid_or_flags_do_not_merge() {
    let mut mb = Memblock::new();
    mb.add_node(pa(0), SZ_1M, NodeId(0), MemblockFlags::empty())
        .unwrap();
    mb.add_node(pa(SZ_1M), SZ_1M, NodeId(1), MemblockFlags::empty())
        .unwrap();
    mb.add_node(pa(SZ_2M), SZ_1M, NodeId(1), MemblockFlags::HOTPLUG)
        .unwrap();
    mb.add_node(pa(3 * SZ_1M), SZ_1M, NodeId(1), MemblockFlags::HOTPLUG)
        .unwrap();
    assert_eq!(
        rgns(mb.memory()),
        [(0, SZ_1M), (SZ_1M, SZ_1M), (SZ_2M, SZ_2M)]
    );
    // an overlapping add leaves existing regions alone and fills only the holes
    mb.add_node(pa(SZ_4M + SZ_1M), SZ_1M, NodeId(1), MemblockFlags::HOTPLUG)
        .unwrap();
    mb.add_node(pa(0), 8 * SZ_1M, NodeId(1), MemblockFlags::HOTPLUG)
        .unwrap();
    assert_eq!(
        rgns(mb.memory()),
        [(0, SZ_1M), (SZ_1M, SZ_1M), (SZ_2M, 6 * SZ_1M)]
    );
    assert_eq!(mb.memory().regions()[0].nid, Some(NodeId(0)));
    assert_eq!(mb.memory().total_size(), 8 * SZ_1M);
}

#[test]
fn set_node_splits_and_merges() {
    let mut mb = Memblock::new();
    mb.add(pa(0), SZ_16M).unwrap();
    mb.set_node(pa(0), SZ_8M, NodeId(0)).unwrap();
    mb.set_node(pa(SZ_8M), SZ_4M, NodeId(1)).unwrap();
    assert_eq!(
        rgns(mb.memory()),
        [(0, SZ_8M), (SZ_8M, SZ_4M), (SZ_8M + SZ_4M, SZ_4M)]
    );
    let nids: Vec<_> = mb.memory().regions().iter().map(|r| r.nid).collect();
    assert_eq!(nids, [Some(NodeId(0)), Some(NodeId(1)), None]);
    mb.set_node(pa(SZ_8M + SZ_4M), SZ_4M, NodeId(1)).unwrap();
    assert_eq!(rgns(mb.memory()), [(0, SZ_8M), (SZ_8M, SZ_8M)]);
    assert_eq!(mb.memory().total_size(), SZ_16M);
}

#[test]
fn flags_mark_and_clear() {
    let mut mb = setup(SZ_1M);
    mb.mark_nomap(pa(MEM_BASE + SZ_4K), SZ_4K).unwrap();
    assert_eq!(mb.memory().cnt(), 3);
    assert_eq!(mb.memory().regions()[1].flags, MemblockFlags::NOMAP);
    // NOMAP memory is not free memory
    let free: Vec<_> = mb.free_ranges(None).map(|(s, e, _)| (s.0, e.0)).collect();
    assert_eq!(
        free,
        [
            (MEM_BASE, MEM_BASE + SZ_4K),
            (MEM_BASE + SZ_8K, MEM_BASE + SZ_1M)
        ]
    );
    mb.clear_nomap(pa(MEM_BASE + SZ_4K), SZ_4K).unwrap();
    assert_eq!(rgns(mb.memory()), [(MEM_BASE, SZ_1M)]);
    mb.mark_hotplug(pa(MEM_BASE), SZ_1M).unwrap();
    assert_eq!(mb.memory().regions()[0].flags, MemblockFlags::HOTPLUG);
    mb.clear_hotplug(pa(MEM_BASE), SZ_1M).unwrap();
    assert_eq!(mb.memory().regions()[0].flags, MemblockFlags::empty());
}

/// The 129th memory region doubles the array; the array lives in memblock memory.
#[test]
fn add_many_doubles_memory_array() {
    let mut mb = Memblock::new();
    mb.add(pa(MEM_BASE), SZ_1M).unwrap();
    let base = |i: u64| MEM_BASE + SZ_2M + i * 2 * MEM_SIZE;
    for i in 0..(INIT_MEMBLOCK_REGIONS as u64 - 1) {
        mb.add(pa(base(i)), MEM_SIZE).unwrap();
        assert_eq!(mb.memory().cnt(), i as usize + 2);
        assert_eq!(mb.memory().total_size(), SZ_1M + (i + 1) * MEM_SIZE);
    }
    assert_eq!(mb.memory().max(), 128);
    assert_eq!(mb.reserved().cnt(), 0);
    // the 129th region: 256 * 24 bytes, page aligned, found top-down
    mb.add(pa(base(127)), MEM_SIZE).unwrap();
    assert_eq!(mb.memory().cnt(), 129);
    assert_eq!(mb.memory().max(), 256);
    assert_eq!(mb.memory().total_size(), SZ_1M + 128 * MEM_SIZE);
    // the array was placed before the new range was inserted: top of the old memory
    let old_end = base(126) + MEM_SIZE;
    assert_eq!(rgns(mb.reserved()), [(old_end - SZ_8K, SZ_8K)]);
    assert_eq!(mb.memory().array(), Some((pa(old_end - SZ_8K), SZ_8K)));
    // a region below everything goes first
    mb.add(pa(SZ_16K), MEM_SIZE).unwrap();
    assert_eq!(mb.memory().regions()[0].base, pa(SZ_16K));
    assert_eq!(mb.memory().cnt(), 130);
    // grow to 512: the old 8 KiB array is freed, the new 12 KiB one reserved
    let mut i = 128;
    while mb.memory().cnt() <= 256 {
        mb.add(pa(base(i)), MEM_SIZE).unwrap();
        i += 1;
    }
    assert_eq!(mb.memory().max(), 512);
    assert_eq!(mb.reserved().total_size(), 12 * SZ_1K);
    let (abase, asize) = mb.memory().array().unwrap();
    assert_eq!(asize, 12 * SZ_1K);
    assert_eq!(rgns(mb.reserved()), [(abase.0, asize)]);
}

#[test]
fn reserve_many_new_array_avoids_reserved_ranges() {
    let mut mb = setup(PHYS_MEM_SIZE);
    let top = MEM_BASE + PHYS_MEM_SIZE;
    // 128 one-page reservations separated by one-page holes, from the top down
    for i in 0..128u64 {
        mb.reserve(pa(top - (2 * i + 1) * SZ_4K), SZ_4K).unwrap();
    }
    assert_eq!(mb.reserved().cnt(), 128);
    let low = top - 255 * SZ_4K;
    // the 129th: the 8 KiB array fits in no hole above it and must not take the
    // range being reserved, so it goes just below that range (and merges with it)
    let new = low - SZ_8K;
    mb.reserve(pa(new), SZ_4K).unwrap();
    assert_eq!(mb.reserved().max(), 256);
    let (abase, asize) = mb.reserved().array().unwrap();
    assert_eq!((abase.0, asize), (new - SZ_8K, SZ_8K));
    assert_eq!(mb.reserved().cnt(), 129);
    assert_eq!(mb.reserved().regions()[0].base.0, new - SZ_8K);
    assert_eq!(mb.reserved().regions()[0].size, SZ_8K + SZ_4K);
    assert_eq!(mb.reserved().total_size(), 129 * SZ_4K + SZ_8K);
}

#[test]
fn doubling_fails_without_memory_or_permission() {
    let mut mb = Memblock::new();
    for i in 0..128u64 {
        mb.reserve(pa(SZ_1M + i * SZ_8K), SZ_4K).unwrap();
    }
    let before = mb.clone();
    let err = mb.reserve(pa(SZ_512M), SZ_4K).unwrap_err();
    assert!(matches!(
        err,
        MemblockError::DoubleArrayFailed {
            name: "reserved",
            from: 128,
            to: 256,
            ..
        }
    ));
    assert!(err.to_string().contains("reserved"));
    assert_eq!(rgns(mb.reserved()), rgns(before.reserved()));
    mb.set_allow_resize(false);
    mb.add(pa(SZ_1G), SZ_1G).unwrap();
    assert_eq!(
        mb.reserve(pa(SZ_512M), SZ_4K),
        Err(MemblockError::ResizeNotAllowed {
            name: "reserved",
            max: 128
        })
    );
    mb.set_allow_resize(true);
    mb.reserve(pa(SZ_512M), SZ_4K).unwrap();
    assert_eq!(mb.reserved().cnt(), 130); // + the array at the top of memory
    assert_eq!(mb.reserved().regions()[129].base.0, SZ_1G + SZ_1G - SZ_8K);
}

#[test]
fn capacity_exceeded_is_an_error_not_a_panic() {
    let mut mb = Memblock::new();
    mb.add(pa(MEM_BASE), SZ_1M).unwrap();
    let base = |i: u64| MEM_BASE + SZ_2M + i * SZ_8K;
    for i in 0..(MEMBLOCK_REGION_CAPACITY as u64 - 1) {
        mb.add(pa(base(i)), SZ_4K).unwrap();
    }
    assert_eq!(mb.memory().cnt(), MEMBLOCK_REGION_CAPACITY);
    assert_eq!(mb.memory().max(), MEMBLOCK_REGION_CAPACITY);
    // 1024 regions need 24 KiB: only the last array stays reserved
    assert_eq!(mb.reserved().total_size(), 24 * SZ_1K);
    let before = rgns(mb.memory());
    let err = mb.add(pa(base(2000)), SZ_4K).unwrap_err();
    assert_eq!(
        err,
        MemblockError::CapacityExceeded {
            name: "memory",
            needed: MEMBLOCK_REGION_CAPACITY + 1
        }
    );
    assert_eq!(rgns(mb.memory()), before);
    // splitting a region is refused too, leaving the arrays intact
    assert!(mb.remove(pa(base(5) + SZ_1K), SZ_1K).is_err());
    assert_eq!(rgns(mb.memory()), before);
    // an add already covered needs no new slot and still works
    mb.add(pa(base(0)), SZ_4K).unwrap();
    assert_eq!(rgns(mb.memory()), before);
}

/// Remove (memory) and free (reserved) cases.
fn remove_cases(add: AddFn, remove: AddFn, ty: TyFn) {
    // simple
    let mut mb = Memblock::new();
    add(&mut mb, SZ_2K, SZ_4K);
    add(&mut mb, SZ_128K, SZ_4M);
    remove(&mut mb, SZ_2K, SZ_4K);
    assert_eq!(rgns(ty(&mb)), [(SZ_128K, SZ_4M)]);
    assert_eq!(ty(&mb).total_size(), SZ_4M);
    // absent
    let mut mb = Memblock::new();
    add(&mut mb, SZ_512K, SZ_4M);
    remove(&mut mb, SZ_64M, SZ_1G);
    assert_eq!(rgns(ty(&mb)), [(SZ_512K, SZ_4M)]);
    // overlap top
    let mut mb = Memblock::new();
    add(&mut mb, SZ_32M, SZ_32M);
    remove(&mut mb, SZ_16M, SZ_32M);
    assert_eq!(rgns(ty(&mb)), [(SZ_16M + SZ_32M, SZ_16M)]);
    assert_eq!(ty(&mb).total_size(), SZ_16M);
    // overlap bottom
    let mut mb = Memblock::new();
    add(&mut mb, SZ_2M, SZ_64M);
    remove(&mut mb, SZ_32M, SZ_256M);
    assert_eq!(rgns(ty(&mb)), [(SZ_2M, SZ_32M - SZ_2M)]);
    // within -> split
    let mut mb = Memblock::new();
    add(&mut mb, SZ_1M, SZ_32M);
    remove(&mut mb, SZ_16M, SZ_1M);
    assert_eq!(
        rgns(ty(&mb)),
        [(SZ_1M, SZ_16M - SZ_1M), (SZ_16M + SZ_1M, SZ_32M - SZ_16M)]
    );
    assert_eq!(ty(&mb).total_size(), SZ_32M - SZ_1M);
    // only region
    let mut mb = Memblock::new();
    add(&mut mb, SZ_2K, SZ_4K);
    remove(&mut mb, SZ_2K, SZ_4K);
    assert_empty(ty(&mb));
    // near max
    let mut mb = Memblock::new();
    add(&mut mb, PHYS_ADDR_MAX - SZ_2M, SZ_2M);
    remove(&mut mb, PHYS_ADDR_MAX - SZ_1M, SZ_2M);
    assert_eq!(rgns(ty(&mb)), [(PHYS_ADDR_MAX - SZ_2M, SZ_1M)]);
    // overlap two
    let mut mb = Memblock::new();
    add(&mut mb, SZ_16M, SZ_32M);
    add(&mut mb, SZ_64M, SZ_64M);
    remove(&mut mb, SZ_32M, SZ_64M);
    assert_eq!(rgns(ty(&mb)), [(SZ_16M, SZ_16M), (SZ_32M + SZ_64M, SZ_32M)]);
    assert_eq!(ty(&mb).total_size(), SZ_16M + SZ_32M);
    // spanning three regions removes the middle one whole
    let mut mb = Memblock::new();
    add(&mut mb, SZ_1M, SZ_1M);
    add(&mut mb, SZ_4M, SZ_1M);
    add(&mut mb, SZ_8M, SZ_1M);
    remove(&mut mb, SZ_1M + SZ_128K, SZ_8M - SZ_1M);
    assert_eq!(
        rgns(ty(&mb)),
        [(SZ_1M, SZ_128K), (SZ_8M + SZ_128K, SZ_1M - SZ_128K)]
    );
}

#[test]
fn remove_cases_memory() {
    remove_cases(
        |mb, b, s| mb.add(pa(b), s).unwrap(),
        |mb, b, s| mb.remove(pa(b), s).unwrap(),
        |mb| mb.memory(),
    );
}

#[test]
fn free_cases_reserved() {
    remove_cases(
        |mb, b, s| mb.reserve(pa(b), s).unwrap(),
        |mb, b, s| mb.free(pa(b), s).unwrap(),
        |mb| mb.reserved(),
    );
}

#[test]
fn bottom_up_getter_setter() {
    let mut mb = Memblock::new();
    assert!(!mb.bottom_up());
    mb.set_bottom_up(true);
    assert!(mb.bottom_up());
    mb.set_bottom_up(false);
    assert!(!mb.bottom_up());
}

#[test]
fn trim_memory() {
    let align = SZ_4K;
    let mut mb = Memblock::new();
    mb.add(pa(SZ_1M), SZ_16K).unwrap(); // aligned: kept
    mb.add(pa(SZ_2M), align - 1).unwrap(); // smaller than align: removed
    mb.add(pa(SZ_4M + 1), SZ_16K).unwrap(); // base rounded up
    mb.add(pa(SZ_8M), SZ_16K + 5).unwrap(); // end rounded down
    mb.add(pa(SZ_16M + SZ_2K), SZ_4K).unwrap(); // no whole aligned page: removed
    mb.trim_memory(align).unwrap();
    assert_eq!(
        rgns(mb.memory()),
        [
            (SZ_1M, SZ_16K),
            (SZ_4M + SZ_4K, SZ_16K - SZ_4K),
            (SZ_8M, SZ_16K)
        ]
    );
    assert_eq!(mb.memory().total_size(), 3 * SZ_16K - SZ_4K);
    assert_eq!(mb.trim_memory(0), Err(MemblockError::BadAlign { align: 0 }));
    let mut mb = Memblock::new();
    mb.add(pa(1), 10).unwrap();
    mb.trim_memory(align).unwrap();
    assert_empty(mb.memory());
}

#[test]
fn overlaps_region() {
    let mut mb = Memblock::new();
    mb.reserve(pa(SZ_1G), SZ_4M).unwrap();
    let t = mb.reserved();
    assert!(t.overlaps_region(pa(SZ_1G - SZ_1M), SZ_1M + 1));
    assert!(!t.overlaps_region(pa(SZ_1G - SZ_1M), SZ_1M));
    assert!(t.overlaps_region(pa(SZ_1G + SZ_1M), SZ_1M));
    assert!(t.overlaps_region(pa(SZ_1G + SZ_4M - 1), PHYS_ADDR_MAX));
    assert!(!t.overlaps_region(pa(SZ_1G + SZ_4M), SZ_1G));
    assert!(!mb.memory().overlaps_region(pa(0), PHYS_ADDR_MAX));
}

#[test]
fn queries() {
    let mut mb = Memblock::new();
    assert_eq!((mb.start_of_dram(), mb.end_of_dram()), (pa(0), pa(0)));
    mb.add(pa(SZ_1M), SZ_1M).unwrap();
    mb.add(pa(SZ_4M), SZ_1M).unwrap();
    assert_eq!(mb.phys_mem_size(), SZ_2M);
    assert_eq!(
        (mb.start_of_dram(), mb.end_of_dram()),
        (pa(SZ_1M), pa(SZ_4M + SZ_1M))
    );
    assert!(mb.is_memory(pa(SZ_1M)));
    assert!(!mb.is_memory(pa(SZ_2M)));
    assert!(mb.is_region_memory(pa(SZ_4M), SZ_1M));
    assert!(!mb.is_region_memory(pa(SZ_1M), SZ_4M));
    assert!(!mb.is_region_memory(pa(0), 1));
}

#[test]
fn enforce_memory_limit_and_cap_range() {
    let mut mb = Memblock::new();
    mb.add(pa(SZ_1M), SZ_1M).unwrap();
    mb.add(pa(SZ_4M), SZ_4M).unwrap();
    mb.reserve(pa(SZ_4M + SZ_1M), SZ_2M).unwrap();
    mb.reserve(pa(SZ_1M), SZ_4K).unwrap();
    let mut same = mb.clone();
    same.enforce_memory_limit(SZ_16M); // more than there is
    assert_eq!(rgns(same.memory()), rgns(mb.memory()));
    mb.enforce_memory_limit(SZ_2M);
    assert_eq!(rgns(mb.memory()), [(SZ_1M, SZ_1M), (SZ_4M, SZ_1M)]);
    assert_eq!(rgns(mb.reserved()), [(SZ_1M, SZ_4K)]);

    let mut mb = Memblock::new();
    mb.add(pa(0), SZ_16M).unwrap();
    mb.mark_nomap(pa(0), SZ_1M).unwrap();
    mb.reserve(pa(SZ_2M), SZ_4M).unwrap();
    mb.cap_memory_range(pa(SZ_4M), SZ_4M);
    assert_eq!(rgns(mb.memory()), [(0, SZ_1M), (SZ_4M, SZ_4M)]);
    assert_eq!(rgns(mb.reserved()), [(SZ_4M, SZ_2M)]);
}

#[test]
fn pfn_and_free_range_iteration() {
    let geo = PageGeometry::default();
    let none = MemblockFlags::empty();
    let mut mb = Memblock::new();
    mb.add_node(pa(0x800), 0x3000, NodeId(0), none).unwrap();
    mb.add_node(pa(0x10000), 0x800, NodeId(0), none).unwrap(); // < 1 page
    mb.add_node(pa(0x20000), 0x4000, NodeId(1), none).unwrap();
    let all: Vec<_> = mb.mem_pfn_ranges(geo, None).collect();
    assert_eq!(
        all,
        [(1, 3, Some(NodeId(0))), (0x20, 0x24, Some(NodeId(1)))]
    );
    let n1: Vec<_> = mb.mem_pfn_ranges(geo, Some(NodeId(1))).collect();
    assert_eq!(n1, [(0x20, 0x24, Some(NodeId(1)))]);
    mb.reserve(pa(0x1000), 0x1000).unwrap();
    mb.reserve(pa(0x21000), 0x1000).unwrap();
    let free: Vec<_> = mb
        .free_ranges(None)
        .map(|(s, e, n)| (s.0, e.0, n.map(|n| n.0)))
        .collect();
    assert_eq!(
        free,
        [
            (0x800, 0x1000, Some(0)),
            (0x2000, 0x3800, Some(0)),
            (0x10000, 0x10800, Some(0)),
            (0x20000, 0x21000, Some(1)),
            (0x22000, 0x24000, Some(1)),
        ]
    );
    let free1: Vec<_> = mb
        .free_ranges(Some(NodeId(1)))
        .map(|(s, e, _)| (s.0, e.0))
        .collect();
    assert_eq!(free1, [(0x20000, 0x21000), (0x22000, 0x24000)]);
    // a reservation spanning two memory regions
    mb.reserve(pa(0x3000), 0x1e000).unwrap();
    let free: Vec<_> = mb.free_ranges(None).map(|(s, e, _)| (s.0, e.0)).collect();
    assert_eq!(
        free,
        [(0x800, 0x1000), (0x2000, 0x3000), (0x22000, 0x24000)]
    );
}

#[test]
fn free_pages_memory_blocks() {
    let mut v = Vec::new();
    free_pages_memory(0, 3000, 10, |p, o| v.push((p, o)));
    assert_eq!(
        v,
        [
            (0, 10),
            (1024, 10),
            (2048, 9),
            (2560, 8),
            (2816, 7),
            (2944, 5),
            (2976, 4),
            (2992, 3)
        ]
    );
    let mut total = 0;
    free_pages_memory(0x1001, 0x9_0003, 10, |p, o| {
        assert_eq!(p % (1 << o), 0);
        assert!(o <= 10);
        total += 1u64 << o;
    });
    assert_eq!(total, 0x9_0003 - 0x1001);
    let mut v = Vec::new();
    free_pages_memory(5, 5, 10, |p, o| v.push((p, o)));
    free_pages_memory(u64::MAX - 3, u64::MAX, 10, |p, o| v.push((p, o)));
    assert_eq!(v, [(u64::MAX - 3, 1), (u64::MAX - 1, 0)]);
}

// ------------------------------------------------------------------------ alloc

/// Records the ranges the zeroing callback was asked to clear.
#[derive(Default)]
struct Zeroed(Vec<(u64, u64)>);

impl Zeroed {
    fn f(&mut self) -> impl FnMut(PhysAddr, u64) + '_ {
        |b, s| self.0.push((b.0, s))
    }
}

fn alloc(mb: &mut Memblock, size: u64, align: u64) -> Option<u64> {
    let mut z = Zeroed::default();
    let p = mb.alloc(size, align, &mut z.f()).map(|p| p.0);
    // non-raw allocations zero exactly what they return
    assert_eq!(z.0, p.map(|p| (p, size)).into_iter().collect::<Vec<_>>());
    p
}

fn raw(mb: &mut Memblock, size: u64, align: u64) -> Option<u64> {
    mb.alloc_raw(size, align).map(|p| p.0)
}

type AllocFn = fn(&mut Memblock, u64, u64) -> Option<u64>;

/// Top-down cases of alloc_api.c, for `memblock_alloc` and `memblock_alloc_raw`.
fn alloc_top_down_cases(f: AllocFn) {
    let end = MEM_BASE + MEM_SIZE;
    // simple: at the end, aligned down
    let mut mb = setup(MEM_SIZE);
    assert_eq!(f(&mut mb, 2, SMP_CACHE_BYTES), Some(end - SMP_CACHE_BYTES));
    assert_eq!(rgns(mb.reserved()), [(end - SMP_CACHE_BYTES, 2)]);
    // disjoint: below a misaligned neighbour, leaving a gap for alignment
    let mut mb = setup(MEM_SIZE);
    mb.reserve(pa(end - 25), 25).unwrap();
    assert_eq!(f(&mut mb, 16, SMP_CACHE_BYTES), Some(end - SMP_CACHE_BYTES));
    assert_eq!(mb.reserved().cnt(), 2);
    assert_eq!(mb.reserved().total_size(), 25 + 16);
    // before: merges with a reservation above it
    let mut mb = setup(MEM_SIZE);
    mb.reserve(pa(end - 512), 512).unwrap();
    assert_eq!(f(&mut mb, 512, SMP_CACHE_BYTES), Some(end - 1024));
    assert_eq!(rgns(mb.reserved()), [(end - 1024, 1024)]);
    // after: a reservation below the free top; the new one merges below... above it
    let mut mb = setup(MEM_SIZE);
    mb.reserve(pa(end - 1024), 512).unwrap();
    assert_eq!(f(&mut mb, 512, SMP_CACHE_BYTES), Some(end - 512));
    assert_eq!(rgns(mb.reserved()), [(end - 1024, 1024)]);
    // second fit: the gap between r1 and r2 is too small
    let mut mb = setup(MEM_SIZE);
    mb.reserve(pa(end - 512), 512).unwrap();
    mb.reserve(pa(end - 2048), 1024).unwrap();
    assert_eq!(f(&mut mb, 1024, SMP_CACHE_BYTES), Some(end - 3072));
    assert_eq!(rgns(mb.reserved()), [(end - 3072, 2048), (end - 512, 512)]);
    assert_eq!(mb.reserved().total_size(), 2560);
    // exact gap fill: three regions become one
    let mut mb = setup(MEM_SIZE);
    mb.reserve(pa(end - 512), 512).unwrap();
    mb.reserve(pa(end - 2048), 1024).unwrap();
    assert_eq!(f(&mut mb, 512, SMP_CACHE_BYTES), Some(end - 1024));
    assert_eq!(rgns(mb.reserved()), [(end - 2048, 2048)]);
    common_alloc_failures(f);
}

/// Bottom-up cases of alloc_api.c.
fn alloc_bottom_up_cases(f: AllocFn) {
    let start = MEM_BASE;
    let end = MEM_BASE + MEM_SIZE;
    let bu = || {
        let mut mb = setup(MEM_SIZE);
        mb.set_bottom_up(true);
        mb
    };
    // simple: at the start
    let mut mb = bu();
    assert_eq!(f(&mut mb, 2, SMP_CACHE_BYTES), Some(start));
    assert_eq!(rgns(mb.reserved()), [(start, 2)]);
    // disjoint: above a misaligned neighbour, rounded up
    let mut mb = bu();
    mb.reserve(pa(start + SZ_2K), 25).unwrap();
    assert_eq!(f(&mut mb, 16, SMP_CACHE_BYTES), Some(start));
    let mut mb = bu();
    mb.reserve(pa(start), 25).unwrap();
    assert_eq!(
        f(&mut mb, 16, SMP_CACHE_BYTES),
        Some(start + SMP_CACHE_BYTES)
    );
    assert_eq!(rgns(mb.reserved()), [(start, 25), (start + 64, 16)]);
    // before: new region right below a reservation merges with it
    let mut mb = bu();
    mb.reserve(pa(start + 512), 512).unwrap();
    assert_eq!(f(&mut mb, 512, SMP_CACHE_BYTES), Some(start));
    assert_eq!(rgns(mb.reserved()), [(start, 1024)]);
    // after: right above a reservation
    let mut mb = bu();
    mb.reserve(pa(start), 512).unwrap();
    assert_eq!(f(&mut mb, 512, SMP_CACHE_BYTES), Some(start + 512));
    assert_eq!(rgns(mb.reserved()), [(start, 1024)]);
    // second fit
    let mut mb = bu();
    mb.reserve(pa(start), 512).unwrap();
    mb.reserve(pa(start + 1024), 1024).unwrap();
    assert_eq!(f(&mut mb, 1024, SMP_CACHE_BYTES), Some(start + 2048));
    assert_eq!(rgns(mb.reserved()), [(start, 512), (start + 1024, 2048)]);
    // exact gap fill
    let mut mb = bu();
    mb.reserve(pa(start), 512).unwrap();
    mb.reserve(pa(start + 1024), 1024).unwrap();
    assert_eq!(f(&mut mb, 512, SMP_CACHE_BYTES), Some(start + 512));
    assert_eq!(rgns(mb.reserved()), [(start, 2048)]);
    // exact fit in limited space at the top
    let mut mb = bu();
    mb.reserve(pa(start), MEM_SIZE - SZ_1K).unwrap();
    assert_eq!(f(&mut mb, SZ_1K, SMP_CACHE_BYTES), Some(end - SZ_1K));
    assert_eq!(rgns(mb.reserved()), [(start, MEM_SIZE)]);
}

/// None cases common to both directions.
fn common_alloc_failures(f: AllocFn) {
    let end = MEM_BASE + MEM_SIZE;
    for bottom_up in [false, true] {
        let fresh = || {
            let mut mb = setup(MEM_SIZE);
            mb.set_bottom_up(bottom_up);
            mb
        };
        // small gaps: reservations every 2 KiB leave 1 KiB holes
        let mut mb = fresh();
        let mut b = MEM_BASE;
        while b < end {
            mb.reserve(pa(b), SZ_1K).unwrap();
            b += SZ_2K;
        }
        let before = rgns(mb.reserved());
        assert_eq!(f(&mut mb, SZ_2K, SMP_CACHE_BYTES), None);
        assert_eq!(rgns(mb.reserved()), before);
        // all reserved
        let mut mb = fresh();
        mb.reserve(pa(MEM_BASE), MEM_SIZE).unwrap();
        assert_eq!(f(&mut mb, SZ_1K, SMP_CACHE_BYTES), None);
        // no space: less than asked is left
        let mut mb = fresh();
        mb.reserve(pa(MEM_BASE), MEM_SIZE - SZ_1K + 1).unwrap();
        assert_eq!(f(&mut mb, SZ_1K, SMP_CACHE_BYTES), None);
        // limited space, exact fit
        let mut mb = fresh();
        mb.reserve(pa(MEM_BASE + SZ_1K), MEM_SIZE - SZ_1K).unwrap();
        assert_eq!(f(&mut mb, SZ_1K, SMP_CACHE_BYTES), Some(MEM_BASE));
        assert_eq!(rgns(mb.reserved()), [(MEM_BASE, MEM_SIZE)]);
        // too large
        let mut mb = fresh();
        assert_eq!(f(&mut mb, MEM_SIZE + 1, SMP_CACHE_BYTES), None);
        assert_eq!(mb.reserved().cnt(), 0);
        // no memory
        let mut mb = Memblock::new();
        mb.set_bottom_up(bottom_up);
        assert_eq!(f(&mut mb, SZ_1K, SMP_CACHE_BYTES), None);
        assert_empty(mb.reserved());
        // the first page is never handed out
        let mut mb = Memblock::new();
        mb.set_bottom_up(bottom_up);
        mb.add(pa(0), SZ_8K).unwrap();
        assert_eq!(f(&mut mb, SZ_4K, SZ_4K), Some(SZ_4K));
        assert_eq!(f(&mut mb, SZ_4K, SZ_4K), None);
    }
}

#[test]
fn alloc_top_down() {
    alloc_top_down_cases(alloc);
    alloc_top_down_cases(raw);
}

#[test]
fn alloc_bottom_up() {
    alloc_bottom_up_cases(alloc);
    alloc_bottom_up_cases(raw);
}

#[test]
fn alloc_respects_current_limit_and_align() {
    let mut mb = setup(SZ_1M);
    mb.set_current_limit(pa(MEM_BASE + SZ_512K));
    assert_eq!(raw(&mut mb, SZ_4K, SZ_4K), Some(MEM_BASE + SZ_512K - SZ_4K));
    // alignment 0 means SMP_CACHE_BYTES; non powers of two are refused
    assert_eq!(raw(&mut mb, 1, 0), Some(MEM_BASE + SZ_512K - SZ_4K - 64));
    assert_eq!(raw(&mut mb, 1, 48), None);
    // large alignment
    assert_eq!(
        raw(&mut mb, SZ_4K, SZ_128K),
        Some(MEM_BASE + SZ_512K - SZ_128K)
    );
}

#[test]
fn alloc_prefers_mirrored_memory() {
    let mut mb = setup(SZ_1M);
    mb.mark_mirror(pa(MEM_BASE), SZ_4K).unwrap();
    assert_eq!(raw(&mut mb, SZ_4K, SZ_4K), Some(MEM_BASE));
    // mirrored memory exhausted: fall back to any memory
    assert_eq!(raw(&mut mb, SZ_4K, SZ_4K), Some(MEM_BASE + SZ_1M - SZ_4K));
}

// ------------------------------------------------------------------------ alloc_helpers

fn from(mb: &mut Memblock, size: u64, align: u64, min: u64) -> Option<u64> {
    let mut z = Zeroed::default();
    let p = mb.alloc_from(size, align, pa(min), &mut z.f()).map(|p| p.0);
    assert_eq!(z.0, p.map(|p| (p, size)).into_iter().collect::<Vec<_>>());
    p
}

#[test]
fn alloc_from_helpers() {
    let end = MEM_BASE + MEM_SIZE;
    for bottom_up in [false, true] {
        let fresh = || {
            let mut mb = setup(MEM_SIZE);
            mb.set_bottom_up(bottom_up);
            mb
        };
        // simple: min_addr aligned
        let mut mb = fresh();
        let min = end - SZ_16K;
        let want = if bottom_up { min } else { end - SZ_1K };
        assert_eq!(from(&mut mb, SZ_1K, SMP_CACHE_BYTES, min), Some(want));
        // misaligned min_addr rounds up (bottom-up)
        let mut mb = fresh();
        let min = end - SZ_16K + 1;
        let want = if bottom_up {
            end - SZ_16K + SMP_CACHE_BYTES
        } else {
            end - SZ_1K
        };
        assert_eq!(from(&mut mb, SZ_1K, SMP_CACHE_BYTES, min), Some(want));
        // min_addr too high: allocate below it
        let mut mb = fresh();
        let want = if bottom_up { MEM_BASE } else { end - SZ_1K };
        assert_eq!(from(&mut mb, SZ_1K, SMP_CACHE_BYTES, end - 512), Some(want));
        assert!(from(&mut mb, SZ_1K, SMP_CACHE_BYTES, end + SZ_1M).is_some());
        // min_addr below DRAM is capped to memory
        let mut mb = fresh();
        let want = if bottom_up { MEM_BASE } else { end - SZ_1K };
        assert_eq!(
            from(&mut mb, SZ_1K, SMP_CACHE_BYTES, MEM_BASE - SZ_1M),
            Some(want)
        );
    }
}

// ------------------------------------------------------------------------ alloc_nid

/// `memblock_alloc_try_nid` through the zeroing path, checking the zeroing call.
fn try_nid(mb: &mut Memblock, size: u64, min: u64, max: u64, nid: Option<u16>) -> Option<u64> {
    let mut z = Zeroed::default();
    let nid = nid.map(NodeId);
    let p = mb
        .alloc_try_nid(size, SMP_CACHE_BYTES, pa(min), pa(max), nid, &mut z.f())
        .map(|p| p.0);
    assert_eq!(z.0, p.map(|p| (p, size)).into_iter().collect::<Vec<_>>());
    p
}

fn try_nid_raw(mb: &mut Memblock, size: u64, min: u64, max: u64, nid: Option<u16>) -> Option<u64> {
    mb.alloc_try_nid_raw(size, SMP_CACHE_BYTES, pa(min), pa(max), nid.map(NodeId))
        .map(|p| p.0)
}

fn exact_nid(mb: &mut Memblock, size: u64, min: u64, max: u64, nid: Option<u16>) -> Option<u64> {
    mb.alloc_exact_nid_raw(size, SMP_CACHE_BYTES, pa(min), pa(max), nid.map(NodeId))
        .map(|p| p.0)
}

type NidFn = fn(&mut Memblock, u64, u64, u64, Option<u16>) -> Option<u64>;

/// The min/max range matrix of alloc_nid_api.c (no NUMA), for each variant.
fn range_cases(f: NidFn) {
    let mem_end = MEM_BASE + MEM_SIZE;
    for bottom_up in [false, true] {
        let fresh = || {
            let mut mb = setup(MEM_SIZE);
            mb.set_bottom_up(bottom_up);
            mb
        };
        let size = 128;
        // simple range
        let mut mb = fresh();
        let (min, max) = (MEM_BASE + 512, MEM_BASE + 512 + SZ_2K);
        let want = if bottom_up { min } else { max - size };
        assert_eq!(f(&mut mb, size, min, max, None), Some(want));
        assert_eq!(rgns(mb.reserved()), [(want, size)]);
        // exact address: the range is the size
        let mut mb = fresh();
        assert_eq!(f(&mut mb, size, min, min + size, None), Some(min));
        // misaligned end (top-down rounds down) / misaligned start (bottom-up rounds up)
        let mut mb = fresh();
        let (min2, max2) = (min + 1, max + 1);
        let want = if bottom_up {
            min + SMP_CACHE_BYTES
        } else {
            max - size
        };
        assert_eq!(f(&mut mb, size, min2, max2, None), Some(want));
        // narrow range: min dropped, allocated below max
        let mut mb = fresh();
        let (min3, max3) = (MEM_BASE + 512, MEM_BASE + 512 + SMP_CACHE_BYTES);
        let want = if bottom_up { MEM_BASE } else { max3 - size };
        assert_eq!(f(&mut mb, size, min3, max3, None), Some(want));
        // max below memory -> None
        let mut mb = fresh();
        assert_eq!(f(&mut mb, size, SZ_4K, MEM_BASE - 1, None), None);
        assert_eq!(mb.reserved().cnt(), 0);
        // reserved with space: the range's free part between two reservations
        let mut mb = fresh();
        mb.reserve(pa(min), 256).unwrap();
        mb.reserve(pa(max - 256), 256).unwrap();
        let want = if bottom_up {
            min + 256
        } else {
            max - 256 - size
        };
        assert_eq!(f(&mut mb, size, min, max, None), Some(want));
        assert_eq!(mb.reserved().cnt(), 2); // merged into a neighbour
        assert_eq!(mb.reserved().total_size(), 512 + size);
        // reserved, no space in range: min dropped, allocated below
        let mut mb = fresh();
        mb.reserve(pa(min), max - min).unwrap();
        let want = if bottom_up { MEM_BASE } else { min - size };
        assert_eq!(f(&mut mb, size, min, max, None), Some(want));
        // full merge: the exact gap between two reservations
        let mut mb = fresh();
        mb.reserve(pa(min), 256).unwrap();
        mb.reserve(pa(min + 256 + size), max - (min + 256 + size))
            .unwrap();
        assert_eq!(f(&mut mb, size, min, max, None), Some(min + 256));
        assert_eq!(rgns(mb.reserved()), [(min, max - min)]);
        // capped limits: below and above memory
        let mut mb = fresh();
        let want = if bottom_up { MEM_BASE } else { mem_end - size };
        assert_eq!(
            f(&mut mb, size, MEM_BASE - SZ_1M, mem_end + SZ_1M, None),
            Some(want)
        );
        // max_addr 0 means accessible (current_limit)
        let mut mb = fresh();
        mb.set_current_limit(pa(MEM_BASE + SZ_4K));
        let want = if bottom_up {
            MEM_BASE
        } else {
            MEM_BASE + SZ_4K - size
        };
        assert_eq!(f(&mut mb, size, 0, 0, None), Some(want));
        // max_addr above current_limit is capped to it
        assert!(f(&mut mb, size, 0, MEMBLOCK_ALLOC_ANYWHERE.0, None).unwrap() < MEM_BASE + SZ_4K);
    }
}

#[test]
fn alloc_nid_ranges() {
    range_cases(try_nid);
    range_cases(try_nid_raw);
    range_cases(exact_nid);
}

/// The suite's 8-node layout: fractions (of 10000) of a 16 MiB memory.
const NODE_FRACS: [u64; 8] = [2500, 625, 1250, 1250, 625, 625, 2500, 625];

fn node_ranges() -> Vec<(u64, u64)> {
    let mut base = MEM_BASE;
    NODE_FRACS
        .iter()
        .map(|f| {
            let size = PHYS_MEM_SIZE * f / 10000;
            let r = (base, size);
            base += size;
            r
        })
        .collect()
}

fn setup_numa(bottom_up: bool) -> Memblock {
    let mut mb = Memblock::new();
    for (i, (b, s)) in node_ranges().into_iter().enumerate() {
        mb.add_node(pa(b), s, NodeId(i as u16), MemblockFlags::empty())
            .unwrap();
    }
    mb.set_bottom_up(bottom_up);
    mb
}

fn node_of(mb: &Memblock, addr: u64) -> Option<NodeId> {
    mb.memory()
        .regions()
        .iter()
        .find(|r| r.base.0 <= addr && addr < r.end().0)
        .and_then(|r| r.nid)
}

/// NUMA cases of alloc_nid_api.c. `fallback` is false for alloc_exact_nid.
fn numa_cases(f: NidFn, fallback: bool) {
    let nodes = node_ranges();
    assert_eq!(nodes.iter().map(|n| n.1).sum::<u64>(), PHYS_MEM_SIZE);
    let end = |n: usize| nodes[n].0 + nodes[n].1;
    for bottom_up in [false, true] {
        // simple: at the requested node's end (top-down) or start (bottom-up)
        #[allow(clippy::needless_range_loop)]
        for nid in 0..8 {
            let mut mb = setup_numa(bottom_up);
            let size = nodes[nid].1 / 4;
            let want = if bottom_up {
                nodes[nid].0
            } else {
                end(nid) - size
            };
            let got = f(&mut mb, size, 0, 0, Some(nid as u16));
            assert_eq!(got, Some(want), "nid {nid} bottom_up {bottom_up}");
            assert_eq!(node_of(&mb, want), Some(NodeId(nid as u16)));
            assert_eq!(rgns(mb.reserved()), [(want, size)]);
            assert_eq!(mb.reserved().regions()[0].nid, None);
        }
        // small node: node 1 (1 MiB) cannot hold 2 MiB -> the last (top-down) or
        // first (bottom-up) node that fits
        let mut mb = setup_numa(bottom_up);
        let size = 2 * nodes[1].1;
        let got = f(&mut mb, size, 0, 0, Some(1));
        if fallback {
            let want = if bottom_up { nodes[0].0 } else { end(6) - size };
            assert_eq!(got, Some(want));
        } else {
            assert_eq!(got, None);
            assert_eq!(mb.reserved().cnt(), 0);
        }
        // reserved node: node 2 fully reserved
        let mut mb = setup_numa(bottom_up);
        mb.reserve(pa(nodes[2].0), nodes[2].1).unwrap();
        let size = SZ_4K;
        let got = f(&mut mb, size, 0, 0, Some(2));
        if fallback {
            let want = if bottom_up { nodes[0].0 } else { end(7) - size };
            assert_eq!(got, Some(want));
        } else {
            assert_eq!(got, None);
        }
        // partially reserved node: the rest of it is used
        let mut mb = setup_numa(bottom_up);
        let half = nodes[2].1 / 2;
        let keep = if bottom_up {
            nodes[2].0
        } else {
            nodes[2].0 + half
        };
        mb.reserve(pa(keep), half).unwrap();
        let got = f(&mut mb, SZ_4K, 0, 0, Some(2));
        let want = if bottom_up {
            nodes[2].0 + half
        } else {
            nodes[2].0 + half - SZ_4K
        };
        assert_eq!(got, Some(want));
        assert_eq!(mb.reserved().cnt(), 1);
        // range spanning nodes 2 and 3: within node 2's part of the range
        let mut mb = setup_numa(bottom_up);
        let (min, max) = (nodes[2].0 + nodes[2].1 / 2, nodes[3].0 + nodes[3].1 / 2);
        let size = nodes[2].1 / 8;
        let got = f(&mut mb, size, min, max, Some(2));
        let want = if bottom_up { min } else { end(2) - size };
        assert_eq!(got, Some(want));
        // ... too big for node 2's part: fall back within the range (node 3 or 2+3)
        let mut mb = setup_numa(bottom_up);
        let size = nodes[2].1 / 2 + SZ_4K;
        let got = f(&mut mb, size, min, max, Some(2));
        if fallback {
            // nodes are separate regions, so it must come from node 3's part...
            // which is only 1 MiB: too small, so min is dropped and node 2 is used
            let want = if bottom_up { nodes[2].0 } else { end(2) - size };
            assert_eq!(got, Some(want));
        } else {
            let want = if bottom_up { nodes[2].0 } else { end(2) - size };
            assert_eq!(got, Some(want)); // min dropped, still node 2
        }
        // nothing fits anywhere
        let mut mb = setup_numa(bottom_up);
        assert_eq!(f(&mut mb, nodes[0].1 + SZ_4K, 0, 0, Some(0)), None);
        assert_eq!(mb.reserved().cnt(), 0);
        // all nodes reserved
        let mut mb = setup_numa(bottom_up);
        mb.reserve(pa(MEM_BASE), PHYS_MEM_SIZE).unwrap();
        assert_eq!(f(&mut mb, SZ_4K, 0, 0, Some(3)), None);
        // NUMA_NO_NODE: top of memory / bottom
        let mut mb = setup_numa(bottom_up);
        let want = if bottom_up {
            nodes[0].0
        } else {
            end(7) - SZ_4K
        };
        assert_eq!(f(&mut mb, SZ_4K, 0, 0, None), Some(want));
        // a node without memory
        let mut mb = setup_numa(bottom_up);
        let got = f(&mut mb, SZ_4K, 0, 0, Some(9));
        if fallback {
            assert_eq!(got, Some(want));
        } else {
            assert_eq!(got, None);
        }
    }
}

#[test]
fn alloc_nid_numa() {
    numa_cases(try_nid, true);
    numa_cases(try_nid_raw, true);
}

#[test]
fn alloc_exact_nid_numa() {
    numa_cases(exact_nid, false);
}

#[test]
fn alloc_range_nid_and_phys_variants() {
    let nodes = node_ranges();
    let mut mb = setup_numa(false);
    // phys_alloc_try_nid: falls back to any node
    let p = mb
        .phys_alloc_try_nid(SZ_2M, SZ_4K, Some(NodeId(1)))
        .unwrap();
    assert_eq!(p.0, nodes[6].0 + nodes[6].1 - SZ_2M);
    // phys_alloc_range: bounded, no min drop
    let p = mb.phys_alloc_range(SZ_4K, SZ_4K, pa(nodes[3].0), pa(nodes[3].0 + SZ_4K));
    assert_eq!(p, Some(pa(nodes[3].0)));
    assert_eq!(
        mb.phys_alloc_range(SZ_4K, SZ_4K, pa(nodes[3].0), pa(nodes[3].0 + SZ_4K)),
        None
    );
    // alloc_range_nid exact
    assert_eq!(
        mb.alloc_range_nid(SZ_2M, SZ_4K, pa(0), pa(0), Some(NodeId(5)), true),
        None
    );
    let p = mb
        .alloc_range_nid(SZ_4K, SZ_4K, pa(0), pa(0), Some(NodeId(5)), true)
        .unwrap();
    assert_eq!(p.0, nodes[5].0 + nodes[5].1 - SZ_4K);
}

// ------------------------------------------------------------------------ model

mod model {
    use super::*;
    use proptest::prelude::*;

    const UNITS: usize = 200;
    const UNIT: u64 = 0x1000;
    const BASE: u64 = 0x10_0000;

    #[derive(Clone, Debug)]
    enum Op {
        Add(usize, usize),
        Remove(usize, usize),
        Reserve(usize, usize),
        Free(usize, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        (0..4u8, 0..UNITS, 1..40usize).prop_map(|(k, s, l)| {
            let l = l.min(UNITS - s);
            match k {
                0 => Op::Add(s, l),
                1 => Op::Remove(s, l),
                2 => Op::Reserve(s, l),
                _ => Op::Free(s, l),
            }
        })
    }

    /// Sorted, non-overlapping, maximal runs equal to the model.
    fn check(t: &MemblockType, bits: &[bool; UNITS]) {
        let mut want = Vec::new();
        let mut i = 0;
        while i < UNITS {
            if bits[i] {
                let s = i;
                while i < UNITS && bits[i] {
                    i += 1;
                }
                want.push((BASE + s as u64 * UNIT, (i - s) as u64 * UNIT));
            } else {
                i += 1;
            }
        }
        for w in t.regions().windows(2) {
            assert!(
                w[0].end() < w[1].base,
                "unsorted, overlapping or unmerged: {w:?}"
            );
        }
        assert_eq!(rgns(t), want);
        assert_eq!(t.total_size(), want.iter().map(|w| w.1).sum::<u64>());
        assert_eq!(t.cnt(), want.len());
        if t.cnt() == 0 {
            assert_eq!(t.first_slot().size, 0);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn random_ops_match_bitmap_model(ops in proptest::collection::vec(op(), 1..60)) {
            let mut mb = Memblock::new();
            let mut mem = [false; UNITS];
            let mut rsv = [false; UNITS];
            for op in ops {
                let (s, l) = match op { Op::Add(s, l) | Op::Remove(s, l) | Op::Reserve(s, l) | Op::Free(s, l) => (s, l) };
                let (b, sz) = (pa(BASE + s as u64 * UNIT), l as u64 * UNIT);
                match op {
                    Op::Add(..) => { mb.add(b, sz).unwrap(); mem[s..s + l].fill(true); }
                    Op::Remove(..) => { mb.remove(b, sz).unwrap(); mem[s..s + l].fill(false); }
                    Op::Reserve(..) => { mb.reserve(b, sz).unwrap(); rsv[s..s + l].fill(true); }
                    Op::Free(..) => { mb.free(b, sz).unwrap(); rsv[s..s + l].fill(false); }
                }
                check(mb.memory(), &mem);
                check(mb.reserved(), &rsv);
                // free ranges are memory minus reserved
                let mut free = [false; UNITS];
                for (s, e, _) in mb.free_ranges(None) {
                    for u in ((s.0 - BASE) / UNIT)..((e.0 - BASE) / UNIT) {
                        free[u as usize] = true;
                    }
                }
                for u in 0..UNITS {
                    prop_assert_eq!(free[u], mem[u] && !rsv[u]);
                }
            }
        }
    }
}

//! kmalloc size classes and types (Linux: `kmalloc_info`, `kmalloc_size_index`,
//! `__kmalloc_index`, `kmalloc_type`; include/linux/slab.h, mm/slab_common.c, v6.12).

use crate::gfp::Gfp;

/// `KMALLOC_SHIFT_LOW`: the smallest class is 8 bytes.
///
/// ```
/// use oxmm::slab::kmalloc::{kmalloc_index, kmalloc_index_size, KMALLOC_SHIFT_LOW};
/// assert_eq!(kmalloc_index(1), Some(KMALLOC_SHIFT_LOW as usize));
/// assert_eq!(kmalloc_index_size(KMALLOC_SHIFT_LOW as usize), 8);
/// ```
pub const KMALLOC_SHIFT_LOW: u32 = 3;
/// `KMALLOC_SHIFT_HIGH` (PAGE_SHIFT + 1): the largest slab-backed class is 8 KiB.
///
/// ```
/// use oxmm::slab::kmalloc::{kmalloc_index, kmalloc_index_size, KMALLOC_SHIFT_HIGH};
/// assert_eq!(kmalloc_index(8192), Some(KMALLOC_SHIFT_HIGH as usize));
/// assert_eq!(kmalloc_index_size(KMALLOC_SHIFT_HIGH as usize), 8192);
/// ```
pub const KMALLOC_SHIFT_HIGH: u32 = 13;
/// `KMALLOC_SHIFT_MAX`: the largest kmalloc is 4 MiB (order 10).
///
/// ```
/// use oxmm::slab::{kmalloc::{KMALLOC_MAX_SIZE, KMALLOC_SHIFT_MAX}, order::get_order};
/// assert_eq!(get_order(KMALLOC_MAX_SIZE, 12), KMALLOC_SHIFT_MAX - 12); // order 10
/// ```
pub const KMALLOC_SHIFT_MAX: u32 = 22;
/// `KMALLOC_MAX_CACHE_SIZE`.
///
/// ```
/// use oxmm::slab::kmalloc::{kmalloc_index, KMALLOC_MAX_CACHE_SIZE};
/// assert_eq!(kmalloc_index(KMALLOC_MAX_CACHE_SIZE), Some(13));
/// assert_eq!(kmalloc_index(KMALLOC_MAX_CACHE_SIZE + 1), None); // page allocator beyond
/// ```
pub const KMALLOC_MAX_CACHE_SIZE: u64 = 1 << KMALLOC_SHIFT_HIGH;
/// `KMALLOC_MAX_SIZE`.
///
/// ```
/// use oxmm::slab::{kmalloc::KMALLOC_MAX_SIZE, layout::Layout, SlabFlags};
/// let f = SlabFlags::default();
/// assert!(Layout::calculate(KMALLOC_MAX_SIZE as u32, 8, f, false).is_ok());
/// assert!(Layout::calculate(KMALLOC_MAX_SIZE as u32 + 8, 8, f, false).is_err());
/// ```
pub const KMALLOC_MAX_SIZE: u64 = 1 << KMALLOC_SHIFT_MAX;
/// Cache indices 0..=13 (index 0 unused, 1 = 96, 2 = 192, 3..=13 = 2^index).
///
/// ```
/// use oxmm::slab::kmalloc::{kmalloc_size_name, NR_KMALLOC_INDICES};
/// assert_eq!(kmalloc_size_name(NR_KMALLOC_INDICES - 1), "8k");
/// assert_eq!(kmalloc_size_name(NR_KMALLOC_INDICES), "?");
/// ```
pub const NR_KMALLOC_INDICES: usize = KMALLOC_SHIFT_HIGH as usize + 1;
/// `ZERO_SIZE_PTR`: what `kmalloc(0)` returns; `kfree` accepts it.
///
/// ```
/// # use oxmm::boot::{Arch, BootConfig};
/// # use oxmm::memblock::Memblock;
/// # use oxmm::mm::{BootMode, Mm};
/// # use oxmm::mmzone::ZoneType;
/// # use oxmm::types::{PhysAddr, VirtAddr};
/// # struct Mem(Vec<u64>);
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for Mem {
/// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
/// # }
/// # let mut mb = Memblock::new();
/// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
/// # let mut cfg = BootConfig::new(Arch::X86_64);
/// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
/// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
/// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
/// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
/// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
/// use oxmm::{gfp::Gfp, slab::kmalloc::ZERO_SIZE_PTR};
/// let p = slab.kmalloc(&mm, 0, Gfp::KERNEL).unwrap();
/// assert_eq!(p.as_ptr() as usize, ZERO_SIZE_PTR);
/// assert_eq!(slab.kfree(&mm, p.as_ptr()), Ok(()));
/// ```
pub const ZERO_SIZE_PTR: usize = 16;

/// `kmalloc_size_index`: cache index for sizes 1..=192, by `(size - 1) / 8`.
///
/// ```
/// assert_eq!(oxmm::slab::kmalloc::KMALLOC_SIZE_INDEX[8], 1); // 65..72 → kmalloc-96
/// ```
#[doc(alias = "kmalloc_size_index")]
pub const KMALLOC_SIZE_INDEX: [u8; 24] = [
    3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2,
];

/// `kmalloc_info[i].size`: the object size of cache index `i` (0 for index 0 or out of range).
///
/// ```
/// use oxmm::slab::kmalloc::kmalloc_index_size;
/// assert_eq!((kmalloc_index_size(1), kmalloc_index_size(2), kmalloc_index_size(13)), (96, 192, 8192));
/// ```
pub const fn kmalloc_index_size(index: usize) -> u32 {
    match index {
        1 => 96,
        2 => 192,
        3..=13 => 1 << index,
        _ => 0,
    }
}

/// The short size in cache names: `8` … `512`, `1k`, `2k`, `4k`, `8k`.
///
/// ```
/// assert_eq!(oxmm::slab::kmalloc::kmalloc_size_name(10), "1k");
/// ```
pub const fn kmalloc_size_name(index: usize) -> &'static str {
    const N: [&str; NR_KMALLOC_INDICES] = [
        "0", "96", "192", "8", "16", "32", "64", "128", "256", "512", "1k", "2k", "4k", "8k",
    ];
    if index < NR_KMALLOC_INDICES {
        N[index]
    } else {
        "?"
    }
}

/// `kmalloc_slab` index lookup (`kmalloc_size_index` below 193, `fls(size - 1)` above):
/// the cache index for a request of `size` bytes, `None` for 0 or above 8 KiB.
///
/// ```
/// use oxmm::slab::kmalloc::kmalloc_index;
/// assert_eq!(kmalloc_index(65), Some(1));
/// assert_eq!(kmalloc_index(193), Some(8));
/// assert_eq!(kmalloc_index(8193), None);
/// ```
#[doc(alias = "__kmalloc_index")]
pub const fn kmalloc_index(size: u64) -> Option<usize> {
    if size == 0 || size > KMALLOC_MAX_CACHE_SIZE {
        None
    } else if size <= 192 {
        Some(KMALLOC_SIZE_INDEX[((size - 1) / 8) as usize] as usize)
    } else {
        Some((64 - (size - 1).leading_zeros()) as usize)
    }
}

/// `kmalloc_size_roundup`: the bytes kmalloc really provides for `size`.
///
/// ```
/// use oxmm::slab::kmalloc::kmalloc_size_roundup;
/// assert_eq!((kmalloc_size_roundup(65), kmalloc_size_roundup(9000)), (96, 16384));
/// ```
pub const fn kmalloc_size_roundup(size: u64) -> u64 {
    match kmalloc_index(size) {
        Some(i) => kmalloc_index_size(i) as u64,
        None if size == 0 => 0,
        None => 4096u64 << super::order::get_order(size, 12),
    }
}

/// `enum kmalloc_cache_type` (without `CONFIG_RANDOM_KMALLOC_CACHES`).
///
/// ```
/// use oxmm::slab::kmalloc::KmallocType;
/// assert_eq!(KmallocType::Reclaim.prefix(), "kmalloc-rcl-");
/// ```
#[doc(alias = "kmalloc_cache_type")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KmallocType {
    /// `KMALLOC_NORMAL`.
    Normal = 0,
    /// `KMALLOC_RECLAIM`: `__GFP_RECLAIMABLE` requests.
    Reclaim = 1,
    /// `KMALLOC_DMA`: `__GFP_DMA` requests.
    Dma = 2,
    /// `KMALLOC_CGROUP`: `__GFP_ACCOUNT` requests (only with memcg).
    Cgroup = 3,
}

/// Number of [`KmallocType`]s.
///
/// ```
/// use oxmm::slab::kmalloc::{KmallocType, NR_KMALLOC_TYPES};
/// assert_eq!(KmallocType::Cgroup as usize, NR_KMALLOC_TYPES - 1);
/// ```
pub const NR_KMALLOC_TYPES: usize = 4;

impl KmallocType {
    /// All types, in index order.
    ///
    /// ```
    /// use oxmm::slab::kmalloc::KmallocType;
    /// assert!(KmallocType::ALL.iter().enumerate().all(|(i, &t)| t as usize == i));
    /// ```
    pub const ALL: [KmallocType; NR_KMALLOC_TYPES] = [
        KmallocType::Normal,
        KmallocType::Reclaim,
        KmallocType::Dma,
        KmallocType::Cgroup,
    ];
    /// Name prefix of this type's caches (`kmalloc_cache_name`).
    ///
    /// ```
    /// use oxmm::slab::kmalloc::{kmalloc_size_name, KmallocType};
    /// let name = format!("{}{}", KmallocType::Dma.prefix(), kmalloc_size_name(1));
    /// assert_eq!(name, "dma-kmalloc-96");
    /// ```
    pub const fn prefix(self) -> &'static str {
        match self {
            KmallocType::Normal => "kmalloc-",
            KmallocType::Reclaim => "kmalloc-rcl-",
            KmallocType::Dma => "dma-kmalloc-",
            KmallocType::Cgroup => "kmalloc-cg-",
        }
    }
}

/// `kmalloc_type(flags)`: which family of kmalloc caches serves `gfp`. `has_dma` is
/// `CONFIG_ZONE_DMA`; `memcg` is `CONFIG_MEMCG` (without it `__GFP_ACCOUNT` stays
/// normal, as `KMALLOC_NOT_NORMAL_BITS` then leaves it out).
///
/// ```
/// use oxmm::gfp::Gfp;
/// use oxmm::slab::kmalloc::{kmalloc_type, KmallocType};
/// assert_eq!(kmalloc_type(Gfp::KERNEL, true, false), KmallocType::Normal);
/// assert_eq!(kmalloc_type(Gfp::KERNEL | Gfp::DMA | Gfp::RECLAIMABLE, true, false), KmallocType::Dma);
/// assert_eq!(kmalloc_type(Gfp::KERNEL | Gfp::DMA, false, false), KmallocType::Normal);
/// ```
pub fn kmalloc_type(gfp: Gfp, has_dma: bool, memcg: bool) -> KmallocType {
    let account = gfp.contains(Gfp::ACCOUNT);
    if has_dma && gfp.contains(Gfp::DMA) {
        KmallocType::Dma
    } else if gfp.contains(Gfp::RECLAIMABLE) {
        KmallocType::Reclaim
    } else if memcg && account {
        KmallocType::Cgroup
    } else {
        KmallocType::Normal
    }
}

/// Creation order of the kmalloc caches of one type: 96, 192, then 8 … 8192
/// (`create_kmalloc_caches`).
///
/// ```
/// assert_eq!(oxmm::slab::kmalloc::CREATE_ORDER[..3], [1, 2, 3]);
/// ```
pub const CREATE_ORDER: [usize; 13] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];

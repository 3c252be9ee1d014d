//! Slab geometry: how many pages a slab takes and how many objects it holds (Linux:
//! `calculate_order`, `calc_slab_order`, `oo_make` in mm/slub.c, v6.12).

use super::SlabError;
use crate::types::MAX_PAGE_ORDER;

/// `MAX_OBJS_PER_PAGE`: the object count must fit the 15 bits a slab keeps for it.
///
/// ```
/// use oxmm::slab::{cache::SlabWord, order::MAX_OBJS_PER_PAGE};
/// assert_eq!(MAX_OBJS_PER_PAGE + 1, 1 << 15);
/// let objects = MAX_OBJS_PER_PAGE as u16;
/// let w = SlabWord { free: 0, inuse: 0, objects, frozen: true, order: 0 };
/// assert_eq!(SlabWord::unpack(w.pack()).objects as u32, MAX_OBJS_PER_PAGE);
/// ```
pub const MAX_OBJS_PER_PAGE: u32 = 32767;
/// `OO_SHIFT`: order in the high half of an [`Oo`], objects in the low 16 bits.
///
/// ```
/// use oxmm::slab::order::{Oo, OO_SHIFT};
/// let oo = Oo::make(2, 64, 12);
/// assert_eq!((oo.0 >> OO_SHIFT, oo.0 & ((1 << OO_SHIFT) - 1)), (2, 256));
/// ```
pub const OO_SHIFT: u32 = 16;
/// `MIN_PARTIAL`: fewest empty-able slabs a node keeps on its partial list.
///
/// ```
/// use oxmm::slab::order::{min_partial, MIN_PARTIAL};
/// assert_eq!(min_partial(8), MIN_PARTIAL); // ilog2(8) / 2 = 1, raised to the floor
/// ```
pub const MIN_PARTIAL: u32 = 5;
/// `MAX_PARTIAL`: most slabs `min_partial` asks a node to keep.
///
/// ```
/// use oxmm::slab::order::{min_partial, MAX_PARTIAL};
/// assert_eq!(min_partial(1 << 22), MAX_PARTIAL); // ilog2 / 2 = 11, capped
/// ```
pub const MAX_PARTIAL: u32 = 10;

/// Tunables of the order calculation (boot options `slab_min_order=`,
/// `slab_max_order=`, `slab_min_objects=`).
///
/// ```
/// let p = oxmm::slab::order::SlubParams::default();
/// assert_eq!((p.min_order, p.max_order, p.min_objects, p.page_shift), (0, 3, 0, 12));
/// assert!(!p.nomerge);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlubParams {
    /// `slub_min_order`.
    pub min_order: u32,
    /// `slub_max_order` (3; 1 with SLUB_TINY).
    pub max_order: u32,
    /// `slub_min_objects`; 0 derives it from the CPU count.
    pub min_objects: u32,
    /// `PAGE_SHIFT`.
    pub page_shift: u32,
    /// `slab_nomerge` (boot option `slab_nomerge`): no cache merging.
    pub nomerge: bool,
    /// `slub_debug=`: debug flags applied to caches as they are created.
    pub slub_debug: super::debug::SlubDebugBoot,
    /// `CONFIG_SLAB_FREELIST_RANDOM`: new slabs link their objects in a per-cache
    /// random order (off by default here, so that object addresses are predictable).
    pub freelist_random: bool,
}

impl Default for SlubParams {
    fn default() -> Self {
        SlubParams {
            min_order: 0,
            max_order: 3,
            min_objects: 0,
            page_shift: 12,
            nomerge: false,
            slub_debug: Default::default(),
            freelist_random: false,
        }
    }
}

/// `struct kmem_cache_order_objects`: a slab order and its object count in one word.
///
/// ```
/// use oxmm::slab::order::Oo;
/// let oo = Oo::make(1, 192, 12);
/// assert_eq!((oo.order(), oo.objects()), (1, 42));
/// ```
#[doc(alias = "kmem_cache_order_objects")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Oo(pub u32);

impl Oo {
    /// `oo_make`: `order` and the number of `size`-byte objects that fit `PAGE_SIZE << order`.
    ///
    /// ```
    /// use oxmm::slab::order::Oo;
    /// assert_eq!(Oo::make(0, 96, 12).objects(), 42);
    /// assert_eq!(Oo::make(3, 4096, 12), Oo((3 << 16) + 8));
    /// ```
    #[doc(alias = "oo_make")]
    pub const fn make(order: u32, size: u32, page_shift: u32) -> Oo {
        Oo((order << OO_SHIFT) + order_objects(order, size, page_shift))
    }
    /// `oo_order`.
    ///
    /// ```
    /// assert_eq!(oxmm::slab::order::Oo::make(3, 1024, 12).order(), 3);
    /// ```
    #[doc(alias = "oo_order")]
    pub const fn order(self) -> u32 {
        self.0 >> OO_SHIFT
    }
    /// `oo_objects`.
    ///
    /// ```
    /// use oxmm::slab::order::{order_objects, Oo};
    /// assert_eq!(Oo::make(3, 1024, 12).objects(), 32);
    /// assert_eq!(Oo::make(1, 100, 12).objects(), order_objects(1, 100, 12));
    /// ```
    #[doc(alias = "oo_objects")]
    pub const fn objects(self) -> u32 {
        self.0 & ((1 << OO_SHIFT) - 1)
    }
}

/// `order_objects`: objects of `size` bytes in a slab of `order`.
///
/// ```
/// assert_eq!(oxmm::slab::order::order_objects(0, 96, 12), 42);
/// assert_eq!(oxmm::slab::order::order_objects(0, 0, 12), 0);
/// ```
pub const fn order_objects(order: u32, size: u32, page_shift: u32) -> u32 {
    if size == 0 {
        return 0;
    }
    (((1u64 << page_shift) << order) / size as u64) as u32
}

/// `get_order`: the smallest order whose block holds `size` bytes.
///
/// ```
/// use oxmm::slab::order::get_order;
/// assert_eq!((get_order(1, 12), get_order(4096, 12), get_order(4097, 12), get_order(8192, 12)), (0, 0, 1, 1));
/// ```
pub const fn get_order(size: u64, page_shift: u32) -> u32 {
    if size <= 1 << page_shift {
        return 0;
    }
    64 - ((size - 1) >> page_shift).leading_zeros()
}

/// `fls`: one plus the index of the highest set bit (0 for 0).
const fn fls(x: u32) -> u32 {
    32 - x.leading_zeros()
}

/// `calc_slab_order`: the first order in `min_order..=max_order` whose leftover is at
/// most `1/fract` of the slab; `max_order + 1` if none.
///
/// ```
/// use oxmm::slab::order::calc_slab_order;
/// assert_eq!(calc_slab_order(192, 0, 3, 16, 12), 0);
/// assert_eq!(calc_slab_order(192, 1, 3, 16, 12), 1);
/// assert_eq!(calc_slab_order(3000, 0, 0, 16, 12), 1);
/// ```
pub fn calc_slab_order(size: u32, min_order: u32, max_order: u32, fract: u32, shift: u32) -> u32 {
    if size == 0 || fract == 0 {
        return max_order + 1;
    }
    for order in min_order..=max_order {
        let slab_size = (1u64 << shift) << order;
        if slab_size % size as u64 <= slab_size / fract as u64 {
            return order;
        }
    }
    max_order + 1
}

/// `calculate_order` (v6.8+): the slab order of objects of `size` (`s->size`) bytes on a
/// machine with `cpus` CPUs (`num_present_cpus`, or `nr_cpu_ids` when that is ≤ 1).
///
/// ```
/// use oxmm::slab::order::{calculate_order, SlubParams};
/// let p = SlubParams::default();
/// assert_eq!(calculate_order(1024, 8, &p), Ok(3));
/// assert_eq!(calculate_order(192, 64, &p), Ok(1));
/// assert!(calculate_order(0, 1, &p).is_err());
/// ```
pub fn calculate_order(size: u32, cpus: u32, p: &SlubParams) -> Result<u32, SlabError> {
    if size == 0 {
        return Err(SlabError::BadSize(0));
    }
    let sh = p.page_shift;
    let mut min_objects = p.min_objects;
    if min_objects == 0 {
        min_objects = 4 * (fls(cpus.max(1)) + 1);
    }
    let max_objects = order_objects(p.max_order, size, sh).max(1);
    min_objects = min_objects.min(max_objects);
    let min_order = p
        .min_order
        .max(get_order(min_objects as u64 * size as u64, sh));
    if order_objects(min_order, size, sh) > MAX_OBJS_PER_PAGE {
        return Ok(get_order(size as u64 * MAX_OBJS_PER_PAGE as u64, sh).saturating_sub(1));
    }
    for fract in [16, 8, 4, 2] {
        let o = calc_slab_order(size, min_order, p.max_order, fract, sh);
        if o <= p.max_order {
            return Ok(o);
        }
    }
    // Objects too big for max_order: one object per slab at its own order.
    let o = get_order(size as u64, sh);
    if o <= MAX_PAGE_ORDER {
        Ok(o)
    } else {
        Err(SlabError::BadSize(size as u64))
    }
}

/// `min_partial` of a cache: `clamp(ilog2(size) / 2, MIN_PARTIAL, MAX_PARTIAL)`.
///
/// ```
/// assert_eq!(oxmm::slab::order::min_partial(8192), 6);
/// assert_eq!(oxmm::slab::order::min_partial(64), 5);
/// ```
pub const fn min_partial(size: u32) -> u32 {
    let v = if size == 0 { 0 } else { size.ilog2() / 2 };
    if v < MIN_PARTIAL {
        MIN_PARTIAL
    } else if v > MAX_PARTIAL {
        MAX_PARTIAL
    } else {
        v
    }
}

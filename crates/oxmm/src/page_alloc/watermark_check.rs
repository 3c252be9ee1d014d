//! The watermark check and the `ALLOC_*` flags (Linux v6.12: `__zone_watermark_ok`,
//! `zone_watermark_ok`, `zone_watermark_fast`, `gfp_to_alloc_flags`, `boost_watermark`;
//! mm/page_alloc.c, mm/internal.h).
//!
//! A zone serves a request only while its free pages stay above a watermark plus the
//! `lowmem_reserve` it keeps against the request's highest zone; callers with reserve
//! rights (`__GFP_HIGH`, non-blocking, OOM victims) may dig further below it.
//!
//! ```
//! use oxmm::page_alloc::watermark_check::AllocFlags;
//! assert_eq!(AllocFlags::RESERVES.0, 0x10 | 0x20 | 0x200 | 0x08);
//! ```

use super::buddy::ZoneBuddy;
use crate::gfp::Gfp;
use crate::mmzone::{MigrateType, Zone, MIGRATE_PCPTYPES};
use crate::types::NR_PAGE_ORDERS;

/// The allocator's internal request flags (Linux: `ALLOC_*`, mm/internal.h, v6.12).
///
/// ```
/// use oxmm::page_alloc::watermark_check::AllocFlags;
/// let f = AllocFlags::WMARK_LOW | AllocFlags::CMA;
/// assert!(f.contains(AllocFlags::CMA));
/// assert_eq!(f.wmark_index(), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocFlags(pub u32);

impl AllocFlags {
    /// `ALLOC_WMARK_MIN`: check against the min watermark.
    ///
    /// ```
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::watermark_check::{gfp_to_alloc_flags, AllocFlags};
    /// // No bits: every flag set contains it, and the slow path checks the min watermark.
    /// assert!(AllocFlags::CMA.contains(AllocFlags::WMARK_MIN));
    /// assert_eq!(gfp_to_alloc_flags(Gfp::KERNEL, 0, false, false).wmark_index(), 0);
    /// ```
    pub const WMARK_MIN: AllocFlags = AllocFlags(0);
    /// `ALLOC_WMARK_LOW`.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::page_alloc::watermark_check::{wmark_pages, AllocFlags};
    /// use oxmm::types::NodeId;
    /// let mut z = Zone::new(ZoneType::Normal, 2, NodeId(0));
    /// z.watermark.low = 100;
    /// let f = AllocFlags::WMARK_LOW | AllocFlags::CMA;
    /// assert_eq!(wmark_pages(&z, f.wmark_index()), 100);
    /// ```
    pub const WMARK_LOW: AllocFlags = AllocFlags(1);
    /// `ALLOC_WMARK_HIGH`.
    ///
    /// ```
    /// use oxmm::page_alloc::watermark_check::AllocFlags;
    /// assert_eq!((AllocFlags::WMARK_HIGH | AllocFlags::KSWAPD).wmark_index(), 2);
    /// assert!(AllocFlags::WMARK_MASK.contains(AllocFlags::WMARK_HIGH));
    /// ```
    pub const WMARK_HIGH: AllocFlags = AllocFlags(2);
    /// `ALLOC_WMARK_MASK`: the watermark index bits.
    ///
    /// ```
    /// use oxmm::page_alloc::watermark_check::AllocFlags as A;
    /// // The three watermark indices fit the mask; the other flags lie outside it.
    /// assert!(A::WMARK_MASK.contains(A::WMARK_LOW | A::WMARK_HIGH));
    /// assert!(!A::WMARK_MASK.intersects(A::NO_WATERMARKS | A::RESERVES | A::CMA | A::KSWAPD));
    /// ```
    pub const WMARK_MASK: AllocFlags = AllocFlags(0x3);
    /// `ALLOC_NO_WATERMARKS`: ignore the watermarks entirely.
    ///
    /// ```
    /// use oxmm::page_alloc::watermark_check::AllocFlags;
    /// // A flag beside the watermark index, not an index of its own.
    /// assert!(!AllocFlags::WMARK_MASK.intersects(AllocFlags::NO_WATERMARKS));
    /// assert_eq!(AllocFlags::NO_WATERMARKS.wmark_index(), 0);
    /// ```
    pub const NO_WATERMARKS: AllocFlags = AllocFlags(0x04);
    /// `ALLOC_OOM`: an OOM victim; halves the remaining mark.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::page_alloc::watermark_check::{zone_watermark_ok_free, AllocFlags};
    /// use oxmm::types::NodeId;
    /// let z = Zone::new(ZoneType::Normal, 2, NodeId(0));
    /// // 51 free pages pass a mark of 100 only for an OOM victim.
    /// assert!(!zone_watermark_ok_free(&z, 0, 100, 2, AllocFlags::default(), 51));
    /// assert!(zone_watermark_ok_free(&z, 0, 100, 2, AllocFlags::OOM, 51));
    /// ```
    pub const OOM: AllocFlags = AllocFlags(0x08);
    /// `ALLOC_NON_BLOCK`: the caller cannot sleep; may use the HighAtomic pages.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::page_alloc::watermark_check::{zone_watermark_ok_free, AllocFlags as A};
    /// use oxmm::types::NodeId;
    /// let z = Zone::new(ZoneType::Normal, 2, NodeId(0));
    /// // With __GFP_HIGH, a caller that cannot sleep goes from 1/2 to 3/8 of the mark.
    /// assert!(!zone_watermark_ok_free(&z, 0, 100, 2, A::MIN_RESERVE, 39));
    /// assert!(zone_watermark_ok_free(&z, 0, 100, 2, A::MIN_RESERVE | A::NON_BLOCK, 39));
    /// ```
    pub const NON_BLOCK: AllocFlags = AllocFlags(0x10);
    /// `ALLOC_MIN_RESERVE` (= `__GFP_HIGH`): may use half of the min reserve.
    ///
    /// ```
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::watermark_check::{gfp_to_alloc_flags, AllocFlags};
    /// let reserve =
    ///     |gfp, rt| gfp_to_alloc_flags(gfp, 0, false, rt).contains(AllocFlags::MIN_RESERVE);
    /// assert!(reserve(Gfp::KERNEL | Gfp::HIGH, false));
    /// assert!(!reserve(Gfp::KERNEL, false));
    /// // Real-time tasks that may reclaim get it too.
    /// assert!(reserve(Gfp::KERNEL, true));
    /// ```
    pub const MIN_RESERVE: AllocFlags = AllocFlags(0x20);
    /// `ALLOC_CPUSET`: honour the cpuset.
    ///
    /// ```
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::watermark_check::{gfp_to_alloc_flags, AllocFlags};
    /// assert!(gfp_to_alloc_flags(Gfp::KERNEL, 0, false, false).contains(AllocFlags::CPUSET));
    /// // Atomic requests cannot wait for the cpuset.
    /// assert!(!gfp_to_alloc_flags(Gfp::ATOMIC, 0, false, false).contains(AllocFlags::CPUSET));
    /// ```
    pub const CPUSET: AllocFlags = AllocFlags(0x40);
    /// `ALLOC_CMA`: CMA pageblocks may serve the request.
    ///
    /// ```
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::watermark_check::{gfp_to_alloc_flags, AllocFlags};
    /// // Only movable requests may use CMA pageblocks.
    /// let f = gfp_to_alloc_flags(Gfp::HIGHUSER_MOVABLE, 0, true, false);
    /// assert!(f.contains(AllocFlags::CMA));
    /// assert!(!gfp_to_alloc_flags(Gfp::KERNEL, 0, false, false).contains(AllocFlags::CMA));
    /// ```
    pub const CMA: AllocFlags = AllocFlags(0x80);
    /// `ALLOC_NOFRAGMENT`: fall back only to whole pageblocks.
    ///
    /// ```
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::watermark_check::{gfp_to_alloc_flags, AllocFlags};
    /// // Set by the fast path only, and no reserve right.
    /// assert!(!gfp_to_alloc_flags(Gfp::KERNEL, 0, true, false).contains(AllocFlags::NOFRAGMENT));
    /// assert!(!AllocFlags::RESERVES.intersects(AllocFlags::NOFRAGMENT));
    /// ```
    pub const NOFRAGMENT: AllocFlags = AllocFlags(0x100);
    /// `ALLOC_HIGHATOMIC`: may use (and reserve) HighAtomic pageblocks.
    ///
    /// ```
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::watermark_check::{gfp_to_alloc_flags, AllocFlags};
    /// // Non-blocking requests above order 0.
    /// assert!(gfp_to_alloc_flags(Gfp::ATOMIC, 1, false, false).contains(AllocFlags::HIGHATOMIC));
    /// assert!(!gfp_to_alloc_flags(Gfp::ATOMIC, 0, false, false).contains(AllocFlags::HIGHATOMIC));
    /// assert!(AllocFlags::RESERVES.contains(AllocFlags::HIGHATOMIC));
    /// ```
    pub const HIGHATOMIC: AllocFlags = AllocFlags(0x200);
    /// `ALLOC_KSWAPD` (= `__GFP_KSWAPD_RECLAIM`): may wake kswapd.
    ///
    /// ```
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::watermark_check::{gfp_to_alloc_flags, AllocFlags};
    /// assert!(gfp_to_alloc_flags(Gfp::NOWAIT, 0, false, false).contains(AllocFlags::KSWAPD));
    /// // Without __GFP_KSWAPD_RECLAIM, kswapd is not woken.
    /// let f = gfp_to_alloc_flags(Gfp::KERNEL - Gfp::KSWAPD_RECLAIM, 0, false, false);
    /// assert!(!f.contains(AllocFlags::KSWAPD));
    /// ```
    pub const KSWAPD: AllocFlags = AllocFlags(0x800);
    /// `ALLOC_RESERVES`: any of the flags that grant reserve access.
    ///
    /// ```
    /// use oxmm::mmzone::{MigrateType, Zone, ZoneType};
    /// use oxmm::page_alloc::watermark_check::{zone_watermark_unusable_free, AllocFlags};
    /// use oxmm::types::NodeId;
    /// let z = Zone::new(ZoneType::Normal, 2, NodeId(0));
    /// z.account_freepages(8, MigrateType::HighAtomic);
    /// // Without a reserve right, the free HighAtomic pages do not count.
    /// assert_eq!(zone_watermark_unusable_free(&z, 0, AllocFlags::CPUSET), 8);
    /// assert_eq!(zone_watermark_unusable_free(&z, 0, AllocFlags::OOM), 0);
    /// ```
    pub const RESERVES: AllocFlags = AllocFlags(0x10 | 0x20 | 0x200 | 0x08);

    /// Whether every bit of `o` is set.
    ///
    /// ```
    /// use oxmm::page_alloc::watermark_check::AllocFlags;
    /// let f = AllocFlags::WMARK_LOW | AllocFlags::CMA;
    /// assert!(f.contains(AllocFlags::CMA));
    /// assert!(!AllocFlags::CMA.contains(f));
    /// ```
    #[inline]
    pub const fn contains(self, o: AllocFlags) -> bool {
        self.0 & o.0 == o.0
    }

    /// Whether any bit of `o` is set.
    ///
    /// ```
    /// use oxmm::page_alloc::watermark_check::AllocFlags;
    /// assert!(AllocFlags::RESERVES.intersects(AllocFlags::OOM | AllocFlags::CMA));
    /// assert!(!AllocFlags::RESERVES.contains(AllocFlags::OOM | AllocFlags::CMA));
    /// assert!(!AllocFlags::CMA.intersects(AllocFlags::WMARK_MIN));
    /// ```
    #[inline]
    pub const fn intersects(self, o: AllocFlags) -> bool {
        self.0 & o.0 != 0
    }

    /// `alloc_flags & ALLOC_WMARK_MASK`: 0 min, 1 low, 2 high.
    ///
    /// ```
    /// use oxmm::page_alloc::watermark_check::AllocFlags;
    /// assert_eq!(AllocFlags::WMARK_MIN.wmark_index(), 0);
    /// assert_eq!((AllocFlags::HIGHATOMIC | AllocFlags::WMARK_HIGH).wmark_index(), 2);
    /// ```
    #[inline]
    pub const fn wmark_index(self) -> usize {
        (self.0 & Self::WMARK_MASK.0) as usize
    }
}

impl core::ops::BitOr for AllocFlags {
    type Output = AllocFlags;
    #[inline]
    fn bitor(self, o: AllocFlags) -> AllocFlags {
        AllocFlags(self.0 | o.0)
    }
}

impl core::ops::BitAnd for AllocFlags {
    type Output = AllocFlags;
    #[inline]
    fn bitand(self, rhs: AllocFlags) -> AllocFlags {
        AllocFlags(self.0 & rhs.0)
    }
}

impl core::ops::BitOrAssign for AllocFlags {
    fn bitor_assign(&mut self, o: AllocFlags) {
        self.0 |= o.0;
    }
}

/// `wmark_pages(zone, i)`: watermark `i` (0 min, 1 low, 2 high, 3 promo) with the boost.
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType};
/// use oxmm::types::NodeId;
/// let mut z = Zone::new(ZoneType::Normal, 2, NodeId(0));
/// z.watermark.low = 100;
/// z.set_watermark_boost(5);
/// assert_eq!(oxmm::page_alloc::watermark_check::wmark_pages(&z, 1), 105);
/// ```
#[inline]
pub fn wmark_pages(zone: &Zone, i: usize) -> u64 {
    let w = zone.watermarks();
    match i {
        0 => w.min(),
        1 => w.low(),
        2 => w.high(),
        _ => w.promo(),
    }
}

/// `__zone_watermark_unusable_free`: pages a request of `order` with `flags` may not
/// count as free (the rest of its own block, HighAtomic without reserve rights, CMA
/// without `ALLOC_CMA`).
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType};
/// use oxmm::page_alloc::watermark_check::{zone_watermark_unusable_free, AllocFlags};
/// use oxmm::types::NodeId;
/// let mut z = Zone::new(ZoneType::Normal, 2, NodeId(0));
/// z.account_freepages(10, oxmm::mmzone::MigrateType::Cma);
/// assert_eq!(zone_watermark_unusable_free(&z, 2, AllocFlags::default()), 13);
/// assert_eq!(zone_watermark_unusable_free(&z, 2, AllocFlags::CMA), 3);
/// ```
#[doc(alias = "__zone_watermark_unusable_free")]
#[inline]
pub fn zone_watermark_unusable_free(zone: &Zone, order: u32, flags: AllocFlags) -> i64 {
    let mut unusable = (1i64 << order.min(63)) - 1;
    if !flags.intersects(AllocFlags::RESERVES) {
        unusable += zone.nr_free_highatomic() as i64;
    }
    if !flags.contains(AllocFlags::CMA) {
        unusable += zone.free_cma_pages() as i64;
    }
    unusable
}

/// `__zone_watermark_ok`: may `zone` serve an `order` request with `flags` when it has
/// `free_pages` free, against `mark` plus `lowmem_reserve[highest_zoneidx]`? For
/// orders above 0, a block of a usable type must also be free at that order or above.
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType};
/// use oxmm::page_alloc::watermark_check::{zone_watermark_ok_free, AllocFlags};
/// use oxmm::types::NodeId;
/// let z = Zone::new(ZoneType::Normal, 2, NodeId(0));
/// // free must be strictly above the mark.
/// assert!(!zone_watermark_ok_free(&z, 0, 100, 2, AllocFlags::default(), 100));
/// assert!(zone_watermark_ok_free(&z, 0, 100, 2, AllocFlags::default(), 101));
/// // __GFP_HIGH needs only half the mark.
/// assert!(zone_watermark_ok_free(&z, 0, 100, 2, AllocFlags::MIN_RESERVE, 51));
/// ```
#[doc(alias = "__zone_watermark_ok")]
pub fn zone_watermark_ok_free(
    zone: &Zone,
    order: u32,
    mark: u64,
    highest_zoneidx: usize,
    flags: AllocFlags,
    free_pages: i64,
) -> bool {
    let free = free_pages - zone_watermark_unusable_free(zone, order, flags);
    let mut min = mark as i64;
    if flags.intersects(AllocFlags::RESERVES) {
        if flags.contains(AllocFlags::MIN_RESERVE) {
            min -= min / 2;
            // Only atomic (__GFP_HIGH and non-blocking) requests go deeper still.
            if flags.contains(AllocFlags::NON_BLOCK) {
                min -= min / 4;
            }
        }
        if flags.contains(AllocFlags::OOM) {
            min -= min / 2;
        }
    }
    let reserve = zone
        .lowmem_reserve
        .get(highest_zoneidx)
        .copied()
        .unwrap_or(0) as i64;
    if free <= min + reserve {
        return false;
    }
    if order == 0 {
        return true;
    }
    for area in zone
        .free_area
        .iter()
        .take(NR_PAGE_ORDERS)
        .skip(order as usize)
    {
        if area.nr_free() == 0 {
            continue;
        }
        if area.free_list[..MIGRATE_PCPTYPES]
            .iter()
            .any(|l| !l.is_empty())
        {
            return true;
        }
        if flags.contains(AllocFlags::CMA) && !area.free_list[MigrateType::Cma as usize].is_empty()
        {
            return true;
        }
        if flags.intersects(AllocFlags(AllocFlags::HIGHATOMIC.0 | AllocFlags::OOM.0))
            && !area.free_list[MigrateType::HighAtomic as usize].is_empty()
        {
            return true;
        }
    }
    false
}

/// `zone_watermark_ok`: [`zone_watermark_ok_free`] with the zone's `NR_FREE_PAGES`.
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType};
/// use oxmm::page_alloc::watermark_check::{zone_watermark_ok, AllocFlags};
/// use oxmm::types::NodeId;
/// let mut z = Zone::new(ZoneType::Normal, 2, NodeId(0));
/// z.account_freepages(10, oxmm::mmzone::MigrateType::Movable);
/// assert!(zone_watermark_ok(&z, 0, 9, 2, AllocFlags::default()));
/// assert!(!zone_watermark_ok(&z, 0, 10, 2, AllocFlags::default()));
/// ```
pub fn zone_watermark_ok(
    zone: &Zone,
    order: u32,
    mark: u64,
    highest_zoneidx: usize,
    flags: AllocFlags,
) -> bool {
    zone_watermark_ok_free(
        zone,
        order,
        mark,
        highest_zoneidx,
        flags,
        zone.free_pages() as i64,
    )
}

/// `zone_watermark_fast`: an order-0 shortcut that skips the reserve discounts, then
/// the full check; an order-0 `__GFP_HIGH` request at the min watermark of a boosted
/// zone is finally checked against the unboosted min (so boosting never starves it).
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType};
/// use oxmm::page_alloc::watermark_check::{zone_watermark_fast, AllocFlags};
/// use oxmm::types::NodeId;
/// let mut z = Zone::new(ZoneType::Normal, 2, NodeId(0));
/// z.watermark.min = 100;
/// z.set_watermark_boost(500);
/// z.account_freepages(150, oxmm::mmzone::MigrateType::Movable);
/// let mark = z.watermarks().min();
/// assert!(!zone_watermark_fast(&z, 0, mark, 2, AllocFlags::WMARK_MIN));
/// assert!(zone_watermark_fast(&z, 0, mark, 2, AllocFlags::MIN_RESERVE));
/// ```
#[inline(always)]
pub fn zone_watermark_fast(
    zone: &Zone,
    order: u32,
    mark: u64,
    highest_zoneidx: usize,
    flags: AllocFlags,
) -> bool {
    if order == 0 {
        // Inline: every allocation passes here, and almost all of them pass this.
        let reserve = zone
            .lowmem_reserve
            .get(highest_zoneidx)
            .copied()
            .unwrap_or(0) as i64;
        // `__zone_watermark_unusable_free(z, 0, flags)`, with `nr_free_highatomic`
        // read as Linux does (an unsigned field, never negative: no clamp) and the
        // free CMA count raw too (exact under the zone lock, so never negative: the
        // clamp Linux's `zone_page_state` needs for its per-CPU deltas never bites).
        let mut unusable = 0;
        if !flags.intersects(AllocFlags::RESERVES) {
            unusable += zone.nr_free_highatomic_raw();
        }
        if !flags.contains(AllocFlags::CMA) {
            unusable += zone.free_cma_pages_raw();
        }
        // Linux's `usable = free - min(free, unusable) > mark + reserve`, with `free`
        // clamped at 0: as the right side is never negative, the same answer as
        // `free - unusable > mark + reserve` on the raw counter, without the clamp
        // and the min.
        if zone.free_pages_raw() - unusable > mark as i64 + reserve {
            return true;
        }
        // An order-0 request failing its first test: rare, and off the fast path's line.
        crate::local_lock::cold_path();
    }
    let free = zone.free_pages() as i64;
    zone_watermark_fast_full(zone, order, mark, highest_zoneidx, flags, free)
}

/// [`zone_watermark_fast`] past its order-0 shortcut, out of line.
#[inline(never)]
fn zone_watermark_fast_full(
    zone: &Zone,
    order: u32,
    mark: u64,
    highest_zoneidx: usize,
    flags: AllocFlags,
    free: i64,
) -> bool {
    if zone_watermark_ok_free(zone, order, mark, highest_zoneidx, flags, free) {
        return true;
    }
    if order == 0
        && flags.contains(AllocFlags::MIN_RESERVE)
        && zone.watermark_boost() != 0
        && flags.wmark_index() == 0
    {
        return zone_watermark_ok_free(
            zone,
            order,
            zone.watermark.min,
            highest_zoneidx,
            flags,
            free,
        );
    }
    false
}

/// `gfp_to_alloc_flags` (slow path, v6.12): the min watermark, `__GFP_HIGH` →
/// `ALLOC_MIN_RESERVE`, `__GFP_KSWAPD_RECLAIM` → `ALLOC_KSWAPD`, non-blocking callers
/// get `ALLOC_NON_BLOCK` (and `ALLOC_HIGHATOMIC` above order 0) unless
/// `__GFP_NOMEMALLOC`, movable requests `ALLOC_CMA`. `rt_task` stands for "the caller is
/// a real-time or deadline task in task context".
///
/// ```
/// use oxmm::gfp::Gfp;
/// use oxmm::page_alloc::watermark_check::{gfp_to_alloc_flags, AllocFlags};
/// let f = gfp_to_alloc_flags(Gfp::ATOMIC, 0, false, false);
/// assert_eq!(f, AllocFlags::MIN_RESERVE | AllocFlags::KSWAPD | AllocFlags::NON_BLOCK);
/// let f = gfp_to_alloc_flags(Gfp::KERNEL, 0, false, false);
/// assert_eq!(f, AllocFlags::CPUSET | AllocFlags::KSWAPD);
/// ```
pub fn gfp_to_alloc_flags(gfp: Gfp, order: u32, movable: bool, rt_task: bool) -> AllocFlags {
    let mut f = AllocFlags::WMARK_MIN | AllocFlags::CPUSET;
    if gfp.contains(Gfp::HIGH) {
        f |= AllocFlags::MIN_RESERVE;
    }
    if gfp.contains(Gfp::KSWAPD_RECLAIM) {
        f |= AllocFlags::KSWAPD;
    }
    if !gfp.contains(Gfp::DIRECT_RECLAIM) {
        if !gfp.contains(Gfp::NOMEMALLOC) {
            f |= AllocFlags::NON_BLOCK;
            if order > 0 {
                f |= AllocFlags::HIGHATOMIC;
            }
        }
        // Atomic requests are not bound by the cpuset: they cannot wait for it.
        if f.contains(AllocFlags::MIN_RESERVE) {
            f.0 &= !AllocFlags::CPUSET.0;
        }
    } else if rt_task {
        f |= AllocFlags::MIN_RESERVE;
    }
    if movable {
        f |= AllocFlags::CMA;
    }
    f
}

/// `boost_watermark`'s arithmetic: the zone's new boost after one more fallback, or
/// `None` when no boost applies (factor 0, a zone under four pageblocks, watermarks
/// not set yet).
///
/// ```
/// use oxmm::page_alloc::watermark_check::boosted;
/// // Capped at 1.5 × high with the default factor.
/// assert_eq!(boosted(0, 1000, 1 << 20, 512, 15000), Some(512));
/// assert_eq!(boosted(1400, 1000, 1 << 20, 512, 15000), Some(1500));
/// assert_eq!(boosted(0, 1000, 1 << 20, 512, 0), None);
/// assert_eq!(boosted(0, 1000, 2000, 512, 15000), None);
/// ```
pub const fn boosted(
    boost: u64,
    high: u64,
    managed: u64,
    pageblock_nr_pages: u64,
    factor: u64,
) -> Option<u64> {
    if factor == 0 || 4 * pageblock_nr_pages > managed {
        return None;
    }
    let max = ((high as u128 * factor as u128) / 10000) as u64;
    if max == 0 {
        return None;
    }
    let max = if max > pageblock_nr_pages {
        max
    } else {
        pageblock_nr_pages
    };
    let b = boost + pageblock_nr_pages;
    Some(if b < max { b } else { max })
}

impl ZoneBuddy<'_> {
    /// `boost_watermark`: raise the zone's boost by a pageblock after a fallback.
    /// Returns whether it was boosted.
    pub(crate) fn boost_watermark(&mut self) -> bool {
        let z = self.zone;
        match boosted(
            z.watermark_boost(),
            z.watermark.high,
            z.managed_pages(),
            self.geo.pageblock_nr_pages(),
            self.watermark_boost_factor,
        ) {
            Some(b) => {
                z.set_watermark_boost(b);
                true
            }
            None => false,
        }
    }
}

//! Anti-fragmentation fallback (v6.12: `fallbacks[]`, `can_steal_fallback`,
//! `find_suitable_fallback`, `steal_suitable_fallback`, `__rmqueue_fallback`,
//! `__rmqueue`, mm/page_alloc.c).
//!
//! When a request's own free lists are empty, it takes a block of another mobility
//! type, largest first, and claims the whole pageblock for its own type when the block
//! is large or mostly free/compatible (the half rule) so that types stay grouped.

use super::buddy::{Corrupt, ZoneBuddy};
use super::AllocFlags;
use crate::mmzone::MigrateType;
use crate::page::PG_LRU;
use crate::types::MAX_PAGE_ORDER;

/// `fallbacks[]`: the types a PCP type may borrow from, in order of preference.
/// HighAtomic, CMA and Isolate never fall back.
///
/// ```
/// use oxmm::mmzone::MigrateType::*;
/// use oxmm::page_alloc::fallback::fallbacks;
/// assert_eq!(fallbacks(Movable), &[Reclaimable, Unmovable]);
/// assert!(fallbacks(Cma).is_empty());
/// ```
pub const fn fallbacks(mt: MigrateType) -> &'static [MigrateType] {
    use MigrateType::*;
    match mt {
        Unmovable => &[Reclaimable, Movable],
        Movable => &[Reclaimable, Unmovable],
        Reclaimable => &[Unmovable, Movable],
        _ => &[],
    }
}

/// `can_steal_fallback`: may a fallback of a block of `order` claim the whole
/// pageblock for `start_mt`? Pageblock-sized blocks always; from half that size (order
/// 4 with 512-page blocks) for everyone; unmovable and reclaimable requests always
/// (they fragment most); and every request when grouping is off.
///
/// ```
/// use oxmm::mmzone::MigrateType::*;
/// use oxmm::page_alloc::fallback::can_steal_fallback;
/// assert!(can_steal_fallback(0, Unmovable, 9, false));
/// assert!(!can_steal_fallback(3, Movable, 9, false));
/// assert!(can_steal_fallback(4, Movable, 9, false));
/// assert!(can_steal_fallback(0, Movable, 9, true));
/// ```
pub const fn can_steal_fallback(
    order: u32,
    start_mt: MigrateType,
    pageblock_order: u32,
    mobility_disabled: bool,
) -> bool {
    order >= pageblock_order
        || order >= pageblock_order / 2
        || matches!(start_mt, MigrateType::Reclaimable | MigrateType::Unmovable)
        || mobility_disabled
}

impl ZoneBuddy<'_> {
    /// `find_suitable_fallback`: the first fallback type with a free block at `order`,
    /// and whether the pageblock may be claimed.
    pub(crate) fn find_suitable_fallback(
        &self,
        order: u32,
        mt: MigrateType,
        only_stealable: bool,
    ) -> Option<(MigrateType, bool)> {
        let area = self.zone.free_area.get(order as usize)?;
        if area.nr_free() == 0 {
            return None;
        }
        let steal = can_steal_fallback(
            order,
            mt,
            self.geo.pageblock_order(),
            self.mobility_disabled,
        );
        for &fb in fallbacks(mt) {
            if area.free_list[fb as usize].is_empty() {
                continue;
            }
            if !only_stealable || steal {
                return Some((fb, steal));
            }
        }
        None
    }

    /// `prep_move_freepages_block`: the pfn range of `pfn`'s pageblock within the zone
    /// (a block starting before the zone is clipped to it; one running past its end
    /// cannot move), with its free pages and its movable (LRU) pages.
    fn prep_move_freepages_block(&self, pfn: u64) -> Option<(u64, u64, u64, u64)> {
        let pb = self.geo.pageblock_nr_pages();
        let mut start = pfn & !(pb - 1);
        let end = start + pb;
        if !self.zone.spans_pfn(start) {
            start = self.zone.start_pfn();
        }
        if !self.zone.spans_pfn(end - 1) {
            return None;
        }
        let (mut free, mut movable) = (0u64, 0u64);
        let mut p = start;
        while p < end {
            match self.map.page(p) {
                Some(d) if d.is_buddy() => {
                    free += 1 << d.buddy_order();
                    p += 1 << d.buddy_order();
                    continue;
                }
                Some(d) if d.flags() & PG_LRU != 0 => movable += 1,
                _ => {}
            }
            p += 1;
        }
        Some((start, end, free, movable))
    }

    /// `__move_freepages_block` + `set_pageblock_migratetype`: move every free block of
    /// `[start, end)` from `old`'s lists to `new`'s, then retype the pageblock.
    fn move_freepages_block(
        &mut self,
        (start, end): (u64, u64),
        old: MigrateType,
        new: MigrateType,
    ) -> Result<(), Corrupt> {
        let mut p = start;
        while p < end {
            match self.map.page(p) {
                Some(d) if d.is_buddy() => {
                    let o = d.buddy_order() as u32;
                    self.move_to_free_list(p, o, old, new)?;
                    p += 1 << o;
                }
                _ => p += 1,
            }
        }
        self.set_pageblock_migratetype(start, new);
        Ok(())
    }

    /// `move_freepages_block`: retype `pfn`'s pageblock from `old` to `new` with its free
    /// pages; `Err` when the block runs past the zone's end.
    pub(crate) fn move_freepages_block_checked(
        &mut self,
        pfn: u64,
        old: MigrateType,
        new: MigrateType,
    ) -> Result<(), Corrupt> {
        let (start, end, _, _) = self.prep_move_freepages_block(pfn).ok_or(Corrupt)?;
        self.move_freepages_block((start, end), old, new)
    }

    /// `steal_suitable_fallback`: allocate `order` from the free block at `pfn` of
    /// `current_order` found on a fallback list, claiming the pageblock(s) for
    /// `start_mt` where the rules allow.
    fn steal_suitable_fallback(
        &mut self,
        pfn: u64,
        current_order: u32,
        order: u32,
        start_mt: MigrateType,
        whole_block: bool,
        flags: AllocFlags,
    ) -> Result<Option<u64>, Corrupt> {
        let block_mt = self.pageblock_migratetype(pfn).ok_or(Corrupt)?;
        // A HighAtomic block seen here lost a race with its reservation: take one page
        // without touching the reserve's accounting.
        if block_mt == MigrateType::HighAtomic {
            self.del_and_expand(pfn, order, current_order, block_mt)?;
            return Ok(Some(pfn));
        }
        let pbo = self.geo.pageblock_order();
        if current_order >= pbo {
            // Whole pageblocks: take ownership of all of them.
            self.del_from_free_list(pfn, current_order, block_mt)?;
            self.account_freepages(-(1i64 << current_order), block_mt);
            let pb = self.geo.pageblock_nr_pages();
            let mut p = pfn;
            while p < pfn + (1u64 << current_order) {
                self.set_pageblock_migratetype(p, start_mt);
                p += pb;
            }
            let added = self.expand(pfn, order, current_order, start_mt)?;
            self.account_freepages(added as i64, start_mt);
            return Ok(Some(pfn));
        }
        // Fallbacks are a sign of pressure: boost so kswapd reclaims ahead of the next.
        if self.boost_watermark() && flags.contains(AllocFlags::KSWAPD) {
            self.zone.set_flag(crate::mmzone::ZONE_BOOSTED_WATERMARK);
        }
        if whole_block {
            if let Some((start, end, free, movable)) = self.prep_move_freepages_block(pfn) {
                let alike = if start_mt == MigrateType::Movable {
                    movable
                } else if block_mt == MigrateType::Movable {
                    // Allocated pages of a movable block that are not on the LRU are
                    // likely the same kind as this unmovable/reclaimable request.
                    self.geo.pageblock_nr_pages().saturating_sub(free + movable)
                } else {
                    0
                };
                if free + alike >= 1u64 << (pbo - 1) || self.mobility_disabled {
                    self.move_freepages_block((start, end), block_mt, start_mt)?;
                    return self.rmqueue_smallest(order, start_mt);
                }
            }
        }
        self.del_and_expand(pfn, order, current_order, block_mt)?;
        Ok(Some(pfn))
    }

    /// `__rmqueue_fallback`: the largest fallback block (or, for a movable request that
    /// cannot claim it, the smallest), claimed or split per `steal_suitable_fallback`.
    /// Returns the pfn and the fallback type used.
    pub(crate) fn rmqueue_fallback(
        &mut self,
        order: u32,
        start_mt: MigrateType,
        flags: AllocFlags,
    ) -> Result<Option<(u64, MigrateType)>, Corrupt> {
        let pbo = self.geo.pageblock_order();
        let min_order = if order < pbo && flags.contains(AllocFlags::NOFRAGMENT) {
            pbo
        } else {
            order
        };
        let mut found = None;
        for cur in (min_order..=MAX_PAGE_ORDER).rev() {
            let Some((fb, steal)) = self.find_suitable_fallback(cur, start_mt, false) else {
                continue;
            };
            if !steal && start_mt == MigrateType::Movable && cur > order {
                // Do not break up a large block that cannot be claimed: take the
                // smallest fallback block that fits instead.
                found = (order..=MAX_PAGE_ORDER).find_map(|o| {
                    self.find_suitable_fallback(o, start_mt, false)
                        .map(|(fb, s)| (o, fb, s))
                });
            } else {
                found = Some((cur, fb, steal));
            }
            break;
        }
        let Some((cur, fb, steal)) = found else {
            return Ok(None);
        };
        let Some(pfn) = self.first_free(cur, fb) else {
            return Ok(None);
        };
        let got = self.steal_suitable_fallback(pfn, cur, order, start_mt, steal, flags)?;
        Ok(got.map(|p| (p, fb)))
    }

    /// `__rmqueue`: own type first (CMA first when it holds over half the free pages
    /// and the request may use it), then CMA, then the fallback types.
    pub(crate) fn rmqueue(
        &mut self,
        order: u32,
        mt: MigrateType,
        flags: AllocFlags,
    ) -> Result<Option<u64>, Corrupt> {
        let cma = flags.contains(AllocFlags::CMA);
        if cma && self.zone.free_cma_pages() > self.zone.free_pages() / 2 {
            if let Some(p) = self.rmqueue_smallest(order, MigrateType::Cma)? {
                return Ok(Some(p));
            }
        }
        if let Some(p) = self.rmqueue_smallest(order, mt)? {
            return Ok(Some(p));
        }
        if cma {
            if let Some(p) = self.rmqueue_smallest(order, MigrateType::Cma)? {
                return Ok(Some(p));
            }
        }
        Ok(self.rmqueue_fallback(order, mt, flags)?.map(|(p, _)| p))
    }
}

//! The buddy free lists of one zone (Linux: `__add_to_free_list`,
//! `__del_page_from_free_list`, `move_to_free_list`, `expand`, `__rmqueue_smallest`,
//! `__free_one_page`, `split_large_buddy`, mm/page_alloc.c).
//!
//! Every operation works on a [`ZoneBuddy`]: one zone held exclusively (Linux: under
//! `zone->lock`) together with the memory map its lists are threaded through. The
//! lists are intrusive: `Page::next/prev` hold memmap indices.

use crate::memmap::MemMap;
use crate::mmzone::{MigrateType, Zone};
use crate::types::{PageGeometry, MAX_PAGE_ORDER};

/// One zone locked for the allocator (its `zone->lock` held for the lifetime of this
/// value), with the memory map its free lists run through.
pub(crate) struct ZoneBuddy<'a> {
    pub(crate) zone: &'a Zone,
    _guard: spin::MutexGuard<'a, ()>,
    pub(crate) map: &'a MemMap,
    pub(crate) geo: PageGeometry,
    /// `page_group_by_mobility_disabled`.
    pub(crate) mobility_disabled: bool,
    /// `watermark_boost_factor` (for `boost_watermark` on fallback).
    pub(crate) watermark_boost_factor: u64,
}

/// The free lists contradicted themselves (a link to no descriptor). Only a corrupted
/// memory map produces it; `Mm::check` names the culprit.
///
/// ```
/// use oxmm::page_alloc::{AllocError, Corrupt};
/// // An allocation that meets corrupted lists fails with `Corrupted`.
/// assert_eq!(AllocError::from(Corrupt), AllocError::Corrupted);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

impl<'a> ZoneBuddy<'a> {
    /// `spin_lock(&zone->lock)`.
    pub(crate) fn lock(
        zone: &'a Zone,
        map: &'a MemMap,
        geo: PageGeometry,
        mobility_disabled: bool,
        watermark_boost_factor: u64,
    ) -> ZoneBuddy<'a> {
        ZoneBuddy {
            zone,
            _guard: zone.lock.lock(),
            map,
            geo,
            mobility_disabled,
            watermark_boost_factor,
        }
    }
}

impl ZoneBuddy<'_> {
    fn block_of(&self, pfn: u64) -> Option<u64> {
        let o = self.geo.pageblock_order();
        (pfn >> o).checked_sub(self.zone.start_pfn >> o)
    }

    /// `get_pfnblock_migratetype`.
    pub(crate) fn pageblock_migratetype(&self, pfn: u64) -> Option<MigrateType> {
        let b = self.block_of(pfn)?;
        let bits = self
            .map
            .pageblock_bits(self.zone.usemap, self.zone.usemap_bytes, b)?;
        MigrateType::from_u8(bits & 0x7)
    }

    /// `set_pageblock_migratetype`: keeps the skip bit, replaces the type bits.
    pub(crate) fn set_pageblock_migratetype(&mut self, pfn: u64, mt: MigrateType) -> bool {
        let Some(b) = self.block_of(pfn) else {
            return false;
        };
        let (usemap, bytes) = (self.zone.usemap, self.zone.usemap_bytes);
        let Some(old) = self.map.pageblock_bits(usemap, bytes, b) else {
            return false;
        };
        self.map
            .set_pageblock_bits(usemap, bytes, b, (old & !0x7) | mt as u8)
    }

    /// `account_freepages`: Isolate pages are not free; CMA pages are also counted apart.
    pub(crate) fn account_freepages(&mut self, nr: i64, mt: MigrateType) {
        self.zone.account_freepages(nr, mt);
    }

    /// `__add_to_free_list` + `set_buddy_order`: link the block at the head or the tail
    /// of `free_list[mt]` of `order` and count it in `nr_free` (not in the page counters).
    pub(crate) fn add_to_free_list(
        &mut self,
        pfn: u64,
        order: u32,
        mt: MigrateType,
        tail: bool,
    ) -> Result<(), Corrupt> {
        let idx = self.map.index_of(pfn).ok_or(Corrupt)?;
        let area = &self.zone.free_area[order as usize];
        area.free_list[mt as usize]
            .add(self.map, idx, tail)
            .ok_or(Corrupt)?;
        self.map.page_by_index(idx).ok_or(Corrupt)?.set_buddy(order);
        area.add_nr_free(1);
        Ok(())
    }

    /// `__del_page_from_free_list`: unlink the block, clear PageBuddy, drop `nr_free`.
    pub(crate) fn del_from_free_list(
        &mut self,
        pfn: u64,
        order: u32,
        mt: MigrateType,
    ) -> Result<(), Corrupt> {
        let idx = self.map.index_of(pfn).ok_or(Corrupt)?;
        let area = &self.zone.free_area[order as usize];
        area.free_list[mt as usize]
            .del(self.map, idx)
            .ok_or(Corrupt)?
            .clear_buddy();
        area.add_nr_free(-1);
        Ok(())
    }

    /// `move_to_free_list`: to the tail of another type's list, moving the page count.
    pub(crate) fn move_to_free_list(
        &mut self,
        pfn: u64,
        order: u32,
        old: MigrateType,
        new: MigrateType,
    ) -> Result<(), Corrupt> {
        self.del_from_free_list(pfn, order, old)?;
        self.add_to_free_list(pfn, order, new, true)?;
        self.account_freepages(-(1i64 << order), old);
        self.account_freepages(1i64 << order, new);
        Ok(())
    }

    /// `get_page_from_free_area`: the head of `free_list[mt]` at `order`.
    pub(crate) fn first_free(&self, order: u32, mt: MigrateType) -> Option<u64> {
        let list = &self.zone.free_area.get(order as usize)?.free_list[mt as usize];
        if list.is_empty() {
            return None;
        }
        self.map.pfn_of(list.head())
    }

    /// `expand`: split a block of order `high` taken off the lists down to `low`, each
    /// upper half going to the head of `free_list[mt]` of its order. Returns the pages
    /// put back (the caller accounts them).
    pub(crate) fn expand(
        &mut self,
        pfn: u64,
        low: u32,
        mut high: u32,
        mt: MigrateType,
    ) -> Result<u64, Corrupt> {
        let mut added = 0;
        while high > low {
            high -= 1;
            let size = 1u64 << high;
            self.add_to_free_list(pfn + size, high, mt, false)?;
            added += size;
        }
        Ok(added)
    }

    /// `page_del_and_expand`: take a free block off its list and split off `low`.
    pub(crate) fn del_and_expand(
        &mut self,
        pfn: u64,
        low: u32,
        high: u32,
        mt: MigrateType,
    ) -> Result<(), Corrupt> {
        self.del_from_free_list(pfn, high, mt)?;
        let added = self.expand(pfn, low, high, mt)?;
        self.account_freepages(-(1i64 << high) + added as i64, mt);
        Ok(())
    }

    /// `__rmqueue_smallest`: the head block of the smallest order ≥ `order` with a free
    /// block of type `mt`, split down to `order`.
    pub(crate) fn rmqueue_smallest(
        &mut self,
        order: u32,
        mt: MigrateType,
    ) -> Result<Option<u64>, Corrupt> {
        for cur in order..=MAX_PAGE_ORDER {
            if let Some(pfn) = self.first_free(cur, mt) {
                self.del_and_expand(pfn, order, cur, mt)?;
                return Ok(Some(pfn));
            }
        }
        Ok(None)
    }

    /// `page_is_buddy`: `pfn` heads a free block of `order` in this zone.
    pub(crate) fn page_is_buddy(&self, pfn: u64, order: u32) -> bool {
        if !self.zone.spans_pfn(pfn) {
            return false;
        }
        self.map.page(pfn).is_some_and(|p| {
            p.is_buddy()
                && p.buddy_order() == order as u64
                && p.zone_idx() == self.zone.idx()
                && p.nid() == self.zone.nid().0
        })
    }

    /// `buddy_merge_likely`: the block just placed at `order` would merge at `order + 1`
    /// if its buddy were freed, so it goes to the tail to stay free longer.
    fn buddy_merge_likely(&self, pfn: u64, order: u32) -> bool {
        if order >= MAX_PAGE_ORDER - 1 {
            return false;
        }
        let higher = pfn & !(1u64 << order);
        self.page_is_buddy(higher ^ (1u64 << (order + 1)), order + 1)
    }

    /// `__free_one_page`: account the block, merge it with free buddies (never across a
    /// non-mergeable type difference at pageblock order and above), and list it.
    pub(crate) fn free_one_page(
        &mut self,
        mut pfn: u64,
        mut order: u32,
        mt: MigrateType,
        to_tail: bool,
    ) -> Result<(), Corrupt> {
        self.account_freepages(1i64 << order, mt);
        while order < MAX_PAGE_ORDER {
            let buddy = pfn ^ (1u64 << order);
            if !self.page_is_buddy(buddy, order) {
                break;
            }
            let mut buddy_mt = mt;
            if order >= self.geo.pageblock_order() {
                buddy_mt = self.pageblock_migratetype(buddy).ok_or(Corrupt)?;
                if buddy_mt != mt && (!mt.is_mergeable() || !buddy_mt.is_mergeable()) {
                    break;
                }
            }
            self.del_from_free_list(buddy, order, buddy_mt)?;
            if buddy_mt != mt {
                // The merged block is listed as `mt`: its pages move with it, and the
                // buddy's (first) pageblock takes the type so that a later expand() lists
                // the halves right. Linux retypes that one block only; so do we.
                self.account_freepages(-(1i64 << order), buddy_mt);
                self.account_freepages(1i64 << order, mt);
                self.set_pageblock_migratetype(buddy, mt);
            }
            pfn &= buddy;
            order += 1;
        }
        let tail = to_tail || self.buddy_merge_likely(pfn, order);
        self.add_to_free_list(pfn, order, mt, tail)
    }

    /// `split_large_buddy`: free a block larger than a pageblock one pageblock at a
    /// time, each with its own pageblock's type.
    pub(crate) fn free_large(
        &mut self,
        pfn: u64,
        order: u32,
        to_tail: bool,
    ) -> Result<(), Corrupt> {
        let chunk = order.min(self.geo.pageblock_order());
        let end = pfn + (1u64 << order);
        let mut p = pfn;
        while p < end {
            let mt = self.pageblock_migratetype(p).ok_or(Corrupt)?;
            self.free_one_page(p, chunk, mt, to_tail)?;
            p += 1u64 << chunk;
        }
        Ok(())
    }
}

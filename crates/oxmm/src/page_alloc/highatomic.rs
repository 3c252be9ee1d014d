//! The high-order atomic reserve (v6.12: `reserve_highatomic_pageblock`,
//! `unreserve_highatomic_pageblock`, mm/page_alloc.c).
//!
//! When a high-order atomic allocation (`ALLOC_HIGHATOMIC`) succeeds, its pageblock is
//! set aside as `MIGRATE_HIGHATOMIC`, up to about 1% of the zone, so the next such
//! request finds a free high-order block even when the zone is fragmented. Under
//! pressure the slow path gives reserved blocks back to the requester's type.

use super::slowpath::AllocContext;
use crate::mm::Mm;
use crate::mmzone::{MigrateType, Zone};
use crate::platform::Platform;
use crate::types::NR_PAGE_ORDERS;

/// The reserve limit of a zone: 1% of its managed pages rounded up to whole pageblocks;
/// `None` (no reserve) when 1% is less than a pageblock.
///
/// ```
/// use oxmm::page_alloc::highatomic::max_highatomic;
/// assert_eq!(max_highatomic(100_000, 512), Some(1024));
/// assert_eq!(max_highatomic(40_000, 512), None);
/// ```
pub const fn max_highatomic(managed: u64, pageblock_nr_pages: u64) -> Option<u64> {
    let one_percent = managed / 100;
    if one_percent < pageblock_nr_pages {
        None
    } else {
        Some(one_percent.next_multiple_of(pageblock_nr_pages))
    }
}

impl<P: Platform> Mm<P> {
    /// `reserve_highatomic_pageblock`: after an `ALLOC_HIGHATOMIC` success at `pfn`,
    /// retype its pageblock (or, for a block of pageblock order or more, its whole range)
    /// to HighAtomic, moving the block's free pages, while the zone's reserve is below
    /// its limit and the block is of a mergeable type.
    pub(crate) fn reserve_highatomic_pageblock(&self, zone: &Zone, pfn: u64, order: u32) {
        let pb = self.geo.pageblock_nr_pages();
        let Some(max) = max_highatomic(zone.managed_pages(), pb) else {
            return;
        };
        // Racy pre-check, then again under the lock.
        if zone.nr_reserved_highatomic() >= max {
            return;
        }
        let mut zb = self.lock_zone(zone);
        if zone.nr_reserved_highatomic() >= max {
            return;
        }
        let Some(mt) = zb.pageblock_migratetype(pfn) else {
            return;
        };
        if !mt.is_mergeable() {
            return;
        }
        if order < self.geo.pageblock_order() {
            if zb
                .move_freepages_block_checked(pfn, mt, MigrateType::HighAtomic)
                .is_err()
            {
                return;
            }
            zone.set_nr_reserved_highatomic(zone.nr_reserved_highatomic() + pb);
        } else {
            let end = pfn + (1u64 << order);
            let mut p = pfn;
            while p < end {
                zb.set_pageblock_migratetype(p, MigrateType::HighAtomic);
                p += pb;
            }
            zone.set_nr_reserved_highatomic(zone.nr_reserved_highatomic() + (1u64 << order));
        }
    }

    /// `unreserve_highatomic_pageblock`: give one reserved pageblock of the zonelist back
    /// to the requester's migrate type (keeping at least one pageblock reserved per zone
    /// unless `force`). Returns whether a block was released.
    pub(crate) fn unreserve_highatomic_pageblock(&self, ac: &AllocContext, force: bool) -> bool {
        let pb = self.geo.pageblock_nr_pages();
        for &z in ac.zonerefs() {
            let Some(zone) = self.zone_of(z) else {
                continue;
            };
            if !force && zone.nr_reserved_highatomic() <= pb {
                continue;
            }
            let mut zb = self.lock_zone(zone);
            for order in 0..NR_PAGE_ORDERS as u32 {
                let Some(pfn) = zb.first_free(order, MigrateType::HighAtomic) else {
                    continue;
                };
                let Some(mt) = zb.pageblock_migratetype(pfn) else {
                    continue;
                };
                // A block already retyped by a racing free is counted once.
                if mt == MigrateType::HighAtomic {
                    let size = pb.max(1u64 << order).min(zone.nr_reserved_highatomic());
                    zone.set_nr_reserved_highatomic(zone.nr_reserved_highatomic() - size);
                }
                let released = if order < self.geo.pageblock_order() {
                    zb.move_freepages_block_checked(pfn, mt, ac.migratetype)
                        .is_ok()
                } else {
                    let ok = zb.move_to_free_list(pfn, order, mt, ac.migratetype).is_ok();
                    let mut p = pfn;
                    while p < pfn + (1u64 << order) {
                        zb.set_pageblock_migratetype(p, ac.migratetype);
                        p += pb;
                    }
                    ok
                };
                if released {
                    return true;
                }
            }
        }
        false
    }
}

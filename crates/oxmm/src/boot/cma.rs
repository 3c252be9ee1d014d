//! CMA activation at boot (Linux: `cma_init_reserved_areas`, mm/cma.c).

use crate::boot::node_init::{free_block_boot, set_pageblock_migratetype, zone_of};
use crate::boot::zones::nid_index;
use crate::boot::{BootConfig, BootError};
use crate::memblock::free_pages_memory;
use crate::mm::{BootMode, Mm};
use crate::mmzone::MigrateType;
use crate::platform::Platform;
use crate::types::{PhysAddr, MAX_PAGE_ORDER};

impl<P: Platform> Mm<P> {
    /// `cma_init_reserved_areas` / `cma_activate_area`: each area's pageblocks become
    /// `MIGRATE_CMA` and its pages are freed into the CMA lists (`init_cma_reserved_pageblock`).
    pub(crate) fn cma_init_reserved_areas(
        &mut self,
        cfg: &BootConfig<'_>,
    ) -> Result<(), BootError> {
        let geo = self.geo;
        for a in cfg.cma {
            let s = geo.phys_to_pfn_up(a.base).0;
            let e = geo.phys_to_pfn(PhysAddr(a.base.0.saturating_add(a.size))).0;
            if s >= e {
                continue;
            }
            let bad = BootError::BadCmaArea {
                base: a.base,
                size: a.size,
            };
            let nid = self
                .memblock
                .memory()
                .regions()
                .iter()
                .find(|r| r.base <= a.base && a.base < r.end())
                .map(|r| nid_index(r.nid))
                .ok_or(bad)?;
            let zi = zone_of(&self.nodes[nid], s).ok_or(bad)?;
            if !self.nodes[nid].zones[zi].spans_pfn(e - 1) {
                return Err(bad);
            }
            let full = self.mode == BootMode::Full;
            let mut part = self.memmap.whole();
            let zone = &mut self.nodes[nid].zones[zi];
            let pb = geo.pageblock_nr_pages();
            let mut p = s - s % pb;
            while p < e {
                set_pageblock_migratetype(&mut part, zone, geo, p, MigrateType::Cma);
                p += pb;
            }
            zone.cma_pages += e - s;
            free_pages_memory(s, e, MAX_PAGE_ORDER, |pfn, order| {
                free_block_boot(
                    zone,
                    Some(&mut part),
                    geo,
                    full,
                    pfn,
                    order,
                    Some(MigrateType::Cma),
                );
            });
        }
        Ok(())
    }
}

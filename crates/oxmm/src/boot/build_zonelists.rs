//! `build_all_zonelists` (Linux: mm/page_alloc.c): each node's fallback order, the
//! `Fallback order`/`Built … zonelists`/`Policy zone` lines, `vm_total_pages` and
//! mobility grouping. The node-order algorithm itself is [`super::zonelist`].

use super::mem_init::Wr;
use crate::boot::{build_node_order, BootConfig, LogFormat, NodeFacts};
use crate::mm::Mm;
use crate::mmzone::{ZoneOffset, ZoneType, MAX_NR_ZONES, MIGRATE_TYPES};
use crate::platform::Platform;
use crate::printk::Log;
use crate::types::NodeId;
use crate::types::MAX_NUMNODES;

impl<P: Platform> Mm<P> {
    /// `build_all_zonelists`: per-node fallback order (with `node_load` spreading), the
    /// `Built … zonelists` line, `vm_total_pages`, mobility grouping and `policy_zone`.
    pub(crate) fn build_all_zonelists(&mut self, cfg: &BootConfig<'_>, log: &mut dyn Log) {
        let mut facts = NodeFacts::default();
        for nid in 0..MAX_NUMNODES {
            facts.has_memory[nid] = self.online[nid] && self.nodes[nid].present != 0;
            facts.has_cpus[nid] = self.online[nid] && self.nodes[nid].nr_cpus != 0;
        }
        let mut node_load = [0u32; MAX_NUMNODES];
        let movable_idx = self.layout.index_of(ZoneType::Movable);
        for nid in 0..MAX_NUMNODES {
            if !self.online[nid] {
                continue;
            }
            let mut order = [0u8; MAX_NUMNODES];
            let n = build_node_order(nid, &facts, &cfg.distances, &mut node_load, &mut order);
            self.nodes[nid].fallback = order;
            self.nodes[nid].nr_fallback = n as u8;
            for &o in &order[..n] {
                for z in self.nodes[o as usize].zones() {
                    if z.is_populated()
                        && z.idx() > self.policy_zone
                        && Some(z.idx()) != movable_idx
                    {
                        self.policy_zone = z.idx();
                    }
                }
            }
            // Printed since commit 6cf253925df7 "mm/page_alloc: print node fallback
            // order" (mainline v5.16; RHEL 9's 5.14 kernels carry it as a backport).
            let prints = cfg
                .print_fallback_order
                .unwrap_or(cfg.log_format >= LogFormat::new(5, 16));
            if cfg.config_numa && prints {
                let mut line = [0u8; 4 * MAX_NUMNODES];
                let mut len = 0;
                for &o in &order[..n] {
                    let mut w = Wr(&mut line[len..], 0);
                    let _ = core::fmt::write(&mut w, format_args!("{} ", o));
                    len += w.1;
                }
                let text = core::str::from_utf8(&line[..len]).unwrap_or("");
                info!(log, "Fallback order for Node {}: {}", nid, text);
            }
        }
        // numa_node_id's answer for every CPU when only one node is online: that node
        // (its CPUs' and, as the first node with memory, everyone else's) unless it has
        // no memory, when CPUs beyond its own get node 0.
        let mut online = (0..MAX_NUMNODES).filter(|&n| self.online[n]);
        self.single_cpu_node = match (online.next(), online.next()) {
            (Some(n), None) if n == 0 || self.nodes[n].present != 0 => n as u16,
            _ => u16::MAX,
        };
        self.first_zone_off = [ZoneOffset::NONE; MAX_NUMNODES * crate::mmzone::FIRST_ZONEREFS];
        for nid in 0..MAX_NUMNODES {
            if !self.online[nid] {
                continue;
            }
            let mut first = [u16::MAX; crate::mmzone::FIRST_ZONEREFS];
            let mut offs = [ZoneOffset::NONE; crate::mmzone::FIRST_ZONEREFS];
            for (h, (f, o)) in first
                .iter_mut()
                .zip(&mut offs)
                .enumerate()
                .take(MAX_NR_ZONES)
            {
                if let Some(z) = self.zonelist(NodeId(nid as u16)).find(|z| z.zone_idx <= h) {
                    *f = z.nid.0 << 8 | z.zone_idx as u16;
                    *o = ZoneOffset::new(z.nid.0 as usize, z.zone_idx).unwrap_or(ZoneOffset::NONE);
                }
            }
            self.nodes[nid].first_zoneref = first;
            let at = nid * crate::mmzone::FIRST_ZONEREFS;
            self.first_zone_off[at..at + crate::mmzone::FIRST_ZONEREFS].copy_from_slice(&offs);
        }
        // The free path's guess at page_zone (see `Mm::page_zone_of_flags`): the first
        // zone of GFP_KERNEL's zonelist on the first online node.
        self.hot_zone_id = u16::MAX;
        self.hot_zone_off = crate::mmzone::HotZone::FIRST;
        self.hot_request = u32::MAX;
        self.hot_pcp = crate::percpu::PerCpu::NONE;
        self.hot_pageblocks = crate::mmzone::PageblockLookup::NONE;
        let kernel = self.layout.gfp_zone_index(crate::gfp::Gfp::KERNEL);
        if let (Some(nid), Some(h)) = ((0..MAX_NUMNODES).find(|&n| self.online[n]), kernel) {
            let r = self.nodes[nid].first_zoneref[h % crate::mmzone::FIRST_ZONEREFS];
            if r != u16::MAX {
                if let Some(off) = ZoneOffset::new((r >> 8) as usize, (r & 0xff) as usize)
                    .and_then(crate::mmzone::HotZone::new)
                {
                    self.hot_zone_id = (r >> 8) << crate::page::ZONES_WIDTH | (r & 0xff);
                    self.hot_zone_off = off;
                    // The same zone as the offset table's entry for this request.
                    self.hot_request = (nid as u32) << 8 | h as u32;
                    self.set_hot_zone_copies();
                }
            }
        }
        self.update_hot_keys();
        // nr_free_zone_pages(gfp_zone(GFP_HIGHUSER_MOVABLE)) on the boot CPU's node:
        // every zone up to Movable in its zonelist; at this point managed = present
        // (v6.12) or the old free size, and there are no watermarks.
        let highest = movable_idx.unwrap_or(self.layout.len() - 1);
        let local = (0..MAX_NUMNODES).find(|&n| self.online[n]).unwrap_or(0);
        self.vm_total_pages = self.nodes[local]
            .fallback_order()
            .flat_map(|n| self.nodes[n.0 as usize].zones().iter())
            .filter(|z| z.is_populated() && z.idx() <= highest)
            .map(|z| z.managed)
            .sum();
        let pb = self.geo.pageblock_nr_pages();
        self.mobility_disabled = self.vm_total_pages < pb * MIGRATE_TYPES as u64;
        let nr_online = self.online.iter().filter(|&&o| o).count();
        let grouping = if self.mobility_disabled { "off" } else { "on" };
        if cfg.log_format < LogFormat::new(4, 14) {
            let how = if cfg.config_numa { "Node" } else { "Zone" };
            info!(
                log,
                "Built {} zonelists in {} order, mobility grouping {}.  Total pages: {}",
                nr_online,
                how,
                grouping,
                self.vm_total_pages
            );
        } else {
            info!(
                log,
                "Built {} zonelists, mobility grouping {}.  Total pages: {}",
                nr_online,
                grouping,
                self.vm_total_pages
            );
        }
        if cfg.config_numa {
            info!(
                log,
                "Policy zone: {}",
                self.layout.zones()[self.policy_zone].name()
            );
        }
    }
}

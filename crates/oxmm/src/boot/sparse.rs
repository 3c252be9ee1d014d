//! `sparse_init` (Linux: mm/sparse.c): the section table and one memmap block per group
//! of present sections of a node (`sparse_init_nid`), allocated in that node's memory.

use crate::boot::node_init::section_nid;
use crate::boot::{Arch, BootConfig, BootError};
use crate::memblock::MEMBLOCK_ALLOC_ACCESSIBLE;
use crate::memmap::{MemMap, RankEntry};
use crate::mm::{BootMode, Mm};
use crate::page::Page;
use crate::platform::Platform;
use crate::types::{NodeId, PhysAddr};

impl<P: Platform> Mm<P> {
    /// The first present section at or after `from`, with its node.
    fn next_present_section(&self, from: u64) -> Option<(u64, usize)> {
        let shift = self.section_shift();
        let s0 = from << shift;
        let regions = self.memblock.memory().regions();
        let geo = self.geo;
        let first = regions.partition_point(|r| geo.phys_to_pfn(r.end()).0 <= s0);
        for r in &regions[first..] {
            let (a, b) = (geo.phys_to_pfn_up(r.base).0, geo.phys_to_pfn(r.end()).0);
            if a < b && b > s0 {
                let sec = from.max(a >> shift);
                return section_nid(&self.memblock, self.geo, sec).map(|n| (sec, n));
            }
        }
        None
    }

    /// `sparse_init`: the section table, then one memmap block per group of present
    /// sections of one node (holes between them included), allocated in that node's memory above
    /// `MAX_DMA_ADDRESS` (`memmap_alloc` with `exact_nid`).
    pub(crate) fn sparse_init(&mut self, cfg: &BootConfig<'_>) -> Result<(), BootError> {
        let pps = self.geo.pages_per_section();
        let shift = self.section_shift();
        let nr_sections = (self.max_pfn + pps - 1) >> shift;
        let mut nr_present = 0u64;
        let mut cursor = self.next_present_section(0);
        while let Some((s, _)) = cursor {
            nr_present += 1;
            cursor = self.next_present_section(s + 1);
        }
        let pages = nr_present * pps;
        if pages >= u32::MAX as u64 {
            return Err(BootError::TooMuchMemory {
                sections: nr_present,
                pages,
            });
        }
        let table_bytes = MemMap::table_bytes(nr_sections, nr_present);
        let base = self.platform.direct_map_base();
        let full = self.mode == BootMode::Full;
        let table = self
            .memblock
            .alloc_try_nid_raw(
                table_bytes,
                64,
                PhysAddr(0),
                MEMBLOCK_ALLOC_ACCESSIBLE,
                None,
            )
            .ok_or(BootError::TableAlloc {
                what: "section table",
                size: table_bytes,
            })?;
        let map_bytes = pps * core::mem::size_of::<Page>() as u64;
        let min_addr = match cfg.arch {
            Arch::X86_64 | Arch::Ia32 => PhysAddr(16 << 20),
            _ => PhysAddr(0),
        };
        let mut memmap = if full {
            // SAFETY: `table` was just reserved from memblock for `table_bytes` bytes, and
            // the platform's direct map covers all memblock memory.
            unsafe { MemMap::new_table(self.geo, base, table, nr_sections) }
        } else {
            // SAFETY: a null base writes nothing.
            unsafe { MemMap::new_table(self.geo, core::ptr::null_mut(), table, nr_sections) }
        };
        let mut rank = 0u32;
        let mut pending = self.next_present_section(0);
        while let Some((sec0, nid)) = pending {
            // A group: the present sections of one node up to the next section of
            // another node, holes included (Linux: sparse_init's nid_begin/pnum_begin
            // loop, then one `sparse_buffer_init` for the group), so the group's
            // descriptors are one block and linear in their memmap index.
            let mut n = 1u64;
            let mut last = sec0;
            pending = None;
            while let Some((s, sn)) = self.next_present_section(last + 1) {
                if sn == nid {
                    n += 1;
                    last = s;
                } else {
                    pending = Some((s, sn));
                    break;
                }
            }
            let size = n * map_bytes;
            let node = Some(NodeId(nid as u16));
            let at = self
                .memblock
                .alloc_exact_nid_raw(size, map_bytes, min_addr, MEMBLOCK_ALLOC_ACCESSIBLE, node)
                .or_else(|| {
                    self.memblock.alloc_try_nid_raw(
                        size,
                        map_bytes,
                        min_addr,
                        MEMBLOCK_ALLOC_ACCESSIBLE,
                        node,
                    )
                })
                .ok_or(BootError::MemmapAlloc {
                    nid: NodeId(nid as u16),
                    size,
                })?;
            let mut cursor = Some((sec0, nid));
            for k in 0..n {
                let Some((sec, _)) = cursor else { break };
                let e = RankEntry {
                    memmap: at.0 + k * map_bytes,
                    section_nr: sec as u32,
                    nid: nid as u32,
                };
                // SAFETY: ranks stay below `nr_present` (the same walk counted them) and
                // `e.memmap` is inside the group just reserved.
                unsafe { memmap.set_section(sec, rank, e) };
                rank += 1;
                cursor = self.next_present_section(sec + 1);
            }
        }
        self.memmap = memmap;
        Ok(())
    }
}

//! `/proc/vmstat` (Linux: `vmstat_start`, `vmstat_show`, mm/vmstat.c, v6.12): one
//! `name value` line per item — the zone counters, the NUMA events, the node counters
//! (slab in pages, THP counters in huge pages), the dirty limits and memmap counters,
//! then the event counters (the per-zone ones for the configured zones), and the
//! deprecated `nr_unstable 0` Linux keeps for old tools.
//!
//! The file is a plain value ([`Vmstat`]), so a vmstat parsed from a real machine
//! renders through the same code as oxmm's own.

use crate::mm::Mm;
use crate::mmzone::{Zone, ZoneLayout};
use crate::platform::Platform;
use crate::vmstat::{NodeStatItem, NumaStatItem, VmEventItem, VmStatItem, ZoneStatItem};
use crate::vmstat::{NR_VM_EVENT_ITEMS, NR_VM_NODE_STAT_ITEMS, NR_VM_NUMA_EVENT_ITEMS};
use crate::vmstat::{NR_VM_STAT_ITEMS, NR_VM_ZONE_STAT_ITEMS};
use core::fmt::{self, Write};

/// The values of `/proc/vmstat`, indexed by each item enum.
///
/// ```
/// use oxmm::mmzone::ZoneLayout;
/// use oxmm::proc::vmstat::Vmstat;
/// use oxmm::vmstat::VmEventItem;
/// let mut v = Vmstat::new(ZoneLayout::X86_64);
/// v.events[VmEventItem::Pgfree as usize] = 7;
/// let mut s = String::new();
/// v.write(&mut s).unwrap();
/// assert!(s.starts_with("nr_free_pages 0\n"));
/// assert!(s.contains("\npgfree 7\n"));
/// assert!(!s.contains("pgalloc_high"));
/// assert!(s.ends_with("\nnr_unstable 0\n"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vmstat {
    /// The zones configured (which per-zone events are shown).
    pub layout: ZoneLayout,
    /// [`ZoneStatItem`]s summed over the zones.
    pub zone: [u64; NR_VM_ZONE_STAT_ITEMS],
    /// [`NumaStatItem`]s summed over the zones.
    pub numa: [u64; NR_VM_NUMA_EVENT_ITEMS],
    /// [`NodeStatItem`]s summed over the nodes, as printed (pages; THP in huge pages).
    pub node: [u64; NR_VM_NODE_STAT_ITEMS],
    /// [`VmStatItem`]s.
    pub vm: [u64; NR_VM_STAT_ITEMS],
    /// [`VmEventItem`]s.
    pub events: [u64; NR_VM_EVENT_ITEMS],
}

impl Vmstat {
    /// Every value zero.
    ///
    /// ```
    /// use oxmm::mmzone::ZoneLayout;
    /// use oxmm::proc::vmstat::Vmstat;
    /// const EMPTY: Vmstat = Vmstat::new(ZoneLayout::IA32);
    /// assert_eq!(EMPTY.layout, ZoneLayout::IA32);
    /// assert!(EMPTY.zone.iter().chain(&EMPTY.events).all(|&v| v == 0));
    /// ```
    pub const fn new(layout: ZoneLayout) -> Vmstat {
        Vmstat {
            layout,
            zone: [0; NR_VM_ZONE_STAT_ITEMS],
            numa: [0; NR_VM_NUMA_EVENT_ITEMS],
            node: [0; NR_VM_NODE_STAT_ITEMS],
            vm: [0; NR_VM_STAT_ITEMS],
            events: [0; NR_VM_EVENT_ITEMS],
        }
    }

    /// The value slot of the line named `name` (`None` for an unknown name, a
    /// per-zone event of an unconfigured zone, and `nr_unstable`).
    ///
    /// ```
    /// use oxmm::mmzone::ZoneLayout;
    /// use oxmm::proc::vmstat::Vmstat;
    /// use oxmm::vmstat::VmEventItem;
    /// let mut v = Vmstat::new(ZoneLayout::X86_64);
    /// *v.field_mut("pgfree").unwrap() = 5;
    /// assert_eq!(v.events[VmEventItem::Pgfree as usize], 5);
    /// // x86-64 has no HighMem zone, and `nr_unstable` is always 0.
    /// assert!(v.field_mut("pgalloc_high").is_none());
    /// assert!(v.field_mut("nr_unstable").is_none());
    /// ```
    pub fn field_mut(&mut self, name: &str) -> Option<&mut u64> {
        if let Some(i) = ZoneStatItem::from_name(name) {
            return Some(&mut self.zone[i as usize]);
        }
        if let Some(i) = NumaStatItem::from_name(name) {
            return Some(&mut self.numa[i as usize]);
        }
        if let Some(i) = NodeStatItem::from_name(name) {
            return Some(&mut self.node[i as usize]);
        }
        if let Some(i) = VmStatItem::from_name(name) {
            return Some(&mut self.vm[i as usize]);
        }
        match VmEventItem::from_name(name) {
            Some(i) if i.shown(&self.layout) => Some(&mut self.events[i as usize]),
            _ => None,
        }
    }

    /// Render the file as `vmstat_show` does.
    ///
    /// ```
    /// use oxmm::mmzone::ZoneLayout;
    /// use oxmm::proc::vmstat::Vmstat;
    /// let mut v = Vmstat::new(ZoneLayout::X86_64);
    /// *v.field_mut("nr_dirty_threshold").unwrap() = 1234;
    /// let mut s = String::new();
    /// v.write(&mut s).unwrap();
    /// assert!(s.contains("\nnr_dirty_threshold 1234\n"));
    /// // Parsed back line by line, the file gives the same values.
    /// let mut back = Vmstat::new(ZoneLayout::X86_64);
    /// for (name, val) in s.lines().filter_map(|l| l.split_once(' ')) {
    ///     if let Some(f) = back.field_mut(name) {
    ///         *f = val.parse().unwrap();
    ///     }
    /// }
    /// assert_eq!(back, v);
    /// ```
    pub fn write(&self, w: &mut dyn Write) -> fmt::Result {
        for (i, v) in ZoneStatItem::ALL.iter().zip(&self.zone) {
            writeln!(w, "{} {v}", i.name())?;
        }
        for (i, v) in NumaStatItem::ALL.iter().zip(&self.numa) {
            writeln!(w, "{} {v}", i.name())?;
        }
        for (i, v) in NodeStatItem::ALL.iter().zip(&self.node) {
            writeln!(w, "{} {v}", i.name())?;
        }
        for (i, v) in VmStatItem::ALL.iter().zip(&self.vm) {
            writeln!(w, "{} {v}", i.name())?;
        }
        for (i, v) in VmEventItem::ALL.iter().zip(&self.events) {
            if i.shown(&self.layout) {
                writeln!(w, "{} {v}", i.name())?;
            }
        }
        // Deprecated counters Linux still prints for userspace that expects them.
        w.write_str("nr_unstable 0\n")
    }
}

impl<P: Platform> Mm<P> {
    /// The values of `/proc/vmstat` from the machine's counters.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::vmstat::ZoneStatItem;
    /// let v = mm.vmstat_values();
    /// assert_eq!(v.zone[ZoneStatItem::NrFreePages as usize], mm.nr_free_pages());
    /// # }
    /// ```
    pub fn vmstat_values(&self) -> Vmstat {
        let zones = || self.nodes().flat_map(|n| n.zones().iter());
        let hpage = 1u64 << self.geo.pageblock_order();
        Vmstat {
            layout: self.layout,
            zone: ZoneStatItem::ALL.map(|i| self.global_zone_page_state(i)),
            numa: NumaStatItem::ALL.map(|i| zones().map(|z: &Zone| z.numa_event_state(i)).sum()),
            node: NodeStatItem::ALL.map(|i| {
                let v = self.global_node_page_state(i);
                if i.print_in_thp() {
                    v / hpage
                } else {
                    v
                }
            }),
            vm: VmStatItem::ALL.map(|i| self.vm_stat_item(i)),
            events: VmEventItem::ALL.map(|i| self.vm_event(i)),
        }
    }

    /// Render `/proc/vmstat` in Linux's exact format (see the module docs).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::PhysAddr;
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x10000);
    /// # let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
    /// let mut s = String::new();
    /// mm.vmstat(&mut s).unwrap();
    /// assert_eq!(s.lines().count(), 185);
    /// assert!(s.contains(&format!("\npgfree {}\n", mm.totalram_pages())));
    /// ```
    #[doc(alias = "vmstat_show")]
    pub fn vmstat(&self, w: &mut dyn Write) -> fmt::Result {
        self.vmstat_values().write(w)
    }
}

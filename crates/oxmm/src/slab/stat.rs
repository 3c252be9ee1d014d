//! SLUB statistics (Linux: `enum stat_item`, `CONFIG_SLUB_STATS`, mm/slub.c, v6.12):
//! per-CPU event counters of each cache, summed when read.

/// `NR_SLUB_STAT_ITEMS`.
///
/// ```
/// use oxmm::slab::stat::{StatItem, NR_SLUB_STAT_ITEMS};
/// assert_eq!(StatItem::CpuPartialDrain as usize, NR_SLUB_STAT_ITEMS - 1);
/// ```
pub const NR_SLUB_STAT_ITEMS: usize = 26;

crate::vmstat::stat_enum!(
    /// `enum stat_item`, in Linux's order; [`StatItem::name`] is the sysfs file name.
    ///
    /// ```
    /// use oxmm::slab::stat::StatItem;
    /// assert_eq!(StatItem::AllocFastpath.name(), "alloc_fastpath");
    /// assert_eq!(StatItem::ALL.len(), oxmm::slab::stat::NR_SLUB_STAT_ITEMS);
    /// ```
    StatItem,
    NR_SLUB_STAT_ITEMS,
    "stat_item",
    [
        AllocFastpath = "alloc_fastpath",
        AllocSlowpath = "alloc_slowpath",
        FreeFastpath = "free_fastpath",
        FreeSlowpath = "free_slowpath",
        FreeFrozen = "free_frozen",
        FreeAddPartial = "free_add_partial",
        FreeRemovePartial = "free_remove_partial",
        AllocFromPartial = "alloc_from_partial",
        AllocSlab = "alloc_slab",
        AllocRefill = "alloc_refill",
        AllocNodeMismatch = "alloc_node_mismatch",
        FreeSlab = "free_slab",
        CpuslabFlush = "cpuslab_flush",
        DeactivateFull = "deactivate_full",
        DeactivateEmpty = "deactivate_empty",
        DeactivateToHead = "deactivate_to_head",
        DeactivateToTail = "deactivate_to_tail",
        DeactivateRemoteFrees = "deactivate_remote_frees",
        DeactivateBypass = "deactivate_bypass",
        OrderFallback = "order_fallback",
        CmpxchgDoubleCpuFail = "cmpxchg_double_cpu_fail",
        CmpxchgDoubleFail = "cmpxchg_double_fail",
        CpuPartialAlloc = "cpu_partial_alloc",
        CpuPartialFree = "cpu_partial_free",
        CpuPartialNode = "cpu_partial_node",
        CpuPartialDrain = "cpu_partial_drain",
    ]
);

/// One cache's counters summed over its CPUs (`show_stat`'s total).
///
/// ```
/// use oxmm::slab::stat::{SlubStats, StatItem};
/// let s = SlubStats::default();
/// assert_eq!(s.get(StatItem::FreeSlab), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlubStats(pub [u64; NR_SLUB_STAT_ITEMS]);

impl SlubStats {
    /// The total of `item`.
    ///
    /// ```
    /// use oxmm::slab::stat::{SlubStats, StatItem};
    /// let mut s = SlubStats::default();
    /// s.0[StatItem::AllocSlab as usize] = 3;
    /// assert_eq!((s.get(StatItem::AllocSlab), s.get(StatItem::FreeSlab)), (3, 0));
    /// ```
    pub fn get(&self, item: StatItem) -> u64 {
        self.0[item as usize]
    }
}

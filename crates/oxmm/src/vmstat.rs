//! The VM statistics (Linux: include/linux/mmzone.h's `enum zone_stat_item`,
//! `enum numa_stat_item`, `enum node_stat_item`, include/linux/vm_event_item.h's
//! `enum vm_event_item`, and the counters of mm/vmstat.c), and the formulas the /proc
//! files derive from them: `calculate_normal_threshold`, the dirty limits
//! (mm/page-writeback.c) and `si_mem_available` (mm/show_mem.c).
//!
//! Linux keeps the counters per CPU with a folding threshold. oxmm keeps the ones the
//! allocation and free paths count (NUMA events, `pgalloc_<zone>`, `pgfree`) per CPU
//! and zone, beside that CPU's per-CPU lists ([`ZoneCpuStats`]), as relaxed atomics on
//! the CPU's own cache line, summed when read; the rest are one relaxed atomic each
//! (per zone, per node, machine-wide). Every read is exact. `stat_threshold` is still
//! computed, because zoneinfo prints it.
//!
//! The item lists are those of the reference kernels' configuration (Debian's 6.12
//! x86-64 build: NUMA, THP, zswap, unaccepted memory, ...), which the fixtures show.
//!
//! ```
//! use oxmm::vmstat::{NodeStatItem, VmEventItem, ZoneStatItem};
//! assert_eq!(ZoneStatItem::NrFreeCmaPages.name(), "nr_free_cma");
//! assert_eq!(NodeStatItem::NrSlabReclaimableB.name(), "nr_slab_reclaimable");
//! assert_eq!(VmEventItem::PgallocDma32.name(), "pgalloc_dma32");
//! ```

use crate::mmzone::ZoneType;
use core::fmt;
use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicI64, AtomicU64};

/// An enum of Linux counter items with `ALL`, `name`, `from_name` and `Display`.
macro_rules! stat_enum {
    ($(#[$m:meta])* $name:ident, $count:ident, $alias:literal, [$($(#[$vm:meta])* $v:ident = $s:literal,)*]) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        #[doc(alias = $alias)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vm])* #[doc = concat!("`", $s, "`.")] $v,)*
        }

        impl $name {
            /// Every item, in Linux's enum (and `/proc`) order.
            ///
            /// ```
            #[doc = concat!("use ", module_path!(), "::{", stringify!($name), ", ", stringify!($count), "};")]
            #[doc = concat!("let all = ", stringify!($name), "::ALL;")]
            #[doc = concat!("assert_eq!(all.len(), ", stringify!($count), ");")]
            /// // Each item sits at its discriminant.
            /// assert!(all.iter().enumerate().all(|(i, &x)| x as usize == i));
            /// ```
            pub const ALL: [$name; $count] = [$($name::$v,)*];

            /// The name Linux prints for this item (`vmstat_text[]`, or the sysfs file).
            ///
            /// ```
            #[doc = concat!("use ", module_path!(), "::", stringify!($name), ";")]
            #[doc = concat!("let first = ", stringify!($name), "::ALL[0];")]
            /// assert_eq!(first.to_string(), first.name());
            /// // Lower-case identifiers, as /proc and sysfs print them.
            /// let ok = |b: u8| b == b'_' || b.is_ascii_lowercase() || b.is_ascii_digit();
            #[doc = concat!("let names = ", stringify!($name), "::ALL.map(|i| i.name());")]
            /// assert!(names.iter().all(|n| n.bytes().all(ok)));
            /// ```
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$v => $s,)*
                }
            }

            /// The item named `s`, if any.
            ///
            /// ```
            #[doc = concat!("use ", module_path!(), "::", stringify!($name), ";")]
            #[doc = concat!("for i in ", stringify!($name), "::ALL {")]
            #[doc = concat!("    assert_eq!(", stringify!($name), "::from_name(i.name()), Some(i));")]
            /// }
            #[doc = concat!("assert_eq!(", stringify!($name), "::from_name(\"no_such_item\"), None);")]
            /// ```
            pub fn from_name(s: &str) -> Option<$name> {
                Self::ALL.into_iter().find(|i| i.name() == s)
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}
pub(crate) use stat_enum;

/// `NR_VM_ZONE_STAT_ITEMS`.
///
/// ```
/// assert_eq!(oxmm::vmstat::NR_VM_ZONE_STAT_ITEMS, 12);
/// ```
pub const NR_VM_ZONE_STAT_ITEMS: usize = 12;
/// `NR_VM_NUMA_EVENT_ITEMS`.
///
/// ```
/// assert_eq!(oxmm::vmstat::NR_VM_NUMA_EVENT_ITEMS, 6);
/// ```
pub const NR_VM_NUMA_EVENT_ITEMS: usize = 6;
/// `NR_VM_NODE_STAT_ITEMS`.
///
/// ```
/// assert_eq!(oxmm::vmstat::NR_VM_NODE_STAT_ITEMS, 47);
/// ```
pub const NR_VM_NODE_STAT_ITEMS: usize = 47;
/// `NR_VM_STAT_ITEMS` (the global writeback and memmap items).
///
/// ```
/// assert_eq!(oxmm::vmstat::NR_VM_STAT_ITEMS, 4);
/// ```
pub const NR_VM_STAT_ITEMS: usize = 4;

stat_enum!(
    /// A per-zone counter (Linux: `enum zone_stat_item`, v6.12).
    ///
    /// ```
    /// use oxmm::vmstat::ZoneStatItem;
    /// assert_eq!(ZoneStatItem::ALL[0].name(), "nr_free_pages");
    /// assert_eq!(ZoneStatItem::from_name("nr_mlock"), Some(ZoneStatItem::NrMlock));
    /// ```
    ZoneStatItem, NR_VM_ZONE_STAT_ITEMS, "zone_stat_item", [
    NrFreePages = "nr_free_pages",
    NrZoneInactiveAnon = "nr_zone_inactive_anon",
    NrZoneActiveAnon = "nr_zone_active_anon",
    NrZoneInactiveFile = "nr_zone_inactive_file",
    NrZoneActiveFile = "nr_zone_active_file",
    NrZoneUnevictable = "nr_zone_unevictable",
    NrZoneWritePending = "nr_zone_write_pending",
    NrMlock = "nr_mlock",
    NrBounce = "nr_bounce",
    NrZspages = "nr_zspages",
    NrFreeCmaPages = "nr_free_cma",
    NrUnaccepted = "nr_unaccepted",
]);

stat_enum!(
    /// A per-zone NUMA allocation event (Linux: `enum numa_stat_item`).
    ///
    /// ```
    /// use oxmm::vmstat::NumaStatItem;
    /// assert_eq!(NumaStatItem::NumaInterleave.name(), "numa_interleave");
    /// ```
    NumaStatItem, NR_VM_NUMA_EVENT_ITEMS, "numa_stat_item", [
    NumaHit = "numa_hit",
    NumaMiss = "numa_miss",
    NumaForeign = "numa_foreign",
    NumaInterleave = "numa_interleave",
    NumaLocal = "numa_local",
    NumaOther = "numa_other",
]);

stat_enum!(
    /// A per-node counter (Linux: `enum node_stat_item`, v6.12). The two slab items
    /// are kept in bytes by their callers (`_B`) and stored in pages.
    ///
    /// ```
    /// use oxmm::vmstat::NodeStatItem;
    /// assert_eq!(NodeStatItem::NrKernelStackKb.name(), "nr_kernel_stack");
    /// assert!(NodeStatItem::NrSlabUnreclaimableB.in_bytes());
    /// assert!(NodeStatItem::NrAnonThps.print_in_thp());
    /// ```
    NodeStatItem, NR_VM_NODE_STAT_ITEMS, "node_stat_item", [
    NrInactiveAnon = "nr_inactive_anon",
    NrActiveAnon = "nr_active_anon",
    NrInactiveFile = "nr_inactive_file",
    NrActiveFile = "nr_active_file",
    NrUnevictable = "nr_unevictable",
    NrSlabReclaimableB = "nr_slab_reclaimable",
    NrSlabUnreclaimableB = "nr_slab_unreclaimable",
    NrIsolatedAnon = "nr_isolated_anon",
    NrIsolatedFile = "nr_isolated_file",
    WorkingsetNodes = "workingset_nodes",
    WorkingsetRefaultAnon = "workingset_refault_anon",
    WorkingsetRefaultFile = "workingset_refault_file",
    WorkingsetActivateAnon = "workingset_activate_anon",
    WorkingsetActivateFile = "workingset_activate_file",
    WorkingsetRestoreAnon = "workingset_restore_anon",
    WorkingsetRestoreFile = "workingset_restore_file",
    WorkingsetNodereclaim = "workingset_nodereclaim",
    NrAnonMapped = "nr_anon_pages",
    NrFileMapped = "nr_mapped",
    NrFilePages = "nr_file_pages",
    NrFileDirty = "nr_dirty",
    NrWriteback = "nr_writeback",
    NrWritebackTemp = "nr_writeback_temp",
    NrShmem = "nr_shmem",
    NrShmemThps = "nr_shmem_hugepages",
    NrShmemPmdmapped = "nr_shmem_pmdmapped",
    NrFileThps = "nr_file_hugepages",
    NrFilePmdmapped = "nr_file_pmdmapped",
    NrAnonThps = "nr_anon_transparent_hugepages",
    NrVmscanWrite = "nr_vmscan_write",
    NrVmscanImmediate = "nr_vmscan_immediate_reclaim",
    NrDirtied = "nr_dirtied",
    NrWritten = "nr_written",
    NrThrottledWritten = "nr_throttled_written",
    NrKernelMiscReclaimable = "nr_kernel_misc_reclaimable",
    NrFollPinAcquired = "nr_foll_pin_acquired",
    NrFollPinReleased = "nr_foll_pin_released",
    NrKernelStackKb = "nr_kernel_stack",
    NrPagetable = "nr_page_table_pages",
    NrSecondaryPagetable = "nr_sec_page_table_pages",
    NrIommuPages = "nr_iommu_pages",
    NrSwapcache = "nr_swapcached",
    PgpromoteSuccess = "pgpromote_success",
    PgpromoteCandidate = "pgpromote_candidate",
    PgdemoteKswapd = "pgdemote_kswapd",
    PgdemoteDirect = "pgdemote_direct",
    PgdemoteKhugepaged = "pgdemote_khugepaged",
]);

impl NodeStatItem {
    /// `vmstat_item_in_bytes`: callers pass byte deltas; the counter holds pages.
    ///
    /// ```
    /// use oxmm::vmstat::NodeStatItem;
    /// assert!(NodeStatItem::NrSlabReclaimableB.in_bytes());
    /// assert!(!NodeStatItem::NrKernelStackKb.in_bytes());
    /// assert_eq!(NodeStatItem::ALL.iter().filter(|i| i.in_bytes()).count(), 2);
    /// ```
    pub const fn in_bytes(self) -> bool {
        matches!(
            self,
            NodeStatItem::NrSlabReclaimableB | NodeStatItem::NrSlabUnreclaimableB
        )
    }

    /// `vmstat_item_print_in_thp`: counted in base pages, printed in PMD-sized pages
    /// (with transparent hugepages configured).
    ///
    /// ```
    /// use oxmm::vmstat::NodeStatItem;
    /// assert!(NodeStatItem::NrFilePmdmapped.print_in_thp());
    /// assert!(!NodeStatItem::NrAnonMapped.print_in_thp());
    /// ```
    pub const fn print_in_thp(self) -> bool {
        matches!(
            self,
            NodeStatItem::NrAnonThps
                | NodeStatItem::NrShmemThps
                | NodeStatItem::NrShmemPmdmapped
                | NodeStatItem::NrFileThps
                | NodeStatItem::NrFilePmdmapped
        )
    }
}

stat_enum!(
    /// A machine-wide item computed when `/proc/vmstat` is read (Linux: `enum
    /// vm_stat_item`: `enum writeback_stat_item` and the memmap counters).
    ///
    /// ```
    /// use oxmm::vmstat::VmStatItem;
    /// assert_eq!(VmStatItem::NrDirtyBgThreshold.name(), "nr_dirty_background_threshold");
    /// ```
    VmStatItem, NR_VM_STAT_ITEMS, "vm_stat_item", [
    NrDirtyThreshold = "nr_dirty_threshold",
    NrDirtyBgThreshold = "nr_dirty_background_threshold",
    NrMemmapPages = "nr_memmap_pages",
    NrMemmapBootPages = "nr_memmap_boot_pages",
]);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[doc(alias = "vm_event_item")]
#[repr(u8)]
/// A machine-wide event counter (Linux: `enum vm_event_item`, v6.12, in the order
/// `/proc/vmstat` prints them). The per-zone families (`pgalloc_*`, `allocstall_*`,
/// `pgskip_*`) have a slot for every zone kind; `/proc/vmstat` shows the configured ones.
///
/// ```
/// use oxmm::vmstat::VmEventItem;
/// use oxmm::mmzone::ZoneType;
/// assert_eq!(VmEventItem::pgalloc(ZoneType::Normal), VmEventItem::PgallocNormal);
/// assert_eq!(VmEventItem::PgallocHigh.name(), "pgalloc_high");
/// assert_eq!(VmEventItem::PgallocHigh.zone(), Some(ZoneType::HighMem));
/// ```
pub enum VmEventItem {
    /// `pgpgin`.
    Pgpgin,
    /// `pgpgout`.
    Pgpgout,
    /// `pswpin`.
    Pswpin,
    /// `pswpout`.
    Pswpout,
    /// `pgalloc_dma`.
    PgallocDma,
    /// `pgalloc_dma32`.
    PgallocDma32,
    /// `pgalloc_normal`.
    PgallocNormal,
    /// `pgalloc_high`.
    PgallocHigh,
    /// `pgalloc_movable`.
    PgallocMovable,
    /// `pgalloc_device`.
    PgallocDevice,
    /// `allocstall_dma`.
    AllocstallDma,
    /// `allocstall_dma32`.
    AllocstallDma32,
    /// `allocstall_normal`.
    AllocstallNormal,
    /// `allocstall_high`.
    AllocstallHigh,
    /// `allocstall_movable`.
    AllocstallMovable,
    /// `allocstall_device`.
    AllocstallDevice,
    /// `pgskip_dma`.
    PgskipDma,
    /// `pgskip_dma32`.
    PgskipDma32,
    /// `pgskip_normal`.
    PgskipNormal,
    /// `pgskip_high`.
    PgskipHigh,
    /// `pgskip_movable`.
    PgskipMovable,
    /// `pgskip_device`.
    PgskipDevice,
    /// `pgfree`.
    Pgfree,
    /// `pgactivate`.
    Pgactivate,
    /// `pgdeactivate`.
    Pgdeactivate,
    /// `pglazyfree`.
    Pglazyfree,
    /// `pgfault`.
    Pgfault,
    /// `pgmajfault`.
    Pgmajfault,
    /// `pglazyfreed`.
    Pglazyfreed,
    /// `pgrefill`.
    Pgrefill,
    /// `pgreuse`.
    Pgreuse,
    /// `pgsteal_kswapd`.
    PgstealKswapd,
    /// `pgsteal_direct`.
    PgstealDirect,
    /// `pgsteal_khugepaged`.
    PgstealKhugepaged,
    /// `pgscan_kswapd`.
    PgscanKswapd,
    /// `pgscan_direct`.
    PgscanDirect,
    /// `pgscan_khugepaged`.
    PgscanKhugepaged,
    /// `pgscan_direct_throttle`.
    PgscanDirectThrottle,
    /// `pgscan_anon`.
    PgscanAnon,
    /// `pgscan_file`.
    PgscanFile,
    /// `pgsteal_anon`.
    PgstealAnon,
    /// `pgsteal_file`.
    PgstealFile,
    /// `zone_reclaim_success`.
    ZoneReclaimSuccess,
    /// `zone_reclaim_failed`.
    ZoneReclaimFailed,
    /// `pginodesteal`.
    Pginodesteal,
    /// `slabs_scanned`.
    SlabsScanned,
    /// `kswapd_inodesteal`.
    KswapdInodesteal,
    /// `kswapd_low_wmark_hit_quickly`.
    KswapdLowWmarkHitQuickly,
    /// `kswapd_high_wmark_hit_quickly`.
    KswapdHighWmarkHitQuickly,
    /// `pageoutrun`.
    Pageoutrun,
    /// `pgrotated`.
    Pgrotated,
    /// `drop_pagecache`.
    DropPagecache,
    /// `drop_slab`.
    DropSlab,
    /// `oom_kill`.
    OomKill,
    /// `numa_pte_updates`.
    NumaPteUpdates,
    /// `numa_huge_pte_updates`.
    NumaHugePteUpdates,
    /// `numa_hint_faults`.
    NumaHintFaults,
    /// `numa_hint_faults_local`.
    NumaHintFaultsLocal,
    /// `numa_pages_migrated`.
    NumaPagesMigrated,
    /// `pgmigrate_success`.
    PgmigrateSuccess,
    /// `pgmigrate_fail`.
    PgmigrateFail,
    /// `thp_migration_success`.
    ThpMigrationSuccess,
    /// `thp_migration_fail`.
    ThpMigrationFail,
    /// `thp_migration_split`.
    ThpMigrationSplit,
    /// `compact_migrate_scanned`.
    CompactMigrateScanned,
    /// `compact_free_scanned`.
    CompactFreeScanned,
    /// `compact_isolated`.
    CompactIsolated,
    /// `compact_stall`.
    CompactStall,
    /// `compact_fail`.
    CompactFail,
    /// `compact_success`.
    CompactSuccess,
    /// `compact_daemon_wake`.
    CompactDaemonWake,
    /// `compact_daemon_migrate_scanned`.
    CompactDaemonMigrateScanned,
    /// `compact_daemon_free_scanned`.
    CompactDaemonFreeScanned,
    /// `htlb_buddy_alloc_success`.
    HtlbBuddyAllocSuccess,
    /// `htlb_buddy_alloc_fail`.
    HtlbBuddyAllocFail,
    /// `unevictable_pgs_culled`.
    UnevictablePgsCulled,
    /// `unevictable_pgs_scanned`.
    UnevictablePgsScanned,
    /// `unevictable_pgs_rescued`.
    UnevictablePgsRescued,
    /// `unevictable_pgs_mlocked`.
    UnevictablePgsMlocked,
    /// `unevictable_pgs_munlocked`.
    UnevictablePgsMunlocked,
    /// `unevictable_pgs_cleared`.
    UnevictablePgsCleared,
    /// `unevictable_pgs_stranded`.
    UnevictablePgsStranded,
    /// `thp_fault_alloc`.
    ThpFaultAlloc,
    /// `thp_fault_fallback`.
    ThpFaultFallback,
    /// `thp_fault_fallback_charge`.
    ThpFaultFallbackCharge,
    /// `thp_collapse_alloc`.
    ThpCollapseAlloc,
    /// `thp_collapse_alloc_failed`.
    ThpCollapseAllocFailed,
    /// `thp_file_alloc`.
    ThpFileAlloc,
    /// `thp_file_fallback`.
    ThpFileFallback,
    /// `thp_file_fallback_charge`.
    ThpFileFallbackCharge,
    /// `thp_file_mapped`.
    ThpFileMapped,
    /// `thp_split_page`.
    ThpSplitPage,
    /// `thp_split_page_failed`.
    ThpSplitPageFailed,
    /// `thp_deferred_split_page`.
    ThpDeferredSplitPage,
    /// `thp_underused_split_page`.
    ThpUnderusedSplitPage,
    /// `thp_split_pmd`.
    ThpSplitPmd,
    /// `thp_scan_exceed_none_pte`.
    ThpScanExceedNonePte,
    /// `thp_scan_exceed_swap_pte`.
    ThpScanExceedSwapPte,
    /// `thp_scan_exceed_share_pte`.
    ThpScanExceedSharePte,
    /// `thp_split_pud`.
    ThpSplitPud,
    /// `thp_zero_page_alloc`.
    ThpZeroPageAlloc,
    /// `thp_zero_page_alloc_failed`.
    ThpZeroPageAllocFailed,
    /// `thp_swpout`.
    ThpSwpout,
    /// `thp_swpout_fallback`.
    ThpSwpoutFallback,
    /// `balloon_inflate`.
    BalloonInflate,
    /// `balloon_deflate`.
    BalloonDeflate,
    /// `balloon_migrate`.
    BalloonMigrate,
    /// `swap_ra`.
    SwapRa,
    /// `swap_ra_hit`.
    SwapRaHit,
    /// `swpin_zero`.
    SwpinZero,
    /// `swpout_zero`.
    SwpoutZero,
    /// `ksm_swpin_copy`.
    KsmSwpinCopy,
    /// `cow_ksm`.
    CowKsm,
    /// `zswpin`.
    Zswpin,
    /// `zswpout`.
    Zswpout,
    /// `zswpwb`.
    Zswpwb,
    /// `direct_map_level2_splits`.
    DirectMapLevel2Splits,
    /// `direct_map_level3_splits`.
    DirectMapLevel3Splits,
}

/// `NR_VM_EVENT_ITEMS` (per-zone families with a slot for every zone kind).
///
/// ```
/// assert_eq!(oxmm::vmstat::NR_VM_EVENT_ITEMS, oxmm::vmstat::VmEventItem::ALL.len());
/// ```
pub const NR_VM_EVENT_ITEMS: usize = 118;

impl VmEventItem {
    /// Every item, in `/proc/vmstat` order.
    ///
    /// ```
    /// use oxmm::vmstat::VmEventItem;
    /// assert_eq!(VmEventItem::ALL[0], VmEventItem::Pgpgin);
    /// // Each item sits at its discriminant.
    /// assert!(VmEventItem::ALL.iter().enumerate().all(|(i, &e)| e as usize == i));
    /// ```
    pub const ALL: [VmEventItem; NR_VM_EVENT_ITEMS] = [
        VmEventItem::Pgpgin,
        VmEventItem::Pgpgout,
        VmEventItem::Pswpin,
        VmEventItem::Pswpout,
        VmEventItem::PgallocDma,
        VmEventItem::PgallocDma32,
        VmEventItem::PgallocNormal,
        VmEventItem::PgallocHigh,
        VmEventItem::PgallocMovable,
        VmEventItem::PgallocDevice,
        VmEventItem::AllocstallDma,
        VmEventItem::AllocstallDma32,
        VmEventItem::AllocstallNormal,
        VmEventItem::AllocstallHigh,
        VmEventItem::AllocstallMovable,
        VmEventItem::AllocstallDevice,
        VmEventItem::PgskipDma,
        VmEventItem::PgskipDma32,
        VmEventItem::PgskipNormal,
        VmEventItem::PgskipHigh,
        VmEventItem::PgskipMovable,
        VmEventItem::PgskipDevice,
        VmEventItem::Pgfree,
        VmEventItem::Pgactivate,
        VmEventItem::Pgdeactivate,
        VmEventItem::Pglazyfree,
        VmEventItem::Pgfault,
        VmEventItem::Pgmajfault,
        VmEventItem::Pglazyfreed,
        VmEventItem::Pgrefill,
        VmEventItem::Pgreuse,
        VmEventItem::PgstealKswapd,
        VmEventItem::PgstealDirect,
        VmEventItem::PgstealKhugepaged,
        VmEventItem::PgscanKswapd,
        VmEventItem::PgscanDirect,
        VmEventItem::PgscanKhugepaged,
        VmEventItem::PgscanDirectThrottle,
        VmEventItem::PgscanAnon,
        VmEventItem::PgscanFile,
        VmEventItem::PgstealAnon,
        VmEventItem::PgstealFile,
        VmEventItem::ZoneReclaimSuccess,
        VmEventItem::ZoneReclaimFailed,
        VmEventItem::Pginodesteal,
        VmEventItem::SlabsScanned,
        VmEventItem::KswapdInodesteal,
        VmEventItem::KswapdLowWmarkHitQuickly,
        VmEventItem::KswapdHighWmarkHitQuickly,
        VmEventItem::Pageoutrun,
        VmEventItem::Pgrotated,
        VmEventItem::DropPagecache,
        VmEventItem::DropSlab,
        VmEventItem::OomKill,
        VmEventItem::NumaPteUpdates,
        VmEventItem::NumaHugePteUpdates,
        VmEventItem::NumaHintFaults,
        VmEventItem::NumaHintFaultsLocal,
        VmEventItem::NumaPagesMigrated,
        VmEventItem::PgmigrateSuccess,
        VmEventItem::PgmigrateFail,
        VmEventItem::ThpMigrationSuccess,
        VmEventItem::ThpMigrationFail,
        VmEventItem::ThpMigrationSplit,
        VmEventItem::CompactMigrateScanned,
        VmEventItem::CompactFreeScanned,
        VmEventItem::CompactIsolated,
        VmEventItem::CompactStall,
        VmEventItem::CompactFail,
        VmEventItem::CompactSuccess,
        VmEventItem::CompactDaemonWake,
        VmEventItem::CompactDaemonMigrateScanned,
        VmEventItem::CompactDaemonFreeScanned,
        VmEventItem::HtlbBuddyAllocSuccess,
        VmEventItem::HtlbBuddyAllocFail,
        VmEventItem::UnevictablePgsCulled,
        VmEventItem::UnevictablePgsScanned,
        VmEventItem::UnevictablePgsRescued,
        VmEventItem::UnevictablePgsMlocked,
        VmEventItem::UnevictablePgsMunlocked,
        VmEventItem::UnevictablePgsCleared,
        VmEventItem::UnevictablePgsStranded,
        VmEventItem::ThpFaultAlloc,
        VmEventItem::ThpFaultFallback,
        VmEventItem::ThpFaultFallbackCharge,
        VmEventItem::ThpCollapseAlloc,
        VmEventItem::ThpCollapseAllocFailed,
        VmEventItem::ThpFileAlloc,
        VmEventItem::ThpFileFallback,
        VmEventItem::ThpFileFallbackCharge,
        VmEventItem::ThpFileMapped,
        VmEventItem::ThpSplitPage,
        VmEventItem::ThpSplitPageFailed,
        VmEventItem::ThpDeferredSplitPage,
        VmEventItem::ThpUnderusedSplitPage,
        VmEventItem::ThpSplitPmd,
        VmEventItem::ThpScanExceedNonePte,
        VmEventItem::ThpScanExceedSwapPte,
        VmEventItem::ThpScanExceedSharePte,
        VmEventItem::ThpSplitPud,
        VmEventItem::ThpZeroPageAlloc,
        VmEventItem::ThpZeroPageAllocFailed,
        VmEventItem::ThpSwpout,
        VmEventItem::ThpSwpoutFallback,
        VmEventItem::BalloonInflate,
        VmEventItem::BalloonDeflate,
        VmEventItem::BalloonMigrate,
        VmEventItem::SwapRa,
        VmEventItem::SwapRaHit,
        VmEventItem::SwpinZero,
        VmEventItem::SwpoutZero,
        VmEventItem::KsmSwpinCopy,
        VmEventItem::CowKsm,
        VmEventItem::Zswpin,
        VmEventItem::Zswpout,
        VmEventItem::Zswpwb,
        VmEventItem::DirectMapLevel2Splits,
        VmEventItem::DirectMapLevel3Splits,
    ];

    /// The name `/proc/vmstat` prints (`vmstat_text[]`).
    ///
    /// ```
    /// use oxmm::vmstat::VmEventItem;
    /// assert_eq!(VmEventItem::PgstealKswapd.name(), "pgsteal_kswapd");
    /// assert_eq!(VmEventItem::from_name(VmEventItem::OomKill.name()), Some(VmEventItem::OomKill));
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            VmEventItem::Pgpgin => "pgpgin",
            VmEventItem::Pgpgout => "pgpgout",
            VmEventItem::Pswpin => "pswpin",
            VmEventItem::Pswpout => "pswpout",
            VmEventItem::PgallocDma => "pgalloc_dma",
            VmEventItem::PgallocDma32 => "pgalloc_dma32",
            VmEventItem::PgallocNormal => "pgalloc_normal",
            VmEventItem::PgallocHigh => "pgalloc_high",
            VmEventItem::PgallocMovable => "pgalloc_movable",
            VmEventItem::PgallocDevice => "pgalloc_device",
            VmEventItem::AllocstallDma => "allocstall_dma",
            VmEventItem::AllocstallDma32 => "allocstall_dma32",
            VmEventItem::AllocstallNormal => "allocstall_normal",
            VmEventItem::AllocstallHigh => "allocstall_high",
            VmEventItem::AllocstallMovable => "allocstall_movable",
            VmEventItem::AllocstallDevice => "allocstall_device",
            VmEventItem::PgskipDma => "pgskip_dma",
            VmEventItem::PgskipDma32 => "pgskip_dma32",
            VmEventItem::PgskipNormal => "pgskip_normal",
            VmEventItem::PgskipHigh => "pgskip_high",
            VmEventItem::PgskipMovable => "pgskip_movable",
            VmEventItem::PgskipDevice => "pgskip_device",
            VmEventItem::Pgfree => "pgfree",
            VmEventItem::Pgactivate => "pgactivate",
            VmEventItem::Pgdeactivate => "pgdeactivate",
            VmEventItem::Pglazyfree => "pglazyfree",
            VmEventItem::Pgfault => "pgfault",
            VmEventItem::Pgmajfault => "pgmajfault",
            VmEventItem::Pglazyfreed => "pglazyfreed",
            VmEventItem::Pgrefill => "pgrefill",
            VmEventItem::Pgreuse => "pgreuse",
            VmEventItem::PgstealKswapd => "pgsteal_kswapd",
            VmEventItem::PgstealDirect => "pgsteal_direct",
            VmEventItem::PgstealKhugepaged => "pgsteal_khugepaged",
            VmEventItem::PgscanKswapd => "pgscan_kswapd",
            VmEventItem::PgscanDirect => "pgscan_direct",
            VmEventItem::PgscanKhugepaged => "pgscan_khugepaged",
            VmEventItem::PgscanDirectThrottle => "pgscan_direct_throttle",
            VmEventItem::PgscanAnon => "pgscan_anon",
            VmEventItem::PgscanFile => "pgscan_file",
            VmEventItem::PgstealAnon => "pgsteal_anon",
            VmEventItem::PgstealFile => "pgsteal_file",
            VmEventItem::ZoneReclaimSuccess => "zone_reclaim_success",
            VmEventItem::ZoneReclaimFailed => "zone_reclaim_failed",
            VmEventItem::Pginodesteal => "pginodesteal",
            VmEventItem::SlabsScanned => "slabs_scanned",
            VmEventItem::KswapdInodesteal => "kswapd_inodesteal",
            VmEventItem::KswapdLowWmarkHitQuickly => "kswapd_low_wmark_hit_quickly",
            VmEventItem::KswapdHighWmarkHitQuickly => "kswapd_high_wmark_hit_quickly",
            VmEventItem::Pageoutrun => "pageoutrun",
            VmEventItem::Pgrotated => "pgrotated",
            VmEventItem::DropPagecache => "drop_pagecache",
            VmEventItem::DropSlab => "drop_slab",
            VmEventItem::OomKill => "oom_kill",
            VmEventItem::NumaPteUpdates => "numa_pte_updates",
            VmEventItem::NumaHugePteUpdates => "numa_huge_pte_updates",
            VmEventItem::NumaHintFaults => "numa_hint_faults",
            VmEventItem::NumaHintFaultsLocal => "numa_hint_faults_local",
            VmEventItem::NumaPagesMigrated => "numa_pages_migrated",
            VmEventItem::PgmigrateSuccess => "pgmigrate_success",
            VmEventItem::PgmigrateFail => "pgmigrate_fail",
            VmEventItem::ThpMigrationSuccess => "thp_migration_success",
            VmEventItem::ThpMigrationFail => "thp_migration_fail",
            VmEventItem::ThpMigrationSplit => "thp_migration_split",
            VmEventItem::CompactMigrateScanned => "compact_migrate_scanned",
            VmEventItem::CompactFreeScanned => "compact_free_scanned",
            VmEventItem::CompactIsolated => "compact_isolated",
            VmEventItem::CompactStall => "compact_stall",
            VmEventItem::CompactFail => "compact_fail",
            VmEventItem::CompactSuccess => "compact_success",
            VmEventItem::CompactDaemonWake => "compact_daemon_wake",
            VmEventItem::CompactDaemonMigrateScanned => "compact_daemon_migrate_scanned",
            VmEventItem::CompactDaemonFreeScanned => "compact_daemon_free_scanned",
            VmEventItem::HtlbBuddyAllocSuccess => "htlb_buddy_alloc_success",
            VmEventItem::HtlbBuddyAllocFail => "htlb_buddy_alloc_fail",
            VmEventItem::UnevictablePgsCulled => "unevictable_pgs_culled",
            VmEventItem::UnevictablePgsScanned => "unevictable_pgs_scanned",
            VmEventItem::UnevictablePgsRescued => "unevictable_pgs_rescued",
            VmEventItem::UnevictablePgsMlocked => "unevictable_pgs_mlocked",
            VmEventItem::UnevictablePgsMunlocked => "unevictable_pgs_munlocked",
            VmEventItem::UnevictablePgsCleared => "unevictable_pgs_cleared",
            VmEventItem::UnevictablePgsStranded => "unevictable_pgs_stranded",
            VmEventItem::ThpFaultAlloc => "thp_fault_alloc",
            VmEventItem::ThpFaultFallback => "thp_fault_fallback",
            VmEventItem::ThpFaultFallbackCharge => "thp_fault_fallback_charge",
            VmEventItem::ThpCollapseAlloc => "thp_collapse_alloc",
            VmEventItem::ThpCollapseAllocFailed => "thp_collapse_alloc_failed",
            VmEventItem::ThpFileAlloc => "thp_file_alloc",
            VmEventItem::ThpFileFallback => "thp_file_fallback",
            VmEventItem::ThpFileFallbackCharge => "thp_file_fallback_charge",
            VmEventItem::ThpFileMapped => "thp_file_mapped",
            VmEventItem::ThpSplitPage => "thp_split_page",
            VmEventItem::ThpSplitPageFailed => "thp_split_page_failed",
            VmEventItem::ThpDeferredSplitPage => "thp_deferred_split_page",
            VmEventItem::ThpUnderusedSplitPage => "thp_underused_split_page",
            VmEventItem::ThpSplitPmd => "thp_split_pmd",
            VmEventItem::ThpScanExceedNonePte => "thp_scan_exceed_none_pte",
            VmEventItem::ThpScanExceedSwapPte => "thp_scan_exceed_swap_pte",
            VmEventItem::ThpScanExceedSharePte => "thp_scan_exceed_share_pte",
            VmEventItem::ThpSplitPud => "thp_split_pud",
            VmEventItem::ThpZeroPageAlloc => "thp_zero_page_alloc",
            VmEventItem::ThpZeroPageAllocFailed => "thp_zero_page_alloc_failed",
            VmEventItem::ThpSwpout => "thp_swpout",
            VmEventItem::ThpSwpoutFallback => "thp_swpout_fallback",
            VmEventItem::BalloonInflate => "balloon_inflate",
            VmEventItem::BalloonDeflate => "balloon_deflate",
            VmEventItem::BalloonMigrate => "balloon_migrate",
            VmEventItem::SwapRa => "swap_ra",
            VmEventItem::SwapRaHit => "swap_ra_hit",
            VmEventItem::SwpinZero => "swpin_zero",
            VmEventItem::SwpoutZero => "swpout_zero",
            VmEventItem::KsmSwpinCopy => "ksm_swpin_copy",
            VmEventItem::CowKsm => "cow_ksm",
            VmEventItem::Zswpin => "zswpin",
            VmEventItem::Zswpout => "zswpout",
            VmEventItem::Zswpwb => "zswpwb",
            VmEventItem::DirectMapLevel2Splits => "direct_map_level2_splits",
            VmEventItem::DirectMapLevel3Splits => "direct_map_level3_splits",
        }
    }

    /// The zone kind of a per-zone item (`pgalloc_*`, `allocstall_*`, `pgskip_*`).
    ///
    /// ```
    /// use oxmm::mmzone::ZoneType;
    /// use oxmm::vmstat::VmEventItem;
    /// assert_eq!(VmEventItem::AllocstallDma32.zone(), Some(ZoneType::Dma32));
    /// assert_eq!(VmEventItem::PgskipMovable.zone(), Some(ZoneType::Movable));
    /// assert_eq!(VmEventItem::Pgfree.zone(), None);
    /// ```
    pub const fn zone(self) -> Option<ZoneType> {
        match self {
            VmEventItem::PgallocDma => Some(ZoneType::Dma),
            VmEventItem::PgallocDma32 => Some(ZoneType::Dma32),
            VmEventItem::PgallocNormal => Some(ZoneType::Normal),
            VmEventItem::PgallocHigh => Some(ZoneType::HighMem),
            VmEventItem::PgallocMovable => Some(ZoneType::Movable),
            VmEventItem::PgallocDevice => Some(ZoneType::Device),
            VmEventItem::AllocstallDma => Some(ZoneType::Dma),
            VmEventItem::AllocstallDma32 => Some(ZoneType::Dma32),
            VmEventItem::AllocstallNormal => Some(ZoneType::Normal),
            VmEventItem::AllocstallHigh => Some(ZoneType::HighMem),
            VmEventItem::AllocstallMovable => Some(ZoneType::Movable),
            VmEventItem::AllocstallDevice => Some(ZoneType::Device),
            VmEventItem::PgskipDma => Some(ZoneType::Dma),
            VmEventItem::PgskipDma32 => Some(ZoneType::Dma32),
            VmEventItem::PgskipNormal => Some(ZoneType::Normal),
            VmEventItem::PgskipHigh => Some(ZoneType::HighMem),
            VmEventItem::PgskipMovable => Some(ZoneType::Movable),
            VmEventItem::PgskipDevice => Some(ZoneType::Device),
            _ => None,
        }
    }
}

impl VmEventItem {
    /// `PGALLOC_<zone>`: the `pgalloc_*` item of a zone kind (`__count_zid_vm_events`).
    ///
    /// ```
    /// use oxmm::mmzone::ZoneType;
    /// use oxmm::vmstat::VmEventItem;
    /// assert_eq!(VmEventItem::pgalloc(ZoneType::Dma).name(), "pgalloc_dma");
    /// for t in ZoneType::ALL {
    ///     assert_eq!(VmEventItem::pgalloc(t).zone(), Some(t));
    /// }
    /// ```
    pub const fn pgalloc(t: ZoneType) -> VmEventItem {
        match t {
            ZoneType::Dma => VmEventItem::PgallocDma,
            ZoneType::Dma32 => VmEventItem::PgallocDma32,
            ZoneType::Normal => VmEventItem::PgallocNormal,
            ZoneType::HighMem => VmEventItem::PgallocHigh,
            ZoneType::Movable => VmEventItem::PgallocMovable,
            ZoneType::Device => VmEventItem::PgallocDevice,
        }
    }

    /// The item named `s`, if any.
    ///
    /// ```
    /// use oxmm::vmstat::VmEventItem;
    /// assert_eq!(VmEventItem::from_name("pgfree"), Some(VmEventItem::Pgfree));
    /// assert_eq!(VmEventItem::from_name("nr_unstable"), None);
    /// ```
    pub fn from_name(s: &str) -> Option<VmEventItem> {
        Self::ALL.into_iter().find(|i| i.name() == s)
    }

    /// Whether `/proc/vmstat` shows the item on a machine whose zones are `layout`
    /// (a per-zone item only for a configured zone kind).
    ///
    /// ```
    /// use oxmm::mmzone::ZoneLayout;
    /// use oxmm::vmstat::VmEventItem;
    /// assert!(VmEventItem::PgallocDma32.shown(&ZoneLayout::X86_64));
    /// assert!(!VmEventItem::PgallocHigh.shown(&ZoneLayout::X86_64));
    /// assert!(VmEventItem::PgallocHigh.shown(&ZoneLayout::IA32));
    /// assert!(VmEventItem::Pgfree.shown(&ZoneLayout::X86_64));
    /// ```
    pub fn shown(self, layout: &crate::mmzone::ZoneLayout) -> bool {
        match self.zone() {
            Some(t) => layout.has(t),
            None => true,
        }
    }
}

/// The counters of one zone (Linux: `zone->vm_stat[]`, `zone->vm_numa_event[]`).
/// `NR_FREE_PAGES` and `NR_FREE_CMA_PAGES` are the buddy allocator's own counters (see
/// [`crate::mmzone::Zone::free_pages`]); their slots here stay unused.
///
/// ```
/// use oxmm::vmstat::{NumaStatItem, ZoneStatItem, ZoneVmStats};
/// let s = ZoneVmStats::new();
/// s.add(ZoneStatItem::NrMlock, 3);
/// s.count_numa(NumaStatItem::NumaHit, 2);
/// assert_eq!((s.get(ZoneStatItem::NrMlock), s.numa(NumaStatItem::NumaHit)), (3, 2));
/// ```
#[derive(Debug)]
pub struct ZoneVmStats {
    stat: [AtomicI64; NR_VM_ZONE_STAT_ITEMS],
    /// The events counted where the zone has no per-CPU lists; the per-CPU shares
    /// are in each CPU's [`ZoneCpuStats`].
    fallback: ZoneCpuStats,
}

impl Default for ZoneVmStats {
    fn default() -> Self {
        Self::new()
    }
}

impl ZoneVmStats {
    /// Every counter zero.
    ///
    /// ```
    /// use oxmm::vmstat::{ZoneStatItem, ZoneVmStats};
    /// static STATS: ZoneVmStats = ZoneVmStats::new();
    /// assert!(ZoneStatItem::ALL.iter().all(|&i| STATS.get(i) == 0));
    /// ```
    pub const fn new() -> ZoneVmStats {
        ZoneVmStats {
            stat: [const { AtomicI64::new(0) }; NR_VM_ZONE_STAT_ITEMS],
            fallback: ZoneCpuStats::new(),
        }
    }

    /// The raw (possibly negative) value of a counter.
    ///
    /// ```
    /// use oxmm::vmstat::{ZoneStatItem, ZoneVmStats};
    /// let s = ZoneVmStats::new();
    /// s.add(ZoneStatItem::NrZoneWritePending, -2);
    /// assert_eq!(s.get(ZoneStatItem::NrZoneWritePending), -2);
    /// ```
    pub fn get(&self, item: ZoneStatItem) -> i64 {
        self.stat[item as usize].load(Relaxed)
    }

    /// `mod_zone_page_state` on the stored counter.
    ///
    /// ```
    /// use oxmm::vmstat::{ZoneStatItem, ZoneVmStats};
    /// let s = ZoneVmStats::new();
    /// s.add(ZoneStatItem::NrBounce, 5);
    /// s.add(ZoneStatItem::NrBounce, -3);
    /// assert_eq!(s.get(ZoneStatItem::NrBounce), 2);
    /// ```
    pub fn add(&self, item: ZoneStatItem, delta: i64) {
        self.stat[item as usize].fetch_add(delta, Relaxed);
    }

    /// A NUMA event's count outside the per-CPU shares.
    ///
    /// ```
    /// use oxmm::vmstat::{NumaStatItem, ZoneVmStats};
    /// let s = ZoneVmStats::new();
    /// s.count_numa(NumaStatItem::NumaMiss, 3);
    /// assert_eq!(s.numa(NumaStatItem::NumaMiss), 3);
    /// assert_eq!(s.numa(NumaStatItem::NumaHit), 0);
    /// ```
    pub fn numa(&self, item: NumaStatItem) -> u64 {
        self.fallback.numa(item)
    }

    /// `__count_numa_events` where the zone has no per-CPU lists.
    ///
    /// ```
    /// use oxmm::vmstat::{NumaStatItem, ZoneVmStats};
    /// let s = ZoneVmStats::new();
    /// s.count_numa(NumaStatItem::NumaForeign, 1);
    /// s.count_numa(NumaStatItem::NumaForeign, 2);
    /// assert_eq!(s.numa(NumaStatItem::NumaForeign), 3);
    /// ```
    pub fn count_numa(&self, item: NumaStatItem, n: u64) {
        self.fallback.count_numa(item, n)
    }
}

/// The counters of one node (Linux: `pgdat->vm_stat[]`), in pages (the `_B` items
/// too, as Linux stores them).
///
/// ```
/// use oxmm::vmstat::{NodeStatItem, NodeVmStats};
/// let s = NodeVmStats::new();
/// s.add(NodeStatItem::NrPagetable, 2);
/// assert_eq!(s.get(NodeStatItem::NrPagetable), 2);
/// ```
#[derive(Debug)]
pub struct NodeVmStats {
    stat: [AtomicI64; NR_VM_NODE_STAT_ITEMS],
}

impl Default for NodeVmStats {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeVmStats {
    /// Every counter zero.
    ///
    /// ```
    /// use oxmm::vmstat::{NodeStatItem, NodeVmStats};
    /// static STATS: NodeVmStats = NodeVmStats::new();
    /// assert!(NodeStatItem::ALL.iter().all(|&i| STATS.get(i) == 0));
    /// ```
    pub const fn new() -> NodeVmStats {
        NodeVmStats {
            stat: [const { AtomicI64::new(0) }; NR_VM_NODE_STAT_ITEMS],
        }
    }

    /// The raw (possibly negative) value, in pages.
    ///
    /// ```
    /// use oxmm::vmstat::{NodeStatItem, NodeVmStats};
    /// let s = NodeVmStats::new();
    /// s.add(NodeStatItem::NrIsolatedAnon, -1);
    /// assert_eq!(s.get(NodeStatItem::NrIsolatedAnon), -1);
    /// ```
    pub fn get(&self, item: NodeStatItem) -> i64 {
        self.stat[item as usize].load(Relaxed)
    }

    /// Add `pages` pages.
    ///
    /// ```
    /// use oxmm::vmstat::{NodeStatItem, NodeVmStats};
    /// let s = NodeVmStats::new();
    /// s.add(NodeStatItem::NrShmem, 8);
    /// s.add(NodeStatItem::NrShmem, -3);
    /// assert_eq!(s.pages(NodeStatItem::NrShmem), 5);
    /// ```
    pub fn add(&self, item: NodeStatItem, pages: i64) {
        self.stat[item as usize].fetch_add(pages, Relaxed);
    }

    /// `node_page_state_pages`: the value in pages, negatives read as 0.
    ///
    /// ```
    /// use oxmm::vmstat::{NodeStatItem, NodeVmStats};
    /// let s = NodeVmStats::new();
    /// s.add(NodeStatItem::NrIsolatedFile, -4);
    /// assert_eq!(s.get(NodeStatItem::NrIsolatedFile), -4);
    /// assert_eq!(s.pages(NodeStatItem::NrIsolatedFile), 0);
    /// ```
    pub fn pages(&self, item: NodeStatItem) -> u64 {
        self.get(item).max(0) as u64
    }
}

/// One CPU's counters of one zone, kept beside that CPU's per-CPU lists of the zone
/// (Linux: `per_cpu_zonestats`, and the zone's share of the CPU's `vm_event_states`):
/// the allocation hot path adds to its own CPU's cache line only.
///
/// ```
/// use oxmm::vmstat::{NumaStatItem, ZoneCpuStats};
/// let s = ZoneCpuStats::new();
/// s.count_numa(NumaStatItem::NumaLocal, 1);
/// s.count_pgalloc(8);
/// assert_eq!((s.numa(NumaStatItem::NumaLocal), s.pgalloc(), s.pgfree()), (1, 8, 0));
/// ```
#[derive(Debug)]
#[doc(alias = "per_cpu_zonestats")]
pub struct ZoneCpuStats {
    numa: [AtomicU64; NR_VM_NUMA_EVENT_ITEMS],
    pgalloc: AtomicU64,
    pgfree: AtomicU64,
    /// Allocations counted whole by [`ZoneCpuStats::count_alloc_owned`], by kind:
    /// hit and local, hit and other, miss and local, miss and other. Each is one
    /// page of `PGALLOC` (the rest of a larger block goes to `pgalloc`), one
    /// `NUMA_HIT` or `NUMA_MISS` and one `NUMA_LOCAL` or `NUMA_OTHER`: an
    /// allocation is one add instead of three, and the getters add the kinds up.
    /// Every counter only grows, so a reader racing the writer sees each sum
    /// between its values at the first and the last read, as Linux's sums of
    /// per-CPU counters.
    allocs: [AtomicU64; 4],
}

impl Default for ZoneCpuStats {
    fn default() -> Self {
        Self::new()
    }
}

impl ZoneCpuStats {
    /// Every counter zero.
    ///
    /// ```
    /// use oxmm::vmstat::{NumaStatItem, ZoneCpuStats};
    /// static STATS: ZoneCpuStats = ZoneCpuStats::new();
    /// assert_eq!((STATS.pgalloc(), STATS.pgfree()), (0, 0));
    /// assert!(NumaStatItem::ALL.iter().all(|&i| STATS.numa(i) == 0));
    /// ```
    pub const fn new() -> ZoneCpuStats {
        ZoneCpuStats {
            numa: [const { AtomicU64::new(0) }; NR_VM_NUMA_EVENT_ITEMS],
            pgalloc: AtomicU64::new(0),
            pgfree: AtomicU64::new(0),
            allocs: [const { AtomicU64::new(0) }; 4],
        }
    }

    /// This CPU's count of a NUMA event on the zone.
    ///
    /// ```
    /// use oxmm::vmstat::{NumaStatItem::*, ZoneCpuStats};
    /// let s = ZoneCpuStats::new();
    /// s.count_numa(NumaInterleave, 1);
    /// // A local hit counts as both `numa_hit` and `numa_local`.
    /// s.count_alloc_owned(0, true, true);
    /// assert_eq!([s.numa(NumaInterleave), s.numa(NumaHit), s.numa(NumaLocal)], [1, 1, 1]);
    /// assert_eq!(s.numa(NumaMiss), 0);
    /// ```
    pub fn numa(&self, item: NumaStatItem) -> u64 {
        let n = self.numa[item as usize].load(Relaxed);
        let kinds =
            |a: usize, b: usize| self.allocs[a].load(Relaxed) + self.allocs[b].load(Relaxed);
        match item {
            NumaStatItem::NumaHit => n + kinds(0, 1),
            NumaStatItem::NumaMiss => n + kinds(2, 3),
            NumaStatItem::NumaLocal => n + kinds(0, 2),
            NumaStatItem::NumaOther => n + kinds(1, 3),
            _ => n,
        }
    }

    /// Count a NUMA event.
    ///
    /// ```
    /// use oxmm::vmstat::{NumaStatItem, ZoneCpuStats};
    /// let s = ZoneCpuStats::new();
    /// s.count_numa(NumaStatItem::NumaOther, 2);
    /// s.count_numa(NumaStatItem::NumaOther, 1);
    /// assert_eq!(s.numa(NumaStatItem::NumaOther), 3);
    /// ```
    pub fn count_numa(&self, item: NumaStatItem, n: u64) {
        self.numa[item as usize].fetch_add(n, Relaxed);
    }

    /// Pages this CPU allocated from the zone (`PGALLOC_<zone>`'s share).
    ///
    /// ```
    /// use oxmm::vmstat::ZoneCpuStats;
    /// let s = ZoneCpuStats::new();
    /// s.count_pgalloc(1);
    /// // An order-3 allocation: 8 pages.
    /// s.count_alloc_owned(3, true, true);
    /// assert_eq!(s.pgalloc(), 9);
    /// ```
    pub fn pgalloc(&self) -> u64 {
        self.pgalloc.load(Relaxed) + self.allocs.iter().map(|a| a.load(Relaxed)).sum::<u64>()
    }

    /// Count allocated pages.
    ///
    /// ```
    /// use oxmm::vmstat::ZoneCpuStats;
    /// let s = ZoneCpuStats::new();
    /// s.count_pgalloc(4);
    /// s.count_pgalloc(2);
    /// assert_eq!((s.pgalloc(), s.pgfree()), (6, 0));
    /// ```
    pub fn count_pgalloc(&self, n: u64) {
        self.pgalloc.fetch_add(n, Relaxed);
    }

    /// Pages this CPU freed to the zone (`PGFREE`'s share).
    ///
    /// ```
    /// use oxmm::vmstat::ZoneCpuStats;
    /// let s = ZoneCpuStats::new();
    /// s.count_pgfree(3);
    /// s.count_pgfree_owned(1);
    /// assert_eq!(s.pgfree(), 4);
    /// ```
    pub fn pgfree(&self) -> u64 {
        self.pgfree.load(Relaxed)
    }

    /// Count freed pages.
    ///
    /// ```
    /// use oxmm::vmstat::ZoneCpuStats;
    /// let s = ZoneCpuStats::new();
    /// s.count_pgfree(16);
    /// assert_eq!((s.pgfree(), s.pgalloc()), (16, 0));
    /// ```
    pub fn count_pgfree(&self, n: u64) {
        self.pgfree.fetch_add(n, Relaxed);
    }

    /// One allocation of a `2^order` block by the counters' only writer (Linux's raw
    /// `__count_*` forms): plain loads and stores, no locked read-modify-write, exact
    /// only while every writer of these counters holds one lock (the CPU's per-CPU
    /// lists' lock) and none uses the `fetch_add` methods. `PGALLOC` by the pages, and one
    /// `NUMA_HIT` (`hit`) or `NUMA_MISS`, one `NUMA_LOCAL` (`local`) or
    /// `NUMA_OTHER` — `rmqueue_pcplist`'s `__count_zid_vm_events` and
    /// `zone_statistics` for the caller's own CPU. A local hit of one page is a
    /// single add.
    ///
    /// ```
    /// use oxmm::vmstat::{NumaStatItem::*, ZoneCpuStats};
    /// let s = ZoneCpuStats::new();
    /// s.count_alloc_owned(0, true, true);
    /// s.count_alloc_owned(2, false, true);
    /// s.count_alloc_owned(0, true, false);
    /// assert_eq!(s.pgalloc(), 6);
    /// assert_eq!([s.numa(NumaHit), s.numa(NumaMiss)], [2, 1]);
    /// assert_eq!([s.numa(NumaLocal), s.numa(NumaOther)], [2, 1]);
    /// ```
    #[doc(alias = "zone_statistics")]
    #[inline(always)]
    pub fn count_alloc_owned(&self, order: u32, hit: bool, local: bool) {
        add_owned(&self.allocs[(!hit as usize) << 1 | !local as usize], 1);
        if order != 0 {
            add_owned(&self.pgalloc, (1u64 << order) - 1);
        }
    }

    /// [`ZoneCpuStats::count_pgfree`] by the only writer (`__count_vm_events`), under
    /// the same rule as [`ZoneCpuStats::count_alloc_owned`].
    ///
    /// ```
    /// let s = oxmm::vmstat::ZoneCpuStats::new();
    /// s.count_pgfree_owned(1);
    /// assert_eq!(s.pgfree(), 1);
    /// ```
    #[inline]
    pub fn count_pgfree_owned(&self, n: u64) {
        add_owned(&self.pgfree, n);
    }
}

/// A relaxed load and store: readers on other CPUs see the old or the new value, and
/// no count is lost as long as the caller is the only writer.
#[inline]
fn add_owned(c: &AtomicU64, n: u64) {
    c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
}

/// The machine-wide event counters (Linux: the per-CPU `vm_event_states`, summed by
/// `all_vm_events`).
///
/// ```
/// use oxmm::vmstat::{VmEventItem, VmEvents};
/// let e = VmEvents::new();
/// e.count(VmEventItem::Pgfree, 4);
/// assert_eq!(e.get(VmEventItem::Pgfree), 4);
/// ```
#[derive(Debug)]
#[doc(alias = "vm_event_states")]
pub struct VmEvents {
    ev: [AtomicU64; NR_VM_EVENT_ITEMS],
}

impl Default for VmEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl VmEvents {
    /// Every counter zero.
    ///
    /// ```
    /// use oxmm::vmstat::{VmEventItem, VmEvents};
    /// static EVENTS: VmEvents = VmEvents::new();
    /// assert!(VmEventItem::ALL.iter().all(|&i| EVENTS.get(i) == 0));
    /// ```
    pub const fn new() -> VmEvents {
        VmEvents {
            ev: [const { AtomicU64::new(0) }; NR_VM_EVENT_ITEMS],
        }
    }

    /// `count_vm_events`.
    ///
    /// ```
    /// use oxmm::vmstat::{VmEventItem, VmEvents};
    /// let e = VmEvents::new();
    /// e.count(VmEventItem::CompactStall, 1);
    /// e.count(VmEventItem::CompactStall, 2);
    /// assert_eq!(e.get(VmEventItem::CompactStall), 3);
    /// assert_eq!(e.get(VmEventItem::CompactFail), 0);
    /// ```
    #[doc(alias = "count_vm_events")]
    pub fn count(&self, item: VmEventItem, n: u64) {
        self.ev[item as usize].fetch_add(n, Relaxed);
    }

    /// The current count.
    ///
    /// ```
    /// use oxmm::vmstat::{VmEventItem, VmEvents};
    /// let e = VmEvents::new();
    /// assert_eq!(e.get(VmEventItem::Pgfault), 0);
    /// e.count(VmEventItem::Pgfault, 7);
    /// assert_eq!(e.get(VmEventItem::Pgfault), 7);
    /// ```
    pub fn get(&self, item: VmEventItem) -> u64 {
        self.ev[item as usize].load(Relaxed)
    }
}

/// `fls`: the 1-based index of the highest set bit (0 for 0).
const fn fls(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// `calculate_normal_threshold`: how far a CPU's counter diff may drift before Linux
/// folds it into the zone (zoneinfo's `vm stats threshold`): `2 · fls(cpus) · (1 +
/// fls(managed in 128 MiB units))`, at most 125.
///
/// ```
/// use oxmm::vmstat::calculate_normal_threshold;
/// // The fixtures' 4-CPU machine: DMA (3840 managed pages) and DMA32 (495403).
/// assert_eq!(calculate_normal_threshold(3840, 12, 4), 6);
/// assert_eq!(calculate_normal_threshold(495403, 12, 4), 30);
/// assert_eq!(calculate_normal_threshold(1 << 40, 12, 4096), 125);
/// ```
pub fn calculate_normal_threshold(managed_pages: u64, page_shift: u32, online_cpus: usize) -> u32 {
    let mem = managed_pages >> 27u32.saturating_sub(page_shift);
    let t = 2 * fls(online_cpus as u64) * (1 + fls(mem));
    t.min(125)
}

/// The writeback tunables (Linux: `vm_dirty_ratio`, `dirty_background_ratio`,
/// `vm_dirty_bytes`, `dirty_background_bytes`, `vm_highmem_is_dirtyable`).
///
/// ```
/// let d = oxmm::vmstat::DirtySysctl::DEFAULT;
/// assert_eq!((d.dirty_ratio, d.dirty_background_ratio), (20, 10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirtySysctl {
    /// `vm.dirty_ratio` (percent of dirtyable memory).
    pub dirty_ratio: u64,
    /// `vm.dirty_background_ratio`.
    pub dirty_background_ratio: u64,
    /// `vm.dirty_bytes` (0: use the ratio).
    pub dirty_bytes: u64,
    /// `vm.dirty_background_bytes` (0: use the ratio).
    pub dirty_background_bytes: u64,
    /// `vm.highmem_is_dirtyable`.
    pub highmem_is_dirtyable: bool,
}

impl DirtySysctl {
    /// Linux's defaults.
    ///
    /// ```
    /// use oxmm::vmstat::{domain_dirty_limits, DirtySysctl};
    /// let d = DirtySysctl::DEFAULT;
    /// // No byte limits: the ratios, 20 % and 10 % of the dirtyable pages, apply.
    /// assert_eq!((d.dirty_bytes, d.dirty_background_bytes), (0, 0));
    /// let (thresh, bg) = domain_dirty_limits(100_000, 4096, &d);
    /// assert!(thresh <= 20_000 && thresh > 19_900 && bg <= 10_000 && bg > 9_900);
    /// ```
    pub const DEFAULT: DirtySysctl = DirtySysctl {
        dirty_ratio: 20,
        dirty_background_ratio: 10,
        dirty_bytes: 0,
        dirty_background_bytes: 0,
        highmem_is_dirtyable: false,
    };
}

/// `global_dirtyable_memory`: free pages above `totalreserve_pages`, plus the file LRU
/// pages, minus the dirtyable highmem (unless highmem is dirtyable), plus one.
///
/// ```
/// // The fixtures' NUMA machine: 989314 free, 27274 reserved, no file pages.
/// assert_eq!(oxmm::vmstat::global_dirtyable_memory(989314, 27274, 0, 0), 962041);
/// ```
pub fn global_dirtyable_memory(free: u64, totalreserve: u64, file_lru: u64, highmem: u64) -> u64 {
    let x = free - free.min(totalreserve) + file_lru;
    x - highmem.min(x) + 1
}

/// `domain_dirty_limits` of the global domain for a non-realtime task: `(thresh,
/// bg_thresh)` in pages for `available` dirtyable pages. Ratios are scaled per page
/// first, as Linux does for precision; a background limit at or above the dirty limit
/// becomes half of it.
///
/// ```
/// use oxmm::vmstat::{domain_dirty_limits, DirtySysctl};
/// // /proc/vmstat of the fixtures' NUMA machine: 192361 and 96063.
/// assert_eq!(domain_dirty_limits(962041, 4096, &DirtySysctl::DEFAULT), (192361, 96063));
/// ```
#[doc(alias = "global_dirty_limits")]
pub fn domain_dirty_limits(available: u64, page_size: u64, d: &DirtySysctl) -> (u64, u64) {
    let ratio = d.dirty_ratio * page_size / 100;
    let bg_ratio = d.dirty_background_ratio * page_size / 100;
    let thresh = if d.dirty_bytes != 0 {
        d.dirty_bytes.div_ceil(page_size)
    } else {
        ((ratio as u128 * available as u128) / page_size as u128) as u64
    };
    let mut bg = if d.dirty_background_bytes != 0 {
        d.dirty_background_bytes.div_ceil(page_size)
    } else {
        ((bg_ratio as u128 * available as u128) / page_size as u128) as u64
    };
    if bg >= thresh {
        bg = thresh / 2;
    }
    (thresh, bg)
}

/// What `si_mem_available` reads, in pages.
///
/// ```
/// use oxmm::vmstat::MemAvailableInputs;
/// let i = MemAvailableInputs::default();
/// assert_eq!(i.si_mem_available(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemAvailableInputs {
    /// `NR_FREE_PAGES` over all zones.
    pub free: u64,
    /// `totalreserve_pages`.
    pub totalreserve: u64,
    /// Σ `low_wmark_pages` over every zone (empty ones too: `for_each_zone`).
    pub wmark_low: u64,
    /// `NR_ACTIVE_FILE` + `NR_INACTIVE_FILE`.
    pub pagecache: u64,
    /// `NR_SLAB_RECLAIMABLE_B` in pages.
    pub slab_reclaimable: u64,
    /// `NR_KERNEL_MISC_RECLAIMABLE`.
    pub kernel_misc_reclaimable: u64,
}

impl MemAvailableInputs {
    /// `si_mem_available`: free pages above the reserves, plus the page cache and the
    /// reclaimable kernel memory that can go without thrashing (each less the smaller
    /// of its half and the low watermarks); never negative.
    ///
    /// ```
    /// use oxmm::vmstat::MemAvailableInputs;
    /// // /proc/meminfo of the fixtures' NUMA machine: MemAvailable 3848784 kB.
    /// let i = MemAvailableInputs {
    ///     free: 989376, totalreserve: 27274, wmark_low: 21181,
    ///     pagecache: 0, slab_reclaimable: 187, kernel_misc_reclaimable: 0,
    /// };
    /// assert_eq!(i.si_mem_available() * 4, 3848784);
    /// ```
    pub fn si_mem_available(&self) -> u64 {
        let mut available = self.free as i128 - self.totalreserve as i128;
        let pc = self.pagecache;
        available += (pc - (pc / 2).min(self.wmark_low)) as i128;
        let r = self.slab_reclaimable + self.kernel_misc_reclaimable;
        available += (r - (r / 2).min(self.wmark_low)) as i128;
        available.max(0) as u64
    }
}

/// A counter update Linux would warn about, refused.
///
/// ```
/// use oxmm::vmstat::{NodeStatItem, VmstatError};
/// let e = VmstatError::NotPageMultiple { item: NodeStatItem::NrSlabReclaimableB, delta: 100 };
/// assert_eq!(e.to_string(), "nr_slab_reclaimable: byte delta 100 is not a multiple of the page size");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmstatError {
    /// A byte-counted item was given a delta that is not whole pages.
    NotPageMultiple {
        /// The item.
        item: NodeStatItem,
        /// The delta in bytes.
        delta: i64,
    },
    /// The node is not online.
    NoNode(u16),
    /// The zone index is not configured.
    NoZone {
        /// The node.
        nid: u16,
        /// The zone index.
        zone_idx: usize,
    },
    /// The item is the buddy allocator's own counter and changes only with its lists.
    AllocatorOwned(ZoneStatItem),
}

impl fmt::Display for VmstatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmstatError::NotPageMultiple { item, delta } => write!(
                f,
                "{item}: byte delta {delta} is not a multiple of the page size"
            ),
            VmstatError::NoNode(n) => write!(f, "node {n} is not online"),
            VmstatError::NoZone { nid, zone_idx } => {
                write!(f, "node {nid} has no zone with index {zone_idx}")
            }
            VmstatError::AllocatorOwned(i) => {
                write!(
                    f,
                    "{i} is kept by the buddy allocator and cannot be modified"
                )
            }
        }
    }
}

/// `VMALLOC_TOTAL` of x86-64 with 5-level paging (`VMALLOC_SIZE_TB` 12800), as the
/// reference kernels of the fixtures (`CONFIG_X86_5LEVEL`) print it.
///
/// ```
/// assert_eq!(oxmm::vmstat::VMALLOC_TOTAL_X86_64 >> 10, 13743895347199);
/// ```
pub const VMALLOC_TOTAL_X86_64: u64 = (12800 << 40) - 1;

/// The machine-wide statistics state kept in [`crate::mm::Mm`].
///
/// ```
/// let g = oxmm::vmstat::VmGlobal::new();
/// assert_eq!(g.dirty, oxmm::vmstat::DirtySysctl::DEFAULT);
/// ```
#[derive(Debug)]
pub struct VmGlobal {
    /// The event counters.
    pub events: VmEvents,
    /// The writeback tunables.
    pub dirty: DirtySysctl,
    /// `VMALLOC_TOTAL` in bytes (`VMALLOC_END - VMALLOC_START`), set at boot.
    pub vmalloc_total: u64,
    /// `nr_memmap_boot_pages`, set at boot.
    pub memmap_boot_pages: u64,
}

impl Default for VmGlobal {
    fn default() -> Self {
        Self::new()
    }
}

impl VmGlobal {
    /// Zero counters, default tunables.
    ///
    /// ```
    /// use oxmm::vmstat::{DirtySysctl, VmEventItem, VmGlobal};
    /// static GLOBAL: VmGlobal = VmGlobal::new();
    /// assert_eq!(GLOBAL.events.get(VmEventItem::Pgfree), 0);
    /// assert_eq!((GLOBAL.dirty, GLOBAL.vmalloc_total), (DirtySysctl::DEFAULT, 0));
    /// ```
    pub const fn new() -> VmGlobal {
        VmGlobal {
            events: VmEvents::new(),
            dirty: DirtySysctl::DEFAULT,
            vmalloc_total: 0,
            memmap_boot_pages: 0,
        }
    }
}

use crate::mm::Mm;
use crate::mmzone::{Node, Zone};
use crate::platform::Platform;
use crate::types::NodeId;

impl Zone {
    /// `zone_page_state`: a zone counter (never negative). `NR_FREE_PAGES` and
    /// `NR_FREE_CMA_PAGES` are the buddy allocator's counters.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::types::NodeId;
    /// use oxmm::vmstat::ZoneStatItem;
    /// let z = Zone::new(ZoneType::Normal, 2, NodeId(0));
    /// assert_eq!(z.page_state(ZoneStatItem::NrFreePages), 0);
    /// ```
    #[doc(alias = "zone_page_state")]
    pub fn page_state(&self, item: ZoneStatItem) -> u64 {
        match item {
            ZoneStatItem::NrFreePages => self.free_pages(),
            ZoneStatItem::NrFreeCmaPages => self.free_cma_pages(),
            _ => self.vmstat.get(item).max(0) as u64,
        }
    }

    /// `zone_numa_event_state`.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::types::NodeId;
    /// use oxmm::vmstat::NumaStatItem;
    /// let z = Zone::new(ZoneType::Normal, 2, NodeId(0));
    /// assert_eq!(z.numa_event_state(NumaStatItem::NumaHit), 0);
    /// ```
    #[doc(alias = "zone_numa_event_state")]
    pub fn numa_event_state(&self, item: NumaStatItem) -> u64 {
        self.vmstat.numa(item)
            + self
                .pcp
                .iter()
                .map(|p| p.stats.numa(item) + p.shared_stats.numa(item))
                .sum::<u64>()
    }

    /// Pages allocated from the zone (its `pgalloc_<zone>` share).
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::types::NodeId;
    /// assert_eq!(Zone::new(ZoneType::Normal, 2, NodeId(0)).pgalloc(), 0);
    /// ```
    pub fn pgalloc(&self) -> u64 {
        self.vmstat.fallback.pgalloc()
            + self
                .pcp
                .iter()
                .map(|p| p.stats.pgalloc() + p.shared_stats.pgalloc())
                .sum::<u64>()
    }

    /// Pages freed to the zone after boot (its `pgfree` share).
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::types::NodeId;
    /// assert_eq!(Zone::new(ZoneType::Normal, 2, NodeId(0)).pgfree(), 0);
    /// ```
    pub fn pgfree(&self) -> u64 {
        self.vmstat.fallback.pgfree()
            + self
                .pcp
                .iter()
                .map(|p| p.stats.pgfree() + p.shared_stats.pgfree())
                .sum::<u64>()
    }

    /// The calling CPU's counters of this zone, or the zone-wide ones where the
    /// per-CPU lists do not exist (early boot, a description-only boot).
    fn cpu_stats(&self, cpu: usize) -> &ZoneCpuStats {
        match self.pcp.get(cpu) {
            Some(p) => &p.shared_stats,
            None => &self.vmstat.fallback,
        }
    }
}

impl Node {
    /// `node_page_state_pages`: a node counter in pages (never negative).
    ///
    /// ```
    /// use oxmm::mmzone::{Node, ZoneLayout};
    /// use oxmm::types::NodeId;
    /// use oxmm::vmstat::NodeStatItem;
    /// let n = Node::new(NodeId(0), ZoneLayout::X86_64);
    /// assert_eq!(n.page_state_pages(NodeStatItem::NrSlabReclaimableB), 0);
    /// ```
    #[doc(alias = "node_page_state_pages")]
    pub fn page_state_pages(&self, item: NodeStatItem) -> u64 {
        self.vmstat.pages(item)
    }
}

/// The machine's event counters as [`Mm::vm_events`] shows them.
///
/// ```
/// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
/// use oxmm::vmstat::VmEventItem;
/// assert!(mm.vm_events().get(VmEventItem::Pgfree) >= mm.totalram_pages());
/// # }
/// ```
pub struct VmEventsView<'a, P: Platform> {
    mm: &'a Mm<P>,
}

impl<P: Platform> VmEventsView<'_, P> {
    /// The count of `item` over every CPU (`all_vm_events`).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::vmstat::VmEventItem;
    /// let ev = mm.vm_events();
    /// assert_eq!(ev.get(VmEventItem::OomKill), 0);
    /// mm.count_vm_events(VmEventItem::OomKill, 1);
    /// assert_eq!(ev.get(VmEventItem::OomKill), 1);
    /// // Boot freed every managed page into the buddy allocator.
    /// assert!(ev.get(VmEventItem::Pgfree) >= mm.totalram_pages());
    /// ```
    pub fn get(&self, item: VmEventItem) -> u64 {
        self.mm.vm_event(item)
    }
}

impl<P: Platform> Mm<P> {
    /// An event counter summed over the CPUs (`all_vm_events`): the machine-wide
    /// count, plus for `pgalloc_<zone>` and `pgfree` the per-CPU shares of the zones.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::vmstat::VmEventItem;
    /// // Boot freed every managed page into the buddy allocator.
    /// assert!(mm.vm_event(VmEventItem::Pgfree) >= mm.totalram_pages());
    /// # }
    /// ```
    #[doc(alias = "all_vm_events")]
    pub fn vm_event(&self, item: VmEventItem) -> u64 {
        let zones = || self.nodes().flat_map(|n| n.zones().iter());
        let shares: u64 = match (item, item.zone()) {
            (VmEventItem::Pgfree, _) => zones().map(|z| z.pgfree()).sum(),
            (_, Some(t)) if item == VmEventItem::pgalloc(t) => zones()
                .filter(|z| z.zone_type() == t)
                .map(|z| z.pgalloc())
                .sum(),
            _ => 0,
        };
        self.vmstat.events.get(item) + shares
    }

    /// The event counters, each summed over the CPUs when read (see
    /// [`Mm::vm_event`]).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::vmstat::VmEventItem;
    /// let ev = mm.vm_events();
    /// assert_eq!(ev.get(VmEventItem::Pgfree), mm.vm_event(VmEventItem::Pgfree));
    /// # }
    /// ```
    pub fn vm_events(&self) -> VmEventsView<'_, P> {
        VmEventsView { mm: self }
    }

    /// `count_vm_events`.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::vmstat::VmEventItem;
    /// mm.count_vm_events(VmEventItem::OomKill, 1);
    /// # }
    /// ```
    pub fn count_vm_events(&self, item: VmEventItem, n: u64) {
        self.vmstat.events.count(item, n);
    }

    /// The writeback tunables (`vm.dirty_ratio`, ...).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// assert_eq!(mm.dirty_sysctl().dirty_ratio, 20);
    /// # }
    /// ```
    pub fn dirty_sysctl(&self) -> &DirtySysctl {
        &self.vmstat.dirty
    }

    /// Set the writeback tunables.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>) {
    /// let mut d = *mm.dirty_sysctl();
    /// d.dirty_ratio = 40;
    /// mm.set_dirty_sysctl(d);
    /// # }
    /// ```
    pub fn set_dirty_sysctl(&mut self, d: DirtySysctl) {
        self.vmstat.dirty = d;
    }

    /// `global_zone_page_state`: a zone counter summed over every zone.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::vmstat::ZoneStatItem;
    /// assert_eq!(mm.global_zone_page_state(ZoneStatItem::NrFreePages), mm.nr_free_pages());
    /// # }
    /// ```
    pub fn global_zone_page_state(&self, item: ZoneStatItem) -> u64 {
        self.nodes()
            .flat_map(|n| n.zones().iter())
            .map(|z| z.page_state(item))
            .sum()
    }

    /// `global_node_page_state_pages`: a node counter summed over the nodes, in pages.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::vmstat::NodeStatItem;
    /// let _slab = mm.global_node_page_state(NodeStatItem::NrSlabUnreclaimableB);
    /// # }
    /// ```
    #[doc(alias = "global_node_page_state_pages")]
    pub fn global_node_page_state(&self, item: NodeStatItem) -> u64 {
        self.nodes().map(|n| n.page_state_pages(item)).sum()
    }

    /// `mod_node_page_state`: add `delta` to a node counter — in bytes for the `_B`
    /// items (whole pages only, as Linux warns otherwise), in pages for the rest.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::types::NodeId;
    /// use oxmm::vmstat::NodeStatItem;
    /// mm.mod_node_page_state(NodeId(0), NodeStatItem::NrSlabReclaimableB, 8192).unwrap();
    /// assert!(mm.mod_node_page_state(NodeId(0), NodeStatItem::NrSlabReclaimableB, 5).is_err());
    /// # }
    /// ```
    pub fn mod_node_page_state(
        &self,
        nid: NodeId,
        item: NodeStatItem,
        delta: i64,
    ) -> Result<(), VmstatError> {
        let node = self.node(nid).ok_or(VmstatError::NoNode(nid.0))?;
        let mut pages = delta;
        if item.in_bytes() {
            let ps = self.geo.page_size() as i64;
            if delta % ps != 0 {
                return Err(VmstatError::NotPageMultiple { item, delta });
            }
            pages = delta / ps;
        }
        node.vmstat.add(item, pages);
        Ok(())
    }

    /// `mod_zone_page_state`: add `delta` pages to a zone counter other than the two the
    /// buddy allocator keeps (`nr_free_pages`, `nr_free_cma`).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::types::NodeId;
    /// use oxmm::vmstat::ZoneStatItem;
    /// mm.mod_zone_page_state(NodeId(0), 1, ZoneStatItem::NrMlock, 1).unwrap();
    /// assert!(mm.mod_zone_page_state(NodeId(0), 1, ZoneStatItem::NrFreePages, 1).is_err());
    /// # }
    /// ```
    pub fn mod_zone_page_state(
        &self,
        nid: NodeId,
        zone_idx: usize,
        item: ZoneStatItem,
        delta: i64,
    ) -> Result<(), VmstatError> {
        if matches!(
            item,
            ZoneStatItem::NrFreePages | ZoneStatItem::NrFreeCmaPages
        ) {
            return Err(VmstatError::AllocatorOwned(item));
        }
        let node = self.node(nid).ok_or(VmstatError::NoNode(nid.0))?;
        let zone = node.zones().get(zone_idx).ok_or(VmstatError::NoZone {
            nid: nid.0,
            zone_idx,
        })?;
        zone.vmstat.add(item, delta);
        Ok(())
    }

    /// `__count_numa_event`: one NUMA event on `zone` (the memory policy counts
    /// `numa_interleave` with it).
    #[allow(dead_code)] // the memory-policy code's entry point
    pub(crate) fn count_numa_event(&self, zone: &Zone, item: NumaStatItem) {
        zone.cpu_stats(self.platform.cpu_id()).count_numa(item, 1);
    }

    /// `__count_vm_events(PGFREE, nr)` for pages freed to `zone`.
    pub(crate) fn count_pgfree(&self, zone: &Zone, nr: u64) {
        zone.cpu_stats(self.platform.cpu_id()).count_pgfree(nr);
    }

    /// `zone_statistics`: an allocation of `nr` pages from `z` for a request whose
    /// preferred zone was `preferred`: a hit on the preferred node, else a miss on `z`
    /// and a foreign on the preferred zone; local or other by the calling CPU's node.
    pub(crate) fn zone_statistics(&self, preferred: &Zone, z: &Zone, nr: u64) {
        let cpu = self.platform.cpu_id();
        let local = if z.nid() == self.numa_node_id() {
            NumaStatItem::NumaLocal
        } else {
            NumaStatItem::NumaOther
        };
        let zs = z.cpu_stats(cpu);
        if z.nid() == preferred.nid() {
            zs.count_numa(NumaStatItem::NumaHit, nr);
        } else {
            zs.count_numa(NumaStatItem::NumaMiss, nr);
            preferred
                .cpu_stats(cpu)
                .count_numa(NumaStatItem::NumaForeign, nr);
        }
        zs.count_numa(local, nr);
    }

    /// The accounting of a successful allocation of `order` from `zone` (Linux does it
    /// in `rmqueue_pcplist` and `rmqueue_buddy`): `PGALLOC_<zone>` by the pages, and
    /// `zone_statistics` against the request's preferred zone (`preferred`, the first
    /// zone of its zonelist).
    pub(crate) fn count_alloc(&self, preferred: &Zone, zone: &Zone, order: u32) {
        zone.cpu_stats(self.platform.cpu_id())
            .count_pgalloc(1u64 << order);
        self.zone_statistics(preferred, zone, 1);
    }

    /// [`Mm::count_alloc`] by the calling CPU holding its per-CPU lists of `zone`
    /// (`pcp`, locked by the caller): that CPU's counters of the zone take plain adds;
    /// only a `NUMA_FOREIGN` on another zone is a locked add.
    #[inline(always)]
    pub(crate) fn count_alloc_locked(
        &self,
        pcp: &crate::page_alloc::pcp::PerCpuPages,
        preferred: &Zone,
        zone: &Zone,
        order: u32,
    ) {
        let hit = zone.nid() == preferred.nid();
        // `zone_to_nid(z) == numa_node_id()`: `pcp` is the calling CPU's lists of
        // `zone`, which know whether the zone is on that CPU's node.
        pcp.stats.count_alloc_owned(order, hit, pcp.local);
        if !hit {
            preferred
                .cpu_stats(self.platform.cpu_id())
                .count_numa(NumaStatItem::NumaForeign, 1);
        }
    }

    /// `pzstats->stat_threshold` of a zone, as `refresh_zone_stat_thresholds` sets it
    /// for the online CPUs ([`calculate_normal_threshold`]).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let z = &mm.nodes().next().unwrap().zones()[0];
    /// assert!(mm.zone_stat_threshold(z) <= 125);
    /// # }
    /// ```
    pub fn zone_stat_threshold(&self, zone: &Zone) -> u32 {
        calculate_normal_threshold(
            zone.managed_pages(),
            self.geo.shift(),
            self.platform.nr_cpus().max(1),
        )
    }

    /// `highmem_dirtyable_memory`: the free pages above the high watermark, plus file
    /// LRU pages, of the populated highmem zones, at most `total`.
    fn highmem_dirtyable_memory(&self, total: u64) -> u64 {
        let x: u64 = self
            .nodes()
            .flat_map(|n| n.zones().iter())
            .filter(|z| z.zone_type().is_highmem() && z.is_populated())
            .map(|z| {
                let free = z.free_pages();
                free - free.min(z.watermarks().high())
                    + z.page_state(ZoneStatItem::NrZoneInactiveFile)
                    + z.page_state(ZoneStatItem::NrZoneActiveFile)
            })
            .sum();
        x.min(total)
    }

    /// `global_dirty_limits`: `(nr_dirty_threshold, nr_dirty_background_threshold)`
    /// from the dirtyable memory ([`global_dirtyable_memory`],
    /// [`domain_dirty_limits`]).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let (thresh, bg) = mm.global_dirty_limits();
    /// assert!(bg <= thresh);
    /// # }
    /// ```
    pub fn global_dirty_limits(&self) -> (u64, u64) {
        let free = self.global_zone_page_state(ZoneStatItem::NrFreePages);
        let file = self.global_node_page_state(NodeStatItem::NrInactiveFile)
            + self.global_node_page_state(NodeStatItem::NrActiveFile);
        let reserve = self.vm.totalreserve_pages;
        let mut high = 0;
        if !self.vmstat.dirty.highmem_is_dirtyable {
            let x = free - free.min(reserve) + file;
            high = self.highmem_dirtyable_memory(x);
        }
        let avail = global_dirtyable_memory(free, reserve, file, high);
        domain_dirty_limits(avail, self.geo.page_size(), &self.vmstat.dirty)
    }

    /// What `si_mem_available` reads, from the machine's counters.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let i = mm.mem_available_inputs();
    /// assert_eq!(i.free, mm.nr_free_pages());
    /// assert_eq!(i.si_mem_available(), mm.si_mem_available());
    /// # }
    /// ```
    pub fn mem_available_inputs(&self) -> MemAvailableInputs {
        MemAvailableInputs {
            free: self.global_zone_page_state(ZoneStatItem::NrFreePages),
            totalreserve: self.vm.totalreserve_pages,
            wmark_low: self
                .nodes()
                .flat_map(|n| n.zones().iter())
                .map(|z| z.watermarks().low())
                .sum(),
            pagecache: self.global_node_page_state(NodeStatItem::NrActiveFile)
                + self.global_node_page_state(NodeStatItem::NrInactiveFile),
            slab_reclaimable: self.global_node_page_state(NodeStatItem::NrSlabReclaimableB),
            kernel_misc_reclaimable: self
                .global_node_page_state(NodeStatItem::NrKernelMiscReclaimable),
        }
    }

    /// `si_mem_available` (meminfo's `MemAvailable`, in pages).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// assert!(mm.si_mem_available() <= mm.nr_free_pages() + mm.totalram_pages());
    /// # }
    /// ```
    pub fn si_mem_available(&self) -> u64 {
        self.mem_available_inputs().si_mem_available()
    }

    /// A machine-wide item of `/proc/vmstat`: the dirty limits, and the memmap pages
    /// (`nr_memmap_boot_pages`: `DIV_ROUND_UP(PAGES_PER_SECTION · sizeof(struct page),
    /// PAGE_SIZE)` per present section, with Linux's `struct page` size as the boot
    /// accounting uses it; `nr_memmap_pages` counts memmaps of hot-added memory, which
    /// oxmm has none of).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::vmstat::VmStatItem;
    /// assert!(mm.vm_stat_item(VmStatItem::NrMemmapBootPages) > 0);
    /// # }
    /// ```
    pub fn vm_stat_item(&self, item: VmStatItem) -> u64 {
        match item {
            VmStatItem::NrDirtyThreshold => self.global_dirty_limits().0,
            VmStatItem::NrDirtyBgThreshold => self.global_dirty_limits().1,
            VmStatItem::NrMemmapPages => 0,
            VmStatItem::NrMemmapBootPages => self.vmstat.memmap_boot_pages,
        }
    }
}

//! The allocation slow path (v6.12: `__alloc_pages_slowpath`,
//! `__alloc_pages_direct_reclaim`, `should_reclaim_retry`, `__alloc_pages_may_oom`,
//! `__alloc_pages_cpuset_fallback`, `warn_alloc`; mm/page_alloc.c).
//!
//! Linux's structure with the steps that belong to later subsystems as hooks
//! ([`AllocHooks`]): wake kswapd, retry at the min watermark with the caller's reserve
//! rights, direct compaction, direct reclaim (then release the high-atomic reserve and
//! drain the per-CPU lists once), the retry policy (`__GFP_NORETRY`, costly orders,
//! `__GFP_RETRY_MAYFAIL`, `MAX_RECLAIM_RETRIES` rounds without progress), the OOM
//! killer, and `__GFP_NOFAIL`'s endless retry with access to part of the reserves.
//!
//! Divergence: Linux's OOM killer always "makes progress" for small orders, so such
//! requests never fail there; with [`NoHooks`] nothing can be reclaimed or killed, so
//! they fail with [`NoMemReason::OutOfMemory`]. `__GFP_NOFAIL` asks
//! [`AllocHooks::nofail_retry`] before each new round instead of looping forever.

use super::pcp::PAGE_ALLOC_COSTLY_ORDER;
use super::watermark_check::{self, gfp_to_alloc_flags, AllocFlags};
use super::{AllocError, NoMemReason, MAX_ZONEREFS};
use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::mmzone::{MigrateType, ZoneType, Zoneref};
use crate::platform::Platform;
use crate::printk::Level;
use crate::types::{NodeId, NodeMask};

/// `MAX_RECLAIM_RETRIES`: reclaim rounds without progress before giving up.
///
/// ```
/// assert_eq!(oxmm::page_alloc::slowpath::MAX_RECLAIM_RETRIES, 16);
/// ```
pub const MAX_RECLAIM_RETRIES: u32 = 16;

/// A request's allocation context (Linux: `struct alloc_context`): its filtered
/// zonelist, highest zone index and migrate type.
///
/// ```
/// // Built by `Mm::alloc_pages_nodemask`; see `AllocHooks` for where it is passed.
/// assert!(core::mem::size_of::<oxmm::page_alloc::AllocContext>() > 0);
/// ```
#[derive(Clone, Debug)]
#[doc(alias = "alloc_context")]
pub struct AllocContext {
    pub(crate) refs: [Zoneref; MAX_ZONEREFS],
    pub(crate) nr: usize,
    /// `highest_zoneidx`.
    pub highest_zoneidx: usize,
    /// `migratetype`.
    pub migratetype: MigrateType,
    /// The node asked for.
    pub preferred_nid: NodeId,
}

impl AllocContext {
    /// The zonelist entries the request may use, best first.
    pub fn zonerefs(&self) -> &[Zoneref] {
        &self.refs[..self.nr]
    }
}

/// Direct compaction's answer (Linux: `enum compact_result`, the cases the slow path
/// distinguishes).
///
/// ```
/// use oxmm::page_alloc::slowpath::CompactResult;
/// assert_ne!(CompactResult::Skipped, CompactResult::Success);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactResult {
    /// Not attempted (no compaction, or too little free memory to migrate into).
    Skipped,
    /// Deferred after recent failures.
    Deferred,
    /// Ran without producing a free block of the order.
    Complete,
    /// A free block of the order should now exist.
    Success,
}

/// The slow path's calls into subsystems outside the page allocator. Every method has
/// a default that does nothing, so [`NoHooks`] is a machine without kswapd, reclaim,
/// compaction or OOM killer.
///
/// ```
/// use oxmm::page_alloc::slowpath::{AllocHooks, NoHooks};
/// assert_eq!(NoHooks.try_to_free_pages(oxmm::gfp::Gfp::KERNEL, 0), 0);
/// assert!(NoHooks.nofail_retry(0));
/// ```
pub trait AllocHooks: Sync {
    /// `wakeup_kswapd` for zone `zone_idx` of `nid`.
    fn wakeup_kswapd(&self, _nid: NodeId, _zone_idx: usize, _order: u32, _highest_zoneidx: usize) {}

    /// `try_to_compact_pages`.
    fn try_to_compact_pages(&self, _gfp: Gfp, _order: u32) -> CompactResult {
        CompactResult::Skipped
    }

    /// `try_to_free_pages`: direct reclaim; returns the pages reclaimed.
    fn try_to_free_pages(&self, _gfp: Gfp, _order: u32) -> u64 {
        0
    }

    /// `zone_reclaimable_pages` of zone `zone_idx` of `nid`.
    fn zone_reclaimable_pages(&self, _nid: NodeId, _zone_idx: usize) -> u64 {
        0
    }

    /// `out_of_memory`: true when a victim was chosen (memory will come back).
    fn out_of_memory(&self, _gfp: Gfp, _order: u32) -> bool {
        false
    }

    /// Whether a `__GFP_NOFAIL` request should start another round after `round`
    /// fruitless ones (Linux: always; it sleeps in between). The default allows
    /// [`NOFAIL_ROUNDS`] rounds, spinning briefly between them.
    fn nofail_retry(&self, round: u32) -> bool {
        for _ in 0..64 {
            core::hint::spin_loop();
        }
        round < NOFAIL_ROUNDS
    }
}

/// Rounds [`NoHooks`] gives a `__GFP_NOFAIL` request before it fails.
///
/// ```
/// assert_eq!(oxmm::page_alloc::slowpath::NOFAIL_ROUNDS, 1000);
/// ```
pub const NOFAIL_ROUNDS: u32 = 1000;

/// No kswapd, reclaim, compaction or OOM killer.
///
/// ```
/// use oxmm::page_alloc::slowpath::{AllocHooks, NoHooks};
/// assert!(!NoHooks.out_of_memory(oxmm::gfp::Gfp::KERNEL, 0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHooks;

impl AllocHooks for NoHooks {}

fn is_gave_up(e: &AllocError) -> bool {
    matches!(
        e,
        AllocError::NoMemory {
            reason: NoMemReason::NoFailGaveUp,
            ..
        }
    )
}

impl<P: Platform> Mm<P> {
    /// Install the slow path's hooks (kswapd, reclaim, compaction, OOM).
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
    /// # let mut mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
    /// use oxmm::{gfp::Gfp, page_alloc::AllocHooks, types::NodeId};
    /// struct Kswapd(AtomicU32);
    /// impl AllocHooks for Kswapd {
    ///     fn wakeup_kswapd(&self, _: NodeId, _: usize, _: u32, _: usize) {
    ///         self.0.fetch_add(1, Relaxed);
    ///     }
    /// }
    /// static HOOKS: Kswapd = Kswapd(AtomicU32::new(0));
    /// mm.set_alloc_hooks(&HOOKS);
    /// while mm.alloc_pages(Gfp::KERNEL, 10).is_ok() {}
    /// // Below the low watermark, the slow path woke kswapd.
    /// assert!(HOOKS.0.load(Relaxed) > 0);
    /// ```
    pub fn set_alloc_hooks(&mut self, hooks: &'static dyn AllocHooks) {
        self.hooks = hooks;
    }

    /// `wake_all_kswapds`: every zone of the zonelist's nodes, once per node.
    fn wake_all_kswapds(&self, order: u32, ac: &AllocContext) {
        let mut seen = NodeMask::EMPTY;
        for &z in ac.zonerefs() {
            if !seen.contains(z.nid) {
                seen = seen.with(z.nid);
                self.hooks
                    .wakeup_kswapd(z.nid, z.zone_idx, order, ac.highest_zoneidx);
            }
        }
    }

    /// `__alloc_pages_slowpath`.
    #[doc(alias = "__alloc_pages_slowpath")]
    pub(crate) fn alloc_pages_slowpath(
        &self,
        gfp: Gfp,
        order: u32,
        ac: &AllocContext,
    ) -> Result<u64, AllocError> {
        let fail = |reason| AllocError::NoMemory { order, reason };
        let can_direct_reclaim = gfp.contains(Gfp::DIRECT_RECLAIM);
        let costly = order > PAGE_ALLOC_COSTLY_ORDER;
        let movable = ac.migratetype == MigrateType::Movable;
        let mut alloc_flags = gfp_to_alloc_flags(gfp, order, movable, false);
        let mut no_progress_loops = 0u32;
        let mut nofail_rounds = 0u32;
        let nofail_loops = gfp.contains(Gfp::NOFAIL) && can_direct_reclaim;
        // The `nopage:` label: fail, or for __GFP_NOFAIL go round again.
        macro_rules! nopage {
            ($reason:expr) => {
                match self.nopage(gfp, order, ac, fail($reason), &mut nofail_rounds) {
                    Ok(p) => return Ok(p),
                    Err(e) if !nofail_loops || is_gave_up(&e) => return Err(e),
                    Err(_) => continue,
                }
            };
        }

        if alloc_flags.contains(AllocFlags::KSWAPD) {
            self.wake_all_kswapds(order, ac);
        }
        // The min watermark with the caller's reserve rights.
        if let Some(p) = self.get_page_from_freelist(gfp, order, alloc_flags, ac)? {
            return Ok(p);
        }
        // Costly and unmovable high orders try compaction before reclaim.
        if can_direct_reclaim && (costly || (order > 0 && !movable)) && !gfp.contains(Gfp::MEMALLOC)
        {
            let (page, result) = self.direct_compact(gfp, order, alloc_flags, ac)?;
            if let Some(p) = page {
                return Ok(p);
            }
            if costly
                && gfp.contains(Gfp::NORETRY)
                && matches!(result, CompactResult::Skipped | CompactResult::Deferred)
                && !nofail_loops
            {
                return Err(fail(NoMemReason::NoRetry));
            }
        }
        loop {
            if alloc_flags.contains(AllocFlags::KSWAPD) {
                self.wake_all_kswapds(order, ac);
            }
            // __gfp_pfmemalloc_flags: __GFP_MEMALLOC ignores the watermarks.
            if gfp.contains(Gfp::MEMALLOC) && !gfp.contains(Gfp::NOMEMALLOC) {
                alloc_flags = AllocFlags::NO_WATERMARKS
                    | (alloc_flags & AllocFlags::KSWAPD)
                    | if movable {
                        AllocFlags::CMA
                    } else {
                        AllocFlags::default()
                    };
            }
            if let Some(p) = self.get_page_from_freelist(gfp, order, alloc_flags, ac)? {
                return Ok(p);
            }
            if !can_direct_reclaim {
                nopage!(NoMemReason::CannotReclaim);
            }
            let (page, progress) = self.direct_reclaim(gfp, order, alloc_flags, ac)?;
            if let Some(p) = page {
                return Ok(p);
            }
            let (page, _) = self.direct_compact(gfp, order, alloc_flags, ac)?;
            if let Some(p) = page {
                return Ok(p);
            }
            if gfp.contains(Gfp::NORETRY) {
                nopage!(NoMemReason::NoRetry);
            }
            if costly && !gfp.contains(Gfp::RETRY_MAYFAIL) {
                nopage!(NoMemReason::CostlyOrder);
            }
            if self.should_reclaim_retry(
                order,
                ac,
                alloc_flags,
                progress > 0,
                &mut no_progress_loops,
            ) {
                continue;
            }
            let (page, oom_progress) = self.may_oom(gfp, order, ac)?;
            if let Some(p) = page {
                return Ok(p);
            }
            if oom_progress {
                no_progress_loops = 0;
                continue;
            }
            nopage!(NoMemReason::OutOfMemory);
        }
    }

    /// The `nopage:` label: `__GFP_NOFAIL` requests that may block get part of the
    /// reserves (`ALLOC_MIN_RESERVE`) and another round; everyone else fails with `e`.
    fn nopage(
        &self,
        gfp: Gfp,
        order: u32,
        ac: &AllocContext,
        e: AllocError,
        rounds: &mut u32,
    ) -> Result<u64, AllocError> {
        if !gfp.contains(Gfp::NOFAIL) || !gfp.contains(Gfp::DIRECT_RECLAIM) {
            return Err(e);
        }
        if let Some(p) = self.cpuset_fallback(gfp, order, AllocFlags::MIN_RESERVE, ac)? {
            return Ok(p);
        }
        if !self.hooks.nofail_retry(*rounds) {
            return Err(AllocError::NoMemory {
                order,
                reason: NoMemReason::NoFailGaveUp,
            });
        }
        *rounds += 1;
        // Back to the retry loop of the caller.
        Err(e)
    }

    /// `__alloc_pages_cpuset_fallback`.
    fn cpuset_fallback(
        &self,
        gfp: Gfp,
        order: u32,
        flags: AllocFlags,
        ac: &AllocContext,
    ) -> Result<Option<u64>, AllocError> {
        let f = flags | AllocFlags::CPUSET;
        if let Some(p) = self.get_page_from_freelist(gfp, order, f, ac)? {
            return Ok(Some(p));
        }
        self.get_page_from_freelist(gfp, order, flags, ac)
    }

    /// `__alloc_pages_direct_compact`.
    fn direct_compact(
        &self,
        gfp: Gfp,
        order: u32,
        flags: AllocFlags,
        ac: &AllocContext,
    ) -> Result<(Option<u64>, CompactResult), AllocError> {
        if order == 0 {
            return Ok((None, CompactResult::Skipped));
        }
        let r = self.hooks.try_to_compact_pages(gfp, order);
        if r == CompactResult::Skipped {
            return Ok((None, r));
        }
        Ok((self.get_page_from_freelist(gfp, order, flags, ac)?, r))
    }

    /// `__alloc_pages_direct_reclaim`: reclaim, retry; on failure release the high-atomic
    /// reserve and drain the per-CPU lists once, and retry again.
    fn direct_reclaim(
        &self,
        gfp: Gfp,
        order: u32,
        flags: AllocFlags,
        ac: &AllocContext,
    ) -> Result<(Option<u64>, u64), AllocError> {
        let progress = self.hooks.try_to_free_pages(gfp, order);
        if let Some(p) = self.get_page_from_freelist(gfp, order, flags, ac)? {
            return Ok((Some(p), progress));
        }
        self.unreserve_highatomic_pageblock(ac, false);
        self.drain_all_pages(None)?;
        Ok((
            self.get_page_from_freelist(gfp, order, flags, ac)?,
            progress,
        ))
    }

    /// `should_reclaim_retry`: another round while some zone could meet the min
    /// watermark with its reclaimable pages, up to `MAX_RECLAIM_RETRIES` rounds without
    /// progress; before giving up, the high-atomic reserve is released for good.
    fn should_reclaim_retry(
        &self,
        order: u32,
        ac: &AllocContext,
        flags: AllocFlags,
        did_some_progress: bool,
        no_progress_loops: &mut u32,
    ) -> bool {
        // Costly orders may progress without their order becoming available.
        if did_some_progress && order <= PAGE_ALLOC_COSTLY_ORDER {
            *no_progress_loops = 0;
        } else {
            *no_progress_loops += 1;
        }
        if *no_progress_loops <= MAX_RECLAIM_RETRIES {
            for &z in ac.zonerefs() {
                let Some(zone) = self.zone_of(z) else {
                    continue;
                };
                let reclaimable = self.hooks.zone_reclaimable_pages(z.nid, z.zone_idx);
                let available = reclaimable + zone.free_pages();
                let min = zone.watermarks().min();
                if reclaimable > 0
                    && watermark_check::zone_watermark_ok_free(
                        zone,
                        order,
                        min,
                        ac.highest_zoneidx,
                        flags,
                        available as i64,
                    )
                {
                    return true;
                }
            }
        }
        // Before OOM, exhaust the high-atomic reserve.
        self.unreserve_highatomic_pageblock(ac, true)
    }

    /// `__alloc_pages_may_oom`: one more try at the high watermark, then the OOM killer
    /// unless the request may not invoke it. Returns a page, or whether the killer
    /// promised progress.
    fn may_oom(
        &self,
        gfp: Gfp,
        order: u32,
        ac: &AllocContext,
    ) -> Result<(Option<u64>, bool), AllocError> {
        let strict = (gfp | Gfp::HARDWALL) - Gfp::DIRECT_RECLAIM;
        let f = AllocFlags::WMARK_HIGH | AllocFlags::CPUSET;
        if let Some(p) = self.get_page_from_freelist(strict, order, f, ac)? {
            return Ok((Some(p), false));
        }
        let normal = self.layout.index_of(ZoneType::Normal).unwrap_or(0);
        if order > PAGE_ALLOC_COSTLY_ORDER
            || gfp.contains(Gfp::RETRY_MAYFAIL)
            || ac.highest_zoneidx < normal
            || gfp.contains(Gfp::THISNODE)
        {
            return Ok((None, false));
        }
        if self.hooks.out_of_memory(gfp, order) {
            return Ok((None, true));
        }
        if gfp.contains(Gfp::NOFAIL) {
            let p = self.cpuset_fallback(gfp, order, AllocFlags::NO_WATERMARKS, ac)?;
            return Ok((p, p.is_some()));
        }
        Ok((None, false))
    }

    /// `has_managed_dma`: whether any node's ZONE_DMA has managed pages (never
    /// without a DMA zone).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let _ = mm.has_managed_dma();
    /// # }
    /// ```
    pub fn has_managed_dma(&self) -> bool {
        self.nodes().any(|n| {
            n.zones()
                .iter()
                .any(|z| z.zone_type() == ZoneType::Dma && z.managed_pages() > 0)
        })
    }

    /// `warn_alloc`: the failure line with the mode's flag names, the nodemask and
    /// the cpuset's (the root's: every node with memory), the platform's
    /// `dump_stack`, then the memory report ([`Mm::warn_alloc_show_mem`]), on the platform's log.
    /// (The stack dump is tainted after a bad-page report, [`Mm::tainted_bad_page`].)
    pub(crate) fn warn_alloc(
        &self,
        gfp: Gfp,
        order: u32,
        nodemask: Option<&NodeMask>,
        _e: &AllocError,
    ) {
        let p = &self.platform;
        let mems_allowed = self
            .nodes()
            .filter(|n| n.zones().iter().any(|z| z.is_populated()))
            .fold(NodeMask::EMPTY, |m, n| m.with(n.nid()));
        match nodemask {
            Some(m) => p.printk(
                Level::Warning,
                format_args!(
                    "oxmm: page allocation failure: order:{order}, mode:{:#x}({gfp}), \
                     nodemask={m},cpuset=/,mems_allowed={mems_allowed}",
                    gfp.bits()
                ),
            ),
            None => p.printk(
                Level::Warning,
                format_args!(
                    "oxmm: page allocation failure: order:{order}, mode:{:#x}({gfp}), \
                     nodemask=(null),cpuset=/,mems_allowed={mems_allowed}",
                    gfp.bits()
                ),
            ),
        }
        p.dump_stack(self.tainted_bad_page());
        self.warn_alloc_show_mem(gfp, nodemask);
    }
}

//! NUMA memory policies (Linux v6.12: mm/mempolicy.c — `struct mempolicy`,
//! `mpol_new`/`mpol_set_nodemask`, `policy_nodemask`, `interleave_nodes`,
//! `interleave_nid`, `weighted_interleave_nodes`, `alloc_pages_mpol`,
//! `alloc_pages_preferred_many`).
//!
//! A policy picks the node an allocation starts from and the nodes it may use:
//! * `Local` — the calling CPU's node, falling back along its zonelist;
//! * `Preferred(n)` — node `n` first, then the zonelist's fallback;
//! * `PreferredMany(m)` — the nodes of `m` without reclaim, then anywhere;
//! * `Bind(m)` — only the nodes of `m` (for zones at or above `policy_zone`);
//! * `Interleave(m)` — successive allocations round-robin over `m`;
//! * `WeightedInterleave(m)` — round-robin taking `weight[n]` pages from each node.
//!
//! A [`TaskPolicy`] is one task's policy with its interleave cursor (`il_prev`,
//! `il_weight`), in atomics so that `&TaskPolicy` allocates. An interleaved page that
//! lands on the chosen node counts as `numa_interleave` on its zone.
//!
//! ```
//! use oxmm::mempolicy::MemPolicy;
//! use oxmm::types::{NodeId, NodeMask};
//! let m = NodeMask::EMPTY.with(NodeId(0)).with(NodeId(1));
//! assert_eq!(MemPolicy::Interleave(m).to_string(), "interleave:0-1");
//! assert_eq!(MemPolicy::Local.to_string(), "local");
//! ```

use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::page_alloc::AllocError;
use crate::platform::Platform;
use crate::types::{NodeId, NodeMask, Pfn, MAX_NUMNODES};
use crate::vmstat::NumaStatItem;
use core::fmt;
use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicU16, AtomicU8};

/// A memory policy (Linux: `struct mempolicy`'s mode and nodes).
///
/// ```
/// use oxmm::mempolicy::MemPolicy;
/// use oxmm::types::{NodeId, NodeMask};
/// assert_eq!(MemPolicy::Preferred(NodeId(1)).to_string(), "prefer:1");
/// assert_eq!(MemPolicy::Bind(NodeMask::EMPTY.with(NodeId(2))).to_string(), "bind:2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[doc(alias = "mempolicy")]
pub enum MemPolicy {
    /// `MPOL_LOCAL` (and the default, `MPOL_DEFAULT`): the calling CPU's node.
    #[default]
    Local,
    /// `MPOL_PREFERRED`: this node first.
    Preferred(NodeId),
    /// `MPOL_PREFERRED_MANY`: these nodes first.
    PreferredMany(NodeMask),
    /// `MPOL_BIND`: these nodes only.
    Bind(NodeMask),
    /// `MPOL_INTERLEAVE`: round-robin over these nodes.
    Interleave(NodeMask),
    /// `MPOL_WEIGHTED_INTERLEAVE`: weighted round-robin over these nodes.
    WeightedInterleave(NodeMask),
}

impl MemPolicy {
    /// The policy's nodes (`pol->nodes`; empty for `Local`).
    ///
    /// ```
    /// use oxmm::mempolicy::MemPolicy;
    /// use oxmm::types::{NodeId, NodeMask};
    /// assert_eq!(MemPolicy::Preferred(NodeId(2)).nodes(), NodeMask::EMPTY.with(NodeId(2)));
    /// assert!(MemPolicy::Local.nodes().is_empty());
    /// ```
    pub fn nodes(&self) -> NodeMask {
        match *self {
            MemPolicy::Local => NodeMask::EMPTY,
            MemPolicy::Preferred(n) => NodeMask::EMPTY.with(n),
            MemPolicy::PreferredMany(m)
            | MemPolicy::Bind(m)
            | MemPolicy::Interleave(m)
            | MemPolicy::WeightedInterleave(m) => m,
        }
    }

    /// The same mode over other nodes.
    fn with_nodes(self, m: NodeMask) -> MemPolicy {
        match self {
            MemPolicy::Local => MemPolicy::Local,
            MemPolicy::Preferred(_) => MemPolicy::Preferred(m.iter().next().unwrap_or(NodeId(0))),
            MemPolicy::PreferredMany(_) => MemPolicy::PreferredMany(m),
            MemPolicy::Bind(_) => MemPolicy::Bind(m),
            MemPolicy::Interleave(_) => MemPolicy::Interleave(m),
            MemPolicy::WeightedInterleave(_) => MemPolicy::WeightedInterleave(m),
        }
    }

    /// The mode's name as `/proc/<pid>/numa_maps` prints it (`policy_modes[]`).
    ///
    /// ```
    /// use oxmm::mempolicy::MemPolicy;
    /// use oxmm::types::NodeMask;
    /// assert_eq!(MemPolicy::WeightedInterleave(NodeMask(1)).mode_name(), "weighted interleave");
    /// ```
    #[doc(alias = "policy_modes")]
    pub const fn mode_name(&self) -> &'static str {
        match self {
            MemPolicy::Local => "local",
            MemPolicy::Preferred(_) => "prefer",
            MemPolicy::PreferredMany(_) => "prefer (many)",
            MemPolicy::Bind(_) => "bind",
            MemPolicy::Interleave(_) => "interleave",
            MemPolicy::WeightedInterleave(_) => "weighted interleave",
        }
    }
}

impl fmt::Display for MemPolicy {
    /// `mpol_to_str`: the mode, then `:` and the node list when there are nodes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mode_name())?;
        let m = self.nodes();
        if !m.is_empty() {
            write!(f, ":{m}")?;
        }
        Ok(())
    }
}

/// Why a policy was refused (`-EINVAL` of `set_mempolicy`).
///
/// ```
/// use oxmm::mempolicy::PolicyError;
/// use oxmm::types::{NodeId, NodeMask};
/// let e = PolicyError::NoMemoryNodes(NodeMask::EMPTY.with(NodeId(5)));
/// assert_eq!(e.to_string(), "EINVAL: nodemask 5 has no node with memory");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// None of the nodes (as given) is online with memory (`N_MEMORY`).
    NoMemoryNodes(NodeMask),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::NoMemoryNodes(m) => {
                write!(f, "EINVAL: nodemask {m} has no node with memory")
            }
        }
    }
}

/// One task's memory policy (`current->mempolicy`) with its interleave state
/// (`current->il_prev`, `il_weight`) and the weighted-interleave weights (Linux keeps
/// them system-wide in /sys/kernel/mm/mempolicy/weighted_interleave/; default 1).
///
/// ```
/// use oxmm::mempolicy::{MemPolicy, TaskPolicy};
/// let t = TaskPolicy::new();
/// assert_eq!(t.policy(), MemPolicy::Local);
/// ```
#[derive(Debug)]
pub struct TaskPolicy {
    policy: MemPolicy,
    il_prev: AtomicU16,
    il_weight: AtomicU8,
    iw_table: [AtomicU8; MAX_NUMNODES],
}

impl Default for TaskPolicy {
    fn default() -> Self {
        TaskPolicy::new()
    }
}

impl TaskPolicy {
    /// The default policy (local), every interleave weight 1.
    ///
    /// ```
    /// use oxmm::mempolicy::TaskPolicy;
    /// use oxmm::types::NodeId;
    /// static T: TaskPolicy = TaskPolicy::new();
    /// assert_eq!(T.il_weight(NodeId(0)), 1);
    /// ```
    pub const fn new() -> TaskPolicy {
        #[allow(clippy::declare_interior_mutable_const)]
        const ONE: AtomicU8 = AtomicU8::new(1);
        TaskPolicy {
            policy: MemPolicy::Local,
            il_prev: AtomicU16::new(MAX_NUMNODES as u16 - 1),
            il_weight: AtomicU8::new(0),
            iw_table: [ONE; MAX_NUMNODES],
        }
    }

    /// The policy in force.
    ///
    /// ```
    /// use oxmm::mempolicy::{MemPolicy, TaskPolicy};
    /// assert_eq!(TaskPolicy::default().policy(), MemPolicy::Local);
    /// ```
    pub fn policy(&self) -> MemPolicy {
        self.policy
    }

    /// `set_mempolicy` (`do_set_mempolicy`): the nodes are narrowed to the online nodes
    /// with memory (`mpol_set_nodemask`); none left is `EINVAL`. `Preferred` keeps its
    /// node; the interleave cursor restarts before the first node.
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
    /// use oxmm::mempolicy::{MemPolicy, TaskPolicy};
    /// use oxmm::types::{NodeId, NodeMask};
    /// let mut t = TaskPolicy::new();
    /// let both = NodeMask::EMPTY.with(NodeId(0)).with(NodeId(1));
    /// t.set_mempolicy(&mm, MemPolicy::Bind(both)).unwrap(); // node 1 has no memory
    /// assert_eq!(t.policy(), MemPolicy::Bind(NodeMask::EMPTY.with(NodeId(0))));
    /// assert!(t.set_mempolicy(&mm, MemPolicy::Preferred(NodeId(1))).is_err());
    /// ```
    #[doc(alias = "do_set_mempolicy")]
    pub fn set_mempolicy<P: Platform>(
        &mut self,
        mm: &Mm<P>,
        policy: MemPolicy,
    ) -> Result<(), PolicyError> {
        let given = policy.nodes();
        let policy = if policy == MemPolicy::Local {
            policy
        } else {
            let allowed = NodeMask(given.0 & mm.node_states_memory().0);
            if allowed.is_empty() {
                return Err(PolicyError::NoMemoryNodes(given));
            }
            policy.with_nodes(allowed)
        };
        self.policy = policy;
        self.il_prev.store(MAX_NUMNODES as u16 - 1, Relaxed);
        self.il_weight.store(0, Relaxed);
        Ok(())
    }

    /// Set node `nid`'s weighted-interleave weight (0 means the default, 1).
    ///
    /// ```
    /// use oxmm::mempolicy::TaskPolicy;
    /// use oxmm::types::NodeId;
    /// let t = TaskPolicy::new();
    /// t.set_il_weight(NodeId(1), 3);
    /// assert_eq!(t.il_weight(NodeId(1)), 3);
    /// assert_eq!(t.il_weight(NodeId(0)), 1);
    /// ```
    pub fn set_il_weight(&self, nid: NodeId, weight: u8) {
        if let Some(w) = self.iw_table.get(nid.0 as usize) {
            w.store(weight, Relaxed);
        }
    }

    /// `get_il_weight`: node `nid`'s weight (at least 1).
    ///
    /// ```
    /// use oxmm::mempolicy::TaskPolicy;
    /// use oxmm::types::NodeId;
    /// let t = TaskPolicy::new();
    /// t.set_il_weight(NodeId(3), 0);
    /// assert_eq!(t.il_weight(NodeId(3)), 1);
    /// ```
    #[doc(alias = "get_il_weight")]
    pub fn il_weight(&self, nid: NodeId) -> u8 {
        self.iw_table
            .get(nid.0 as usize)
            .map_or(1, |w| w.load(Relaxed))
            .max(1)
    }

    /// `interleave_nodes`: the node after `il_prev` in `mask` (wrapping), remembered.
    fn interleave_nodes(&self, mask: NodeMask) -> Option<NodeId> {
        let nid = next_node_in(self.il_prev.load(Relaxed), mask)?;
        self.il_prev.store(nid.0, Relaxed);
        Some(nid)
    }

    /// `weighted_interleave_nodes`: stay on `il_prev` while its weight lasts.
    fn weighted_interleave_nodes(&self, mask: NodeMask) -> Option<NodeId> {
        let mut node = self.il_prev.load(Relaxed);
        let mut weight = self.il_weight.load(Relaxed);
        if weight == 0 || !mask.contains(NodeId(node)) {
            node = next_node_in(node, mask)?.0;
            self.il_prev.store(node, Relaxed);
            weight = self.il_weight(NodeId(node));
        }
        self.il_weight.store(weight - 1, Relaxed);
        Some(NodeId(node))
    }
}

/// `next_node_in`: the first node of `mask` after `prev`, wrapping to the first.
fn next_node_in(prev: u16, mask: NodeMask) -> Option<NodeId> {
    let after = (prev as usize + 1).min(MAX_NUMNODES);
    mask.iter()
        .find(|n| n.0 as usize >= after)
        .or_else(|| mask.iter().next())
}

/// `interleave_nid`: the node for interleave index `ilx` (`ilx mod weight(mask)`-th).
fn interleave_nid(mask: NodeMask, ilx: u64) -> Option<NodeId> {
    let n = mask.weight() as u64;
    if n == 0 {
        return None;
    }
    mask.iter().nth((ilx % n) as usize)
}

/// `weighted_interleave_nid`: the node for index `ilx` with each node repeated its
/// weight's number of times.
fn weighted_interleave_nid(pol: &TaskPolicy, mask: NodeMask, ilx: u64) -> Option<NodeId> {
    let total: u64 = mask.iter().map(|n| pol.il_weight(n) as u64).sum();
    if total == 0 {
        return None;
    }
    let mut target = ilx % total;
    for n in mask.iter() {
        let w = pol.il_weight(n) as u64;
        if target < w {
            return Some(n);
        }
        target -= w;
    }
    None
}

impl<P: Platform> Mm<P> {
    /// `node_states[N_MEMORY]`: the online nodes with present pages.
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
    /// assert_eq!(mm.node_states_memory().to_string(), "0");
    /// ```
    #[doc(alias = "N_MEMORY")]
    pub fn node_states_memory(&self) -> NodeMask {
        self.nodes()
            .filter(|n| n.present_pages() > 0)
            .fold(NodeMask::EMPTY, |m, n| m.with(n.nid()))
    }

    /// `node_states[N_HIGH_MEMORY]`: nodes with present pages below ZONE_MOVABLE.
    fn node_states_high_memory(&self) -> NodeMask {
        let movable = self.layout.index_of(crate::mmzone::ZoneType::Movable);
        self.nodes()
            .filter(|n| {
                n.zones()
                    .iter()
                    .any(|z| Some(z.idx()) != movable && z.present_pages() > 0)
            })
            .fold(NodeMask::EMPTY, |m, n| m.with(n.nid()))
    }

    /// `policy_nodemask`: the node to start from (`nid` unless the policy names one)
    /// and the nodes allowed (only `Bind`, for zones at or above `policy_zone`, and
    /// `PreferredMany` restrict).
    fn policy_nodemask(
        &self,
        gfp: Gfp,
        pol: &TaskPolicy,
        ilx: Option<u64>,
        nid: NodeId,
    ) -> (NodeId, Option<NodeMask>) {
        match pol.policy {
            MemPolicy::Local => (nid, None),
            MemPolicy::Preferred(n) => (n, None),
            MemPolicy::PreferredMany(m) => (nid, Some(m)),
            MemPolicy::Bind(m) => {
                // apply_policy_zone: a mask of movable-only nodes binds ZONE_MOVABLE
                // requests only; lower zones are never restricted.
                let mut policy_zone = self.policy_zone;
                if m.0 & self.node_states_high_memory().0 == 0 {
                    if let Some(mz) = self.layout.index_of(crate::mmzone::ZoneType::Movable) {
                        policy_zone = mz;
                    }
                }
                let zone = gfp
                    .zone(&self.layout)
                    .ok()
                    .and_then(|t| self.layout.index_of(t))
                    .unwrap_or(0);
                (nid, (zone >= policy_zone).then_some(m))
            }
            MemPolicy::Interleave(m) => {
                let n = match ilx {
                    None => pol.interleave_nodes(m),
                    Some(i) => interleave_nid(m, i),
                };
                (n.unwrap_or(nid), None)
            }
            MemPolicy::WeightedInterleave(m) => {
                let n = match ilx {
                    None => pol.weighted_interleave_nodes(m),
                    Some(i) => weighted_interleave_nid(pol, m, i),
                };
                (n.unwrap_or(nid), None)
            }
        }
    }

    /// `alloc_pages_mpol`: allocate under `pol` starting from `nid` (the caller's node
    /// for [`Mm::alloc_pages_policy`]). `ilx` is the interleave index (a THP's
    /// position in its mapping); `None` (`NO_INTERLEAVE_INDEX`) advances the task's
    /// interleave cursor instead. A THP-order request with an index under a
    /// non-interleave policy that allows `nid` first tries `nid` alone without reclaim
    /// (`__GFP_THISNODE | __GFP_NORETRY`), as Linux does, and stops there unless the
    /// caller may reclaim directly.
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
    /// use oxmm::gfp::Gfp;
    /// use oxmm::mempolicy::{MemPolicy, TaskPolicy};
    /// use oxmm::types::{NodeId, NodeMask};
    /// let mut t = TaskPolicy::new();
    /// t.set_mempolicy(&mm, MemPolicy::Interleave(NodeMask::EMPTY.with(NodeId(0)))).unwrap();
    /// let pfn = mm.alloc_pages_mpol(Gfp::KERNEL, 0, &t, None, NodeId(0)).unwrap();
    /// mm.free_pages(pfn, 0).unwrap();
    /// ```
    #[doc(alias = "alloc_pages_mpol_noprof")]
    pub fn alloc_pages_mpol(
        &self,
        gfp: Gfp,
        order: u32,
        pol: &TaskPolicy,
        ilx: Option<u64>,
        nid: NodeId,
    ) -> Result<Pfn, AllocError> {
        let (nid, nodemask) = self.policy_nodemask(gfp, pol, ilx, nid);
        if let MemPolicy::PreferredMany(_) = pol.policy {
            return self.alloc_pages_preferred_many(gfp, order, nid, nodemask.as_ref());
        }
        let interleave = matches!(
            pol.policy,
            MemPolicy::Interleave(_) | MemPolicy::WeightedInterleave(_)
        );
        if order == self.pcp_thp_order()
            && ilx.is_some()
            && !interleave
            && nodemask.map_or(true, |m| m.contains(nid))
        {
            let local = gfp | Gfp::THISNODE | Gfp::NORETRY;
            let r = self.alloc_pages_nodemask(nid, local, order, None);
            if r.is_ok() || !gfp.contains(Gfp::DIRECT_RECLAIM) {
                return r;
            }
        }
        let r = self.alloc_pages_nodemask(nid, gfp, order, nodemask.as_ref());
        if let (MemPolicy::Interleave(_), Ok(p)) = (pol.policy, &r) {
            // NUMA_INTERLEAVE_HIT: the page is on the node interleaving chose (v6.12
            // counts it for MPOL_INTERLEAVE only).
            let zone = self.memmap.page(p.0).and_then(|d| {
                let z = self.node(NodeId(d.nid()))?.zones().get(d.zone_idx())?;
                (d.nid() == nid.0).then_some(z)
            });
            if let Some(z) = zone {
                self.count_numa_event(z, NumaStatItem::NumaInterleave);
            }
        }
        r
    }

    /// `alloc_pages_preferred_many`: the preferred nodes without direct reclaim, no
    /// `__GFP_NOFAIL` and no warning; then any node.
    fn alloc_pages_preferred_many(
        &self,
        gfp: Gfp,
        order: u32,
        nid: NodeId,
        nodemask: Option<&NodeMask>,
    ) -> Result<Pfn, AllocError> {
        let preferred = (gfp | Gfp::NOWARN) & !(Gfp::DIRECT_RECLAIM | Gfp::NOFAIL);
        self.alloc_pages_nodemask(nid, preferred, order, nodemask)
            .or_else(|_| self.alloc_pages_nodemask(nid, gfp, order, None))
    }

    /// `alloc_pages` under a task's policy: `pol` from the calling CPU's node, or the
    /// local policy for `__GFP_THISNODE` requests.
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
    /// use oxmm::gfp::Gfp;
    /// use oxmm::mempolicy::TaskPolicy;
    /// let t = TaskPolicy::new();
    /// let pfn = mm.alloc_pages_policy(Gfp::KERNEL, 1, &t).unwrap();
    /// mm.free_pages(pfn, 1).unwrap();
    /// ```
    #[doc(alias = "alloc_pages_noprof")]
    pub fn alloc_pages_policy(
        &self,
        gfp: Gfp,
        order: u32,
        pol: &TaskPolicy,
    ) -> Result<Pfn, AllocError> {
        let nid = self.numa_node_id();
        if gfp.contains(Gfp::THISNODE) {
            return self.alloc_pages_mpol(gfp, order, &TaskPolicy::new(), None, nid);
        }
        self.alloc_pages_mpol(gfp, order, pol, None, nid)
    }
}

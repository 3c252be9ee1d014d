//! NUMA memory policies on a two-node machine (mm/mempolicy.c semantics, v6.12).

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::{boot_numa, set_this_cpu, ThreadMem};

use oxmm::gfp::Gfp;
use oxmm::mempolicy::{MemPolicy, PolicyError, TaskPolicy};
use oxmm::mm::Mm;
use oxmm::page_alloc::AllocError;
use oxmm::types::{NodeId, NodeMask, Pfn};

const NORMAL: usize = 2;

fn mask(nodes: &[u16]) -> NodeMask {
    nodes
        .iter()
        .fold(NodeMask::EMPTY, |m, &n| m.with(NodeId(n)))
}

fn nid(mm: &Mm<ThreadMem>, p: Pfn) -> u16 {
    mm.memmap().page(p.0).unwrap().nid()
}

fn policy(mm: &Mm<ThreadMem>, p: MemPolicy) -> TaskPolicy {
    let mut t = TaskPolicy::new();
    t.set_mempolicy(mm, p).unwrap();
    t
}

fn free_all(mm: &Mm<ThreadMem>, held: Vec<(Pfn, u32)>) {
    for (p, o) in held {
        mm.free_pages(p, o).unwrap();
    }
    mm.drain_all_pages(None).unwrap();
    mm.check().unwrap();
}

#[test]
fn set_mempolicy_narrows_to_nodes_with_memory() {
    let mm = boot_numa(32);
    let mut t = TaskPolicy::new();
    assert_eq!(
        t.set_mempolicy(&mm, MemPolicy::Bind(NodeMask::EMPTY)),
        Err(PolicyError::NoMemoryNodes(NodeMask::EMPTY))
    );
    let e = t
        .set_mempolicy(&mm, MemPolicy::Interleave(mask(&[5, 9])))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "EINVAL: nodemask 5,9 has no node with memory"
    );
    assert_eq!(
        t.set_mempolicy(&mm, MemPolicy::Preferred(NodeId(3))),
        Err(PolicyError::NoMemoryNodes(mask(&[3])))
    );
    assert_eq!(
        t.policy(),
        MemPolicy::Local,
        "a refused policy changes nothing"
    );
    t.set_mempolicy(&mm, MemPolicy::Interleave(mask(&[0, 1, 7])))
        .unwrap();
    assert_eq!(t.policy(), MemPolicy::Interleave(mask(&[0, 1])));
    assert_eq!(t.policy().to_string(), "interleave:0-1");
    t.set_mempolicy(&mm, MemPolicy::PreferredMany(mask(&[1, 4])))
        .unwrap();
    assert_eq!(t.policy().to_string(), "prefer (many):1");
    t.set_mempolicy(&mm, MemPolicy::Local).unwrap();
    assert_eq!(t.policy().to_string(), "local");
    assert_eq!(mm.node_states_memory(), mask(&[0, 1]));
}

#[test]
fn local_follows_the_calling_cpu() {
    let mm = boot_numa(32);
    let t = TaskPolicy::new();
    for (cpu, node) in [(0, 0), (1, 0), (2, 1), (3, 1)] {
        set_this_cpu(cpu);
        let p = mm.alloc_pages_policy(Gfp::KERNEL, 0, &t).unwrap();
        assert_eq!(nid(&mm, p), node, "cpu {cpu}");
        mm.free_pages(p, 0).unwrap();
    }
    set_this_cpu(0);
    mm.check().unwrap();
}

#[test]
fn bind_never_leaves_its_nodes() {
    let mm = boot_numa(32);
    set_this_cpu(0);
    let t = policy(&mm, MemPolicy::Bind(mask(&[1])));
    let node0 = mm.node(NodeId(0)).unwrap();
    let free0: u64 = node0.zones().iter().map(|z| z.free_pages()).sum();
    let mut held = vec![];
    for order in [3u32, 0] {
        loop {
            match mm.alloc_pages_policy(Gfp::NOWAIT, order, &t) {
                Ok(p) => {
                    assert_eq!(nid(&mm, p), 1, "bind:1 from a node-0 CPU");
                    held.push((p, order));
                }
                Err(e) => {
                    assert!(matches!(e, AllocError::NoMemory { .. }), "{e}");
                    break;
                }
            }
        }
    }
    let pages: u64 = held.iter().map(|&(_, o)| 1u64 << o).sum();
    assert!(pages > 6000, "{pages}");
    // Node 0 gave nothing; GFP_KERNEL still fails rather than leaving node 1.
    let now0: u64 = node0.zones().iter().map(|z| z.free_pages()).sum();
    assert!(now0 >= free0 - 64, "only node 0's per-CPU refills moved");
    assert!(mm
        .alloc_pages_policy(Gfp::KERNEL | Gfp::NOWARN, 0, &t)
        .is_err());
    // Zones below policy_zone are not bound: a DMA32 request is served by node 0.
    let d = mm.alloc_pages_policy(Gfp::DMA32, 0, &t).unwrap();
    assert_eq!(nid(&mm, d), 0);
    held.push((d, 0));
    // __GFP_THISNODE requests use the local policy.
    let l = mm
        .alloc_pages_policy(Gfp::KERNEL | Gfp::THISNODE, 0, &t)
        .unwrap();
    assert_eq!(nid(&mm, l), 0);
    held.push((l, 0));
    mm.check().unwrap();
    free_all(&mm, held);
    // Bind to node 0 from a node-1 CPU.
    set_this_cpu(2);
    let t = policy(&mm, MemPolicy::Bind(mask(&[0])));
    let p = mm.alloc_pages_policy(Gfp::KERNEL, 2, &t).unwrap();
    assert_eq!(nid(&mm, p), 0);
    mm.free_pages(p, 2).unwrap();
    set_this_cpu(0);
    mm.check().unwrap();
}

#[test]
fn interleave_alternates_nodes() {
    let mm = boot_numa(32);
    let mut t = policy(&mm, MemPolicy::Interleave(mask(&[0, 1])));
    let mut held = vec![];
    let mut seen = vec![];
    for order in [0u32, 0, 1, 0, 3, 0, 0, 2] {
        let p = mm.alloc_pages_policy(Gfp::KERNEL, order, &t).unwrap();
        seen.push(nid(&mm, p));
        held.push((p, order));
    }
    assert_eq!(seen, [0, 1, 0, 1, 0, 1, 0, 1]);
    // Setting the policy again restarts before the first node.
    let p = mm.alloc_pages_policy(Gfp::KERNEL, 0, &t).unwrap();
    assert_eq!(nid(&mm, p), 0);
    held.push((p, 0));
    t.set_mempolicy(&mm, MemPolicy::Interleave(mask(&[0, 1])))
        .unwrap();
    let p = mm.alloc_pages_policy(Gfp::KERNEL, 0, &t).unwrap();
    assert_eq!(nid(&mm, p), 0);
    held.push((p, 0));
    // An interleave index picks index mod the node count, cursor untouched.
    for ilx in [5u64, 2, 7, 4] {
        let p = mm
            .alloc_pages_mpol(Gfp::KERNEL, 0, &t, Some(ilx), NodeId(0))
            .unwrap();
        assert_eq!(nid(&mm, p) as u64, ilx % 2);
        held.push((p, 0));
    }
    let p = mm.alloc_pages_policy(Gfp::KERNEL, 0, &t).unwrap();
    assert_eq!(nid(&mm, p), 1);
    held.push((p, 0));
    // A single node interleaves with itself.
    let one = policy(&mm, MemPolicy::Interleave(mask(&[1])));
    for _ in 0..3 {
        let p = mm.alloc_pages_policy(Gfp::KERNEL, 0, &one).unwrap();
        assert_eq!(nid(&mm, p), 1);
        held.push((p, 0));
    }
    mm.check().unwrap();
    free_all(&mm, held);
}

#[test]
fn weighted_interleave_takes_weight_pages_per_node() {
    let mm = boot_numa(32);
    let t = policy(&mm, MemPolicy::WeightedInterleave(mask(&[0, 1])));
    t.set_il_weight(NodeId(0), 3);
    let mut held = vec![];
    let seen: Vec<u16> = (0..8)
        .map(|_| {
            let p = mm.alloc_pages_policy(Gfp::KERNEL, 0, &t).unwrap();
            held.push((p, 0));
            nid(&mm, p)
        })
        .collect();
    assert_eq!(seen, [0, 0, 0, 1, 0, 0, 0, 1]);
    // By index: 0,1,2 → node 0, 3 → node 1 (weights 3 + 1).
    for (ilx, want) in [(0u64, 0u16), (2, 0), (3, 1), (7, 1), (8, 0)] {
        let p = mm
            .alloc_pages_mpol(Gfp::KERNEL, 0, &t, Some(ilx), NodeId(0))
            .unwrap();
        assert_eq!(nid(&mm, p), want, "ilx {ilx}");
        held.push((p, 0));
    }
    // Weight 0 means the default, 1.
    t.set_il_weight(NodeId(0), 0);
    assert_eq!(t.il_weight(NodeId(0)), 1);
    mm.check().unwrap();
    free_all(&mm, held);
}

/// Allocate order-0 pages under `t` from CPU 0 until one comes from node 0; returns
/// how many came from node 1 first, and everything held.
fn fill_node1_then_fall_back(mm: &Mm<ThreadMem>, t: &TaskPolicy) -> (usize, Vec<(Pfn, u32)>) {
    let mut held = vec![];
    loop {
        let p = mm.alloc_pages_policy(Gfp::NOWAIT, 0, t).unwrap();
        held.push((p, 0));
        if nid(mm, p) == 0 {
            return (held.len() - 1, held);
        }
    }
}

#[test]
fn preferred_falls_back_when_its_node_is_full() {
    let mm = boot_numa(32);
    set_this_cpu(0);
    let t = policy(&mm, MemPolicy::Preferred(NodeId(1)));
    let z1 = &mm.node(NodeId(1)).unwrap().zones()[NORMAL];
    let managed = z1.managed_pages() as usize;
    let (from1, held) = fill_node1_then_fall_back(&mm, &t);
    // Node 1 gave all it had above its low watermark before node 0 was used.
    assert!(
        from1 > managed - 2 * z1.watermarks().low() as usize - 200,
        "{from1}"
    );
    assert!(z1.free_pages() <= z1.watermarks().low() + 64);
    mm.check().unwrap();
    free_all(&mm, held);
}

#[test]
fn preferred_many_tries_its_nodes_first_then_anywhere() {
    let mm = boot_numa(32);
    set_this_cpu(0);
    let t = policy(&mm, MemPolicy::PreferredMany(mask(&[1])));
    let p = mm.alloc_pages_policy(Gfp::KERNEL, 1, &t).unwrap();
    assert_eq!(nid(&mm, p), 1);
    mm.free_pages(p, 1).unwrap();
    let z1 = &mm.node(NodeId(1)).unwrap().zones()[NORMAL];
    let (from1, held) = fill_node1_then_fall_back(&mm, &t);
    assert!(from1 > 1000);
    assert!(z1.free_pages() <= z1.watermarks().low() + 64);
    // The first, restricted pass never warns, even for GFP_KERNEL.
    let k = mm.alloc_pages_policy(Gfp::KERNEL, 0, &t).unwrap();
    assert_eq!(nid(&mm, k), 0);
    assert!(mm.platform().take_log().is_empty());
    mm.check().unwrap();
    let mut held = held;
    held.push((k, 0));
    free_all(&mm, held);
}

#[test]
fn thp_with_an_index_stays_on_the_preferred_node() {
    let mm = boot_numa(32);
    set_this_cpu(0);
    let thp = 9u32;
    let light = Gfp::TRANSHUGE_LIGHT;
    assert!(!light.contains(Gfp::DIRECT_RECLAIM));
    // Take every THP-sized block of node 1.
    let mut held = vec![];
    while let Ok(p) = mm.alloc_pages_node(NodeId(1), light | Gfp::THISNODE, thp) {
        assert_eq!(nid(&mm, p), 1);
        held.push((p, thp));
    }
    assert!(!held.is_empty());
    let pref = policy(&mm, MemPolicy::Preferred(NodeId(1)));
    // A THP fault (an interleave index) without direct reclaim: node 1 only.
    let e = mm
        .alloc_pages_mpol(light, thp, &pref, Some(0), NodeId(0))
        .unwrap_err();
    assert!(matches!(e, AllocError::NoMemory { order: 9, .. }), "{e}");
    // No index (alloc_pages): the zonelist fallback to node 0 applies.
    let p = mm
        .alloc_pages_mpol(light, thp, &pref, None, NodeId(0))
        .unwrap();
    assert_eq!(nid(&mm, p), 0);
    held.push((p, thp));
    // Interleave allocates the standard way even with an index.
    let il = policy(&mm, MemPolicy::Interleave(mask(&[1])));
    let p = mm
        .alloc_pages_mpol(light, thp, &il, Some(0), NodeId(0))
        .unwrap();
    assert_eq!(nid(&mm, p), 0);
    held.push((p, thp));
    mm.check().unwrap();
    free_all(&mm, held);
}

fn interleave_hits(mm: &Mm<ThreadMem>) -> u64 {
    mm.nodes()
        .flat_map(|n| n.zones().iter())
        .map(|z| z.numa_event_state(oxmm::vmstat::NumaStatItem::NumaInterleave))
        .sum()
}

#[test]
fn interleave_hits_are_counted_on_the_zone() {
    let mm = boot_numa(32);
    set_this_cpu(0);
    let mut held = vec![];
    let il = policy(&mm, MemPolicy::Interleave(mask(&[0, 1])));
    for _ in 0..6 {
        held.push((mm.alloc_pages_policy(Gfp::KERNEL, 0, &il).unwrap(), 0));
    }
    assert_eq!(interleave_hits(&mm), 6);
    let z1 = &mm.node(NodeId(1)).unwrap().zones()[NORMAL];
    assert_eq!(
        z1.numa_event_state(oxmm::vmstat::NumaStatItem::NumaInterleave),
        3
    );
    // v6.12 counts MPOL_INTERLEAVE only; other policies never.
    let w = policy(&mm, MemPolicy::WeightedInterleave(mask(&[0, 1])));
    let b = policy(&mm, MemPolicy::Bind(mask(&[1])));
    for t in [&w, &b] {
        held.push((mm.alloc_pages_policy(Gfp::KERNEL, 0, t).unwrap(), 0));
    }
    assert_eq!(interleave_hits(&mm), 6);
    // A page that lands off the chosen node is no hit: node 1 has no DMA32 zone.
    let only1 = policy(&mm, MemPolicy::Interleave(mask(&[1])));
    let p = mm.alloc_pages_policy(Gfp::DMA32, 0, &only1).unwrap();
    assert_eq!(nid(&mm, p), 0);
    held.push((p, 0));
    assert_eq!(interleave_hits(&mm), 6);
    free_all(&mm, held);
}

//! Zonelist node order (Linux: `find_next_best_node`, `build_zonelists`,
//! mm/page_alloc.c).

use super::Distances;
use crate::types::{NodeId, MAX_NUMNODES};

/// `PENALTY_FOR_NODE_WITH_CPUS`.
const PENALTY_FOR_NODE_WITH_CPUS: i64 = 1;

/// The node facts zonelist ordering looks at.
///
/// ```
/// use oxmm::boot::NodeFacts;
/// let f = NodeFacts::default();
/// assert!(!f.has_memory[0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NodeFacts {
    /// `node_state(n, N_MEMORY)`.
    pub has_memory: [bool; MAX_NUMNODES],
    /// The node has CPUs.
    pub has_cpus: [bool; MAX_NUMNODES],
}

impl Default for NodeFacts {
    fn default() -> Self {
        NodeFacts {
            has_memory: [false; MAX_NUMNODES],
            has_cpus: [false; MAX_NUMNODES],
        }
    }
}

/// `find_next_best_node(node, used)`: the local node first if it has memory, then the
/// unused memory node with the smallest `(distance + (n < node) + has_cpus) *
/// MAX_NUMNODES + node_load[n]`, ties to the lower id.
///
/// ```
/// use oxmm::boot::{find_next_best_node, Distances, NodeFacts};
/// let mut f = NodeFacts::default();
/// f.has_memory[0] = true;
/// f.has_memory[1] = true;
/// let mut used = [false; 64];
/// let load = [0u32; 64];
/// let d = Distances::default();
/// assert_eq!(find_next_best_node(1, &mut used, &f, &d, &load), Some(1));
/// assert_eq!(find_next_best_node(1, &mut used, &f, &d, &load), Some(0));
/// assert_eq!(find_next_best_node(1, &mut used, &f, &d, &load), None);
/// ```
pub fn find_next_best_node(
    node: usize,
    used: &mut [bool; MAX_NUMNODES],
    facts: &NodeFacts,
    dist: &Distances<'_>,
    node_load: &[u32; MAX_NUMNODES],
) -> Option<usize> {
    if node < MAX_NUMNODES && !used[node] && facts.has_memory[node] {
        used[node] = true;
        return Some(node);
    }
    let mut best: Option<(i64, usize)> = None;
    for n in 0..MAX_NUMNODES {
        if !facts.has_memory[n] || used[n] {
            continue;
        }
        let mut val = dist.get(NodeId(node as u16), NodeId(n as u16)) as i64;
        val += (n < node) as i64;
        if facts.has_cpus[n] {
            val += PENALTY_FOR_NODE_WITH_CPUS;
        }
        val *= MAX_NUMNODES as i64;
        val += node_load[n] as i64;
        if best.map_or(true, |(b, _)| val < b) {
            best = Some((val, n));
        }
    }
    let (_, n) = best?;
    used[n] = true;
    Some(n)
}

/// `build_zonelists`' node order for `local`, updating `node_load` as Linux does (the
/// first node of each new distance group gets one more load). Writes the order into
/// `order` and returns its length.
///
/// ```
/// use oxmm::boot::{build_node_order, Distances, NodeFacts};
/// let mut f = NodeFacts::default();
/// for n in 0..4 { f.has_memory[n] = true; f.has_cpus[n] = true; }
/// let mut load = [0u32; 64];
/// let mut order = [0u8; 64];
/// let d = Distances::default();
/// let n = build_node_order(0, &f, &d, &mut load, &mut order);
/// assert_eq!(&order[..n], &[0, 1, 2, 3]);
/// let n = build_node_order(1, &f, &d, &mut load, &mut order);
/// assert_eq!(&order[..n], &[1, 2, 3, 0]); // node 1 was loaded by node 0's list
/// ```
pub fn build_node_order(
    local: usize,
    facts: &NodeFacts,
    dist: &Distances<'_>,
    node_load: &mut [u32; MAX_NUMNODES],
    order: &mut [u8; MAX_NUMNODES],
) -> usize {
    let mut used = [false; MAX_NUMNODES];
    let mut prev = local;
    let mut nr = 0;
    let d = |a: usize, b: usize| dist.get(NodeId(a as u16), NodeId(b as u16));
    while let Some(node) = find_next_best_node(local, &mut used, facts, dist, node_load) {
        if d(local, node) != d(local, prev) {
            node_load[node] += 1;
        }
        order[nr] = node as u8;
        nr += 1;
        prev = node;
    }
    nr
}

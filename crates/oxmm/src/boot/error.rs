//! Why a generic boot failed.

use crate::mmzone::ZoneType;
use crate::types::{NodeId, PhysAddr};
use core::fmt;

/// A generic-boot failure; each variant names the offending value.
///
/// ```
/// use oxmm::boot::BootError;
/// use oxmm::types::NodeId;
/// let e = BootError::UnknownNode { nid: NodeId(3) };
/// assert!(e.to_string().contains("node 3"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootError {
    /// memblock.memory is empty.
    NoMemory,
    /// A memblock memory region carries a node id that `BootConfig::nodes` does not list.
    UnknownNode {
        /// The node id found in memblock.
        nid: NodeId,
    },
    /// A node id is `MAX_NUMNODES` or above.
    NodeOutOfRange {
        /// The node id.
        nid: NodeId,
    },
    /// A node appears twice in `BootConfig::nodes`.
    DuplicateNode {
        /// The node id.
        nid: NodeId,
    },
    /// A zone's limit is below the limit of a lower zone.
    ZoneLimitsNotIncreasing {
        /// The zone whose limit is too low.
        zone: ZoneType,
        /// Its limit (exclusive pfn).
        limit: u64,
        /// The lower zone.
        below: ZoneType,
        /// The lower zone's limit.
        below_limit: u64,
    },
    /// memblock could not provide the memmap of a run of sections.
    MemmapAlloc {
        /// The node whose memory was asked.
        nid: NodeId,
        /// Bytes requested.
        size: u64,
    },
    /// memblock could not provide a boot table (section table, pageblock bitmap).
    TableAlloc {
        /// Which table.
        what: &'static str,
        /// Bytes requested.
        size: u64,
    },
    /// More present memory than 32-bit memmap indices can number.
    TooMuchMemory {
        /// Present sections.
        sections: u64,
        /// Pages those sections hold.
        pages: u64,
    },
    /// A Full boot needs a direct map but the platform's base is null.
    NoDirectMap,
    /// The platform's direct map does not start on a page boundary (Linux's
    /// `PAGE_OFFSET` always does): page-aligned physical memory would not be
    /// page-aligned in it, nor the structures and objects placed there.
    DirectMapMisaligned {
        /// `direct_map_base()`.
        base: usize,
        /// The alignment needed: the page size.
        align: u64,
    },
    /// The buddy allocator could not hold a zone's per-CPU lists.
    PerCpuAlloc {
        /// The zone's node.
        nid: NodeId,
        /// Bytes asked for.
        bytes: u64,
    },
    /// A CMA area is not inside one zone's memory.
    BadCmaArea {
        /// The area's base.
        base: PhysAddr,
        /// Its size.
        size: u64,
    },
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BootError::NoMemory => write!(f, "memblock.memory is empty: no memory to boot with"),
            BootError::UnknownNode { nid } => write!(
                f,
                "memblock memory belongs to node {} which the boot configuration does not list",
                nid.0
            ),
            BootError::NodeOutOfRange { nid } => write!(
                f,
                "node {} is out of range (MAX_NUMNODES is {})",
                nid.0,
                crate::types::MAX_NUMNODES
            ),
            BootError::DuplicateNode { nid } => {
                write!(f, "node {} is listed twice in the boot configuration", nid.0)
            }
            BootError::ZoneLimitsNotIncreasing {
                zone,
                limit,
                below,
                below_limit,
            } => write!(
                f,
                "zone limit of {zone} (pfn {limit:#x}) is below the limit of {below} (pfn {below_limit:#x})"
            ),
            BootError::MemmapAlloc { nid, size } => write!(
                f,
                "memblock cannot allocate {size:#x} bytes of memmap on node {}",
                nid.0
            ),
            BootError::TableAlloc { what, size } => {
                write!(f, "memblock cannot allocate {size:#x} bytes for the {what}")
            }
            BootError::TooMuchMemory { sections, pages } => write!(
                f,
                "{sections} present sections hold {pages} pages, more than 32-bit memmap indices can number"
            ),
            BootError::NoDirectMap => write!(f, "a Full boot needs a direct map but the platform's direct_map_base is null"),
            BootError::DirectMapMisaligned { base, align } => write!(
                f,
                "the direct map must start on a page boundary: direct_map_base {base:#x} is not {align}-byte aligned"
            ),
            BootError::PerCpuAlloc { nid, bytes } => write!(
                f,
                "no memory for the per-CPU page lists of node {} ({bytes} bytes)",
                nid.0
            ),
            BootError::BadCmaArea { base, size } => write!(
                f,
                "CMA area [mem {base}-{:#018x}] is not inside one zone's memory",
                base.0.wrapping_add(size).wrapping_sub(1)
            ),
        }
    }
}

impl core::error::Error for BootError {}

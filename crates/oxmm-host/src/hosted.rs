//! The hosted machine: a machine description booted on process memory.
//!
//! `machine.setup()` (the architecture part: memblock, nodes, options) → a [`PhysMem`]
//! sized to the machine → the core's boot → a [`HostedMachine`] that keeps the log.
//!
//! [`PhysMem`]: crate::physmem::PhysMem

use std::io;

/// Why a hosted machine could not be built or booted. Every variant names the value
/// that was wrong.
///
/// ```
/// use oxmm_host::hosted::HostError;
/// let e = HostError::PhysMemSize { size: 0, reason: "the physical address space is empty" };
/// assert!(e.to_string().contains("0 bytes"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The physical address space cannot have this size.
    #[error("physical memory of {size} bytes ({}): {reason}", human_size(*size))]
    PhysMemSize {
        /// The requested size in bytes.
        size: u64,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A system call creating or mapping physical memory failed.
    #[error("physical memory of {size} bytes ({}): {call} failed: {source}", human_size(*size))]
    PhysMemSys {
        /// Bytes being created or mapped.
        size: u64,
        /// The failing call.
        call: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// A physical range outside the machine's memory.
    #[error("physical range {phys:#x}+{len:#x} is outside the machine's {size:#x} bytes of physical address space")]
    PhysOutOfRange {
        /// Start of the range.
        phys: u64,
        /// Its length.
        len: u64,
        /// Size of the physical address space.
        size: u64,
    },
    /// A physical range that is not page aligned where it must be.
    #[error("physical range {phys:#x}+{len:#x} is not aligned to 4 KiB host pages")]
    Unaligned {
        /// Start of the range.
        phys: u64,
        /// Its length.
        len: u64,
    },
    /// A physical range backed by anonymous memory, which cannot be mapped twice.
    #[error("physical range {phys:#x}+{len:#x} overlaps [{start:#x}, {end:#x}), which is backed by anonymous memory (the memory manager's own metadata) and cannot be aliased")]
    NotAliasable {
        /// Start of the requested range.
        phys: u64,
        /// Its length.
        len: u64,
        /// Start of the anonymous range it overlaps.
        start: u64,
        /// End of that range.
        end: u64,
    },
    /// A machine with no CPUs.
    #[error("the machine has 0 CPUs; at least one is needed")]
    NoCpus,
}

/// `1.5 GiB`-style size for error messages.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

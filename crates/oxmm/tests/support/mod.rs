//! Shared test platform for the core's integration tests.

use oxmm::platform::Platform;
use oxmm::types::VirtAddr;

/// Physical memory backed by a `Vec` (zeroed), with a fixed CPU id 0 and `cpus` CPUs;
/// TLB flushes are no-ops because nothing maps it a second time.
pub struct VecMem {
    mem: Vec<u64>,
    cpus: usize,
}

impl VecMem {
    /// `bytes` of physical memory starting at address 0, on a machine with `cpus` CPUs.
    pub fn new(bytes: u64, cpus: usize) -> Self {
        VecMem {
            mem: vec![0u64; bytes.div_ceil(8) as usize],
            cpus,
        }
    }

    /// The whole memory, to compare two machines byte for byte.
    #[allow(dead_code)] // not every test file compares memories
    pub fn bytes(&self) -> &[u64] {
        &self.mem
    }
}

impl Platform for VecMem {
    fn direct_map_base(&self) -> *mut u8 {
        self.mem.as_ptr() as *mut u8
    }
    fn cpu_id(&self) -> usize {
        0
    }
    fn nr_cpus(&self) -> usize {
        self.cpus
    }
    fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
}

//! Shared test platform for the core's integration tests.

use oxmm::platform::Platform;
use oxmm::types::VirtAddr;

/// Physical memory backed by a `Vec` (zeroed), with a fixed CPU id 0 and `cpus` CPUs;
/// TLB flushes are no-ops because nothing maps it a second time.
pub struct VecMem {
    mem: Vec<u64>,
    /// Where the direct map starts in `mem`, in words: at a 64 KiB boundary, so it is
    /// page-aligned for every page size (`Mm::boot` requires it, as Linux's
    /// `PAGE_OFFSET` is).
    off: usize,
    len: usize,
    cpus: usize,
}

#[allow(dead_code)] // not every test file builds a VecMem
impl VecMem {
    /// `bytes` of physical memory starting at address 0, on a machine with `cpus` CPUs.
    pub fn new(bytes: u64, cpus: usize) -> Self {
        let (mem, off, len) = aligned_words(bytes);
        VecMem {
            mem,
            off,
            len,
            cpus,
        }
    }

    /// The whole memory, to compare two machines byte for byte.
    #[allow(dead_code)] // not every test file compares memories
    pub fn bytes(&self) -> &[u64] {
        &self.mem[self.off..self.off + self.len]
    }
}

/// A zeroed buffer holding `bytes` from a 64 KiB boundary: the buffer, the offset of
/// that boundary and the length, both in words.
fn aligned_words(bytes: u64) -> (Vec<u64>, usize, usize) {
    const ALIGN: usize = 64 << 10;
    let len = bytes.div_ceil(8) as usize;
    let mem = vec![0u64; len + ALIGN / 8];
    let off = (mem.as_ptr() as usize).next_multiple_of(ALIGN) - mem.as_ptr() as usize;
    (mem, off / 8, len)
}

// SAFETY: the direct map is this value's own zeroed buffer from a 64 KiB boundary,
// as large as the machine and used by nothing else while it lives.
unsafe impl Platform for VecMem {
    fn direct_map_base(&self) -> *mut u8 {
        self.mem[self.off..].as_ptr() as *mut u8
    }
    fn cpu_id(&self) -> usize {
        0
    }
    fn nr_cpus(&self) -> usize {
        self.cpus
    }
    fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
}

std::thread_local! {
    static THIS_CPU: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Run the calling thread as CPU `cpu` of every [`ThreadMem`] machine.
#[allow(dead_code)]
pub fn set_this_cpu(cpu: usize) {
    THIS_CPU.with(|c| c.set(cpu));
}

/// Like [`VecMem`], but the CPU id is the calling thread's (see [`set_this_cpu`]), so
/// threads get per-CPU lists of their own, and `printk` lines are kept.
#[allow(dead_code)]
pub struct ThreadMem {
    mem: Vec<u64>,
    /// As [`VecMem`]'s.
    off: usize,
    cpus: usize,
    log: std::sync::Mutex<Vec<String>>,
}

#[allow(dead_code)]
impl ThreadMem {
    /// `bytes` of physical memory starting at address 0, on a machine with `cpus` CPUs.
    pub fn new(bytes: u64, cpus: usize) -> Self {
        let (mem, off, _) = aligned_words(bytes);
        ThreadMem {
            mem,
            off,
            cpus,
            log: Default::default(),
        }
    }

    /// The run-time log lines so far (and forget them).
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

// SAFETY: as VecMem's.
unsafe impl Platform for ThreadMem {
    fn direct_map_base(&self) -> *mut u8 {
        self.mem[self.off..].as_ptr() as *mut u8
    }
    fn cpu_id(&self) -> usize {
        THIS_CPU.with(|c| c.get()) % self.cpus
    }
    fn nr_cpus(&self) -> usize {
        self.cpus
    }
    fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    fn printk(&self, _level: oxmm::printk::Level, args: std::fmt::Arguments<'_>) {
        self.log.lock().unwrap().push(args.to_string());
    }
}

/// Boot straight into a `Box` (a machine is a few hundred KiB: keep it off test stacks).
#[allow(dead_code)]
pub fn boot_boxed<P: Platform>(
    platform: P,
    mb: oxmm::memblock::Memblock,
    cfg: &oxmm::boot::BootConfig<'_>,
    mode: oxmm::mm::BootMode,
) -> Box<oxmm::mm::Mm<P>> {
    let mut slot: Box<std::mem::MaybeUninit<oxmm::mm::Mm<P>>> =
        Box::new(std::mem::MaybeUninit::uninit());
    oxmm::mm::Mm::boot_in_place(
        &mut slot,
        platform,
        mb,
        cfg,
        mode,
        &mut oxmm::printk::NullLog,
        &oxmm::boot::SerialRunner,
    )
    .unwrap();
    // SAFETY: boot_in_place succeeded, so the slot is initialised.
    unsafe { Box::from_raw(Box::into_raw(slot).cast()) }
}

/// One node of 64 MiB from 4 KiB (DMA below 16 MiB, then DMA32), two CPUs, booted in
/// full: the small machine of the slab tests.
#[allow(dead_code)]
pub fn boot_small() -> Box<oxmm::mm::Mm<ThreadMem>> {
    use oxmm::boot::{Arch, BootConfig};
    use oxmm::memblock::Memblock;
    use oxmm::mm::BootMode;
    use oxmm::mmzone::ZoneType;
    use oxmm::types::PhysAddr;
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    boot_boxed(ThreadMem::new(64 << 20, 2), mb, &cfg, BootMode::Full)
}

/// Two nodes of `mib` MiB each (node 0 from 4 KiB: DMA + DMA32; node 1: Normal), two
/// CPUs each, SLIT 10/20, booted in full and checked.
#[allow(dead_code)]
pub fn boot_numa(mib: u64) -> Box<oxmm::mm::Mm<ThreadMem>> {
    use oxmm::boot::{BootConfig, NodeDesc};
    use oxmm::memblock::{Memblock, MemblockFlags};
    use oxmm::mmzone::ZoneType;
    use oxmm::types::{NodeId, PhysAddr};
    static NODES: [NodeDesc; 2] = [
        NodeDesc {
            nid: NodeId(0),
            nr_cpus: 2,
        },
        NodeDesc {
            nid: NodeId(1),
            nr_cpus: 2,
        },
    ];
    static DIST: [u8; 4] = [10, 20, 20, 10];
    let size = mib << 20;
    let mut mb = Memblock::new();
    mb.add_node(
        PhysAddr(0x1000),
        size - 0x1000,
        NodeId(0),
        MemblockFlags::empty(),
    )
    .unwrap();
    mb.add_node(PhysAddr(size), size, NodeId(1), MemblockFlags::empty())
        .unwrap();
    let mut cfg = BootConfig::new(oxmm::boot::Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, size >> 12);
    cfg.zone_limits.set(ZoneType::Normal, (2 * size) >> 12);
    cfg.nodes = &NODES;
    cfg.distances = oxmm::boot::Distances::new(2, &DIST).unwrap();
    let mm = boot_boxed(
        ThreadMem::new(2 * size, 4),
        mb,
        &cfg,
        oxmm::mm::BootMode::Full,
    );
    mm.check().unwrap();
    mm
}

/// `Mm::check` in a build without `debug_vm` (the invariant checker is CONFIG_DEBUG_VM's):
/// nothing to walk, so every state passes. With `debug_vm` the inherent method is the
/// one called, so the same tests exercise both builds.
#[cfg(not(feature = "debug_vm"))]
pub trait CheckExt {
    /// Always `Ok`: no checker in this build.
    fn check(&self) -> Result<(), oxmm::mm::CheckError>;
}

#[cfg(not(feature = "debug_vm"))]
impl<P: Platform> CheckExt for oxmm::mm::Mm<P> {
    fn check(&self) -> Result<(), oxmm::mm::CheckError> {
        Ok(())
    }
}

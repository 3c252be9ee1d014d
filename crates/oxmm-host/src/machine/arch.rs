//! The architecture part of boot (Linux: `setup_arch` up to `zone_sizes_init`): the
//! firmware map becomes memblock, NUMA affinity is applied, early reservations and CMA
//! areas are made, and the zone limits are computed.

use super::cmdline::{BootOptions, Memmap};
use super::e820::{E820Table, E820Type};
use super::error::{ErrorKind, Location, MachineError};
use super::{parse_range, Machine};
use oxmm::boot::{
    Arch, BootConfig, CmaArea, Distances, KernelImage, LogFormat, NodeDesc, ZoneLimits,
};
use oxmm::memblock::{Memblock, MemblockFlags};
use oxmm::mmzone::{ZoneLayout, ZoneType, MAX_NR_ZONES};
use oxmm::types::{NodeId, PageGeometry, PhysAddr, MAX_NUMNODES};
use std::collections::HashSet;
use std::sync::Mutex;

/// Everything the architecture part of boot leaves behind: memblock and what
/// [`BootConfig`] borrows.
///
/// ```
/// use oxmm_host::machine::Machine;
/// let s = Machine::profile("numa-2x16g").unwrap().setup().unwrap();
/// let cfg = s.boot_config();
/// assert_eq!(cfg.nodes.len(), 2);
/// assert_eq!(cfg.distances.get(oxmm::types::NodeId(0), oxmm::types::NodeId(1)), 21);
/// ```
#[derive(Clone, Debug)]
pub struct ArchSetup {
    arch: Arch,
    geometry: PageGeometry,
    memblock: Box<Memblock>,
    nodes: Vec<NodeDesc>,
    dist_n: usize,
    distances: Vec<u8>,
    cma: Vec<CmaArea<'static>>,
    zone_limits: ZoneLimits,
    nr_cpus: u32,
    options: BootOptions,
    kernel: KernelImage,
    log_format: LogFormat,
    max_pfn: u64,
    max_low_pfn: u64,
    zone_layout: ZoneLayout,
    config_numa: bool,
    ia32_layout: Option<oxmm::boot::Ia32Layout>,
    print_fallback_order: Option<bool>,
    dma_reserve: Option<u64>,
    struct_page_size: Option<u64>,
    late_free: Vec<(u64, u64, String)>,
}

impl ArchSetup {
    /// The `[[late_free]]` ranges `[start, end)` and their names, in order: reserved in
    /// memblock, to be freed once boot is done.
    ///
    /// ```
    /// let mut m = oxmm_host::machine::Machine::profile("pc-8g").unwrap();
    /// m.late_free.push(oxmm_host::machine::LateFree { name: "initrd".into(), range: "0x40000000-0x400fffff".into() });
    /// let s = m.setup().unwrap();
    /// assert_eq!(s.late_frees()[0].0, 0x4000_0000);
    /// assert!(s.memblock().reserved().overlaps_region(oxmm::types::PhysAddr(0x4000_0000), 0x10_0000));
    /// ```
    pub fn late_frees(&self) -> &[(u64, u64, String)] {
        &self.late_free
    }

    /// The populated memblock.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let s = oxmm_host::machine::Machine::profile("pc-8g").unwrap().setup().unwrap();
    /// let mb = s.memblock();
    /// assert_eq!(mb.memory().regions()[0].base, PhysAddr(0x1000)); // pfn 0 trimmed (BIOS data)
    /// assert!(mb.reserved().overlaps_region(PhysAddr(0x7c00_0000), 0x300_0000)); // the initrd
    /// ```
    pub fn memblock(&self) -> &Memblock {
        &self.memblock
    }

    /// Take the memblock out (it is what `Mm::boot` consumes).
    ///
    /// ```
    /// let mut s = oxmm_host::machine::Machine::profile("pc-8g").unwrap().setup().unwrap();
    /// let mb = s.take_memblock();
    /// assert!(mb.phys_mem_size() > 7 << 30);
    /// assert_eq!(s.memblock().phys_mem_size(), 0); // left empty
    /// ```
    pub fn take_memblock(&mut self) -> Memblock {
        std::mem::take(&mut *self.memblock)
    }

    /// The architecture profile.
    ///
    /// ```
    /// use oxmm_host::machine::Machine;
    /// let s = Machine::profile("arm64-board").unwrap().setup().unwrap();
    /// assert_eq!(s.arch(), oxmm::boot::Arch::Arm64);
    /// assert_eq!(s.boot_config().arch, s.arch());
    /// ```
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// `max_pfn`: the end of RAM.
    ///
    /// ```
    /// use oxmm_host::machine::Machine;
    /// let s = Machine::profile("ia32-4g").unwrap().setup().unwrap();
    /// assert_eq!(s.max_pfn(), 0x14_0000); // RAM up to 5 GiB (PAE)
    /// ```
    pub fn max_pfn(&self) -> u64 {
        self.max_pfn
    }

    /// `max_low_pfn`: the end of directly mapped memory (= `max_pfn` on 64-bit).
    ///
    /// ```
    /// use oxmm_host::machine::Machine;
    /// let s = Machine::profile("ia32-4g").unwrap().setup().unwrap();
    /// assert_eq!(s.max_low_pfn(), (896 << 20) >> 12); // lowmem of the 3G/1G split
    /// let s = Machine::profile("pc-8g").unwrap().setup().unwrap();
    /// assert_eq!(s.max_low_pfn(), s.max_pfn()); // 64-bit: all of it
    /// ```
    pub fn max_low_pfn(&self) -> u64 {
        self.max_low_pfn
    }

    /// The online nodes.
    ///
    /// ```
    /// use oxmm::types::NodeId;
    /// use oxmm_host::machine::Machine;
    /// let s = Machine::profile("numa-2x16g").unwrap().setup().unwrap();
    /// assert_eq!(s.nodes().len(), 2);
    /// assert_eq!((s.nodes()[1].nid, s.nodes()[1].nr_cpus), (NodeId(1), 4));
    /// ```
    pub fn nodes(&self) -> &[NodeDesc] {
        &self.nodes
    }

    /// The CMA areas reserved.
    ///
    /// ```
    /// use oxmm_host::machine::Machine;
    /// let s = Machine::profile("arm64-board").unwrap().setup().unwrap(); // cma=128M@0x83000000
    /// let a = s.cma().iter().find(|a| a.name == "reserved").unwrap();
    /// assert_eq!((a.base.0, a.size), (0x8300_0000, 128 << 20));
    /// assert!(Machine::profile("pc-8g").unwrap().setup().unwrap().cma().is_empty());
    /// ```
    pub fn cma(&self) -> &[CmaArea<'static>] {
        &self.cma
    }

    /// The boot options in effect.
    ///
    /// ```
    /// let mut m = oxmm_host::machine::Machine::profile("pc-8g").unwrap();
    /// m.apply_cmdline("movable_node").unwrap();
    /// let s = m.setup().unwrap();
    /// assert!(s.options().movable_node);
    /// assert!(s.boot_config().movable_node);
    /// ```
    pub fn options(&self) -> &BootOptions {
        &self.options
    }

    /// The configuration for generic boot, borrowing from `self`.
    ///
    /// ```
    /// use oxmm::boot::Arch;
    /// use oxmm_host::machine::Machine;
    /// let s = Machine::profile("ia32-4g").unwrap().setup().unwrap();
    /// let cfg = s.boot_config();
    /// assert_eq!((cfg.arch, cfg.nr_cpus), (Arch::Ia32, 2));
    /// assert_eq!(cfg.ia32_layout.map(|l| l.fixmap_pages), Some(234));
    /// ```
    pub fn boot_config(&self) -> BootConfig<'_> {
        let mut cfg = BootConfig::new(self.arch);
        cfg.geometry = self.geometry;
        cfg.zone_limits = self.zone_limits;
        cfg.nodes = &self.nodes;
        cfg.distances = Distances::new(self.dist_n, &self.distances).unwrap_or_default();
        cfg.numa_off = self.options.numa_off;
        cfg.nr_cpus = self.nr_cpus;
        cfg.kernelcore = self.options.kernelcore;
        cfg.movablecore = self.options.movablecore;
        cfg.movable_node = self.options.movable_node;
        cfg.cma = &self.cma;
        cfg.kernel = self.kernel;
        cfg.thp = self.options.thp.unwrap_or_default();
        cfg.log_format = self.log_format;
        cfg.zone_layout = self.zone_layout;
        cfg.config_numa = self.config_numa;
        cfg.ia32_layout = self.ia32_layout;
        cfg.print_fallback_order = self.print_fallback_order;
        cfg.dma_reserve = self.dma_reserve;
        cfg.struct_page_size = self.struct_page_size;
        cfg
    }
}

/// Names of CMA areas live as long as the program: interned so that booting many
/// machines does not keep allocating.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut g = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    let set = g.get_or_insert_with(HashSet::new);
    if let Some(s) = set.get(name) {
        return s;
    }
    let s: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(s);
    s
}

/// A node as described: id, memory ranges, CPUs, hotplug.
type NodeRanges = (u16, Vec<(u64, u64)>, u32, bool);

/// A description with every field parsed and checked.
pub(super) struct Checked {
    arch: Arch,
    geo: PageGeometry,
    e820: Vec<(u64, u64, E820Type)>,
    edits: Vec<(bool, u64, u64, E820Type, E820Type)>,
    memory: Vec<(u64, u64, u16, MemblockFlags)>,
    nodes: Vec<NodeRanges>,
    distances: Vec<u8>,
    dist_n: usize,
    reserve: Vec<(u64, u64, String)>,
    reserved_mem: Vec<(u64, u64, String, bool, bool)>,
    late_free: Vec<(u64, u64, String)>,
    options: BootOptions,
    log_format: LogFormat,
}

pub(super) fn validate(m: &Machine) -> Result<Checked, MachineError> {
    let err = |field: String, kind, reason: String| {
        MachineError::new(m.origin.clone(), Location::Field(field), kind, reason)
    };
    let arch = m.arch()?;
    let shift = match m.page_size {
        4096 => 12,
        16384 => 14,
        65536 => 16,
        p => {
            return Err(err(
                "page_size".into(),
                ErrorKind::BadValue,
                format!("page size {p} is not 4096, 16384 or 65536"),
            ))
        }
    };
    if shift != 12 && matches!(arch, Arch::X86_64 | Arch::Ia32) {
        return Err(err(
            "page_size".into(),
            ErrorKind::BadValue,
            format!(
                "{} supports only 4096-byte pages, not {}",
                arch.name(),
                m.page_size
            ),
        ));
    }
    let geo = PageGeometry::new(shift)
        .map_err(|e| err("page_size".into(), ErrorKind::BadValue, e.to_string()))?;
    if let Some(sz) = m.kernel.struct_page_size {
        // struct page is a handful of words; 0 would make the memmap free.
        if !(16..=256).contains(&sz) {
            return Err(err(
                "kernel.struct_page_size".into(),
                ErrorKind::BadValue,
                format!("struct page size {sz} is not from 16 to 256 bytes"),
            ));
        }
    }
    let bits = m.phys_bits();
    if !(32..=64).contains(&bits) {
        return Err(err(
            "phys_bits".into(),
            ErrorKind::BadValue,
            format!("{bits} is not a physical address width from 32 to 64"),
        ));
    }
    let limit: u128 = 1u128 << bits;
    let range = |field: String, s: &str| -> Result<(u64, u64), MachineError> {
        let (a, b) = parse_range(s).map_err(|r| {
            let kind = if r.contains("before") {
                ErrorKind::BadRange
            } else {
                ErrorKind::BadNumber
            };
            err(field.clone(), kind, r)
        })?;
        if b as u128 > limit {
            return Err(err(
                field,
                ErrorKind::BeyondPhysBits,
                format!(
                    "range `{s}` ends beyond the {bits}-bit physical address space ({limit:#x})"
                ),
            ));
        }
        Ok((a, b))
    };
    let ty = |field: String, s: &str| {
        E820Type::parse(s).ok_or_else(|| {
            err(
                field,
                ErrorKind::BadValue,
                format!("`{s}` is not an e820 type"),
            )
        })
    };
    let mut e820 = Vec::new();
    for (i, r) in m.e820.iter().enumerate() {
        let (a, b) = range(format!("e820[{i}].range"), &r.range)?;
        e820.push((a, b, ty(format!("e820[{i}].type"), &r.ty)?));
    }
    let mut edits = Vec::new();
    for (i, e) in m.e820_edits.iter().enumerate() {
        let (a, b) = parse_range(&e.range)
            .map_err(|r| err(format!("e820_edits[{i}].range"), ErrorKind::BadNumber, r))?;
        let from = ty(format!("e820_edits[{i}].from"), &e.from)?;
        let (remove, to) = match (e.op.as_str(), &e.to) {
            ("remove", _) => (true, from),
            ("update", Some(t)) => (false, ty(format!("e820_edits[{i}].to"), t)?),
            (op, _) => {
                return Err(err(
                    format!("e820_edits[{i}].op"),
                    ErrorKind::BadValue,
                    format!("`{op}` is not `update` (with `to`) or `remove`"),
                ))
            }
        };
        edits.push((remove, a, b, from, to));
    }
    let mut memory = Vec::new();
    for (i, r) in m.memory.iter().enumerate() {
        let (a, b) = range(format!("memory[{i}].range"), &r.range)?;
        let mut f = MemblockFlags::empty();
        f.set(MemblockFlags::NOMAP, r.nomap);
        f.set(MemblockFlags::HOTPLUG, r.hotplug);
        memory.push((a, b, r.node, f));
    }
    let x86 = matches!(arch, Arch::X86_64 | Arch::Ia32);
    if x86 && e820.is_empty() {
        return Err(err(
            "e820".into(),
            ErrorKind::NoMemoryMap,
            format!("an {} machine needs an e820 memory map", arch.name()),
        ));
    }
    if !x86 && memory.is_empty() {
        return Err(err(
            "memory".into(),
            ErrorKind::NoMemoryMap,
            format!(
                "a device-tree ({}) machine needs `memory` ranges",
                arch.name()
            ),
        ));
    }
    let mut nodes: Vec<NodeRanges> = Vec::new();
    for (i, n) in m.nodes.iter().enumerate() {
        if n.id as usize >= MAX_NUMNODES {
            return Err(err(
                format!("node[{i}].id"),
                ErrorKind::BadValue,
                format!("node id {} is not below {MAX_NUMNODES}", n.id),
            ));
        }
        if nodes.iter().any(|x| x.0 == n.id) {
            return Err(err(
                format!("node[{i}].id"),
                ErrorKind::BadValue,
                format!("node {} is described twice", n.id),
            ));
        }
        let mut rs = Vec::new();
        for (j, r) in n.ranges.iter().enumerate() {
            rs.push(range(format!("node[{i}].ranges[{j}]"), r)?);
        }
        nodes.push((n.id, rs, n.cpus, n.hotplug));
    }
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            for ra in &a.1 {
                for rb in &b.1 {
                    if ra.0 < rb.1 && rb.0 < ra.1 {
                        return Err(err(
                            "node".into(),
                            ErrorKind::NodeOverlap,
                            format!(
                                "node {} range {:#x}-{:#x} overlaps node {} range {:#x}-{:#x}",
                                a.0,
                                ra.0,
                                ra.1 - 1,
                                b.0,
                                rb.0,
                                rb.1 - 1
                            ),
                        ));
                    }
                }
            }
        }
    }
    for (i, r) in memory.iter().enumerate() {
        if r.2 as usize >= MAX_NUMNODES {
            return Err(err(
                format!("memory[{i}].node"),
                ErrorKind::BadValue,
                format!("node id {} is not below {MAX_NUMNODES}", r.2),
            ));
        }
    }
    let nr_ids = nodes
        .iter()
        .map(|n| n.0 as usize + 1)
        .chain(memory.iter().map(|r| r.2 as usize + 1))
        .max()
        .unwrap_or(1);
    let mut distances = Vec::new();
    let mut dist_n = 0;
    if !m.distances.is_empty() {
        if m.distances.len() != nr_ids || m.distances.iter().any(|r| r.len() != nr_ids) {
            let shape: Vec<String> = m.distances.iter().map(|r| r.len().to_string()).collect();
            return Err(err(
                "distances".into(),
                ErrorKind::BadDistances,
                format!(
                    "the distance matrix must be {nr_ids}x{nr_ids} for node ids 0..{nr_ids}, but has {} rows of lengths [{}]",
                    m.distances.len(),
                    shape.join(", ")
                ),
            ));
        }
        distances = m.distances.concat();
        dist_n = nr_ids;
    }
    let mut reserve = Vec::new();
    for (i, r) in m.reserve.iter().enumerate() {
        let (a, b) = range(format!("reserve[{i}].range"), &r.range)?;
        if !matches!(r.kind.as_str(), "kernel" | "initrd" | "firmware" | "other") {
            return Err(err(
                format!("reserve[{i}].kind"),
                ErrorKind::BadValue,
                format!("`{}` is not kernel, initrd, firmware or other", r.kind),
            ));
        }
        reserve.push((a, b, r.kind.clone()));
    }
    let mut late_free = Vec::new();
    for (i, f) in m.late_free.iter().enumerate() {
        let (a, b) = range(format!("late_free[{i}].range"), &f.range)?;
        late_free.push((a, b, f.name.clone()));
    }
    let mut reserved_mem = Vec::new();
    for (i, r) in m.reserved_mem.iter().enumerate() {
        let (a, b) = range(format!("reserved_mem[{i}].range"), &r.range)?;
        reserved_mem.push((a, b, r.name.clone(), r.nomap, r.reusable));
    }
    for (i, z) in m.zones.disabled.iter().enumerate() {
        if !matches!(z.as_str(), "DMA" | "DMA32" | "HighMem" | "Device") {
            return Err(err(
                format!("zones.disabled[{i}]"),
                ErrorKind::BadValue,
                format!("`{z}` is not DMA, DMA32, HighMem or Device"),
            ));
        }
    }
    let options = m.options()?;
    let log_format = m.log_format()?;
    Ok(Checked {
        arch,
        geo,
        e820,
        edits,
        memory,
        nodes,
        distances,
        dist_n,
        reserve,
        reserved_mem,
        late_free,
        options,
        log_format,
    })
}

fn mb_err(m: &Machine, what: &str, e: impl std::fmt::Display) -> MachineError {
    MachineError::new(
        m.origin.clone(),
        Location::Field(what.into()),
        ErrorKind::Memblock,
        e.to_string(),
    )
}

/// Whether `[s, e)` lies entirely in memblock.memory (possibly across adjacent regions).
/// The kernel image's range and node when the description places it: a `kernel`
/// reservation, or `kernel.base` with the image's size. (An image placed by oxmm is
/// put in memory, so `mem=` never needs it added back.)
fn kernel_image_range(m: &Machine, c: &Checked) -> Option<(u64, u64, u16)> {
    let page = c.geo.page_size();
    let (a, b) = match c.reserve.iter().find(|r| r.2 == "kernel") {
        Some(r) => (r.0, r.1),
        None => {
            let k = &m.kernel;
            let size = (k.code + k.rwdata + k.rodata + k.init + k.bss).next_multiple_of(page);
            let base = k.base?;
            if size == 0 {
                return None;
            }
            (base, base + size)
        }
    };
    let nid = c
        .memory
        .iter()
        .find(|r| r.0 <= a && a < r.1)
        .map_or(0, |r| r.2);
    Some((a, b, nid))
}

fn covered(mb: &Memblock, s: u64, e: u64) -> bool {
    let mut pos = s;
    for r in mb.memory().regions() {
        if r.base.0 <= pos && pos < r.end().0 {
            pos = r.end().0;
            if pos >= e {
                return true;
            }
        }
    }
    pos >= e
}

/// Whether `[s, e)` is RAM in the firmware's e820 map, before the boot options edit it.
fn in_firmware_ram(c: &Checked, s: u64, e: u64) -> bool {
    let mut pos = s;
    for x in firmware_e820(c).entries() {
        if x.ty == E820Type::Ram && x.addr <= pos && pos < x.addr + x.size {
            pos = x.addr + x.size;
        }
    }
    pos >= e
}

/// The e820 table after firmware, `mem=`/`memmap=` and the kernel's own edits.
/// The firmware's e820 map, sanitised (`e820__update_table`), before any boot option.
fn firmware_e820(c: &Checked) -> E820Table {
    let mut t = E820Table::default();
    for &(a, b, ty) in &c.e820 {
        t.add(a, b - a, ty);
    }
    t.update_table();
    t
}

pub(super) fn final_e820(c: &Checked) -> E820Table {
    let mut t = firmware_e820(c);
    // parse_early_param: mem= and memmap= edit the table, then it is sanitised again.
    if let Some(mem) = c.options.mem {
        t.range_remove(mem, u64::MAX - mem, Some(E820Type::Ram));
    }
    for mm in &c.options.memmap {
        match *mm {
            Memmap::ExactMap => t.clear(),
            Memmap::Ram { start, size } => t.add(start, size, E820Type::Ram),
            Memmap::Acpi { start, size } => t.add(start, size, E820Type::Acpi),
            Memmap::Reserved { start, size } => t.add(start, size, E820Type::Reserved),
            Memmap::Pram { start, size } => t.add(start, size, E820Type::Pram),
            Memmap::Limit(mem) => {
                t.range_remove(mem, u64::MAX - mem, Some(E820Type::Ram));
            }
        }
    }
    t.update_table();
    t.trim_bios_range();
    for &(remove, a, b, from, to) in &c.edits {
        if remove {
            t.range_remove(a, b - a, Some(from));
        } else {
            t.range_update(a, b - a, from, to);
        }
    }
    t
}

pub(super) fn setup(m: &Machine) -> Result<ArchSetup, MachineError> {
    let c = validate(m)?;
    let geo = c.geo;
    let shift = geo.shift();
    let page = geo.page_size();
    let mut mb = Box::new(Memblock::new());
    mb.set_page_geometry(geo);
    let x86 = matches!(c.arch, Arch::X86_64 | Arch::Ia32);
    let (max_pfn, max_low_pfn);
    if x86 {
        let t = final_e820(&c);
        let max_arch_pfn = 1u64 << (m.phys_bits() - shift);
        max_pfn = t.end_of_ram_pfn(shift, max_arch_pfn);
        for e in t.entries() {
            match e.ty {
                E820Type::SoftReserved => mb
                    .reserve(PhysAddr(e.addr), e.size)
                    .map_err(|x| mb_err(m, "e820", x))?,
                E820Type::Ram | E820Type::ReservedKern => mb
                    .add(PhysAddr(e.addr), e.size)
                    .map_err(|x| mb_err(m, "e820", x))?,
                _ => {}
            }
        }
        mb.trim_memory(page).map_err(|x| mb_err(m, "e820", x))?;
        max_low_pfn = if c.arch == Arch::Ia32 {
            // 3G/1G split: 896 MiB of lowmem unless the machine (or its log) says otherwise.
            m.zones.lowmem.unwrap_or(896 << (20 - shift)).min(max_pfn)
        } else {
            max_pfn
        };
    } else {
        for &(a, b, nid, flags) in &c.memory {
            mb.add_node(PhysAddr(a), b - a, NodeId(nid), flags)
                .map_err(|x| mb_err(m, "memory", x))?;
        }
        if let Some(mem) = c.options.mem {
            // early_mem: `memory_limit = memparse(..) & PAGE_MASK` (arm64, riscv).
            let limit = mem & !(page - 1);
            match c.arch {
                Arch::Arm64 => {
                    // arm64_memblock_init: NOMAP regions stay; the kernel image is
                    // added back, since it must stay reachable through the linear map.
                    mb.mem_limit_remove_map(limit);
                    if let Some((a, b, nid)) = kernel_image_range(m, &c) {
                        mb.add_node(PhysAddr(a), b - a, NodeId(nid), MemblockFlags::empty())
                            .map_err(|x| mb_err(m, "kernel", x))?;
                    }
                }
                Arch::Arm => {
                    // early_mem: the first `mem=` replaces the memory the device tree
                    // described by one bank of that size at PHYS_OFFSET (the start
                    // of RAM here).
                    let start = mb.start_of_dram();
                    let nid = mb.memory().regions().first().and_then(|r| r.nid);
                    let end = mb.end_of_dram();
                    mb.remove(start, end.0 - start.0)
                        .map_err(|x| mb_err(m, "memory", x))?;
                    // arm_add_memory: a whole number of pages.
                    let size = mem & !(page - 1);
                    if size > 0 {
                        mb.add_node(
                            start,
                            size,
                            nid.unwrap_or(NodeId(0)),
                            MemblockFlags::empty(),
                        )
                        .map_err(|x| mb_err(m, "memory", x))?;
                    }
                }
                _ => mb.enforce_memory_limit(limit),
            }
        }
        max_pfn = mb.end_of_dram().0 >> shift;
        max_low_pfn = match c.arch {
            Arch::Arm => m
                .zones
                .lowmem
                .unwrap_or((mb.start_of_dram().0 >> shift) + (768 << (20 - shift)))
                .min(max_pfn),
            _ => max_pfn,
        };
    }
    if mb.memory().cnt() == 0 {
        return Err(MachineError::new(
            m.origin.clone(),
            Location::Whole,
            ErrorKind::NoMemoryMap,
            "no usable memory is left after the memory map and boot options",
        ));
    }

    // Early reservations, all of which must lie in memory, except an x86 initrd that
    // the bootloader put in RAM and mem= or memmap= took out of it: moved below, as
    // `reserve_initrd` does. (One never in RAM is a mistake in the description.)
    let mut relocate_initrd: Option<(u64, u64)> = None;
    for (i, (a, b, kind)) in c.reserve.iter().enumerate() {
        if x86
            && kind == "initrd"
            && relocate_initrd.is_none()
            && !covered(&mb, *a, *b)
            && in_firmware_ram(&c, *a, *b)
        {
            relocate_initrd = Some((*a, *b));
            continue;
        }
        if !covered(&mb, *a, *b) {
            return Err(MachineError::new(
                m.origin.clone(),
                Location::Field(format!("reserve[{i}].range")),
                ErrorKind::ReservationOutsideMemory,
                format!(
                    "{kind} reservation {:#x}-{:#x} is not inside memory",
                    a,
                    b - 1
                ),
            ));
        }
        mb.reserve(PhysAddr(*a), b - a)
            .map_err(|x| mb_err(m, "reserve", x))?;
    }
    let mut late_free = c.late_free.clone();
    for (i, (a, b, name)) in c.late_free.iter().enumerate() {
        // The initrd's late free goes where the initrd goes.
        if name == "initrd" && relocate_initrd == Some((*a, *b)) {
            continue;
        }
        if !covered(&mb, *a, *b) {
            return Err(MachineError::new(
                m.origin.clone(),
                Location::Field(format!("late_free[{i}].range")),
                ErrorKind::ReservationOutsideMemory,
                format!(
                    "late free `{name}` {:#x}-{:#x} is not inside memory",
                    a,
                    b - 1
                ),
            ));
        }
        mb.reserve(PhysAddr(*a), b - a)
            .map_err(|x| mb_err(m, "late_free", x))?;
    }
    if x86 {
        // Linux ≥ 5.13 reserves the whole first MiB (real-mode trampoline, BIOS areas).
        mb.reserve(PhysAddr(0), 1 << 20)
            .map_err(|x| mb_err(m, "reserve", x))?;
    }
    let kernel = KernelImage {
        code: m.kernel.code,
        rwdata: m.kernel.rwdata,
        rodata: m.kernel.rodata,
        init: m.kernel.init,
        bss: m.kernel.bss,
    };
    let ksize = (kernel.code + kernel.rwdata + kernel.rodata + kernel.init + kernel.bss)
        .next_multiple_of(page);
    if ksize > 0 && !c.reserve.iter().any(|r| r.2 == "kernel") {
        let want = m.kernel.base.unwrap_or(if x86 {
            0x100_0000
        } else {
            mb.start_of_dram().0.next_multiple_of(2 << 20)
        });
        let base = if covered(&mb, want, want + ksize) {
            want
        } else if m.kernel.base.is_some() {
            return Err(MachineError::new(
                m.origin.clone(),
                Location::Field("kernel.base".into()),
                ErrorKind::ReservationOutsideMemory,
                format!(
                    "the kernel image {:#x}-{:#x} is not inside memory",
                    want,
                    want + ksize - 1
                ),
            ));
        } else {
            // Like a relocatable kernel: the lowest memory that fits.
            mb.set_bottom_up(true);
            let p = mb.phys_alloc_range(ksize, 2 << 20, PhysAddr(0), PhysAddr(u64::MAX));
            mb.set_bottom_up(false);
            p.map(|p| p.0).ok_or_else(|| {
                mb_err(
                    m,
                    "kernel",
                    format!("no room for a {ksize:#x}-byte kernel image"),
                )
            })?
        };
        mb.reserve(PhysAddr(base), ksize)
            .map_err(|x| mb_err(m, "kernel", x))?;
    }

    if let Some((a, b)) = relocate_initrd {
        // relocate_initrd: the bootloader's initrd is not in (directly mapped) memory
        // any more, so it is copied to a new home, allocated top-down below the end of
        // the direct map (lowmem on 32-bit), and the old range is not reserved (Linux
        // frees it). Linux prints `Allocated new RAMDISK` and `Move RAMDISK` here,
        // among the setup lines before the memory manager's that oxmm does not print.
        let limit = max_low_pfn << shift;
        let to = mb
            .phys_alloc_range(b - a, page, PhysAddr(0), PhysAddr(limit))
            .ok_or_else(|| {
                mb_err(
                    m,
                    "initrd",
                    format!(
                        "cannot find place for new RAMDISK of size {:#x} (the initrd {:#x}-{:#x} is not in memory)",
                        b - a,
                        a,
                        b - 1
                    ),
                )
            })?
            .0;
        // Its late free, if any, is the new range (already reserved by the allocation).
        for f in late_free.iter_mut() {
            if f.2 == "initrd" && (f.0, f.1) == (a, b) {
                (f.0, f.1) = (to, to + (b - a));
            }
        }
    }

    // Device-tree reserved-memory nodes.
    let mut cma: Vec<CmaArea<'static>> = Vec::new();
    for (i, (a, b, name, nomap, reusable)) in c.reserved_mem.iter().enumerate() {
        if *nomap {
            // Linux marks what is memory NOMAP and tolerates the rest.
            mb.mark_nomap(PhysAddr(*a), b - a)
                .map_err(|x| mb_err(m, "reserved_mem", x))?;
            continue;
        }
        // Linux (`early_init_dt_reserve_memory`) reserves a node's range whether or not
        // it is memory (say, cut off by `mem=`): a reservation outside memory changes
        // nothing. Not so a reusable one, which becomes a CMA area whose pages must
        // exist: `cma_activate_area` would touch struct pages that are not there.
        if *reusable && !covered(&mb, *a, *b) {
            return Err(MachineError::new(
                m.origin.clone(),
                Location::Field(format!("reserved_mem[{i}].range")),
                ErrorKind::ReservationOutsideMemory,
                format!(
                    "reusable reserved-memory node `{name}` {:#x}-{:#x} is not inside memory: \
                     its CMA area could not be activated",
                    a,
                    b - 1
                ),
            ));
        }
        mb.reserve(PhysAddr(*a), b - a)
            .map_err(|x| mb_err(m, "reserved_mem", x))?;
        if *reusable {
            cma.push(CmaArea {
                name: intern(name),
                base: PhysAddr(*a),
                size: b - a,
            });
        }
    }

    // Zone limits (Linux: zone_sizes_init of each architecture).
    let mut zl = ZoneLimits::default();
    let gib4 = 1u64 << (32 - shift);
    match c.arch {
        Arch::X86_64 => {
            zl.set(
                ZoneType::Dma,
                m.zones.dma.unwrap_or(0x1000).min(max_low_pfn),
            );
            zl.set(
                ZoneType::Dma32,
                m.zones.dma32.unwrap_or(0x100000).min(max_low_pfn),
            );
            zl.set(ZoneType::Normal, max_low_pfn);
        }
        Arch::Ia32 => {
            zl.set(
                ZoneType::Dma,
                m.zones.dma.unwrap_or(0x1000).min(max_low_pfn),
            );
            zl.set(ZoneType::Normal, max_low_pfn);
            zl.set(ZoneType::HighMem, max_pfn);
        }
        Arch::Arm64 => {
            // max_zone_phys(32): 4 GiB, or all memory when DRAM starts above it.
            let start = mb.start_of_dram().0 >> shift;
            let dma32 = if start >= gib4 {
                max_pfn
            } else {
                gib4.min(max_pfn)
            };
            let dma = m.zones.dma.unwrap_or(dma32).min(max_pfn);
            zl.set(ZoneType::Dma, dma);
            zl.set(
                ZoneType::Dma32,
                m.zones.dma32.unwrap_or(dma32).max(dma).min(max_pfn),
            );
            zl.set(ZoneType::Normal, max_pfn);
        }
        Arch::Riscv64 => {
            zl.set(
                ZoneType::Dma32,
                m.zones.dma32.unwrap_or(gib4).min(max_low_pfn),
            );
            zl.set(ZoneType::Normal, max_low_pfn);
        }
        Arch::Arm => {
            zl.set(ZoneType::Normal, max_low_pfn);
            zl.set(ZoneType::HighMem, max_pfn);
        }
    }
    if !m.zones.disabled.is_empty() {
        let mut z2 = ZoneLimits::default();
        for t in ZoneType::ALL {
            let name = match t {
                ZoneType::Dma => "DMA",
                ZoneType::Dma32 => "DMA32",
                ZoneType::HighMem => "HighMem",
                _ => "",
            };
            if let Some(v) = zl.get(t) {
                if !m.zones.disabled.iter().any(|d| d == name) {
                    z2.set(t, v);
                }
            }
        }
        zl = z2;
    }

    // `cma=`: one area below the architecture's DMA limit, 4 MiB aligned like
    // cma_declare_contiguous (PAGE_SIZE << max(MAX_PAGE_ORDER, pageblock_order)).
    if let Some((size, base)) = c.options.cma {
        let align = page << oxmm::types::MAX_PAGE_ORDER.max(geo.pageblock_order());
        let limit = match c.arch {
            Arch::Arm64 => zl.get(ZoneType::Dma).unwrap_or(max_pfn) << shift,
            Arch::Riscv64 => zl.get(ZoneType::Dma32).unwrap_or(max_pfn) << shift,
            Arch::Arm | Arch::Ia32 => max_low_pfn << shift,
            Arch::X86_64 => u64::MAX,
        };
        let size = size.next_multiple_of(align);
        let got = match base {
            Some(b) if covered(&mb, b, b + size) && mb.reserve(PhysAddr(b), size).is_ok() => {
                Some(PhysAddr(b))
            }
            Some(b) => {
                return Err(MachineError::new(
                    m.origin.clone(),
                    Location::Field("cmdline: cma".into()),
                    ErrorKind::ReservationOutsideMemory,
                    format!("cma area {b:#x}+{size:#x} is not inside memory"),
                ))
            }
            None => mb.phys_alloc_range(size, align, PhysAddr(0), PhysAddr(limit)),
        };
        match got {
            Some(p) => cma.insert(
                0,
                CmaArea {
                    name: "reserved",
                    base: p,
                    size,
                },
            ),
            None => {
                return Err(MachineError::new(
                    m.origin.clone(),
                    Location::Field("cmdline: cma".into()),
                    ErrorKind::Memblock,
                    format!("no room for a {size:#x}-byte CMA area below {limit:#x}"),
                ))
            }
        }
    }

    // NUMA.
    let mut nodes = numa_setup(m, &c, &mut mb)?;
    let mut nr_cpus = c
        .options
        .nr_cpus
        .map_or(m.cpus, |n| n.min(m.cpus.max(1)))
        .max(1);
    let listed: u32 = nodes.iter().map(|n| n.nr_cpus).sum();
    if listed == 0 {
        // Spread CPUs round-robin over nodes with memory (numa_init_array).
        let with_mem: Vec<usize> = (0..nodes.len())
            .filter(|&i| node_has_memory(&mb, nodes[i].nid))
            .collect();
        let targets = if with_mem.is_empty() {
            vec![0]
        } else {
            with_mem
        };
        for cpu in 0..nr_cpus as usize {
            nodes[targets[cpu % targets.len()]].nr_cpus += 1;
        }
    } else {
        if c.options.nr_cpus.is_none() && listed > nr_cpus {
            nr_cpus = listed;
        }
        // CPUs are numbered node by node; those beyond nr_cpus are not possible.
        let mut left = nr_cpus;
        for n in nodes.iter_mut() {
            n.nr_cpus = n.nr_cpus.min(left);
            left -= n.nr_cpus;
        }
    }
    let (dist_n, distances) = if c.options.numa_off {
        (0, Vec::new())
    } else {
        (c.dist_n, c.distances.clone())
    };
    Ok(ArchSetup {
        arch: c.arch,
        geometry: geo,
        memblock: mb,
        nodes,
        dist_n,
        distances,
        cma,
        zone_limits: zl,
        nr_cpus,
        options: c.options.clone(),
        kernel,
        log_format: c.log_format,
        max_pfn,
        max_low_pfn,
        zone_layout: zone_layout(c.arch, &m.zones.disabled),
        config_numa: m.config_numa.unwrap_or(BootConfig::new(c.arch).config_numa),
        ia32_layout: match (c.arch, m.kernel.fixmap_pages) {
            (Arch::Ia32, Some(pages)) if m.kernel.pae.unwrap_or(true) => {
                Some(oxmm::boot::Ia32Layout::pae(pages))
            }
            (Arch::Ia32, Some(pages)) => Some(oxmm::boot::Ia32Layout::non_pae(pages)),
            _ => None,
        },
        print_fallback_order: m.print_fallback_order,
        dma_reserve: m.dma_reserve,
        struct_page_size: m.kernel.struct_page_size,
        late_free,
    })
}

/// The architecture's zones without those the kernel was built without (Movable and
/// Normal are always configured), in the architecture's index order.
fn zone_layout(arch: Arch, disabled: &[String]) -> ZoneLayout {
    let mut kept = [ZoneType::Normal; MAX_NR_ZONES];
    let mut n = 0;
    for &t in arch.zone_layout().zones() {
        if !disabled.iter().any(|d| d == t.name()) {
            kept[n] = t;
            n += 1;
        }
    }
    ZoneLayout::new(&kept[..n])
}

fn node_has_memory(mb: &Memblock, nid: NodeId) -> bool {
    mb.memory().regions().iter().any(|r| r.nid == Some(nid))
}

/// Assign node ids to memory (x86: SRAT memory affinity after numa_cleanup_meminfo's
/// merging; device-tree machines carry ids on their memory ranges) and list the online
/// nodes.
fn numa_setup(m: &Machine, c: &Checked, mb: &mut Memblock) -> Result<Vec<NodeDesc>, MachineError> {
    let all = |mb: &mut Memblock, nid: u16| -> Result<(), MachineError> {
        let end = mb.end_of_dram().0;
        mb.set_node(PhysAddr(0), end, NodeId(nid))
            .map_err(|x| mb_err(m, "node", x))
    };
    let x86 = matches!(c.arch, Arch::X86_64 | Arch::Ia32);
    if c.options.numa_off {
        // numa=off: Linux fakes one node 0 spanning everything.
        all(mb, 0)?;
        let cpus: u32 = c.nodes.iter().map(|n| n.2).sum();
        return Ok(vec![NodeDesc {
            nid: NodeId(0),
            nr_cpus: cpus,
        }]);
    }
    if x86 {
        let with_ranges: Vec<&NodeRanges> = c.nodes.iter().filter(|n| !n.1.is_empty()).collect();
        if with_ranges.is_empty() {
            all(mb, 0)?;
        } else {
            // numa_cleanup_meminfo: ranges of one node merge across gaps no other node
            // claims.
            let mut blks: Vec<(u64, u64, u16, bool)> = Vec::new();
            for n in &with_ranges {
                for r in &n.1 {
                    blks.push((r.0, r.1, n.0, n.3));
                }
            }
            blks.sort();
            let mut merged: Vec<(u64, u64, u16, bool)> = Vec::new();
            for b in blks {
                if let Some(last) = merged.last_mut() {
                    if last.2 == b.2 && last.3 == b.3 {
                        last.1 = last.1.max(b.1);
                        continue;
                    }
                }
                merged.push(b);
            }
            for b in &merged {
                mb.set_node(PhysAddr(b.0), b.1 - b.0, NodeId(b.2))
                    .map_err(|x| mb_err(m, "node", x))?;
                if b.3 {
                    mb.mark_hotplug(PhysAddr(b.0), b.1 - b.0)
                        .map_err(|x| mb_err(m, "node", x))?;
                }
            }
            // Memory no node claims: Linux gives up on NUMA when more than 1 MiB is
            // uncovered (numa_meminfo_cover_memory); smaller bits join the node below.
            let uncovered: Vec<(u64, u64)> = mb
                .memory()
                .regions()
                .iter()
                .filter(|r| r.nid.is_none())
                .map(|r| (r.base.0, r.size))
                .collect();
            let lost: u64 = uncovered.iter().map(|r| r.1).sum();
            if lost > 1 << 20 {
                all(mb, 0)?;
                let cpus: u32 = c.nodes.iter().map(|n| n.2).sum();
                return Ok(vec![NodeDesc {
                    nid: NodeId(0),
                    nr_cpus: cpus,
                }]);
            }
            for (base, size) in uncovered {
                let nid = merged
                    .iter()
                    .rfind(|b| b.0 <= base)
                    .or(merged.first())
                    .map_or(0, |b| b.2);
                mb.set_node(PhysAddr(base), size, NodeId(nid))
                    .map_err(|x| mb_err(m, "node", x))?;
            }
        }
    }
    // Online nodes: those with memory, and CPU-only (memoryless) nodes described.
    let mut ids: Vec<u16> = mb
        .memory()
        .regions()
        .iter()
        .filter_map(|r| r.nid.map(|n| n.0))
        .collect();
    ids.extend(c.nodes.iter().map(|n| n.0));
    if ids.is_empty() {
        ids.push(0);
    }
    ids.sort();
    ids.dedup();
    Ok(ids
        .into_iter()
        .map(|id| NodeDesc {
            nid: NodeId(id),
            nr_cpus: c.nodes.iter().find(|n| n.0 == id).map_or(0, |n| n.2),
        })
        .collect())
}

//! The 32-bit x86 memory lines around `mem_init` (Linux: `initmem_init` and `mem_init` in
//! arch/x86/mm/init_32.c): `NMB HIGHMEM available.`, `NMB LOWMEM available.` and the
//! `virtual kernel memory layout:` block of 3G/1G-split kernels.
//!
//! Which values follow from the machine and which from the kernel build:
//! * machine: `lowmem` ends at `high_memory = PAGE_OFFSET + max_low_pfn` pages; `vmalloc`
//!   starts `VMALLOC_OFFSET` (8 MiB) above it; the HIGHMEM/LOWMEM sizes.
//! * build: the fixmap size (`__end_of_permanent_fixed_addresses`: depends on `NR_CPUS`,
//!   kmap slots, APIC/ACPI options), PAE (pkmap slots and PMD size), the load address
//!   (`CONFIG_PHYSICAL_START`) and the kernel sections' exact addresses. pkmap and the end
//!   of vmalloc are placed from the fixmap start, so they follow from the build too.
//!   The section addresses are reconstructed from [`KernelImage`] sizes
//!   (`.text` from the load address, `.data` = rodata + rwdata, `.init` page-aligned
//!   after it), so they match a real log only as far as the linker's padding allows.

use crate::boot::{Arch, BootConfig, Ia32Layout, KernelImage};
use crate::mm::Mm;
use crate::platform::Platform;
use crate::printk::{Level, Log};

/// `PAGE_OFFSET` of the 3G/1G split.
///
/// ```
/// use oxmm::boot::mem_init::{VirtLayout, PAGE_OFFSET};
/// use oxmm::boot::{Ia32Layout, KernelImage};
/// assert_eq!((1u64 << 32) - PAGE_OFFSET, 1 << 30); // the kernel's 1 GiB
/// let l = VirtLayout::new(&Ia32Layout::pae(234), &KernelImage::default(), 0x37bfe);
/// assert_eq!(l.lowmem.0, PAGE_OFFSET);
/// assert_eq!(l.text.0, PAGE_OFFSET + 0x100_0000); // _text: the load address, mapped
/// ```
pub const PAGE_OFFSET: u64 = 0xc000_0000;
/// `VMALLOC_OFFSET`: the gap between lowmem and vmalloc that catches overruns.
///
/// ```
/// use oxmm::boot::mem_init::{VirtLayout, VMALLOC_OFFSET};
/// use oxmm::boot::{Ia32Layout, KernelImage};
/// let l = VirtLayout::new(&Ia32Layout::pae(234), &KernelImage::default(), 0x37bfe);
/// assert_eq!(l.vmalloc.0 - l.lowmem.1, VMALLOC_OFFSET); // vmalloc starts 8 MiB above lowmem
/// ```
pub const VMALLOC_OFFSET: u64 = 8 << 20;
/// `__FIXADDR_TOP`: the fixmap ends one page below 4 GiB.
///
/// ```
/// use oxmm::boot::mem_init::{VirtLayout, FIXADDR_TOP};
/// use oxmm::boot::{Ia32Layout, KernelImage};
/// assert_eq!(FIXADDR_TOP + 4096, 1 << 32);
/// let l = VirtLayout::new(&Ia32Layout::pae(234), &KernelImage::default(), 0x37bfe);
/// assert_eq!(l.fixmap, (FIXADDR_TOP - 234 * 4096, FIXADDR_TOP));
/// ```
pub const FIXADDR_TOP: u64 = 0xffff_f000;
const PAGE_SIZE: u64 = 4096;

/// The addresses of the `virtual kernel memory layout:` block, each `(start, end)`.
///
/// ```
/// use oxmm::boot::{Ia32Layout, KernelImage};
/// use oxmm::boot::mem_init::VirtLayout;
/// let l = VirtLayout::new(&Ia32Layout::pae(234), &KernelImage::default(), 0x37bfe);
/// assert_eq!(l.lowmem, (0xc000_0000, 0xf7bf_e000));
/// assert_eq!(l.vmalloc.0, 0xf83f_e000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VirtLayout {
    /// `FIXADDR_START` – `FIXADDR_TOP`.
    pub fixmap: (u64, u64),
    /// `PKMAP_BASE` – `PKMAP_BASE + LAST_PKMAP * PAGE_SIZE`.
    pub pkmap: (u64, u64),
    /// `VMALLOC_START` – `VMALLOC_END`.
    pub vmalloc: (u64, u64),
    /// `PAGE_OFFSET` – `high_memory`.
    pub lowmem: (u64, u64),
    /// `__init_begin` – `__init_end`.
    pub init: (u64, u64),
    /// `_etext` – `_edata`.
    pub data: (u64, u64),
    /// `_text` – `_etext`.
    pub text: (u64, u64),
}

impl VirtLayout {
    /// The layout of a kernel built as `build`, with image `kernel`, on a machine whose
    /// lowmem ends at `max_low_pfn`.
    ///
    /// ```
    /// use oxmm::boot::mem_init::VirtLayout;
    /// use oxmm::boot::{Ia32Layout, KernelImage};
    /// let k = KernelImage { code: 0x1000, rodata: 0x800, rwdata: 0x900, init: 0x2000, bss: 0 };
    /// let l = VirtLayout::new(&Ia32Layout::pae(234), &k, 0x37bfe);
    /// assert_eq!(l.text, (0xc100_0000, 0xc100_1000));
    /// assert_eq!(l.data, (0xc100_1000, 0xc100_2100));
    /// assert_eq!(l.init, (0xc100_3000, 0xc100_5000)); // page-aligned after .data
    /// ```
    pub fn new(build: &Ia32Layout, kernel: &KernelImage, max_low_pfn: u64) -> VirtLayout {
        let fix_start = FIXADDR_TOP - build.fixmap_pages * PAGE_SIZE;
        let (last_pkmap, pmd_mask) = if build.pae {
            (512u64, !((2u64 << 20) - 1))
        } else {
            (1024u64, !((4u64 << 20) - 1))
        };
        let pkmap_base = fix_start.wrapping_sub(PAGE_SIZE * (last_pkmap + 1)) & pmd_mask;
        let high_memory = PAGE_OFFSET + max_low_pfn * PAGE_SIZE;
        let text = PAGE_OFFSET + build.load_addr;
        let etext = text + kernel.code;
        let edata = etext + kernel.rodata + kernel.rwdata;
        let init = edata.next_multiple_of(PAGE_SIZE);
        VirtLayout {
            fixmap: (fix_start, FIXADDR_TOP),
            pkmap: (pkmap_base, pkmap_base + last_pkmap * PAGE_SIZE),
            vmalloc: (high_memory + VMALLOC_OFFSET, pkmap_base - 2 * PAGE_SIZE),
            lowmem: (PAGE_OFFSET, high_memory),
            init: (init, init + kernel.init),
            data: (etext, edata),
            text: (text, etext),
        }
    }

    /// Print the block as `mem_init` does (`KERN_INFO`).
    ///
    /// ```
    /// use oxmm::boot::mem_init::VirtLayout;
    /// use oxmm::boot::{Ia32Layout, KernelImage};
    /// # struct L<'a>(&'a mut Vec<String>);
    /// # impl oxmm::printk::Log for L<'_> {
    /// #     fn line(&mut self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) {
    /// #         self.0.push(a.to_string());
    /// #     }
    /// # }
    /// let mut lines = Vec::new();
    /// VirtLayout::new(&Ia32Layout::pae(234), &KernelImage::default(), 0x37bfe).print(&mut L(&mut lines));
    /// assert_eq!(lines.len(), 8);
    /// assert_eq!(lines[1], "    fixmap  : 0xfff15000 - 0xfffff000   ( 936 kB)");
    /// assert_eq!(lines[4], "    lowmem  : 0xc0000000 - 0xf7bfe000   ( 891 MB)");
    /// ```
    pub fn print(&self, log: &mut dyn Log) {
        log.line(Level::Info, format_args!("virtual kernel memory layout:"));
        let mut line = |name: &str, (s, e): (u64, u64), mb: bool| {
            let size = e.wrapping_sub(s) >> if mb { 20 } else { 10 };
            let unit = if mb { "MB" } else { "kB" };
            log.line(
                Level::Info,
                format_args!("{name} : {s:#010x} - {e:#010x}   ({size:>4} {unit})"),
            );
        };
        line("    fixmap ", self.fixmap, false);
        line("    pkmap  ", self.pkmap, false);
        line("    vmalloc", self.vmalloc, true);
        line("    lowmem ", self.lowmem, true);
        line("      .init", self.init, false);
        line("      .data", self.data, false);
        line("      .text", self.text, false);
    }
}

/// `initmem_init`'s `NMB HIGHMEM available.` / `NMB LOWMEM available.` (`KERN_NOTICE`):
/// the address spans `[max_low_pfn, max_pfn)` and `[0, max_low_pfn)` in MiB.
///
/// ```
/// let mut lines = Vec::new();
/// struct L<'a>(&'a mut Vec<String>);
/// impl oxmm::printk::Log for L<'_> {
///     fn line(&mut self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) {
///         self.0.push(a.to_string());
///     }
/// }
/// oxmm::boot::mem_init::print_highmem_lowmem(0x11ee00, 0x37bfe, 12, &mut L(&mut lines));
/// assert_eq!(lines, ["3698MB HIGHMEM available.", "891MB LOWMEM available."]);
/// ```
pub fn print_highmem_lowmem(max_pfn: u64, max_low_pfn: u64, page_shift: u32, log: &mut dyn Log) {
    let to_mb = |pages: u64| pages >> (20 - page_shift);
    let high = max_pfn.saturating_sub(max_low_pfn);
    log.line(
        Level::Notice,
        format_args!("{}MB HIGHMEM available.", to_mb(high)),
    );
    log.line(
        Level::Notice,
        format_args!("{}MB LOWMEM available.", to_mb(max_low_pfn)),
    );
}

/// A tiny formatter into a byte buffer (the core has no heap).
pub(crate) struct Wr<'a>(pub(crate) &'a mut [u8], pub(crate) usize);

impl core::fmt::Write for Wr<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let b = s.as_bytes();
        let room = self.0.len() - self.1;
        if b.len() > room {
            return Err(core::fmt::Error);
        }
        self.0[self.1..self.1 + b.len()].copy_from_slice(b);
        self.1 += b.len();
        Ok(())
    }
}

impl<P: Platform> Mm<P> {
    /// `mem_init_print_info`: the `Memory:` line (printed before CMA activation, as in
    /// Linux, so CMA pages count as `cma-reserved`, not available).
    pub(crate) fn mem_init_print_info(&mut self, cfg: &BootConfig<'_>, log: &mut dyn Log) {
        let k = |pages: u64| pages << (self.geo.shift() - 10);
        self.totalcma = cfg.cma.iter().map(|a| a.size >> self.geo.shift()).sum();
        let phys: u64 = self.nodes().map(|n| n.present).sum();
        let totalram: u64 = self.nodes().map(|n| n.managed_pages()).sum();
        let free: u64 = self
            .nodes()
            .flat_map(|n| n.zones().iter())
            .map(|z| z.free_pages())
            .sum();
        let high: u64 = self
            .nodes()
            .flat_map(|n| n.zones().iter())
            .filter(|z| z.zone_type().is_highmem())
            .map(|z| z.managed)
            .sum();
        let reserved = phys.saturating_sub(totalram).saturating_sub(self.totalcma);
        let kern = cfg.kernel;
        let highmem = matches!(self.arch, Arch::Ia32 | Arch::Arm);
        let mut tail = [0u8; 32];
        let mut w = Wr(&mut tail, 0);
        if highmem {
            let _ = core::fmt::write(&mut w, format_args!(", {}K highmem", k(high)));
        }
        let n = w.1;
        info!(
            log,
            "Memory: {}K/{}K available ({}K kernel code, {}K rwdata, {}K rodata, {}K init, {}K bss, {}K reserved, {}K cma-reserved{})",
            k(free),
            k(phys),
            kern.code / 1024,
            kern.rwdata / 1024,
            kern.rodata / 1024,
            kern.init / 1024,
            kern.bss / 1024,
            k(reserved),
            k(self.totalcma),
            core::str::from_utf8(&tail[..n]).unwrap_or("")
        );
    }
}

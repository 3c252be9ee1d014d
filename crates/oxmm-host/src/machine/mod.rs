//! Machine descriptions: a TOML format, built-in profiles, import from a real Linux boot
//! log, and the architecture part of boot (Linux: `setup_arch`) that turns a description
//! into a populated [`Memblock`](oxmm::memblock::Memblock) and a
//! [`BootConfig`](oxmm::boot::BootConfig).
//!
//! ```
//! use oxmm_host::machine::Machine;
//! let m = Machine::profile("pc-8g").unwrap();
//! let setup = m.setup().unwrap();
//! assert!(setup.memblock().phys_mem_size() > 7 << 30);
//! ```

mod arch;
mod cmdline;
mod dmesg;
mod e820;
mod error;
mod profiles;
mod toml;
mod twin;
mod zoneinfo;

pub use arch::ArchSetup;
pub use cmdline::{
    cmdline_words, memparse, parse_number, BootOptions, Memmap, SysctlArg, SysctlTarget,
    PROC_SYS_VM, SYSCTL_VM_TUNABLES,
};
pub use e820::{E820Entry, E820Table, E820Type};
pub use error::{ErrorKind, Location, MachineError};
pub use twin::late_frees_in_log;
pub use zoneinfo::{Zoneinfo, ZoneinfoPageset, ZoneinfoZone};

use oxmm::boot::{Arch, LogFormat};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One typed firmware range (`[[e820]]` in TOML): `range = "0xSTART-0xEND"` (inclusive
/// end, as Linux prints it) and `type` (`usable`, `reserved`, `ACPI data`, `ACPI NVS`,
/// `unusable`, `persistent`, `pmem`, `type N`).
///
/// ```
/// use oxmm_host::machine::RangeDesc;
/// let r = RangeDesc { range: "0x0-0xfff".into(), ty: "usable".into() };
/// assert_eq!(r.ty, "usable");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeDesc {
    /// `0xSTART-0xEND`, end inclusive.
    pub range: String,
    /// The e820 type name.
    #[serde(rename = "type")]
    pub ty: String,
}

/// A memory range of a device-tree machine (`[[memory]]`): memblock.memory as the
/// kernel's `Early memory node ranges` show it.
///
/// ```
/// use oxmm_host::machine::MemoryDesc;
/// let m = MemoryDesc { range: "0x40000000-0x7fffffff".into(), node: 0, nomap: false, hotplug: false };
/// assert!(!m.nomap);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryDesc {
    /// `0xSTART-0xEND`, end inclusive.
    pub range: String,
    /// Node id.
    #[serde(default)]
    pub node: u16,
    /// `MEMBLOCK_NOMAP` (a `no-map` carve-out or firmware region kept in memblock.memory).
    #[serde(default)]
    pub nomap: bool,
    /// `MEMBLOCK_HOTPLUG`.
    #[serde(default)]
    pub hotplug: bool,
}

/// A NUMA node (`[[node]]`): its memory-affinity ranges (SRAT) and CPUs.
///
/// ```
/// use oxmm_host::machine::NodeSpec;
/// let n = NodeSpec { id: 1, ranges: vec!["0x100000000-0x17fffffff".into()], cpus: 2, hotplug: false };
/// assert_eq!(n.cpus, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Node id.
    pub id: u16,
    /// Memory ranges (`0xSTART-0xEND`, inclusive); empty for a memoryless node.
    #[serde(default)]
    pub ranges: Vec<String>,
    /// CPUs on the node.
    #[serde(default)]
    pub cpus: u32,
    /// The SRAT marks the node's memory hot-pluggable.
    #[serde(default)]
    pub hotplug: bool,
}

/// An early memblock reservation (`[[reserve]]`): `kind` is `kernel`, `initrd`,
/// `firmware` or `other`.
///
/// ```
/// use oxmm_host::machine::Reservation;
/// let r = Reservation { range: "0x1000000-0x1ffffff".into(), kind: "initrd".into() };
/// assert_eq!(r.kind, "initrd");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    /// `0xSTART-0xEND`, inclusive.
    pub range: String,
    /// What it is.
    #[serde(default = "default_kind")]
    pub kind: String,
}

/// Memory kept reserved through boot and handed back afterwards (`[[late_free]]`):
/// reserved in memblock like a `[[reserve]]` entry, then, once the boot's initcalls
/// have sized the watermarks, freed page by page with
/// [`Mm::free_reserved_area`](oxmm::mm::Mm::free_reserved_area), which prints
/// `Freeing {name} memory: {n}K` (Linux: the initrd after unpacking, the kernel's
/// `__init` sections, the gaps between kernel sections).
///
/// ```
/// use oxmm_host::machine::LateFree;
/// let f = LateFree { name: "initrd".into(), range: "0x7fed4000-0x7ffcffff".into() };
/// assert_eq!(f.name, "initrd");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateFree {
    /// What it is, as the `Freeing … memory` line names it (`initrd`, `unused kernel
    /// image (initmem)`).
    pub name: String,
    /// `0xSTART-0xEND`, inclusive.
    pub range: String,
}

fn default_kind() -> String {
    "other".into()
}

/// A device-tree `reserved-memory` node (`[[reserved_mem]]`).
///
/// ```
/// use oxmm_host::machine::ReservedMem;
/// let r = ReservedMem { name: "linux,cma".into(), range: "0x80000000-0x83ffffff".into(), nomap: false, reusable: true };
/// assert!(r.reusable);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservedMem {
    /// Node name.
    pub name: String,
    /// `0xSTART-0xEND`, inclusive.
    pub range: String,
    /// `no-map`: kept in memblock.memory with `MEMBLOCK_NOMAP`, never mapped or freed.
    #[serde(default)]
    pub nomap: bool,
    /// `reusable` (`shared-dma-pool`): a CMA area.
    #[serde(default)]
    pub reusable: bool,
}

/// Zone limit overrides, in pfns (`[zones]`); unset fields take the architecture's rule.
///
/// ```
/// let z = oxmm_host::machine::ZoneOverrides::default();
/// assert!(z.dma.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneOverrides {
    /// `max_zone_pfn[ZONE_DMA]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dma: Option<u64>,
    /// `max_zone_pfn[ZONE_DMA32]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dma32: Option<u64>,
    /// The lowmem limit (`max_low_pfn`, the top of ZONE_NORMAL on 32-bit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowmem: Option<u64>,
    /// Zones the kernel was built without (e.g. `["DMA32"]`, or `["Device"]` for a
    /// kernel without `CONFIG_ZONE_DEVICE`): they get no limit and no `Zone ranges` line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<String>,
}

/// Kernel image section sizes in bytes (`[kernel]`), and where the image sits.
///
/// ```
/// let k = oxmm_host::machine::KernelDesc::default();
/// assert_eq!(k.code, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelDesc {
    /// Physical load address (default: 16 MiB on x86, start of DRAM + 2 MiB elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<u64>,
    /// `.text`.
    #[serde(default)]
    pub code: u64,
    /// `.data`.
    #[serde(default)]
    pub rwdata: u64,
    /// `.rodata`.
    #[serde(default)]
    pub rodata: u64,
    /// `.init.*`.
    #[serde(default)]
    pub init: u64,
    /// `.bss`.
    #[serde(default)]
    pub bss: u64,
    /// ia32 only: pages of the permanent fixmap, which places the `virtual kernel memory
    /// layout:` block's areas (fixture 14's kernel has 234, i.e. `( 936 kB)`); without
    /// it no block is printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixmap_pages: Option<u64>,
    /// ia32 only: `CONFIG_X86_PAE` (2 MiB pkmap area; default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pae: Option<bool>,
    /// `sizeof(struct page)` in bytes, for kernels before v6.10 whose memmap accounting
    /// depends on it (a 64-bit kernel without `CONFIG_MEMCG` has 56); unset: the
    /// architecture's usual size. A boot log does not reveal it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub struct_page_size: Option<u64>,
}

/// A kernel e820 edit recorded in a boot log (`e820: update …` / `e820: remove …`).
///
/// ```
/// use oxmm_host::machine::E820Edit;
/// let e = E820Edit { op: "update".into(), range: "0x0-0xfff".into(), from: "usable".into(), to: Some("reserved".into()) };
/// assert_eq!(e.op, "update");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct E820Edit {
    /// `update` or `remove`.
    pub op: String,
    /// `0xSTART-0xEND`, inclusive.
    pub range: String,
    /// Type the edit applies to.
    pub from: String,
    /// New type (`update` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A machine description.
///
/// ```
/// use oxmm_host::machine::Machine;
/// let m = Machine::from_toml_str(r#"
/// name = "tiny"
/// arch = "x86-64"
/// cpus = 2
/// e820 = [ { range = "0x0-0x9fbff", type = "usable" },
///          { range = "0x100000-0x7fffffff", type = "usable" } ]
/// "#, "tiny.toml").unwrap();
/// assert_eq!(m.memory_size(), 0x8000_0000);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// The machine's name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Architecture profile: `x86-64`, `ia32`, `arm64`, `riscv64` or `arm`.
    pub arch: String,
    /// Page size in bytes (4096, 16384 or 65536).
    #[serde(default = "default_page_size")]
    pub page_size: u64,
    /// Physical address width in bits (default per architecture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phys_bits: Option<u32>,
    /// Number of possible CPUs.
    #[serde(default = "default_cpus")]
    pub cpus: u32,
    /// Kernel command line (memory options are honoured, others ignored).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cmdline: String,
    /// What `dump_stack()` prints as `Hardware name:` (Linux's
    /// `dump_stack_set_arch_desc`): on x86 the text of the boot log's `DMI:` line, on
    /// device-tree machines the model and ` (DT)`; unset: no such line, as on a
    /// machine without DMI or a device-tree model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[doc(alias = "dump_stack_arch_desc_str")]
    pub hardware_name: Option<String>,
    /// Boot-log format to reproduce, `MAJOR.MINOR` (default `6.12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_version: Option<String>,
    /// The firmware e820 map (x86).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub e820: Vec<RangeDesc>,
    /// e820 edits the kernel made, applied in order after `trim_bios_range`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub e820_edits: Vec<E820Edit>,
    /// Device-tree memory (non-x86).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memory: Vec<MemoryDesc>,
    /// NUMA nodes (none: one node, Linux's fake node 0).
    #[serde(default, rename = "node", skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeSpec>,
    /// SLIT distance matrix, one row per node id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distances: Vec<Vec<u8>>,
    /// The kernel was built with `CONFIG_NUMA` (it prints `Fallback order` and `Policy
    /// zone`); unset: the architecture's default (x86-64 and arm64 distribution kernels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_numa: Option<bool>,
    /// The kernel prints `Fallback order for Node` lines; unset: decided by version
    /// (v5.16+). Set for kernels that backport them (RHEL 9's 5.14) or lack them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub print_fallback_order: Option<bool>,
    /// x86-64 before v6.10: the kernel's `dma_reserve` in pages (its log's `DMA zone: N
    /// pages reserved`); unset: computed from the reservations below 16 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dma_reserve: Option<u64>,
    /// Zone limit overrides.
    #[serde(default)]
    pub zones: ZoneOverrides,
    /// Early reservations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserve: Vec<Reservation>,
    /// Device-tree reserved-memory nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved_mem: Vec<ReservedMem>,
    /// Reserved memory freed after boot, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late_free: Vec<LateFree>,
    /// Kernel image.
    #[serde(default)]
    pub kernel: KernelDesc,
    /// Where the description came from (file name or `profile NAME`), for errors.
    #[serde(skip)]
    pub origin: String,
}

fn default_page_size() -> u64 {
    4096
}

fn default_cpus() -> u32 {
    1
}

/// Parse `0xSTART-0xEND` (inclusive end) into `(start, end_exclusive)`.
///
/// ```
/// use oxmm_host::machine::parse_range;
/// assert_eq!(parse_range("0x1000-0x1fff"), Ok((0x1000, 0x2000)));
/// assert!(parse_range("0x2000-0x0fff").unwrap_err().contains("before"));
/// ```
pub fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}` is not a range `0xSTART-0xEND`"))?;
    let a = parse_number(a.trim()).ok_or_else(|| format!("`{}` is not a number", a.trim()))?;
    let b = parse_number(b.trim()).ok_or_else(|| format!("`{}` is not a number", b.trim()))?;
    if b < a {
        return Err(format!("range `{s}`: end {b:#x} is before start {a:#x}"));
    }
    let end = b
        .checked_add(1)
        .ok_or_else(|| format!("range `{s}`: end {b:#x} overflows"))?;
    Ok((a, end))
}

/// Format `[start, end)` as the inclusive `0xSTART-0xEND` of descriptions.
pub(crate) fn fmt_range(start: u64, end: u64) -> String {
    format!("{start:#x}-{:#x}", end - 1)
}

/// Parse an architecture name.
///
/// ```
/// use oxmm_host::machine::parse_arch;
/// assert_eq!(parse_arch("x86_64"), Some(oxmm::boot::Arch::X86_64));
/// assert_eq!(parse_arch("i686"), Some(oxmm::boot::Arch::Ia32));
/// ```
pub fn parse_arch(s: &str) -> Option<Arch> {
    Some(match s.to_ascii_lowercase().as_str() {
        "x86-64" | "x86_64" | "amd64" => Arch::X86_64,
        "ia32" | "i386" | "i686" | "x86" | "x86-32" => Arch::Ia32,
        "arm64" | "aarch64" => Arch::Arm64,
        "riscv64" | "riscv" => Arch::Riscv64,
        "arm" | "armv7" | "arm32" => Arch::Arm,
        _ => return None,
    })
}

impl Machine {
    /// An empty description for `arch` (no memory yet).
    ///
    /// ```
    /// let m = oxmm_host::machine::Machine::new("m", oxmm::boot::Arch::Arm64);
    /// assert_eq!(m.arch, "arm64");
    /// ```
    pub fn new(name: &str, arch: Arch) -> Machine {
        Machine {
            name: name.into(),
            description: String::new(),
            arch: arch.name().into(),
            page_size: 4096,
            phys_bits: None,
            cpus: 1,
            cmdline: String::new(),
            hardware_name: None,
            kernel_version: None,
            e820: Vec::new(),
            e820_edits: Vec::new(),
            memory: Vec::new(),
            nodes: Vec::new(),
            distances: Vec::new(),
            config_numa: None,
            print_fallback_order: None,
            dma_reserve: None,
            zones: ZoneOverrides::default(),
            reserve: Vec::new(),
            reserved_mem: Vec::new(),
            late_free: Vec::new(),
            kernel: KernelDesc::default(),
            origin: name.into(),
        }
    }

    fn err(&self, loc: Location, kind: ErrorKind, reason: impl Into<String>) -> MachineError {
        MachineError::new(self.origin.clone(), loc, kind, reason)
    }

    /// The architecture profile.
    ///
    /// ```
    /// use oxmm::boot::Arch;
    /// use oxmm_host::machine::{ErrorKind, Machine};
    /// let mut m = Machine::profile("ia32-4g").unwrap();
    /// assert_eq!(m.arch(), Ok(Arch::Ia32));
    /// m.arch = "sparc64".into();
    /// assert_eq!(m.arch().unwrap_err().kind, ErrorKind::BadValue);
    /// ```
    pub fn arch(&self) -> Result<Arch, MachineError> {
        parse_arch(&self.arch).ok_or_else(|| {
            self.err(
                Location::Field("arch".into()),
                ErrorKind::BadValue,
                format!(
                    "unknown architecture `{}` (use x86-64, ia32, arm64, riscv64 or arm)",
                    self.arch
                ),
            )
        })
    }

    /// The physical address width in bits.
    ///
    /// ```
    /// use oxmm::boot::Arch;
    /// use oxmm_host::machine::Machine;
    /// let mut m = Machine::new("m", Arch::X86_64);
    /// assert_eq!(m.phys_bits(), 46); // the architecture's default
    /// m.phys_bits = Some(39);
    /// assert_eq!(m.phys_bits(), 39);
    /// assert_eq!(Machine::profile("ia32-4g").unwrap().phys_bits(), 36); // PAE
    /// ```
    pub fn phys_bits(&self) -> u32 {
        self.phys_bits.unwrap_or(match parse_arch(&self.arch) {
            Some(Arch::X86_64) => 46,
            Some(Arch::Ia32) => 36,
            Some(Arch::Arm64) => 48,
            Some(Arch::Riscv64) => 56,
            Some(Arch::Arm) => 40,
            None => 64,
        })
    }

    /// The boot options of `cmdline`.
    ///
    /// ```
    /// use oxmm_host::machine::Machine;
    /// let m = Machine::profile("arm64-board").unwrap(); // cmdline = "cma=128M@0x83000000"
    /// assert_eq!(m.options().unwrap().cma, Some((128 << 20, Some(0x8300_0000))));
    /// assert_eq!(Machine::profile("pc-8g").unwrap().options().unwrap().cma, None);
    /// ```
    pub fn options(&self) -> Result<BootOptions, MachineError> {
        BootOptions::parse(&self.cmdline).map_err(|e| e.with_origin(&self.origin))
    }

    /// Add boot options on top of the machine's (`--cmdline "kernelcore=1G mem=4G"`).
    ///
    /// ```
    /// let mut m = oxmm_host::machine::Machine::profile("pc-8g").unwrap();
    /// m.apply_cmdline("kernelcore=1G").unwrap();
    /// assert_eq!(m.options().unwrap().kernelcore, Some(oxmm::boot::CoreSize::Bytes(1 << 30)));
    /// assert!(m.apply_cmdline("mem=lots").is_err());
    /// ```
    pub fn apply_cmdline(&mut self, cmdline: &str) -> Result<(), MachineError> {
        let mut o = self.options()?;
        o.apply(cmdline).map_err(|e| e.with_origin("--cmdline"))?;
        self.cmdline = format!("{} {}", self.cmdline, cmdline).trim().to_string();
        Ok(())
    }

    /// The boot-log format (`kernel_version`, default 6.12).
    ///
    /// ```
    /// use oxmm::boot::{Arch, LogFormat};
    /// use oxmm_host::machine::Machine;
    /// let mut m = Machine::new("m", Arch::X86_64);
    /// assert_eq!(m.log_format(), Ok(LogFormat::V6_12)); // unset
    /// m.kernel_version = Some("5.15.0-91-generic".into());
    /// assert_eq!(m.log_format(), Ok(LogFormat::new(5, 15)));
    /// m.kernel_version = Some("five".into());
    /// assert!(m.log_format().is_err());
    /// ```
    pub fn log_format(&self) -> Result<LogFormat, MachineError> {
        let Some(v) = &self.kernel_version else {
            return Ok(LogFormat::V6_12);
        };
        parse_version(v).ok_or_else(|| {
            self.err(
                Location::Field("kernel_version".into()),
                ErrorKind::BadValue,
                format!("`{v}` is not a kernel version MAJOR.MINOR"),
            )
        })
    }

    /// The highest address (exclusive) of any memory range: the size of the physical
    /// address space a hosted machine must back.
    ///
    /// ```
    /// use oxmm_host::machine::Machine;
    /// let m = Machine::profile("pc-8g").unwrap();
    /// // RAM ends at 10 GiB (2 GiB below the PCI hole, 6 GiB above 4 GiB); the reserved
    /// // range at 0xfd00000000 needs no backing.
    /// assert_eq!(m.memory_size(), 10 << 30);
    /// ```
    pub fn memory_size(&self) -> u64 {
        let e = self.e820.iter().filter_map(|r| parse_range(&r.range).ok());
        let m = self
            .memory
            .iter()
            .filter_map(|r| parse_range(&r.range).ok());
        let e: Vec<(u64, u64)> = e.collect();
        // Only usable RAM needs backing on e820 machines; reserved MMIO at the top
        // of the address space would not.
        let ram = self
            .e820
            .iter()
            .zip(e.iter())
            .filter(|(r, _)| {
                matches!(
                    E820Type::parse(&r.ty),
                    Some(E820Type::Ram | E820Type::ReservedKern)
                )
            })
            .map(|(_, r)| r.1);
        ram.chain(m.map(|r| r.1)).max().unwrap_or(0)
    }

    /// A built-in profile by name (see [`Machine::profile_names`]).
    ///
    /// ```
    /// use oxmm_host::machine::{ErrorKind, Machine};
    /// let m = Machine::profile("numa-2x16g").unwrap();
    /// assert_eq!((m.nodes.len(), m.cpus), (2, 8));
    /// assert_eq!(m.origin, "profile numa-2x16g");
    /// assert_eq!(Machine::profile("pc-9g").unwrap_err().kind, ErrorKind::UnknownProfile);
    /// ```
    pub fn profile(name: &str) -> Result<Machine, MachineError> {
        profiles::profile(name)
    }

    /// The names of the built-in profiles; the first is the default.
    ///
    /// ```
    /// assert_eq!(oxmm_host::machine::Machine::profile_names()[0], "pc-8g");
    /// ```
    pub fn profile_names() -> &'static [&'static str] {
        profiles::NAMES
    }

    /// Parse a TOML description; `origin` names it in errors.
    ///
    /// ```
    /// use oxmm_host::machine::{ErrorKind, Location, Machine};
    /// let m = Machine::from_toml_str("name = \"m\"\narch = \"arm64\"\nmemory = [ { range = \"0x40000000-0x7fffffff\" } ]\n", "m.toml").unwrap();
    /// assert_eq!((m.origin.as_str(), m.memory_size()), ("m.toml", 0x8000_0000));
    /// let e = Machine::from_toml_str("name = \"m\"\narch = \"arm64\"\nram = 4\n", "m.toml").unwrap_err();
    /// assert_eq!((e.kind, e.location), (ErrorKind::Toml, Location::Line(3)));
    /// ```
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Machine, MachineError> {
        toml::from_toml_str(text, origin)
    }

    /// Read and parse a TOML description file.
    ///
    /// ```
    /// use oxmm_host::machine::{ErrorKind, Machine};
    /// let m = Machine::profile("ia32-4g").unwrap();
    /// let path = std::env::temp_dir().join(format!("oxmm-doc-{}.toml", std::process::id()));
    /// std::fs::write(&path, m.to_toml_string()).unwrap();
    /// let back = Machine::from_toml_file(&path).unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// assert_eq!((back.e820, back.origin), (m.e820, path.display().to_string()));
    /// assert_eq!(Machine::from_toml_file(&path).unwrap_err().kind, ErrorKind::Io); // gone
    /// ```
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Machine, MachineError> {
        let (origin, bytes) = read_input(path.as_ref())?;
        let text = String::from_utf8(bytes).map_err(|e| {
            MachineError::new(
                origin.clone(),
                Location::Whole,
                ErrorKind::Io,
                format!("not UTF-8 text: {e}"),
            )
        })?;
        Self::from_toml_str(&text, &origin)
    }

    /// The description as TOML ([`Machine::from_toml_str`] reads it back equal).
    ///
    /// ```
    /// use oxmm_host::machine::Machine;
    /// let m = Machine::profile("numa-2x16g").unwrap();
    /// let text = m.to_toml_string();
    /// assert!(text.contains("[[node]]"));
    /// assert_eq!(Machine::from_toml_str(&text, "profile numa-2x16g").unwrap(), m);
    /// ```
    pub fn to_toml_string(&self) -> String {
        toml::to_toml_string(self)
    }

    /// Import a machine from a real Linux boot log (dmesg, journal or serial console).
    ///
    /// ```
    /// use oxmm_host::machine::{ErrorKind, Machine};
    /// let log = "\
    /// [    0.000000] Linux version 6.12.0 (gcc) #1 SMP PREEMPT_DYNAMIC
    /// [    0.000000] Command line: quiet mem=256M
    /// [    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
    /// [    0.000000] BIOS-e820: [mem 0x0000000000100000-0x0000000017fdefff] usable
    /// ";
    /// let m = Machine::from_dmesg_str(log, "dmesg").unwrap();
    /// assert_eq!((m.arch.as_str(), m.memory_size()), ("x86-64", 0x17fd_f000));
    /// assert_eq!(m.options().unwrap().mem, Some(256 << 20));
    /// let e = Machine::from_dmesg_str("[    0.000000] Linux version 6.12.0\n", "dmesg").unwrap_err();
    /// assert_eq!(e.kind, ErrorKind::NoMemoryMap);
    /// ```
    pub fn from_dmesg_str(text: &str, origin: &str) -> Result<Machine, MachineError> {
        dmesg::from_dmesg_str(text, origin)
    }

    /// Read and import a boot log file.
    ///
    /// ```
    /// use oxmm_host::machine::{ErrorKind, Machine};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/linux-6.12-qemu/q35-384m");
    /// let m = Machine::from_dmesg_file(format!("{dir}/dmesg.txt")).unwrap();
    /// assert_eq!(m.memory_size(), 0x17fd_f000); // RAM ends just below 384 MiB
    /// assert_eq!(m.log_format(), Ok(oxmm::boot::LogFormat::V6_12));
    /// assert_eq!(Machine::from_dmesg_file(format!("{dir}/none.txt")).unwrap_err().kind, ErrorKind::Io);
    /// ```
    pub fn from_dmesg_file(path: impl AsRef<Path>) -> Result<Machine, MachineError> {
        let (origin, bytes) = read_input(path.as_ref())?;
        // Boot logs may carry stray non-UTF-8 bytes (serial consoles): keep the rest.
        Self::from_dmesg_str(&String::from_utf8_lossy(&bytes), &origin)
    }

    /// A twin of the real machine this one was imported from: `dmesg` is its boot log
    /// (for the memory freed after boot) and `zoneinfo` its `/proc/zoneinfo`. The
    /// result has extra reservations and `[[late_free]]` ranges such that a boot gives
    /// every zone the captured managed pages, watermarks, protection and batches (see
    /// the `twin` module). Errors name what the capture and the log disagree on.
    ///
    /// ```
    /// use oxmm_host::machine::{Machine, Zoneinfo};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/linux-6.12-qemu/q35-384m");
    /// let log = std::fs::read_to_string(format!("{dir}/dmesg.txt")).unwrap();
    /// let zi = Zoneinfo::from_file(format!("{dir}/zoneinfo.txt")).unwrap();
    /// let twin = Machine::from_dmesg_str(&log, "dmesg.txt").unwrap().twin(&log, &zi).unwrap();
    /// assert_eq!(twin.late_free[0].name, "initrd");
    /// ```
    pub fn twin(&self, dmesg: &str, zoneinfo: &Zoneinfo) -> Result<Machine, MachineError> {
        twin::fit(self, dmesg, zoneinfo)
    }

    /// `oxmm boot --from-dmesg DMESG --zoneinfo ZONEINFO [--cmdline OPTIONS]`: import
    /// the log, apply `cmdline` on top of the log's options, and fit the twin.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/linux-6.12-qemu/q35-384m");
    /// let m = Machine::twin_from_files(format!("{dir}/dmesg.txt"), format!("{dir}/zoneinfo.txt"), None)
    ///     .unwrap();
    /// let hm = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
    /// assert_eq!(hm.mm().sysctl().min_free_kbytes, 2320); // the capture's value
    /// ```
    pub fn twin_from_files(
        dmesg: impl AsRef<Path>,
        zoneinfo: impl AsRef<Path>,
        cmdline: Option<&str>,
    ) -> Result<Machine, MachineError> {
        let (origin, bytes) = read_input(dmesg.as_ref())?;
        let text = String::from_utf8_lossy(&bytes);
        let mut m = Self::from_dmesg_str(&text, &origin)?;
        if let Some(c) = cmdline {
            m.apply_cmdline(c)?;
        }
        let zi = Zoneinfo::from_file(zoneinfo)?;
        m.twin(&text, &zi)
    }

    /// The architecture part of boot: build memblock and everything
    /// [`BootConfig`](oxmm::boot::BootConfig) borrows.
    ///
    /// ```
    /// use oxmm_host::machine::Machine;
    /// let m = Machine::profile("pc-8g").unwrap();
    /// let s = m.setup().unwrap();
    /// assert_eq!(s.max_pfn(), (10u64 << 30) >> 12);
    /// assert_eq!(s.boot_config().nr_cpus, m.cpus);
    /// ```
    pub fn setup(&self) -> Result<ArchSetup, MachineError> {
        arch::setup(self)
    }

    /// Check everything [`Machine::setup`] would reject, without building memblock.
    ///
    /// ```
    /// use oxmm_host::machine::{ErrorKind, Machine, RangeDesc};
    /// let mut m = Machine::profile("pc-8g").unwrap();
    /// assert!(m.validate().is_ok());
    /// m.e820.push(RangeDesc { range: "0x400000000000-0x400000000fff".into(), ty: "usable".into() });
    /// assert_eq!(m.validate().unwrap_err().kind, ErrorKind::BeyondPhysBits); // 46 bits
    /// ```
    pub fn validate(&self) -> Result<(), MachineError> {
        arch::validate(self).map(|_| ())
    }
}

/// `MAJOR.MINOR[...]` → a log format.
pub(crate) fn parse_version(v: &str) -> Option<LogFormat> {
    let mut it = v.trim().split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some(LogFormat::new(major, minor))
}

/// Read an input file; the error names the file and the reason.
fn read_input(path: &Path) -> Result<(String, Vec<u8>), MachineError> {
    let origin = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((origin, bytes)),
        Err(e) => Err(MachineError::new(
            origin,
            Location::Whole,
            ErrorKind::Io,
            format!("cannot read: {e}"),
        )),
    }
}

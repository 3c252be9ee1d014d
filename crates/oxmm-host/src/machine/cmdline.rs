//! Boot options with Linux's meaning: the memory-related part of the kernel command line.

use super::error::{ErrorKind, Location, MachineError};
use oxmm::boot::{CoreSize, ThpMode};
use oxmm::slab::debug::{SlubDebug, SlubDebugBoot};
use oxmm::slab::hardening::MemInit;
use oxmm::slab::order::SlubParams;

/// Parse a number as C's `simple_strtoull(s, &end, 0)` does: `0x` hex, leading-`0` octal
/// or decimal. The whole string must be used.
///
/// ```
/// use oxmm_host::machine::parse_number;
/// assert_eq!(parse_number("0x1f"), Some(31));
/// assert_eq!(parse_number("12"), Some(12));
/// assert_eq!(parse_number("0xzz"), None);
/// ```
pub fn parse_number(s: &str) -> Option<u64> {
    let (n, rest) = strtoull(s)?;
    rest.is_empty().then_some(n)
}

/// The leading number of `s` (base as C's base 0) and what follows it.
fn strtoull(s: &str) -> Option<(u64, &str)> {
    let (radix, body) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') && s.as_bytes()[1].is_ascii_digit() {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let n = body
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(body.len());
    if n == 0 {
        return None;
    }
    let v = u64::from_str_radix(&body[..n], radix).ok()?;
    Some((v, &body[n..]))
}

/// Linux's `memparse`: a number with an optional K, M, G, T, P or E suffix (binary
/// multiples), returning the value and the unparsed rest.
///
/// ```
/// use oxmm_host::machine::memparse;
/// assert_eq!(memparse("4G"), Some((4 << 30, "")));
/// assert_eq!(memparse("512M@0x100000"), Some((512 << 20, "@0x100000")));
/// assert_eq!(memparse("zz"), None);
/// ```
pub fn memparse(s: &str) -> Option<(u64, &str)> {
    let (v, rest) = strtoull(s)?;
    let shift = match rest.chars().next() {
        Some('K' | 'k') => 10,
        Some('M' | 'm') => 20,
        Some('G' | 'g') => 30,
        Some('T' | 't') => 40,
        Some('P' | 'p') => 50,
        Some('E' | 'e') => 60,
        _ => return Some((v, rest)),
    };
    let v = v.checked_mul(1u64 << shift)?;
    Some((v, &rest[1..]))
}

/// One `memmap=` option.
///
/// ```
/// use oxmm_host::machine::{Memmap, BootOptions};
/// let o = BootOptions::parse("memmap=8G!8G").unwrap();
/// assert_eq!(o.memmap, vec![Memmap::Pram { start: 8 << 30, size: 8 << 30 }]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memmap {
    /// `memmap=exactmap`: forget the firmware map.
    ExactMap,
    /// `memmap=nn@ss`: usable RAM.
    Ram {
        /// Start address.
        start: u64,
        /// Size.
        size: u64,
    },
    /// `memmap=nn#ss`: ACPI data.
    Acpi {
        /// Start address.
        start: u64,
        /// Size.
        size: u64,
    },
    /// `memmap=nn$ss`: reserved.
    Reserved {
        /// Start address.
        start: u64,
        /// Size.
        size: u64,
    },
    /// `memmap=nn!ss`: persistent memory (type 12).
    Pram {
        /// Start address.
        start: u64,
        /// Size.
        size: u64,
    },
    /// `memmap=nn`: like `mem=nn`.
    Limit(u64),
}

/// The memory-related boot options of a kernel command line.
///
/// ```
/// use oxmm_host::machine::BootOptions;
/// use oxmm::boot::{CoreSize, ThpMode};
/// let o = BootOptions::parse("quiet kernelcore=25% mem=4G transparent_hugepage=never nr_cpus=4").unwrap();
/// assert_eq!(o.kernelcore, Some(CoreSize::Percent(25)));
/// assert_eq!(o.mem, Some(4 << 30));
/// assert_eq!(o.thp, Some(ThpMode::Never));
/// assert_eq!(o.nr_cpus, Some(4));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BootOptions {
    /// `mem=`: the highest address of RAM to use (x86); the amount of memory to keep
    /// (arm64, its NOMAP regions kept as well, and riscv64); the size of the one bank of
    /// RAM that replaces the device tree's (32-bit arm).
    pub mem: Option<u64>,
    /// `memmap=` options, in order.
    pub memmap: Vec<Memmap>,
    /// `kernelcore=`.
    pub kernelcore: Option<CoreSize>,
    /// `movablecore=`.
    pub movablecore: Option<CoreSize>,
    /// `numa=off`.
    pub numa_off: bool,
    /// `movable_node`.
    pub movable_node: bool,
    /// `transparent_hugepage=`.
    pub thp: Option<ThpMode>,
    /// `cma=` size (and optional `@base`).
    pub cma: Option<(u64, Option<u64>)>,
    /// `nr_cpus=` / `maxcpus=` (the smaller wins).
    pub nr_cpus: Option<u32>,
    /// `slub_debug` / `slab_debug`: the text after the option name (`""`, `"="` or
    /// `"=FZPU,kmalloc-*"`), the last one given.
    pub slub_debug: Option<String>,
    /// `slab_nomerge` / `slub_nomerge` (`slab_merge` turns merging back on).
    pub slab_nomerge: bool,
    /// `init_on_alloc=`.
    pub init_on_alloc: Option<bool>,
    /// `init_on_free=`.
    pub init_on_free: Option<bool>,
    /// `sysctl.PATH=VALUE` (and `sysctl/PATH=VALUE`) parameters, in command-line
    /// order: written after the boot, as Linux's `do_sysctl_args` does (only the page
    /// allocator's tunables change anything here; see [`SysctlTarget`]).
    pub sysctl: Vec<SysctlArg>,
}

/// The `vm.*` tunables a `sysctl.` boot parameter can set here.
pub const SYSCTL_VM_TUNABLES: [&str; 5] = [
    "min_free_kbytes",
    "watermark_scale_factor",
    "watermark_boost_factor",
    "lowmem_reserve_ratio",
    "percpu_pagelist_high_fraction",
];

/// The files of `/proc/sys/vm` in Linux 6.12 (Debian's x86-64 build, as the oracle
/// listed them: `fixtures/linux-6.12-qemu/q35-2g-sysctl3/sysvm.txt`): a `sysctl.vm.`
/// parameter naming anything else is `parameter not found`.
#[doc(alias = "vm_table")]
pub const PROC_SYS_VM: [&str; 52] = [
    "admin_reserve_kbytes",
    "compact_memory",
    "compact_unevictable_allowed",
    "compaction_proactiveness",
    "dirty_background_bytes",
    "dirty_background_ratio",
    "dirty_bytes",
    "dirty_expire_centisecs",
    "dirty_ratio",
    "dirty_writeback_centisecs",
    "dirtytime_expire_seconds",
    "drop_caches",
    "enable_soft_offline",
    "extfrag_threshold",
    "hugetlb_optimize_vmemmap",
    "hugetlb_shm_group",
    "laptop_mode",
    "legacy_va_layout",
    "lowmem_reserve_ratio",
    "max_map_count",
    "memfd_noexec",
    "memory_failure_early_kill",
    "memory_failure_recovery",
    "min_free_kbytes",
    "min_slab_ratio",
    "min_unmapped_ratio",
    "mmap_min_addr",
    "mmap_rnd_bits",
    "mmap_rnd_compat_bits",
    "nr_hugepages",
    "nr_hugepages_mempolicy",
    "nr_overcommit_hugepages",
    "numa_stat",
    "numa_zonelist_order",
    "oom_dump_tasks",
    "oom_kill_allocating_task",
    "overcommit_kbytes",
    "overcommit_memory",
    "overcommit_ratio",
    "page-cluster",
    "page_lock_unfairness",
    "panic_on_oom",
    "percpu_pagelist_high_fraction",
    "stat_interval",
    "stat_refresh",
    "swappiness",
    "unprivileged_userfaultfd",
    "user_reserve_kbytes",
    "vfs_cache_pressure",
    "watermark_boost_factor",
    "watermark_scale_factor",
    "zone_reclaim_mode",
];

/// What the path of a `sysctl.` boot parameter names under `/proc/sys`, as
/// `process_sysctl_arg`'s open of it finds it.
///
/// ```
/// use oxmm_host::machine::{BootOptions, SysctlTarget};
/// let o = BootOptions::parse("sysctl.vm.swappiness=10 sysctl.vm.nope=1 sysctl.kernel.panic=5").unwrap();
/// let t: Vec<_> = o.sysctl.iter().map(|a| a.target).collect();
/// assert_eq!(t, [SysctlTarget::Unmodelled, SysctlTarget::NotFound, SysctlTarget::Unmodelled]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysctlTarget {
    /// One of the page allocator's tunables ([`SYSCTL_VM_TUNABLES`]): written.
    Tunable(&'static str),
    /// A file Linux has that is not modelled here: another file of [`PROC_SYS_VM`],
    /// or any path outside `vm/` (those trees are not known here, so a name Linux
    /// lacks there is not reported either). Nothing is written and, its value
    /// unchecked, nothing is said.
    Unmodelled,
    /// A name under `vm/` that Linux 6.12 lacks (`-ENOENT`).
    NotFound,
    /// `vm` or `/proc/sys` itself, a directory (`-EISDIR`).
    Directory,
    /// A path through a file of `vm/` as if it were a directory (`-ENOTDIR`).
    NotDirectory,
}

/// A `sysctl.PATH=VALUE` boot parameter (Linux ≥ 5.8: `process_sysctl_arg`).
///
/// ```
/// use oxmm_host::machine::{BootOptions, SysctlTarget};
/// let o = BootOptions::parse(r#"sysctl.vm.lowmem_reserve_ratio="128 128 16" sysctl/vm/min_free_kbytes=8192"#).unwrap();
/// assert_eq!(o.sysctl[0].target, SysctlTarget::Tunable("lowmem_reserve_ratio"));
/// assert_eq!(o.sysctl[0].value.as_deref(), Some("128 128 16"));
/// assert_eq!(o.sysctl[1].param, "vm/min_free_kbytes");
/// assert_eq!(o.sysctl[1].target, SysctlTarget::Tunable("min_free_kbytes"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysctlArg {
    /// The parameter as written (`sysctl.vm.min_free_kbytes`): `parse_args` names
    /// it so when the value is missing.
    pub key: String,
    /// The path as written after `sysctl.` (`vm.min_free_kbytes`): the other
    /// messages name it so.
    pub param: String,
    /// What the path names.
    pub target: SysctlTarget,
    /// The value, without its quotes; `None` without `=`.
    pub value: Option<String>,
}

impl SysctlArg {
    /// A `sysctl` parameter (`sysctl.vm.x`, `sysctl/vm/x`, ...: Linux turns every `.`
    /// of the path into `/`); `None` for a key Linux's `process_sysctl_arg` skips
    /// (no `.` or `/` after `sysctl`).
    fn parse(key: &str, value: Option<&str>) -> Option<SysctlArg> {
        let rest = key.strip_prefix("sysctl")?;
        let param = rest.strip_prefix('.').or_else(|| rest.strip_prefix('/'))?;
        let path = param.replace('.', "/");
        let target = match path.split_once('/') {
            // /proc/sys itself, or vm/.
            _ if path.is_empty() || path == "vm" => SysctlTarget::Directory,
            Some(("vm", name)) => {
                let (file, below) = match name.split_once('/') {
                    Some((f, b)) => (f, Some(b)),
                    None => (name, None),
                };
                let known = PROC_SYS_VM.contains(&file);
                match (known, below) {
                    (true, Some(_)) => SysctlTarget::NotDirectory,
                    (false, _) => SysctlTarget::NotFound,
                    (true, None) => SYSCTL_VM_TUNABLES
                        .iter()
                        .find(|&&t| t == file)
                        .map_or(SysctlTarget::Unmodelled, |&t| SysctlTarget::Tunable(t)),
                }
            }
            _ => SysctlTarget::Unmodelled,
        };
        Some(SysctlArg {
            key: key.to_string(),
            param: param.to_string(),
            target,
            value: value.map(str::to_string),
        })
    }

    /// What Linux logs (at `KERN_ERR`) for this parameter before writing anything,
    /// if it gets no further: a missing or empty value (`parse_args`' line for
    /// `-EINVAL`), or a path that does not open.
    ///
    /// ```
    /// use oxmm_host::machine::BootOptions;
    /// let o = BootOptions::parse("sysctl.vm.min_free_kbytes sysctl.vm.nope=1").unwrap();
    /// assert_eq!(
    ///     o.sysctl[0].open_error().unwrap(),
    ///     "Setting sysctl args: `' invalid for parameter `sysctl.vm.min_free_kbytes'"
    /// );
    /// assert_eq!(
    ///     o.sysctl[1].open_error().unwrap(),
    ///     "Failed to set sysctl parameter 'vm.nope=1': parameter not found"
    /// );
    /// ```
    pub fn open_error(&self) -> Option<String> {
        let val = self.value.as_deref().unwrap_or("");
        if val.is_empty() {
            return Some(format!(
                "Setting sysctl args: `{val}' invalid for parameter `{}'",
                self.key
            ));
        }
        let p = &self.param;
        match self.target {
            SysctlTarget::Tunable(_) | SysctlTarget::Unmodelled => None,
            SysctlTarget::NotFound => Some(format!(
                "Failed to set sysctl parameter '{p}={val}': parameter not found"
            )),
            SysctlTarget::Directory => Some(format!(
                "Error -EISDIR opening proc file to set sysctl parameter '{p}={val}'"
            )),
            SysctlTarget::NotDirectory => Some(format!(
                "Error -ENOTDIR opening proc file to set sysctl parameter '{p}={val}'"
            )),
        }
    }

    /// The integers of the value as `proc_dointvec` reads them: base as C's base 0,
    /// an optional `-`, separated by white space; those before the first that is not
    /// one (Linux stores each as it goes), and whether all were.
    ///
    /// ```
    /// use oxmm_host::machine::BootOptions;
    /// let o = BootOptions::parse(r#"sysctl.vm.lowmem_reserve_ratio="32 0x10 x 7""#).unwrap();
    /// assert_eq!(o.sysctl[0].ints(), (vec![32, 16], false));
    /// ```
    pub fn ints(&self) -> (Vec<i64>, bool) {
        let mut out = Vec::new();
        for t in self.value.as_deref().unwrap_or("").split_whitespace() {
            let (neg, digits) = match t.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, t),
            };
            match parse_number(digits).and_then(|n| i64::try_from(n).ok()) {
                Some(n) => out.push(if neg { -n } else { n }),
                None => return (out, false),
            }
        }
        (out, true)
    }
}

/// The words of a kernel command line as Linux's `next_arg` splits them: at white
/// space outside double quotes; a quoted value (`a="x y"`) or word (`"a=x y"`) loses
/// its quotes.
///
/// ```
/// use oxmm_host::machine::cmdline_words;
/// assert_eq!(cmdline_words(r#"ro a="x y" "b=1 2" c"#), ["ro", "a=x y", "b=1 2", "c"]);
/// ```
pub fn cmdline_words(cmdline: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = cmdline.trim_start();
    while !rest.is_empty() {
        let mut in_quote = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quote = !in_quote;
                }
                c.is_whitespace() && !in_quote
            })
            .map_or(rest.len(), |(i, _)| i);
        let word = &rest[..end];
        let word = word
            .strip_prefix('"')
            .map_or(word, |w| w.strip_suffix('"').unwrap_or(w));
        words.push(match word.split_once('=') {
            Some((k, v)) if v.starts_with('"') => {
                let v = &v[1..];
                format!("{k}={}", v.strip_suffix('"').unwrap_or(v))
            }
            _ => word.to_string(),
        });
        rest = rest[end..].trim_start();
    }
    words
}

fn bad(opt: &str, reason: impl Into<String>) -> MachineError {
    MachineError::new(
        "command line",
        Location::Field(format!("cmdline: {opt}")),
        ErrorKind::BadValue,
        reason,
    )
}

fn core_size(key: &str, v: &str) -> Result<CoreSize, MachineError> {
    if v == "mirror" {
        return Ok(CoreSize::Mirror);
    }
    if let Some(p) = v.strip_suffix('%') {
        return match p.parse::<u32>() {
            Ok(n) if n <= 100 => Ok(CoreSize::Percent(n)),
            _ => Err(bad(
                key,
                format!("`{v}` is not a percentage from 0% to 100%"),
            )),
        };
    }
    match memparse(v) {
        Some((n, "")) => Ok(CoreSize::Bytes(n)),
        _ => Err(bad(
            key,
            format!("`{v}` is not a size (number with K/M/G/T/P/E) or percentage"),
        )),
    }
}

fn size_at(key: &str, v: &str) -> Result<(u64, char, u64), MachineError> {
    let (size, rest) =
        memparse(v).ok_or_else(|| bad(key, format!("`{v}` does not start with a size")))?;
    let mut chars = rest.chars();
    let Some(sep) = chars.next() else {
        return Ok((size, ' ', 0));
    };
    let (start, tail) = memparse(chars.as_str())
        .ok_or_else(|| bad(key, format!("`{v}`: no address after `{sep}`")))?;
    if !tail.is_empty() {
        return Err(bad(key, format!("`{v}`: trailing `{tail}`")));
    }
    Ok((size, sep, start))
}

impl BootOptions {
    /// Parse a command line; options that do not concern memory are ignored.
    ///
    /// ```
    /// use oxmm_host::machine::{BootOptions, ErrorKind, Memmap};
    /// let o = BootOptions::parse("ro quiet memmap=64M$0x100000000 movable_node").unwrap();
    /// assert_eq!(o.memmap, [Memmap::Reserved { start: 1 << 32, size: 64 << 20 }]);
    /// assert!(o.movable_node && o.mem.is_none());
    /// assert_eq!(BootOptions::parse("mem=lots").unwrap_err().kind, ErrorKind::BadValue);
    /// ```
    pub fn parse(cmdline: &str) -> Result<Self, MachineError> {
        let mut o = BootOptions::default();
        o.apply(cmdline)?;
        Ok(o)
    }

    /// Apply the options of `cmdline` on top of these (later options override earlier
    /// ones as in Linux; `memmap=` options accumulate).
    ///
    /// ```
    /// use oxmm_host::machine::BootOptions;
    /// let mut o = BootOptions::parse("mem=4G memmap=1G$0x100000000").unwrap();
    /// o.apply("mem=2G memmap=512M!0x140000000").unwrap();
    /// assert_eq!(o.mem, Some(2 << 30)); // overridden
    /// assert_eq!(o.memmap.len(), 2); // accumulated
    /// ```
    pub fn apply(&mut self, cmdline: &str) -> Result<(), MachineError> {
        for word in cmdline_words(cmdline) {
            let word = word.as_str();
            let (key, val) = match word.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (word, None),
            };
            fn need<'a>(key: &str, v: Option<&'a str>) -> Result<&'a str, MachineError> {
                v.ok_or_else(|| bad(key, "needs a value"))
            }
            match key {
                "mem" => {
                    let v = need(key, val)?;
                    match memparse(v) {
                        Some((n, "")) => self.mem = Some(n),
                        _ => return Err(bad(key, format!("`{v}` is not a size"))),
                    }
                }
                "memmap" => {
                    for part in need(key, val)?.split(',') {
                        if part == "exactmap" {
                            self.memmap.push(Memmap::ExactMap);
                            continue;
                        }
                        let (size, sep, start) = size_at(key, part)?;
                        self.memmap.push(match sep {
                            '@' => Memmap::Ram { start, size },
                            '#' => Memmap::Acpi { start, size },
                            '$' => Memmap::Reserved { start, size },
                            '!' => Memmap::Pram { start, size },
                            ' ' => Memmap::Limit(size),
                            c => {
                                return Err(bad(
                                    key,
                                    format!("`{part}`: unknown separator `{c}` (use @, #, $ or !)"),
                                ))
                            }
                        });
                    }
                }
                "kernelcore" => self.kernelcore = Some(core_size(key, need(key, val)?)?),
                "movablecore" => self.movablecore = Some(core_size(key, need(key, val)?)?),
                "numa" if need(key, val)? == "off" => self.numa_off = true,
                "movable_node" => self.movable_node = true,
                "transparent_hugepage" => {
                    let v = need(key, val)?;
                    self.thp = Some(match v {
                        "always" => ThpMode::Always,
                        "madvise" => ThpMode::Madvise,
                        "never" => ThpMode::Never,
                        _ => {
                            return Err(bad(key, format!("`{v}` is not always, madvise or never")))
                        }
                    });
                }
                "cma" => {
                    let v = need(key, val)?;
                    let (size, sep, start) = size_at(key, v)?;
                    self.cma = Some(match sep {
                        ' ' => (size, None),
                        '@' => (size, Some(start)),
                        c => return Err(bad(key, format!("`{v}`: unexpected `{c}`"))),
                    });
                }
                "slub_debug" | "slab_debug" => {
                    // Unknown option characters are skipped at boot, with Linux's
                    // report ([`BootOptions::slub_debug_unknown`]), not refused.
                    self.slub_debug = Some(word[key.len()..].to_string());
                }
                "slab_nomerge" | "slub_nomerge" => self.slab_nomerge = true,
                "slab_merge" | "slub_merge" => self.slab_nomerge = false,
                "init_on_alloc" | "init_on_free" => {
                    need(key, val)?;
                    let m = MemInit::parse_cmdline(word).map_err(|e| bad(key, e.to_string()))?;
                    if key == "init_on_alloc" {
                        self.init_on_alloc = Some(m.init_on_alloc);
                    } else {
                        self.init_on_free = Some(m.init_on_free);
                    }
                }
                k if k.starts_with("sysctl") => {
                    if let Some(a) = SysctlArg::parse(k, val) {
                        self.sysctl.push(a);
                    }
                }
                "nr_cpus" | "maxcpus" => {
                    let v = need(key, val)?;
                    let n: u32 = v
                        .parse()
                        .map_err(|_| bad(key, format!("`{v}` is not a CPU count")))?;
                    self.nr_cpus = Some(self.nr_cpus.map_or(n, |m| m.min(n)).max(1));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The options as a command line (inverse of [`BootOptions::parse`]).
    ///
    /// ```
    /// use oxmm_host::machine::BootOptions;
    /// let o = BootOptions::parse("mem=0x100000000 memmap=1G$0x40000000").unwrap();
    /// assert_eq!(BootOptions::parse(&o.to_cmdline()).unwrap(), o);
    /// ```
    pub fn to_cmdline(&self) -> String {
        let mut w: Vec<String> = Vec::new();
        if let Some(m) = self.mem {
            w.push(format!("mem={m:#x}"));
        }
        for m in &self.memmap {
            w.push(match *m {
                Memmap::ExactMap => "memmap=exactmap".into(),
                Memmap::Ram { start, size } => format!("memmap={size:#x}@{start:#x}"),
                Memmap::Acpi { start, size } => format!("memmap={size:#x}#{start:#x}"),
                Memmap::Reserved { start, size } => format!("memmap={size:#x}${start:#x}"),
                Memmap::Pram { start, size } => format!("memmap={size:#x}!{start:#x}"),
                Memmap::Limit(size) => format!("memmap={size:#x}"),
            });
        }
        let cs = |c: CoreSize| match c {
            CoreSize::Bytes(b) => format!("{b:#x}"),
            CoreSize::Percent(p) => format!("{p}%"),
            CoreSize::Mirror => "mirror".into(),
        };
        if let Some(k) = self.kernelcore {
            w.push(format!("kernelcore={}", cs(k)));
        }
        if let Some(k) = self.movablecore {
            w.push(format!("movablecore={}", cs(k)));
        }
        if self.numa_off {
            w.push("numa=off".into());
        }
        if self.movable_node {
            w.push("movable_node".into());
        }
        if let Some(t) = self.thp {
            let s = match t {
                ThpMode::Always => "always",
                ThpMode::Madvise => "madvise",
                ThpMode::Never => "never",
            };
            w.push(format!("transparent_hugepage={s}"));
        }
        match self.cma {
            Some((s, None)) => w.push(format!("cma={s:#x}")),
            Some((s, Some(b))) => w.push(format!("cma={s:#x}@{b:#x}")),
            None => {}
        }
        if let Some(n) = self.nr_cpus {
            w.push(format!("nr_cpus={n}"));
        }
        if let Some(d) = &self.slub_debug {
            w.push(format!("slub_debug{d}"));
        }
        if self.slab_nomerge {
            w.push("slab_nomerge".into());
        }
        if let Some(b) = self.init_on_alloc {
            w.push(format!("init_on_alloc={}", b as u8));
        }
        if let Some(b) = self.init_on_free {
            w.push(format!("init_on_free={}", b as u8));
        }
        for a in &self.sysctl {
            match &a.value {
                None => w.push(a.key.clone()),
                Some(v) if v.contains(char::is_whitespace) => w.push(format!("{}=\"{v}\"", a.key)),
                Some(v) => w.push(format!("{}={v}", a.key)),
            }
        }
        w.join(" ")
    }

    /// The slab allocator's boot parameters: `slub_debug=` and `slab_nomerge`
    /// (Linux's defaults otherwise).
    ///
    /// ```
    /// use oxmm_host::machine::BootOptions;
    /// use oxmm::slab::SlabFlags;
    /// let p = BootOptions::parse("slub_debug=FZ slab_nomerge").unwrap().slub_params().unwrap();
    /// assert!(p.nomerge);
    /// assert_eq!(p.slub_debug.get().global, SlabFlags::CONSISTENCY_CHECKS.union(SlabFlags::RED_ZONE));
    /// ```
    pub fn slub_params(&self) -> Result<SlubParams, MachineError> {
        let mut p = SlubParams {
            nomerge: self.slab_nomerge,
            ..SlubParams::default()
        };
        if let Some(d) = &self.slub_debug {
            let parsed = SlubDebug::parse_skipping(d, &mut |_, _| {});
            p.slub_debug =
                SlubDebugBoot::new(&parsed).map_err(|e| bad("slub_debug", e.to_string()))?;
        }
        Ok(p)
    }

    /// The `slub_debug=` option characters Linux skips, each with the line it prints
    /// (`slab_debug option '<c>' unknown. skipped`, at `KERN_ERR`), in order.
    ///
    /// ```
    /// use oxmm_host::machine::BootOptions;
    /// let o = BootOptions::parse("slub_debug=FQZ").unwrap();
    /// assert_eq!(o.slub_debug_unknown(), ["slab_debug option 'Q' unknown. skipped"]);
    /// assert!(o.slub_params().unwrap().slub_debug.enabled());
    /// ```
    pub fn slub_debug_unknown(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(d) = &self.slub_debug {
            SlubDebug::parse_skipping(d, &mut |c, _| {
                out.push(oxmm::slab::debug::UnknownOption(c).to_string())
            });
        }
        out
    }

    /// `init_on_alloc=` / `init_on_free=` (both off unless given).
    ///
    /// ```
    /// use oxmm_host::machine::BootOptions;
    /// let m = BootOptions::parse("init_on_free=1").unwrap().meminit();
    /// assert!(m.init_on_free && !m.init_on_alloc);
    /// ```
    pub fn meminit(&self) -> MemInit {
        MemInit {
            init_on_alloc: self.init_on_alloc.unwrap_or(false),
            init_on_free: self.init_on_free.unwrap_or(false),
        }
    }
}

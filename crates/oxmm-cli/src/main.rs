//! The `oxmm` command: boot a described machine and show what Linux would print.
//!
//! `oxmm` alone boots the default machine (`pc-8g`) and prints its boot log and a
//! memory summary; `oxmm boot --help` lists the options; `oxmm machines` lists the
//! built-in profiles.
#![warn(missing_docs)]

#[cfg(feature = "oxmm-alloc")]
#[global_allocator]
static GLOBAL: oxmm_host::global_alloc::OxmmAlloc = oxmm_host::global_alloc::OxmmAlloc::new();

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use oxmm::gfp::Gfp;
use oxmm::mm::BootMode;
use oxmm::printk::Level;
use oxmm::slab::{SlabCaches, SlabFlags};
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;

/// The machine `oxmm` boots when none is named.
const DEFAULT_MACHINE: &str = "pc-8g";

/// Linux's memory manager in Rust: boot a described machine and show what Linux would
/// print.
#[derive(Parser, Debug)]
#[command(name = "oxmm", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Boot a machine and print its boot log and memory summary, or the /proc files
    /// `--proc` names (the default command).
    Boot(Box<BootArgs>),
    /// List the built-in machine profiles.
    Machines,
}

/// Where the machine comes from, its options, and how to print.
#[derive(Args, Debug, Default)]
struct BootArgs {
    /// A built-in profile (see `oxmm machines`); default pc-8g.
    #[arg(long, value_name = "NAME", group = "source")]
    machine: Option<String>,
    /// A machine description in TOML.
    #[arg(long, value_name = "FILE.toml", group = "source")]
    config: Option<PathBuf>,
    /// Import the machine from a real Linux boot log (dmesg).
    #[arg(long, value_name = "FILE", group = "source")]
    from_dmesg: Option<PathBuf>,
    /// With --from-dmesg: the same machine's /proc/zoneinfo. Boots a twin whose zones
    /// have exactly the captured managed pages, watermarks, protection and batches.
    #[arg(long, value_name = "FILE", requires = "from_dmesg")]
    zoneinfo: Option<PathBuf>,
    /// Kernel command-line memory options applied on top of the machine, e.g.
    /// "kernelcore=1G mem=4G".
    #[arg(long, value_name = "OPTIONS", allow_hyphen_values = true)]
    cmdline: Option<String>,
    /// Compute and print everything without writing the memmap or filling free lists.
    #[arg(long)]
    describe_only: bool,
    /// Most verbose log level to print.
    #[arg(long, value_enum, default_value_t = LogLevel::Info)]
    log_level: LogLevel,
    /// Prefix each line with a dmesg-style `[    0.000000] ` timestamp.
    #[arg(long)]
    timestamps: bool,
    /// After the boot, print this /proc file instead of the boot log and summary
    /// (repeatable). NAME: buddyinfo, pagetypeinfo, zoneinfo, vmstat, meminfo,
    /// slabinfo, sys/vm/min_free_kbytes, sys/vm/watermark_scale_factor,
    /// sys/vm/watermark_boost_factor, sys/vm/lowmem_reserve_ratio,
    /// sys/vm/percpu_pagelist_high_fraction. All but the sys/vm files need a full
    /// boot (not --describe-only). The sys/vm tunables can be set as at a Linux boot,
    /// with `--cmdline "sysctl.vm.NAME=VALUE"`.
    #[arg(long = "proc", value_name = "NAME")]
    proc_files: Vec<String>,
    /// After the boot, create a slab cache as kmem_cache_create(NAME, SIZE, 0, 0,
    /// NULL) does — merged into a compatible cache as Linux merges, NAME then being
    /// an alias — and allocate COUNT objects from it that stay allocated
    /// (repeatable; before --proc, --sys and --validate are shown). Debug flags come
    /// from --cmdline "slub_debug=FLAGS,NAME". With `:overrun`, one byte past each
    /// object is overwritten (a slub_kunit-style right red zone overrun).
    #[arg(long = "kmem-cache", value_name = "NAME:SIZE[:COUNT[:overrun]]")]
    kmem_caches: Vec<String>,
    /// After the boot (and --kmem-cache), print this /sys file (repeatable):
    /// kernel/slab/CACHE/ATTR, ATTR one of aliases, align, object_size, slab_size,
    /// objs_per_slab, order; CACHE may be an alias name.
    #[arg(long = "sys", value_name = "PATH")]
    sys_files: Vec<String>,
    /// After the boot (and --kmem-cache), validate a slab cache as `echo 1 >
    /// /sys/kernel/slab/CACHE/validate` does and print the kernel log lines it produced
    /// (repeatable; `all`: every cache with debug flags). Needs a cache with debug
    /// flags (Linux: EINVAL otherwise).
    #[arg(long, value_name = "CACHE|all")]
    validate: Vec<String>,
    /// After the boot (and --kmem-cache), trigger SysRq KEY as `echo KEY >
    /// /proc/sysrq-trigger` does and print the kernel log lines it produced
    /// (repeatable). KEY: m (show memory: `Mem-Info:` and the whole memory report,
    /// as warn_alloc prints it after a failed allocation).
    #[arg(long, value_name = "KEY")]
    sysrq: Vec<String>,
}

/// A `/sys/kernel/slab/<cache>/<attr>` file `oxmm boot --sys` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlabAttr {
    Aliases,
    Align,
    ObjectSize,
    SlabSize,
    ObjsPerSlab,
    Order,
}

impl SlabAttr {
    const ALL: [SlabAttr; 6] = [
        SlabAttr::Aliases,
        SlabAttr::Align,
        SlabAttr::ObjectSize,
        SlabAttr::SlabSize,
        SlabAttr::ObjsPerSlab,
        SlabAttr::Order,
    ];

    fn name(self) -> &'static str {
        match self {
            SlabAttr::Aliases => "aliases",
            SlabAttr::Align => "align",
            SlabAttr::ObjectSize => "object_size",
            SlabAttr::SlabSize => "slab_size",
            SlabAttr::ObjsPerSlab => "objs_per_slab",
            SlabAttr::Order => "order",
        }
    }
}

/// A `--sys` path: the cache's name (or alias) and the attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SysFile {
    cache: String,
    attr: SlabAttr,
}

impl SysFile {
    /// `kernel/slab/CACHE/ATTR`, a leading `/sys/` accepted too.
    fn parse(path: &str) -> anyhow::Result<SysFile> {
        let bare = path.strip_prefix("/sys/").unwrap_or(path);
        let rest = bare.strip_prefix("kernel/slab/").ok_or_else(|| {
            anyhow::anyhow!("--sys: unknown file {path:?}; only kernel/slab/CACHE/ATTR is served")
        })?;
        let (cache, attr) = rest
            .rsplit_once('/')
            .filter(|(c, _)| !c.is_empty() && !c.contains('/'))
            .ok_or_else(|| anyhow::anyhow!("--sys: {path:?} is not kernel/slab/CACHE/ATTR"))?;
        let attr = SlabAttr::ALL
            .into_iter()
            .find(|a| a.name() == attr)
            .ok_or_else(|| {
                let valid: Vec<&str> = SlabAttr::ALL.iter().map(|a| a.name()).collect();
                anyhow::anyhow!(
                    "--sys: unknown slab attribute {attr:?}; valid: {}",
                    valid.join(", ")
                )
            })?;
        Ok(SysFile {
            cache: cache.to_string(),
            attr,
        })
    }

    fn path(&self) -> String {
        format!("/sys/kernel/slab/{}/{}", self.cache, self.attr.name())
    }
}

/// A `--kmem-cache` request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KmemCacheArg {
    name: String,
    size: u32,
    count: u32,
    overrun: bool,
}

impl KmemCacheArg {
    fn parse(arg: &str) -> anyhow::Result<KmemCacheArg> {
        let bad = || anyhow::anyhow!("--kmem-cache {arg:?}: expected NAME:SIZE[:COUNT[:overrun]]");
        let mut it = arg.split(':');
        let name = it.next().filter(|n| !n.is_empty()).ok_or_else(bad)?;
        let size = it.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let count = match it.next() {
            Some(c) => c.parse().map_err(|_| bad())?,
            None => 0,
        };
        let overrun = match it.next() {
            None => false,
            Some("overrun") => true,
            Some(_) => return Err(bad()),
        };
        if it.next().is_some() {
            return Err(bad());
        }
        Ok(KmemCacheArg {
            name: name.to_string(),
            size,
            count,
            overrun,
        })
    }
}

/// A `/proc` file `oxmm boot --proc` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProcFile {
    Buddyinfo,
    Pagetypeinfo,
    Zoneinfo,
    Vmstat,
    Meminfo,
    Slabinfo,
    MinFreeKbytes,
    WatermarkScaleFactor,
    WatermarkBoostFactor,
    LowmemReserveRatio,
    PercpuPagelistHighFraction,
}

impl ProcFile {
    const ALL: [ProcFile; 11] = [
        ProcFile::Buddyinfo,
        ProcFile::Pagetypeinfo,
        ProcFile::Zoneinfo,
        ProcFile::Vmstat,
        ProcFile::Meminfo,
        ProcFile::Slabinfo,
        ProcFile::MinFreeKbytes,
        ProcFile::WatermarkScaleFactor,
        ProcFile::WatermarkBoostFactor,
        ProcFile::LowmemReserveRatio,
        ProcFile::PercpuPagelistHighFraction,
    ];

    /// The path under `/proc`.
    fn name(self) -> &'static str {
        match self {
            ProcFile::Buddyinfo => "buddyinfo",
            ProcFile::Pagetypeinfo => "pagetypeinfo",
            ProcFile::Zoneinfo => "zoneinfo",
            ProcFile::Vmstat => "vmstat",
            ProcFile::Meminfo => "meminfo",
            ProcFile::Slabinfo => "slabinfo",
            ProcFile::MinFreeKbytes => "sys/vm/min_free_kbytes",
            ProcFile::WatermarkScaleFactor => "sys/vm/watermark_scale_factor",
            ProcFile::WatermarkBoostFactor => "sys/vm/watermark_boost_factor",
            ProcFile::LowmemReserveRatio => "sys/vm/lowmem_reserve_ratio",
            ProcFile::PercpuPagelistHighFraction => "sys/vm/percpu_pagelist_high_fraction",
        }
    }

    /// `NAME` as given to `--proc`; a leading `/proc/` is accepted too.
    fn parse(name: &str) -> anyhow::Result<ProcFile> {
        let bare = name.strip_prefix("/proc/").unwrap_or(name);
        ProcFile::ALL
            .into_iter()
            .find(|f| f.name() == bare)
            .ok_or_else(|| {
                let valid: Vec<&str> = ProcFile::ALL.iter().map(|f| f.name()).collect();
                anyhow::anyhow!(
                    "--proc: unknown file {name:?}; valid names: {}",
                    valid.join(", ")
                )
            })
    }

    /// Whether the content comes from the free lists or the memmap, which a
    /// DescribeOnly boot never fills.
    fn needs_free_lists(self) -> bool {
        matches!(
            self,
            ProcFile::Buddyinfo
                | ProcFile::Pagetypeinfo
                | ProcFile::Zoneinfo
                | ProcFile::Vmstat
                | ProcFile::Meminfo
                | ProcFile::Slabinfo
        )
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum LogLevel {
    /// KERN_INFO and more important lines.
    #[default]
    Info,
    /// Everything, including KERN_DEBUG.
    Debug,
}

impl LogLevel {
    fn max(self) -> Level {
        match self {
            LogLevel::Info => Level::Info,
            LogLevel::Debug => Level::Debug,
        }
    }
}

/// The command (also run by the `oxmm-on-oxmm` binary).
pub(crate) fn main() -> ExitCode {
    // Run as the boot CPU, so that the per-CPU lists and slabs used, and with them the
    // /proc output, are the same on every run.
    oxmm_host::platform::bind_this_thread(0);
    install_panic_hook();
    let cli = Cli::parse();
    let result = match cli.command {
        None => boot(&BootArgs::default()),
        Some(Command::Boot(args)) => boot(&args),
        Some(Command::Machines) => machines(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oxmm: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A bug must still end in one readable line, not a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("oxmm: internal error (a bug, please report it): {msg}{at}");
    }));
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Load the machine the arguments name and apply `--cmdline`.
fn load_machine(args: &BootArgs) -> anyhow::Result<Machine> {
    if let (Some(dmesg), Some(zoneinfo)) = (&args.from_dmesg, &args.zoneinfo) {
        return Ok(Machine::twin_from_files(
            dmesg,
            zoneinfo,
            args.cmdline.as_deref(),
        )?);
    }
    let mut machine = if let Some(path) = &args.config {
        Machine::from_toml_file(path)?
    } else if let Some(path) = &args.from_dmesg {
        Machine::from_dmesg_file(path)?
    } else {
        Machine::profile(args.machine.as_deref().unwrap_or(DEFAULT_MACHINE))?
    };
    if let Some(cmdline) = &args.cmdline {
        machine.apply_cmdline(cmdline)?;
    }
    Ok(machine)
}

fn boot(args: &BootArgs) -> anyhow::Result<()> {
    // Check the names before the (possibly long) boot.
    let files = args
        .proc_files
        .iter()
        .map(|n| ProcFile::parse(n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let sys = args
        .sys_files
        .iter()
        .map(|p| SysFile::parse(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let work = args
        .kmem_caches
        .iter()
        .map(|a| KmemCacheArg::parse(a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for k in &args.sysrq {
        if k != "m" {
            anyhow::bail!("--sysrq {k}: not a SysRq key oxmm has; the keys are: m (show memory)");
        }
    }
    let slab_args =
        !sys.is_empty() || !work.is_empty() || !args.validate.is_empty() || !args.sysrq.is_empty();
    if args.describe_only && slab_args {
        anyhow::bail!(
            "--kmem-cache, --sys, --validate and --sysrq need the slab caches and free lists of a full boot; drop --describe-only"
        );
    }
    if !work.is_empty()
        && files.is_empty()
        && sys.is_empty()
        && args.validate.is_empty()
        && args.sysrq.is_empty()
    {
        anyhow::bail!(
            "--kmem-cache: nothing to show after it; add --proc, --sys, --validate or --sysrq"
        );
    }
    if args.describe_only {
        if let Some(f) = files.iter().find(|f| f.needs_free_lists()) {
            anyhow::bail!(
                "--proc {}: needs the free lists and memmap of a full boot; drop --describe-only",
                f.name()
            );
        }
    }
    let machine = load_machine(args)?;
    let mode = if args.describe_only {
        BootMode::DescribeOnly
    } else {
        BootMode::Full
    };
    let hm = HostedMachine::boot(&machine, mode)?;
    if !files.is_empty() || slab_args {
        let after = AfterBoot {
            files: &files,
            work: &work,
            sys: &sys,
            validate: &args.validate,
            sysrq: &args.sysrq,
        };
        return print_proc_files(hm, mode, &after);
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let max = args.log_level.max();
    for (i, (level, line)) in hm.log().iter().enumerate() {
        if *level > max {
            continue;
        }
        if args.timestamps {
            let t = hm.log_times().get(i).copied().unwrap_or_default();
            write!(out, "[{:5}.{:06}] ", t.as_secs(), t.subsec_micros())?;
        }
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    write!(out, "{}", hm.memory_summary())?;
    out.flush()?;
    Ok(())
}

/// What to do and show after the boot.
struct AfterBoot<'a> {
    files: &'a [ProcFile],
    work: &'a [KmemCacheArg],
    sys: &'a [SysFile],
    validate: &'a [String],
    sysrq: &'a [String],
}

/// `--kmem-cache`: create each cache and allocate its objects (kept allocated).
fn run_kmem_caches(
    hm: &HostedMachine,
    slab: &SlabCaches,
    work: &[KmemCacheArg],
) -> anyhow::Result<()> {
    let mm = hm.mm();
    for w in work {
        let id = slab
            .kmem_cache_create(mm, &w.name, w.size, 0, SlabFlags::default(), None)
            .map_err(|e| anyhow::anyhow!("--kmem-cache {}: {e}", w.name))?;
        let object_size = slab.cache(id).map_or(w.size, |c| c.object_size());
        for _ in 0..w.count {
            let p = slab
                .kmem_cache_alloc(mm, id, Gfp::KERNEL)
                .map_err(|e| anyhow::anyhow!("--kmem-cache {}: allocating: {e}", w.name))?;
            if w.overrun {
                // SAFETY: `p` is an object of `object_size` bytes in a slab of the
                // hosted machine's direct map; the byte after it is still inside the
                // slab (a red zone, padding or the next object's slot), memory this
                // process owns. Writing it is the bug the red zone exists to catch.
                unsafe { p.as_ptr().add(object_size as usize).write(0x78) };
            }
        }
    }
    Ok(())
}

/// `--sys kernel/slab/CACHE/ATTR`: the file's text.
fn sys_file(slab: &SlabCaches, f: &SysFile) -> anyhow::Result<String> {
    let id = slab
        .find_cache(&f.cache)
        .ok_or_else(|| anyhow::anyhow!("--sys {}: no such slab cache", f.path()))?;
    let c = slab
        .cache(id)
        .ok_or_else(|| anyhow::anyhow!("--sys {}: no such slab cache", f.path()))?;
    let v = match f.attr {
        SlabAttr::Aliases => {
            slab.aliases(id)
                .map_err(|e| anyhow::anyhow!("--sys {}: {e}", f.path()))? as u64
        }
        SlabAttr::Align => c.align() as u64,
        SlabAttr::ObjectSize => c.object_size() as u64,
        SlabAttr::SlabSize => c.size() as u64,
        SlabAttr::ObjsPerSlab => c.objects_per_slab() as u64,
        SlabAttr::Order => c.order() as u64,
    };
    Ok(format!("{v}\n"))
}

/// `--validate CACHE|all`: `validate_store` on each cache named, and the kernel log
/// lines it produced.
fn validate(hm: &HostedMachine, slab: &SlabCaches, which: &str) -> anyhow::Result<String> {
    let mm = hm.mm();
    let ids = if which == "all" {
        let mut ids = Vec::new();
        slab.for_each(|c| {
            if c.flags().0 & oxmm::slab::hooks::SLAB_DEBUG_FLAGS.0 != 0 {
                ids.push(c.id());
            }
        });
        ids.reverse();
        ids
    } else {
        let id = slab.find_cache(which).ok_or_else(|| {
            anyhow::anyhow!("--validate {which}: no such slab cache in /sys/kernel/slab")
        })?;
        vec![id]
    };
    let mut out = String::new();
    for id in ids {
        mm.platform().take_printk();
        match slab.kmem_cache_validate(mm, id) {
            Ok(_) => {}
            Err(oxmm::slab::SlabError::NotDebugCache(_)) => anyhow::bail!(
                "--validate {which}: Invalid argument (EINVAL): the cache has no debug flags; boot with --cmdline \"slub_debug=FZPU,{which}\""
            ),
            Err(e) => anyhow::bail!("--validate {which}: {e}"),
        }
        for (_, line) in mm.platform().take_printk() {
            writeln!(out, "{line}")?;
        }
    }
    Ok(out)
}

/// `--proc`, `--sys`, `--validate`: render each file after the boot (and the
/// `--kmem-cache` workload); several are separated by `==> /proc/NAME <==` headers as
/// `head` prints them, so that one alone is exactly the file. A validation shows the
/// kernel log lines it produced, headed by its `validate` file.
fn print_proc_files(
    mut hm: HostedMachine,
    mode: BootMode,
    after: &AfterBoot<'_>,
) -> anyhow::Result<()> {
    let files = after.files;
    // Linux has its slab caches by the time anyone reads /proc, and they take pages
    // from the free lists: create them whatever is asked, so buddyinfo does not depend
    // on whether slabinfo is asked too.
    let slab = if mode == BootMode::Full {
        let params = hm.slub_params();
        Some(
            SlabCaches::init(hm.mm_mut(), params)
                .map_err(|e| anyhow::anyhow!("creating the slab caches: {e}"))?,
        )
    } else {
        None
    };
    if let Some(slab) = &slab {
        // The kernel log of --validate, with the allocating call sites by name
        // (CONFIG_STACKDEPOT) and dump_stack's call traces.
        hm.mm().platform().capture_printk();
        hm.mm().platform().enable_stack_depot();
        run_kmem_caches(&hm, slab, after.work)?;
    }
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mm = hm.mm();
    for &f in files.iter() {
        let mut s = String::new();
        match f {
            ProcFile::Buddyinfo => mm.buddyinfo(&mut s)?,
            ProcFile::Pagetypeinfo => mm.pagetypeinfo(&mut s)?,
            ProcFile::Zoneinfo => mm.zoneinfo(&mut s)?,
            ProcFile::Vmstat => mm.vmstat(&mut s)?,
            ProcFile::Meminfo => mm.meminfo(&mut s)?,
            ProcFile::Slabinfo => match &slab {
                Some(slab) => slab.slabinfo(mm, &mut s)?,
                None => anyhow::bail!("--proc slabinfo: no slab caches without a full boot"),
            },
            ProcFile::MinFreeKbytes => writeln!(s, "{}", mm.sysctl().min_free_kbytes)?,
            ProcFile::WatermarkScaleFactor => {
                writeln!(s, "{}", mm.sysctl().watermark_scale_factor)?
            }
            ProcFile::WatermarkBoostFactor => {
                writeln!(s, "{}", mm.sysctl().watermark_boost_factor)?
            }
            ProcFile::LowmemReserveRatio => {
                // proc_dointvec: the configured zones' entries (MAX_NR_ZONES of this
                // kernel), tab-separated.
                let ratios: Vec<String> = mm
                    .zone_layout()
                    .zones()
                    .iter()
                    .map(|&t| mm.sysctl().lowmem_reserve_ratio[t as usize].to_string())
                    .collect();
                writeln!(s, "{}", ratios.join("\t"))?
            }
            ProcFile::PercpuPagelistHighFraction => {
                writeln!(s, "{}", mm.sysctl().percpu_pagelist_high_fraction)?
            }
        }
        outputs.push((format!("/proc/{}", f.name()), s));
    }
    if let Some(slab) = &slab {
        for f in after.sys {
            outputs.push((f.path(), sys_file(slab, f)?));
        }
        for v in after.validate {
            let text = validate(&hm, slab, v)?;
            outputs.push((format!("/sys/kernel/slab/{v}/validate"), text));
        }
        for _ in after.sysrq {
            // __handle_sysrq's line, then the key's action (only `m` is accepted).
            mm.platform().take_printk();
            let mut text = String::from("sysrq: Show Memory\n");
            mm.show_mem();
            for (_, line) in mm.platform().take_printk() {
                writeln!(text, "{line}")?;
            }
            outputs.push(("/proc/sysrq-trigger".to_string(), text));
        }
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for (i, (name, text)) in outputs.iter().enumerate() {
        if outputs.len() > 1 {
            if i > 0 {
                writeln!(out)?;
            }
            writeln!(out, "==> {name} <==")?;
        }
        out.write_all(text.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// One line about a machine: architecture, usable memory, nodes, CPUs, description.
fn describe(m: &Machine) -> anyhow::Result<String> {
    let setup = m.setup()?;
    let cfg = setup.boot_config();
    let mem = human_size(setup.memblock().phys_mem_size());
    let nodes = cfg.nodes.len().max(1);
    let mut s = format!(
        "{}, {mem} RAM, {nodes} node{}, {} CPU{}",
        cfg.arch.name(),
        if nodes == 1 { "" } else { "s" },
        cfg.nr_cpus,
        if cfg.nr_cpus == 1 { "" } else { "s" }
    );
    if !m.description.is_empty() {
        s.push_str(": ");
        s.push_str(&m.description);
    }
    Ok(s)
}

/// `8.0 GiB`-style size (binary units, one decimal above 1 GiB).
fn human_size(bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    match bytes {
        b if b >= 1024 * GIB => format!("{:.1} TiB", b as f64 / (1024 * GIB) as f64),
        b if b >= GIB => format!("{:.1} GiB", b as f64 / GIB as f64),
        b => format!("{} MiB", b >> 20),
    }
}

fn machines() -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let names = Machine::profile_names();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for name in names {
        let about = Machine::profile(name)
            .map_err(anyhow::Error::from)
            .and_then(|m| describe(&m))
            .unwrap_or_else(|e| format!("(cannot load: {e:#})"));
        let default = if *name == DEFAULT_MACHINE {
            " [default]"
        } else {
            ""
        };
        writeln!(out, "{name:width$}  {about}{default}")?;
    }
    out.flush()?;
    Ok(())
}

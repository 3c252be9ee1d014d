//! The `oxmm` command: boot a described machine and show what Linux would print.
//!
//! `oxmm` alone boots the default machine (`pc-8g`) and prints its boot log and a
//! memory summary; `oxmm boot --help` lists the options; `oxmm machines` lists the
//! built-in profiles.
#![warn(missing_docs)]

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use oxmm::mm::BootMode;
use oxmm::printk::Level;
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
    /// Boot a machine and print its boot log and memory summary (the default command).
    Boot(BootArgs),
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

fn main() -> ExitCode {
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
    let machine = load_machine(args)?;
    let mode = if args.describe_only {
        BootMode::DescribeOnly
    } else {
        BootMode::Full
    };
    let hm = HostedMachine::boot(&machine, mode)?;
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

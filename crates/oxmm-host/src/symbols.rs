//! Kernel symbols for the hosted machine's reports (Linux: kallsyms' `sprint_symbol`
//! behind `%pS`, `stack_depot_save` / `stack_depot_print`, `dump_stack`).
//!
//! Code addresses of this process are named with the `backtrace` crate (symbol and
//! debug info of the running executable), demangled without the hash: the executable's
//! functions by its ELF symbol table (`object`, read once, moved by the load bias found
//! from a function of this module), like kallsyms, so a report reads
//! `name+0xoff/0xsize` as Linux's does; a library's function by the symbolizer's name
//! alone; `0x…` for an address that names nothing.
//!
//! The stack depot keeps each distinct saved stack once and hands out 1-based
//! handles. It also finds `_RET_IP_`: the first frame, going outwards, after the
//! frames of the core's slab allocator — the return address into whoever called the
//! slab API.
//!
//! ```
//! use oxmm_host::symbols::sprint_symbol;
//! let mut s = String::new();
//! sprint_symbol(sprint_symbol as *const () as usize + 1, &mut s).unwrap();
//! assert!(s.starts_with("oxmm_host::symbols::sprint_symbol+0x"), "{s}");
//! ```

use std::collections::HashMap;
use std::ffi::c_void;
use std::fmt::{self, Write};
use std::sync::{Mutex, OnceLock};

/// `TRACK_ADDRS_COUNT`: frames kept per saved stack.
///
/// ```
/// assert_eq!(oxmm_host::symbols::TRACK_ADDRS_COUNT, 16);
/// ```
pub const TRACK_ADDRS_COUNT: usize = 16;

/// Frames printed by [`call_trace`] at most.
const MAX_TRACE: usize = 64;

/// The executable's function symbols (linked start, size, mangled name) sorted by
/// start, and the load bias that turns a linked address into a running one.
struct Symtab {
    funcs: Vec<(usize, usize, Vec<u8>)>,
    bias: Option<usize>,
}

impl Symtab {
    /// The function whose running range holds `addr`: its running start, size and
    /// mangled name.
    fn find(&self, addr: usize) -> Option<(usize, usize, &[u8])> {
        let linked = addr.checked_sub(self.bias?)?;
        let i = self
            .funcs
            .partition_point(|f| f.0 <= linked)
            .checked_sub(1)?;
        let (start, size, ref name) = self.funcs[i];
        (linked < start + size).then(|| (start + self.bias.unwrap_or(0), size, &name[..]))
    }
}

fn symtab() -> &'static Symtab {
    static SYMTAB: OnceLock<Symtab> = OnceLock::new();
    SYMTAB.get_or_init(|| {
        use object::{Object, ObjectSymbol, SymbolKind};
        let mut funcs = Vec::new();
        let data = std::env::current_exe().and_then(std::fs::read);
        if let Ok(Ok(file)) = data.as_deref().map(object::File::parse) {
            for sym in file.symbols() {
                if sym.kind() == SymbolKind::Text && sym.size() > 0 {
                    if let Ok(name) = sym.name_bytes() {
                        funcs.push((sym.address() as usize, sym.size() as usize, name.to_vec()));
                    }
                }
            }
        }
        funcs.sort_unstable();
        // An anchor whose running address is known: this module's own function,
        // found in the table by the name the symbolizer gives it.
        let anchor = sprint_symbol as *const () as usize;
        let mut raw = None;
        // (resolve looks one byte back, as for a return address.)
        backtrace::resolve((anchor + 1) as *mut c_void, |sym| {
            if let Some(n) = sym.name() {
                raw = Some(n.as_bytes().to_vec());
            }
        });
        let bias = raw.and_then(|raw| {
            let f = funcs.iter().find(|f| f.2 == raw)?;
            anchor.checked_sub(f.0)
        });
        Symtab { funcs, bias }
    })
}

/// The function holding `addr` (kallsyms' view: the real function, not an inlined
/// one): name without hash, and `(offset, size)` when the executable's symbol table
/// has it. Other code (the C library) is named by the symbolizer, without offset.
fn lookup(addr: usize) -> Option<(String, Option<(usize, usize)>)> {
    if let Some((start, size, raw)) = symtab().find(addr) {
        let name = format!("{:#}", backtrace::SymbolName::new(raw));
        return Some((name, Some((addr - start, size))));
    }
    let mut found = None;
    backtrace::resolve(addr as *mut c_void, |sym| {
        if let Some(name) = sym.name() {
            found = Some((format!("{name:#}"), None));
        }
    });
    found
}

/// `sprint_symbol`: `name+0xoff/0xsize` for a function of this executable, `name`
/// alone for one of a library, `0x…` when no code is there.
///
/// ```
/// let mut s = String::new();
/// oxmm_host::symbols::sprint_symbol(8, &mut s).unwrap();
/// assert_eq!(s, "0x8");
/// ```
pub fn sprint_symbol(addr: usize, out: &mut dyn Write) -> fmt::Result {
    match lookup(addr) {
        Some((name, Some((off, size)))) => write!(out, "{name}+0x{off:x}/0x{size:x}"),
        Some((name, None)) => write!(out, "{name}"),
        None => write!(out, "0x{addr:x}"),
    }
}

/// `sprint_backtrace` (`%pB`) for a return address: the function of the call before
/// it, offset counted to the return address.
fn sprint_backtrace(ip: usize, out: &mut dyn Write) -> fmt::Result {
    match lookup(ip.wrapping_sub(1)) {
        Some((name, Some((off, size)))) => write!(out, "{name}+0x{:x}/0x{size:x}", off + 1),
        Some((name, None)) => write!(out, "{name}"),
        None => write!(out, "0x{ip:x}"),
    }
}

/// Whether the function holding `ip` belongs to the core's slab allocator (whose
/// frames a track's `_RET_IP_` lies beyond; by path, as `oxmm::slab::…`). Cached per address: names cost a lookup.
fn in_core(ip: usize) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<usize, bool>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(&v) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&ip) {
        return v;
    }
    // A return address belongs to the call before it.
    let v = lookup(ip.wrapping_sub(1)).is_some_and(|(name, _)| {
        name.starts_with("oxmm::slab::") || name.starts_with("<oxmm::slab::")
    });
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(ip, v);
    v
}

/// The calling thread's return addresses, innermost first, from the first frame of
/// the slab allocator on (the frames of this module and of the platform hook that
/// called it skipped), at most `max`; and the first one past the core's frames.
fn stack_from_core(max: usize) -> (Vec<usize>, usize) {
    let mut ips = Vec::with_capacity(MAX_TRACE);
    backtrace::trace(|f| {
        let ip = f.ip() as usize;
        if ip != 0 {
            ips.push(ip);
        }
        ips.len() < MAX_TRACE
    });
    let first = ips.iter().position(|&ip| in_core(ip)).unwrap_or(0);
    let ips = ips.split_off(first);
    let caller = ips
        .iter()
        .position(|&ip| !in_core(ip))
        .map_or(0, |i| ips[i]);
    (ips.into_iter().take(max).collect(), caller)
}

/// A stack depot: each distinct stack once, found again by its 1-based handle.
///
/// ```
/// use oxmm_host::symbols::StackDepot;
/// let d = StackDepot::default();
/// let a = d.save_entries(&[1, 2, 3]);
/// assert_eq!((a, d.save_entries(&[1, 2, 3])), (1, 1));
/// assert_eq!(d.fetch(a).unwrap(), [1, 2, 3]);
/// assert_eq!(d.fetch(0), None);
/// ```
#[derive(Debug, Default)]
pub struct StackDepot {
    inner: Mutex<DepotInner>,
}

#[derive(Debug, Default)]
struct DepotInner {
    stacks: Vec<Box<[usize]>>,
    index: HashMap<Box<[usize]>, u32>,
}

impl StackDepot {
    /// `stack_depot_save` of `entries`: its handle (the same for the same stack; 0
    /// if the depot is full).
    ///
    /// ```
    /// let d = oxmm_host::symbols::StackDepot::default();
    /// assert_ne!(d.save_entries(&[7]), d.save_entries(&[8]));
    /// ```
    pub fn save_entries(&self, entries: &[usize]) -> u32 {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&h) = g.index.get(entries) {
            return h;
        }
        let Ok(h) = u32::try_from(g.stacks.len() + 1) else {
            return 0;
        };
        g.stacks.push(entries.into());
        g.index.insert(entries.into(), h);
        h
    }

    /// The current stack from the slab allocator outwards (at most
    /// [`TRACK_ADDRS_COUNT`] frames), saved; with the return address into the caller
    /// of the core (0 if the stack never left it).
    ///
    /// ```
    /// let d = oxmm_host::symbols::StackDepot::default();
    /// let (h, _) = d.save_current();
    /// assert_eq!(h, 1);
    /// ```
    pub fn save_current(&self) -> (u32, usize) {
        let (ips, caller) = stack_from_core(TRACK_ADDRS_COUNT);
        (self.save_entries(&ips), caller)
    }

    /// The stack saved under `handle`.
    ///
    /// ```
    /// assert!(oxmm_host::symbols::StackDepot::default().fetch(1).is_none());
    /// ```
    pub fn fetch(&self, handle: u32) -> Option<Vec<usize>> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let i = (handle as usize).checked_sub(1)?;
        g.stacks.get(i).map(|s| s.to_vec())
    }
}

/// `show_stack`'s frames for `dump_stack()`: the current stack from the slab allocator
/// outwards, one ` %pB` line each (Linux's `printk("%s %s%pBb\n")` with every frame
/// reliable).
///
/// ```
/// let lines = oxmm_host::symbols::call_trace();
/// assert!(lines.iter().all(|l| l.starts_with(' ')));
/// ```
pub fn call_trace() -> Vec<String> {
    let (ips, _) = stack_from_core(MAX_TRACE);
    ips.into_iter()
        .map(|ip| {
            let mut s = String::from(" ");
            let _ = sprint_backtrace(ip, &mut s);
            s
        })
        .collect()
}

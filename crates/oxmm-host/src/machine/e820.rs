//! The firmware memory map of x86 machines (Linux: arch/x86/kernel/e820.c): typed ranges,
//! `e820__update_table` sanitising, the kernel's own edits and the hand-over to memblock.

use std::fmt;

/// An e820 range type (Linux: `enum e820_type`). The numeric value is the firmware's, and
/// it is also the priority when ranges overlap: the larger value wins.
///
/// ```
/// use oxmm_host::machine::E820Type;
/// assert_eq!(E820Type::parse("ACPI NVS"), Some(E820Type::Nvs));
/// assert_eq!(E820Type::Unknown(20).name(), "type 20");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[doc(alias = "e820_type")]
pub enum E820Type {
    /// `E820_TYPE_RAM` (1): usable.
    Ram,
    /// `E820_TYPE_RESERVED` (2).
    Reserved,
    /// `E820_TYPE_ACPI` (3): ACPI data.
    Acpi,
    /// `E820_TYPE_NVS` (4): ACPI NVS.
    Nvs,
    /// `E820_TYPE_UNUSABLE` (5).
    Unusable,
    /// `E820_TYPE_PMEM` (7): persistent memory.
    Pmem,
    /// `E820_TYPE_PRAM` (12): legacy persistent memory (`memmap=nn!ss`).
    Pram,
    /// `E820_TYPE_RESERVED_KERN` (128): RAM the kernel reserved (setup_data); memblock
    /// memory like usable RAM.
    ReservedKern,
    /// `E820_TYPE_SOFT_RESERVED` (0xefffffff): soft reserved.
    SoftReserved,
    /// Any other firmware type number (printed as `type N`).
    Unknown(u32),
}

impl E820Type {
    /// The firmware's type number.
    ///
    /// ```
    /// assert_eq!(oxmm_host::machine::E820Type::Pram.code(), 12);
    /// ```
    pub fn code(self) -> u32 {
        match self {
            E820Type::Ram => 1,
            E820Type::Reserved => 2,
            E820Type::Acpi => 3,
            E820Type::Nvs => 4,
            E820Type::Unusable => 5,
            E820Type::Pmem => 7,
            E820Type::Pram => 12,
            E820Type::ReservedKern => 128,
            E820Type::SoftReserved => 0xefff_ffff,
            E820Type::Unknown(n) => n,
        }
    }

    /// The type of firmware number `code`.
    ///
    /// ```
    /// use oxmm_host::machine::E820Type;
    /// assert_eq!(E820Type::from_code(4), E820Type::Nvs);
    /// ```
    pub fn from_code(code: u32) -> E820Type {
        match code {
            1 => E820Type::Ram,
            2 => E820Type::Reserved,
            3 => E820Type::Acpi,
            4 => E820Type::Nvs,
            5 => E820Type::Unusable,
            7 => E820Type::Pmem,
            12 => E820Type::Pram,
            128 => E820Type::ReservedKern,
            0xefff_ffff => E820Type::SoftReserved,
            n => E820Type::Unknown(n),
        }
    }

    /// Linux's printed name (`e820_print_type`).
    ///
    /// ```
    /// use oxmm_host::machine::E820Type;
    /// assert_eq!(E820Type::Ram.name(), "usable");
    /// assert_eq!(E820Type::ReservedKern.name(), "usable"); // RAM to memblock
    /// assert_eq!(E820Type::Pmem.name(), "persistent (type 7)");
    /// assert_eq!(E820Type::parse(&E820Type::Nvs.name()), Some(E820Type::Nvs));
    /// ```
    pub fn name(self) -> String {
        match self {
            E820Type::Ram | E820Type::ReservedKern => "usable".into(),
            E820Type::Reserved => "reserved".into(),
            E820Type::SoftReserved => "soft reserved".into(),
            E820Type::Acpi => "ACPI data".into(),
            E820Type::Nvs => "ACPI NVS".into(),
            E820Type::Unusable => "unusable".into(),
            E820Type::Pmem | E820Type::Pram => {
                format!("persistent (type {})", self.code())
            }
            E820Type::Unknown(n) => format!("type {n}"),
        }
    }

    /// Parse a printed name (as in boot logs) or a description-file spelling
    /// (`usable`, `reserved`, `acpi`, `nvs`, `unusable`, `persistent`, `pmem`, `type N`).
    ///
    /// ```
    /// use oxmm_host::machine::E820Type;
    /// assert_eq!(E820Type::parse("usable"), Some(E820Type::Ram));
    /// assert_eq!(E820Type::parse("persistent (type 12)"), Some(E820Type::Pram));
    /// assert_eq!(E820Type::parse("type 20"), Some(E820Type::Unknown(20)));
    /// assert_eq!(E820Type::parse("bogus"), None);
    /// ```
    pub fn parse(s: &str) -> Option<E820Type> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        Some(match lower.as_str() {
            "usable" | "ram" => E820Type::Ram,
            "reserved" => E820Type::Reserved,
            "soft reserved" | "soft-reserved" => E820Type::SoftReserved,
            "acpi data" | "acpi" => E820Type::Acpi,
            "acpi nvs" | "nvs" => E820Type::Nvs,
            "unusable" => E820Type::Unusable,
            "persistent" | "pram" | "persistent (type 12)" => E820Type::Pram,
            "pmem" | "persistent (type 7)" => E820Type::Pmem,
            "reserved-kern" | "reserved_kern" => E820Type::ReservedKern,
            _ => {
                let n = lower.strip_prefix("type ")?.trim();
                E820Type::from_code(n.parse().ok()?)
            }
        })
    }
}

impl fmt::Display for E820Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One e820 range: `[addr, addr + size)` of one type (Linux: `struct e820_entry`).
///
/// ```
/// use oxmm_host::machine::{E820Entry, E820Type};
/// let e = E820Entry { addr: 0x1000, size: 0x1000, ty: E820Type::Ram };
/// assert_eq!(e.end(), 0x2000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(alias = "e820_entry")]
pub struct E820Entry {
    /// Start address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// Type.
    pub ty: E820Type,
}

impl E820Entry {
    /// End address (exclusive), saturating at the top of the address space.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Entry, E820Type};
    /// let e = E820Entry { addr: 0x9fc00, size: 0x400, ty: E820Type::Reserved };
    /// assert_eq!(e.end(), 0xa0000);
    /// let top = E820Entry { addr: u64::MAX - 0xfff, size: 0x2000, ty: E820Type::Reserved };
    /// assert_eq!(top.end(), u64::MAX);
    /// ```
    pub fn end(&self) -> u64 {
        self.addr.saturating_add(self.size)
    }
}

/// An e820 table (Linux: `struct e820_table`).
///
/// ```
/// use oxmm_host::machine::{E820Table, E820Type};
/// let mut t = E820Table::default();
/// t.add(0x0, 0x10000, E820Type::Ram);
/// t.add(0x8000, 0x1000, E820Type::Reserved);
/// t.update_table();
/// assert_eq!(t.entries().len(), 3);
/// assert_eq!(t.entries()[1].ty, E820Type::Reserved);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[doc(alias = "e820_table")]
pub struct E820Table {
    entries: Vec<E820Entry>,
}

impl E820Table {
    /// The entries, in table order.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x10_0000, 0x10_0000, E820Type::Ram);
    /// t.add(0x0, 0x9fc00, E820Type::Ram);
    /// assert_eq!(t.entries()[0].addr, 0x10_0000); // as added
    /// t.update_table();
    /// assert_eq!(t.entries()[0].addr, 0); // sorted
    /// ```
    pub fn entries(&self) -> &[E820Entry] {
        &self.entries
    }

    /// Append a range without sanitising (Linux: `e820__range_add`); empty ranges are
    /// ignored.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x0, 0x9fc00, E820Type::Ram);
    /// t.add(0x9fc00, 0, E820Type::Reserved); // empty: ignored
    /// assert_eq!(t.entries().len(), 1);
    /// assert_eq!(t.entries()[0].end(), 0x9fc00);
    /// ```
    #[doc(alias = "e820__range_add")]
    pub fn add(&mut self, addr: u64, size: u64, ty: E820Type) {
        if size != 0 {
            self.entries.push(E820Entry { addr, size, ty });
        }
    }

    /// Drop every entry (`memmap=exactmap`).
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x0, 0x9fc00, E820Type::Ram);
    /// t.clear();
    /// assert!(t.entries().is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Sanitise (Linux: `e820__update_table`): resolve overlaps in favour of the larger
    /// type number, merge adjacent ranges of the same type, drop empty ones and sort by
    /// address. Returns whether anything changed.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x0, 0x1000, E820Type::Ram);
    /// t.add(0x1000, 0x1000, E820Type::Ram);
    /// t.add(0x1800, 0x1000, E820Type::Reserved); // overlaps: reserved wins
    /// assert!(t.update_table());
    /// assert_eq!(t.entries().len(), 2);
    /// assert_eq!((t.entries()[0].size, t.entries()[1].addr), (0x1800, 0x1800));
    /// assert!(!t.update_table()); // already sane
    /// ```
    #[doc(alias = "e820__update_table")]
    pub fn update_table(&mut self) -> bool {
        // Change points: every start and end. At equal addresses starts sort before ends,
        // as in Linux's cpcompare.
        let mut points: Vec<(u64, bool, usize)> = Vec::with_capacity(self.entries.len() * 2);
        for (i, e) in self.entries.iter().enumerate() {
            if e.size == 0 {
                continue;
            }
            points.push((e.addr, false, i));
            points.push((e.end(), true, i));
        }
        points.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut active: Vec<usize> = Vec::new();
        let mut out: Vec<E820Entry> = Vec::new();
        let mut last_type: Option<E820Type> = None;
        let mut last_addr = 0u64;
        for (addr, is_end, idx) in points {
            if is_end {
                if let Some(p) = active.iter().position(|&x| x == idx) {
                    active.swap_remove(p);
                }
            } else {
                active.push(idx);
            }
            let current = active
                .iter()
                .map(|&i| self.entries[i].ty)
                .max_by_key(|t| t.code());
            if current != last_type {
                if let Some(t) = last_type {
                    if addr > last_addr {
                        out.push(E820Entry {
                            addr: last_addr,
                            size: addr - last_addr,
                            ty: t,
                        });
                    }
                }
                last_addr = addr;
                last_type = current;
            }
        }
        let changed = out != self.entries;
        self.entries = out;
        changed
    }

    /// Change the type of `[start, start + size)` from `old` to `new` where it is `old`
    /// (Linux: `e820__range_update`), then sanitise. Returns the bytes changed.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x0, 0x10_0000, E820Type::Ram);
    /// assert_eq!(t.range_update(0x0, 0x1000, E820Type::Ram, E820Type::Reserved), 0x1000);
    /// assert_eq!(t.entries()[0].ty, E820Type::Reserved);
    /// assert_eq!(t.entries()[1].addr, 0x1000);
    /// assert_eq!(t.range_update(0x0, 0x1000, E820Type::Ram, E820Type::Acpi), 0); // no longer RAM
    /// ```
    #[doc(alias = "e820__range_update")]
    pub fn range_update(&mut self, start: u64, size: u64, old: E820Type, new: E820Type) -> u64 {
        if size == 0 || old == new {
            return 0;
        }
        self.carve(start, size, Some(old), Some(new))
    }

    /// Remove `[start, start + size)` from entries of type `old` (or from every entry when
    /// `old` is `None`) (Linux: `e820__range_remove`), then sanitise. Returns the bytes
    /// removed.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x0, 0x10_0000, E820Type::Ram);
    /// assert_eq!(t.range_remove(0xa0000, 0x60000, Some(E820Type::Reserved)), 0);
    /// assert_eq!(t.range_remove(0xa0000, 0x60000, None), 0x60000);
    /// assert_eq!(t.entries()[0].end(), 0xa0000);
    /// ```
    #[doc(alias = "e820__range_remove")]
    pub fn range_remove(&mut self, start: u64, size: u64, old: Option<E820Type>) -> u64 {
        self.carve(start, size, old, None)
    }

    /// Cut `[start, start + size)` out of every entry of type `only` (any type when
    /// `None`), keeping the pieces outside it, and either retype the cut part to
    /// `retype` or drop it; then sanitise. Returns the bytes cut.
    fn carve(
        &mut self,
        start: u64,
        size: u64,
        only: Option<E820Type>,
        retype: Option<E820Type>,
    ) -> u64 {
        let end = start.saturating_add(size);
        let mut out = Vec::with_capacity(self.entries.len() + 2);
        let mut cut = 0;
        for e in &self.entries {
            if only.is_some_and(|t| t != e.ty) || e.end() <= start || e.addr >= end {
                out.push(*e);
                continue;
            }
            let (s, t) = (e.addr.max(start), e.end().min(end));
            let mut piece = |addr: u64, end: u64, ty: E820Type| {
                if addr < end {
                    out.push(E820Entry {
                        addr,
                        size: end - addr,
                        ty,
                    });
                }
            };
            piece(e.addr, s, e.ty);
            if let Some(ty) = retype {
                piece(s, t, ty);
            }
            piece(t, e.end(), e.ty);
            cut += t - s;
        }
        self.entries = out;
        self.update_table();
        cut
    }

    /// x86 `trim_bios_range`: the first page becomes reserved (BIOS data) and usable RAM in
    /// the legacy ISA hole `[640K, 1M)` is removed.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x0, 0x10_0000, E820Type::Ram);
    /// t.trim_bios_range();
    /// let e = t.entries();
    /// assert_eq!((e[0].addr, e[0].size, e[0].ty), (0x0, 0x1000, E820Type::Reserved));
    /// assert_eq!((e[1].addr, e[1].end(), e[1].ty), (0x1000, 0xa0000, E820Type::Ram));
    /// assert_eq!(e.len(), 2);
    /// ```
    #[doc(alias = "e820__trim_bios_range")]
    pub fn trim_bios_range(&mut self) {
        self.range_update(0, 0x1000, E820Type::Ram, E820Type::Reserved);
        self.range_remove(0xa0000, 0x60000, Some(E820Type::Ram));
    }

    /// `e820__end_of_ram_pfn`: the end pfn of the highest usable RAM, capped at
    /// `max_arch_pfn`.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x10_0000, 0x7ff0_0000, E820Type::Ram);
    /// t.add(0xb000_0000, 0x1000_0000, E820Type::Reserved);
    /// t.add(0x1_0000_0000, 0x1_8000_0000, E820Type::Ram);
    /// assert_eq!(t.end_of_ram_pfn(12, 1 << 36), 0x28_0000); // max_pfn: 10 GiB
    /// assert_eq!(t.end_of_ram_pfn(12, 0x20_0000), 0x20_0000); // capped
    /// ```
    #[doc(alias = "e820__end_of_ram_pfn")]
    pub fn end_of_ram_pfn(&self, page_shift: u32, max_arch_pfn: u64) -> u64 {
        self.end_pfn(page_shift, max_arch_pfn, u64::MAX)
    }

    /// `e820__end_of_low_ram_pfn`: as [`Self::end_of_ram_pfn`] but below 4 GiB.
    ///
    /// ```
    /// use oxmm_host::machine::{E820Table, E820Type};
    /// let mut t = E820Table::default();
    /// t.add(0x10_0000, 0x7fed_f000, E820Type::Ram);
    /// t.add(0x1_0000_0000, 0x1_8000_0000, E820Type::Ram);
    /// assert_eq!(t.end_of_low_ram_pfn(12), 0x7ffdf); // below the PCI hole
    /// assert_eq!(t.end_of_ram_pfn(12, 1 << 36), 0x28_0000);
    /// ```
    #[doc(alias = "e820__end_of_low_ram_pfn")]
    pub fn end_of_low_ram_pfn(&self, page_shift: u32) -> u64 {
        self.end_pfn(page_shift, 1 << (32 - page_shift), 1 << (32 - page_shift))
    }

    fn end_pfn(&self, shift: u32, limit_pfn: u64, max_start_pfn: u64) -> u64 {
        let mut last = 0;
        for e in &self.entries {
            if e.ty != E820Type::Ram {
                continue;
            }
            let (s, t) = (e.addr >> shift, e.end() >> shift);
            if s >= limit_pfn || s >= max_start_pfn {
                continue;
            }
            last = last.max(t.min(limit_pfn));
        }
        last
    }
}
